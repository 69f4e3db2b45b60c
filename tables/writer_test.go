package tables

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestWriterRoundTrip rewrites a table's file from its scanned batches and
// checks Open maps the new file to the same columns with the same values.
func TestWriterRoundTrip(t *testing.T) {
	src := t.TempDir()
	cases := typeCases(t)
	writeTypesFile(t, filepath.Join(src, "types.parquet"), cases)
	c, log := openCatalog(t, src, nil)
	tbl := c.Table("types")
	if tbl == nil {
		t.Fatalf("types skipped:\n%s", log)
	}
	all := make([]int, len(tbl.Columns()))
	for i := range all {
		all[i] = i
	}
	batches := scanAll(t, tbl, ScanOptions{Columns: all})

	dst := t.TempDir()
	f, err := os.Create(filepath.Join(dst, "types.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewWriter(f, tbl.Columns(), WriterOptions{RowGroupRows: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range batches {
		if err := w.Write(b.Record); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	// The writer must not have closed the file.
	if err := f.Sync(); err != nil {
		t.Fatalf("sync after writer Close: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	c2, log := openCatalog(t, dst, nil)
	again := c2.Table("types")
	if again == nil {
		t.Fatalf("rewritten file skipped:\n%s", log)
	}
	if !slices.Equal(again.Columns(), tbl.Columns()) {
		t.Errorf("rewritten columns = %+v\nwant %+v", again.Columns(), tbl.Columns())
	}
	if got := len(again.RowGroups()); got != 2 {
		t.Errorf("rewritten file has %d row groups, want 2", got)
	}
	rewritten := scanAll(t, again, ScanOptions{Columns: all})
	for i, col := range tbl.Columns() {
		var want, got []string
		for _, b := range batches {
			for r := range int(b.Record.NumRows()) {
				want = append(want, cell(b.Record.Column(i), r))
			}
		}
		for _, b := range rewritten {
			for r := range int(b.Record.NumRows()) {
				got = append(got, cell(b.Record.Column(i), r))
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("column %s: rewritten %q, want %q", col.Name, got, want)
		}
	}

	// A record of the wrong shape is refused.
	w2, err := NewWriter(&discard{}, tbl.Columns()[:1], WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w2.Write(batches[0].Record); err == nil {
		t.Error("Write of a record with extra columns succeeded")
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
