package datagen

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// chunkRows is how many rows are built in memory at once before being handed
// to the Parquet writer; it bounds the writers' memory with the row group's
// encoded pages.
const chunkRows = 8192

// createdBy is written in every file's footer instead of the library's
// default, so the files do not change with the arrow-go patch version string.
const createdBy = "pqsql datagen"

// writeFileAtomic writes path through write: into a temporary file in the same
// directory, synced, renamed over path, and the directory synced, so a crash
// leaves either the old file or the new one.
func writeFileAtomic(path string, write func(w io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	// The leading dot and the .tmp suffix make pqsql's discovery ignore it.
	f, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := write(bw); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Chmod(0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", f.Name(), err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", f.Name(), err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("rename %s to %s: %w", f.Name(), path, err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}

// writerProperties are the Parquet settings of every generated file.
func writerProperties(rowGroupRows int) *parquet.WriterProperties {
	return parquet.NewWriterProperties(
		parquet.WithCompression(compress.Codecs.Snappy),
		parquet.WithMaxRowGroupLength(int64(rowGroupRows)),
		parquet.WithCreatedBy(createdBy),
		parquet.WithStoreDecimalAsInteger(true),
	)
}

// writeParquet writes rows [first, first+n) to path atomically, in row groups
// of rowGroupRows rows; appendRows appends rows [from, to) to the builder.
func writeParquet(path string, sc *arrow.Schema, first, n int64, rowGroupRows int,
	appendRows func(b *array.RecordBuilder, from, to int64)) error {
	if rowGroupRows <= 0 {
		return fmt.Errorf("write %s: row group size %d must be positive", path, rowGroupRows)
	}
	if n < 0 {
		return fmt.Errorf("write %s: row count %d must not be negative", path, n)
	}
	return writeFileAtomic(path, func(w io.Writer) error {
		fw, err := pqarrow.NewFileWriter(sc, w, writerProperties(rowGroupRows), pqarrow.DefaultWriterProps())
		if err != nil {
			return fmt.Errorf("create parquet writer: %w", err)
		}
		b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
		defer b.Release()
		end := first + n
		for groupStart := first; groupStart < end; groupStart += int64(rowGroupRows) {
			fw.NewBufferedRowGroup()
			groupEnd := min(end, groupStart+int64(rowGroupRows))
			for from := groupStart; from < groupEnd; from += chunkRows {
				to := min(groupEnd, from+chunkRows)
				appendRows(b, from, to)
				rec := b.NewRecordBatch()
				err := fw.WriteBuffered(rec)
				rec.Release()
				if err != nil {
					return fmt.Errorf("write rows %d-%d: %w", from, to-1, err)
				}
			}
		}
		if err := fw.Close(); err != nil {
			return fmt.Errorf("close parquet writer: %w", err)
		}
		return nil
	})
}

// csvWriter writes PostgreSQL COPY ... CSV (default options) rows: NULL is
// an empty unquoted field, text is always quoted so an empty string stays
// distinct from NULL.
type csvWriter struct {
	w     *bufio.Writer
	first bool
	buf   []byte
}

func newCSVWriter(w io.Writer) *csvWriter {
	return &csvWriter{w: bufio.NewWriterSize(w, 1<<16), first: true}
}

func (c *csvWriter) sep() {
	if !c.first {
		c.buf = append(c.buf, ',')
	}
	c.first = false
}

func (c *csvWriter) null() { c.sep() }

func (c *csvWriter) text(s string) {
	c.sep()
	c.buf = append(c.buf, '"')
	c.buf = append(c.buf, strings.ReplaceAll(s, `"`, `""`)...)
	c.buf = append(c.buf, '"')
}

func (c *csvWriter) int(v int64) {
	c.sep()
	c.buf = strconv.AppendInt(c.buf, v, 10)
}

func (c *csvWriter) float(v float64) {
	c.sep()
	c.buf = append(c.buf, formatFloat8(v)...)
}

// cents writes a numeric with two decimals held in hundredths.
func (c *csvWriter) cents(v int64) {
	c.sep()
	c.buf = append(c.buf, formatCents(v)...)
}

func (c *csvWriter) timestamptz(t time.Time) {
	c.sep()
	c.buf = t.UTC().AppendFormat(c.buf, "2006-01-02 15:04:05.999999-07")
}

// endRow ends the row and writes it out.
func (c *csvWriter) endRow() error {
	c.buf = append(c.buf, '\n')
	_, err := c.w.Write(c.buf)
	c.buf, c.first = c.buf[:0], true
	return err
}

func (c *csvWriter) flush() error { return c.w.Flush() }

// formatFloat8 formats v as PostgreSQL's float8 output does (shortest exact).
func formatFloat8(v float64) string {
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// formatCents formats hundredths as a numeric(p,2) literal: -1234 is "-12.34".
func formatCents(v int64) string {
	sign := ""
	u := uint64(v)
	if v < 0 {
		sign, u = "-", uint64(-v)
	}
	return fmt.Sprintf("%s%d.%02d", sign, u/100, u%100)
}
