package server

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/pqsql/pqsql/sqlengine"
)

// pgEpoch is the origin of PostgreSQL's binary date and timestamp formats.
var pgEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// pgEpochUnixMicro is pgEpoch in microseconds since the Unix epoch.
const pgEpochUnixMicro = 946684800 * 1_000_000

// appendText appends v, a canonical value for a column of type oid (see
// sqlengine.Value), in PostgreSQL 15's text output format. loc is the session's
// TimeZone, used for timestamptz.
func appendText(dst []byte, oid uint32, v any, loc *time.Location) ([]byte, error) {
	switch x := v.(type) {
	case bool:
		if x {
			return append(dst, 't'), nil
		}
		return append(dst, 'f'), nil
	case int16:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int32:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(dst, x, 10), nil
	case uint32:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case float32:
		return appendFloat(dst, float64(x), 32), nil
	case float64:
		return appendFloat(dst, x, 64), nil
	case string:
		return append(dst, x...), nil
	case []byte:
		if oid != sqlengine.ByteaOID {
			return append(dst, x...), nil
		}
		dst = append(dst, '\\', 'x')
		return hex.AppendEncode(dst, x), nil
	case [16]byte:
		return appendUUID(dst, x), nil
	case time.Time:
		switch oid {
		case sqlengine.DateOID:
			return appendDate(dst, x.UTC()), nil
		case sqlengine.TimestampOID:
			return appendTimestamp(dst, x.UTC(), false), nil
		case sqlengine.TimestamptzOID:
			if loc == nil {
				loc = time.UTC
			}
			return appendTimestamp(dst, x.In(loc), true), nil
		}
		return nil, fmt.Errorf("encode time.Time as type OID %d: unsupported", oid)
	}
	return nil, fmt.Errorf("encode %T as type OID %d: unsupported value type", v, oid)
}

// appendFloat formats f like PostgreSQL 15's float4out/float8out with the
// default extra_float_digits (shortest exact representation): fixed notation
// for decimal exponents in [-4, 15) for float8 and [-4, 6) for float4,
// exponential notation with at least two exponent digits otherwise.
func appendFloat(dst []byte, f float64, bitSize int) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "NaN"...)
	case math.IsInf(f, 1):
		return append(dst, "Infinity"...)
	case math.IsInf(f, -1):
		return append(dst, "-Infinity"...)
	}
	maxFixedExp := 15
	if bitSize == 32 {
		maxFixedExp = 6
	}
	var buf [32]byte
	e := strconv.AppendFloat(buf[:0], f, 'e', -1, bitSize) // [-]d[.ddd]e±dd
	mant, expPart, _ := strings.Cut(string(e), "e")
	exp, _ := strconv.Atoi(expPart)
	if exp < -4 || exp >= maxFixedExp {
		return append(dst, e...)
	}
	neg := strings.HasPrefix(mant, "-")
	digits := strings.Replace(strings.TrimPrefix(mant, "-"), ".", "", 1)
	if neg {
		dst = append(dst, '-')
	}
	if exp < 0 {
		dst = append(dst, "0."...)
		for i := -1; i > exp; i-- {
			dst = append(dst, '0')
		}
		return append(dst, digits...)
	}
	if len(digits) <= exp+1 {
		dst = append(dst, digits...)
		for i := len(digits); i <= exp; i++ {
			dst = append(dst, '0')
		}
		return dst
	}
	dst = append(dst, digits[:exp+1]...)
	dst = append(dst, '.')
	return append(dst, digits[exp+1:]...)
}

func appendUUID(dst []byte, u [16]byte) []byte {
	dst = hex.AppendEncode(dst, u[0:4])
	dst = append(dst, '-')
	dst = hex.AppendEncode(dst, u[4:6])
	dst = append(dst, '-')
	dst = hex.AppendEncode(dst, u[6:8])
	dst = append(dst, '-')
	dst = hex.AppendEncode(dst, u[8:10])
	dst = append(dst, '-')
	return hex.AppendEncode(dst, u[10:16])
}

// appendYear appends the year PostgreSQL prints for t (at least four digits;
// years before 1 AD are counted as 1 BC, 2 BC, ...) and reports whether the
// date is BC.
func appendYear(dst []byte, t time.Time) ([]byte, bool) {
	year := t.Year()
	bc := year <= 0
	if bc {
		year = 1 - year
	}
	s := strconv.Itoa(year)
	for i := len(s); i < 4; i++ {
		dst = append(dst, '0')
	}
	return append(dst, s...), bc
}

func append2(dst []byte, n int) []byte {
	return append(dst, byte('0'+n/10), byte('0'+n%10))
}

func appendDate(dst []byte, t time.Time) []byte {
	dst, bc := appendYear(dst, t)
	dst = append(dst, '-')
	dst = append2(dst, int(t.Month()))
	dst = append(dst, '-')
	dst = append2(dst, t.Day())
	if bc {
		dst = append(dst, " BC"...)
	}
	return dst
}

// appendTimestamp appends t's wall clock as 'YYYY-MM-DD HH:MM:SS[.ffffff]',
// followed by its UTC offset ('+00', '+05:30', '-03:30:52') when withZone.
func appendTimestamp(dst []byte, t time.Time, withZone bool) []byte {
	dst, bc := appendYear(dst, t)
	dst = append(dst, '-')
	dst = append2(dst, int(t.Month()))
	dst = append(dst, '-')
	dst = append2(dst, t.Day())
	dst = append(dst, ' ')
	dst = append2(dst, t.Hour())
	dst = append(dst, ':')
	dst = append2(dst, t.Minute())
	dst = append(dst, ':')
	dst = append2(dst, t.Second())
	if us := t.Nanosecond() / 1000; us != 0 {
		frac := strconv.Itoa(us + 1_000_000)[1:] // six digits, zero-padded
		dst = append(dst, '.')
		dst = append(dst, strings.TrimRight(frac, "0")...)
	}
	if withZone {
		_, off := t.Zone()
		sign := byte('+')
		if off < 0 {
			sign, off = '-', -off
		}
		dst = append(dst, sign)
		dst = append2(dst, off/3600)
		if off%3600 != 0 {
			dst = append(dst, ':')
			dst = append2(dst, off%3600/60)
			if off%60 != 0 {
				dst = append(dst, ':')
				dst = append2(dst, off%60)
			}
		}
	}
	if bc {
		dst = append(dst, " BC"...)
	}
	return dst
}

// appendBinary appends v, a canonical value for a column of type oid, in
// PostgreSQL's binary format for that type. Types carried as text that the
// server does not encode itself (time, interval, arrays, ...) are transcoded
// with pgtype's codecs from tm.
func appendBinary(dst []byte, oid uint32, v any, tm *pgtype.Map) ([]byte, error) {
	switch x := v.(type) {
	case bool:
		if x {
			return append(dst, 1), nil
		}
		return append(dst, 0), nil
	case int16:
		return binary.BigEndian.AppendUint16(dst, uint16(x)), nil
	case int32:
		return binary.BigEndian.AppendUint32(dst, uint32(x)), nil
	case int64:
		return binary.BigEndian.AppendUint64(dst, uint64(x)), nil
	case uint32:
		return binary.BigEndian.AppendUint32(dst, x), nil
	case float32:
		return binary.BigEndian.AppendUint32(dst, math.Float32bits(x)), nil
	case float64:
		return binary.BigEndian.AppendUint64(dst, math.Float64bits(x)), nil
	case []byte:
		return append(dst, x...), nil
	case [16]byte:
		return append(dst, x[:]...), nil
	case time.Time:
		switch oid {
		case sqlengine.DateOID:
			days := math.Floor(float64(x.Unix()-pgEpoch.Unix()) / 86400)
			return binary.BigEndian.AppendUint32(dst, uint32(int32(days))), nil
		case sqlengine.TimestampOID, sqlengine.TimestamptzOID:
			us := x.UnixMicro() - pgEpochUnixMicro
			return binary.BigEndian.AppendUint64(dst, uint64(us)), nil
		}
		return nil, fmt.Errorf("encode time.Time as binary type OID %d: unsupported", oid)
	case string:
		switch oid {
		case sqlengine.NumericOID:
			return appendNumericBinary(dst, x)
		case sqlengine.JSONBOID:
			dst = append(dst, 1) // jsonb binary format version
			return append(dst, x...), nil
		case sqlengine.TextOID, sqlengine.VarcharOID, sqlengine.BPCharOID, sqlengine.NameOID,
			sqlengine.JSONOID, sqlengine.UnknownOID:
			return append(dst, x...), nil
		}
		return transcode(dst, oid, pgtype.TextFormatCode, []byte(x), pgtype.BinaryFormatCode, tm)
	}
	return nil, fmt.Errorf("encode %T as binary type OID %d: unsupported value type", v, oid)
}

// transcode converts src, a value of type oid in format from, to format to
// with pgtype's codec for the type.
func transcode(dst []byte, oid uint32, from int16, src []byte, to int16, tm *pgtype.Map) ([]byte, error) {
	typ, ok := tm.TypeForOID(oid)
	if !ok {
		return nil, fmt.Errorf("type OID %d: no codec to convert between text and binary format", oid)
	}
	v, err := typ.Codec.DecodeValue(tm, oid, from, src)
	if err != nil {
		return nil, fmt.Errorf("decode type OID %d: %w", oid, err)
	}
	out, err := tm.Encode(oid, to, v, dst)
	if err != nil {
		return nil, fmt.Errorf("encode type OID %d: %w", oid, err)
	}
	return out, nil
}

// Numeric binary format (numeric_send): int16 ndigits, int16 weight, uint16
// sign, int16 dscale, then ndigits base-10000 digits, most significant first.
const (
	numericPos  = 0x0000
	numericNeg  = 0x4000
	numericNaN  = 0xC000
	numericPInf = 0xD000
	numericNInf = 0xF000
)

// appendNumericBinary encodes numeric text (PostgreSQL's output form, or any
// decimal literal numericIn accepts) in numeric's binary format.
func appendNumericBinary(dst []byte, text string) ([]byte, error) {
	s, err := normalizeNumeric(text)
	if err != nil {
		return nil, err
	}
	header := func(ndigits, weight, sign, dscale int) []byte {
		dst = binary.BigEndian.AppendUint16(dst, uint16(ndigits))
		dst = binary.BigEndian.AppendUint16(dst, uint16(int16(weight)))
		dst = binary.BigEndian.AppendUint16(dst, uint16(sign))
		return binary.BigEndian.AppendUint16(dst, uint16(dscale))
	}
	switch s {
	case "NaN":
		return header(0, 0, numericNaN, 0), nil
	case "Infinity": // PostgreSQL 15 sends dscale 32 for infinities
		return header(0, 0, numericPInf, 32), nil
	case "-Infinity":
		return header(0, 0, numericNInf, 32), nil
	}
	sign := numericPos
	if strings.HasPrefix(s, "-") {
		sign, s = numericNeg, s[1:]
	}
	intPart, fracPart, _ := strings.Cut(s, ".")
	dscale := len(fracPart)
	intPart = strings.TrimLeft(intPart, "0")
	// Pad both parts to whole base-10000 digits around the decimal point.
	if r := len(intPart) % 4; r != 0 {
		intPart = strings.Repeat("0", 4-r) + intPart
	}
	if r := len(fracPart) % 4; r != 0 {
		fracPart += strings.Repeat("0", 4-r)
	}
	all := intPart + fracPart
	digits := make([]uint16, 0, len(all)/4)
	for i := 0; i < len(all); i += 4 {
		d, _ := strconv.Atoi(all[i : i+4])
		digits = append(digits, uint16(d))
	}
	weight := len(intPart)/4 - 1
	// Strip leading and trailing zero digits, as numeric_send does.
	for len(digits) > 0 && digits[0] == 0 {
		digits = digits[1:]
		weight--
	}
	for len(digits) > 0 && digits[len(digits)-1] == 0 {
		digits = digits[:len(digits)-1]
	}
	if len(digits) == 0 {
		weight, sign = 0, numericPos
	}
	dst = header(len(digits), weight, sign, dscale)
	for _, d := range digits {
		dst = binary.BigEndian.AppendUint16(dst, d)
	}
	return dst, nil
}

// normalizeNumeric turns a numeric literal into the form numeric_out prints:
// "NaN", "Infinity", "-Infinity", or [-]digits[.digits] with no exponent,
// keeping the literal's scale. It reports a malformed literal as an error.
func normalizeNumeric(text string) (string, error) {
	s := strings.TrimSpace(text)
	switch strings.ToLower(s) {
	case "nan":
		return "NaN", nil
	case "infinity", "+infinity", "inf", "+inf":
		return "Infinity", nil
	case "-infinity", "-inf":
		return "-Infinity", nil
	}
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	mant, expText, hasExp := strings.Cut(strings.ToLower(s), "e")
	intPart, fracPart, _ := strings.Cut(mant, ".")
	if intPart == "" && fracPart == "" || !allDigits(intPart) || !allDigits(fracPart) {
		return "", fmt.Errorf("malformed numeric %q", text)
	}
	exp := 0
	if hasExp {
		e, err := strconv.Atoi(expText)
		if err != nil || e > 1000 || e < -1000 {
			return "", fmt.Errorf("malformed numeric %q", text)
		}
		exp = e
	}
	if exp != 0 {
		// Move the decimal point exp places, as numeric_in does; the scale
		// becomes max(0, len(frac)-exp).
		r, ok := new(big.Rat).SetString(mant + "e" + strconv.Itoa(exp))
		if !ok {
			return "", fmt.Errorf("malformed numeric %q", text)
		}
		scale := max(len(fracPart)-exp, 0)
		s = r.FloatString(scale)
		intPart, fracPart, _ = strings.Cut(s, ".")
	}
	intPart = strings.TrimLeft(intPart, "0")
	if intPart == "" {
		intPart = "0"
	}
	out := intPart
	if fracPart != "" {
		out += "." + fracPart
	}
	if neg && strings.Trim(out, "0.") != "" {
		out = "-" + out
	}
	return out, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
