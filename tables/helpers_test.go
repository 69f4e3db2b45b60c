package tables

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/rs/zerolog"
)

// writeFile writes recs to path as Parquet, one row group per record.
func writeFile(t testing.TB, path string, recs []arrow.RecordBatch, arrowOpts ...pqarrow.WriterOption) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	props := parquet.NewWriterProperties(parquet.WithMaxRowGroupLength(1 << 30))
	fw, err := pqarrow.NewFileWriter(recs[0].Schema(), f, props, pqarrow.NewArrowWriterProperties(arrowOpts...))
	if err != nil {
		t.Fatalf("new writer for %s: %v", path, err)
	}
	for _, rec := range recs {
		if err := fw.Write(rec); err != nil {
			t.Fatalf("write %s: %v", path, err)
		}
	}
	if err := fw.Close(); err != nil {
		t.Fatalf("close %s: %v", path, err)
	}
}

// recordFromJSON builds a record of sc from a JSON array of row objects.
func recordFromJSON(t *testing.T, sc *arrow.Schema, rows string) arrow.RecordBatch {
	t.Helper()
	rec, _, err := array.RecordFromJSON(memory.DefaultAllocator, sc, strings.NewReader(rows))
	if err != nil {
		t.Fatalf("record from JSON: %v", err)
	}
	t.Cleanup(rec.Release)
	return rec
}

// openCatalog opens dir, closing it at the end of the test, and returns the
// log it wrote.
func openCatalog(t *testing.T, dir string, keys map[string]string) (*Catalog, *bytes.Buffer) {
	t.Helper()
	var log bytes.Buffer
	c, err := Open(context.Background(), dir, Options{KeyColumns: keys, Logger: zerolog.New(&log)})
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return c, &log
}

// scanAll reads every batch of a scan.
func scanAll(t *testing.T, tbl *Table, opts ScanOptions) []*Batch {
	t.Helper()
	ctx := context.Background()
	s, err := tbl.Scan(ctx, opts)
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	defer s.Close()
	var out []*Batch
	for {
		b, err := s.Next(ctx)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		out = append(out, b)
	}
}

// columnStrings renders column c of all batches with ValueStr ("(null)" for NULL).
func columnStrings(batches []*Batch, c int) []string {
	var out []string
	for _, b := range batches {
		col := b.Record.Column(c)
		for i := range col.Len() {
			if col.IsNull(i) {
				out = append(out, "(null)")
			} else {
				out = append(out, col.ValueStr(i))
			}
		}
	}
	return out
}
