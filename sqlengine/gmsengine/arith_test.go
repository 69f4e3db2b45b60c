package gmsengine

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/pqsql/pqsql/sqlengine"
)

func TestIntervalText(t *testing.T) {
	cases := []struct {
		in   string
		want string
	}{
		{"1 month", "1 mon"},
		{"1 day", "1 day"},
		{"2 hours", "02:00:00"},
		{"1 year 2 mons", "1 year 2 mons"},
		{"2 days 3 hours", "2 days 03:00:00"},
		{"1 mon 2 days 03:00:00", "1 mon 2 days 03:00:00"},
		{"-1 day", "-1 days"},
		{"-1 day 02:00:00", "-1 days +02:00:00"},
		{"1.5 days", "1 day 12:00:00"},
		{"1.5 months", "1 mon 15 days"},
		{"90 minutes", "01:30:00"},
		{"1 week", "7 days"},
		{"10", "00:00:10"},
		{"0.5 seconds", "00:00:00.5"},
		{"@ 2 days ago", "-2 days"},
		{"0 days", "00:00:00"},
		{"-1 year -2 mons +3 days -04:05:06.5", "-1 years -2 mons +3 days -04:05:06.5"},
		{"100 hours", "100:00:00"},
	}
	for _, c := range cases {
		iv, err := parseInterval(c.in)
		if err != nil {
			t.Errorf("parseInterval(%q): %v", c.in, err)
			continue
		}
		if got := iv.String(); got != c.want {
			t.Errorf("interval %q = %q, want %q", c.in, got, c.want)
		}
	}
	for _, bad := range []string{"", "abc", "1 fortnight", "1 day 2:x"} {
		if iv, err := parseInterval(bad); err == nil {
			t.Errorf("parseInterval(%q) = %v, want an error", bad, iv)
		}
	}
}

func TestAddIntervalAndAge(t *testing.T) {
	d := func(s string) time.Time {
		tm, err := time.Parse("2006-01-02 15:04:05", s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	for _, c := range []struct {
		at   string
		iv   interval
		want string
	}{
		{"2024-01-31 10:00:00", interval{months: 1}, "2024-02-29 10:00:00"},
		{"2024-03-31 00:00:00", interval{months: -1}, "2024-02-29 00:00:00"},
		{"2023-12-15 00:00:00", interval{months: 14}, "2025-02-15 00:00:00"},
		{"2024-02-28 23:00:00", interval{days: 1, micros: 2 * microsPerHour}, "2024-03-01 01:00:00"},
	} {
		if got := addInterval(d(c.at), c.iv).Format("2006-01-02 15:04:05"); got != c.want {
			t.Errorf("%s + %v = %s, want %s", c.at, c.iv, got, c.want)
		}
	}
	for _, c := range []struct{ a, b, want string }{
		{"2024-03-01 00:00:00", "2023-01-15 00:00:00", "1 year 1 mon 17 days"},
		{"2024-01-31 00:00:00", "2024-03-01 00:00:00", "-1 mons -1 days"},
		{"2024-03-01 10:00:00", "2024-02-29 12:30:00", "21:30:00"},
	} {
		if got := age(d(c.a), d(c.b)).String(); got != c.want {
			t.Errorf("age(%s, %s) = %s, want %s", c.a, c.b, got, c.want)
		}
	}
	if got := subTimes(d("2024-03-01 00:00:00"), d("2023-01-15 12:00:00")).String(); got != "410 days 12:00:00" {
		t.Errorf("timestamp - timestamp = %s, want 410 days 12:00:00", got)
	}
}

// TestArithmetic checks result types and values of the operators against
// what PostgreSQL 15 answers.
func TestArithmetic(t *testing.T) {
	e := testEngine(t)
	s := openSession(t, e, nil)
	cases := []struct {
		query string
		oids  []uint32
		want  string
	}{
		{`SELECT date '2024-02-29' + 365, 7 + date '2024-02-29', date '2024-03-01' - 1, date '2024-12-25' - date '2024-01-01'`,
			[]uint32{sqlengine.DateOID, sqlengine.DateOID, sqlengine.DateOID, sqlengine.Int4OID},
			"[2025-02-28 2024-03-07 2024-02-29 359]"},
		{`SELECT date '2024-03-31' - interval '1 month', timestamp '2024-01-31 10:00' + interval '1 month', interval '1 day' + date '2024-01-01'`,
			[]uint32{sqlengine.TimestampOID, sqlengine.TimestampOID, sqlengine.TimestampOID},
			"[2024-02-29 2024-02-29 10:00:00 2024-01-02]"},
		{`SELECT timestamp '2024-03-01' - timestamp '2023-01-15', timestamptz '2024-03-01 00:00:00+00' - timestamptz '2024-01-01 12:00:00+00'`,
			[]uint32{sqlengine.IntervalOID, sqlengine.IntervalOID},
			"[411 days 59 days 12:00:00]"},
		{`SELECT interval '1 year 2 mons', interval '1 day' - interval '1 hour', interval '1 hour' * 2.5, -interval '1 day', age(timestamp '2024-03-01', timestamp '2023-01-15')`,
			[]uint32{sqlengine.IntervalOID, sqlengine.IntervalOID, sqlengine.IntervalOID, sqlengine.IntervalOID, sqlengine.IntervalOID},
			"[1 year 2 mons 1 day -01:00:00 02:30:00 -1 days 1 year 1 mon 17 days]"},
		{`SELECT 1 + 1, 7 % 3, -7 % 3, 3000000000 + 1, 2.5 + 1, 1.5::float8 * 2, 1::int2 + 1::int2`,
			[]uint32{sqlengine.Int4OID, sqlengine.Int4OID, sqlengine.Int4OID, sqlengine.Int8OID, sqlengine.NumericOID, sqlengine.Float8OID, sqlengine.Int2OID},
			"[2 1 -1 3000000001 3.5 3 2]"},
		{`SELECT 1::int2, nullif(2::int2, 1), 1000, 1000 + 1`,
			[]uint32{sqlengine.Int2OID, sqlengine.Int2OID, sqlengine.Int4OID, sqlengine.Int4OID},
			"[1 2 1000 1001]"},
		{`SELECT 3000000000, abs(-5::int2), mod(-17, 5), 7.5 % 2`,
			[]uint32{sqlengine.Int8OID, sqlengine.Int2OID, sqlengine.Int4OID, sqlengine.NumericOID},
			"[3000000000 5 -2 1.5]"},
		{`SELECT lpad('abc', 6, 'xy'), rpad('abc', 5), lpad('abc', 2), left('abcdef', -2), right('abcdef', -2), chr(66), starts_with('hello', 'he')`,
			[]uint32{sqlengine.TextOID, sqlengine.TextOID, sqlengine.TextOID, sqlengine.TextOID, sqlengine.TextOID, sqlengine.TextOID, sqlengine.BoolOID},
			"[xyxabc abc   ab abcd cdef B true]"},
		{`SELECT round(2.5::float8), round(3.5::float8), round(2.5), round(-2.5), round(1.2345, 2), cbrt(27::float8)`,
			[]uint32{sqlengine.Float8OID, sqlengine.Float8OID, sqlengine.NumericOID, sqlengine.NumericOID, sqlengine.NumericOID, sqlengine.Float8OID},
			"[2 4 3 -3 1.23 3]"},
		{`SELECT ceil(-1.5), floor(-1.5), ceil(2.1::float8), floor(7), sign(-3), sign(2.5)`,
			[]uint32{sqlengine.NumericOID, sqlengine.NumericOID, sqlengine.Float8OID, sqlengine.Float8OID, sqlengine.Float8OID, sqlengine.NumericOID},
			"[-1 -2 3 7 -1 1]"},
		{`SELECT substring('hello', 0, 3), substring('hello', 2), substr('hello', -5, 7), substring('héllo' from 2 for 2), substring('hello', 9)`,
			[]uint32{sqlengine.TextOID, sqlengine.TextOID, sqlengine.TextOID, sqlengine.TextOID, sqlengine.TextOID},
			"[he ello h él ]"},
		{`SELECT lag(small) OVER (ORDER BY id), first_value(small) OVER (ORDER BY id) FROM events ORDER BY id LIMIT 1`,
			[]uint32{sqlengine.Int2OID, sqlengine.Int2OID}, "[<nil> 0]"},
		{`SELECT greatest(1, 2, 3), least(1.5, 2), greatest('a', 'b', NULL), least(NULL::int, NULL), greatest(date '2024-01-02', NULL, date '2023-05-01'), greatest(1::int2, 70000)`,
			[]uint32{sqlengine.Int4OID, sqlengine.NumericOID, sqlengine.TextOID, sqlengine.Int4OID, sqlengine.DateOID, sqlengine.Int4OID},
			"[3 1.5 b <nil> 2024-01-02 70000]"},
		{`SELECT concat_ws('-', 'a', NULL, 1, true, date '2024-01-02', 1.50), concat('x', NULL, false), concat_ws(NULL, 'a')`,
			[]uint32{sqlengine.TextOID, sqlengine.TextOID, sqlengine.TextOID},
			"[a-1-t-2024-01-02-1.50 xf <nil>]"},
		{`SELECT count(*) FROM events WHERE id + 1 > 10 AND id * 2 < 100`,
			[]uint32{sqlengine.Int8OID}, "[40]"},
	}
	for _, c := range cases {
		res := mustQuery(t, s, c.query)
		if len(res.rows) != 1 {
			t.Errorf("%s: %d rows, want 1", c.query, len(res.rows))
			continue
		}
		var oids []uint32
		for _, col := range res.cols {
			oids = append(oids, col.TypeOID)
		}
		if fmt.Sprint(oids) != fmt.Sprint(c.oids) {
			t.Errorf("%s: types %v, want %v", c.query, oids, c.oids)
		}
		if got := formatRow(res.rows[0]); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.query, got, c.want)
		}
	}
}

// formatRow renders values as the tests above write them.
func formatRow(row []any) string {
	parts := make([]any, len(row))
	for i, v := range row {
		switch x := v.(type) {
		case time.Time:
			if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
				parts[i] = x.Format("2006-01-02")
			} else {
				parts[i] = x.Format("2006-01-02 15:04:05")
			}
		default:
			parts[i] = v
		}
	}
	return fmt.Sprint(parts)
}

func TestArithmeticErrors(t *testing.T) {
	e := testEngine(t)
	s := openSession(t, e, nil)
	for _, c := range []struct{ query, code, msg string }{
		{`SELECT 2147483647 + 1`, sqlengine.CodeNumericValueOutOfRange, "integer out of range"},
		{`SELECT 32767::int2 + 1::int2`, sqlengine.CodeNumericValueOutOfRange, "smallint out of range"},
		{`SELECT 9223372036854775807 * 2`, sqlengine.CodeNumericValueOutOfRange, "bigint out of range"},
		{`SELECT -(-2147483647 - 1)`, sqlengine.CodeNumericValueOutOfRange, "integer out of range"},
		{`SELECT abs(-32768::int2)`, sqlengine.CodeNumericValueOutOfRange, "smallint out of range"},
		{`SELECT 5 % 0`, sqlengine.CodeDivisionByZero, "division by zero"},
		{`SELECT mod(5.5, 0)`, sqlengine.CodeDivisionByZero, "division by zero"},
		{`SELECT substring('hello', 1, -1)`, "22011", "negative substring length not allowed"},
		{`SELECT sqrt(-1)`, codeInvalidArgumentForPower, "cannot take square root of a negative number"},
		{`SELECT interval 'soon'`, sqlengine.CodeInvalidDatetimeFormat, `invalid input syntax for type interval: "soon"`},
	} {
		_, err := query(context.Background(), s, c.query)
		pe := wantCode(t, err, c.code)
		if pe != nil && pe.Message != c.msg {
			t.Errorf("%s: message %q, want %q", c.query, pe.Message, c.msg)
		}
	}
}

// TestTimestamptzIntervalZone checks that days are added to a timestamptz
// in the session's zone, across a daylight saving change.
func TestTimestamptzIntervalZone(t *testing.T) {
	e := testEngine(t)
	s := openSession(t, e, nil)
	mustQuery(t, s, `SET TimeZone = 'America/New_York'`)
	res := mustQuery(t, s, `SELECT timestamptz '2024-03-09 12:00:00-05' + interval '1 day', timestamptz '2024-03-09 12:00:00-05' + interval '24 hours'`)
	want := []time.Time{
		time.Date(2024, 3, 10, 16, 0, 0, 0, time.UTC), // 12:00 EDT
		time.Date(2024, 3, 10, 17, 0, 0, 0, time.UTC), // 13:00 EDT
	}
	for i, w := range want {
		if got, ok := res.rows[0][i].(time.Time); !ok || !got.Equal(w) {
			t.Errorf("column %d = %v, want %v", i, res.rows[0][i], w)
		}
	}
}
