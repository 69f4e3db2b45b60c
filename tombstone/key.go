package tombstone

import (
	"errors"
	"fmt"
	"math"
	"strconv"
)

// ErrUnsupportedKey is returned by KeyOf for values that cannot serve as a
// tombstone key: NULL, floating-point numbers (equality on them is not exact
// enough to promise that the right rows are erased) and unknown types.
var ErrUnsupportedKey = errors.New("tombstone: unsupported key type")

// KeyKind is the type tag of a Key. Keys of different kinds never match, so
// the engine must build every key of one column with the same constructor.
type KeyKind uint8

// Key kinds. The numeric values are written to the log: never renumber them.
const (
	// KindInvalid is the kind of the zero Key, which is never written.
	KindInvalid KeyKind = 0
	// KindInt holds any integer column (int2, int4, int8) as int64.
	KindInt KeyKind = 1
	// KindText holds a text value: any bytes, including NUL.
	KindText KeyKind = 2
	// KindBytes holds a bytea value.
	KindBytes KeyKind = 3
	// KindUUID holds a uuid as its 16 bytes.
	KindUUID KeyKind = 4
	// KindBool holds a bool as 0 or 1.
	KindBool KeyKind = 5
	// KindDate holds a date as microseconds since 1970-01-01 00:00 UTC.
	KindDate KeyKind = 6
	// KindTimestamp holds a timestamp without time zone as microseconds
	// since 1970-01-01 00:00 (wall clock, no zone).
	KindTimestamp KeyKind = 7
	// KindTimestampTZ holds a timestamptz as microseconds since the Unix epoch.
	KindTimestampTZ KeyKind = 8
)

// String returns the kind's name.
func (k KeyKind) String() string {
	switch k {
	case KindInvalid:
		return "invalid"
	case KindInt:
		return "int"
	case KindText:
		return "text"
	case KindBytes:
		return "bytes"
	case KindUUID:
		return "uuid"
	case KindBool:
		return "bool"
	case KindDate:
		return "date"
	case KindTimestamp:
		return "timestamp"
	case KindTimestampTZ:
		return "timestamptz"
	}
	return "KeyKind(" + strconv.Itoa(int(k)) + ")"
}

// usesNum reports whether keys of this kind keep their value in Key.num
// (and leave Key.str empty); the others keep it in Key.str.
func (k KeyKind) usesNum() bool {
	switch k {
	case KindInt, KindBool, KindDate, KindTimestamp, KindTimestampTZ:
		return true
	}
	return false
}

// Key is one typed key value. It is comparable, so it can be used as a map
// key and with ==: two keys are equal iff they have the same kind and value.
// The fields are unexported so that every Key is built by a constructor and
// equal values always have equal representations. The zero Key is invalid.
type Key struct {
	kind KeyKind
	num  int64  // integers, bools, dates and timestamps
	str  string // text, bytes and uuid bytes
}

// IntKey returns the key for a value of any integer column.
func IntKey(v int64) Key { return Key{kind: KindInt, num: v} }

// TextKey returns the key for a text value. Any bytes are allowed.
func TextKey(s string) Key { return Key{kind: KindText, str: s} }

// BytesKey returns the key for a bytea value. It copies b.
func BytesKey(b []byte) Key { return Key{kind: KindBytes, str: string(b)} }

// UUIDKey returns the key for a uuid value.
func UUIDKey(u [16]byte) Key { return Key{kind: KindUUID, str: string(u[:])} }

// BoolKey returns the key for a bool value.
func BoolKey(b bool) Key {
	if b {
		return Key{kind: KindBool, num: 1}
	}
	return Key{kind: KindBool}
}

// DateKey returns the key for a date, given as microseconds since
// 1970-01-01 00:00 UTC (the date's midnight).
func DateKey(micros int64) Key { return Key{kind: KindDate, num: micros} }

// TimestampKey returns the key for a timestamp without time zone, given as
// microseconds since 1970-01-01 00:00.
func TimestampKey(micros int64) Key { return Key{kind: KindTimestamp, num: micros} }

// TimestampTZKey returns the key for a timestamptz, given as microseconds
// since the Unix epoch.
func TimestampTZKey(micros int64) Key { return Key{kind: KindTimestampTZ, num: micros} }

// KeyOf converts a Go value as the engine holds it into a Key: any signed or
// unsigned integer (unsigned ones must fit in int64) gives KindInt, string
// KindText, []byte KindBytes, [16]byte KindUUID, bool KindBool, and a Key is
// returned as is. Dates and timestamps are ambiguous as Go values; use their
// constructors. NULL (nil), floats and other types fail with ErrUnsupportedKey.
func KeyOf(v any) (Key, error) {
	switch x := v.(type) {
	case Key:
		if x.kind == KindInvalid {
			return Key{}, fmt.Errorf("%w: zero Key", ErrUnsupportedKey)
		}
		return x, nil
	case int:
		return IntKey(int64(x)), nil
	case int8:
		return IntKey(int64(x)), nil
	case int16:
		return IntKey(int64(x)), nil
	case int32:
		return IntKey(int64(x)), nil
	case int64:
		return IntKey(x), nil
	case uint:
		return uintKey(uint64(x))
	case uint8:
		return IntKey(int64(x)), nil
	case uint16:
		return IntKey(int64(x)), nil
	case uint32:
		return IntKey(int64(x)), nil
	case uint64:
		return uintKey(x)
	case string:
		return TextKey(x), nil
	case []byte:
		return BytesKey(x), nil
	case [16]byte:
		return UUIDKey(x), nil
	case bool:
		return BoolKey(x), nil
	case nil:
		return Key{}, fmt.Errorf("%w: NULL", ErrUnsupportedKey)
	case float32, float64:
		return Key{}, fmt.Errorf("%w: floating-point %T", ErrUnsupportedKey, v)
	}
	return Key{}, fmt.Errorf("%w: %T", ErrUnsupportedKey, v)
}

func uintKey(v uint64) (Key, error) {
	if v > math.MaxInt64 {
		return Key{}, fmt.Errorf("%w: unsigned value %d overflows int64", ErrUnsupportedKey, v)
	}
	return IntKey(int64(v)), nil
}

// Kind returns the key's kind.
func (k Key) Kind() KeyKind { return k.kind }

// IsZero reports whether k is the zero (invalid) Key.
func (k Key) IsZero() bool { return k == Key{} }

// Int returns the value of a KindInt key, the microseconds of a date or
// timestamp key, 0 or 1 for a bool key, and 0 for other kinds.
func (k Key) Int() int64 { return k.num }

// Text returns the value of a KindText key, the bytes of a KindBytes or
// KindUUID key as a string, and "" for other kinds.
func (k Key) Text() string { return k.str }

// Bytes returns a copy of the bytes of a KindBytes, KindText or KindUUID key.
func (k Key) Bytes() []byte { return []byte(k.str) }

// UUID returns the value of a KindUUID key, and the zero UUID for other kinds.
func (k Key) UUID() [16]byte {
	var u [16]byte
	if k.kind == KindUUID {
		copy(u[:], k.str)
	}
	return u
}

// Bool returns the value of a KindBool key.
func (k Key) Bool() bool { return k.kind == KindBool && k.num != 0 }

// String formats the key for debugging and tests. It prints the key value:
// do not log it, since keys are the personal data a DELETE erases.
func (k Key) String() string {
	switch k.kind {
	case KindText:
		return "text:" + strconv.Quote(k.str)
	case KindBytes:
		return fmt.Sprintf("bytes:%x", k.str)
	case KindUUID:
		return fmt.Sprintf("uuid:%x", k.str)
	case KindBool:
		return "bool:" + strconv.FormatBool(k.num != 0)
	case KindInvalid:
		return "invalid"
	}
	return k.kind.String() + ":" + strconv.FormatInt(k.num, 10)
}

// valid reports whether k was built by a constructor.
func (k Key) valid() bool {
	switch {
	case k.kind == KindInvalid || k.kind > KindTimestampTZ:
		return false
	case k.kind.usesNum():
		return k.str == "" && (k.kind != KindBool || k.num == 0 || k.num == 1)
	case k.kind == KindUUID:
		return k.num == 0 && len(k.str) == 16
	default:
		return k.num == 0
	}
}
