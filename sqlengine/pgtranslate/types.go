package pgtranslate

import (
	"strconv"
	"strings"

	"github.com/dolthub/vitess/go/vt/sqlparser"
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/pqsql/pqsql/sqlengine"
)

// typeCast converts x::t, CAST(x AS t) and typed literals (DATE '...') into
// pqsql_cast(x, 'canonical type name'[, typmods...]).
func (t *translator) typeCast(tc *pg_query.TypeCast) (sqlparser.Expr, error) {
	arg, err := t.expr(tc.Arg)
	if err != nil {
		return nil, err
	}
	name, typmods, err := t.typeName(tc.TypeName)
	if err != nil {
		return nil, err
	}
	return castCall(arg, name, typmods...), nil
}

// castCall builds pqsql_cast(arg, 'typename', typmods...).
func castCall(arg sqlparser.Expr, typename string, typmods ...sqlparser.Expr) *sqlparser.FuncExpr {
	args := append([]sqlparser.Expr{arg, sqlparser.NewStrVal([]byte(typename))}, typmods...)
	return funcExpr(pqsqlPrefix+"cast", args...)
}

// typeName returns the canonical PostgreSQL name of a type and its modifiers.
func (t *translator) typeName(tn *pg_query.TypeName) (string, []sqlparser.Expr, error) {
	names, err := t.stringList(tn.Names, tn.Location)
	if err != nil {
		return "", nil, err
	}
	if tn.Setof || tn.PctType {
		return "", nil, t.unsupported(tn.Location, "unsupported type reference")
	}
	if len(names) == 0 {
		return "", nil, t.unsupported(tn.Location, "missing type name")
	}
	written := strings.Join(names, ".")
	if len(names) > 2 {
		return "", nil, t.unsupported(tn.Location, "cross-database references are not implemented: %s", written)
	}
	if len(names) <= 2 && (len(names) == 1 || names[0] == "information_schema") {
		// The information_schema domains, as their base types.
		switch names[len(names)-1] {
		case "cardinal_number":
			names = []string{"int4"}
		case "character_data", "yes_or_no":
			names = []string{"varchar"}
		case "sql_identifier":
			names = []string{"name"}
		case "time_stamp":
			names = []string{"timestamptz"}
		}
	}
	if len(names) == 2 && names[0] != "pg_catalog" {
		if names[0] != "public" && names[0] != "information_schema" {
			return "", nil, t.errorAt(sqlengine.CodeInvalidSchemaName, tn.Location, "schema %q does not exist", names[0])
		}
		return "", nil, t.errorAt(sqlengine.CodeUndefinedObject, tn.Location, "type %q does not exist", written)
	}
	name := canonicalType(names[len(names)-1])
	if name == "" && knownUnsupportedType(names[len(names)-1]) {
		return "", nil, t.unsupported(tn.Location, "type %s is not supported", names[len(names)-1])
	}
	if name == "" {
		return "", nil, t.errorAt(sqlengine.CodeUndefinedObject, tn.Location, "type %q does not exist", written)
	}
	if len(tn.ArrayBounds) > 0 {
		name, err = t.arrayTypeName(tn, name)
		return name, nil, err
	}
	var typmods []sqlparser.Expr
	switch name {
	case "numeric", "varchar", "bpchar", "timestamp", "timestamptz", "time", "timetz":
		for _, m := range tn.Typmods {
			v, ok := intLiteral(m)
			if !ok {
				return "", nil, t.errorAt(sqlengine.CodeSyntaxError, location(m), "type modifiers must be simple constants or identifiers")
			}
			typmods = append(typmods, sqlparser.NewIntVal([]byte(strconv.FormatInt(v, 10))))
		}
	case "interval":
		// Interval field restrictions (INTERVAL '1' DAY) are not applied.
	default:
		if len(tn.Typmods) > 0 {
			return "", nil, t.errorAt(sqlengine.CodeSyntaxError, tn.Location, "type modifier is not allowed for type %q", name)
		}
	}
	return name, typmods, nil
}

// canonicalType maps a type name as written (or as the grammar already
// normalized it) onto PostgreSQL's internal name, or "" for an unknown type.
func canonicalType(name string) string {
	switch name {
	case "bool", "boolean":
		return "bool"
	case "int2", "smallint":
		return "int2"
	case "int4", "int", "integer":
		return "int4"
	case "int8", "bigint":
		return "int8"
	case "float4", "real":
		return "float4"
	case "float8", "float", "double precision":
		return "float8"
	case "numeric", "decimal":
		return "numeric"
	case "text":
		return "text"
	case "varchar", "character varying":
		return "varchar"
	case "bpchar", "character":
		return "bpchar"
	case "name":
		return "name"
	case "date":
		return "date"
	case "time", "time without time zone":
		return "time"
	case "timetz", "time with time zone":
		return "timetz"
	case "timestamp", "timestamp without time zone":
		return "timestamp"
	case "timestamptz", "timestamp with time zone":
		return "timestamptz"
	case "interval", "bytea", "uuid", "json", "jsonb", "oid", "regclass", "regtype", "regproc",
		"regprocedure", "regnamespace", "regrole", "regoper", "unknown", "char":
		// "char" (quoted) is PostgreSQL's one-byte internal type, used by
		// catalog columns such as pg_class.relkind.
		return name
	}
	return ""
}

// knownUnsupportedType reports whether name is a built-in PostgreSQL type
// pqsql does not implement, which PostgreSQL would accept.
func knownUnsupportedType(name string) bool {
	switch name {
	case "bit", "varbit", "bit varying", "money", "inet", "cidr", "macaddr", "macaddr8", "point", "line",
		"lseg", "box", "path", "polygon", "circle", "xml", "tsvector", "tsquery", "int2vector", "oidvector",
		"xid", "xid8", "cid", "tid", "pg_lsn", "txid_snapshot", "pg_snapshot", "regconfig", "regdictionary",
		"regoperator", "regcollation", "aclitem", "jsonpath", "int4range", "int8range", "numrange",
		"tsrange", "tstzrange", "daterange", "record", "void", "anyelement", "anyarray", "cstring":
		return true
	}
	return false
}
