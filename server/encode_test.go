package server

import (
	"encoding/hex"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/pqsql/pqsql/sqlengine"
)

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := loadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func utc(y int, mo time.Month, d, h, mi, s, us int) time.Time {
	return time.Date(y, mo, d, h, mi, s, us*1000, time.UTC)
}

// The expected strings were printed by PostgreSQL 15.18 (psql -At) for the
// SQL literal in each case's comment.
func TestAppendTextMatchesPostgreSQL(t *testing.T) {
	cases := []struct {
		name string
		oid  uint32
		v    any
		tz   string
		want string
	}{
		{"true", sqlengine.BoolOID, true, "", "t"},
		{"false", sqlengine.BoolOID, false, "", "f"},
		{"int2", sqlengine.Int2OID, int16(math.MinInt16), "", "-32768"},
		{"int4", sqlengine.Int4OID, int32(7), "", "7"},
		{"int8", sqlengine.Int8OID, int64(math.MinInt64), "", "-9223372036854775808"},
		{"oid", sqlengine.OIDOID, uint32(4294967295), "", "4294967295"},
		// SELECT 1000000::float8, 0.1::float8, 1e20::float8, ...
		{"float8 1e6", sqlengine.Float8OID, 1e6, "", "1000000"},
		{"float8 0.1", sqlengine.Float8OID, 0.1, "", "0.1"},
		{"float8 1e20", sqlengine.Float8OID, 1e20, "", "1e+20"},
		{"float8 NaN", sqlengine.Float8OID, math.NaN(), "", "NaN"},
		{"float8 -Inf", sqlengine.Float8OID, math.Inf(-1), "", "-Infinity"},
		{"float8 1e15", sqlengine.Float8OID, 1e15, "", "1e+15"},
		{"float8 1e14", sqlengine.Float8OID, 1e14, "", "100000000000000"},
		{"float8 123456789012345", sqlengine.Float8OID, 123456789012345.0, "", "123456789012345"},
		{"float8 1.2345678901234568e+17", sqlengine.Float8OID, 123456789012345678.0, "", "1.2345678901234568e+17"},
		{"float8 1e-4", sqlengine.Float8OID, 1e-4, "", "0.0001"},
		{"float8 1e-5", sqlengine.Float8OID, 1e-5, "", "1e-05"},
		{"float8 0.000123", sqlengine.Float8OID, 0.000123, "", "0.000123"},
		{"float8 -0", sqlengine.Float8OID, math.Copysign(0, -1), "", "-0"},
		{"float8 -1.5e-10", sqlengine.Float8OID, -1.5e-10, "", "-1.5e-10"},
		{"float8 5e-324", sqlengine.Float8OID, 5e-324, "", "5e-324"},
		{"float8 max", sqlengine.Float8OID, math.MaxFloat64, "", "1.7976931348623157e+308"},
		{"float8 2^53+1", sqlengine.Float8OID, 9007199254740993.0, "", "9.007199254740992e+15"},
		{"float8 0.1+0.2", sqlengine.Float8OID, 0.30000000000000004, "", "0.30000000000000004"},
		{"float4 1.5", sqlengine.Float4OID, float32(1.5), "", "1.5"},
		{"float4 123456789", sqlengine.Float4OID, float32(123456789), "", "1.2345679e+08"},
		{"float4 100000", sqlengine.Float4OID, float32(100000), "", "100000"},
		{"float4 123456", sqlengine.Float4OID, float32(123456), "", "123456"},
		{"float4 1e6", sqlengine.Float4OID, float32(1e6), "", "1e+06"},
		{"float4 1234567", sqlengine.Float4OID, float32(1234567), "", "1.234567e+06"},
		{"float4 0.1", sqlengine.Float4OID, float32(0.1), "", "0.1"},
		{"float4 3.4e38", sqlengine.Float4OID, float32(3.4e38), "", "3.4e+38"},
		{"float4 max", sqlengine.Float4OID, float32(math.MaxFloat32), "", "3.4028235e+38"},
		{"float4 1e-7", sqlengine.Float4OID, float32(1e-7), "", "1e-07"},
		{"float4 2.5e-5", sqlengine.Float4OID, float32(2.5e-5), "", "2.5e-05"},
		{"float4 0.00012345", sqlengine.Float4OID, float32(0.00012345), "", "0.00012345"},
		{"float4 12345.678", sqlengine.Float4OID, float32(12345.678), "", "12345.678"},
		{"float4 1e-45", sqlengine.Float4OID, float32(1e-45), "", "1e-45"},
		{"float4 Inf", sqlengine.Float4OID, float32(math.Inf(1)), "", "Infinity"},
		{"numeric", sqlengine.NumericOID, "-12345.678900", "", "-12345.678900"},
		{"text", sqlengine.TextOID, "hé", "", "hé"},
		{"empty text", sqlengine.TextOID, "", "", ""},
		{"bytea", sqlengine.ByteaOID, []byte{1, 2}, "", `\x0102`},
		{"empty bytea", sqlengine.ByteaOID, []byte{}, "", `\x`},
		{"uuid", sqlengine.UUIDOID, [16]byte{0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38, 0x0a, 0x11}, "", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
		{"date", sqlengine.DateOID, utc(2000, 2, 29, 0, 0, 0, 0), "", "2000-02-29"},
		{"date BC", sqlengine.DateOID, utc(-43, 3, 15, 0, 0, 0, 0), "", "0044-03-15 BC"},
		{"date 1 BC", sqlengine.DateOID, utc(0, 1, 1, 0, 0, 0, 0), "", "0001-01-01 BC"},
		{"date 12345", sqlengine.DateOID, utc(12345, 1, 1, 0, 0, 0, 0), "", "12345-01-01"},
		{"timestamp", sqlengine.TimestampOID, utc(2024, 1, 2, 3, 4, 5, 123000), "", "2024-01-02 03:04:05.123"},
		{"timestamp us", sqlengine.TimestampOID, utc(1999, 12, 31, 23, 59, 59, 999999), "", "1999-12-31 23:59:59.999999"},
		{"timestamp 1us", sqlengine.TimestampOID, utc(2024, 1, 2, 3, 4, 5, 1), "", "2024-01-02 03:04:05.000001"},
		{"timestamp whole", sqlengine.TimestampOID, utc(1583, 6, 1, 12, 0, 0, 0), "", "1583-06-01 12:00:00"},
		{"timestamp BC", sqlengine.TimestampOID, utc(0, 1, 1, 0, 0, 0, 0), "", "0001-01-01 00:00:00 BC"},
		{"timestamptz UTC", sqlengine.TimestamptzOID, utc(2024, 1, 2, 3, 4, 5, 500000), "UTC", "2024-01-02 03:04:05.5+00"},
		{"timestamptz Etc/UTC", sqlengine.TimestamptzOID, utc(2024, 1, 2, 3, 4, 5, 0), "Etc/UTC", "2024-01-02 03:04:05+00"},
		{"timestamptz Kolkata", sqlengine.TimestamptzOID, utc(2024, 1, 2, 3, 4, 5, 500000), "Asia/Kolkata", "2024-01-02 08:34:05.5+05:30"},
		{"timestamptz Kolkata LMT", sqlengine.TimestamptzOID, utc(1900, 1, 1, 0, 0, 0, 0), "Asia/Kolkata", "1900-01-01 05:21:10+05:21:10"},
		{"timestamptz St_Johns", sqlengine.TimestamptzOID, utc(2024, 1, 2, 3, 4, 5, 500000), "America/St_Johns", "2024-01-01 23:34:05.5-03:30"},
		{"timestamptz St_Johns LMT", sqlengine.TimestamptzOID, utc(1800, 1, 1, 0, 0, 0, 0), "America/St_Johns", "1799-12-31 20:29:08-03:30:52"},
		{"timestamptz Kathmandu", sqlengine.TimestamptzOID, utc(2024, 1, 2, 3, 4, 5, 0), "Asia/Kathmandu", "2024-01-02 08:49:05+05:45"},
		{"timestamptz New_York DST", sqlengine.TimestamptzOID, utc(2024, 7, 1, 12, 0, 0, 0), "America/New_York", "2024-07-01 08:00:00-04"},
		{"timestamptz New_York", sqlengine.TimestamptzOID, utc(2024, 1, 1, 12, 0, 0, 250000), "America/New_York", "2024-01-01 07:00:00.25-05"},
		{"timestamptz Lord_Howe", sqlengine.TimestamptzOID, utc(2024, 1, 1, 12, 0, 0, 0), "Australia/Lord_Howe", "2024-01-01 23:00:00+11"},
		{"interval", sqlengine.IntervalOID, "1 day", "", "1 day"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			loc := time.UTC
			if tc.tz != "" {
				loc = mustLoc(t, tc.tz)
			}
			got, err := appendText(nil, tc.oid, tc.v, loc)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// The expected bytes are what PostgreSQL 15.18 sent for the same values with
// binary result format.
func TestAppendBinaryMatchesPostgreSQL(t *testing.T) {
	cases := []struct {
		name string
		oid  uint32
		v    any
		want string // hex
	}{
		{"bool", sqlengine.BoolOID, true, "01"},
		{"int2", sqlengine.Int2OID, int16(-2), "fffe"},
		{"int4", sqlengine.Int4OID, int32(7), "00000007"},
		{"int8", sqlengine.Int8OID, int64(-9), "fffffffffffffff7"},
		{"oid", sqlengine.OIDOID, uint32(26), "0000001a"},
		{"float4", sqlengine.Float4OID, float32(1.5), "3fc00000"},
		{"float8", sqlengine.Float8OID, 0.1, "3fb999999999999a"},
		{"text", sqlengine.TextOID, "hé", "68c3a9"},
		{"bytea", sqlengine.ByteaOID, []byte{1, 2}, "0102"},
		{"uuid", sqlengine.UUIDOID, [16]byte{0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38, 0x0a, 0x11}, "a0eebc999c0b4ef8bb6d6bb9bd380a11"},
		{"jsonb", sqlengine.JSONBOID, `{"a": 1}`, "017b2261223a20317d"},
		{"date BC", sqlengine.DateOID, utc(-43, 3, 15, 0, 0, 0, 0), "fff49d7b"},
		{"date", sqlengine.DateOID, utc(2024, 1, 2, 0, 0, 0, 0), "0000223f"},
		{"date before epoch", sqlengine.DateOID, utc(1999, 12, 31, 0, 0, 0, 0), "ffffffff"},
		{"timestamp", sqlengine.TimestampOID, utc(2024, 1, 2, 3, 4, 5, 123000), "0002b0ec8517d3b8"},
		{"timestamptz", sqlengine.TimestamptzOID, utc(1970, 1, 1, 0, 0, 0, 0), "fffca2fec4c82000"},
		{"numeric 1.50", sqlengine.NumericOID, "1.50", "000200000000000200011388"},
		{"numeric 0", sqlengine.NumericOID, "0", "0000000000000000"},
		{"numeric -12345.678900", sqlengine.NumericOID, "-12345.678900", "0003000140000006000109291a85"},
		{"numeric NaN", sqlengine.NumericOID, "NaN", "00000000c0000000"},
		{"numeric 0.0001", sqlengine.NumericOID, "0.0001", "0001ffff000000040001"},
		{"numeric 1e8", sqlengine.NumericOID, "100000000", "00010002000000000001"},
		{"numeric 1e-20", sqlengine.NumericOID, "0.00000000000000000001", "0001fffb000000140001"},
		{"numeric Infinity", sqlengine.NumericOID, "Infinity", "00000000d0000020"},
		{"numeric -Infinity", sqlengine.NumericOID, "-Infinity", "00000000f0000020"},
		{"numeric -0.5", sqlengine.NumericOID, "-0.5", "0001ffff400000011388"},
		{"numeric 1000", sqlengine.NumericOID, "1000", "000100000000000003e8"},
		{"interval", sqlengine.IntervalOID, "1 year 2 mons 3 days 04:05:06.5", "000000036c9361a0000000030000000e"},
		{"interval negative days", sqlengine.IntervalOID, "-1 days +02:00:00", "00000001ad274800ffffffff00000000"},
		{"time", sqlengine.TimeOID, "13:14:15.123456", "0000000b18777a00"},
		{"int4[]", 1007, "{1,2,NULL}", "000000010000000100000017000000030000000100000004000000010000000400000002ffffffff"},
		{"text[]", 1009, `{a,"b c"}`, "0000000100000000000000190000000200000001000000016100000003622063"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := appendBinary(nil, tc.oid, tc.v, pgtype.NewMap())
			if err != nil {
				t.Fatal(err)
			}
			if hex.EncodeToString(got) != tc.want {
				t.Errorf("got %x, want %s", got, tc.want)
			}
			// Parameters in binary format decode back to the same value.
			back, err := decodeBinaryParam(tc.oid, got, 1, pgtype.NewMap())
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			again, err := appendBinary(nil, tc.oid, back, pgtype.NewMap())
			if err != nil || hex.EncodeToString(again) != tc.want {
				t.Errorf("round trip: %x, %v", again, err)
			}
		})
	}
	if _, err := appendBinary(nil, 2277 /* anyarray */, "{}", pgtype.NewMap()); err == nil {
		t.Error("type without codec in binary: want an error")
	}
}

func TestDecodeTextParam(t *testing.T) {
	kolkata := mustLoc(t, "Asia/Kolkata")
	cases := []struct {
		oid  uint32
		in   string
		want any
	}{
		{sqlengine.BoolOID, "t", true},
		{sqlengine.BoolOID, " yes ", true},
		{sqlengine.BoolOID, "off", false},
		{sqlengine.BoolOID, "0", false},
		{sqlengine.Int2OID, "-32768", int16(-32768)},
		{sqlengine.Int4OID, " 42 ", int32(42)},
		{sqlengine.Int8OID, "9223372036854775807", int64(math.MaxInt64)},
		{sqlengine.OIDOID, "26", uint32(26)},
		{sqlengine.Float4OID, "1.5", float32(1.5)},
		{sqlengine.Float8OID, "-Infinity", math.Inf(-1)},
		{sqlengine.Float8OID, "1e-5", 1e-5},
		{sqlengine.TimestamptzOID, "2020-01-01 +00", time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)},
		{sqlengine.TimestamptzOID, "2020-01-01 +05:30", time.Date(2019, 12, 31, 18, 30, 0, 0, time.UTC)},
		{sqlengine.NumericOID, "12.50", "12.50"},
		{sqlengine.NumericOID, "1.50e1", "15.0"},
		{sqlengine.NumericOID, "1e3", "1000"},
		{sqlengine.NumericOID, "-0", "0"},
		{sqlengine.NumericOID, "nan", "NaN"},
		{sqlengine.NumericOID, ".5", "0.5"},
		{sqlengine.ByteaOID, `\x0102`, []byte{1, 2}},
		{sqlengine.ByteaOID, `a\\b\001`, []byte{'a', '\\', 'b', 1}},
		{sqlengine.UUIDOID, "{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}", [16]byte{0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38, 0x0a, 0x11}},
		{sqlengine.DateOID, "2024-01-02", utc(2024, 1, 2, 0, 0, 0, 0)},
		{sqlengine.DateOID, "0044-03-15 BC", utc(-43, 3, 15, 0, 0, 0, 0)},
		{sqlengine.DateOID, "2030-01-01 +00", utc(2030, 1, 1, 0, 0, 0, 0)},                // pgjdbc setDate
		{sqlengine.DateOID, "2030-01-01T00:00:00.000+00:00", utc(2030, 1, 1, 0, 0, 0, 0)}, // node-postgres Date
		{sqlengine.DateOID, "2030-01-01 23:59:59-05", utc(2030, 1, 1, 0, 0, 0, 0)},
		{sqlengine.TimestamptzOID, "2030-01-01T00:00:00.000+00:00", utc(2030, 1, 1, 0, 0, 0, 0)},
		{sqlengine.TimestampOID, "2024-01-02 03:04:05.123456", utc(2024, 1, 2, 3, 4, 5, 123456)},
		{sqlengine.TimestampOID, "2024-01-02T03:04:05+05", utc(2024, 1, 2, 3, 4, 5, 0)},
		{sqlengine.TimestamptzOID, "2024-01-02 03:04:05+05:30", utc(2024, 1, 1, 21, 34, 5, 0)},
		{sqlengine.TimestamptzOID, "2024-01-02 08:34:05.5", utc(2024, 1, 2, 3, 4, 5, 500000)}, // in Asia/Kolkata
		{sqlengine.TimestamptzOID, "2024-01-02 03:04:05Z", utc(2024, 1, 2, 3, 4, 5, 0)},
		{sqlengine.TextOID, "hé", "hé"},
	}
	for _, tc := range cases {
		got, err := decodeTextParam(tc.oid, []byte(tc.in), kolkata)
		if err != nil {
			t.Errorf("%d %q: %v", tc.oid, tc.in, err)
			continue
		}
		if gt, ok := got.(time.Time); ok {
			if !gt.Equal(tc.want.(time.Time)) {
				t.Errorf("%d %q: got %v, want %v", tc.oid, tc.in, gt, tc.want)
			}
			continue
		}
		if b, ok := got.([]byte); ok {
			if string(b) != string(tc.want.([]byte)) {
				t.Errorf("%d %q: got %x", tc.oid, tc.in, b)
			}
			continue
		}
		if got != tc.want {
			t.Errorf("%d %q: got %#v, want %#v", tc.oid, tc.in, got, tc.want)
		}
	}
}

// The messages are PostgreSQL 15's, from SELECT '<input>'::<type>.
func TestDecodeTextParamErrors(t *testing.T) {
	cases := []struct {
		oid       uint32
		in        string
		code, msg string
	}{
		{sqlengine.Int4OID, "abc", "22P02", `invalid input syntax for type integer: "abc"`},
		{sqlengine.Int4OID, "99999999999", "22003", `value "99999999999" is out of range for type integer`},
		{sqlengine.Int8OID, "x", "22P02", `invalid input syntax for type bigint: "x"`},
		{sqlengine.Int2OID, "x", "22P02", `invalid input syntax for type smallint: "x"`},
		{sqlengine.Float8OID, "1e999", "22003", `"1e999" is out of range for type double precision`},
		{sqlengine.Float4OID, "x", "22P02", `invalid input syntax for type real: "x"`},
		{sqlengine.NumericOID, "x", "22P02", `invalid input syntax for type numeric: "x"`},
		{sqlengine.BoolOID, "x", "22P02", `invalid input syntax for type boolean: "x"`},
		{sqlengine.DateOID, "x", "22P02", `invalid input syntax for type date: "x"`},
		{sqlengine.DateOID, "2030-01-01 junk", "22P02", `invalid input syntax for type date: "2030-01-01 junk"`},
		{sqlengine.TimestampOID, "x", "22P02", `invalid input syntax for type timestamp: "x"`},
		{sqlengine.TimestamptzOID, "x", "22P02", `invalid input syntax for type timestamp with time zone: "x"`},
		{sqlengine.UUIDOID, "x", "22P02", `invalid input syntax for type uuid: "x"`},
		{sqlengine.ByteaOID, `\x0`, "22P02", `invalid hexadecimal data: odd number of digits`},
		{sqlengine.OIDOID, "x", "22P02", `invalid input syntax for type oid: "x"`},
	}
	for _, tc := range cases {
		_, err := decodeTextParam(tc.oid, []byte(tc.in), time.UTC)
		var pgErr *sqlengine.Error
		if !errors.As(err, &pgErr) || pgErr.Code != tc.code || pgErr.Message != tc.msg {
			t.Errorf("%d %q: got %v, want %s %s", tc.oid, tc.in, err, tc.code, tc.msg)
		}
	}
}

func TestDecodeBinaryParamWidening(t *testing.T) {
	for _, raw := range []string{"0005", "00000005", "0000000000000005"} {
		b, _ := hex.DecodeString(raw)
		for oid, want := range map[uint32]any{sqlengine.Int2OID: int16(5), sqlengine.Int4OID: int32(5), sqlengine.Int8OID: int64(5)} {
			got, err := decodeBinaryParam(oid, b, 1, pgtype.NewMap())
			if err != nil || got != want {
				t.Errorf("%s as %d: %#v, %v", raw, oid, got, err)
			}
		}
	}
	big, _ := hex.DecodeString("0000000100000000")
	if _, err := decodeBinaryParam(sqlengine.Int4OID, big, 1, pgtype.NewMap()); err == nil {
		t.Error("2^32 accepted as int4")
	}
	if _, err := decodeBinaryParam(sqlengine.Int4OID, []byte{1, 2, 3}, 2, pgtype.NewMap()); err == nil ||
		err.Error() != "incorrect binary data format in bind parameter 2 (SQLSTATE 22P03)" {
		t.Errorf("3-byte int: %v", err)
	}
	if _, ok := decodeNumericBinary([]byte{0, 1}); ok {
		t.Error("short numeric accepted")
	}
}
