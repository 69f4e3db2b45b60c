package tables

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// rewrite runs the VACUUM steps of package compact on tbl: ReadLive into
// the temp file, OpenRewrite, CommitVacuum.
func rewrite(t *testing.T, tbl *Table) *LiveStats {
	t.Helper()
	ctx := context.Background()
	snap := tbl.Snapshot()
	format, err := snap.RewriteFormat()
	if err != nil {
		t.Fatal(err)
	}
	temp, _, err := snap.VacuumPaths()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(temp)
	if err != nil {
		t.Fatal(err)
	}
	var opts []pqarrow.WriterOption
	if format.StoreArrowSchema {
		opts = append(opts, pqarrow.WithStoreSchema())
	}
	fw, err := pqarrow.NewFileWriter(format.Schema, struct{ io.Writer }{f}, parquet.NewWriterProperties(parquet.WithCompression(format.Compression)), pqarrow.NewArrowWriterProperties(opts...))
	if err != nil {
		t.Fatal(err)
	}
	live, err := snap.ReadLive(ctx, format, fw.WriteBuffered)
	if err != nil {
		t.Fatal(err)
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	rw, err := snap.OpenRewrite(ctx, temp, live)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tbl.CommitVacuum(ctx, rw, CommitOptions{}); err != nil {
		t.Fatal(err)
	}
	return live
}

// TestVacuumRewriteTypes rewrites a file of every supported type (and the
// stored Arrow schema or not) without its deleted row and checks the table
// keeps its columns and values.
func TestVacuumRewriteTypes(t *testing.T) {
	for _, storeSchema := range []bool{false, true} {
		t.Run(fmt.Sprintf("storeSchema=%v", storeSchema), func(t *testing.T) {
			cases := typeCases(t)
			dir := t.TempDir()
			var opts []pqarrow.WriterOption
			if storeSchema {
				opts = append(opts, pqarrow.WithStoreSchema())
			}
			writeTypesFile(t, filepath.Join(dir, "types.parquet"), cases, opts...)
			c, log := openCatalog(t, dir, nil)
			tbl := c.Table("types")
			if tbl == nil {
				t.Fatalf("types skipped:\n%s", log)
			}
			cols := slices.Clone(tbl.Columns())
			// The key is column 0 (int2): delete row 0's key; row 1 has a
			// NULL key and stays.
			if _, err := tbl.Delete(context.Background(), []any{-128}, "a", ""); err != nil {
				t.Fatal(err)
			}
			live := rewrite(t, tbl)
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
			if live.Rows != 2 || live.Removed != 1 {
				t.Errorf("live rows %d removed %d", live.Rows, live.Removed)
			}
			c2, log := openCatalog(t, dir, nil)
			again := c2.Table("types")
			if again == nil || again.Err() != nil {
				t.Fatalf("rewritten table unavailable:\n%s", log)
			}
			if !slices.Equal(again.Columns(), cols) {
				t.Errorf("columns %+v\nwant %+v", again.Columns(), cols)
			}
			all := make([]int, len(cols))
			for i := range all {
				all[i] = i
			}
			batches := scanAll(t, again, ScanOptions{Columns: all, Raw: true})
			if len(batches) != 1 || batches[0].Record.NumRows() != 2 {
				t.Fatalf("got %d batches, want one of 2 rows", len(batches))
			}
			rec := batches[0].Record
			for i, tc := range cases {
				got := [2]string{cell(rec.Column(i), 0), cell(rec.Column(i), 1)}
				if want := [2]string{tc.want[1], tc.want[2]}; got != want {
					t.Errorf("%s: values %q, want %q", tc.name, got, want)
				}
			}
		})
	}
}

// TestVacuumRecoverUncommitted checks that Open removes the temp file of a
// VACUUM that did not commit and keeps a user's file that only looks like
// a VACUUM output.
func TestVacuumRecoverUncommitted(t *testing.T) {
	dir := t.TempDir()
	sc := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil)
	b := array.NewInt64Builder(memory.DefaultAllocator)
	b.AppendValues([]int64{1, 2, 3}, nil)
	arr := b.NewArray()
	rec := array.NewRecordBatch(sc, []arrow.Array{arr}, 3)
	defer rec.Release()
	writeFile(t, filepath.Join(dir, "t", "a.parquet"), []arrow.RecordBatch{rec})
	writeFile(t, filepath.Join(dir, "t", "vacuum-7.parquet"), []arrow.RecordBatch{rec})
	for _, junk := range []string{filepath.Join(dir, "t", "_vacuum-9.parquet.tmp"), filepath.Join(dir, "_vacuum-9-s.parquet.tmp")} {
		if err := os.WriteFile(junk, []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, filepath.Join(dir, "s.parquet"), []arrow.RecordBatch{rec})
	c, log := openCatalog(t, dir, nil)
	if tbl := c.Table("t"); tbl == nil || len(tbl.Files()) != 2 || tbl.RowCount() != 6 {
		t.Fatalf("table t: %v\n%s", tbl, log)
	}
	for _, junk := range []string{filepath.Join(dir, "t", "_vacuum-9.parquet.tmp"), filepath.Join(dir, "_vacuum-9-s.parquet.tmp")} {
		if _, err := os.Stat(junk); !os.IsNotExist(err) {
			t.Errorf("%s survived Open: %v", junk, err)
		}
	}
}

// TestVacuumRewriteLegacy merges two files with an INT96 timestamp and a
// column of a type the table leaves out (TIME): the merged file keeps both.
func TestVacuumRewriteLegacy(t *testing.T) {
	dir := t.TempDir()
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "at", Type: arrow.FixedWidthTypes.Time32ms, Nullable: true},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Nanosecond}, Nullable: true},
	}, nil)
	for i, name := range []string{"a.parquet", "b.parquet"} {
		b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
		b.Field(0).(*array.Int64Builder).AppendValues([]int64{int64(2 * i), int64(2*i + 1)}, nil)
		b.Field(1).(*array.Time32Builder).AppendValues([]arrow.Time32{1000, 2000}, nil)
		b.Field(2).(*array.TimestampBuilder).AppendValues([]arrow.Timestamp{1_000_000_000, 2_000_000_000}, nil)
		rec := b.NewRecordBatch()
		b.Release()
		writeFile(t, filepath.Join(dir, "l", name), []arrow.RecordBatch{rec}, pqarrow.WithDeprecatedInt96Timestamps(true))
		rec.Release()
	}
	c, log := openCatalog(t, dir, nil)
	tbl := c.Table("l")
	if tbl == nil {
		t.Fatalf("l skipped:\n%s", log)
	}
	cols := slices.Clone(tbl.Columns())
	if _, err := tbl.Delete(context.Background(), []any{2}, "a", ""); err != nil {
		t.Fatal(err)
	}
	rewrite(t, tbl)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	c2, log := openCatalog(t, dir, nil)
	again := c2.Table("l")
	if again == nil || again.Err() != nil || len(again.Files()) != 1 {
		t.Fatalf("rewritten table: %v\n%s", again, log)
	}
	if !slices.Equal(again.Columns(), cols) {
		t.Errorf("columns %+v, want %+v", again.Columns(), cols)
	}
	batches := scanAll(t, again, ScanOptions{Columns: []int{0, 1}, Raw: true})
	if got := columnStrings(batches, 0); !slices.Equal(got, []string{"0", "1", "3"}) {
		t.Errorf("ids %q", got)
	}
	if got := columnStrings(batches, 1); !slices.Equal(got, []string{"1970-01-01T00:00:01", "1970-01-01T00:00:02", "1970-01-01T00:00:02"}) {
		t.Errorf("timestamps %q", got)
	}
	if n := again.files.Load().files[0].reader.MetaData().Schema.NumColumns(); n != 3 {
		t.Errorf("merged file has %d columns, want 3 (the TIME column kept)", n)
	}
}

// TestVacuumRewriteCast merges a file storing a large_string column with
// one storing a plain string: the second is cast to the first's type.
func TestVacuumRewriteCast(t *testing.T) {
	dir := t.TempDir()
	for i, typ := range []arrow.DataType{arrow.BinaryTypes.String, arrow.BinaryTypes.LargeString} {
		sc := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "name", Type: typ}}, nil)
		b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
		b.Field(0).(*array.Int64Builder).AppendValues([]int64{int64(2 * i), int64(2*i + 1)}, nil)
		for _, v := range []string{fmt.Sprint("n", 2*i), fmt.Sprint("n", 2*i+1)} {
			b.Field(1).(interface{ Append(string) }).Append(v)
		}
		rec := b.NewRecordBatch()
		b.Release()
		writeFile(t, filepath.Join(dir, "m", fmt.Sprintf("f%d.parquet", i)), []arrow.RecordBatch{rec}, pqarrow.WithStoreSchema())
		rec.Release()
	}
	c, log := openCatalog(t, dir, nil)
	tbl := c.Table("m")
	if tbl == nil || tbl.Err() != nil {
		t.Fatalf("m unavailable:\n%s", log)
	}
	if _, err := tbl.Delete(context.Background(), []any{1}, "a", ""); err != nil {
		t.Fatal(err)
	}
	rewrite(t, tbl)
	batches := scanAll(t, tbl, ScanOptions{Columns: []int{0, 1}, Raw: true})
	if got := columnStrings(batches, 1); !slices.Equal(got, []string{"n0", "n2", "n3"}) {
		t.Errorf("names %q", got)
	}
	if files := tbl.Files(); len(files) != 1 {
		t.Errorf("files %q", files)
	}
}
