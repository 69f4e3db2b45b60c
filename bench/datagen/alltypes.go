package datagen

import (
	"database/sql"
	"fmt"
	"math"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/extensions"
)

// AllTypesRow is one row of the alltypes table: key id and one column per
// supported type, every one of them NULL in row 2.
type AllTypesRow struct {
	ID     int32 // int4 NOT NULL, key, 1..20
	Int2   sql.Null[int16]
	Int4   sql.Null[int32]
	Int8   sql.Null[int64]
	Float4 sql.Null[float32]
	Float8 sql.Null[float64]
	Bool   sql.Null[bool]
	Text   sql.Null[string]
	// NumericCents is numeric(10,2) in hundredths.
	NumericCents sql.Null[int64]
	// Date is midnight UTC of the day.
	Date        sql.Null[time.Time]
	Timestamptz sql.Null[time.Time]
	// Timestamp is the wall-clock reading, held in UTC.
	Timestamp sql.Null[time.Time]
	Bytea     sql.Null[[]byte]
	UUID      sql.Null[[16]byte]
	// JSON is a Parquet JSON-annotated column (PostgreSQL json).
	JSON sql.Null[string]
	// List is a Parquet LIST of int32, served as json.
	List sql.Null[[]sql.Null[int32]]
	// Struct is a Parquet group, served as json.
	Struct sql.Null[Point]
}

// Point is the value of alltypes.c_struct.
type Point struct {
	X     sql.Null[int32]
	Label sql.Null[string]
}

// AllTypesColumns names alltypes' columns in file order, with their
// PostgreSQL types as pqsql serves them.
var AllTypesColumns = [][2]string{
	{"id", "int4"}, {"c_int2", "int2"}, {"c_int4", "int4"}, {"c_int8", "int8"},
	{"c_float4", "float4"}, {"c_float8", "float8"}, {"c_bool", "bool"}, {"c_text", "text"},
	{"c_numeric", "numeric(10,2)"}, {"c_date", "date"}, {"c_timestamptz", "timestamptz"},
	{"c_timestamp", "timestamp"}, {"c_bytea", "bytea"}, {"c_uuid", "uuid"}, {"c_json", "json"},
	{"c_list", "json"}, {"c_struct", "json"},
}

func some[T any](v T) sql.Null[T] { return sql.Null[T]{V: v, Valid: true} }

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func uuidOf(hi, lo uint64) [16]byte {
	var u [16]byte
	for i := range 8 {
		u[i] = byte(hi >> (56 - 8*i))
		u[8+i] = byte(lo >> (56 - 8*i))
	}
	return u
}

// AllTypes returns the 20 rows of the alltypes table, in id order.
func AllTypes() []AllTypesRow {
	rows := []AllTypesRow{
		{ // ordinary values
			ID: 1, Int2: some[int16](100), Int4: some[int32](1000), Int8: some[int64](10000),
			Float4: some[float32](1.5), Float8: some(2.25), Bool: some(true), Text: some("hello"),
			NumericCents: some[int64](1234), Date: some(day(2024, 2, 29)),
			Timestamptz: some(time.Date(2024, 2, 29, 12, 34, 56, 789012000, time.UTC)),
			Timestamp:   some(time.Date(2024, 2, 29, 12, 34, 56, 789012000, time.UTC)),
			Bytea:       some([]byte{1, 2, 3}), UUID: some(uuidOf(0x123e4567e89b12d3, 0xa456426614174000)),
			JSON: some(`{"a": 1}`), List: some([]sql.Null[int32]{some[int32](1), some[int32](2), some[int32](3)}),
			Struct: some(Point{X: some[int32](1), Label: some("one")}),
		},
		{ID: 2}, // NULL in every column
		{ // minimums, empty values, dates before 1970
			ID: 3, Int2: some[int16](math.MinInt16), Int4: some[int32](math.MinInt32), Int8: some[int64](math.MinInt64),
			Float4: some[float32](-math.MaxFloat32), Float8: some(-math.MaxFloat64), Bool: some(false), Text: some(""),
			NumericCents: some[int64](-9999999999), Date: some(day(1066, 10, 14)),
			Timestamptz: some(time.Date(1969, 12, 31, 23, 59, 59, 999999000, time.UTC)),
			Timestamp:   some(time.Date(1901, 12, 13, 20, 45, 52, 0, time.UTC)),
			Bytea:       some([]byte{}), UUID: some(uuidOf(0, 0)),
			JSON: some(`[]`), List: some([]sql.Null[int32]{}),
			Struct: some(Point{}),
		},
		{ // maximums, quotes, dates after 2038
			ID: 4, Int2: some[int16](math.MaxInt16), Int4: some[int32](math.MaxInt32), Int8: some[int64](math.MaxInt64),
			Float4: some[float32](math.MaxFloat32), Float8: some(math.MaxFloat64), Bool: some(true), Text: some(`it's "quoted"`),
			NumericCents: some[int64](9999999999), Date: some(day(2038, 1, 20)),
			Timestamptz: some(time.Date(2038, 1, 19, 3, 14, 8, 0, time.UTC)),
			Timestamp:   some(time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC)),
			Bytea:       some([]byte{0x00, 0xff}), UUID: some(uuidOf(math.MaxUint64, math.MaxUint64)),
			JSON: some(`{"nested": {"k": [true, null, "x\"y"]}}`), List: some([]sql.Null[int32]{{}, some[int32](5)}),
			Struct: some(Point{X: some[int32](-1), Label: some("")}),
		},
		{ID: 5, Float4: some(float32(math.NaN())), Float8: some(math.NaN()), Text: some(`back\slash`), NumericCents: some[int64](0)},
		{ID: 6, Float4: some(float32(math.Inf(1))), Float8: some(math.Inf(1)), Text: some("unicode: ünïcødé ✓ 日本語")},
		{ID: 7, Float4: some(float32(math.Inf(-1))), Float8: some(math.Inf(-1)), Text: some("emoji: 🎉🐘")},
		{ID: 8, Float4: some(float32(math.Copysign(0, -1))), Float8: some(math.Copysign(0, -1)), Text: some("line1\nline2\r\n")},
		{ID: 9, Float4: some[float32](math.SmallestNonzeroFloat32), Float8: some(math.SmallestNonzeroFloat64), Text: some("a,b\tc;d|e")},
		{ID: 10, Text: some("NULL"), Float8: some(0.1), Float4: some[float32](0.1), Date: some(day(1970, 1, 1)), Timestamptz: some(time.Unix(0, 0).UTC())},
	}
	// Rows 11..20: ordinary values with a rotating NULL column.
	for id := int32(11); id <= 20; id++ {
		k := int64(id)
		row := AllTypesRow{
			ID: id, Int2: some(int16(-37 * id)), Int4: some(id * 1_000_003), Int8: some(k * 1_000_000_007_000),
			Float4: some(float32(id) / 4), Float8: some(float64(id) / 3), Bool: some(id%2 == 0),
			Text:         some(fmt.Sprintf("row %d", id)),
			NumericCents: some(k*12345 - 100000),
			Date:         some(day(1950+int(id)*5, time.Month(id%12+1), int(id))),
			Timestamptz:  some(time.Date(2000+int(id), time.Month(id%12+1), 1, int(id), 30, 0, int(id)*1000, time.UTC)),
			Timestamp:    some(time.Date(1990+int(id), 6, int(id), 8, 0, 0, 500000000, time.UTC)),
			Bytea:        some([]byte(fmt.Sprintf("\\x%02d'", id))),
			UUID:         some(uuidOf(uint64(id)<<32, uint64(id))),
			JSON:         some(fmt.Sprintf(`{"id": %d, "tags": ["t%d"]}`, id, id)),
			List:         some([]sql.Null[int32]{some(id), some(-id)}),
			Struct:       some(Point{X: some(id), Label: some(fmt.Sprintf("p%d", id))}),
		}
		switch id % 5 {
		case 0:
			row.Int4, row.Text = sql.Null[int32]{}, sql.Null[string]{}
		case 1:
			row.Date, row.Bytea = sql.Null[time.Time]{}, sql.Null[[]byte]{}
		case 2:
			row.Float8, row.List = sql.Null[float64]{}, sql.Null[[]sql.Null[int32]]{}
		case 3:
			row.Timestamptz, row.UUID = sql.Null[time.Time]{}, sql.Null[[16]byte]{}
		case 4:
			row.Bool, row.Struct = sql.Null[bool]{}, sql.Null[Point]{}
		}
		rows = append(rows, row)
	}
	return rows
}

// allTypesSchema is the Arrow schema of the alltypes file.
func allTypesSchema() (*arrow.Schema, error) {
	jsonType, err := extensions.NewJSONType(arrow.BinaryTypes.String)
	if err != nil {
		return nil, fmt.Errorf("json extension type: %w", err)
	}
	return arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int32},
		{Name: "c_int2", Type: arrow.PrimitiveTypes.Int16, Nullable: true},
		{Name: "c_int4", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "c_int8", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "c_float4", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
		{Name: "c_float8", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "c_bool", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "c_text", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "c_numeric", Type: &arrow.Decimal128Type{Precision: 10, Scale: 2}, Nullable: true},
		{Name: "c_date", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
		{Name: "c_timestamptz", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
		{Name: "c_timestamp", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Nullable: true},
		{Name: "c_bytea", Type: arrow.BinaryTypes.Binary, Nullable: true},
		{Name: "c_uuid", Type: extensions.NewUUIDType(), Nullable: true},
		{Name: "c_json", Type: jsonType, Nullable: true},
		{Name: "c_list", Type: arrow.ListOf(arrow.PrimitiveTypes.Int32), Nullable: true},
		{Name: "c_struct", Type: arrow.StructOf(
			arrow.Field{Name: "x", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
			arrow.Field{Name: "label", Type: arrow.BinaryTypes.String, Nullable: true},
		), Nullable: true},
	}, nil), nil
}

// WriteAllTypes writes the alltypes rows to path as Parquet (snappy), in one
// row group, atomically.
func WriteAllTypes(path string) error {
	sc, err := allTypesSchema()
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	rows := AllTypes()
	return writeParquet(path, sc, 0, int64(len(rows)), len(rows), func(b *array.RecordBuilder, from, to int64) {
		for _, row := range rows[from:to] {
			appendAllTypes(b, row)
		}
	})
}

// appendNull appends v with add, or a NULL.
func appendNull[T any](b array.Builder, v sql.Null[T], add func(T)) {
	if v.Valid {
		add(v.V)
	} else {
		b.AppendNull()
	}
}

// appendAllTypes appends one row to a builder of allTypesSchema.
func appendAllTypes(b *array.RecordBuilder, r AllTypesRow) {
	b.Field(0).(*array.Int32Builder).Append(r.ID)
	appendNull(b.Field(1), r.Int2, b.Field(1).(*array.Int16Builder).Append)
	appendNull(b.Field(2), r.Int4, b.Field(2).(*array.Int32Builder).Append)
	appendNull(b.Field(3), r.Int8, b.Field(3).(*array.Int64Builder).Append)
	appendNull(b.Field(4), r.Float4, b.Field(4).(*array.Float32Builder).Append)
	appendNull(b.Field(5), r.Float8, b.Field(5).(*array.Float64Builder).Append)
	appendNull(b.Field(6), r.Bool, b.Field(6).(*array.BooleanBuilder).Append)
	appendNull(b.Field(7), r.Text, b.Field(7).(*array.StringBuilder).Append)
	appendNull(b.Field(8), r.NumericCents, func(v int64) {
		b.Field(8).(*array.Decimal128Builder).Append(decimal128.FromI64(v))
	})
	appendNull(b.Field(9), r.Date, func(v time.Time) {
		b.Field(9).(*array.Date32Builder).Append(arrow.Date32FromTime(v))
	})
	appendNull(b.Field(10), r.Timestamptz, func(v time.Time) {
		b.Field(10).(*array.TimestampBuilder).Append(arrow.Timestamp(v.UnixMicro()))
	})
	appendNull(b.Field(11), r.Timestamp, func(v time.Time) {
		b.Field(11).(*array.TimestampBuilder).Append(arrow.Timestamp(v.UnixMicro()))
	})
	appendNull(b.Field(12), r.Bytea, b.Field(12).(*array.BinaryBuilder).Append)
	appendNull(b.Field(13), r.UUID, b.Field(13).(*extensions.UUIDBuilder).AppendBytes)
	appendNull(b.Field(14), r.JSON, func(v string) {
		b.Field(14).(*array.ExtensionBuilder).Builder.(*array.StringBuilder).Append(v)
	})
	list := b.Field(15).(*array.ListBuilder)
	appendNull(list, r.List, func(v []sql.Null[int32]) {
		list.Append(true)
		values := list.ValueBuilder().(*array.Int32Builder)
		for _, e := range v {
			appendNull(values, e, values.Append)
		}
	})
	st := b.Field(16).(*array.StructBuilder)
	appendNull(st, r.Struct, func(p Point) {
		st.Append(true)
		x := st.FieldBuilder(0).(*array.Int32Builder)
		appendNull(x, p.X, x.Append)
		label := st.FieldBuilder(1).(*array.StringBuilder)
		appendNull(label, p.Label, label.Append)
	})
}
