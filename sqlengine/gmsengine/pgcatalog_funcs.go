package gmsengine

import (
	"strconv"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"

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
	return []*funcSpec{
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

// evalRegCast handles the casts from and to the reg* types; ok is false
// for other casts.
func evalRegCast(ctx *sql.Context, ct *castTarget, v any) (out any, ok bool, err error) {
	if isRegOID(ct.oid) {
		out, err = castToReg(ctx, v, ct.oid)
		return out, true, err
	}
	src := regTypeOID(ct.source)
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
