package tables

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/schema"

	"github.com/pqsql/pqsql/sqlengine"
)

// TestLegacyAnnotations reads a file written with the low-level writer using
// converted types (as old parquet-mr, Hive and Spark do), ENUM, an
// unannotated byte array and a repeated top-level primitive.
func TestLegacyAnnotations(t *testing.T) {
	must := func(n *schema.PrimitiveNode, err error) schema.Node {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	req, opt, rep := parquet.Repetitions.Required, parquet.Repetitions.Optional, parquet.Repetitions.Repeated
	root, err := schema.NewGroupNode("schema", req, schema.FieldList{
		must(schema.NewPrimitiveNodeConverted("utf8", opt, parquet.Types.ByteArray, schema.ConvertedTypes.UTF8, 0, 0, 0, -1)),
		must(schema.NewPrimitiveNodeLogical("kind", req, schema.EnumLogicalType{}, parquet.Types.ByteArray, 0, -1)),
		must(schema.NewPrimitiveNode("raw", opt, parquet.Types.ByteArray, -1, 0)),
		must(schema.NewPrimitiveNodeConverted("tiny", req, parquet.Types.Int32, schema.ConvertedTypes.Int8, 0, 0, 0, -1)),
		must(schema.NewPrimitiveNodeConverted("at", req, parquet.Types.Int64, schema.ConvertedTypes.TimestampMillis, 0, 0, 0, -1)),
		must(schema.NewPrimitiveNode("tags", rep, parquet.Types.Int32, -1, 0)),
	}, -1)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "legacy.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	fw := file.NewParquetWriter(f, root)
	rgw := fw.AppendRowGroup()
	next := func() file.ColumnChunkWriter {
		t.Helper()
		cw, err := rgw.NextColumn()
		if err != nil {
			t.Fatal(err)
		}
		return cw
	}
	ba := func(s ...string) []parquet.ByteArray {
		out := make([]parquet.ByteArray, len(s))
		for i, v := range s {
			out[i] = parquet.ByteArray(v)
		}
		return out
	}
	write := func(_ int64, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	write(next().(*file.ByteArrayColumnChunkWriter).WriteBatch(ba("héllo"), []int16{1, 0}, nil))
	write(next().(*file.ByteArrayColumnChunkWriter).WriteBatch(ba("RED", "GREEN"), nil, nil))
	write(next().(*file.ByteArrayColumnChunkWriter).WriteBatch(ba("\x00\x01"), []int16{0, 1}, nil))
	write(next().(*file.Int32ColumnChunkWriter).WriteBatch([]int32{-5, 100}, nil, nil))
	write(next().(*file.Int64ColumnChunkWriter).WriteBatch([]int64{1500, -1}, nil, nil))
	// Row 1 has tags [7, 8], row 2 none.
	write(next().(*file.Int32ColumnChunkWriter).WriteBatch([]int32{7, 8}, []int16{1, 1, 0}, []int16{0, 1, 0}))
	if err := rgw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}

	c, log := openCatalog(t, dir, nil)
	tbl := c.Table("legacy")
	if tbl == nil {
		t.Fatalf("legacy skipped:\n%s", log)
	}
	want := []Column{
		{Name: "utf8", Type: Type{OID: sqlengine.TextOID}, Nullable: true},
		{Name: "kind", Type: Type{OID: sqlengine.TextOID}},
		{Name: "raw", Type: Type{OID: sqlengine.ByteaOID}, Nullable: true},
		{Name: "tiny", Type: Type{OID: sqlengine.Int2OID}},
		{Name: "at", Type: Type{OID: sqlengine.TimestamptzOID}},
		{Name: "tags", Type: Type{OID: sqlengine.JSONOID}},
	}
	if !slices.Equal(tbl.Columns(), want) {
		t.Fatalf("columns = %+v\nwant %+v", tbl.Columns(), want)
	}
	batches := scanAll(t, tbl, ScanOptions{Columns: []int{0, 1, 2, 3, 4, 5}})
	rec := batches[0].Record
	got := make([][2]string, rec.NumCols())
	for i := range got {
		got[i] = [2]string{cell(rec.Column(i), 0), cell(rec.Column(i), 1)}
	}
	wantValues := [][2]string{{"héllo", "NULL"}, {"RED", "GREEN"}, {"NULL", "0001"}, {"-5", "100"}, {"1500000", "-1000"}, {"[7,8]", "[]"}}
	if !slices.Equal(got, wantValues) {
		t.Errorf("values = %q\nwant %q", got, wantValues)
	}
	st := tbl.Stats(tbl.RowGroups()[0], 4)
	if minT, ok := st.Min.(time.Time); !st.HasMinMax || !ok || minT.UnixMilli() != -1 || st.Max.(time.Time).UnixMilli() != 1500 {
		t.Errorf("at stats = %+v, want -1ms..1500ms", st)
	}
	if st := tbl.Stats(tbl.RowGroups()[0], 1); !st.HasMinMax || st.Min != "GREEN" || st.Max != "RED" {
		t.Errorf("enum stats = %+v, want GREEN..RED", st)
	}
}
