package gmsengine

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"

	"github.com/pqsql/pqsql/sqlengine"
)

// privilegeFuncs are the has_*_privilege functions; pqsql answers true: a
// user who can connect may read every table (roles only gate DELETE and
// VACUUM, which check for themselves).
var privilegeFuncs = []string{
	"has_any_column_privilege", "has_column_privilege", "has_database_privilege",
	"has_foreign_data_wrapper_privilege", "has_function_privilege", "has_language_privilege",
	"has_parameter_privilege", "has_schema_privilege", "has_sequence_privilege",
	"has_server_privilege", "has_table_privilege", "has_tablespace_privilege", "has_type_privilege",
}

// constFunc returns a function of any arity with a fixed result.
func constFunc(name string, typ sql.Type, v any) *funcSpec {
	return &funcSpec{name: name, maxArgs: -1, typ: fixedType(typ), keepNulls: true,
		eval: func(*sql.Context, *pgFunc, []any) (any, error) { return v, nil }}
}

// catalogFuncs are the catalog helper functions client tools call. Without a
// catalog of functions, views, constraints or comments they give the answers
// an empty catalog gives.
func catalogFuncs() []*funcSpec {
	fs := []*funcSpec{
		constFunc("pqsql_pg_function_is_visible", types.Boolean, int8(1)),
		constFunc("pqsql_pg_has_role", types.Boolean, int8(1)),
		constFunc("pqsql_pg_relation_is_publishable", types.Boolean, int8(0)),
		constFunc("pqsql_obj_description", textType, nil),
		constFunc("pqsql_col_description", textType, nil),
		constFunc("pqsql_shobj_description", textType, nil),
		constFunc("pqsql_pg_get_expr", textType, nil),
		constFunc("pqsql_pg_get_viewdef", textType, nil),
		constFunc("pqsql_pg_get_function_arguments", textType, nil),
		constFunc("pqsql_pg_get_function_result", textType, nil),
		constFunc("pqsql_pg_get_statisticsobjdef_columns", textType, nil),
		constFunc("pqsql_pg_get_serial_sequence", textType, nil),
		{name: "pqsql_pg_postmaster_start_time", typ: fixedType(timestamptzType), nonDeterministic: true,
			eval: func(ctx *sql.Context, _ *pgFunc, _ []any) (any, error) {
				if s := pgSession(ctx); s != nil {
					return s.e.started, nil
				}
				return time.Now().UTC(), nil
			}},
		{name: "pqsql_txid_current", typ: fixedType(types.Int64), nonDeterministic: true,
			eval: func(ctx *sql.Context, _ *pgFunc, _ []any) (any, error) {
				if s := pgSession(ctx); s != nil {
					return int64(s.seq) + 1000, nil
				}
				return int64(1000), nil
			}},
		{name: "pqsql_to_timestamp", minArgs: 1, maxArgs: 1, typ: fixedType(timestamptzType), eval: func(_ *sql.Context, _ *pgFunc, v []any) (any, error) {
			f, err := toFloat64(v[0])
			if err != nil {
				return nil, err
			}
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return nil, sqlengine.Errorf(sqlengine.CodeDatetimeFieldOverflow, "timestamp out of range")
			}
			return time.UnixMicro(int64(math.Round(f * 1e6))).UTC(), nil
		}},
		{name: "pqsql_timezone", minArgs: 2, maxArgs: 2, typ: func(ctx *sql.Context, a []sql.Expression) sql.Type {
			if a[1].Type(ctx).Type() == sqltypes.Timestamp {
				return timestampType
			}
			return timestamptzType
		}, eval: evalAtTimeZone},
		{name: "pqsql_to_char", minArgs: 2, maxArgs: 2, typ: textResult, eval: evalToChar},
	}
	for _, n := range privilegeFuncs {
		fs = append(fs, constFunc("pqsql_"+n, types.Boolean, int8(1)))
	}
	return fs
}

// typeNames are format_type's names for the built-in types pqsql uses.
var typeNames = map[uint32]string{
	sqlengine.BoolOID: "boolean", sqlengine.ByteaOID: "bytea", sqlengine.NameOID: "name",
	sqlengine.Int8OID: "bigint", sqlengine.Int2OID: "smallint", sqlengine.Int4OID: "integer",
	sqlengine.TextOID: "text", sqlengine.OIDOID: "oid", sqlengine.JSONOID: "json",
	sqlengine.Float4OID: "real", sqlengine.Float8OID: "double precision", sqlengine.UnknownOID: "unknown",
	sqlengine.BPCharOID: "character", sqlengine.VarcharOID: "character varying", sqlengine.DateOID: "date",
	sqlengine.TimeOID: "time without time zone", sqlengine.TimestampOID: "timestamp without time zone",
	sqlengine.TimestamptzOID: "timestamp with time zone", sqlengine.IntervalOID: "interval",
	sqlengine.NumericOID: "numeric", sqlengine.UUIDOID: "uuid", sqlengine.JSONBOID: "jsonb",
}

// evalAtTimeZone is "ts AT TIME ZONE zone": a timestamptz becomes the wall
// clock in zone; a timestamp is read as a wall clock in zone.
func evalAtTimeZone(ctx *sql.Context, f *pgFunc, v []any) (any, error) {
	zone := textOf(v[0], time.UTC)
	loc, err := loadLocation(zone)
	if err != nil {
		return nil, sqlengine.Errorf(sqlengine.CodeInvalidParameterValue, "time zone %q not recognized", zone)
	}
	t, ok := v[1].(time.Time)
	if !ok {
		if t, ok = parseTime(textOf(v[1], time.UTC), time.UTC); !ok {
			return nil, sqlengine.Errorf(sqlengine.CodeInvalidDatetimeFormat, "invalid input syntax for type timestamp with time zone: %q", textOf(v[1], time.UTC))
		}
	}
	if f.args[1].Type(ctx).Type() == sqltypes.Timestamp {
		return wallClockUTC(t.In(loc)), nil
	}
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	return time.Date(y, mo, d, h, mi, s, t.Nanosecond(), loc).UTC(), nil
}

// toCharPatterns are the to_char date/time template patterns pqsql knows,
// longest first so that "Month" wins over "MM".
var toCharPatterns = []string{
	"YYYY", "HH24", "HH12", "Month", "month", "MONTH", "Day", "day", "DAY",
	"Mon", "mon", "MON", "Dy", "dy", "DY", "YY", "MM", "DD", "HH", "MI", "SS", "MS", "US",
	"AM", "PM", "am", "pm", "TZ", "tz", "Q", "D",
}

// evalToChar is to_char(timestamp, format) for the common template
// patterns; other values are rendered as text.
func evalToChar(ctx *sql.Context, f *pgFunc, v []any) (any, error) {
	t, ok := v[0].(time.Time)
	if !ok {
		return textOf(v[0], time.UTC), nil
	}
	if f.args[0].Type(ctx).Type() == sqltypes.Timestamp {
		if s := pgSession(ctx); s != nil {
			t = t.In(s.settings.location())
		}
	}
	format := textOf(v[1], time.UTC)
	var b strings.Builder
	for i := 0; i < len(format); {
		if format[i] == '"' {
			j := strings.IndexByte(format[i+1:], '"')
			if j < 0 {
				b.WriteString(format[i+1:])
				break
			}
			b.WriteString(format[i+1 : i+1+j])
			i += j + 2
			continue
		}
		matched := false
		for _, p := range toCharPatterns {
			if strings.HasPrefix(format[i:], p) {
				b.WriteString(toCharField(t, p))
				i += len(p)
				matched = true
				break
			}
		}
		if !matched {
			b.WriteByte(format[i])
			i++
		}
	}
	return b.String(), nil
}

func toCharField(t time.Time, p string) string {
	h12 := t.Hour() % 12
	if h12 == 0 {
		h12 = 12
	}
	switch p {
	case "YYYY":
		return fmt.Sprintf("%04d", t.Year())
	case "YY":
		return fmt.Sprintf("%02d", t.Year()%100)
	case "MM":
		return fmt.Sprintf("%02d", int(t.Month()))
	case "DD":
		return fmt.Sprintf("%02d", t.Day())
	case "HH24":
		return fmt.Sprintf("%02d", t.Hour())
	case "HH12", "HH":
		return fmt.Sprintf("%02d", h12)
	case "MI":
		return fmt.Sprintf("%02d", t.Minute())
	case "SS":
		return fmt.Sprintf("%02d", t.Second())
	case "MS":
		return fmt.Sprintf("%03d", t.Nanosecond()/1e6)
	case "US":
		return fmt.Sprintf("%06d", t.Nanosecond()/1e3)
	case "AM", "PM":
		if t.Hour() < 12 {
			return "AM"
		}
		return "PM"
	case "am", "pm":
		if t.Hour() < 12 {
			return "am"
		}
		return "pm"
	case "Month":
		return fmt.Sprintf("%-9s", t.Month().String())
	case "month":
		return fmt.Sprintf("%-9s", strings.ToLower(t.Month().String()))
	case "MONTH":
		return fmt.Sprintf("%-9s", strings.ToUpper(t.Month().String()))
	case "Mon":
		return t.Month().String()[:3]
	case "mon":
		return strings.ToLower(t.Month().String()[:3])
	case "MON":
		return strings.ToUpper(t.Month().String()[:3])
	case "Day":
		return fmt.Sprintf("%-9s", t.Weekday().String())
	case "day":
		return fmt.Sprintf("%-9s", strings.ToLower(t.Weekday().String()))
	case "DAY":
		return fmt.Sprintf("%-9s", strings.ToUpper(t.Weekday().String()))
	case "Dy":
		return t.Weekday().String()[:3]
	case "dy":
		return strings.ToLower(t.Weekday().String()[:3])
	case "DY":
		return strings.ToUpper(t.Weekday().String()[:3])
	case "Q":
		return fmt.Sprint((int(t.Month())-1)/3 + 1)
	case "D":
		return fmt.Sprint(int(t.Weekday()) + 1)
	case "TZ", "tz":
		name, _ := t.Zone()
		if p == "tz" {
			return strings.ToLower(name)
		}
		return name
	}
	return p
}
