package compact

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/extensions"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// flatCase is one field of the parallel writer's differential test: its
// type and the JSON of row i's value ("null" for NULL).
type flatCase struct {
	name     string
	typ      arrow.DataType
	nullable bool
	value    func(r *rand.Rand, i int) string
}

func flatCases(t *testing.T) []flatCase {
	t.Helper()
	jsonType, err := extensions.NewJSONType(arrow.BinaryTypes.String)
	if err != nil {
		t.Fatal(err)
	}
	num := func(mod int) func(*rand.Rand, int) string {
		return func(r *rand.Rand, _ int) string { return fmt.Sprint(r.IntN(mod)) }
	}
	str := func(distinct int) func(*rand.Rand, int) string {
		return func(r *rand.Rand, _ int) string { return fmt.Sprintf("%q", fmt.Sprintf("v%d", r.IntN(distinct))) }
	}
	return []flatCase{
		{"id", arrow.PrimitiveTypes.Int64, false, func(_ *rand.Rand, i int) string { return fmt.Sprint(i) }},
		{"i8", arrow.PrimitiveTypes.Int8, true, num(100)},
		{"i16", arrow.PrimitiveTypes.Int16, true, num(1000)},
		{"i32", arrow.PrimitiveTypes.Int32, false, num(10)},
		{"u32", arrow.PrimitiveTypes.Uint32, true, num(1 << 30)},
		{"u64", arrow.PrimitiveTypes.Uint64, true, num(1 << 40)},
		{"f32", arrow.PrimitiveTypes.Float32, true, func(r *rand.Rand, _ int) string { return fmt.Sprint(float32(r.IntN(1000)) / 4) }},
		{"f64", arrow.PrimitiveTypes.Float64, false, func(r *rand.Rand, _ int) string { return fmt.Sprint(float64(r.IntN(50000)) / 100) }},
		{"b", arrow.FixedWidthTypes.Boolean, true, func(r *rand.Rand, _ int) string { return fmt.Sprint(r.IntN(2) == 0) }},
		{"s_low", arrow.BinaryTypes.String, false, str(5)},
		{"s_high", arrow.BinaryTypes.String, true, str(1 << 20)},
		{"ls", arrow.BinaryTypes.LargeString, true, str(50)},
		{"bin", arrow.BinaryTypes.Binary, true, func(r *rand.Rand, _ int) string { return fmt.Sprintf("%q", "AAEC") }},
		{"fsb", &arrow.FixedSizeBinaryType{ByteWidth: 3}, true, func(r *rand.Rand, _ int) string { return fmt.Sprintf("%q", "AAEC") }},
		{"d32", arrow.FixedWidthTypes.Date32, true, func(r *rand.Rand, _ int) string { return fmt.Sprintf("%q", fmt.Sprintf("2024-01-%02d", 1+r.IntN(28))) }},
		{"ts_us_utc", &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, false, num(1 << 50)},
		{"ts_ns", &arrow.TimestampType{Unit: arrow.Nanosecond}, true, num(1 << 60)},
		{"ts_ms", &arrow.TimestampType{Unit: arrow.Millisecond}, true, num(1 << 40)},
		{"t64", arrow.FixedWidthTypes.Time64us, true, num(86400 * 1000000)},
		{"dec", &arrow.Decimal128Type{Precision: 10, Scale: 2}, true, func(r *rand.Rand, _ int) string {
			return fmt.Sprintf("%q", fmt.Sprintf("%d.%02d", r.IntN(1e6), r.IntN(100)))
		}},
		{"dec38", &arrow.Decimal128Type{Precision: 38, Scale: 5}, true, func(r *rand.Rand, _ int) string { return fmt.Sprintf("%q", fmt.Sprintf("%d.5", r.Int64())) }},
		{"json", jsonType, true, func(r *rand.Rand, _ int) string { return fmt.Sprintf("%q", fmt.Sprintf(`{"a":%d}`, r.IntN(10))) }},
	}
}

// flatRecord returns rows [0, n) of the cases as one record; every 7th
// value of a nullable field is NULL, and all of one in a hundred-row run.
func flatRecord(t *testing.T, cases []flatCase, n int) arrow.RecordBatch {
	t.Helper()
	fields := make([]arrow.Field, len(cases))
	cols := make([]arrow.Array, len(cases))
	for c, fc := range cases {
		fields[c] = arrow.Field{Name: fc.name, Type: fc.typ, Nullable: fc.nullable}
		r := rand.New(rand.NewPCG(uint64(c), 1))
		var b strings.Builder
		b.WriteByte('[')
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			if fc.nullable && (i%7 == 3 || i >= 200 && i < 300) {
				b.WriteString("null")
			} else {
				b.WriteString(fc.value(r, i))
			}
		}
		b.WriteByte(']')
		typ := fc.typ
		ext, isExt := typ.(arrow.ExtensionType)
		if isExt {
			typ = ext.StorageType()
		}
		arr, _, err := array.FromJSON(memory.DefaultAllocator, typ, strings.NewReader(b.String()))
		if err != nil {
			t.Fatalf("%s: %v", fc.name, err)
		}
		if isExt {
			storage := arr
			arr = array.NewExtensionArrayWithStorage(ext, storage)
			storage.Release()
		}
		cols[c] = arr
		defer arr.Release()
	}
	md := arrow.NewMetadata([]string{"owner"}, []string{"pqsql-test"})
	return array.NewRecordBatch(arrow.NewSchema(fields, &md), cols, int64(n))
}

// TestParallelWriterMatchesPqarrow writes the same batches of every flat
// type with the parallel writer and with pqarrow's FileWriter, with row
// groups that split batches and batches that are slices, and expects the
// same file: the parallel writer only changes which goroutine encodes a
// column, never what is written.
func TestParallelWriterMatchesPqarrow(t *testing.T) {
	cases := flatCases(t)
	const n = 3000
	rec := flatRecord(t, cases, n)
	defer rec.Release()
	if !parallelColumnsOK(rec.Schema()) {
		t.Fatal("parallelColumnsOK(flat schema) = false")
	}
	// Batch sizes: tiny, odd, larger than a row group, and the rest.
	sizes := []int64{1, 7, 100, 333, 1000, 64, 5}
	for _, storeSchema := range []bool{false, true} {
		for _, rgRows := range []int64{128, 1000, 1 << 20} {
			t.Run(fmt.Sprintf("store=%v/rg=%d", storeSchema, rgRows), func(t *testing.T) {
				props := parquet.NewWriterProperties(
					parquet.WithCompression(compress.Codecs.Snappy),
					parquet.WithMaxRowGroupLength(rgRows),
					parquet.WithStats(true),
					parquet.WithDictionaryDefault(true),
					parquet.WithDictionaryFor("s_high", false),
					// Small pages and dictionaries: several pages per
					// chunk, and a dictionary falling back to plain.
					parquet.WithDataPageSize(4<<10),
					parquet.WithDictionaryPageSizeLimit(2<<10),
				)
				var want, got bytes.Buffer
				var arrowOpts []pqarrow.WriterOption
				if storeSchema {
					arrowOpts = append(arrowOpts, pqarrow.WithStoreSchema())
				}
				ref, err := pqarrow.NewFileWriter(rec.Schema(), &want, props, pqarrow.NewArrowWriterProperties(arrowOpts...))
				if err != nil {
					t.Fatal(err)
				}
				pw, err := newParallelWriter(rec.Schema(), &got, props, pqarrow.NewArrowWriterProperties(), storeSchema)
				if err != nil {
					t.Fatal(err)
				}
				for off, i := int64(0), 0; off < n; i++ {
					end := min(n, off+sizes[i%len(sizes)])
					part := rec.NewSlice(off, end)
					for _, w := range []batchWriter{ref, pw} {
						if err := w.WriteBuffered(part); err != nil {
							t.Fatal(err)
						}
					}
					part.Release()
					off = end
				}
				if err := ref.Close(); err != nil {
					t.Fatal(err)
				}
				if err := pw.Close(); err != nil {
					t.Fatal(err)
				}
				sameParquet(t, got.Bytes(), want.Bytes())
			})
		}
	}
}

// TestParallelColumnsOK checks which schemas the parallel writer takes.
func TestParallelColumnsOK(t *testing.T) {
	for _, tc := range []struct {
		typ  arrow.DataType
		want bool
	}{
		{arrow.PrimitiveTypes.Int64, true},
		{arrow.BinaryTypes.String, true},
		{extensions.NewUUIDType(), true},
		{arrow.ListOf(arrow.BinaryTypes.String), false},
		{arrow.StructOf(arrow.Field{Name: "x", Type: arrow.PrimitiveTypes.Int32}), false},
		{arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int32), false},
		{&arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}, false},
	} {
		sc := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "f", Type: tc.typ, Nullable: true}}, nil)
		if got := parallelColumnsOK(sc); got != tc.want {
			t.Errorf("parallelColumnsOK(%s) = %v, want %v", tc.typ, got, tc.want)
		}
	}
}

// TestParallelWriterFailure checks that a column that cannot be written
// fails the writer, and that Close still stops its goroutines.
func TestParallelWriterFailure(t *testing.T) {
	sc := arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int64}, {Name: "b", Type: arrow.BinaryTypes.String}}, nil)
	pw, err := newParallelWriter(sc, &bytes.Buffer{}, parquet.NewWriterProperties(parquet.WithMaxRowGroupLength(4)), pqarrow.NewArrowWriterProperties(), false)
	if err != nil {
		t.Fatal(err)
	}
	// A record whose column b is not a string: the writer of column b
	// rejects it.
	bad := arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int64}, {Name: "b", Type: arrow.PrimitiveTypes.Int64}}, nil)
	ints, _, err := array.FromJSON(memory.DefaultAllocator, arrow.PrimitiveTypes.Int64, strings.NewReader("[1,2,3]"))
	if err != nil {
		t.Fatal(err)
	}
	defer ints.Release()
	rec := array.NewRecordBatch(bad, []arrow.Array{ints, ints}, 3)
	defer rec.Release()
	var werr error
	for range 5 {
		if werr = pw.WriteBuffered(rec); werr != nil {
			break
		}
	}
	cerr := pw.Close()
	if werr == nil && cerr == nil {
		t.Fatal("writing an int64 array to a string column succeeded")
	}
}

// sameParquet fails t unless the Parquet files got and want hold the same
// bytes up to the footer and footers that differ at most in the order of
// each column chunk's page encoding statistics, which arrow-go writes in
// map order.
func sameParquet(t *testing.T, got, want []byte) {
	t.Helper()
	dataEnd := func(b []byte) int {
		return len(b) - 8 - int(binary.LittleEndian.Uint32(b[len(b)-8:]))
	}
	if dataEnd(got) != dataEnd(want) || !bytes.Equal(got[:dataEnd(got)], want[:dataEnd(want)]) {
		i := 0
		for i < min(len(got), len(want)) && got[i] == want[i] {
			i++
		}
		t.Fatalf("column data differ from byte %d (files of %d and %d bytes)", i, len(got), len(want))
	}
	open := func(b []byte) *metadata.FileMetaData {
		r, err := file.NewParquetReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		return r.MetaData()
	}
	g, w := open(got), open(want)
	if g.NumRows != w.NumRows || g.NumRowGroups() != w.NumRowGroups() || !g.Schema.Equals(w.Schema) || !g.KeyValueMetadata().Equals(w.KeyValueMetadata()) {
		t.Fatalf("file metadata differ: %d rows in %d row groups, want %d in %d", g.NumRows, g.NumRowGroups(), w.NumRows, w.NumRowGroups())
	}
	for rg := range g.NumRowGroups() {
		grg, wrg := g.RowGroup(rg), w.RowGroup(rg)
		if grg.NumRows() != wrg.NumRows() || grg.TotalByteSize() != wrg.TotalByteSize() {
			t.Fatalf("row group %d: %d rows, %d bytes, want %d, %d", rg, grg.NumRows(), grg.TotalByteSize(), wrg.NumRows(), wrg.TotalByteSize())
		}
		for c := range g.NumColumns() {
			gc, err := grg.ColumnChunk(c)
			if err != nil {
				t.Fatal(err)
			}
			wc, err := wrg.ColumnChunk(c)
			if err != nil {
				t.Fatal(err)
			}
			gs, err := gc.Statistics()
			if err != nil {
				t.Fatal(err)
			}
			ws, err := wc.Statistics()
			if err != nil {
				t.Fatal(err)
			}
			stats := func(s metadata.TypedStatistics) string {
				if s == nil {
					return "none"
				}
				lo := s.EncodeMin()
				hi := s.EncodeMax()
				return fmt.Sprintf("%x %x %d %d", lo, hi, s.NullCount(), s.NumValues())
			}
			encStats := func(cc *metadata.ColumnChunkMetaData) []metadata.PageEncodingStats {
				es := cc.EncodingStats()
				slices.SortFunc(es, func(a, b metadata.PageEncodingStats) int {
					return cmp.Or(cmp.Compare(a.PageType, b.PageType), cmp.Compare(a.Encoding, b.Encoding))
				})
				return es
			}
			if gc.DataPageOffset() != wc.DataPageOffset() || gc.DictionaryPageOffset() != wc.DictionaryPageOffset() ||
				gc.TotalCompressedSize() != wc.TotalCompressedSize() || gc.TotalUncompressedSize() != wc.TotalUncompressedSize() ||
				gc.NumValues() != wc.NumValues() || gc.Compression() != wc.Compression() ||
				!slices.Equal(gc.Encodings(), wc.Encodings()) || !slices.Equal(encStats(gc), encStats(wc)) ||
				stats(gs) != stats(ws) {
				t.Fatalf("row group %d column %d: chunk metadata differ", rg, c)
			}
		}
	}
}

// writeFlatRows writes rows to path like writeRows, without the nested
// tags column, so that a VACUUM writes the table with the parallel writer.
func writeFlatRows(t *testing.T, path string, rows []row, rgRows int) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	sc := arrow.NewSchema(testSchema().Fields()[:3], nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer b.Release()
	for _, r := range rows {
		b.Field(0).(*array.Int64Builder).Append(r.ID)
		b.Field(1).(*array.StringBuilder).Append(r.Name)
		if r.ID%2 == 0 {
			b.Field(2).(*array.Float64Builder).Append(float64(r.ID) / 2)
		} else {
			b.Field(2).AppendNull()
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	props := parquet.NewWriterProperties(parquet.WithMaxRowGroupLength(int64(rgRows)), parquet.WithCompression(compress.Codecs.Snappy))
	fw, err := pqarrow.NewFileWriter(sc, f, props, pqarrow.NewArrowWriterProperties())
	if err != nil {
		t.Fatal(err)
	}
	if err := fw.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestVacuumFlatTable vacuums a table of flat columns, which the parallel
// writer writes, in output row groups smaller than the input's batches,
// and checks every value of the new file.
func TestVacuumFlatTable(t *testing.T) {
	dir := t.TempDir()
	all := rowsOf(0, 5000)
	writeFlatRows(t, filepath.Join(dir, "t", "a.parquet"), all[:3000], 1000)
	writeFlatRows(t, filepath.Join(dir, "t", "b.parquet"), all[3000:], 700)
	c := openCat(t, dir)
	defer c.Close()
	tbl := table(t, c, "t")
	var deleted []int64
	for id := int64(0); id < 5000; id += 3 {
		deleted = append(deleted, id)
	}
	deleted = append(deleted, 4001, 4002, 4003, 4004) // a run
	deleteIDs(t, tbl, deleted...)
	want := without(all, deleted...)
	res, err := Vacuum(context.Background(), tbl, Options{Actor: "admin", AuditSecret: testSecret, RowGroupRows: 600})
	if err != nil {
		t.Fatal(err)
	}
	if res.RowsRemaining != int64(len(want)) {
		t.Fatalf("Result = %+v", res)
	}
	if got := scanRows(t, tbl, true); !slices.Equal(got, want) {
		t.Fatalf("scan after VACUUM: %d rows, want %d", len(got), len(want))
	}
	files := tbl.Files()
	if len(files) != 1 {
		t.Fatalf("Files = %q", files)
	}
	r, err := file.OpenParquetFile(files[0], false)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if n := r.NumRowGroups(); n != (len(want)+599)/600 {
		t.Errorf("%d row groups, want %d", n, (len(want)+599)/600)
	}
	tab, err := pqarrow.ReadTable(context.Background(), mustOpen(t, files[0]), nil, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Release()
	tr := array.NewTableReader(tab, 1<<20)
	defer tr.Release()
	i := 0
	for tr.Next() {
		rec := tr.RecordBatch()
		ids := rec.Column(0).(*array.Int64)
		names := rec.Column(1).(*array.String)
		scores := rec.Column(2).(*array.Float64)
		for j := range int(rec.NumRows()) {
			w := want[i]
			i++
			if ids.Value(j) != w.ID || names.Value(j) != w.Name {
				t.Fatalf("row %d = %d %q, want %+v", i-1, ids.Value(j), names.Value(j), w)
			}
			if w.ID%2 == 0 != scores.IsValid(j) || w.ID%2 == 0 && scores.Value(j) != float64(w.ID)/2 {
				t.Fatalf("row %d: score wrong", i-1)
			}
		}
	}
	if i != len(want) {
		t.Fatalf("read %d rows, want %d", i, len(want))
	}
}

// mustOpen opens path for reading until the test ends.
func mustOpen(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestParallelWriterRowGroupBytes checks that a row group is closed when
// its rows' Arrow size reaches the writer's bound, before its row count.
func TestParallelWriterRowGroupBytes(t *testing.T) {
	cases := flatCases(t)[:2] // id int64 NOT NULL, i8: 9 bytes a row and change
	rec := flatRecord(t, cases, 1000)
	defer rec.Release()
	var buf bytes.Buffer
	props := parquet.NewWriterProperties(parquet.WithMaxRowGroupLength(1 << 20))
	pw, err := newParallelWriter(rec.Schema(), &buf, props, pqarrow.NewArrowWriterProperties(), false)
	if err != nil {
		t.Fatal(err)
	}
	pw.maxBytes = int64(float64(recordBytes(rec)) * 0.25) // about 250 rows
	for off := int64(0); off < 1000; off += 300 {
		part := rec.NewSlice(off, min(1000, off+300))
		if err := pw.WriteBuffered(part); err != nil {
			t.Fatal(err)
		}
		part.Release()
	}
	if err := pw.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := file.NewParquetReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var sizes []int64
	for rg := range r.NumRowGroups() {
		sizes = append(sizes, r.MetaData().RowGroup(rg).NumRows())
	}
	if r.NumRows() != 1000 || len(sizes) < 4 || len(sizes) > 5 {
		t.Fatalf("row groups of %v rows, want about 250 each", sizes)
	}
}
