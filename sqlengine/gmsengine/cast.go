package gmsengine

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"
	"github.com/shopspring/decimal"

	"github.com/pqsql/pqsql/sqlengine"
)

// oidType represents PostgreSQL's oid. Result columns of GMS type UINT32
// are reported as oid: PostgreSQL has no unsigned types, and integer
// literals that large are rare in queries.
var oidType = types.Uint32

// castTarget is what a pqsql_cast converts to.
type castTarget struct {
	name string
	oid  uint32
	gms  sql.Type
	// length is varchar/bpchar's n, 0 for none.
	length int
	// precision and scale are numeric's typmod; precision 0 means none.
	precision, scale int32
	// source is the argument's type, which decides how values are read.
	source sql.Type
}

var castSpec = &funcSpec{
	name: "pqsql_cast", minArgs: 2, maxArgs: 4,
	typ:  fixedType(textType), // replaced by the castTarget's type
	eval: evalCast,
}

var castOIDs = map[string]uint32{
	"bool": sqlengine.BoolOID, "int2": sqlengine.Int2OID, "int4": sqlengine.Int4OID, "int8": sqlengine.Int8OID,
	"float4": sqlengine.Float4OID, "float8": sqlengine.Float8OID, "numeric": sqlengine.NumericOID,
	"text": sqlengine.TextOID, "varchar": sqlengine.VarcharOID, "bpchar": sqlengine.BPCharOID, "name": sqlengine.NameOID,
	"date": sqlengine.DateOID, "time": sqlengine.TimeOID, "timestamp": sqlengine.TimestampOID,
	"timestamptz": sqlengine.TimestamptzOID, "interval": sqlengine.IntervalOID, "bytea": sqlengine.ByteaOID,
	"uuid": sqlengine.UUIDOID, "json": sqlengine.JSONOID, "jsonb": sqlengine.JSONBOID, "oid": sqlengine.OIDOID,
	"regclass": regclassOID, "regtype": regtypeOID, "regnamespace": regnamespaceOID, "unknown": sqlengine.TextOID,
}

// initCast reads the constant type name and modifiers of a pqsql_cast call.
func initCast(ctx *sql.Context, args []sql.Expression) (any, error) {
	consts := make([]any, len(args)-1)
	for i, a := range args[1:] {
		v, err := a.Eval(ctx, nil)
		if err != nil {
			return nil, fmt.Errorf("pqsql_cast: argument %d must be constant: %w", i+2, err)
		}
		consts[i] = v
	}
	name, ok := consts[0].(string)
	if !ok {
		return nil, fmt.Errorf("pqsql_cast: type name must be a string constant, got %T", consts[0])
	}
	oid, ok := castOIDs[name]
	if !ok {
		oid, ok = arrayTypeOIDs[name]
	}
	if !ok {
		return nil, sqlengine.Errorf(sqlengine.CodeUndefinedObject, "type %q does not exist", name)
	}
	ct := &castTarget{name: name, oid: oid, source: args[0].Type(ctx)}
	var mods []int64
	for _, c := range consts[1:] {
		n, err := toInt64(c)
		if err != nil {
			return nil, fmt.Errorf("pqsql_cast: type modifier: %w", err)
		}
		mods = append(mods, n)
	}
	switch oid {
	case sqlengine.BoolOID:
		ct.gms = types.Boolean
	case sqlengine.Int2OID:
		ct.gms = types.Int16
	case sqlengine.Int4OID:
		ct.gms = types.Int32
	case sqlengine.Int8OID:
		ct.gms = types.Int64
	case sqlengine.Float4OID:
		ct.gms = types.Float32
	case sqlengine.Float8OID:
		ct.gms = types.Float64
	case sqlengine.NumericOID:
		if len(mods) > 0 {
			ct.precision = int32(mods[0])
			if len(mods) > 1 {
				ct.scale = int32(mods[1])
			}
		}
		t, err := numericType(ct.precision, ct.scale)
		if err != nil {
			return nil, err
		}
		ct.gms = t
	case sqlengine.VarcharOID, sqlengine.BPCharOID:
		if len(mods) > 0 {
			ct.length = int(mods[0])
		}
		ct.gms = textType
	case sqlengine.DateOID:
		ct.gms = types.Date
	case sqlengine.TimeOID:
		ct.gms = timeType
	case sqlengine.TimestampOID:
		ct.gms = timestampType
	case sqlengine.TimestamptzOID:
		ct.gms = timestamptzType
	case sqlengine.ByteaOID:
		ct.gms = types.LongBlob
	case sqlengine.UUIDOID:
		ct.gms = uuidType
	case sqlengine.JSONOID, sqlengine.JSONBOID:
		ct.gms = jsonType
	case sqlengine.IntervalOID:
		ct.gms = intervalType
	case sqlengine.OIDOID:
		ct.gms = oidType
	case regclassOID, regtypeOID, regnamespaceOID:
		ct.gms = oidType
	default:
		ct.gms = castDefaultType(oid)
	}
	return ct, nil
}

func evalCast(ctx *sql.Context, f *pgFunc, vals []any) (any, error) {
	ct := f.state.(*castTarget)
	if out, ok, err := evalCatalogCast(ctx, f, vals[0]); ok {
		return out, err
	}
	loc := time.UTC
	if s := pgSession(ctx); s != nil {
		loc = s.settings.location()
	}
	return castValue(vals[0], ct, loc)
}

// castValue converts v (of type ct.source) to ct's GMS representation.
func castValue(v any, ct *castTarget, loc *time.Location) (any, error) {
	if v == nil {
		return nil, nil
	}
	if types.IsBoolean(ct.source) {
		if n, err := toInt64(v); err == nil {
			v = n != 0
		}
	}
	switch ct.oid {
	case sqlengine.BoolOID:
		b, err := toBool(v)
		if err != nil {
			return nil, err
		}
		if b {
			return int8(1), nil
		}
		return int8(0), nil
	case sqlengine.Int2OID, sqlengine.Int4OID, sqlengine.Int8OID, sqlengine.OIDOID:
		return castInt(v, ct.oid)
	case sqlengine.Float4OID:
		if s, ok := v.(string); ok {
			f, err := parseFloat(s, "real")
			return float32(f), err
		}
		f, err := toFloat64(v)
		return float32(f), err
	case sqlengine.Float8OID:
		return toFloat64(v)
	case sqlengine.NumericOID:
		d, err := toDecimal(v)
		if err != nil {
			return nil, err
		}
		return constrainNumeric(d, ct.precision, ct.scale)
	case sqlengine.TextOID, sqlengine.NameOID:
		return castText(v, ct.source, loc), nil
	case sqlengine.IntervalOID:
		return toInterval(v)
	case sqlengine.VarcharOID, sqlengine.BPCharOID:
		s := castText(v, ct.source, loc)
		if ct.length > 0 && utf8.RuneCountInString(s) > ct.length {
			s = string([]rune(s)[:ct.length])
		}
		if ct.oid == sqlengine.BPCharOID && ct.length > 0 {
			if n := utf8.RuneCountInString(s); n < ct.length {
				s += strings.Repeat(" ", ct.length-n)
			}
		}
		return s, nil
	case sqlengine.DateOID:
		t, err := castTime(v, ct, time.UTC, "date")
		if err != nil {
			return nil, err
		}
		y, m, d := t.Date()
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), nil
	case sqlengine.TimestampOID:
		if t, ok := v.(time.Time); ok && ct.source != nil && ct.source.Type() == sqltypes.Timestamp {
			return wallClockUTC(t.In(loc)), nil
		}
		t, err := castTime(v, ct, time.UTC, "timestamp")
		if err != nil {
			return nil, err
		}
		return wallClockUTC(t), nil
	case sqlengine.TimestamptzOID:
		if t, ok := v.(time.Time); ok {
			if ct.source != nil && ct.source.Type() == sqltypes.Timestamp {
				return t.UTC(), nil
			}
			// A wall-clock reading (timestamp, date) is read in the session's zone.
			y, mo, d := t.Date()
			h, mi, s := t.Clock()
			return time.Date(y, mo, d, h, mi, s, t.Nanosecond(), loc).UTC(), nil
		}
		t, err := castTime(v, ct, loc, "timestamp with time zone")
		if err != nil {
			return nil, err
		}
		return t.UTC(), nil
	case sqlengine.TimeOID:
		if t, ok := v.(time.Time); ok {
			return timeType.ConvertToTimespan(t.Format("15:04:05.999999"))
		}
		ts, err := timeType.ConvertToTimespan(castText(v, ct.source, loc))
		if err != nil {
			return nil, sqlengine.Errorf(sqlengine.CodeInvalidDatetimeFormat, "invalid input syntax for type time: %q", castText(v, ct.source, loc))
		}
		return ts, nil
	case sqlengine.ByteaOID:
		switch x := v.(type) {
		case []byte:
			return x, nil
		case string:
			return byteaInput(x)
		}
		return []byte(castText(v, ct.source, loc)), nil
	case sqlengine.UUIDOID:
		u, err := parseUUID(castText(v, ct.source, loc))
		if err != nil {
			return nil, err
		}
		return formatUUID(u[:]), nil
	case sqlengine.JSONOID, sqlengine.JSONBOID:
		s := castText(v, ct.source, loc)
		if !json.Valid([]byte(s)) {
			return nil, sqlengine.Errorf(sqlengine.CodeInvalidTextRepresentation, "invalid input syntax for type json")
		}
		return s, nil
	}
	return castText(v, ct.source, loc), nil
}

var intRange = map[uint32]struct {
	lo, hi int64
	name   string
}{
	sqlengine.Int2OID: {math.MinInt16, math.MaxInt16, "smallint"},
	sqlengine.Int4OID: {math.MinInt32, math.MaxInt32, "integer"},
	sqlengine.Int8OID: {math.MinInt64, math.MaxInt64, "bigint"},
	sqlengine.OIDOID:  {math.MinInt32, math.MaxUint32, "oid"},
}

func castInt(v any, oid uint32) (any, error) {
	r := intRange[oid]
	var n int64
	switch x := v.(type) {
	case string:
		var err error
		n, err = parseIntText(x, r.name)
		if err != nil {
			return nil, err
		}
		if n < r.lo || n > r.hi {
			return nil, sqlengine.Errorf(sqlengine.CodeNumericValueOutOfRange, "value %q is out of range for type %s", x, r.name)
		}
	default:
		var err error
		n, err = toInt64(v)
		if err != nil {
			if pe, ok := err.(*sqlengine.Error); ok && pe.Code == sqlengine.CodeNumericValueOutOfRange {
				return nil, sqlengine.Errorf(sqlengine.CodeNumericValueOutOfRange, "%s out of range", r.name)
			}
			return nil, err
		}
		if n < r.lo || n > r.hi {
			return nil, sqlengine.Errorf(sqlengine.CodeNumericValueOutOfRange, "%s out of range", r.name)
		}
	}
	switch oid {
	case sqlengine.Int2OID:
		return int16(n), nil
	case sqlengine.Int4OID:
		return int32(n), nil
	case sqlengine.OIDOID:
		return uint32(n), nil
	}
	return n, nil
}

// parseIntText parses integer input text as PostgreSQL does.
func parseIntText(s, typeName string) (int64, error) {
	t := strings.TrimSpace(s)
	d, err := decimal.NewFromString(t)
	if err != nil || !d.IsInteger() || strings.ContainsAny(t, ".eE") {
		return 0, sqlengine.Errorf(sqlengine.CodeInvalidTextRepresentation, "invalid input syntax for type %s: %q", typeName, s)
	}
	if d.GreaterThan(decimal.NewFromInt(math.MaxInt64)) || d.LessThan(decimal.NewFromInt(math.MinInt64)) {
		return 0, sqlengine.Errorf(sqlengine.CodeNumericValueOutOfRange, "value %q is out of range for type %s", s, typeName)
	}
	return d.IntPart(), nil
}

// constrainNumeric applies numeric(p,s): rounds to s digits and checks that
// the integer part fits.
func constrainNumeric(d decimal.Decimal, p, s int32) (decimal.Decimal, error) {
	if p <= 0 {
		return d, nil
	}
	r := d.Round(s)
	limit := decimal.New(1, p-s)
	if r.Abs().GreaterThanOrEqual(limit) {
		return decimal.Decimal{}, &sqlengine.Error{Code: sqlengine.CodeNumericValueOutOfRange, Message: "numeric field overflow",
			Detail: fmt.Sprintf("A field with precision %d, scale %d must round to an absolute value less than 10^%d.", p, s, p-s)}
	}
	return r, nil
}

func castTime(v any, ct *castTarget, loc *time.Location, typeName string) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		return x, nil
	case string:
		t, ok := parseTime(x, loc)
		if !ok {
			if timeFieldOutOfRange(x) {
				return time.Time{}, sqlengine.Errorf(sqlengine.CodeDatetimeFieldOverflow, "date/time field value out of range: %q", x)
			}
			return time.Time{}, sqlengine.Errorf(sqlengine.CodeInvalidDatetimeFormat, "invalid input syntax for type %s: %q", typeName, x)
		}
		return t, nil
	}
	return time.Time{}, sqlengine.Errorf(sqlengine.CodeDatatypeMismatch, "cannot cast value of type %T to %s", v, typeName)
}

// timeFieldOutOfRange reports whether s has the form of a date/time input
// but a field outside its range ('2024-02-30', '2024-13-01', '25:00'),
// which PostgreSQL rejects with 22008 rather than 22007.
func timeFieldOutOfRange(s string) bool {
	t := strings.TrimSpace(s)
	for _, l := range timeLayouts {
		var pe *time.ParseError
		if _, err := time.Parse(l, t); errors.As(err, &pe) && strings.Contains(pe.Message, "out of range") {
			return true
		}
	}
	return false
}

// byteaInput reads bytea text input as PostgreSQL's byteain does: "\x"
// followed by pairs of hex digits (whitespace between pairs allowed), or
// the escape format, where "\\" is a backslash, "\ooo" (three octal
// digits, the first 0-3) a byte, and any other byte stands for itself.
func byteaInput(s string) ([]byte, error) {
	if strings.HasPrefix(s, `\x`) {
		out := make([]byte, 0, (len(s)-2)/2)
		for i := 2; i < len(s); {
			c := s[i]
			if c == ' ' || c == '\n' || c == '\t' || c == '\r' {
				i++
				continue
			}
			hi, ok := hexDigit(c)
			if !ok {
				return nil, badHexDigit(s[i:])
			}
			if i+1 >= len(s) {
				return nil, sqlengine.Errorf(sqlengine.CodeInvalidParameterValue, "invalid hexadecimal data: odd number of digits")
			}
			lo, ok := hexDigit(s[i+1])
			if !ok {
				return nil, badHexDigit(s[i+1:])
			}
			out = append(out, hi<<4|lo)
			i += 2
		}
		return out, nil
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		switch {
		case i+1 < len(s) && s[i+1] == '\\':
			out = append(out, '\\')
			i++
		case i+3 < len(s) && s[i+1] >= '0' && s[i+1] <= '3' && isOctal(s[i+2]) && isOctal(s[i+3]):
			out = append(out, (s[i+1]-'0')<<6|(s[i+2]-'0')<<3|(s[i+3]-'0'))
			i += 3
		default:
			return nil, sqlengine.Errorf(sqlengine.CodeInvalidTextRepresentation, "invalid input syntax for type bytea")
		}
	}
	return out, nil
}

// hexDigit returns the value of the hex digit c.
func hexDigit(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// badHexDigit is PostgreSQL's error for the invalid hex digit that starts
// rest (one character, which may be several bytes).
func badHexDigit(rest string) error {
	r, _ := utf8.DecodeRuneInString(rest)
	return sqlengine.Errorf(sqlengine.CodeInvalidParameterValue, "invalid hexadecimal digit: \"%s\"", string(r))
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

// castText renders v (of GMS type source) in PostgreSQL's text form.
func castText(v any, source sql.Type, loc *time.Location) string {
	if t, ok := v.(time.Time); ok && source != nil {
		switch source.Type() {
		case sqltypes.Date:
			return t.Format("2006-01-02")
		case sqltypes.Datetime:
			return t.Format("2006-01-02 15:04:05.999999")
		case sqltypes.Timestamp:
			return formatTimestamptz(t.In(loc))
		}
	}
	return textOf(v, loc)
}

// formatTimestamptz renders an instant as PostgreSQL's ISO output.
func formatTimestamptz(t time.Time) string {
	s := t.Format("2006-01-02 15:04:05.999999")
	_, off := t.Zone()
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	s += fmt.Sprintf("%s%02d", sign, off/3600)
	if m := off % 3600 / 60; m != 0 {
		s += fmt.Sprintf(":%02d", m)
	}
	return s
}

var divSpec = &funcSpec{
	name: "pqsql_div", minArgs: 2, maxArgs: 2,
	typ:  divType,
	eval: evalDiv,
}

// divType is the result type of a / b under PostgreSQL's operator resolution.
func divType(ctx *sql.Context, args []sql.Expression) sql.Type {
	a, b := args[0].Type(ctx), args[1].Type(ctx)
	switch {
	case isIntType(a) && isIntType(b):
		if intWidth(a) <= 32 && intWidth(b) <= 32 {
			if intWidth(a) <= 16 && intWidth(b) <= 16 && (a.Type() == sqltypes.Int16 && b.Type() == sqltypes.Int16) {
				return types.Int16
			}
			return types.Int32
		}
		return types.Int64
	case types.IsFloat(a) || types.IsFloat(b):
		if a.Type() == sqltypes.Float32 && b.Type() == sqltypes.Float32 {
			return types.Float32
		}
		return types.Float64
	}
	return unconstrainedNumeric
}

func isIntType(t sql.Type) bool {
	return types.IsInteger(t) || t.Type() == sqltypes.Null
}

func intWidth(t sql.Type) int {
	switch t.Type() {
	case sqltypes.Int8, sqltypes.Uint8, sqltypes.Int16, sqltypes.Null:
		return 16
	case sqltypes.Uint16, sqltypes.Int24, sqltypes.Uint24, sqltypes.Int32:
		return 32
	}
	return 64
}

func evalDiv(ctx *sql.Context, f *pgFunc, vals []any) (any, error) {
	rt := f.Type(ctx)
	divZero := sqlengine.Errorf(sqlengine.CodeDivisionByZero, "division by zero")
	switch {
	case types.IsInteger(rt):
		a, err := toInt64(vals[0])
		if err != nil {
			return nil, err
		}
		b, err := toInt64(vals[1])
		if err != nil {
			return nil, err
		}
		if b == 0 {
			return nil, divZero
		}
		if a == math.MinInt64 && b == -1 {
			return nil, sqlengine.Errorf(sqlengine.CodeNumericValueOutOfRange, "bigint out of range")
		}
		q := a / b
		switch rt.Type() {
		case sqltypes.Int16:
			return int16(q), nil
		case sqltypes.Int32:
			if q > math.MaxInt32 || q < math.MinInt32 {
				return nil, sqlengine.Errorf(sqlengine.CodeNumericValueOutOfRange, "integer out of range")
			}
			return int32(q), nil
		}
		return q, nil
	case types.IsFloat(rt) && !types.IsDecimal(rt):
		a, err := toFloat64(vals[0])
		if err != nil {
			return nil, err
		}
		b, err := toFloat64(vals[1])
		if err != nil {
			return nil, err
		}
		if b == 0 {
			return nil, divZero
		}
		if rt.Type() == sqltypes.Float32 {
			return float32(a / b), nil
		}
		return a / b, nil
	}
	a, err := toDecimal(vals[0])
	if err != nil {
		return nil, err
	}
	b, err := toDecimal(vals[1])
	if err != nil {
		return nil, err
	}
	if b.IsZero() {
		return nil, divZero
	}
	return a.DivRound(b, divScale(a, b)), nil
}

// divScale is PostgreSQL's result scale for numeric division
// (select_div_scale): at least 16 significant digits.
func divScale(a, b decimal.Decimal) int32 {
	weight := func(d decimal.Decimal) (int, int64) {
		ad := d.Abs()
		if ad.IsZero() {
			return 0, 0
		}
		w := 0
		for ad.GreaterThanOrEqual(decimal.NewFromInt(10000)) {
			ad = ad.Div(decimal.NewFromInt(10000))
			w++
		}
		for ad.LessThan(decimal.NewFromInt(1)) {
			ad = ad.Mul(decimal.NewFromInt(10000))
			w--
		}
		return w, ad.IntPart()
	}
	wa, fa := weight(a)
	wb, fb := weight(b)
	q := wa - wb
	if fa <= fb {
		q--
	}
	rscale := int32(16 - q*4)
	if s := -a.Exponent(); s > rscale {
		rscale = s
	}
	if s := -b.Exponent(); s > rscale {
		rscale = s
	}
	if rscale < 0 {
		rscale = 0
	}
	if rscale > 1000 {
		rscale = 1000
	}
	return rscale
}
