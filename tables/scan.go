package tables

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/pqsql/pqsql/tombstone"
)

// maxBatchRows bounds the rows of one Batch.
const maxBatchRows = 64 * 1024

// errScanClosed is what Next returns after Close.
var errScanClosed = errors.New("tables: scan closed")

// Scan reads the selected columns of the selected row groups as batches.
//
// Unless opts.Raw is set, rows hidden by tombstones are left out: those
// whose key a DELETE committed in opts.Snapshot (or in the state when Scan
// is called) deleted from their file, and those whose key opts.Pending
// holds. One scan sees one consistent state: every key of a DELETE hidden,
// or none. Rows with a NULL key are never hidden. The key column is decoded
// to filter even when not selected; it is then not returned. Batches carry
// only visible rows and are never empty.
//
// One goroutine per scan decodes the next batch while the consumer works on
// the current one; it stops when ctx is done or the scanner is closed.
//
// A Pruned scan of a strict subset of the row groups goes through the
// catalog's cache: it decodes only the columns of a row group the cache
// lacks, and the whole row group at once, to cache it.
func (t *Table) Scan(ctx context.Context, opts ScanOptions) (Scanner, error) {
	if t.err != nil && !opts.Raw {
		return nil, fmt.Errorf("scan %s: %w", t.name, t.err)
	}
	if err := t.checkColumns(opts.Columns); err != nil {
		return nil, fmt.Errorf("scan %s: %w", t.name, err)
	}
	snap := opts.Snapshot
	if snap == nil {
		snap = t.Snapshot()
	} else if snap.table != t {
		return nil, fmt.Errorf("scan %s: snapshot of table %q", t.name, snap.table.name)
	}
	fset := snap.files
	rowGroups := fset.rowGroups
	if opts.RowGroups != nil {
		rowGroups = make([]RowGroup, len(opts.RowGroups))
		for i, rg := range opts.RowGroups {
			idx, ok := fset.rowGroupIndex(rg)
			if !ok {
				return nil, fmt.Errorf("scan %s: no row group %d in file %d", t.name, rg.Index, rg.File)
			}
			rowGroups[i] = fset.rowGroups[idx]
		}
	}
	p := t.newProducer(fset, opts.Columns, rowGroups)
	if opts.Keys != nil {
		keys, err := t.distinctKeys(opts.Keys)
		if err != nil {
			if opts.Snapshot == nil {
				snap.Release()
			}
			return nil, fmt.Errorf("scan %s: %w", t.name, err)
		}
		p.lookup = keys
		p.cache = t.cache
	}
	// Only a scan of a strict subset of the row groups that a filter pruned
	// uses the cache: a full scan would evict every entry to cache data no
	// lookup reuses before it is evicted in turn. Scan cannot tell the two
	// apart alone, as an engine may scan every row group one per Scan.
	if opts.Pruned && opts.RowGroups != nil && len(rowGroups) < len(fset.rowGroups) {
		p.cache = t.cache
	}
	if !opts.Raw {
		p.filter = &scanFilter{snap: snap, pending: opts.Pending}
	}
	p.selection = opts.Selection
	// The scan holds its files until its producer ends, even if the
	// snapshot is released first.
	release, err := snap.hold()
	if opts.Snapshot == nil {
		snap.Release()
	}
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", t.name, err)
	}
	if p.lookup != nil {
		// A key lookup's result is small and quick to find: produce it on
		// the caller's goroutine, which saves a goroutine start and two
		// channel handoffs per lookup (most of a point query's cost).
		defer release()
		return newEagerScanner(ctx, p), nil
	}
	scanCtx, cancel := context.WithCancel(ctx)
	s := &scanner{
		results: make(chan *Batch, 1),
		done:    make(chan struct{}),
		cancel:  cancel,
	}
	go s.run(scanCtx, p, release)
	return s, nil
}

// checkColumns checks that cols are indexes of the table's columns.
func (t *Table) checkColumns(cols []int) error {
	for _, c := range cols {
		if c < 0 || c >= len(t.columns) {
			return fmt.Errorf("column index %d out of range [0,%d)", c, len(t.columns))
		}
	}
	return nil
}

// eagerScanner is a Scanner whose batches were all produced by Scan.
type eagerScanner struct {
	batches []*Batch
	err     error
	closed  bool
}

// newEagerScanner runs p to completion.
func newEagerScanner(ctx context.Context, p *producer) (s *eagerScanner) {
	s = &eagerScanner{}
	defer func() {
		// A corrupt file can make the decoder panic; fail the scan, not the process.
		if r := recover(); r != nil {
			s.release()
			s.err = fmt.Errorf("scan %s: decoder panic: %v", p.table.name, r)
		}
	}()
	if err := p.produce(ctx, func(b *Batch) error {
		s.batches = append(s.batches, b)
		return nil
	}); err != nil {
		s.release()
		s.err = err
	}
	return s
}

// Next returns the next batch, or io.EOF after the last.
func (s *eagerScanner) Next(ctx context.Context) (*Batch, error) {
	switch {
	case s.closed:
		return nil, errScanClosed
	case s.err != nil:
		return nil, s.err
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case len(s.batches) == 0:
		return nil, io.EOF
	}
	b := s.batches[0]
	s.batches[0] = nil
	s.batches = s.batches[1:]
	return b, nil
}

// Close drops undelivered batches.
func (s *eagerScanner) Close() error {
	s.closed = true
	s.release()
	return nil
}

func (s *eagerScanner) release() {
	for _, b := range s.batches {
		b.Record.Release()
	}
	s.batches = nil
}

// newProducer returns a producer of columns of rowGroups of fset.
func (t *Table) newProducer(fset *fileSet, columns []int, rowGroups []RowGroup) *producer {
	return &producer{
		table:     t,
		fset:      fset,
		columns:   columns,
		rowGroups: rowGroups,
		schema:    t.schemaOf(columns),
		mem:       memory.DefaultAllocator,
	}
}

// columnsSchema is the Arrow schema of a list of a table's columns.
type columnsSchema struct {
	columns []int
	schema  *arrow.Schema
}

// schemaOf returns the Arrow schema of the batches of columns. It reuses
// the last one it built when it is of the same columns: an engine's key
// lookups ask for the same columns over and over, and building a schema
// costs several allocations per column. Schemas are immutable, so sharing
// one between scans is safe.
func (t *Table) schemaOf(columns []int) *arrow.Schema {
	if last := t.lastSchema.Load(); last != nil && slices.Equal(last.columns, columns) {
		return last.schema
	}
	fields := make([]arrow.Field, len(columns))
	for i, c := range columns {
		col := t.columns[c]
		fields[i] = arrow.Field{Name: col.Name, Type: arrowType(col.Type), Nullable: col.Nullable}
	}
	sc := arrow.NewSchema(fields, nil)
	t.lastSchema.Store(&columnsSchema{columns: slices.Clone(columns), schema: sc})
	return sc
}

// scanFilter says which rows a scan hides.
type scanFilter struct {
	snap    *Snapshot
	pending *PendingDeletes
}

// applies reports whether rows of df may be hidden.
func (f *scanFilter) applies(t *Table, df *dataFile) bool {
	if f == nil || t.keyKind == tombstone.KindInvalid {
		return false
	}
	return f.pending.Len() > 0 || f.snap.mayHide(df.seq)
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

// run is the producer goroutine; release lets the scan's files go.
func (s *scanner) run(ctx context.Context, p *producer, release func()) {
	defer close(s.done)
	// Release the files before done is closed, so that they are let go
	// when Close returns.
	defer release()
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
	fset      *fileSet
	filter    *scanFilter
	columns   []int
	rowGroups []RowGroup
	schema    *arrow.Schema
	mem       memory.Allocator
	// cache, when set, serves and keeps the decoded columns.
	cache *chunkCache
	// readers are this scan's pqarrow readers by file index: they are not
	// safe for concurrent use, so each scan has its own.
	readers map[int]*pqarrow.FileReader
	// lookup, when not nil, are the distinct keys of a ScanOptions.Keys scan.
	lookup []tombstone.Key
	// selection is ScanOptions.Selection.
	selection bool
	// Buffers for filtering, reused across batches.
	keys          []tombstone.Key
	valid, hidden []bool
}

// produce decodes every selected row group, passing each batch to send.
func (p *producer) produce(ctx context.Context, send func(*Batch) error) error {
	if p.lookup != nil {
		return p.produceKeys(ctx, send)
	}
	for _, rg := range p.rowGroups {
		if err := ctx.Err(); err != nil {
			return err
		}
		if rg.NumRows == 0 {
			continue
		}
		filter := p.filter.applies(p.table, p.fset.files[rg.File])
		var err error
		switch {
		case len(p.columns) == 0 && !filter:
			err = p.countOnly(rg, rg.NumRows, send)
		case p.cache != nil:
			err = p.decodeCached(ctx, rg, filter, send)
		default:
			err = p.decode(ctx, rg, filter, send)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// countOnly sends row-count-only batches of rows rows of rg.
func (p *producer) countOnly(rg RowGroup, rows int64, send func(*Batch) error) error {
	for left := rows; left > 0; {
		n := min(left, maxBatchRows)
		if err := send(&Batch{Record: array.NewRecordBatch(p.schema, nil, n), RowGroup: rg}); err != nil {
			return err
		}
		left -= n
	}
	return nil
}

// scanColumns returns the columns to decode: the selected ones, plus the
// key column at the end when filter is set and it is not selected, and the
// key column's position among them (-1 without filter).
func (p *producer) scanColumns(filter bool) (cols []int, keyPos int) {
	cols, keyPos = p.columns, -1
	if filter {
		keyPos = slices.Index(cols, p.table.key)
		if keyPos < 0 {
			cols = append(slices.Clip(cols), p.table.key)
			keyPos = len(cols) - 1
		}
	}
	return cols, keyPos
}

// decode reads the selected columns of rg and sends them in batches. With
// filter set it also decodes the key column and leaves out hidden rows.
func (p *producer) decode(ctx context.Context, rg RowGroup, filter bool, send func(*Batch) error) error {
	cols, keyPos := p.scanColumns(filter)
	return p.readColumns(ctx, rg, cols, func(arrs []arrow.Array) error {
		return p.emit(ctx, rg, arrs, keyPos, send)
	})
}

// decodeCached is decode through the catalog's cache: it takes the columns
// of rg the cache holds from it, decodes only the others, caches them, and
// sends the row group in batches. Tombstones are applied here, on top of
// the cached values, so the cache never holds a filtered column.
func (p *producer) decodeCached(ctx context.Context, rg RowGroup, filter bool, send func(*Batch) error) error {
	df := p.fset.files[rg.File]
	cols, keyPos := p.scanColumns(filter)
	chunks := make([][]arrow.Array, len(cols))
	defer func() {
		for _, cs := range chunks {
			for _, a := range cs {
				a.Release()
			}
		}
	}()
	var missing []int
	for i, c := range cols {
		if cs, ok := p.cache.get(chunkKey{file: df, rowGroup: rg.Index, col: c}); ok {
			chunks[i] = cs
		} else {
			missing = append(missing, i)
		}
	}
	if err := p.fillMissing(ctx, rg, cols, missing, chunks); err != nil {
		return err
	}
	// Batches follow the first column's chunks; the others were decoded by
	// readers of the same batch size, so slicing them is free in practice.
	off := int64(0)
	for _, ch := range chunks[0] {
		n := int64(ch.Len())
		if n == 0 {
			continue
		}
		arrs := make([]arrow.Array, len(cols))
		for i := range cols {
			a, err := sliceChunks(p.mem, chunks[i], off, off+n)
			if err != nil {
				releaseAll(arrs[:i])
				return fmt.Errorf("scan %s row group %d: %w", df.path, rg.Index, err)
			}
			arrs[i] = a
		}
		if err := p.emit(ctx, rg, arrs, keyPos, send); err != nil {
			return err
		}
		off += n
	}
	return nil
}

// sliceChunks returns rows [lo, hi) of the column whose consecutive chunks
// are chunks, without copying when one chunk holds them all.
func sliceChunks(mem memory.Allocator, chunks []arrow.Array, lo, hi int64) (arrow.Array, error) {
	var parts []arrow.Array
	defer func() { releaseAll(parts) }()
	start := int64(0)
	for _, ch := range chunks {
		end := start + int64(ch.Len())
		if end > lo && start < hi {
			s := array.NewSlice(ch, max(lo, start)-start, min(hi, end)-start)
			if start <= lo && hi <= end {
				return s, nil
			}
			parts = append(parts, s)
		}
		start = end
	}
	if start < hi {
		return nil, fmt.Errorf("cached column has %d rows, want %d", start, hi)
	}
	return array.Concatenate(parts, mem)
}

// fillMissing decodes the columns cols[i], for each i of missing, of rg
// into chunks[i], whole, and leaves them in p.cache when it is set: the
// part of a cached read that the cache could not serve. The caller
// releases chunks, also on error.
func (p *producer) fillMissing(ctx context.Context, rg RowGroup, cols, missing []int, chunks [][]arrow.Array) error {
	if len(missing) == 0 {
		return nil
	}
	missingCols := make([]int, len(missing))
	for j, i := range missing {
		missingCols[j] = cols[i]
	}
	err := p.readColumns(ctx, rg, missingCols, func(arrs []arrow.Array) error {
		for j, a := range arrs {
			chunks[missing[j]] = append(chunks[missing[j]], a)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if p.cache != nil {
		df := p.fset.files[rg.File]
		for _, i := range missing {
			p.cache.put(chunkKey{file: df, rowGroup: rg.Index, col: cols[i]}, chunks[i])
		}
	}
	return nil
}

// releaseAll releases the non-nil arrays of arrs.
func releaseAll(arrs []arrow.Array) {
	for _, a := range arrs {
		if a != nil {
			a.Release()
		}
	}
}

// readColumns decodes columns cols of rg and passes fn each batch the
// record reader yields, as arrays in the Batch representation in the order
// of cols. fn owns the arrays.
func (p *producer) readColumns(ctx context.Context, rg RowGroup, cols []int, fn func([]arrow.Array) error) error {
	t := p.table
	path := p.fset.files[rg.File].path
	fr, err := p.reader(rg.File)
	if err != nil {
		return err
	}
	// Read each distinct field once, in field order; map them back to the
	// requested column order afterwards.
	var leaves, fieldOrder []int
	for _, c := range cols {
		f := t.plans[c].field
		if !slices.Contains(fieldOrder, f) {
			fieldOrder = append(fieldOrder, f)
		}
	}
	slices.Sort(fieldOrder)
	planByField := make(map[int]fieldPlan, len(fieldOrder))
	for _, c := range cols {
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
		arrs := make([]arrow.Array, len(cols))
		for i, c := range cols {
			plan := t.plans[c]
			pos, _ := slices.BinarySearch(fieldOrder, plan.field)
			arrs[i], err = convertArray(ctx, p.mem, rec.Column(pos), plan)
			if err != nil {
				releaseAll(arrs)
				return fmt.Errorf("scan %s row group %d: %w", path, rg.Index, err)
			}
		}
		if err := fn(arrs); err != nil {
			return err
		}
	}
	if err := rr.Err(); err != nil {
		return fmt.Errorf("scan %s: read row group %d: %w", path, rg.Index, err)
	}
	return nil
}

// emit sends the rows of one decoded batch of rg that the scan shows: arrs
// are the columns scanColumns returned, keyPos the key column's position
// among them or -1 when nothing is filtered. emit releases arrs.
func (p *producer) emit(ctx context.Context, rg RowGroup, arrs []arrow.Array, keyPos int, send func(*Batch) error) error {
	defer releaseAll(arrs)
	path := p.fset.files[rg.File].path
	rows := int64(arrs[0].Len())
	var keep []int32
	if keyPos >= 0 {
		var err error
		keep, err = p.visibleRows(arrs[keyPos], p.fset.files[rg.File].seq)
		if err != nil {
			return fmt.Errorf("scan %s row group %d: %w", path, rg.Index, err)
		}
		if keep != nil {
			rows = int64(len(keep))
		}
	}
	if len(p.columns) == 0 {
		return p.countOnly(rg, rows, send)
	}
	if rows == 0 {
		return nil
	}
	out := arrs[:len(p.columns)]
	if keep != nil && p.selection {
		return send(&Batch{Record: array.NewRecordBatch(p.schema, out, int64(out[0].Len())), RowGroup: rg, Rows: keep})
	}
	if keep != nil {
		taken, err := takeRows(ctx, p.mem, out, keep)
		if err != nil {
			return fmt.Errorf("scan %s row group %d: %w", path, rg.Index, err)
		}
		defer releaseAll(taken)
		out = taken
	}
	return send(&Batch{Record: array.NewRecordBatch(p.schema, out, rows), RowGroup: rg})
}

// visibleRows returns the indexes of the rows of a batch whose key column
// is keyArr that the scan's filter does not hide, or nil when it hides none.
func (p *producer) visibleRows(keyArr arrow.Array, fileSeq uint64) ([]int32, error) {
	if keep, ok := p.visibleIntRows(keyArr, fileSeq); ok {
		return keep, nil
	}
	n := keyArr.Len()
	if cap(p.keys) < n {
		p.keys = make([]tombstone.Key, n)
		p.valid = make([]bool, n)
		p.hidden = make([]bool, n)
	}
	keys, valid, hidden := p.keys[:n], p.valid[:n], p.hidden[:n]
	defer clear(keys) // drop references into the batch's memory
	if err := arrayKeys(keyArr, p.table.keyKind, keys, valid); err != nil {
		return nil, err
	}
	p.filter.snap.tomb.HiddenMany(keys, fileSeq, hidden)
	hiddenRows := 0
	for i := range n {
		if !valid[i] {
			hidden[i] = false
		} else if !hidden[i] && p.filter.pending.Contains(keys[i]) {
			hidden[i] = true
		}
		if hidden[i] {
			hiddenRows++
		}
	}
	if hiddenRows == 0 {
		return nil, nil
	}
	keep := make([]int32, 0, n-hiddenRows)
	for i, h := range hidden {
		if !h {
			keep = append(keep, int32(i))
		}
	}
	return keep, nil
}

// visibleIntRows is visibleRows for an integer key column without pending
// deletes, and ok false otherwise. It asks the tombstone index for the
// deleted keys within the batch's key range first: most batches of a file
// kept in key order hold none, and need no probe at all; in the others only
// the rows whose key is among those few are probed, instead of every row.
func (p *producer) visibleIntRows(keyArr arrow.Array, fileSeq uint64) (keep []int32, ok bool) {
	if p.table.keyKind != tombstone.KindInt || p.filter.pending.Len() > 0 {
		return nil, false
	}
	switch a := keyArr.(type) {
	case *array.Int64:
		return visibleOfInts(p.filter.snap.tomb, a, a.Int64Values(), fileSeq), true
	case *array.Int32:
		return visibleOfInts(p.filter.snap.tomb, a, a.Int32Values(), fileSeq), true
	case *array.Int16:
		return visibleOfInts(p.filter.snap.tomb, a, a.Int16Values(), fileSeq), true
	}
	return nil, false
}

// visibleOfInts returns the indexes of the rows of an integer key column
// (values vals, validity of arr) that tomb does not hide, nil when it hides
// none.
func visibleOfInts[T int16 | int32 | int64](tomb tombstone.Snapshot, arr arrow.Array, vals []T, fileSeq uint64) []int32 {
	if len(vals) == 0 {
		return nil
	}
	// NULL slots hold some value too; counting it only widens the range.
	lo, hi := int64(vals[0]), int64(vals[0])
	for _, v := range vals {
		lo, hi = min(lo, int64(v)), max(hi, int64(v))
	}
	cand := tomb.NumKeysIn(tombstone.KindInt, lo, hi)
	if len(cand) == 0 {
		return nil
	}
	var hide []int // hidden rows, ascending
	for i, v := range vals {
		x := int64(v)
		if x < cand[0] || x > cand[len(cand)-1] {
			continue
		}
		if _, found := slices.BinarySearch(cand, x); !found || arr.IsNull(i) || !tomb.Hidden(tombstone.IntKey(x), fileSeq) {
			continue
		}
		hide = append(hide, i)
	}
	if len(hide) == 0 {
		return nil
	}
	keep := make([]int32, 0, len(vals)-len(hide))
	h := 0
	for i := range vals {
		if h < len(hide) && hide[h] == i {
			h++
			continue
		}
		keep = append(keep, int32(i))
	}
	return keep
}

// takeRows returns new arrays holding rows keep of arrs, which stay owned by
// the caller.
func takeRows(ctx context.Context, mem memory.Allocator, arrs []arrow.Array, keep []int32) ([]arrow.Array, error) {
	b := array.NewInt32Builder(mem)
	defer b.Release()
	b.AppendValues(keep, nil)
	idx := b.NewArray()
	defer idx.Release()
	ctx = compute.WithAllocator(ctx, mem)
	out := make([]arrow.Array, len(arrs))
	for i, a := range arrs {
		taken, err := compute.TakeArray(ctx, a, idx)
		if err != nil {
			for _, o := range out[:i] {
				o.Release()
			}
			return nil, fmt.Errorf("filter hidden rows: %w", err)
		}
		out[i] = taken
	}
	return out, nil
}

// reader returns this scan's pqarrow reader of file fi.
func (p *producer) reader(fi int) (*pqarrow.FileReader, error) {
	if fr, ok := p.readers[fi]; ok {
		return fr, nil
	}
	df := p.fset.files[fi]
	// A cached read decodes whole row groups that a lookup waits for:
	// decode their columns in parallel.
	fr, err := pqarrow.NewFileReader(df.reader, pqarrow.ArrowReadProperties{BatchSize: maxBatchRows, Parallel: p.cache != nil}, p.mem)
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", df.path, err)
	}
	if p.readers == nil {
		p.readers = make(map[int]*pqarrow.FileReader)
	}
	p.readers[fi] = fr
	return fr, nil
}
