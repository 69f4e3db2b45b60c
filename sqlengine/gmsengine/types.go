package gmsengine

import (
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"
	"github.com/shopspring/decimal"

	"github.com/pqsql/pqsql/sqlengine"
	"github.com/pqsql/pqsql/tables"
)

// GMS types that stand for PostgreSQL types GMS lacks. They are recognised
// by identity when result columns are mapped back to PostgreSQL OIDs.
var (
	// uuidType holds uuids as their canonical 36-character text.
	uuidType = types.MustCreateString(sqltypes.Char, 36, sql.Collation_utf8mb4_0900_bin)
	// jsonType holds json text; MediumText is never produced by literals.
	jsonType = types.MediumText
	// timestampType is timestamp without time zone.
	timestampType = types.MustCreateDatetimeType(sqltypes.Datetime, 6)
	// timestamptzType is timestamp with time zone.
	timestamptzType = types.MustCreateDatetimeType(sqltypes.Timestamp, 6)
	// textType is text: LONGTEXT with the binary collation (fast comparisons,
	// the type GMS gives string literals).
	textType = types.CreateLongText(sql.Collation_utf8mb4_0900_bin)
	// timeType is time without time zone.
	timeType = types.Time
	// unconstrainedNumeric is numeric without a type modifier.
	unconstrainedNumeric = types.MustCreateDecimalType(65, 20)
)

// gmsType returns the GMS type for a table column type.
func gmsType(t tables.Type) (sql.Type, error) {
	switch t.OID {
	case sqlengine.BoolOID:
		return types.Boolean, nil
	case sqlengine.Int2OID:
		return types.Int16, nil
	case sqlengine.Int4OID:
		return types.Int32, nil
	case sqlengine.Int8OID:
		return types.Int64, nil
	case sqlengine.Float4OID:
		return types.Float32, nil
	case sqlengine.Float8OID:
		return types.Float64, nil
	case sqlengine.TextOID, sqlengine.VarcharOID, sqlengine.BPCharOID, sqlengine.NameOID:
		return textType, nil
	case sqlengine.JSONOID, sqlengine.JSONBOID:
		return jsonType, nil
	case sqlengine.NumericOID:
		return numericType(t.Precision, t.Scale)
	case sqlengine.DateOID:
		return types.Date, nil
	case sqlengine.TimestampOID:
		return timestampType, nil
	case sqlengine.TimestamptzOID:
		return timestamptzType, nil
	case sqlengine.ByteaOID:
		return types.LongBlob, nil
	case sqlengine.UUIDOID:
		return uuidType, nil
	}
	return nil, fmt.Errorf("unsupported column type OID %d", t.OID)
}

// numericType returns GMS's decimal for numeric(p,s), clamped to GMS's limits.
func numericType(p, s int32) (sql.Type, error) {
	if p <= 0 {
		return unconstrainedNumeric, nil
	}
	if p > 65 {
		p = 65
	}
	if s > 30 {
		s = 30
	}
	if s > p {
		s = p
	}
	return types.CreateDecimalType(uint8(p), uint8(s))
}

// pgType describes a result column's PostgreSQL type.
type pgType struct {
	OID    uint32
	Size   int16
	Typmod int32
	// Scale is the numeric scale to render, -1 for none.
	Scale int32
}

// pgTypeOf maps a GMS result column to its PostgreSQL type.
func pgTypeOf(c *sql.Column) pgType {
	t := c.Type
	plain := pgType{Size: -1, Typmod: -1, Scale: -1}
	if p, ok := catalogPGType(t); ok {
		return p
	}
	switch {
	case t == nil:
		plain.OID = sqlengine.TextOID
	case isIntervalType(t):
		plain.OID, plain.Size = sqlengine.IntervalOID, 16
	case isUUIDText(t):
		plain.OID, plain.Size = sqlengine.UUIDOID, 16
	case isJSONText(t):
		plain.OID = sqlengine.JSONOID
	case types.IsJSON(t):
		plain.OID = sqlengine.JSONOID
	case types.IsBoolean(t):
		plain.OID, plain.Size = sqlengine.BoolOID, 1
	case t.Type() == sqltypes.Int8, t.Type() == sqltypes.Uint8:
		// Small integer literals: PostgreSQL types integer literals as int4.
		plain.OID, plain.Size = sqlengine.Int4OID, 4
	case t.Type() == sqltypes.Int16:
		if c.Source != "" {
			plain.OID, plain.Size = sqlengine.Int2OID, 2
		} else {
			plain.OID, plain.Size = sqlengine.Int4OID, 4
		}
	case t.Type() == sqltypes.Uint16, t.Type() == sqltypes.Int24, t.Type() == sqltypes.Int32:
		plain.OID, plain.Size = sqlengine.Int4OID, 4
	case t.Type() == sqltypes.Uint32:
		plain.OID, plain.Size = sqlengine.OIDOID, 4
	case t.Type() == sqltypes.Uint24, t.Type() == sqltypes.Int64:
		plain.OID, plain.Size = sqlengine.Int8OID, 8
	case t.Type() == sqltypes.Uint64:
		plain.OID = sqlengine.NumericOID
	case t.Type() == sqltypes.Float32:
		plain.OID, plain.Size = sqlengine.Float4OID, 4
	case t.Type() == sqltypes.Float64:
		plain.OID, plain.Size = sqlengine.Float8OID, 8
	case types.IsDecimal(t):
		plain.OID = sqlengine.NumericOID
		if dt, ok := t.(sql.DecimalType); ok && dt != unconstrainedNumeric && c.Source != "" {
			plain.Typmod = (int32(dt.Precision())<<16 | int32(dt.Scale())) + 4
			plain.Scale = int32(dt.Scale())
		}
	case t.Type() == sqltypes.Date:
		plain.OID, plain.Size = sqlengine.DateOID, 4
	case t.Type() == sqltypes.Datetime:
		plain.OID, plain.Size = sqlengine.TimestampOID, 8
	case t.Type() == sqltypes.Timestamp:
		plain.OID, plain.Size = sqlengine.TimestamptzOID, 8
	case t.Type() == sqltypes.Time:
		plain.OID, plain.Size = sqlengine.TimeOID, 8
	case types.IsBinaryType(t) || types.IsBlobType(t) && !types.IsTextOnly(t):
		plain.OID = sqlengine.ByteaOID
	case t.Type() == sqltypes.Null:
		plain.OID = sqlengine.TextOID
	default:
		plain.OID = sqlengine.TextOID
	}
	return plain
}

// canonical converts a GMS value to the canonical Go value for typ (see
// sqlengine.Value).
func canonical(v any, typ pgType, loc *time.Location) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch typ.OID {
	case sqlengine.BoolOID:
		return toBool(v)
	case sqlengine.Int2OID:
		n, err := toInt64(v)
		if err != nil {
			return nil, err
		}
		if n < math.MinInt16 || n > math.MaxInt16 {
			return nil, sqlengine.Errorf(sqlengine.CodeNumericValueOutOfRange, "smallint out of range")
		}
		return int16(n), nil
	case sqlengine.Int4OID:
		n, err := toInt64(v)
		if err != nil {
			return nil, err
		}
		if n < math.MinInt32 || n > math.MaxInt32 {
			return nil, sqlengine.Errorf(sqlengine.CodeNumericValueOutOfRange, "integer out of range")
		}
		return int32(n), nil
	case sqlengine.Int8OID:
		return toInt64(v)
	case sqlengine.Float4OID:
		f, err := toFloat64(v)
		return float32(f), err
	case sqlengine.Float8OID:
		return toFloat64(v)
	case sqlengine.NumericOID:
		d, err := toDecimal(v)
		if err != nil {
			if s, ok := v.(string); ok && strings.EqualFold(s, "NaN") {
				return "NaN", nil
			}
			return nil, err
		}
		if typ.Scale >= 0 {
			return d.StringFixed(typ.Scale), nil
		}
		return numericText(d), nil
	case sqlengine.ByteaOID:
		switch x := v.(type) {
		case []byte:
			return x, nil
		case string:
			return []byte(x), nil
		}
		return []byte(textOf(v, loc)), nil
	case sqlengine.DateOID:
		t, err := toTime(v, loc)
		if err != nil {
			return nil, err
		}
		return dateOf(t), nil
	case sqlengine.TimestampOID:
		t, err := toTime(v, loc)
		if err != nil {
			return nil, err
		}
		return wallClockUTC(t), nil
	case sqlengine.TimestamptzOID:
		t, err := toTime(v, loc)
		if err != nil {
			return nil, err
		}
		return t.UTC(), nil
	case sqlengine.UUIDOID:
		s := textOf(v, loc)
		u, err := parseUUID(s)
		if err != nil {
			return nil, err
		}
		return u, nil
	case sqlengine.OIDOID:
		n, err := toInt64(v)
		return uint32(n), err
	}
	return textOf(v, loc), nil
}

// dateOf returns the midnight UTC of t's date.
func dateOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// wallClockUTC returns the wall-clock reading of t as a UTC time.
func wallClockUTC(t time.Time) time.Time {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	return time.Date(y, mo, d, h, mi, s, t.Nanosecond(), time.UTC)
}

func toBool(v any) (bool, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case string:
		b, ok := parseBool(x)
		if !ok {
			return false, sqlengine.Errorf(sqlengine.CodeInvalidTextRepresentation, "invalid input syntax for type boolean: %q", x)
		}
		return b, nil
	}
	n, err := toFloat64(v)
	return n != 0, err
}

// parseBool accepts PostgreSQL's boolean input forms.
func parseBool(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "t", "tr", "tru", "true", "y", "ye", "yes", "on", "1":
		return true, true
	case "f", "fa", "fal", "fals", "false", "n", "no", "of", "off", "0":
		return false, true
	}
	return false, false
}

func toInt64(v any) (int64, error) {
	switch x := v.(type) {
	case int8:
		return int64(x), nil
	case int16:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case int64:
		return x, nil
	case int:
		return int64(x), nil
	case uint8:
		return int64(x), nil
	case uint16:
		return int64(x), nil
	case uint32:
		return int64(x), nil
	case uint64:
		if x > math.MaxInt64 {
			return 0, sqlengine.Errorf(sqlengine.CodeNumericValueOutOfRange, "bigint out of range")
		}
		return int64(x), nil
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	case float32:
		return floatToInt(float64(x))
	case float64:
		return floatToInt(x)
	case decimal.Decimal:
		r := x.Round(0)
		if !r.IsInteger() || r.GreaterThan(decimal.NewFromInt(math.MaxInt64)) || r.LessThan(decimal.NewFromInt(math.MinInt64)) {
			return 0, sqlengine.Errorf(sqlengine.CodeNumericValueOutOfRange, "bigint out of range")
		}
		return r.IntPart(), nil
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		if err != nil {
			return 0, sqlengine.Errorf(sqlengine.CodeInvalidTextRepresentation, "invalid input syntax for type bigint: %q", x)
		}
		return n, nil
	case []byte:
		return toInt64(string(x))
	}
	return 0, fmt.Errorf("cannot convert %T to an integer", v)
}

func floatToInt(f float64) (int64, error) {
	r := math.RoundToEven(f)
	if math.IsNaN(r) || r < math.MinInt64 || r >= math.MaxInt64 {
		return 0, sqlengine.Errorf(sqlengine.CodeNumericValueOutOfRange, "bigint out of range")
	}
	return int64(r), nil
}

func toFloat64(v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case float32:
		return float64(x), nil
	case decimal.Decimal:
		f, _ := x.Float64()
		return f, nil
	case string:
		return parseFloat(x, "double precision")
	case []byte:
		return parseFloat(string(x), "double precision")
	}
	n, err := toInt64(v)
	return float64(n), err
}

// parseFloat parses PostgreSQL float input, including NaN and Infinity.
func parseFloat(s, typeName string) (float64, error) {
	t := strings.TrimSpace(s)
	switch strings.ToLower(t) {
	case "nan":
		return math.NaN(), nil
	case "infinity", "+infinity", "inf", "+inf":
		return math.Inf(1), nil
	case "-infinity", "-inf":
		return math.Inf(-1), nil
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, sqlengine.Errorf(sqlengine.CodeNumericValueOutOfRange, "%q is out of range for type %s", s, typeName)
		}
		return 0, sqlengine.Errorf(sqlengine.CodeInvalidTextRepresentation, "invalid input syntax for type %s: %q", typeName, s)
	}
	return f, nil
}

func toDecimal(v any) (decimal.Decimal, error) {
	switch x := v.(type) {
	case decimal.Decimal:
		return x, nil
	case decimal.NullDecimal:
		return x.Decimal, nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return decimal.Decimal{}, sqlengine.Errorf(sqlengine.CodeInvalidTextRepresentation, "invalid input syntax for type numeric: %q", strconv.FormatFloat(x, 'g', -1, 64))
		}
		return decimal.NewFromFloat(x), nil
	case float32:
		return decimal.NewFromFloat32(x), nil
	case string:
		d, err := decimal.NewFromString(strings.TrimSpace(x))
		if err != nil {
			return decimal.Decimal{}, sqlengine.Errorf(sqlengine.CodeInvalidTextRepresentation, "invalid input syntax for type numeric: %q", x)
		}
		return d, nil
	case []byte:
		return toDecimal(string(x))
	}
	n, err := toInt64(v)
	return decimal.NewFromInt(n), err
}

// timeLayouts are the date/time input forms accepted from text.
var timeLayouts = []string{
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999Z07",
	"2006-01-02 15:04:05.999999999-0700",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04Z07:00",
	"2006-01-02 15:04Z07",
	"2006-01-02T15:04Z07:00",
	"2006-01-02 15:04",
	"2006-01-02T15:04",
	// A date with a zone and no time: pgjdbc sends setDate values as
	// "2020-01-01 +00", which PostgreSQL reads as midnight in that zone.
	"2006-01-02 Z07:00",
	"2006-01-02 Z07",
	"2006-01-02",
}

// parseTime parses PostgreSQL date/time input; times without a zone are in loc.
func parseTime(s string, loc *time.Location) (time.Time, bool) {
	t := strings.TrimSpace(s)
	if strings.EqualFold(t, "epoch") {
		return time.Unix(0, 0).UTC(), true
	}
	for _, l := range timeLayouts {
		if tm, err := time.ParseInLocation(l, t, loc); err == nil {
			return tm, true
		}
	}
	return time.Time{}, false
}

func toTime(v any, loc *time.Location) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		return x, nil
	case string:
		t, ok := parseTime(x, loc)
		if !ok {
			return time.Time{}, sqlengine.Errorf(sqlengine.CodeInvalidDatetimeFormat, "invalid input syntax for type timestamp: %q", x)
		}
		return t, nil
	case []byte:
		return toTime(string(x), loc)
	}
	return time.Time{}, fmt.Errorf("cannot convert %T to a timestamp", v)
}

// parseUUID accepts the forms PostgreSQL accepts (hyphens optional, braces).
func parseUUID(s string) ([16]byte, error) {
	var u [16]byte
	t := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(s), "{"), "}")
	t = strings.ReplaceAll(t, "-", "")
	if len(t) != 32 {
		return u, sqlengine.Errorf(sqlengine.CodeInvalidTextRepresentation, "invalid input syntax for type uuid: %q", s)
	}
	if _, err := hex.Decode(u[:], []byte(t)); err != nil {
		return u, sqlengine.Errorf(sqlengine.CodeInvalidTextRepresentation, "invalid input syntax for type uuid: %q", s)
	}
	return u, nil
}

// textOf renders a GMS value in PostgreSQL's text form.
func textOf(v any, loc *time.Location) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []byte:
		return `\x` + hex.EncodeToString(x)
	case bool:
		if x {
			return "true"
		}
		return "false"
	case float64:
		return formatFloat(x, 64)
	case float32:
		return formatFloat(float64(x), 32)
	case decimal.Decimal:
		return numericText(x)
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 && x.Location() == time.UTC {
			return x.Format("2006-01-02 15:04:05")
		}
		return x.Format("2006-01-02 15:04:05.999999")
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}

// formatFloat renders a float as PostgreSQL does with extra_float_digits 1.
func formatFloat(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	s := strconv.FormatFloat(f, 'g', -1, bits)
	if strings.Contains(s, "e") {
		// PostgreSQL writes e+XX exponents with at least two digits.
		mant, exp, _ := strings.Cut(s, "e")
		sign := exp[0]
		digits := exp[1:]
		if len(digits) < 2 {
			digits = "0" + digits
		}
		s = mant + "e" + string(sign) + digits
	}
	return s
}

// isJSONText reports whether t is jsonType (MEDIUMTEXT).
func isJSONText(t sql.Type) bool {
	st, ok := t.(sql.StringType)
	return ok && t.Type() == sqltypes.Text && st.MaxByteLength() == jsonType.MaxByteLength()
}

// isUUIDText reports whether t is uuidType (CHAR(36)).
func isUUIDText(t sql.Type) bool {
	st, ok := t.(sql.StringType)
	return ok && t.Type() == sqltypes.Char && st.MaxCharacterLength() == 36
}

// numericText renders a decimal keeping its scale, as PostgreSQL keeps a
// numeric's display scale ("3.50" stays "3.50").
func numericText(d decimal.Decimal) string {
	if e := d.Exponent(); e < 0 {
		return d.StringFixed(-e)
	}
	return d.String()
}
