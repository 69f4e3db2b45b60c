package compact

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// batchWriter writes a VACUUM's record batches to the new Parquet file:
// a *pqarrow.FileWriter, or a *parallelWriter where the schema allows it.
type batchWriter interface {
	// WriteBuffered appends rec's rows to the file; the caller keeps its
	// reference to rec.
	WriteBuffered(rec arrow.RecordBatch) error
	// Close writes the last row group and the footer.
	Close() error
}

// parallelColumnsOK reports whether a parallelWriter can write sc: every
// field must map to exactly one Parquet leaf column. Nested fields (struct,
// list, map) need pqarrow's level builder, which only its own FileWriter
// drives; dictionary fields are left to it too.
func parallelColumnsOK(sc *arrow.Schema) bool {
	for _, f := range sc.Fields() {
		typ := f.Type
		if ext, ok := typ.(arrow.ExtensionType); ok {
			typ = ext.StorageType()
		}
		if arrow.IsNested(typ.ID()) || typ.ID() == arrow.DICTIONARY || typ.ID() == arrow.RUN_END_ENCODED {
			return false
		}
	}
	return true
}

// parallelWriter writes record batches of a flat schema (see
// parallelColumnsOK) to a Parquet file as pqarrow's FileWriter.WriteBuffered
// would, but encodes, compresses and computes the statistics of each column
// on its own goroutine. A VACUUM is bound by that work: pqarrow does it one
// column after another on one goroutine, which left the second core mostly
// to decoding. Columns of one buffered row group share nothing while they
// are written (each has its own page buffer, encoder, statistics and
// metadata builder); the row group is closed, and its buffered columns
// copied to the file, only once every column goroutine is idle.
//
// Memory: each column goroutine holds at most columnQueue slices of the
// batches written, so the batches alive are bounded by that plus the one
// being handed out, besides the buffered row group itself.
type parallelWriter struct {
	fw       *file.Writer
	maxRows  int64 // rows of a row group
	maxBytes int64 // Arrow size of a row group's rows; see maxRowGroupBytes
	cols     []*columnWorker

	rgw     file.BufferedRowGroupWriter
	cws     []file.ColumnChunkWriter // rgw's column writers, by field
	rgRows  int64                    // rows handed out to rgw's columns
	rgBytes int64                    // their size in Arrow memory, about

	pending sync.WaitGroup // column jobs handed out and not yet done
	workers sync.WaitGroup // column goroutines running

	mu     sync.Mutex
	err    error         // the first column goroutine's error
	failed chan struct{} // closed when err is set
	closed bool
}

// maxRowGroupBytes bounds the Arrow size of the rows of one row group
// (see recordBytes), besides the writer's row count: until it is closed a
// row group is held in memory, encoded and compressed, and rows of wide
// tables would otherwise make it hundreds of megabytes. Narrow rows reach
// the row count first (about 64 bytes a row: a million rows).
const maxRowGroupBytes = 128 << 20

// recordBytes returns about how many bytes rec's values take in Arrow
// memory: its values and offsets, not counting the parts of buffers that
// a slice leaves out.
func recordBytes(rec arrow.RecordBatch) int64 {
	var size int64
	for _, col := range rec.Columns() {
		size += arrayBytes(col)
	}
	return size
}

// arrayBytes returns about how many bytes arr's values take (see
// recordBytes).
func arrayBytes(arr arrow.Array) int64 {
	if ext, ok := arr.(array.ExtensionArray); ok {
		arr = ext.Storage()
	}
	n := int64(arr.Len())
	if n == 0 {
		return 0
	}
	size := (n + 7) / 8 // validity
	switch a := arr.(type) {
	case *array.String:
		offs := a.ValueOffsets()
		return size + 4*n + int64(offs[n]-offs[0])
	case *array.Binary:
		offs := a.ValueOffsets()
		return size + 4*n + int64(offs[n]-offs[0])
	case *array.LargeString:
		offs := a.ValueOffsets()
		return size + 8*n + offs[n] - offs[0]
	case *array.LargeBinary:
		offs := a.ValueOffsets()
		return size + 8*n + offs[n] - offs[0]
	}
	if fw, ok := arr.DataType().(arrow.FixedWidthDataType); ok {
		return size + (int64(fw.BitWidth())*n+7)/8
	}
	// An upper bound: the whole buffers, even outside a slice.
	return int64(arr.Data().SizeInBytes())
}

// columnQueue is how many batch slices a column goroutine may have queued:
// enough that the faster columns need not wait for the slowest after each
// batch, few enough to bound memory.
const columnQueue = 2

// columnJob is one slice of a column to write, and the column chunk of the
// current row group to write it to.
type columnJob struct {
	cw  file.ColumnChunkWriter
	arr arrow.Array
}

// columnWorker writes one field's slices in order.
type columnWorker struct {
	jobs chan columnJob
	// ctx carries the goroutine's own pqarrow write context: its scratch
	// buffers must not be shared between columns written concurrently.
	ctx      context.Context
	nullable bool
	levels   []int16             // definition levels, reused
	values   []parquet.ByteArray // see writeByteArrays
}

// newParallelWriter starts writing a Parquet file with schema sc to w, in
// row groups of props.MaxRowGroupLength() rows. The caller must call Close,
// which also stops the column goroutines, whatever happens.
func newParallelWriter(sc *arrow.Schema, w io.Writer, props *parquet.WriterProperties, arrowProps pqarrow.ArrowWriterProperties, storeSchema bool) (*parallelWriter, error) {
	pqschema, err := pqarrow.ToParquet(sc, props, arrowProps)
	if err != nil {
		return nil, err
	}
	if pqschema.NumColumns() != sc.NumFields() {
		return nil, fmt.Errorf("%d fields map to %d Parquet columns", sc.NumFields(), pqschema.NumColumns())
	}
	// The key-value metadata pqarrow.NewFileWriter writes: the schema's
	// own, and the Arrow schema if asked. With no nested field,
	// pqarrow's normalization of the stored schema (list element names)
	// changes nothing.
	meta := make(metadata.KeyValueMetadata, 0, sc.Metadata().Len()+1)
	for i, k := range sc.Metadata().Keys() {
		if err := meta.Append(k, sc.Metadata().Values()[i]); err != nil {
			return nil, err
		}
	}
	if storeSchema {
		if err := meta.Append(arrowSchemaKey, base64.StdEncoding.EncodeToString(flight.SerializeSchema(sc, props.Allocator()))); err != nil {
			return nil, err
		}
	}
	fw, err := file.NewParquetWriterWithError(w, pqschema.Root(), file.WithWriterProps(props), file.WithWriteMetadata(meta))
	if err != nil {
		return nil, err
	}
	pw := &parallelWriter{fw: fw, maxRows: props.MaxRowGroupLength(), maxBytes: maxRowGroupBytes, failed: make(chan struct{})}
	for _, f := range sc.Fields() {
		c := &columnWorker{
			jobs:     make(chan columnJob, columnQueue),
			ctx:      pqarrow.NewArrowWriteContext(context.Background(), &arrowProps),
			nullable: f.Nullable,
		}
		pw.cols = append(pw.cols, c)
		pw.workers.Add(1)
		go pw.run(c)
	}
	return pw, nil
}

// arrowSchemaKey is the key-value metadata key of a stored Arrow schema.
const arrowSchemaKey = "ARROW:schema"

// run writes c's jobs until c.jobs is closed. After a failure anywhere it
// only releases them.
func (pw *parallelWriter) run(c *columnWorker) {
	defer pw.workers.Done()
	for job := range c.jobs {
		select {
		case <-pw.failed:
		default:
			if err := c.write(job); err != nil {
				pw.fail(err)
			}
		}
		job.arr.Release()
		pw.pending.Done()
	}
}

// write writes one slice of c's column.
func (c *columnWorker) write(job columnJob) (err error) {
	defer func() {
		// A writer bug must fail the VACUUM, not the server.
		if r := recover(); r != nil {
			err = fmt.Errorf("parquet writer panic: %v", r)
		}
	}()
	arr := job.arr
	var def []int16
	// A flat column has definition level 1 if it is optional (a value is
	// present where the level is 1), and none if it is required.
	if maxDef := job.cw.LevelInfo().DefLevel; maxDef > 0 {
		n := arr.Len()
		if cap(c.levels) < n {
			c.levels = make([]int16, n)
		}
		def = c.levels[:n]
		if arr.NullN() == 0 {
			for i := range def {
				def[i] = maxDef
			}
		} else {
			for i := range def {
				if arr.IsValid(i) {
					def[i] = maxDef
				} else {
					def[i] = maxDef - 1
				}
			}
		}
	}
	if wr, ok := job.cw.(*file.ByteArrayColumnChunkWriter); ok && !wr.SupportsArrowOffsets() {
		if done, err := c.writeByteArrays(wr, arr, def); done {
			return err
		}
	}
	return pqarrow.WriteArrowToColumn(c.ctx, job.cw, arr, def, nil, c.nullable)
}

// writeByteArrays writes a string or binary slice to a column encoded
// with a dictionary as pqarrow does, but through c's reused values slice:
// pqarrow allocates a []parquet.ByteArray per call for such columns, a
// quarter of the rewrite's garbage. The column writer copies what it keeps
// (dictionary entries, plain values, statistics), so values may be reused.
// It reports false, having written nothing, for other array types.
func (c *columnWorker) writeByteArrays(wr *file.ByteArrayColumnChunkWriter, arr arrow.Array, def []int16) (done bool, err error) {
	if ext, ok := arr.(array.ExtensionArray); ok {
		arr = ext.Storage()
	}
	n := arr.Len()
	if cap(c.values) < n {
		c.values = make([]parquet.ByteArray, n)
	}
	values := c.values[:n]
	defer clear(values) // keep no batch alive through c.values
	var buf []byte
	if b := arr.Data().Buffers()[2]; b != nil {
		buf = b.Bytes()
	}
	switch a := arr.(type) {
	case *array.String:
		offsets := a.ValueOffsets()
		for i := range values {
			values[i] = buf[offsets[i]:offsets[i+1]]
		}
	case *array.Binary:
		offsets := a.ValueOffsets()
		for i := range values {
			values[i] = buf[offsets[i]:offsets[i+1]]
		}
	case *array.LargeString:
		offsets := a.ValueOffsets()
		for i := range values {
			values[i] = buf[offsets[i]:offsets[i+1]]
		}
	case *array.LargeBinary:
		offsets := a.ValueOffsets()
		for i := range values {
			values[i] = buf[offsets[i]:offsets[i+1]]
		}
	default:
		return false, nil
	}
	if wr.Descr().SchemaNode().RepetitionType() == parquet.Repetitions.Required || arr.NullN() == 0 {
		_, err = wr.WriteBatch(values, def, nil)
	} else {
		_, err = wr.WriteBatchSpacedWithError(values, def, nil, arr.NullBitmapBytes(), int64(arr.Data().Offset()))
	}
	return true, err
}

// fail records the first error of a column goroutine.
func (pw *parallelWriter) fail(err error) {
	pw.mu.Lock()
	defer pw.mu.Unlock()
	if pw.err == nil {
		pw.err = err
		close(pw.failed)
	}
}

// firstErr returns the first error of a column goroutine.
func (pw *parallelWriter) firstErr() error {
	pw.mu.Lock()
	defer pw.mu.Unlock()
	return pw.err
}

// WriteBuffered hands rec's columns to the column goroutines, starting a
// new row group whenever the current one is full. It returns once they
// are queued, not written; errors surface in a later call or in Close.
func (pw *parallelWriter) WriteBuffered(rec arrow.RecordBatch) error {
	if pw.closed {
		return errors.New("parallelWriter: write after Close")
	}
	if int(rec.NumCols()) != len(pw.cols) {
		return fmt.Errorf("record has %d columns, the file %d", rec.NumCols(), len(pw.cols))
	}
	n := rec.NumRows()
	var rowBytes float64
	if n > 0 {
		rowBytes = float64(recordBytes(rec)) / float64(n)
	}
	for off := int64(0); off < n; {
		if err := pw.firstErr(); err != nil {
			return err
		}
		if pw.rgw == nil {
			rgw, err := pw.fw.AppendBufferedRowGroupChecked()
			if err != nil {
				return err
			}
			pw.rgw, pw.cws = rgw, pw.cws[:0]
			for i := range pw.cols {
				cw, err := rgw.Column(i)
				if err != nil {
					return err
				}
				pw.cws = append(pw.cws, cw)
			}
		}
		take := min(n-off, pw.maxRows-pw.rgRows)
		full := pw.rgRows+take >= pw.maxRows
		if pw.rgBytes+int64(float64(take)*rowBytes) > pw.maxBytes {
			// The row group would grow past maxBytes: fill it up to
			// there (with at least one row) and close it.
			take = max(1, min(take, int64(float64(pw.maxBytes-pw.rgBytes)/rowBytes)))
			full = true
		}
		for i, c := range pw.cols {
			var arr arrow.Array
			if off == 0 && take == n {
				arr = rec.Column(i)
				arr.Retain()
			} else {
				arr = array.NewSlice(rec.Column(i), off, off+take)
			}
			pw.pending.Add(1)
			select {
			case c.jobs <- columnJob{cw: pw.cws[i], arr: arr}:
			case <-pw.failed:
				arr.Release()
				pw.pending.Done()
				return pw.firstErr()
			}
		}
		pw.rgRows += take
		pw.rgBytes += int64(float64(take) * rowBytes)
		off += take
		if full {
			if err := pw.closeRowGroup(); err != nil {
				return err
			}
		}
	}
	return nil
}

// closeRowGroup waits for the column goroutines to write what they were
// handed, then closes the row group, copying its buffered columns to the
// file.
func (pw *parallelWriter) closeRowGroup() error {
	pw.pending.Wait()
	if err := pw.firstErr(); err != nil {
		return err
	}
	err := pw.rgw.Close()
	pw.rgw, pw.rgRows, pw.rgBytes = nil, 0, 0
	return err
}

// Close writes the last row group and the footer and stops the column
// goroutines. After a failure it only stops them: the file is incomplete.
func (pw *parallelWriter) Close() error {
	if pw.closed {
		return errors.New("parallelWriter: Close called twice")
	}
	pw.closed = true
	var err error
	if pw.rgw != nil {
		err = pw.closeRowGroup()
	}
	for _, c := range pw.cols {
		close(c.jobs)
	}
	pw.workers.Wait()
	if err == nil {
		err = pw.firstErr()
	}
	if err != nil {
		return err
	}
	return pw.fw.Close()
}
