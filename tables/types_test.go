package tables

import (
	"encoding/hex"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/decimal256"
	"github.com/apache/arrow-go/v18/arrow/extensions"
	"github.com/apache/arrow-go/v18/arrow/float16"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/pqsql/pqsql/sqlengine"
)

// cell renders one value for comparisons: ValueStr, except times as integers
// (days, microseconds), bytes as hex, decimals as unscaled value and scale.
func cell(arr arrow.Array, i int) string {
	if arr.IsNull(i) {
		return "NULL"
	}
	switch a := arr.(type) {
	case *array.Timestamp:
		return strconv.FormatInt(int64(a.Value(i)), 10)
	case *array.Date32:
		return strconv.FormatInt(int64(a.Value(i)), 10)
	case *array.Binary:
		return hex.EncodeToString(a.Value(i))
	case *array.FixedSizeBinary:
		return hex.EncodeToString(a.Value(i))
	case *array.Decimal128:
		return fmt.Sprintf("%se-%d", a.Value(i).BigInt(), a.DataType().(*arrow.Decimal128Type).Scale)
	case *array.Decimal256:
		return fmt.Sprintf("%se-%d", a.Value(i).BigInt(), a.DataType().(*arrow.Decimal256Type).Scale)
	case *array.Float32:
		return strconv.FormatFloat(float64(a.Value(i)), 'g', -1, 32)
	case *array.Float64:
		return strconv.FormatFloat(a.Value(i), 'g', -1, 64)
	}
	return arr.ValueStr(i)
}

// typeCase is one column of the type-mapping file.
type typeCase struct {
	name     string
	typ      arrow.DataType
	appendFn func(b array.Builder) // appends row 0 and row 2; row 1 is NULL
	wantType Type
	// wantArrow is the Arrow type of the scanned column.
	wantArrow arrow.DataType
	want      [3]string
}

func typeCases(t *testing.T) []typeCase {
	jsonType, err := extensions.NewJSONType(arrow.BinaryTypes.String)
	if err != nil {
		t.Fatal(err)
	}
	ts := func(unit arrow.TimeUnit, tz string) *arrow.TimestampType {
		return &arrow.TimestampType{Unit: unit, TimeZone: tz}
	}
	const usPerDay = 86400 * 1000000
	return []typeCase{
		{"i8", arrow.PrimitiveTypes.Int8, func(b array.Builder) { b.(*array.Int8Builder).AppendValues([]int8{-128, 127}, nil) },
			Type{OID: sqlengine.Int2OID}, arrow.PrimitiveTypes.Int16, [3]string{"-128", "NULL", "127"}},
		{"u8", arrow.PrimitiveTypes.Uint8, func(b array.Builder) { b.(*array.Uint8Builder).AppendValues([]uint8{255, 0}, nil) },
			Type{OID: sqlengine.Int2OID}, arrow.PrimitiveTypes.Int16, [3]string{"255", "NULL", "0"}},
		{"i16", arrow.PrimitiveTypes.Int16, func(b array.Builder) { b.(*array.Int16Builder).AppendValues([]int16{-32768, 32767}, nil) },
			Type{OID: sqlengine.Int2OID}, arrow.PrimitiveTypes.Int16, [3]string{"-32768", "NULL", "32767"}},
		{"u16", arrow.PrimitiveTypes.Uint16, func(b array.Builder) { b.(*array.Uint16Builder).AppendValues([]uint16{65535, 1}, nil) },
			Type{OID: sqlengine.Int4OID}, arrow.PrimitiveTypes.Int32, [3]string{"65535", "NULL", "1"}},
		{"i32", arrow.PrimitiveTypes.Int32, func(b array.Builder) { b.(*array.Int32Builder).AppendValues([]int32{math.MinInt32, 7}, nil) },
			Type{OID: sqlengine.Int4OID}, arrow.PrimitiveTypes.Int32, [3]string{"-2147483648", "NULL", "7"}},
		{"u32", arrow.PrimitiveTypes.Uint32, func(b array.Builder) { b.(*array.Uint32Builder).AppendValues([]uint32{math.MaxUint32, 2}, nil) },
			Type{OID: sqlengine.Int8OID}, arrow.PrimitiveTypes.Int64, [3]string{"4294967295", "NULL", "2"}},
		{"i64", arrow.PrimitiveTypes.Int64, func(b array.Builder) {
			b.(*array.Int64Builder).AppendValues([]int64{math.MinInt64, math.MaxInt64}, nil)
		},
			Type{OID: sqlengine.Int8OID}, arrow.PrimitiveTypes.Int64, [3]string{"-9223372036854775808", "NULL", "9223372036854775807"}},
		{"u64", arrow.PrimitiveTypes.Uint64, func(b array.Builder) { b.(*array.Uint64Builder).AppendValues([]uint64{math.MaxUint64, 3}, nil) },
			Type{OID: sqlengine.NumericOID, Precision: 20}, &arrow.Decimal128Type{Precision: 20}, [3]string{"18446744073709551615e-0", "NULL", "3e-0"}},
		{"f16", arrow.FixedWidthTypes.Float16, func(b array.Builder) {
			b.(*array.Float16Builder).AppendValues([]float16.Num{float16.New(1.5), float16.New(-2)}, nil)
		}, Type{OID: sqlengine.Float4OID}, arrow.PrimitiveTypes.Float32, [3]string{"1.5", "NULL", "-2"}},
		{"f32", arrow.PrimitiveTypes.Float32, func(b array.Builder) {
			b.(*array.Float32Builder).AppendValues([]float32{float32(math.NaN()), float32(math.Inf(-1))}, nil)
		}, Type{OID: sqlengine.Float4OID}, arrow.PrimitiveTypes.Float32, [3]string{"NaN", "NULL", "-Inf"}},
		{"f64", arrow.PrimitiveTypes.Float64, func(b array.Builder) { b.(*array.Float64Builder).AppendValues([]float64{0.1, math.Inf(1)}, nil) },
			Type{OID: sqlengine.Float8OID}, arrow.PrimitiveTypes.Float64, [3]string{"0.1", "NULL", "+Inf"}},
		{"b", arrow.FixedWidthTypes.Boolean, func(b array.Builder) { b.(*array.BooleanBuilder).AppendValues([]bool{true, false}, nil) },
			Type{OID: sqlengine.BoolOID}, arrow.FixedWidthTypes.Boolean, [3]string{"true", "NULL", "false"}},
		{"s", arrow.BinaryTypes.String, func(b array.Builder) { b.(*array.StringBuilder).AppendValues([]string{`it's "q" \ 🎉`, ""}, nil) },
			Type{OID: sqlengine.TextOID}, arrow.BinaryTypes.String, [3]string{`it's "q" \ 🎉`, "NULL", ""}},
		{"ls", arrow.BinaryTypes.LargeString, func(b array.Builder) { b.(*array.LargeStringBuilder).AppendValues([]string{"large", "x"}, nil) },
			Type{OID: sqlengine.TextOID}, arrow.BinaryTypes.String, [3]string{"large", "NULL", "x"}},
		{"dict", &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}, func(b array.Builder) {
			db := b.(*array.BinaryDictionaryBuilder)
			if err := db.AppendString("red"); err != nil {
				panic(err)
			}
			if err := db.AppendString("blue"); err != nil {
				panic(err)
			}
		}, Type{OID: sqlengine.TextOID}, arrow.BinaryTypes.String, [3]string{"red", "NULL", "blue"}},
		{"bin", arrow.BinaryTypes.Binary, func(b array.Builder) { b.(*array.BinaryBuilder).AppendValues([][]byte{{0, 0xff}, {}}, nil) },
			Type{OID: sqlengine.ByteaOID}, arrow.BinaryTypes.Binary, [3]string{"00ff", "NULL", ""}},
		{"fsb", &arrow.FixedSizeBinaryType{ByteWidth: 3}, func(b array.Builder) {
			b.(*array.FixedSizeBinaryBuilder).AppendValues([][]byte{{1, 2, 3}, {4, 5, 6}}, nil)
		}, Type{OID: sqlengine.ByteaOID}, arrow.BinaryTypes.Binary, [3]string{"010203", "NULL", "040506"}},
		{"dec", &arrow.Decimal128Type{Precision: 10, Scale: 2}, func(b array.Builder) {
			b.(*array.Decimal128Builder).AppendValues([]decimal128.Num{decimal128.FromI64(-1234), decimal128.FromI64(99999999)}, nil)
		}, Type{OID: sqlengine.NumericOID, Precision: 10, Scale: 2}, &arrow.Decimal128Type{Precision: 10, Scale: 2}, [3]string{"-1234e-2", "NULL", "99999999e-2"}},
		{"dec256", &arrow.Decimal256Type{Precision: 40, Scale: 5}, func(b array.Builder) {
			b.(*array.Decimal256Builder).AppendValues([]decimal256.Num{decimal256.FromI64(123456789), decimal256.FromI64(-1)}, nil)
		}, Type{OID: sqlengine.NumericOID, Precision: 40, Scale: 5}, &arrow.Decimal256Type{Precision: 40, Scale: 5}, [3]string{"123456789e-5", "NULL", "-1e-5"}},
		{"d", arrow.FixedWidthTypes.Date32, func(b array.Builder) { b.(*array.Date32Builder).AppendValues([]arrow.Date32{-1, 25000}, nil) },
			Type{OID: sqlengine.DateOID}, arrow.FixedWidthTypes.Date32, [3]string{"-1", "NULL", "25000"}},
		{"ts_ms_utc", ts(arrow.Millisecond, "UTC"), func(b array.Builder) { b.(*array.TimestampBuilder).AppendValues([]arrow.Timestamp{-1, 1500}, nil) },
			Type{OID: sqlengine.TimestamptzOID}, ts(arrow.Microsecond, "UTC"), [3]string{"-1000", "NULL", "1500000"}},
		{"ts_us_local", ts(arrow.Microsecond, ""), func(b array.Builder) { b.(*array.TimestampBuilder).AppendValues([]arrow.Timestamp{-usPerDay, 7}, nil) },
			Type{OID: sqlengine.TimestampOID}, ts(arrow.Microsecond, ""), [3]string{strconv.Itoa(-usPerDay), "NULL", "7"}},
		{"ts_ns_utc", ts(arrow.Nanosecond, "UTC"), func(b array.Builder) {
			b.(*array.TimestampBuilder).AppendValues([]arrow.Timestamp{1999, 5_000_000}, nil)
		},
			Type{OID: sqlengine.TimestamptzOID}, ts(arrow.Microsecond, "UTC"), [3]string{"1", "NULL", "5000"}},
		{"ts_ns_local", ts(arrow.Nanosecond, ""), func(b array.Builder) { b.(*array.TimestampBuilder).AppendValues([]arrow.Timestamp{3000, 0}, nil) },
			Type{OID: sqlengine.TimestampOID}, ts(arrow.Microsecond, ""), [3]string{"3", "NULL", "0"}},
		{"u", extensions.NewUUIDType(), func(b array.Builder) {
			ub := b.(*extensions.UUIDBuilder)
			ub.AppendBytes([16]byte{0x12, 0x3e, 0x45, 0x67, 15: 0xff})
			ub.AppendBytes([16]byte{})
		}, Type{OID: sqlengine.UUIDOID}, &arrow.FixedSizeBinaryType{ByteWidth: 16}, [3]string{"123e45670000000000000000000000ff", "NULL", "00000000000000000000000000000000"}},
		{"j", jsonType, func(b array.Builder) {
			sb := b.(*array.ExtensionBuilder).Builder.(*array.StringBuilder)
			sb.AppendValues([]string{`{"a": [1, 2]}`, `"x"`}, nil)
		}, Type{OID: sqlengine.JSONOID}, arrow.BinaryTypes.String, [3]string{`{"a": [1, 2]}`, "NULL", `"x"`}},
		{"list", arrow.ListOf(arrow.PrimitiveTypes.Int32), func(b array.Builder) {
			lb := b.(*array.ListBuilder)
			vb := lb.ValueBuilder().(*array.Int32Builder)
			lb.Append(true)
			vb.Append(1)
			vb.AppendNull()
			vb.Append(3)
			lb.Append(true) // empty list
		}, Type{OID: sqlengine.JSONOID}, arrow.BinaryTypes.String, [3]string{"[1,null,3]", "NULL", "[]"}},
		{"st", arrow.StructOf(
			arrow.Field{Name: "z", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
			arrow.Field{Name: "a", Type: arrow.BinaryTypes.String, Nullable: true},
			arrow.Field{Name: "tags", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true},
		), func(b array.Builder) {
			sb := b.(*array.StructBuilder)
			sb.Append(true)
			sb.FieldBuilder(0).(*array.Int64Builder).Append(-5)
			sb.FieldBuilder(1).(*array.StringBuilder).Append("say \"hi\"\n")
			tags := sb.FieldBuilder(2).(*array.ListBuilder)
			tags.Append(true)
			tags.ValueBuilder().(*array.StringBuilder).AppendValues([]string{"x", "ü"}, nil)
			sb.Append(true)
			sb.FieldBuilder(0).AppendNull()
			sb.FieldBuilder(1).(*array.StringBuilder).Append("")
			sb.FieldBuilder(2).AppendNull()
		}, Type{OID: sqlengine.JSONOID}, arrow.BinaryTypes.String,
			[3]string{`{"z":-5,"a":"say \"hi\"\n","tags":["x","ü"]}`, "NULL", `{"z":null,"a":"","tags":null}`}},
		{"m", arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Float64), func(b array.Builder) {
			mb := b.(*array.MapBuilder)
			mb.Append(true)
			mb.KeyBuilder().(*array.StringBuilder).AppendValues([]string{"k1", "k2"}, nil)
			mb.ItemBuilder().(*array.Float64Builder).AppendValues([]float64{1.25, math.NaN()}, nil)
			mb.Append(true)
		}, Type{OID: sqlengine.JSONOID}, arrow.BinaryTypes.String, [3]string{`{"k1":1.25,"k2":"NaN"}`, "NULL", "{}"}},
	}
}

// writeTypesFile writes the type cases as one Parquet file of three rows,
// the middle one all NULL.
func writeTypesFile(t *testing.T, path string, cases []typeCase, opts ...pqarrow.WriterOption) {
	fields := make([]arrow.Field, len(cases))
	for i, c := range cases {
		fields[i] = arrow.Field{Name: c.name, Type: c.typ, Nullable: true}
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, arrow.NewSchema(fields, nil))
	defer b.Release()
	arrays := make([]arrow.Array, len(cases))
	for i, c := range cases {
		fb := b.Field(i)
		c.appendFn(fb)
		// Move row 2 after a NULL row 1: rebuild as [v0, NULL, v2].
		arr := fb.NewArray()
		defer arr.Release()
		if arr.Len() != 2 {
			t.Fatalf("case %s appended %d values, want 2", c.name, arr.Len())
		}
		first, second := array.NewSlice(arr, 0, 1), array.NewSlice(arr, 1, 2)
		nullArr := array.MakeArrayOfNull(memory.DefaultAllocator, arr.DataType(), 1)
		merged, err := array.Concatenate([]arrow.Array{first, nullArr, second}, memory.DefaultAllocator)
		if err != nil {
			t.Fatalf("case %s: %v", c.name, err)
		}
		first.Release()
		second.Release()
		nullArr.Release()
		defer merged.Release()
		arrays[i] = merged
	}
	rec := array.NewRecordBatch(b.Schema(), arrays, 3)
	defer rec.Release()
	writeFile(t, path, []arrow.RecordBatch{rec}, opts...)
}

func TestTypeMapping(t *testing.T) {
	for _, storeSchema := range []bool{false, true} {
		t.Run(fmt.Sprintf("storeSchema=%v", storeSchema), func(t *testing.T) {
			cases := typeCases(t)
			dir := t.TempDir()
			var opts []pqarrow.WriterOption
			if storeSchema {
				// The stored Arrow schema makes pqarrow decode LargeString and
				// dictionaries as such: the scanner must still convert them.
				opts = append(opts, pqarrow.WithStoreSchema())
			}
			writeTypesFile(t, filepath.Join(dir, "types.parquet"), cases, opts...)
			c, log := openCatalog(t, dir, nil)
			tbl := c.Table("types")
			if tbl == nil {
				t.Fatalf("types table skipped:\n%s", log)
			}
			cols := tbl.Columns()
			if len(cols) != len(cases) {
				t.Fatalf("%d columns, want %d: %+v\n%s", len(cols), len(cases), cols, log)
			}
			all := make([]int, len(cases))
			for i := range all {
				all[i] = i
			}
			batches := scanAll(t, tbl, ScanOptions{Columns: all})
			if len(batches) != 1 || batches[0].Record.NumRows() != 3 {
				t.Fatalf("got %d batches, want one of 3 rows", len(batches))
			}
			rec := batches[0].Record
			for i, tc := range cases {
				if cols[i].Name != tc.name || cols[i].Type != tc.wantType || !cols[i].Nullable {
					t.Errorf("column %d = %+v, want %s %+v nullable", i, cols[i], tc.name, tc.wantType)
				}
				arr := rec.Column(i)
				if !arrow.TypeEqual(arr.DataType(), tc.wantArrow) {
					t.Errorf("%s: arrow type %s, want %s", tc.name, arr.DataType(), tc.wantArrow)
					continue
				}
				if !arrow.TypeEqual(rec.Schema().Field(i).Type, tc.wantArrow) {
					t.Errorf("%s: schema type %s, want %s", tc.name, rec.Schema().Field(i).Type, tc.wantArrow)
				}
				got := [3]string{cell(arr, 0), cell(arr, 1), cell(arr, 2)}
				if got != tc.want {
					t.Errorf("%s: values %q, want %q", tc.name, got, tc.want)
				}
			}
		})
	}
}

func TestInt96Timestamps(t *testing.T) {
	dir := t.TempDir()
	sc := arrow.NewSchema([]arrow.Field{{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Nanosecond}, Nullable: true}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer b.Release()
	want := time.Date(1960, 3, 4, 5, 6, 7, 123456000, time.UTC)
	b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(want.UnixNano()))
	b.Field(0).AppendNull()
	rec := b.NewRecordBatch()
	defer rec.Release()
	writeFile(t, filepath.Join(dir, "legacy.parquet"), []arrow.RecordBatch{rec}, pqarrow.WithDeprecatedInt96Timestamps(true))

	c, log := openCatalog(t, dir, nil)
	tbl := c.Table("legacy")
	if tbl == nil {
		t.Fatalf("legacy skipped:\n%s", log)
	}
	if got := tbl.Columns()[0].Type; got != (Type{OID: sqlengine.TimestampOID}) {
		t.Fatalf("type = %+v, want timestamp", got)
	}
	if st := tbl.Stats(tbl.RowGroups()[0], 0); st.HasMinMax {
		t.Errorf("INT96 stats = %+v, want no min/max", st)
	}
	batches := scanAll(t, tbl, ScanOptions{Columns: []int{0}})
	got := columnStrings(batches, 0)
	arr := batches[0].Record.Column(0).(*array.Timestamp)
	if !slices.Equal(got[1:], []string{"(null)"}) || arr.Value(0) != arrow.Timestamp(want.UnixMicro()) {
		t.Errorf("values = %v (%d), want %d and NULL", got, arr.Value(0), want.UnixMicro())
	}
}

func TestUnsupportedColumnSkipped(t *testing.T) {
	dir := t.TempDir()
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "at", Type: arrow.FixedWidthTypes.Time32ms},
		{Name: "id", Type: arrow.PrimitiveTypes.Int32},
		{Name: "name", Type: arrow.BinaryTypes.String},
	}, nil)
	rec := recordFromJSON(t, sc, `[{"at": 1000, "id": 7, "name": "seven"}, {"at": 2000, "id": 8, "name": "eight"}]`)
	writeFile(t, filepath.Join(dir, "t.parquet"), []arrow.RecordBatch{rec})
	c, log := openCatalog(t, dir, nil)
	tbl := c.Table("t")
	if tbl == nil {
		t.Fatalf("table skipped:\n%s", log)
	}
	cols := tbl.Columns()
	if len(cols) != 2 || cols[0].Name != "id" || cols[1].Name != "name" || tbl.KeyColumn() != 0 {
		t.Fatalf("columns = %+v key %d, want id, name with key id", cols, tbl.KeyColumn())
	}
	if !strings.Contains(log.String(), `"column":"at"`) || !strings.Contains(log.String(), "skipping column") {
		t.Errorf("log does not name the skipped column:\n%s", log)
	}
	batches := scanAll(t, tbl, ScanOptions{Columns: []int{1, 0}})
	if got := columnStrings(batches, 0); !slices.Equal(got, []string{"seven", "eight"}) {
		t.Errorf("names = %v", got)
	}
	if got := columnStrings(batches, 1); !slices.Equal(got, []string{"7", "8"}) {
		t.Errorf("ids = %v", got)
	}
	if st := tbl.Stats(tbl.RowGroups()[0], 0); !st.HasMinMax || st.Min != int64(7) || st.Max != int64(8) {
		t.Errorf("id stats = %+v", st)
	}
}
