package gmsengine

import (
	"strconv"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/pqsql/pqsql/sqlengine"
)

// Arrays are held as their PostgreSQL text form: "{a,b,NULL}" with lower
// bound 1, "[0:1]={a,b}" with explicit bounds, and the space-separated
// "1 2" of int2vector and oidvector, whose lower bound is 0. The pqsql_array*
// functions below read and build that form (see package pgtranslate's
// arrays.go for the constructs that become them).

// PostgreSQL OIDs of the array types pqsql_cast converts to.
var arrayTypeOIDs = map[string]uint32{
	"bool[]": 1000, "char[]": 1002, "name[]": 1003, "int2[]": 1005, "int4[]": 1007, "text[]": 1009,
	"varchar[]": 1015, "int8[]": 1016, "float4[]": 1021, "float8[]": 1022, "oid[]": 1028,
}

// textArrayOID is text[].
const textArrayOID uint32 = 1009

// pgArray is a one-dimensional array: its elements (nil for NULL) and the
// subscript of the first.
type pgArray struct {
	elems []*string
	lower int
}

// parseArray reads an array's text form.
func parseArray(s string) (pgArray, error) {
	a := pgArray{lower: 1}
	s = strings.TrimSpace(s)
	if s == "" {
		return pgArray{lower: 0}, nil
	}
	if s[0] == '[' {
		eq := strings.Index(s, "]=")
		colon := strings.IndexByte(s, ':')
		if eq < 0 || colon < 0 || colon > eq {
			return a, malformedArray(s)
		}
		lo, err := strconv.Atoi(s[1:colon])
		if err != nil {
			return a, malformedArray(s)
		}
		a.lower = lo
		s = s[eq+2:]
	} else if s[0] != '{' {
		// int2vector, oidvector: space-separated, subscripts from 0.
		for _, f := range strings.Fields(s) {
			a.elems = append(a.elems, &f)
		}
		a.lower = 0
		return a, nil
	}
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return a, malformedArray(s)
	}
	body := s[1 : len(s)-1]
	for i := 0; i < len(body); {
		for i < len(body) && body[i] == ' ' {
			i++
		}
		if i >= len(body) {
			break
		}
		var b strings.Builder
		quoted := false
		if body[i] == '"' {
			quoted = true
			i++
			for i < len(body) && body[i] != '"' {
				if body[i] == '\\' && i+1 < len(body) {
					i++
				}
				b.WriteByte(body[i])
				i++
			}
			i++ // closing quote
			for i < len(body) && body[i] != ',' {
				i++
			}
		} else {
			for i < len(body) && body[i] != ',' {
				if body[i] == '\\' && i+1 < len(body) {
					i++
				}
				b.WriteByte(body[i])
				i++
			}
		}
		i++ // comma
		v := b.String()
		if !quoted {
			v = strings.TrimSpace(v)
			if strings.EqualFold(v, "NULL") {
				a.elems = append(a.elems, nil)
				continue
			}
		}
		a.elems = append(a.elems, &v)
	}
	return a, nil
}

func malformedArray(s string) error {
	return sqlengine.Errorf(sqlengine.CodeInvalidTextRepresentation, "malformed array literal: %q", s)
}

// quoteArrayElem renders one element as PostgreSQL's array output does.
func quoteArrayElem(v *string) string {
	if v == nil {
		return "NULL"
	}
	s := *v
	if s != "" && !strings.EqualFold(s, "NULL") && !strings.ContainsAny(s, "{},\"\\ \t\n\r") {
		return s
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// formatArray renders elements as an array with lower bound 1.
func formatArray(elems []*string) string {
	parts := make([]string, len(elems))
	for i, e := range elems {
		parts[i] = quoteArrayElem(e)
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// arrayText reads an array argument.
func arrayText(v any) (pgArray, error) {
	return parseArray(textOf(v, time.UTC))
}

// elementText renders a value as an array element.
func elementText(v any) *string {
	if v == nil {
		return nil
	}
	s := textOf(v, time.UTC)
	return &s
}

// arrayElemType returns the GMS type of the elements of an array
// expression, from the PostgreSQL type its GMS type stands for.
func arrayElemType(ctx *sql.Context, e sql.Expression) sql.Type {
	p, ok := catalogPGType(e.Type(ctx))
	if !ok {
		return textType
	}
	switch p.OID {
	case 22, 1005: // int2vector, int2[]
		return types.Int16
	case 1007:
		return types.Int32
	case 1016:
		return types.Int64
	case 30, 1028: // oidvector, oid[]
		return oidType
	case 1003:
		return markedTextType(sqlengine.NameOID)
	case 1002:
		return markedTextType(18)
	}
	return textType
}

// elementValue converts an element's text to the GMS type typ.
func elementValue(s *string, typ sql.Type) (any, error) {
	if s == nil {
		return nil, nil
	}
	switch typ {
	case types.Int16, types.Int32, types.Int64:
		n, err := strconv.ParseInt(*s, 10, 64)
		if err != nil {
			return nil, sqlengine.Errorf(sqlengine.CodeInvalidTextRepresentation, "invalid input syntax for type integer: %q", *s)
		}
		switch typ {
		case types.Int16:
			return int16(n), nil
		case types.Int32:
			return int32(n), nil
		}
		return n, nil
	case oidType:
		n, err := strconv.ParseUint(*s, 10, 32)
		if err != nil {
			return nil, sqlengine.Errorf(sqlengine.CodeInvalidTextRepresentation, "invalid input syntax for type oid: %q", *s)
		}
		return uint32(n), nil
	}
	return *s, nil
}

// arrayResult is the type of functions returning text[].
var arrayResult = fixedType(markedTextType(textArrayOID))

// arrayFuncs are the pqsql_array* functions.
func arrayFuncs() []*funcSpec {
	elemResult := func(ctx *sql.Context, args []sql.Expression) sql.Type { return arrayElemType(ctx, args[0]) }
	intResult := fixedType(types.Int32)
	return []*funcSpec{
		{name: "pqsql_array", maxArgs: -1, typ: arrayResult, keepNulls: true,
			eval: func(_ *sql.Context, _ *pgFunc, v []any) (any, error) {
				elems := make([]*string, len(v))
				for i, x := range v {
					elems[i] = elementText(x)
				}
				return formatArray(elems), nil
			}},
		{name: "pqsql_array_quote", minArgs: 1, maxArgs: 1, typ: textResult, keepNulls: true,
			eval: func(_ *sql.Context, _ *pgFunc, v []any) (any, error) {
				return quoteArrayElem(elementText(v[0])), nil
			}},
		{name: "pqsql_array_wrap", minArgs: 1, maxArgs: 1, typ: arrayResult, keepNulls: true,
			eval: func(_ *sql.Context, _ *pgFunc, v []any) (any, error) {
				if v[0] == nil {
					return "{}", nil
				}
				return "{" + textOf(v[0], time.UTC) + "}", nil
			}},
		{name: "pqsql_array_any", minArgs: 2, maxArgs: 2, typ: boolResult,
			eval: func(_ *sql.Context, _ *pgFunc, v []any) (any, error) {
				a, err := arrayText(v[1])
				if err != nil {
					return nil, err
				}
				x := textOf(v[0], time.UTC)
				sawNull := false
				for _, e := range a.elems {
					if e == nil {
						sawNull = true
					} else if *e == x {
						return int8(1), nil
					}
				}
				if sawNull {
					return nil, nil
				}
				return int8(0), nil
			}},
		{name: "pqsql_array_subscript", minArgs: 2, maxArgs: 2, typ: elemResult,
			eval: func(ctx *sql.Context, f *pgFunc, v []any) (any, error) {
				a, err := arrayText(v[0])
				if err != nil {
					return nil, err
				}
				i, err := toInt64(v[1])
				if err != nil {
					return nil, err
				}
				k := i - int64(a.lower)
				if k < 0 || k >= int64(len(a.elems)) {
					return nil, nil
				}
				return elementValue(a.elems[k], arrayElemType(ctx, f.args[0]))
			}},
		{name: "pqsql_array_to_string", minArgs: 2, maxArgs: 3, typ: textResult,
			eval: func(_ *sql.Context, _ *pgFunc, v []any) (any, error) {
				a, err := arrayText(v[0])
				if err != nil {
					return nil, err
				}
				var parts []string
				for _, e := range a.elems {
					switch {
					case e != nil:
						parts = append(parts, *e)
					case len(v) > 2:
						parts = append(parts, textOf(v[2], time.UTC))
					}
				}
				return strings.Join(parts, textOf(v[1], time.UTC)), nil
			}},
		{name: "pqsql_array_upper", minArgs: 2, maxArgs: 2, typ: intResult, eval: arrayBound(func(a pgArray) int { return a.lower + len(a.elems) - 1 })},
		{name: "pqsql_array_lower", minArgs: 2, maxArgs: 2, typ: intResult, eval: arrayBound(func(a pgArray) int { return a.lower })},
		{name: "pqsql_array_length", minArgs: 2, maxArgs: 2, typ: intResult, eval: arrayBound(func(a pgArray) int { return len(a.elems) })},
		{name: "pqsql_cardinality", minArgs: 1, maxArgs: 1, typ: intResult,
			eval: func(_ *sql.Context, _ *pgFunc, v []any) (any, error) {
				a, err := arrayText(v[0])
				if err != nil {
					return nil, err
				}
				return int32(len(a.elems)), nil
			}},
		{name: "pqsql_array_single", minArgs: 1, maxArgs: 1, typ: elemResult,
			eval: func(ctx *sql.Context, f *pgFunc, v []any) (any, error) {
				a, err := singleElement(v[0])
				if err != nil || len(a.elems) == 0 {
					return nil, err
				}
				return elementValue(a.elems[0], arrayElemType(ctx, f.args[0]))
			}},
		{name: "pqsql_pg_expandarray", minArgs: 1, maxArgs: 1, typ: textResult,
			eval: func(_ *sql.Context, _ *pgFunc, v []any) (any, error) {
				a, err := singleElement(v[0])
				if err != nil || len(a.elems) == 0 {
					return nil, err
				}
				return "(" + quoteArrayElem(a.elems[0]) + ",1)", nil
			}},
		{name: "pqsql_record_field", minArgs: 2, maxArgs: 2,
			typ: func(ctx *sql.Context, args []sql.Expression) sql.Type {
				if f, err := args[1].Eval(ctx, nil); err == nil && f == "n" {
					return types.Int32
				}
				return textType
			},
			eval: func(_ *sql.Context, _ *pgFunc, v []any) (any, error) {
				rec := textOf(v[0], time.UTC)
				if len(rec) < 2 || rec[0] != '(' || rec[len(rec)-1] != ')' {
					return nil, malformedArray(rec)
				}
				a, err := parseArray("{" + rec[1:len(rec)-1] + "}")
				if err != nil || len(a.elems) != 2 {
					return nil, sqlengine.Errorf(sqlengine.CodeInvalidTextRepresentation, "malformed record literal: %q", rec)
				}
				if textOf(v[1], time.UTC) == "n" {
					return elementValue(a.elems[1], types.Int32)
				}
				return elementValue(a.elems[0], textType)
			}},
	}
}

// singleElement reads an array that the scalar stand-ins of set-returning
// functions expand: it must have at most one element.
func singleElement(v any) (pgArray, error) {
	a, err := arrayText(v)
	if err != nil {
		return a, err
	}
	if len(a.elems) > 1 {
		return a, sqlengine.Errorf(sqlengine.CodeFeatureNotSupported, "set-returning functions over arrays of more than one element are not supported")
	}
	return a, nil
}

// arrayBound builds array_upper, array_lower and array_length: NULL for an
// empty array or a dimension other than 1.
func arrayBound(f func(pgArray) int) func(*sql.Context, *pgFunc, []any) (any, error) {
	return func(_ *sql.Context, _ *pgFunc, v []any) (any, error) {
		a, err := arrayText(v[0])
		if err != nil {
			return nil, err
		}
		dim, err := toInt64(v[1])
		if err != nil {
			return nil, err
		}
		if dim != 1 || len(a.elems) == 0 {
			return nil, nil
		}
		return int32(f(a)), nil
	}
}

// isArrayOID reports whether oid is one of the array types of pqsql_cast.
func isArrayOID(oid uint32) bool {
	for _, o := range arrayTypeOIDs {
		if o == oid {
			return true
		}
	}
	return false
}

// castToArray converts a value to an array type: an array or vector in
// text form is rendered with lower bound 1.
func castToArray(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	a, err := arrayText(v)
	if err != nil {
		return nil, err
	}
	return formatArray(a.elems), nil
}

// castDefaultType is the GMS type of a cast to a type held as text.
func castDefaultType(oid uint32) sql.Type {
	if t := markedTextType(oid); t != nil {
		return t
	}
	return textType
}
