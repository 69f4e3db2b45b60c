package gmsengine

import (
	"fmt"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/shopspring/decimal"

	"github.com/pqsql/pqsql/sqlengine"
	"github.com/pqsql/pqsql/tables"
)

// valueKind is how a table column's Arrow values are boxed for GMS.
type valueKind uint8

const (
	kindUnsupported valueKind = iota
	kindBool
	kindInt16
	kindInt32
	kindInt64
	kindFloat32
	kindFloat64
	kindText
	kindDecimal
	kindDate
	kindTimestamp
	kindBytes
	kindUUID
)

func kindOf(t tables.Type) valueKind {
	switch t.OID {
	case sqlengine.BoolOID:
		return kindBool
	case sqlengine.Int2OID:
		return kindInt16
	case sqlengine.Int4OID:
		return kindInt32
	case sqlengine.Int8OID:
		return kindInt64
	case sqlengine.Float4OID:
		return kindFloat32
	case sqlengine.Float8OID:
		return kindFloat64
	case sqlengine.TextOID, sqlengine.VarcharOID, sqlengine.BPCharOID, sqlengine.NameOID,
		sqlengine.JSONOID, sqlengine.JSONBOID:
		return kindText
	case sqlengine.NumericOID:
		return kindDecimal
	case sqlengine.DateOID:
		return kindDate
	case sqlengine.TimestampOID, sqlengine.TimestamptzOID:
		return kindTimestamp
	case sqlengine.ByteaOID:
		return kindBytes
	case sqlengine.UUIDOID:
		return kindUUID
	}
	return kindUnsupported
}

// boxBatch turns a batch into GMS rows holding the first width columns. All
// rows share one backing array, allocated per batch and never reused, since
// GMS may keep rows. When filter is set, only rows whose column filterPos
// matches it are returned.
func boxBatch(b *tables.Batch, kinds []valueKind, width int, filter *scanFilter, filterPos int) ([]sql.Row, error) {
	rec := b.Record
	n := int(rec.NumRows())
	var sel []int
	if filter != nil {
		sel = filter.selectRows(rec.Column(filterPos), kinds[filterPos], n)
	}
	if b.Rows != nil {
		sel = selectedRows(b.Rows, sel, filter != nil)
	}
	if sel != nil {
		n = len(sel)
	}
	backing := make([]any, n*width)
	rows := make([]sql.Row, n)
	for i := range rows {
		rows[i] = backing[i*width : (i+1)*width : (i+1)*width]
	}
	for c := 0; c < width; c++ {
		arr := rec.Column(c)
		for i := 0; i < n; i++ {
			src := i
			if sel != nil {
				src = sel[i]
			}
			v, err := boxValue(arr, kinds[c], src)
			if err != nil {
				return nil, err
			}
			backing[i*width+c] = v
		}
	}
	return rows, nil
}

// selectedRows returns the rows of visible (a batch's Rows, ascending)
// that matched holds too when filtered is set (matched: the rows a filter
// selected, ascending), else all of visible.
func selectedRows(visible []int32, matched []int, filtered bool) []int {
	out := make([]int, 0, len(visible))
	j := 0
	for _, r := range visible {
		if filtered {
			for j < len(matched) && matched[j] < int(r) {
				j++
			}
			if j == len(matched) {
				break
			}
			if matched[j] != int(r) {
				continue
			}
		}
		out = append(out, int(r))
	}
	return out
}

// boxValue returns row i of arr as the Go value GMS expects for kind.
func boxValue(arr arrow.Array, kind valueKind, i int) (any, error) {
	if arr.IsNull(i) {
		return nil, nil
	}
	switch a := arr.(type) {
	case *array.Boolean:
		if a.Value(i) {
			return int8(1), nil
		}
		return int8(0), nil
	case *array.Int16:
		return a.Value(i), nil
	case *array.Int32:
		return a.Value(i), nil
	case *array.Int64:
		return a.Value(i), nil
	case *array.Float32:
		return a.Value(i), nil
	case *array.Float64:
		return a.Value(i), nil
	case *array.String:
		return a.Value(i), nil
	case *array.LargeString:
		return a.Value(i), nil
	case *array.Decimal128:
		scale := a.DataType().(*arrow.Decimal128Type).Scale
		return decimal.NewFromBigInt(a.Value(i).BigInt(), -scale), nil
	case *array.Decimal256:
		scale := a.DataType().(*arrow.Decimal256Type).Scale
		return decimal.NewFromBigInt(a.Value(i).BigInt(), -scale), nil
	case *array.Date32:
		return dateValue(a.Value(i)), nil
	case *array.Timestamp:
		unit := a.DataType().(*arrow.TimestampType).Unit
		return timestampValue(int64(a.Value(i)), unit), nil
	case *array.Binary:
		return a.Value(i), nil
	case *array.FixedSizeBinary:
		if kind == kindUUID {
			return formatUUID(a.Value(i)), nil
		}
		return a.Value(i), nil
	}
	return nil, fmt.Errorf("unsupported Arrow array %s", arr.DataType())
}

// dateValue returns the midnight UTC of a date.
func dateValue(d arrow.Date32) time.Time {
	return time.Unix(int64(d)*86400, 0).UTC()
}

func timestampValue(v int64, unit arrow.TimeUnit) time.Time {
	switch unit {
	case arrow.Second:
		return time.Unix(v, 0).UTC()
	case arrow.Millisecond:
		return time.UnixMilli(v).UTC()
	case arrow.Nanosecond:
		return time.Unix(0, v).UTC()
	}
	return time.UnixMicro(v).UTC()
}

const hexDigits = "0123456789abcdef"

// formatUUID renders 16 bytes in the canonical 8-4-4-4-12 form.
func formatUUID(b []byte) string {
	if len(b) != 16 {
		return fmt.Sprintf("%x", b)
	}
	out := make([]byte, 36)
	j := 0
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out[j] = '-'
			j++
		}
		out[j] = hexDigits[c>>4]
		out[j+1] = hexDigits[c&0xf]
		j += 2
	}
	return string(out)
}

// directCanonical returns row i of arr as the canonical value of result
// type typ, exactly what canonical(boxValue(arr, kind, i), typ, loc)
// returns, for the common pairs of Arrow and result type: it skips the
// GMS value in between (an allocation, and a big.Int for a decimal) and
// canonical's conversions. ok is false for the other pairs, which take that
// general path; none of those here depends on the time zone.
func directCanonical(arr arrow.Array, i int, typ pgType) (v any, ok bool) {
	if arr.IsNull(i) {
		return nil, true
	}
	switch a := arr.(type) {
	case *array.Int64:
		return a.Value(i), typ.OID == sqlengine.Int8OID
	case *array.Int32:
		return a.Value(i), typ.OID == sqlengine.Int4OID
	case *array.Int16:
		return a.Value(i), typ.OID == sqlengine.Int2OID
	case *array.Float64:
		return a.Value(i), typ.OID == sqlengine.Float8OID
	case *array.Float32:
		// As canonical, through float64: a NaN keeps the bits it gets.
		return float32(float64(a.Value(i))), typ.OID == sqlengine.Float4OID
	case *array.Boolean:
		return a.Value(i), typ.OID == sqlengine.BoolOID
	case *array.String:
		return a.Value(i), textOID(typ.OID)
	case *array.LargeString:
		return a.Value(i), textOID(typ.OID)
	case *array.Binary:
		return a.Value(i), typ.OID == sqlengine.ByteaOID
	case *array.Date32:
		return dateOf(dateValue(a.Value(i))), typ.OID == sqlengine.DateOID
	case *array.Timestamp:
		t := timestampValue(int64(a.Value(i)), a.DataType().(*arrow.TimestampType).Unit)
		switch typ.OID {
		case sqlengine.TimestampOID:
			return wallClockUTC(t), true
		case sqlengine.TimestamptzOID:
			return t.UTC(), true
		}
	case *array.Decimal128:
		n := a.Value(i)
		scale := a.DataType().(*arrow.Decimal128Type).Scale
		lo := int64(n.LowBits())
		// Only a value that fits an int64, rendered at its own scale: that
		// is an exact integer formatting.
		if typ.OID == sqlengine.NumericOID && typ.Scale == scale && scale >= 0 && scale <= maxDirectScale && n.HighBits() == lo>>63 {
			return formatScaled(lo, scale), true
		}
	}
	return nil, false
}

// textOID reports whether canonical renders a string value of type oid as
// the string itself.
func textOID(oid uint32) bool {
	switch oid {
	case sqlengine.TextOID, sqlengine.VarcharOID, sqlengine.BPCharOID, sqlengine.NameOID,
		sqlengine.JSONOID, sqlengine.JSONBOID:
		return true
	}
	return false
}

// maxDirectScale bounds the scales formatScaled renders.
const maxDirectScale = 38

// formatScaled renders v×10^-scale with exactly scale decimals, as
// decimal.Decimal's StringFixed(scale) does: "-0.05", "12.30", "7".
func formatScaled(v int64, scale int32) string {
	u := uint64(v)
	if v < 0 {
		u = -u // also right for math.MinInt64
	}
	var digits [20]byte
	d := strconv.AppendUint(digits[:0], u, 10)
	var out [2 + 20 + maxDirectScale]byte
	b := out[:0]
	if v < 0 {
		b = append(b, '-')
	}
	sc := int(scale)
	if len(d) > sc {
		b = append(b, d[:len(d)-sc]...)
		if sc > 0 {
			b = append(b, '.')
			b = append(b, d[len(d)-sc:]...)
		}
	} else {
		b = append(b, "0."...)
		for range sc - len(d) {
			b = append(b, '0')
		}
		b = append(b, d...)
	}
	return string(b)
}
