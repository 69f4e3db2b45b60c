package gmsengine

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/sqltypes"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"
	"github.com/shopspring/decimal"

	"github.com/pqsql/pqsql/sqlengine"
)

// interval is a PostgreSQL interval. Like PostgreSQL it keeps months, days
// and microseconds apart, because a month and a day have no fixed length:
// adding '1 mon' to January 31 and '1 day' across a DST change depend on the
// date they are added to.
type interval struct {
	months int32
	days   int32
	micros int64
}

const (
	microsPerSecond = int64(time.Second / time.Microsecond)
	microsPerMinute = 60 * microsPerSecond
	microsPerHour   = 60 * microsPerMinute
	microsPerDay    = 24 * microsPerHour
)

// String renders the interval in PostgreSQL's default IntervalStyle
// (postgres): '1 year 2 mons -3 days +04:05:06.5'.
func (iv interval) String() string {
	var b strings.Builder
	zero, before := true, false
	part := func(v int64, unit string) {
		if v == 0 {
			return
		}
		if !zero {
			b.WriteByte(' ')
		}
		// PostgreSQL marks a positive field after a negative one with '+'.
		if before && v > 0 {
			b.WriteByte('+')
		}
		b.WriteString(strconv.FormatInt(v, 10))
		b.WriteByte(' ')
		b.WriteString(unit)
		if v != 1 {
			b.WriteByte('s')
		}
		before, zero = v < 0, false
	}
	part(int64(iv.months/12), "year")
	part(int64(iv.months%12), "mon")
	part(int64(iv.days), "day")
	if zero || iv.micros != 0 {
		if !zero {
			b.WriteByte(' ')
		}
		t := iv.micros
		if t < 0 {
			b.WriteByte('-')
			t = -t
		} else if before {
			b.WriteByte('+')
		}
		h, m := t/microsPerHour, t%microsPerHour/microsPerMinute
		s, us := t%microsPerMinute/microsPerSecond, t%microsPerSecond
		fmt.Fprintf(&b, "%02d:%02d:%02d", h, m, s)
		if us != 0 {
			b.WriteString(strings.TrimRight(fmt.Sprintf(".%06d", us), "0"))
		}
	}
	return b.String()
}

// span is the interval's length with PostgreSQL's conventions for ordering
// intervals: a month is 30 days, a day 24 hours. It is a decimal because
// the span of the largest intervals overflows int64 microseconds.
func (iv interval) span() decimal.Decimal {
	days := decimal.NewFromInt(int64(iv.months)*30 + int64(iv.days))
	return days.Mul(decimal.NewFromInt(microsPerDay)).Add(decimal.NewFromInt(iv.micros))
}

func (iv interval) neg() interval {
	return interval{months: -iv.months, days: -iv.days, micros: -iv.micros}
}

// add is iv + o, field by field.
func (iv interval) add(o interval) (interval, error) {
	m := int64(iv.months) + int64(o.months)
	d := int64(iv.days) + int64(o.days)
	us := iv.micros + o.micros
	if m != int64(int32(m)) || d != int64(int32(d)) || (iv.micros > 0 && o.micros > 0 && us < 0) || (iv.micros < 0 && o.micros < 0 && us >= 0) {
		return interval{}, errIntervalRange()
	}
	return interval{months: int32(m), days: int32(d), micros: us}, nil
}

// mul is iv * f as PostgreSQL computes it: fractional months spill into
// days (30 to a month) and fractional days into time (24 hours to a day).
func (iv interval) mul(f float64) (interval, error) {
	months := float64(iv.months) * f
	days := float64(iv.days) * f
	wholeMonths := math.Trunc(months)
	monthDays := (months - wholeMonths) * 30
	wholeDays := math.Trunc(days)
	spill := (days - wholeDays + monthDays - math.Trunc(monthDays)) * float64(microsPerDay)
	us := math.RoundToEven(float64(iv.micros)*f + spill)
	wholeDays += math.Trunc(monthDays)
	if math.IsNaN(us) || math.Abs(wholeMonths) > math.MaxInt32 || math.Abs(wholeDays) > math.MaxInt32 || math.Abs(us) >= math.MaxInt64 {
		return interval{}, errIntervalRange()
	}
	return interval{months: int32(wholeMonths), days: int32(wholeDays), micros: int64(us)}, nil
}

func errIntervalRange() error {
	return sqlengine.Errorf(sqlengine.CodeDatetimeFieldOverflow, "interval out of range")
}

// intervalUnits maps the unit words of interval input to a unit.
var intervalUnits = map[string]string{
	"microsecond": "us", "microseconds": "us", "us": "us", "usec": "us", "usecs": "us",
	"millisecond": "ms", "milliseconds": "ms", "ms": "ms", "msec": "ms", "msecs": "ms",
	"second": "s", "seconds": "s", "s": "s", "sec": "s", "secs": "s",
	"minute": "min", "minutes": "min", "m": "min", "min": "min", "mins": "min",
	"hour": "h", "hours": "h", "h": "h", "hr": "h", "hrs": "h",
	"day": "d", "days": "d", "d": "d",
	"week": "w", "weeks": "w", "w": "w",
	"month": "mon", "months": "mon", "mon": "mon", "mons": "mon",
	"year": "y", "years": "y", "y": "y", "yr": "y", "yrs": "y",
	"decade": "dec", "decades": "dec", "century": "c", "centuries": "c",
	"millennium": "mil", "millennia": "mil", "millenniums": "mil",
}

// parseInterval parses PostgreSQL's interval input in the postgres and SQL
// forms: '1 year 2 mons', '3 days 04:05:06', '-1 day', '1.5 hours',
// '@ 2 days ago', '10' (seconds).
func parseInterval(s string) (interval, error) {
	bad := func() (interval, error) {
		return interval{}, sqlengine.Errorf(sqlengine.CodeInvalidDatetimeFormat, "invalid input syntax for type interval: %q", s)
	}
	fields := strings.Fields(strings.ToLower(strings.TrimSpace(s)))
	if len(fields) > 0 && fields[0] == "@" {
		fields = fields[1:]
	}
	ago := false
	if n := len(fields); n > 0 && fields[n-1] == "ago" {
		ago, fields = true, fields[:n-1]
	}
	if len(fields) == 0 {
		return bad()
	}
	var months, days float64
	var micros float64
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		if strings.Contains(f, ":") {
			us, ok := parseClock(f)
			if !ok {
				return bad()
			}
			micros += float64(us)
			continue
		}
		num, unit := f, ""
		// '2days' and '1h' carry the unit in the same word.
		if j := strings.IndexFunc(f, func(r rune) bool { return r >= 'a' && r <= 'z' }); j > 0 {
			num, unit = f[:j], f[j:]
		} else if i+1 < len(fields) {
			if _, ok := intervalUnits[fields[i+1]]; ok {
				unit = fields[i+1]
				i++
			}
		}
		v, err := strconv.ParseFloat(num, 64)
		if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
			return bad()
		}
		if unit == "" {
			micros += v * float64(microsPerSecond)
			continue
		}
		u, ok := intervalUnits[unit]
		if !ok {
			return bad()
		}
		switch u {
		case "us":
			micros += v
		case "ms":
			micros += v * 1000
		case "s":
			micros += v * float64(microsPerSecond)
		case "min":
			micros += v * float64(microsPerMinute)
		case "h":
			micros += v * float64(microsPerHour)
		case "d":
			days += v
		case "w":
			days += 7 * v
		case "mon":
			months += v
		case "y":
			months += 12 * v
		case "dec":
			months += 120 * v
		case "c":
			months += 1200 * v
		case "mil":
			months += 12000 * v
		}
	}
	// Fractions spill into the smaller units as PostgreSQL does: a month is
	// 30 days, a day 24 hours.
	wholeMonths := math.Trunc(months)
	days += (months - wholeMonths) * 30
	wholeDays := math.Trunc(days)
	micros += (days - wholeDays) * float64(microsPerDay)
	if math.Abs(wholeMonths) > math.MaxInt32 || math.Abs(wholeDays) > math.MaxInt32 || math.Abs(micros) > math.MaxInt64/2 {
		return interval{}, sqlengine.Errorf(sqlengine.CodeDatetimeFieldOverflow, "interval field value out of range: %q", s)
	}
	iv := interval{months: int32(wholeMonths), days: int32(wholeDays), micros: int64(math.Round(micros))}
	if ago {
		iv = iv.neg()
	}
	return iv, nil
}

// parseClock parses [-]hh:mm[:ss[.ffffff]] into microseconds.
func parseClock(s string) (int64, bool) {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimLeft(s, "+-")
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, false
	}
	h, err1 := strconv.ParseInt(parts[0], 10, 64)
	m, err2 := strconv.ParseInt(parts[1], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	us := h*microsPerHour + m*microsPerMinute
	if len(parts) == 3 {
		sec, err := strconv.ParseFloat(parts[2], 64)
		if err != nil {
			return 0, false
		}
		us += int64(math.Round(sec * float64(microsPerSecond)))
	}
	if neg {
		us = -us
	}
	return us, true
}

// toInterval reads an interval argument: an interval value or its text.
func toInterval(v any) (interval, error) {
	switch x := v.(type) {
	case interval:
		return x, nil
	case string:
		return parseInterval(x)
	case []byte:
		return parseInterval(string(x))
	}
	return interval{}, sqlengine.Errorf(sqlengine.CodeDatatypeMismatch, "cannot convert %T to interval", v)
}

// addInterval is PostgreSQL's timestamp + interval on a wall-clock reading
// in t's location: months first (clamping the day to the month's end, so
// that January 31 plus a month is February 29 or 28), then days, then the
// time part as elapsed time.
func addInterval(t time.Time, iv interval) time.Time {
	if iv.months != 0 {
		y, m, d := t.Date()
		total := int(m) - 1 + int(iv.months)
		ny, nm := y+floorDiv(total, 12), time.Month(total-floorDiv(total, 12)*12+1)
		if last := daysIn(ny, nm); d > last {
			d = last
		}
		h, mi, s := t.Clock()
		t = time.Date(ny, nm, d, h, mi, s, t.Nanosecond(), t.Location())
	}
	if iv.days != 0 {
		t = t.AddDate(0, 0, int(iv.days))
	}
	return t.Add(time.Duration(iv.micros) * time.Microsecond)
}

// daysIn returns the number of days of month m of year y.
func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// subTimes is PostgreSQL's timestamp - timestamp: the elapsed time, with
// whole 24-hour periods shown as days (justify_hours).
func subTimes(a, b time.Time) interval {
	us := a.Sub(b).Microseconds()
	return interval{days: int32(us / microsPerDay), micros: us % microsPerDay}
}

// age is PostgreSQL's age(a, b): the difference in years, months and days
// (and time), borrowing from the month of the earlier argument's date.
func age(a, b time.Time) interval {
	neg := a.Before(b)
	if neg {
		a, b = b, a
	}
	y1, m1, d1 := a.Date()
	y2, m2, d2 := b.Date()
	h1, mi1, s1 := a.Clock()
	h2, mi2, s2 := b.Clock()
	us := int64(a.Nanosecond()/1000 - b.Nanosecond()/1000)
	sec, mins, hours := s1-s2, mi1-mi2, h1-h2
	days, months, years := d1-d2, int(m1)-int(m2), y1-y2
	for us < 0 {
		us += microsPerSecond
		sec--
	}
	for sec < 0 {
		sec += 60
		mins--
	}
	for mins < 0 {
		mins += 60
		hours--
	}
	for hours < 0 {
		hours += 24
		days--
	}
	for days < 0 {
		// PostgreSQL borrows the length of the earlier date's month.
		days += daysIn(y2, m2)
		months--
	}
	for months < 0 {
		months += 12
		years--
	}
	iv := interval{
		months: int32(years*12 + months),
		days:   int32(days),
		micros: int64(hours)*microsPerHour + int64(mins)*microsPerMinute + int64(sec)*microsPerSecond + us,
	}
	if neg {
		iv = iv.neg()
	}
	return iv
}

// intervalSQLType is the GMS type of interval values. GMS has no interval
// type that values can have; this one only has to order, compare and
// render them.
type intervalSQLType struct{}

// intervalType is the GMS type of PostgreSQL interval results.
var intervalType sql.Type = intervalSQLType{}

var _ sql.Type = intervalSQLType{}

// Compare orders intervals by their length (30-day months, 24-hour days),
// as PostgreSQL does.
func (intervalSQLType) Compare(_ context.Context, a, b any) (int, error) {
	if a == nil || b == nil {
		switch {
		case a == nil && b == nil:
			return 0, nil
		case a == nil:
			return 1, nil
		}
		return -1, nil
	}
	x, err := toInterval(a)
	if err != nil {
		return 0, err
	}
	y, err := toInterval(b)
	if err != nil {
		return 0, err
	}
	return x.span().Cmp(y.span()), nil
}

// Convert accepts interval values and their text.
func (intervalSQLType) Convert(_ context.Context, v any) (any, sql.ConvertInRange, error) {
	if v == nil {
		return nil, sql.InRange, nil
	}
	iv, err := toInterval(v)
	if err != nil {
		return nil, sql.InRange, err
	}
	return iv, sql.InRange, nil
}

// Equals reports whether t is the interval type.
func (intervalSQLType) Equals(t sql.Type) bool {
	_, ok := t.(intervalSQLType)
	return ok
}

// MaxTextResponseByteLength bounds the text form.
func (intervalSQLType) MaxTextResponseByteLength(*sql.Context) uint32 { return 64 }

// Promote returns the type itself.
func (t intervalSQLType) Promote() sql.Type { return t }

// SQL renders the value as text.
func (intervalSQLType) SQL(_ *sql.Context, dest []byte, v any) (sqltypes.Value, error) {
	if v == nil {
		return sqltypes.NULL, nil
	}
	iv, err := toInterval(v)
	if err != nil {
		return sqltypes.Value{}, err
	}
	return sqltypes.MakeTrusted(sqltypes.Text, append(dest, iv.String()...)), nil
}

// Type is TEXT for the parts of GMS that look at the wire type.
func (intervalSQLType) Type() querypb.Type { return sqltypes.Text }

// ValueType is interval.
func (intervalSQLType) ValueType() reflect.Type { return reflect.TypeOf(interval{}) }

// Zero is the zero interval.
func (intervalSQLType) Zero() any { return interval{} }

// String names the type.
func (intervalSQLType) String() string { return "interval" }

// CollationCoercibility reports that intervals carry no collation.
func (intervalSQLType) CollationCoercibility(*sql.Context) (sql.CollationID, byte) {
	return sql.Collation_binary, 5
}

// isIntervalType reports whether t is the interval type.
func isIntervalType(t sql.Type) bool {
	_, ok := t.(intervalSQLType)
	return ok
}

// distinctKeySpec is pqsql_distinct_key(x), the value count(DISTINCT x)
// counts: x itself, except that an interval becomes the text of its length
// (30-day months, 24-hour days), so that intervals PostgreSQL deems equal
// ('1 day', '24 hours') count once; GMS could not hash an interval anyway.
var distinctKeySpec = &funcSpec{name: "pqsql_distinct_key", minArgs: 1, maxArgs: 1,
	typ: func(ctx *sql.Context, args []sql.Expression) sql.Type {
		if t := args[0].Type(ctx); !t.Equals(intervalType) {
			return t
		}
		return textType
	},
	eval: func(_ *sql.Context, _ *pgFunc, v []any) (any, error) {
		if iv, ok := v[0].(interval); ok {
			return iv.span().String(), nil
		}
		return v[0], nil
	}}
