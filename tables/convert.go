package tables

import (
	"context"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// convertArray turns an array decoded by pqarrow into the representation
// Batch fixes for the column's PostgreSQL type. The result is a new
// reference the caller releases.
func convertArray(ctx context.Context, mem memory.Allocator, arr arrow.Array, p fieldPlan) (arrow.Array, error) {
	want := arrowType(p.column.Type)
	if p.nested {
		return renderJSON(mem, arr)
	}
	// Extension types (uuid, json, ...) convert through their storage.
	if ext, ok := arr.(array.ExtensionArray); ok {
		arr = ext.Storage()
	}
	if arrow.TypeEqual(arr.DataType(), want) {
		arr.Retain()
		return arr, nil
	}
	// Byte arrays annotated JSON or ENUM decode as binary; the bytes are text.
	if want.ID() == arrow.STRING && arr.DataType().ID() == arrow.BINARY {
		data := array.NewData(want, arr.Len(), arr.Data().Buffers(), nil, arr.NullN(), arr.Data().Offset())
		defer data.Release()
		return array.MakeFromData(data), nil
	}
	out, err := compute.CastArray(ctx, arr, compute.UnsafeCastOptions(want))
	if err != nil {
		return nil, fmt.Errorf("convert column %q from %s to %s: %w", p.column.Name, arr.DataType(), want, err)
	}
	return out, nil
}

// renderJSON renders each value of a nested array as JSON text, the way
// PostgreSQL's to_json would render the equivalent composite value.
func renderJSON(mem memory.Allocator, arr arrow.Array) (arrow.Array, error) {
	b := array.NewStringBuilder(mem)
	defer b.Release()
	b.Reserve(arr.Len())
	var buf []byte
	for i := range arr.Len() {
		if arr.IsNull(i) {
			b.AppendNull()
			continue
		}
		var err error
		buf, err = appendJSON(buf[:0], arr, i)
		if err != nil {
			return nil, err
		}
		b.BinaryBuilder.Append(buf)
	}
	return b.NewArray(), nil
}

// appendJSON appends the JSON text of arr's value i to buf.
func appendJSON(buf []byte, arr arrow.Array, i int) ([]byte, error) {
	if arr.IsNull(i) {
		return append(buf, "null"...), nil
	}
	switch a := arr.(type) {
	case array.ExtensionArray:
		return appendJSON(buf, a.Storage(), i)
	case *array.Dictionary:
		return appendJSON(buf, a.Dictionary(), a.GetValueIndex(i))
	case *array.Boolean:
		return strconv.AppendBool(buf, a.Value(i)), nil
	case *array.Int8:
		return strconv.AppendInt(buf, int64(a.Value(i)), 10), nil
	case *array.Int16:
		return strconv.AppendInt(buf, int64(a.Value(i)), 10), nil
	case *array.Int32:
		return strconv.AppendInt(buf, int64(a.Value(i)), 10), nil
	case *array.Int64:
		return strconv.AppendInt(buf, a.Value(i), 10), nil
	case *array.Uint8:
		return strconv.AppendUint(buf, uint64(a.Value(i)), 10), nil
	case *array.Uint16:
		return strconv.AppendUint(buf, uint64(a.Value(i)), 10), nil
	case *array.Uint32:
		return strconv.AppendUint(buf, uint64(a.Value(i)), 10), nil
	case *array.Uint64:
		return strconv.AppendUint(buf, a.Value(i), 10), nil
	case *array.Float16:
		return appendJSONFloat(buf, float64(a.Value(i).Float32()), 32), nil
	case *array.Float32:
		return appendJSONFloat(buf, float64(a.Value(i)), 32), nil
	case *array.Float64:
		return appendJSONFloat(buf, a.Value(i), 64), nil
	case *array.String:
		return appendJSONString(buf, a.Value(i)), nil
	case *array.LargeString:
		return appendJSONString(buf, a.Value(i)), nil
	case *array.Binary:
		return appendJSONBytes(buf, a.Value(i)), nil
	case *array.LargeBinary:
		return appendJSONBytes(buf, a.Value(i)), nil
	case *array.FixedSizeBinary:
		return appendJSONBytes(buf, a.Value(i)), nil
	case *array.Decimal128:
		return append(buf, a.ValueStr(i)...), nil
	case *array.Decimal256:
		return append(buf, a.ValueStr(i)...), nil
	case *array.Date32:
		return appendJSONString(buf, a.Value(i).ToTime().Format(time.DateOnly)), nil
	case *array.Timestamp:
		typ := a.DataType().(*arrow.TimestampType)
		t := a.Value(i).ToTime(typ.Unit).UTC()
		if typ.TimeZone != "" {
			return appendJSONString(buf, t.Format("2006-01-02T15:04:05.999999-07:00")), nil
		}
		return appendJSONString(buf, t.Format("2006-01-02T15:04:05.999999")), nil
	case *array.Map:
		// Map is a List of key/value structs; a JSON object keyed by the keys' text.
		keys, items := a.Keys(), a.Items()
		start, end := a.ValueOffsets(i)
		buf = append(buf, '{')
		for j := start; j < end; j++ {
			if j > start {
				buf = append(buf, ',')
			}
			key, err := appendJSON(nil, keys, int(j))
			if err != nil {
				return nil, err
			}
			if len(key) > 0 && key[0] == '"' {
				buf = append(buf, key...)
			} else {
				buf = appendJSONString(buf, string(key))
			}
			buf = append(buf, ':')
			if buf, err = appendJSON(buf, items, int(j)); err != nil {
				return nil, err
			}
		}
		return append(buf, '}'), nil
	case array.ListLike:
		start, end := a.ValueOffsets(i)
		values := a.ListValues()
		buf = append(buf, '[')
		for j := start; j < end; j++ {
			if j > start {
				buf = append(buf, ',')
			}
			var err error
			if buf, err = appendJSON(buf, values, int(j)); err != nil {
				return nil, err
			}
		}
		return append(buf, ']'), nil
	case *array.Struct:
		typ := a.DataType().(*arrow.StructType)
		buf = append(buf, '{')
		for f := range a.NumField() {
			if f > 0 {
				buf = append(buf, ',')
			}
			buf = appendJSONString(buf, typ.Field(f).Name)
			buf = append(buf, ':')
			var err error
			if buf, err = appendJSON(buf, a.Field(f), i); err != nil {
				return nil, err
			}
		}
		return append(buf, '}'), nil
	default:
		return nil, fmt.Errorf("render %s as JSON: unsupported type", arr.DataType())
	}
}

// appendJSONFloat appends f as a JSON number; NaN and infinities, which JSON
// lacks, become strings as in PostgreSQL's to_json.
func appendJSONFloat(buf []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(buf, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(buf, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(buf, `"-Infinity"`...)
	}
	return strconv.AppendFloat(buf, f, 'g', -1, bits)
}

// appendJSONBytes appends b as a JSON string in bytea's hex text form.
func appendJSONBytes(buf, b []byte) []byte {
	buf = append(buf, `"\\x`...)
	buf = hex.AppendEncode(buf, b)
	return append(buf, '"')
}

// appendJSONString appends s as a JSON string, escaping what JSON requires
// (as PostgreSQL's escape_json does); invalid UTF-8 becomes U+FFFD.
func appendJSONString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '"':
			buf = append(buf, `\"`...)
		case r == '\\':
			buf = append(buf, `\\`...)
		case r == '\b':
			buf = append(buf, `\b`...)
		case r == '\f':
			buf = append(buf, `\f`...)
		case r == '\n':
			buf = append(buf, `\n`...)
		case r == '\r':
			buf = append(buf, `\r`...)
		case r == '\t':
			buf = append(buf, `\t`...)
		case r < 0x20:
			buf = append(buf, `\u00`...)
			buf = append(buf, "0123456789abcdef"[r>>4], "0123456789abcdef"[r&0xf])
		default:
			buf = utf8.AppendRune(buf, r)
		}
		i += size
	}
	return append(buf, '"')
}
