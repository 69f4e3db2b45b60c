package tables

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// maxBatchRows bounds the rows of one Batch.
const maxBatchRows = 64 * 1024

// errScanClosed is what Next returns after Close.
var errScanClosed = errors.New("tables: scan closed")

// Scan reads the selected columns of the selected row groups as batches.
//
// One goroutine per scan decodes the next batch while the consumer works on
// the current one; it stops when ctx is done or the scanner is closed.
func (t *Table) Scan(ctx context.Context, opts ScanOptions) (Scanner, error) {
	for _, c := range opts.Columns {
		if c < 0 || c >= len(t.columns) {
			return nil, fmt.Errorf("scan %s: column index %d out of range [0,%d)", t.name, c, len(t.columns))
		}
	}
	rowGroups := t.rowGroups
	if opts.RowGroups != nil {
		rowGroups = make([]RowGroup, len(opts.RowGroups))
		for i, rg := range opts.RowGroups {
			idx, ok := t.rowGroupIndex(rg)
			if !ok {
				return nil, fmt.Errorf("scan %s: no row group %d in file %d", t.name, rg.Index, rg.File)
			}
			rowGroups[i] = t.rowGroups[idx]
		}
	}
	fields := make([]arrow.Field, len(opts.Columns))
	for i, c := range opts.Columns {
		col := t.columns[c]
		fields[i] = arrow.Field{Name: col.Name, Type: arrowType(col.Type), Nullable: col.Nullable}
	}
	scanCtx, cancel := context.WithCancel(ctx)
	s := &scanner{
		results: make(chan *Batch, 1),
		done:    make(chan struct{}),
		cancel:  cancel,
	}
	p := &producer{
		table:     t,
		columns:   opts.Columns,
		rowGroups: rowGroups,
		schema:    arrow.NewSchema(fields, nil),
		mem:       memory.DefaultAllocator,
		readers:   make(map[int]*pqarrow.FileReader),
	}
	go s.run(scanCtx, p)
	return s, nil
}

// scanner hands out the batches its producer goroutine decodes.
type scanner struct {
	// results carries decoded batches; it is closed when the producer ends,
	// after err is set.
	results chan *Batch
	// err is why the producer stopped early; read only after results is closed.
	err error
	// done is closed when the producer goroutine has returned.
	done   chan struct{}
	cancel context.CancelFunc
	closed bool
}

// run is the producer goroutine.
func (s *scanner) run(ctx context.Context, p *producer) {
	defer close(s.done)
	defer close(s.results)
	defer func() {
		// A corrupt file can make the decoder panic; fail the scan, not the process.
		if r := recover(); r != nil {
			s.err = fmt.Errorf("scan %s: decoder panic: %v", p.table.name, r)
		}
	}()
	send := func(b *Batch) error {
		select {
		case s.results <- b:
			return nil
		case <-ctx.Done():
			b.Record.Release()
			return ctx.Err()
		}
	}
	if err := p.produce(ctx, send); err != nil {
		s.err = err
	}
}

// Next returns the next batch, or io.EOF after the last.
func (s *scanner) Next(ctx context.Context) (*Batch, error) {
	if s.closed {
		return nil, errScanClosed
	}
	select {
	case b, ok := <-s.results:
		if ok {
			return b, nil
		}
		if s.err != nil {
			return nil, s.err
		}
		return nil, io.EOF
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Close stops the producer, waits for it to return and drops undelivered
// batches. It is safe to call more than once.
func (s *scanner) Close() error {
	s.closed = true
	s.cancel()
	<-s.done
	for b := range s.results {
		b.Record.Release()
	}
	return nil
}

// producer decodes the batches of one scan.
type producer struct {
	table     *Table
	columns   []int
	rowGroups []RowGroup
	schema    *arrow.Schema
	mem       memory.Allocator
	// readers are this scan's pqarrow readers by file index: they are not
	// safe for concurrent use, so each scan has its own.
	readers map[int]*pqarrow.FileReader
}

// produce decodes every selected row group, passing each batch to send.
func (p *producer) produce(ctx context.Context, send func(*Batch) error) error {
	for _, rg := range p.rowGroups {
		if err := ctx.Err(); err != nil {
			return err
		}
		if rg.NumRows == 0 {
			continue
		}
		var err error
		if len(p.columns) == 0 {
			err = p.countOnly(rg, send)
		} else {
			err = p.decode(ctx, rg, send)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// countOnly sends row-count-only batches covering rg.
func (p *producer) countOnly(rg RowGroup, send func(*Batch) error) error {
	for left := rg.NumRows; left > 0; {
		n := min(left, maxBatchRows)
		if err := send(&Batch{Record: array.NewRecordBatch(p.schema, nil, n), RowGroup: rg}); err != nil {
			return err
		}
		left -= n
	}
	return nil
}

// decode reads the selected columns of rg and sends them in batches.
func (p *producer) decode(ctx context.Context, rg RowGroup, send func(*Batch) error) error {
	t := p.table
	path := t.files[rg.File]
	fr, err := p.reader(rg.File)
	if err != nil {
		return err
	}
	// Read each distinct field once, in field order; map them back to the
	// requested column order afterwards.
	var leaves, fieldOrder []int
	for _, c := range p.columns {
		f := t.plans[c].field
		if !slices.Contains(fieldOrder, f) {
			fieldOrder = append(fieldOrder, f)
		}
	}
	slices.Sort(fieldOrder)
	planByField := make(map[int]fieldPlan, len(fieldOrder))
	for _, c := range p.columns {
		planByField[t.plans[c].field] = t.plans[c]
	}
	for _, f := range fieldOrder {
		leaves = append(leaves, planByField[f].leaves...)
	}
	rr, err := fr.GetRecordReader(ctx, leaves, []int{rg.Index})
	if err != nil {
		return fmt.Errorf("scan %s: read row group %d: %w", path, rg.Index, err)
	}
	defer rr.Release()
	for rr.Next() {
		rec := rr.RecordBatch()
		cols := make([]arrow.Array, len(p.columns))
		release := func() {
			for _, c := range cols {
				if c != nil {
					c.Release()
				}
			}
		}
		for i, c := range p.columns {
			plan := t.plans[c]
			pos, _ := slices.BinarySearch(fieldOrder, plan.field)
			cols[i], err = convertArray(ctx, p.mem, rec.Column(pos), plan)
			if err != nil {
				release()
				return fmt.Errorf("scan %s row group %d: %w", path, rg.Index, err)
			}
		}
		out := array.NewRecordBatch(p.schema, cols, rec.NumRows())
		release()
		if err := send(&Batch{Record: out, RowGroup: rg}); err != nil {
			return err
		}
	}
	if err := rr.Err(); err != nil {
		return fmt.Errorf("scan %s: read row group %d: %w", path, rg.Index, err)
	}
	return nil
}

// reader returns this scan's pqarrow reader of file fi.
func (p *producer) reader(fi int) (*pqarrow.FileReader, error) {
	if fr, ok := p.readers[fi]; ok {
		return fr, nil
	}
	fr, err := pqarrow.NewFileReader(p.table.readers[fi], pqarrow.ArrowReadProperties{BatchSize: maxBatchRows}, p.mem)
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", p.table.files[fi], err)
	}
	p.readers[fi] = fr
	return fr, nil
}
