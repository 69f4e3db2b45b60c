package gmsengine

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/pqsql/pqsql/sqlengine"
	"github.com/pqsql/pqsql/sqlengine/pgcatalog"
)

// PostgreSQL OIDs of the reg* types.
const (
	regclassOID     uint32 = 2205
	regtypeOID      uint32 = 2206
	regnamespaceOID uint32 = 4089
)

// pgCatalogFuncs are the catalog functions answered from package pgcatalog
// for the session's catalogs.
func pgCatalogFuncs() []*funcSpec {
	size := func(name string) *funcSpec {
		return &funcSpec{name: name, minArgs: 1, maxArgs: 2, typ: fixedType(types.Int64), nonDeterministic: true, eval: evalRelationSize}
	}
	fs := []*funcSpec{
		jsonBuildObjectSpec,
		{name: "pqsql_reg_out", minArgs: 2, maxArgs: 2, nonDeterministic: true,
			typ: func(ctx *sql.Context, args []sql.Expression) sql.Type {
				if v, err := args[1].Eval(ctx, nil); err == nil {
					if oid := castOIDs[textOf(v, time.UTC)]; isRegOID(oid) {
						return markedTextType(oid)
					}
				}
				return textType
			},
			eval: func(ctx *sql.Context, _ *pgFunc, v []any) (any, error) {
				return regOut(ctx, v[0], castOIDs[textOf(v[1], time.UTC)])
			}},
		// pg_default and pg_global have no location of their own.
		constFunc("pqsql_pg_tablespace_location", textType, ""),
		size("pqsql_pg_table_size"), size("pqsql_pg_total_relation_size"), size("pqsql_pg_relation_size"),
		{name: "pqsql_pg_table_is_visible", minArgs: 1, maxArgs: 1, typ: boolResult, nonDeterministic: true,
			eval: func(ctx *sql.Context, _ *pgFunc, v []any) (any, error) {
				oid, err := oidArg(v[0])
				if err != nil {
					return nil, err
				}
				vis, ok := catalogInputOf(ctx).TableIsVisible(oid)
				if !ok {
					return nil, nil
				}
				return boolValue(vis), nil
			}},
		{name: "pqsql_pg_type_is_visible", minArgs: 1, maxArgs: 1, typ: boolResult,
			eval: func(_ *sql.Context, _ *pgFunc, v []any) (any, error) {
				oid, err := oidArg(v[0])
				if err != nil {
					return nil, err
				}
				vis, ok := pgcatalog.TypeIsVisible(oid)
				if !ok {
					return nil, nil
				}
				return boolValue(vis), nil
			}},
		{name: "pqsql_pg_get_userbyid", minArgs: 1, maxArgs: 1, typ: fixedType(markedTextType(sqlengine.NameOID)), nonDeterministic: true,
			eval: func(ctx *sql.Context, _ *pgFunc, v []any) (any, error) {
				oid, err := oidArg(v[0])
				if err != nil {
					return nil, err
				}
				return catalogInputOf(ctx).GetUserByID(oid), nil
			}},
		{name: "pqsql_format_type", minArgs: 2, maxArgs: 2, typ: textResult, keepNulls: true,
			eval: func(_ *sql.Context, _ *pgFunc, v []any) (any, error) {
				if v[0] == nil {
					return nil, nil
				}
				oid, err := oidArg(v[0])
				if err != nil {
					return nil, err
				}
				if v[1] == nil {
					return pgcatalog.FormatTypeName(oid), nil
				}
				typmod, err := toInt64(v[1])
				if err != nil {
					return nil, err
				}
				return pgcatalog.FormatType(oid, int32(typmod)), nil
			}},
		{name: "pqsql_pg_get_indexdef", minArgs: 1, maxArgs: 3, typ: textResult, nonDeterministic: true,
			eval: func(ctx *sql.Context, _ *pgFunc, v []any) (any, error) {
				oid, err := oidArg(v[0])
				if err != nil {
					return nil, err
				}
				col := int64(0)
				if len(v) > 1 {
					if col, err = toInt64(v[1]); err != nil {
						return nil, err
					}
				}
				def, ok := catalogInputOf(ctx).IndexDef(oid, int(col))
				if !ok {
					return nil, nil
				}
				return def, nil
			}},
		{name: "pqsql_pg_get_constraintdef", minArgs: 1, maxArgs: 2, typ: textResult, nonDeterministic: true,
			eval: func(ctx *sql.Context, _ *pgFunc, v []any) (any, error) {
				oid, err := oidArg(v[0])
				if err != nil {
					return nil, err
				}
				def, ok := catalogInputOf(ctx).ConstraintDef(oid)
				if !ok {
					return nil, nil
				}
				return def, nil
			}},
		{name: "pqsql_pg_encoding_to_char", minArgs: 1, maxArgs: 1, typ: fixedType(markedTextType(sqlengine.NameOID)),
			eval: func(_ *sql.Context, _ *pgFunc, v []any) (any, error) {
				n, err := toInt64(v[0])
				if err != nil {
					return nil, err
				}
				return pgcatalog.EncodingToChar(int32(n)), nil
			}},
		{name: "pqsql_pg_size_pretty", minArgs: 1, maxArgs: 1, typ: textResult,
			eval: func(_ *sql.Context, _ *pgFunc, v []any) (any, error) {
				n, err := toInt64(v[0])
				if err != nil {
					return nil, err
				}
				return pgcatalog.SizePretty(n), nil
			}},
	}
	// Every operator, operator class, collation ... is a built-in one of
	// pg_catalog, which is always on the search path.
	for _, n := range []string{"operator", "opclass", "opfamily", "conversion", "collation", "ts_config",
		"ts_dict", "ts_parser", "ts_template", "statistics_obj"} {
		fs = append(fs, constFunc("pqsql_pg_"+n+"_is_visible", types.Boolean, int8(1)))
	}
	return fs
}

// boolValue is GMS's representation of a boolean.
func boolValue(b bool) int8 {
	if b {
		return 1
	}
	return 0
}

// catalogInputOf returns the catalogs' input for the session of ctx.
func catalogInputOf(ctx *sql.Context) *pgcatalog.Input {
	if s := pgSession(ctx); s != nil {
		return s.e.catalogInput(ctx)
	}
	return &pgcatalog.Input{}
}

// oidArg reads an oid argument: a number or its text.
func oidArg(v any) (uint32, error) {
	n, err := toInt64(v)
	if err != nil {
		return 0, sqlengine.Errorf(sqlengine.CodeInvalidTextRepresentation, "invalid input syntax for type oid: %q", textOf(v, time.UTC))
	}
	if n < -2147483648 || n > 4294967295 {
		return 0, sqlengine.Errorf(sqlengine.CodeNumericValueOutOfRange, "value %d is out of range for type oid", n)
	}
	return uint32(n), nil
}

// isRegOID reports whether oid is regclass, regtype or regnamespace.
func isRegOID(oid uint32) bool {
	return oid == regclassOID || oid == regtypeOID || oid == regnamespaceOID
}

// castToReg converts v to regclass, regtype or regnamespace: a number is
// the OID itself, text is a name resolved as PostgreSQL resolves it.
func castToReg(ctx *sql.Context, v any, target uint32) (any, error) {
	if v == nil {
		return nil, nil
	}
	s, isText := v.(string)
	if !isText {
		return oidArg(v)
	}
	if n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 32); err == nil {
		return uint32(n), nil
	}
	switch target {
	case regclassOID:
		return catalogInputOf(ctx).RegclassIn(s)
	case regtypeOID:
		return pgcatalog.RegtypeIn(s)
	default:
		return pgcatalog.RegnamespaceIn(s)
	}
}

// regOut renders an OID of reg* type source as its name.
func regOut(ctx *sql.Context, v any, source uint32) (string, error) {
	oid, err := oidArg(v)
	if err != nil {
		return "", err
	}
	switch source {
	case regclassOID:
		return catalogInputOf(ctx).RegclassOut(oid), nil
	case regtypeOID:
		return pgcatalog.RegtypeOut(oid), nil
	default:
		return pgcatalog.RegnamespaceOut(oid), nil
	}
}

// evalCatalogCast handles the casts to array types and from and to the reg*
// types; ok is false for other casts. A reg* value is its OID (reported as
// oid); a cast of one to text renders its name.
func evalCatalogCast(ctx *sql.Context, f *pgFunc, v any) (out any, ok bool, err error) {
	ct := f.state.(*castTarget)
	if isArrayOID(ct.oid) {
		out, err = castToArray(v)
		return out, true, err
	}
	if isRegOID(ct.oid) {
		out, err = castToReg(ctx, v, ct.oid)
		return out, true, err
	}
	src := regCastOID(f.args[0])
	if src == 0 || v == nil {
		return nil, false, nil
	}
	switch ct.oid {
	case sqlengine.TextOID, sqlengine.NameOID, sqlengine.VarcharOID, sqlengine.BPCharOID:
		out, err = regOut(ctx, v, src)
		return out, true, err
	}
	return nil, false, nil
}

// regCastOID returns the reg* type e is a cast to, or 0.
func regCastOID(e sql.Expression) uint32 {
	if pf, ok := e.(*pgFunc); ok {
		if ct, ok := pf.state.(*castTarget); ok && isRegOID(ct.oid) {
			return ct.oid
		}
	}
	return 0
}

// jsonBuildObjectSpec is json_build_object(key, value, ...), rendered as
// PostgreSQL renders it: {"k" : v, ...}.
var jsonBuildObjectSpec = &funcSpec{name: "pqsql_json_build_object", maxArgs: -1, typ: fixedType(jsonType), keepNulls: true,
	eval: func(ctx *sql.Context, f *pgFunc, v []any) (any, error) {
		if len(v)%2 != 0 {
			return nil, sqlengine.Errorf(sqlengine.CodeInvalidParameterValue, "argument list must have even number of elements")
		}
		var b strings.Builder
		b.WriteByte('{')
		for i := 0; i < len(v); i += 2 {
			if v[i] == nil {
				return nil, sqlengine.Errorf(sqlengine.CodeInvalidParameterValue, "argument %d cannot be null", i+1)
			}
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(jsonString(textOf(v[i], time.UTC)))
			b.WriteString(" : ")
			val, typ := v[i+1], f.args[i+1].Type(ctx)
			switch {
			case val == nil:
				b.WriteString("null")
			case types.IsBoolean(typ):
				if n, _ := toInt64(val); n != 0 {
					b.WriteString("true")
				} else {
					b.WriteString("false")
				}
			case types.IsNumber(typ) || types.IsDecimal(typ):
				b.WriteString(textOf(val, time.UTC))
			default:
				b.WriteString(jsonString(textOf(val, time.UTC)))
			}
		}
		b.WriteByte('}')
		return b.String(), nil
	}}

// jsonString renders s as a JSON string, escaping as PostgreSQL does.
func jsonString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// evalRelationSize is pg_table_size, pg_total_relation_size and
// pg_relation_size: the size of a table's Parquet files, 0 for other
// relations, NULL for an OID that is no relation.
func evalRelationSize(ctx *sql.Context, _ *pgFunc, v []any) (any, error) {
	// The argument is a regclass: a table name or an OID.
	r, err := castToReg(ctx, v[0], regclassOID)
	if err != nil {
		return nil, err
	}
	oid := r.(uint32)
	s := pgSession(ctx)
	if s == nil {
		return nil, nil
	}
	in := s.e.catalogInput(ctx)
	for _, r := range in.Relations {
		if r.OID != oid {
			continue
		}
		st, ok, err := s.e.db.GetTableInsensitive(ctx, r.Name)
		if err != nil || !ok {
			return nil, err
		}
		if tb, ok := st.(*table); ok {
			n, err := tb.DataLength(ctx)
			return int64(n), err
		}
		return int64(0), nil
	}
	if _, ok := in.TableIsVisible(oid); ok {
		return int64(0), nil
	}
	return nil, nil
}
