package tombstone

import (
	"errors"
	"math"
	"testing"
)

func TestKeyOf(t *testing.T) {
	u := [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	for _, tc := range []struct {
		in   any
		want Key
	}{
		{int(-5), IntKey(-5)},
		{int8(-8), IntKey(-8)},
		{int16(16), IntKey(16)},
		{int32(32), IntKey(32)},
		{int64(math.MinInt64), IntKey(math.MinInt64)},
		{uint8(8), IntKey(8)},
		{uint16(16), IntKey(16)},
		{uint32(math.MaxUint32), IntKey(math.MaxUint32)},
		{uint64(math.MaxInt64), IntKey(math.MaxInt64)},
		{uint(7), IntKey(7)},
		{"a\x00b", TextKey("a\x00b")},
		{[]byte{0, 1}, BytesKey([]byte{0, 1})},
		{u, UUIDKey(u)},
		{true, BoolKey(true)},
		{false, BoolKey(false)},
		{DateKey(86400e6), DateKey(86400e6)},
	} {
		got, err := KeyOf(tc.in)
		if err != nil {
			t.Errorf("KeyOf(%#v): %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("KeyOf(%#v) = %v, want %v", tc.in, got, tc.want)
		}
	}
	for _, bad := range []any{nil, 1.5, float32(2), uint64(math.MaxUint64), struct{}{}, Key{}} {
		if k, err := KeyOf(bad); !errors.Is(err, ErrUnsupportedKey) {
			t.Errorf("KeyOf(%#v) = %v, %v; want ErrUnsupportedKey", bad, k, err)
		}
	}
}

func TestKeyEquality(t *testing.T) {
	// Same payload, different kinds: distinct map keys.
	distinct := []Key{
		IntKey(1), BoolKey(true), DateKey(1), TimestampKey(1), TimestampTZKey(1),
		TextKey("\x01"), BytesKey([]byte{1}), IntKey(0), BoolKey(false), TextKey(""), BytesKey(nil),
	}
	m := make(map[Key]int)
	for i, k := range distinct {
		if !k.valid() {
			t.Errorf("%v not valid", k)
		}
		m[k] = i
	}
	if len(m) != len(distinct) {
		t.Fatalf("%d distinct keys collapsed into %d map entries", len(distinct), len(m))
	}
	if TextKey("abc") != TextKey(string([]byte("abc"))) {
		t.Error("equal text keys compare unequal")
	}
	if (Key{}).valid() || !(Key{}).IsZero() {
		t.Error("zero Key must be invalid")
	}
	u := [16]byte{0xff, 15: 0x01}
	if got := UUIDKey(u).UUID(); got != u {
		t.Errorf("UUID round trip: %x", got)
	}
	if !BoolKey(true).Bool() || BoolKey(false).Bool() {
		t.Error("Bool accessor")
	}
}

func TestFileName(t *testing.T) {
	seen := make(map[string]string)
	for _, table := range []string{"t", "T", "a/b", "../x", ".", "..", "a%2Fb", "a b", "😀", "a\x00b", "x.tlog", "users_2024-01"} {
		name, err := FileName(table)
		if err != nil {
			t.Fatalf("FileName(%q): %v", table, err)
		}
		for _, c := range name[:len(name)-len(fileExt)] {
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '%' || 'A' <= c && c <= 'F') {
				t.Errorf("FileName(%q) = %q contains %q", table, name, c)
			}
		}
		if prev, ok := seen[name]; ok {
			t.Errorf("FileName(%q) = FileName(%q) = %q", table, prev, name)
		}
		seen[name] = table
	}
	if _, err := FileName(""); err == nil {
		t.Error("empty table name accepted")
	}
	if _, err := FileName(string(make([]byte, 200))); err == nil {
		t.Error("over-long table name accepted")
	}
}
