package gmsengine

import (
	"fmt"
	"regexp"
	"runtime"
	"strings"
	"time"
	"unicode"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"
	"github.com/shopspring/decimal"

	"github.com/pqsql/pqsql/sqlengine"
)

// versionString is what version() returns. It starts with "PostgreSQL 15."
// so that clients parsing it (SQLAlchemy, JDBC) see PostgreSQL 15.
func versionString() string {
	arch := runtime.GOARCH
	switch arch {
	case "amd64":
		arch = "x86_64"
	case "arm64":
		arch = "aarch64"
	}
	return fmt.Sprintf("PostgreSQL %s (pqsql %s) on %s-pc-%s-gnu, compiled by Go", serverVersion, Version, arch, runtime.GOOS)
}

func sessionFuncs() []*funcSpec {
	str := func(name string, fn func(s *session) string) *funcSpec {
		return &funcSpec{name: name, maxArgs: 0, typ: textResult, nonDeterministic: true,
			eval: func(ctx *sql.Context, _ *pgFunc, _ []any) (any, error) {
				s := pgSession(ctx)
				if s == nil {
					return nil, nil
				}
				return fn(s), nil
			}}
	}
	return []*funcSpec{
		{name: "pqsql_version", typ: textResult, eval: func(*sql.Context, *pgFunc, []any) (any, error) { return versionString(), nil }},
		{name: "pqsql_current_schema", typ: textResult, eval: func(*sql.Context, *pgFunc, []any) (any, error) { return "public", nil }},
		{name: "pqsql_current_schemas", minArgs: 1, maxArgs: 1, typ: textResult, eval: func(_ *sql.Context, _ *pgFunc, v []any) (any, error) {
			if b, _ := toBool(v[0]); b {
				return "{pg_catalog,public}", nil
			}
			return "{public}", nil
		}},
		str("pqsql_current_database", func(s *session) string { return s.e.opts.Database }),
		str("pqsql_current_user", func(s *session) string { return s.info.User }),
		str("pqsql_session_user", func(s *session) string { return s.info.User }),
		{name: "pqsql_current_setting", minArgs: 1, maxArgs: 2, typ: textResult, nonDeterministic: true, eval: evalCurrentSetting},
		{name: "pqsql_set_config", minArgs: 3, maxArgs: 3, typ: textResult, nonDeterministic: true, keepNulls: true, eval: evalSetConfig},
		{name: "pqsql_pg_backend_pid", typ: fixedType(types.Int32), nonDeterministic: true, eval: func(ctx *sql.Context, _ *pgFunc, _ []any) (any, error) {
			if s := pgSession(ctx); s != nil {
				return int32(s.info.ProcessID), nil
			}
			return int32(0), nil
		}},
		{name: "pqsql_pg_is_in_recovery", typ: boolResult, eval: func(*sql.Context, *pgFunc, []any) (any, error) { return int8(0), nil }},
		{name: "pqsql_quote_ident", minArgs: 1, maxArgs: 1, typ: textResult, eval: func(_ *sql.Context, _ *pgFunc, v []any) (any, error) {
			s := textOf(v[0], time.UTC)
			if isPlainIdent(s) {
				return s, nil
			}
			return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`, nil
		}},
	}
}

func evalCurrentSetting(ctx *sql.Context, _ *pgFunc, v []any) (any, error) {
	s := pgSession(ctx)
	name := textOf(v[0], time.UTC)
	missingOK := false
	if len(v) > 1 {
		missingOK, _ = toBool(v[1])
	}
	if s != nil {
		if val, ok := s.settings.get(name); ok {
			return val, nil
		}
	}
	if missingOK {
		return nil, nil
	}
	return nil, sqlengine.Errorf(sqlengine.CodeUndefinedObject, "unrecognized configuration parameter %q", strings.ToLower(name))
}

func evalSetConfig(ctx *sql.Context, _ *pgFunc, v []any) (any, error) {
	s := pgSession(ctx)
	if v[0] == nil {
		return nil, sqlengine.Errorf(sqlengine.CodeInvalidParameterValue, "SET requires parameter name")
	}
	name := textOf(v[0], time.UTC)
	value := ""
	if v[1] != nil {
		value = textOf(v[1], time.UTC)
	}
	local, _ := toBool(v[2])
	if s == nil {
		return value, nil
	}
	if _, err := s.checkSettable(name); err != nil {
		return nil, err
	}
	canon, err := validateSetting(name, value)
	if err != nil {
		return nil, err
	}
	before := s.settings.reportedValues()
	if !local || s.inTx {
		s.settings.set(name, canon, local)
	}
	s.reportChanges(before)
	return canon, nil
}

// timeArg reads a date/time argument; wall-clock types become UTC wall
// clock, timestamptz is shown in the session's zone.
func timeArg(ctx *sql.Context, e sql.Expression, v any) (time.Time, bool, error) {
	loc := time.UTC
	if s := pgSession(ctx); s != nil {
		loc = s.settings.location()
	}
	t := e.Type(ctx)
	switch x := v.(type) {
	case time.Time:
		if t.Type() == sqltypes.Timestamp {
			return x.In(loc), true, nil
		}
		return x, false, nil
	case string:
		tm, ok := parseTime(x, time.UTC)
		if !ok {
			return time.Time{}, false, sqlengine.Errorf(sqlengine.CodeInvalidDatetimeFormat, "invalid input syntax for type timestamp: %q", x)
		}
		return tm, false, nil
	}
	return time.Time{}, false, sqlengine.Errorf(sqlengine.CodeUndefinedFunction, "function date_trunc(unknown, %T) does not exist", v)
}

func dateFuncs() []*funcSpec {
	return []*funcSpec{
		{name: "pqsql_date_trunc", minArgs: 2, maxArgs: 3, typ: func(ctx *sql.Context, a []sql.Expression) sql.Type {
			switch a[1].Type(ctx).Type() {
			case sqltypes.Timestamp, sqltypes.Date:
				return timestamptzType
			}
			return timestampType
		}, eval: evalDateTrunc},
		{name: "pqsql_extract", minArgs: 2, maxArgs: 2, typ: fixedType(unconstrainedNumeric), eval: func(ctx *sql.Context, f *pgFunc, v []any) (any, error) {
			return extract(ctx, f, v)
		}},
		{name: "pqsql_date_part", minArgs: 2, maxArgs: 2, typ: fixedType(types.Float64), eval: func(ctx *sql.Context, f *pgFunc, v []any) (any, error) {
			d, err := extract(ctx, f, v)
			if err != nil {
				return nil, err
			}
			x, _ := d.Float64()
			return x, nil
		}},
		{name: "pqsql_age", minArgs: 1, maxArgs: 2, typ: fixedType(intervalType), nonDeterministic: true, eval: evalAge},
		{name: "pqsql_make_date", minArgs: 3, maxArgs: 3, typ: fixedType(types.Date), eval: func(_ *sql.Context, _ *pgFunc, v []any) (any, error) {
			var n [3]int64
			for i := range n {
				x, err := toInt64(v[i])
				if err != nil {
					return nil, err
				}
				n[i] = x
			}
			t := time.Date(int(n[0]), time.Month(n[1]), int(n[2]), 0, 0, 0, 0, time.UTC)
			if t.Month() != time.Month(n[1]) || t.Day() != int(n[2]) {
				return nil, sqlengine.Errorf(sqlengine.CodeDatetimeFieldOverflow, "date field value out of range: %d-%02d-%02d", n[0], n[1], n[2])
			}
			return t, nil
		}},
	}
}

// evalAge is age(a, b), and age(a): the age at today's midnight. A
// timestamptz is read in the session's zone, as PostgreSQL does.
func evalAge(ctx *sql.Context, f *pgFunc, v []any) (any, error) {
	loc := sessionLocation(ctx)
	var ts [2]time.Time
	for i, x := range v {
		t, zoned, err := timeArg(ctx, f.args[i], x)
		if err != nil {
			return nil, err
		}
		if !zoned {
			t = wallClockUTC(t)
		} else {
			t = wallClockUTC(t.In(loc))
		}
		ts[i] = t
	}
	if len(v) == 1 {
		now := ctx.QueryTime().In(loc)
		ts[1] = ts[0]
		ts[0] = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	}
	return age(ts[0], ts[1]), nil
}

func evalDateTrunc(ctx *sql.Context, f *pgFunc, v []any) (any, error) {
	field := strings.ToLower(textOf(v[0], time.UTC))
	t, zoned, err := timeArg(ctx, f.args[1], v[1])
	if err != nil {
		return nil, err
	}
	if f.args[1].Type(ctx).Type() == sqltypes.Date {
		// date_trunc on a date works on the date as timestamptz at local midnight.
		loc := time.UTC
		if s := pgSession(ctx); s != nil {
			loc = s.settings.location()
		}
		t = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
		zoned = true
	}
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	ns := t.Nanosecond()
	loc := t.Location()
	var r time.Time
	switch field {
	case "microseconds":
		r = time.Date(y, mo, d, h, mi, s, ns/1000*1000, loc)
	case "milliseconds":
		r = time.Date(y, mo, d, h, mi, s, ns/1000000*1000000, loc)
	case "second":
		r = time.Date(y, mo, d, h, mi, s, 0, loc)
	case "minute":
		r = time.Date(y, mo, d, h, mi, 0, 0, loc)
	case "hour":
		r = time.Date(y, mo, d, h, 0, 0, 0, loc)
	case "day":
		r = time.Date(y, mo, d, 0, 0, 0, 0, loc)
	case "week":
		wd := (int(t.Weekday()) + 6) % 7
		r = time.Date(y, mo, d-wd, 0, 0, 0, 0, loc)
	case "month":
		r = time.Date(y, mo, 1, 0, 0, 0, 0, loc)
	case "quarter":
		r = time.Date(y, (mo-1)/3*3+1, 1, 0, 0, 0, 0, loc)
	case "year":
		r = time.Date(y, 1, 1, 0, 0, 0, 0, loc)
	case "decade":
		r = time.Date(floorDiv(y, 10)*10, 1, 1, 0, 0, 0, 0, loc)
	case "century":
		r = time.Date((y-1)/100*100+1, 1, 1, 0, 0, 0, 0, loc)
	case "millennium":
		r = time.Date((y-1)/1000*1000+1, 1, 1, 0, 0, 0, 0, loc)
	default:
		return nil, sqlengine.Errorf(sqlengine.CodeInvalidParameterValue, "unit %q not recognized for type timestamp", field)
	}
	if zoned {
		return r.UTC(), nil
	}
	return r, nil
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// extract is EXTRACT(field FROM x) with a numeric result.
func extract(ctx *sql.Context, f *pgFunc, v []any) (decimal.Decimal, error) {
	field := strings.ToLower(textOf(v[0], time.UTC))
	t, _, err := timeArg(ctx, f.args[1], v[1])
	if err != nil {
		return decimal.Decimal{}, err
	}
	i := func(n int) decimal.Decimal { return decimal.NewFromInt(int64(n)) }
	y, mo, d := t.Date()
	switch field {
	case "year":
		return i(y), nil
	case "month":
		return i(int(mo)), nil
	case "day":
		return i(d), nil
	case "hour":
		return i(t.Hour()), nil
	case "minute":
		return i(t.Minute()), nil
	case "second":
		return decimal.New(int64(t.Second())*1000000+int64(t.Nanosecond()/1000), -6), nil
	case "milliseconds":
		return decimal.New(int64(t.Second())*1000000+int64(t.Nanosecond()/1000), -3), nil
	case "microseconds":
		return i(t.Second()*1000000 + t.Nanosecond()/1000), nil
	case "dow":
		return i(int(t.Weekday())), nil
	case "isodow":
		wd := int(t.Weekday())
		if wd == 0 {
			wd = 7
		}
		return i(wd), nil
	case "doy":
		return i(t.YearDay()), nil
	case "week":
		_, w := t.ISOWeek()
		return i(w), nil
	case "isoyear":
		iy, _ := t.ISOWeek()
		return i(iy), nil
	case "quarter":
		return i((int(mo)-1)/3 + 1), nil
	case "decade":
		return i(floorDiv(y, 10)), nil
	case "century":
		if y > 0 {
			return i((y + 99) / 100), nil
		}
		return i(-((99 - y) / 100)), nil
	case "millennium":
		return i((y + 999) / 1000), nil
	case "epoch":
		if f.args[1].Type(ctx).Type() == sqltypes.Date {
			return i(int(t.Unix())), nil
		}
		return decimal.New(t.UnixMicro(), -6), nil
	case "timezone":
		_, off := t.Zone()
		return i(off), nil
	}
	return decimal.Decimal{}, sqlengine.Errorf(sqlengine.CodeInvalidParameterValue, "unit %q not recognized for type timestamp", field)
}

func stringFuncs() []*funcSpec {
	trim := func(name string, left, right bool) *funcSpec {
		return &funcSpec{name: name, minArgs: 1, maxArgs: 2, typ: textResult, eval: func(_ *sql.Context, _ *pgFunc, v []any) (any, error) {
			s := textOf(v[0], time.UTC)
			chars := " "
			if len(v) > 1 {
				chars = textOf(v[1], time.UTC)
			}
			if left {
				s = strings.TrimLeft(s, chars)
			}
			if right {
				s = strings.TrimRight(s, chars)
			}
			return s, nil
		}}
	}
	return []*funcSpec{
		trim("pqsql_btrim", true, true),
		trim("pqsql_ltrim", true, false),
		trim("pqsql_rtrim", false, true),
		{name: "pqsql_split_part", minArgs: 3, maxArgs: 3, typ: textResult, eval: func(_ *sql.Context, _ *pgFunc, v []any) (any, error) {
			s, delim := textOf(v[0], time.UTC), textOf(v[1], time.UTC)
			n, err := toInt64(v[2])
			if err != nil {
				return nil, err
			}
			if n == 0 {
				return nil, sqlengine.Errorf(sqlengine.CodeInvalidParameterValue, "field position must not be zero")
			}
			var parts []string
			if delim == "" {
				parts = []string{s}
			} else {
				parts = strings.Split(s, delim)
			}
			if n < 0 {
				n = int64(len(parts)) + n + 1
			}
			if n < 1 || n > int64(len(parts)) {
				return "", nil
			}
			return parts[n-1], nil
		}},
		{name: "pqsql_strpos", minArgs: 2, maxArgs: 2, typ: fixedType(types.Int32), eval: func(_ *sql.Context, _ *pgFunc, v []any) (any, error) {
			s, sub := textOf(v[0], time.UTC), textOf(v[1], time.UTC)
			i := strings.Index(s, sub)
			if i < 0 {
				return int32(0), nil
			}
			return int32(len([]rune(s[:i])) + 1), nil
		}},
		{name: "pqsql_initcap", minArgs: 1, maxArgs: 1, typ: textResult, eval: func(_ *sql.Context, _ *pgFunc, v []any) (any, error) {
			rs := []rune(textOf(v[0], time.UTC))
			start := true
			for i, r := range rs {
				if unicode.IsLetter(r) || unicode.IsDigit(r) {
					if start {
						rs[i] = unicode.ToUpper(r)
					} else {
						rs[i] = unicode.ToLower(r)
					}
					start = false
				} else {
					start = true
				}
			}
			return string(rs), nil
		}},
		{name: "pqsql_regexp_replace", minArgs: 3, maxArgs: 4, typ: textResult, eval: func(_ *sql.Context, _ *pgFunc, v []any) (any, error) {
			src, pat, repl := textOf(v[0], time.UTC), textOf(v[1], time.UTC), textOf(v[2], time.UTC)
			flags := ""
			if len(v) > 3 {
				flags = textOf(v[3], time.UTC)
			}
			if strings.Contains(flags, "i") {
				pat = "(?i)" + pat
			}
			re, err := regexp.Compile(pat)
			if err != nil {
				return nil, sqlengine.Errorf("2201B", "invalid regular expression: %v", err)
			}
			// PostgreSQL writes \1 for group references; Go's regexp uses ${1}.
			repl = regexp.MustCompile(`\\(\d)`).ReplaceAllString(strings.ReplaceAll(repl, "$", "$$"), "$${$1}")
			if strings.Contains(flags, "g") {
				return re.ReplaceAllString(src, repl), nil
			}
			loc := re.FindStringSubmatchIndex(src)
			if loc == nil {
				return src, nil
			}
			out := re.ExpandString(nil, repl, src, loc)
			return src[:loc[0]] + string(out) + src[loc[1]:], nil
		}},
	}
}
