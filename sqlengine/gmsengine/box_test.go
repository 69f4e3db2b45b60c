package gmsengine

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/shopspring/decimal"

	"github.com/pqsql/pqsql/sqlengine"
)

// TestDirectCanonicalMatchesCanonical checks that directCanonical returns
// exactly what boxValue and canonical do, same types and same bits, for
// every array type and result type pair it takes, and declines the others.
func TestDirectCanonicalMatchesCanonical(t *testing.T) {
	mem := memory.DefaultAllocator
	build := func(dt arrow.DataType, fill func(b array.Builder)) arrow.Array {
		b := array.NewBuilder(mem, dt)
		defer b.Release()
		fill(b)
		b.AppendNull()
		return b.NewArray()
	}
	var arrays []arrow.Array
	add := func(a arrow.Array) { arrays = append(arrays, a) }
	add(build(arrow.PrimitiveTypes.Int64, func(b array.Builder) {
		b.(*array.Int64Builder).AppendValues([]int64{0, 1, -1, 255, 256, math.MaxInt64, math.MinInt64}, nil)
	}))
	add(build(arrow.PrimitiveTypes.Int32, func(b array.Builder) {
		b.(*array.Int32Builder).AppendValues([]int32{0, -7, math.MaxInt32, math.MinInt32}, nil)
	}))
	add(build(arrow.PrimitiveTypes.Int16, func(b array.Builder) {
		b.(*array.Int16Builder).AppendValues([]int16{0, -7, math.MaxInt16, math.MinInt16}, nil)
	}))
	add(build(arrow.PrimitiveTypes.Float64, func(b array.Builder) {
		b.(*array.Float64Builder).AppendValues([]float64{0, math.Copysign(0, -1), 1.5, math.Inf(-1), math.NaN(), math.MaxFloat64}, nil)
	}))
	add(build(arrow.PrimitiveTypes.Float32, func(b array.Builder) {
		b.(*array.Float32Builder).AppendValues([]float32{0, -2.25, float32(math.Inf(1)), float32(math.NaN()), math.MaxFloat32, math.SmallestNonzeroFloat32}, nil)
	}))
	add(build(arrow.FixedWidthTypes.Boolean, func(b array.Builder) {
		b.(*array.BooleanBuilder).AppendValues([]bool{true, false}, nil)
	}))
	add(build(arrow.BinaryTypes.String, func(b array.Builder) {
		b.(*array.StringBuilder).AppendValues([]string{"", "a", "O'Brien 😀", "t"}, nil)
	}))
	add(build(arrow.BinaryTypes.LargeString, func(b array.Builder) {
		b.(*array.LargeStringBuilder).AppendValues([]string{"", "x"}, nil)
	}))
	add(build(arrow.BinaryTypes.Binary, func(b array.Builder) {
		b.(*array.BinaryBuilder).AppendValues([][]byte{{}, {0, 0xff}}, nil)
	}))
	add(build(arrow.FixedWidthTypes.Date32, func(b array.Builder) {
		b.(*array.Date32Builder).AppendValues([]arrow.Date32{0, -1, 19723, -719162}, nil)
	}))
	for _, unit := range []arrow.TimeUnit{arrow.Second, arrow.Millisecond, arrow.Microsecond, arrow.Nanosecond} {
		for _, tz := range []string{"", "UTC"} {
			add(build(&arrow.TimestampType{Unit: unit, TimeZone: tz}, func(b array.Builder) {
				b.(*array.TimestampBuilder).AppendValues([]arrow.Timestamp{0, -1, 1704067200123456, 86399}, nil)
			}))
		}
	}
	for _, dt := range []*arrow.Decimal128Type{{Precision: 10, Scale: 2}, {Precision: 18, Scale: 0}, {Precision: 38, Scale: 10}, {Precision: 38, Scale: 38}} {
		add(build(dt, func(b array.Builder) {
			db := b.(*array.Decimal128Builder)
			for _, v := range []int64{0, 5, -5, 100, -123456789, math.MaxInt64, math.MinInt64} {
				db.Append(decimal128.FromI64(v))
			}
			db.Append(decimal128.New(1, 0))  // 2^64: beyond an int64
			db.Append(decimal128.New(-2, 1)) // below one
		}))
	}
	defer func() {
		for _, a := range arrays {
			a.Release()
		}
	}()
	var types []pgType
	for _, oid := range []uint32{sqlengine.BoolOID, sqlengine.Int2OID, sqlengine.Int4OID, sqlengine.Int8OID,
		sqlengine.Float4OID, sqlengine.Float8OID, sqlengine.TextOID, sqlengine.VarcharOID, sqlengine.BPCharOID,
		sqlengine.JSONOID, sqlengine.ByteaOID, sqlengine.DateOID, sqlengine.TimestampOID, sqlengine.TimestamptzOID,
		sqlengine.UUIDOID, sqlengine.OIDOID} {
		types = append(types, pgType{OID: oid, Size: -1, Typmod: -1, Scale: -1})
	}
	for _, scale := range []int32{-1, 0, 1, 2, 10, 38} {
		types = append(types, pgType{OID: sqlengine.NumericOID, Size: -1, Typmod: -1, Scale: scale})
	}
	// A zone far from UTC: no direct conversion may depend on it.
	loc := time.FixedZone("X", -11*3600)
	direct := 0
	for _, arr := range arrays {
		for _, typ := range types {
			for i := range arr.Len() {
				got, ok := directCanonical(arr, i, typ)
				if !ok {
					continue
				}
				direct++
				b, err := boxValue(arr, kindUnsupported, i)
				if err != nil {
					t.Fatalf("%s row %d: boxValue: %v", arr.DataType(), i, err)
				}
				want, err := canonical(b, typ, loc)
				if err != nil {
					t.Errorf("%s row %d as %d: direct %v, but canonical fails: %v", arr.DataType(), i, typ.OID, got, err)
					continue
				}
				if !reflect.DeepEqual(got, want) && !bothNaN(got, want) {
					t.Errorf("%s row %d as %d/%d: direct %#v, canonical %#v", arr.DataType(), i, typ.OID, typ.Scale, got, want)
				}
			}
		}
	}
	if direct < 100 {
		t.Errorf("only %d values took the direct path", direct)
	}
}

// bothNaN reports whether a and b are NaNs of the same type and bits.
func bothNaN(a, b any) bool {
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		return ok && math.IsNaN(x) && math.Float64bits(x) == math.Float64bits(y)
	case float32:
		y, ok := b.(float32)
		return ok && x != x && math.Float32bits(x) == math.Float32bits(y)
	}
	return false
}

// TestFormatScaled checks formatScaled against decimal.Decimal.StringFixed.
func TestFormatScaled(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	values := []int64{0, 1, -1, 9, 10, -10, 99, 100, math.MaxInt64, math.MinInt64}
	for range 2000 {
		values = append(values, rng.Int64()>>rng.IntN(64))
	}
	for _, v := range values {
		for _, scale := range []int32{0, 1, 2, 3, 9, 19, 20, 25, maxDirectScale} {
			want := decimal.New(v, -scale).StringFixed(scale)
			if got := formatScaled(v, scale); got != want {
				t.Errorf("formatScaled(%d, %d) = %q, want %q", v, scale, got, want)
			}
		}
	}
}
