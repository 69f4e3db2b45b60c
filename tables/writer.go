package tables

import (
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/extensions"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/pqsql/pqsql/sqlengine"
)

// defaultRowGroupRows is the row group size of a Writer by default.
const defaultRowGroupRows = 1 << 20

// WriterOptions configures NewWriter.
type WriterOptions struct {
	// RowGroupRows is the maximum number of rows per row group; 0 means 1Mi.
	RowGroupRows int
}

// Writer writes rows in Batch representation as one Parquet file (snappy,
// with statistics) that Open maps back to exactly the same columns, so a
// rewritten file can sit next to the table's other files. All of its footer
// metadata is computed from the rows written, none copied from other files.
type Writer struct {
	fw      *pqarrow.FileWriter
	schema  *arrow.Schema
	columns []Column
	// wrap[i] is the extension type column i is written as, or nil.
	wrap []arrow.ExtensionType
}

// NewWriter starts a Parquet file of columns on w. Close must be called to
// write the footer; w is not closed.
func NewWriter(w io.Writer, columns []Column, opts WriterOptions) (*Writer, error) {
	rowGroupRows := opts.RowGroupRows
	if rowGroupRows <= 0 {
		rowGroupRows = defaultRowGroupRows
	}
	wr := &Writer{columns: columns, wrap: make([]arrow.ExtensionType, len(columns))}
	fields := make([]arrow.Field, len(columns))
	for i, c := range columns {
		typ := arrowType(c.Type)
		switch c.Type.OID {
		case sqlengine.UUIDOID:
			wr.wrap[i] = extensions.NewUUIDType()
		case sqlengine.JSONOID:
			jsonType, err := extensions.NewJSONType(arrow.BinaryTypes.String)
			if err != nil {
				return nil, fmt.Errorf("new parquet writer: %w", err)
			}
			wr.wrap[i] = jsonType
		}
		if wr.wrap[i] != nil {
			typ = wr.wrap[i]
		}
		fields[i] = arrow.Field{Name: c.Name, Type: typ, Nullable: c.Nullable}
	}
	wr.schema = arrow.NewSchema(fields, nil)
	props := parquet.NewWriterProperties(
		parquet.WithCompression(compress.Codecs.Snappy),
		parquet.WithMaxRowGroupLength(int64(rowGroupRows)),
		parquet.WithStoreDecimalAsInteger(true),
	)
	// Hide any Close method: pqarrow would close w with the footer, before the
	// caller could sync it.
	sink := struct{ io.Writer }{w}
	fw, err := pqarrow.NewFileWriter(wr.schema, sink, props, pqarrow.DefaultWriterProps())
	if err != nil {
		return nil, fmt.Errorf("new parquet writer: %w", err)
	}
	wr.fw = fw
	return wr, nil
}

// Write appends rec's rows. Column i of rec must have the Batch
// representation of the writer's column i. Rows are buffered into row groups
// of at most RowGroupRows rows.
func (w *Writer) Write(rec arrow.RecordBatch) error {
	if int(rec.NumCols()) != len(w.columns) {
		return fmt.Errorf("write parquet rows: %d columns, want %d", rec.NumCols(), len(w.columns))
	}
	cols := make([]arrow.Array, len(w.columns))
	for i, c := range w.columns {
		arr := rec.Column(i)
		if want := arrowType(c.Type); !arrow.TypeEqual(arr.DataType(), want) {
			return fmt.Errorf("write parquet column %q: type %s, want %s", c.Name, arr.DataType(), want)
		}
		if w.wrap[i] != nil {
			arr = array.NewExtensionArrayWithStorage(w.wrap[i], arr)
			defer arr.Release()
		}
		cols[i] = arr
	}
	out := array.NewRecordBatch(w.schema, cols, rec.NumRows())
	defer out.Release()
	if err := w.fw.WriteBuffered(out); err != nil {
		return fmt.Errorf("write parquet rows: %w", err)
	}
	return nil
}

// Close flushes the last row group and writes the footer.
func (w *Writer) Close() error {
	if err := w.fw.Close(); err != nil {
		return fmt.Errorf("close parquet writer: %w", err)
	}
	return nil
}
