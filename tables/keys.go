package tables

import (
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/pqsql/pqsql/sqlengine"
	"github.com/pqsql/pqsql/tombstone"
)

// microsPerDay converts dates to the microseconds tombstone.DateKey takes.
const microsPerDay = 86400 * 1000 * 1000

// keyKindOf returns the tombstone key kind of a key column of type typ, or
// KindInvalid when rows cannot be deleted by a key of that type (floats,
// whose equality is too loose, numeric and json).
func keyKindOf(typ Type) tombstone.KeyKind {
	switch typ.OID {
	case sqlengine.Int2OID, sqlengine.Int4OID, sqlengine.Int8OID:
		return tombstone.KindInt
	case sqlengine.TextOID:
		return tombstone.KindText
	case sqlengine.ByteaOID:
		return tombstone.KindBytes
	case sqlengine.UUIDOID:
		return tombstone.KindUUID
	case sqlengine.BoolOID:
		return tombstone.KindBool
	case sqlengine.DateOID:
		return tombstone.KindDate
	case sqlengine.TimestampOID:
		return tombstone.KindTimestamp
	case sqlengine.TimestamptzOID:
		return tombstone.KindTimestampTZ
	}
	return tombstone.KindInvalid
}

// Key converts a value of the key column, as the engine holds it, to the
// tombstone key Delete records and scans match: any Go integer for int2,
// int4 and int8; string for text; []byte for bytea; [16]byte for uuid; bool;
// time.Time for date (its calendar date in its location), timestamp (its
// wall clock in its location) and timestamptz (its instant). A
// tombstone.Key of the column's kind is returned as is. NULL, other Go types
// and key columns of other types fail with an error wrapping
// tombstone.ErrUnsupportedKey. Use it to build PendingDeletes.
func (t *Table) Key(v any) (tombstone.Key, error) {
	col := t.columns[t.key]
	fail := func(what string) (tombstone.Key, error) {
		return tombstone.Key{}, fmt.Errorf("table %q key column %q (%s): %w: %s", t.name, col.Name, typeName(col.Type), tombstone.ErrUnsupportedKey, what)
	}
	if v == nil {
		return fail("NULL matches no row")
	}
	if t.keyKind == tombstone.KindInvalid {
		return fail("rows cannot be deleted by a key of this type")
	}
	if k, ok := v.(tombstone.Key); ok {
		if k.Kind() != t.keyKind {
			return fail(fmt.Sprintf("key of kind %s", k.Kind()))
		}
		return k, nil
	}
	switch t.keyKind {
	case tombstone.KindInt:
		switch v.(type) {
		case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
			k, err := tombstone.KeyOf(v)
			if err != nil {
				return fail(err.Error())
			}
			return k, nil
		}
	case tombstone.KindText:
		if s, ok := v.(string); ok {
			return tombstone.TextKey(s), nil
		}
	case tombstone.KindBytes:
		if b, ok := v.([]byte); ok {
			return tombstone.BytesKey(b), nil
		}
	case tombstone.KindUUID:
		if u, ok := v.([16]byte); ok {
			return tombstone.UUIDKey(u), nil
		}
	case tombstone.KindBool:
		if b, ok := v.(bool); ok {
			return tombstone.BoolKey(b), nil
		}
	case tombstone.KindDate:
		if tm, ok := v.(time.Time); ok {
			y, m, d := tm.Date()
			return tombstone.DateKey(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).UnixMicro()), nil
		}
	case tombstone.KindTimestamp:
		if tm, ok := v.(time.Time); ok {
			y, m, d := tm.Date()
			h, mi, s := tm.Clock()
			return tombstone.TimestampKey(time.Date(y, m, d, h, mi, s, tm.Nanosecond(), time.UTC).UnixMicro()), nil
		}
	case tombstone.KindTimestampTZ:
		if tm, ok := v.(time.Time); ok {
			return tombstone.TimestampTZKey(tm.UnixMicro()), nil
		}
	}
	return fail(fmt.Sprintf("value of Go type %T", v))
}

// typeName names a column type for messages.
func typeName(typ Type) string {
	switch typ.OID {
	case sqlengine.BoolOID:
		return "bool"
	case sqlengine.Int2OID:
		return "int2"
	case sqlengine.Int4OID:
		return "int4"
	case sqlengine.Int8OID:
		return "int8"
	case sqlengine.Float4OID:
		return "float4"
	case sqlengine.Float8OID:
		return "float8"
	case sqlengine.NumericOID:
		return "numeric"
	case sqlengine.TextOID:
		return "text"
	case sqlengine.JSONOID:
		return "json"
	case sqlengine.DateOID:
		return "date"
	case sqlengine.TimestampOID:
		return "timestamp"
	case sqlengine.TimestamptzOID:
		return "timestamptz"
	case sqlengine.ByteaOID:
		return "bytea"
	case sqlengine.UUIDOID:
		return "uuid"
	}
	return fmt.Sprintf("type %d", typ.OID)
}

// arrayKeys sets keys[i] to the key of row i of arr, a key column in Batch
// representation of kind kind, and valid[i] to whether the row's key is not
// NULL (a NULL key is the zero Key, which nothing hides). Text keys alias
// arr's memory: keys must not outlive arr.
func arrayKeys(arr arrow.Array, kind tombstone.KeyKind, keys []tombstone.Key, valid []bool) error {
	n := arr.Len()
	for i := range n {
		valid[i] = arr.IsValid(i)
		keys[i] = tombstone.Key{}
	}
	set := func(f func(i int) tombstone.Key) {
		for i := range n {
			if valid[i] {
				keys[i] = f(i)
			}
		}
	}
	switch a := arr.(type) {
	case *array.Int16:
		set(func(i int) tombstone.Key { return tombstone.IntKey(int64(a.Value(i))) })
	case *array.Int32:
		set(func(i int) tombstone.Key { return tombstone.IntKey(int64(a.Value(i))) })
	case *array.Int64:
		set(func(i int) tombstone.Key { return tombstone.IntKey(a.Value(i)) })
	case *array.String:
		set(func(i int) tombstone.Key { return tombstone.TextKey(a.Value(i)) })
	case *array.Binary:
		set(func(i int) tombstone.Key { return tombstone.BytesKey(a.Value(i)) })
	case *array.FixedSizeBinary:
		set(func(i int) tombstone.Key { return tombstone.UUIDKey([16]byte(a.Value(i))) })
	case *array.Boolean:
		set(func(i int) tombstone.Key { return tombstone.BoolKey(a.Value(i)) })
	case *array.Date32:
		set(func(i int) tombstone.Key { return tombstone.DateKey(int64(a.Value(i)) * microsPerDay) })
	case *array.Timestamp:
		if kind == tombstone.KindTimestampTZ {
			set(func(i int) tombstone.Key { return tombstone.TimestampTZKey(int64(a.Value(i))) })
		} else {
			set(func(i int) tombstone.Key { return tombstone.TimestampKey(int64(a.Value(i))) })
		}
	default:
		return fmt.Errorf("key column of Arrow type %s cannot be matched against tombstones", arr.DataType())
	}
	return nil
}
