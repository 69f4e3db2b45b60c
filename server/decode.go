package server

import (
	"encoding/binary"
	"encoding/hex"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/pqsql/pqsql/sqlengine"
)

// typeNames holds the names PostgreSQL uses for types in input error messages.
var typeNames = map[uint32]string{
	sqlengine.BoolOID:        "boolean",
	sqlengine.ByteaOID:       "bytea",
	sqlengine.Int2OID:        "smallint",
	sqlengine.Int4OID:        "integer",
	sqlengine.Int8OID:        "bigint",
	sqlengine.OIDOID:         "oid",
	sqlengine.Float4OID:      "real",
	sqlengine.Float8OID:      "double precision",
	sqlengine.NumericOID:     "numeric",
	sqlengine.DateOID:        "date",
	sqlengine.TimestampOID:   "timestamp",
	sqlengine.TimestamptzOID: "timestamp with time zone",
	sqlengine.UUIDOID:        "uuid",
	sqlengine.JSONOID:        "json",
	sqlengine.JSONBOID:       "json",
}

func invalidInput(oid uint32, text string) *sqlengine.Error {
	return sqlengine.Errorf(sqlengine.CodeInvalidTextRepresentation,
		"invalid input syntax for type %s: %q", typeNames[oid], text)
}

func outOfRange(oid uint32, text string) *sqlengine.Error {
	return sqlengine.Errorf(sqlengine.CodeNumericValueOutOfRange,
		"value %q is out of range for type %s", text, typeNames[oid])
}

// decodeTextParam converts a parameter sent in text format into the canonical
// value for type oid. loc is the session's TimeZone, for timestamptz input
// without an explicit offset.
func decodeTextParam(oid uint32, raw []byte, loc *time.Location) (any, error) {
	text := string(raw)
	switch oid {
	case sqlengine.BoolOID:
		return parseBool(text)
	case sqlengine.Int2OID, sqlengine.Int4OID, sqlengine.Int8OID:
		return parseInt(oid, text)
	case sqlengine.OIDOID:
		n, err := strconv.ParseUint(strings.TrimSpace(text), 10, 32)
		if err != nil {
			return nil, invalidInput(oid, text)
		}
		return uint32(n), nil
	case sqlengine.Float4OID, sqlengine.Float8OID:
		return parseFloat(oid, text)
	case sqlengine.NumericOID:
		s, err := normalizeNumeric(text)
		if err != nil {
			return nil, invalidInput(oid, text)
		}
		return s, nil
	case sqlengine.ByteaOID:
		return parseBytea(text)
	case sqlengine.UUIDOID:
		return parseUUID(text)
	case sqlengine.DateOID:
		return parseDate(text)
	case sqlengine.TimestampOID:
		return parseTimestamp(oid, text, time.UTC, false)
	case sqlengine.TimestamptzOID:
		if loc == nil {
			loc = time.UTC
		}
		return parseTimestamp(oid, text, loc, true)
	}
	if !utf8.ValidString(text) {
		return nil, sqlengine.Errorf("22021", "invalid byte sequence for encoding \"UTF8\"")
	}
	return text, nil
}

func parseBool(text string) (any, error) {
	s := strings.ToLower(strings.TrimSpace(text))
	// PostgreSQL's boolin accepts any unique prefix of these words.
	if s != "" {
		for _, w := range []string{"true", "yes"} {
			if strings.HasPrefix(w, s) {
				return true, nil
			}
		}
		for _, w := range []string{"false", "no"} {
			if strings.HasPrefix(w, s) {
				return false, nil
			}
		}
		switch s {
		case "1", "on":
			return true, nil
		case "0", "of", "off":
			return false, nil
		}
	}
	return nil, invalidInput(sqlengine.BoolOID, text)
}

func parseInt(oid uint32, text string) (any, error) {
	bits := map[uint32]int{sqlengine.Int2OID: 16, sqlengine.Int4OID: 32, sqlengine.Int8OID: 64}[oid]
	n, err := strconv.ParseInt(strings.TrimSpace(text), 10, bits)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return nil, outOfRange(oid, text)
		}
		return nil, invalidInput(oid, text)
	}
	switch oid {
	case sqlengine.Int2OID:
		return int16(n), nil
	case sqlengine.Int4OID:
		return int32(n), nil
	}
	return n, nil
}

func parseFloat(oid uint32, text string) (any, error) {
	s := strings.TrimSpace(text)
	bits := 64
	if oid == sqlengine.Float4OID {
		bits = 32
	}
	var f float64
	switch strings.ToLower(s) {
	case "nan":
		f = math.NaN()
	case "infinity", "+infinity", "inf", "+inf":
		f = math.Inf(1)
	case "-infinity", "-inf":
		f = math.Inf(-1)
	default:
		// strconv accepts forms PostgreSQL rejects (hex floats, underscores).
		if strings.ContainsAny(s, "xX_pP") {
			return nil, invalidInput(oid, text)
		}
		var err error
		f, err = strconv.ParseFloat(s, bits)
		if err != nil {
			if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
				return nil, sqlengine.Errorf(sqlengine.CodeNumericValueOutOfRange,
					"%q is out of range for type %s", s, typeNames[oid])
			}
			return nil, invalidInput(oid, text)
		}
	}
	if bits == 32 {
		return float32(f), nil
	}
	return f, nil
}

func parseBytea(text string) (any, error) {
	if strings.HasPrefix(text, `\x`) {
		b, err := hex.DecodeString(text[2:])
		if err != nil {
			return nil, sqlengine.Errorf(sqlengine.CodeInvalidTextRepresentation, "invalid hexadecimal data: odd number of digits")
		}
		return b, nil
	}
	// Escape format: backslash followed by three octal digits or a backslash.
	out := make([]byte, 0, len(text))
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		switch {
		case i+1 < len(text) && text[i+1] == '\\':
			out = append(out, '\\')
			i++
		case i+3 < len(text)+0 && isOctal(text[i+1]) && isOctal(text[i+2]) && isOctal(text[i+3]) && text[i+1] <= '3':
			out = append(out, (text[i+1]-'0')<<6|(text[i+2]-'0')<<3|(text[i+3]-'0'))
			i += 3
		default:
			return nil, invalidInput(sqlengine.ByteaOID, text)
		}
	}
	return out, nil
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

func parseUUID(text string) (any, error) {
	s := strings.TrimSpace(text)
	if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
		s = s[1 : len(s)-1]
	}
	var hexDigits []byte
	for i := 0; i < len(s); i++ {
		if s[i] == '-' {
			// PostgreSQL accepts a hyphen after any group of four digits.
			if len(hexDigits) == 0 || len(hexDigits)%4 != 0 || i+1 == len(s) || s[i+1] == '-' {
				return nil, invalidInput(sqlengine.UUIDOID, text)
			}
			continue
		}
		hexDigits = append(hexDigits, s[i])
	}
	var u [16]byte
	if len(hexDigits) != 32 {
		return nil, invalidInput(sqlengine.UUIDOID, text)
	}
	if _, err := hex.Decode(u[:], hexDigits); err != nil {
		return nil, invalidInput(sqlengine.UUIDOID, text)
	}
	return u, nil
}

// splitBC removes a trailing " BC" (or " AD") era marker.
func splitBC(s string) (string, bool) {
	up := strings.ToUpper(s)
	switch {
	case strings.HasSuffix(up, " BC"):
		return strings.TrimSpace(s[:len(s)-3]), true
	case strings.HasSuffix(up, " AD"):
		return strings.TrimSpace(s[:len(s)-3]), false
	}
	return s, false
}

// bcYear converts a year number printed with BC into Go's astronomical year.
func bcYear(t time.Time, bc bool) time.Time {
	if !bc {
		return t
	}
	return t.AddDate(1-2*t.Year(), 0, 0)
}

// parseDate parses an ISO date. Like PostgreSQL's date_in it accepts a time
// and zone after the date and ignores them (pgjdbc sends "2030-01-01 +00",
// node-postgres "2030-01-01T00:00:00.000+00:00").
func parseDate(text string) (any, error) {
	s, bc := splitBC(strings.TrimSpace(text))
	if len(s) < 10 {
		return nil, invalidInput(sqlengine.DateOID, text)
	}
	t, err := time.Parse("2006-01-02", s[:10])
	if err != nil {
		return nil, invalidInput(sqlengine.DateOID, text)
	}
	if rest := strings.TrimSpace(s[10:]); rest != "" && !isZone(rest) {
		if _, err := parseTimestamp(sqlengine.TimestampOID, s, time.UTC, false); err != nil {
			return nil, invalidInput(sqlengine.DateOID, text)
		}
	}
	return bcYear(t, bc), nil
}

// isZone reports whether s is a UTC offset such as "+00", "-05:30" or "Z".
func isZone(s string) bool {
	if s == "Z" || s == "z" || strings.EqualFold(s, "UTC") {
		return true
	}
	for _, layout := range []string{"-07", "-07:00", "-0700", "-07:00:00"} {
		if _, err := time.Parse(layout, s); err == nil {
			return true
		}
	}
	return false
}

// timestampLayouts are the ISO forms accepted for timestamp parameters.
var timestampLayouts = []string{
	"2006-01-02 15:04:05.999999999Z07:00:00",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999Z07",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04Z07:00",
	"2006-01-02 15:04Z07",
	"2006-01-02 15:04",
	// A date with an offset and no time ("2020-01-01 +00", how pgjdbc sends
	// setDate): midnight at that offset, as PostgreSQL reads it.
	"2006-01-02Z07:00",
	"2006-01-02Z07",
	"2006-01-02",
}

// parseTimestamp parses an ISO timestamp. Without an explicit offset, the
// reading is taken in loc; for timestamp (withZone false) any offset is
// ignored, as PostgreSQL does.
func parseTimestamp(oid uint32, text string, loc *time.Location, withZone bool) (any, error) {
	s, bc := splitBC(strings.TrimSpace(text))
	s = strings.Replace(s, "T", " ", 1)
	if strings.HasSuffix(s, "Z") || strings.HasSuffix(s, "z") {
		s = s[:len(s)-1] + "+00"
	}
	s = strings.Replace(s, " +", "+", 1)
	s = strings.Replace(s, " -", "-", 1)
	for _, layout := range timestampLayouts {
		hasZone := strings.Contains(layout, "Z07")
		var t time.Time
		var err error
		if hasZone {
			t, err = time.Parse(layout, s)
		} else {
			t, err = time.ParseInLocation(layout, s, loc)
		}
		if err != nil {
			continue
		}
		t = bcYear(t, bc)
		if !withZone {
			return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond()/1000*1000, time.UTC), nil
		}
		return t.Round(time.Microsecond), nil
	}
	return nil, invalidInput(oid, text)
}

func incorrectBinary(param int) *sqlengine.Error {
	return sqlengine.Errorf("22P03", "incorrect binary data format in bind parameter %d", param)
}

// decodeBinaryParam converts parameter number param (1-based), sent in binary
// format, into the canonical value for type oid. Integers of any width are
// accepted for any integer type the value fits in, since clients such as
// psycopg 3 send the narrowest integer that holds the value.
func decodeBinaryParam(oid uint32, raw []byte, param int, tm *pgtype.Map) (any, error) {
	switch oid {
	case sqlengine.BoolOID:
		if len(raw) != 1 {
			return nil, incorrectBinary(param)
		}
		return raw[0] != 0, nil
	case sqlengine.Int2OID, sqlengine.Int4OID, sqlengine.Int8OID:
		var n int64
		switch len(raw) {
		case 2:
			n = int64(int16(binary.BigEndian.Uint16(raw)))
		case 4:
			n = int64(int32(binary.BigEndian.Uint32(raw)))
		case 8:
			n = int64(binary.BigEndian.Uint64(raw))
		default:
			return nil, incorrectBinary(param)
		}
		switch oid {
		case sqlengine.Int2OID:
			if n < math.MinInt16 || n > math.MaxInt16 {
				return nil, sqlengine.Errorf(sqlengine.CodeNumericValueOutOfRange, "smallint out of range")
			}
			return int16(n), nil
		case sqlengine.Int4OID:
			if n < math.MinInt32 || n > math.MaxInt32 {
				return nil, sqlengine.Errorf(sqlengine.CodeNumericValueOutOfRange, "integer out of range")
			}
			return int32(n), nil
		}
		return n, nil
	case sqlengine.OIDOID:
		if len(raw) != 4 {
			return nil, incorrectBinary(param)
		}
		return binary.BigEndian.Uint32(raw), nil
	case sqlengine.Float4OID, sqlengine.Float8OID:
		var f float64
		switch len(raw) {
		case 4:
			f = float64(math.Float32frombits(binary.BigEndian.Uint32(raw)))
		case 8:
			f = math.Float64frombits(binary.BigEndian.Uint64(raw))
		default:
			return nil, incorrectBinary(param)
		}
		if oid == sqlengine.Float4OID {
			return float32(f), nil
		}
		return f, nil
	case sqlengine.NumericOID:
		s, ok := decodeNumericBinary(raw)
		if !ok {
			return nil, incorrectBinary(param)
		}
		return s, nil
	case sqlengine.ByteaOID:
		return append([]byte(nil), raw...), nil
	case sqlengine.UUIDOID:
		var u [16]byte
		if len(raw) != 16 {
			return nil, incorrectBinary(param)
		}
		copy(u[:], raw)
		return u, nil
	case sqlengine.DateOID:
		if len(raw) != 4 {
			return nil, incorrectBinary(param)
		}
		return pgEpoch.AddDate(0, 0, int(int32(binary.BigEndian.Uint32(raw)))), nil
	case sqlengine.TimestampOID, sqlengine.TimestamptzOID:
		if len(raw) != 8 {
			return nil, incorrectBinary(param)
		}
		us := int64(binary.BigEndian.Uint64(raw))
		return time.UnixMicro(us + pgEpochUnixMicro).UTC(), nil
	case sqlengine.JSONBOID:
		if len(raw) == 0 || raw[0] != 1 {
			return nil, incorrectBinary(param)
		}
		return string(raw[1:]), nil
	case sqlengine.TextOID, sqlengine.VarcharOID, sqlengine.BPCharOID, sqlengine.NameOID,
		sqlengine.JSONOID, sqlengine.UnknownOID, 0:
		if !utf8.Valid(raw) {
			return nil, sqlengine.Errorf("22021", "invalid byte sequence for encoding \"UTF8\"")
		}
		return string(raw), nil
	}
	// Other types are canonically carried as their text form.
	text, err := transcode(nil, oid, pgtype.BinaryFormatCode, raw, pgtype.TextFormatCode, tm)
	if err != nil {
		return nil, incorrectBinary(param)
	}
	return string(text), nil
}

// decodeNumericBinary converts numeric's binary format to its text form.
func decodeNumericBinary(raw []byte) (string, bool) {
	if len(raw) < 8 {
		return "", false
	}
	ndigits := int(binary.BigEndian.Uint16(raw[0:]))
	weight := int(int16(binary.BigEndian.Uint16(raw[2:])))
	sign := binary.BigEndian.Uint16(raw[4:])
	dscale := int(binary.BigEndian.Uint16(raw[6:]))
	if len(raw) != 8+2*ndigits || dscale > 0x3FFF {
		return "", false
	}
	switch sign {
	case numericNaN:
		return "NaN", true
	case numericPInf:
		return "Infinity", true
	case numericNInf:
		return "-Infinity", true
	case numericPos, numericNeg:
	default:
		return "", false
	}
	digit := func(i int) int { // base-10000 digit with weight w-i, 0 outside
		if i < 0 || i >= ndigits {
			return 0
		}
		return int(binary.BigEndian.Uint16(raw[8+2*i:]))
	}
	for i := 0; i < ndigits; i++ {
		if digit(i) > 9999 {
			return "", false
		}
	}
	var b strings.Builder
	if sign == numericNeg {
		b.WriteByte('-')
	}
	if weight < 0 {
		b.WriteByte('0')
	} else {
		for i := 0; i <= weight; i++ {
			d := digit(i)
			if i == 0 {
				b.WriteString(strconv.Itoa(d))
			} else {
				b.WriteString(strconv.Itoa(d + 10000)[1:])
			}
		}
	}
	if dscale > 0 {
		var frac strings.Builder
		for i := weight + 1; frac.Len() < dscale; i++ {
			frac.WriteString(strconv.Itoa(digit(i) + 10000)[1:])
		}
		b.WriteByte('.')
		b.WriteString(frac.String()[:dscale])
	}
	return b.String(), true
}
