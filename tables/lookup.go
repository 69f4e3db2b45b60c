package tables

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/pqsql/pqsql/tombstone"
)

// KeyRow is one row found by Table.LookupKeys. It, and the arrays it
// gives, are valid only during the call of the callback it is passed to.
type KeyRow struct {
	// RowGroup is the row group holding the row, and Row the row's number
	// in it.
	RowGroup RowGroup
	Row      int64
	cells    []keyCell
}

// NumColumns returns the number of the row's columns: those LookupKeys
// was asked for.
func (r KeyRow) NumColumns() int { return len(r.cells) }

// Column returns the array holding the row's value of the i-th column
// LookupKeys was asked for, in the representation of a Batch's columns,
// and the row's index in it. The array is a decoded chunk of the column,
// shared and never modified: read it, and Retain it to keep it past the
// callback.
func (r KeyRow) Column(i int) (arr arrow.Array, row int) {
	c := r.cells[i]
	return c.arr, c.off
}

// keyCell is one value of a row LookupKeys found: the chunk holding it,
// retained by the lookup, and its offset in the chunk.
type keyCell struct {
	arr arrow.Array
	off int
}

// setCells sets cells[r*stride+col], for each row rows[r] of a column whose
// consecutive chunks are chunks (with bounds from chunkBounds), to the chunk
// holding the row, retained for the caller, and the row's offset in it.
func setCells(chunks []arrow.Array, bounds []int32, rows []int32, cells []keyCell, col, stride int) error {
	for r, row := range rows {
		i, off, ok := findChunk(bounds, row)
		if !ok {
			return fmt.Errorf("row %d beyond the %d rows of the column", row, bounds[len(bounds)-1])
		}
		chunks[i].Retain()
		cells[r*stride+col] = keyCell{arr: chunks[i], off: int(off)}
	}
	return nil
}

// keyLookup holds the buffers of one LookupKeys call, reused through
// Table.lookups.
type keyLookup struct {
	keys    []tombstone.Key
	bounds  keyBounds
	rows    []int32
	cells   []keyCell
	missing []int
}

// maxPooledLookup bounds the buffers kept for reuse: a lookup of many keys
// (a long IN list) should not pin its buffers for the point reads after it.
const maxPooledLookup = 1024

// LookupKeys calls fn once for each visible row whose key column equals
// one of keys, with its values of columns (table column indexes): a point
// read that goes from the row groups' key indexes to the cached decoded
// chunks holding the rows, without building Arrow records. It returns the
// first error fn returns, as is.
//
// It sees what Scan with ScanOptions{Keys: keys, Columns: columns,
// Pending: pending} sees, in the same order (file and row group order,
// then ascending rows within a row group): the table's state when it is
// called, rows of keys a DELETE hid or pending holds left out (a key's
// rows hide together), rows with a NULL key never matched, duplicate keys
// counted once, keys of another kind than the table's key refused. Like
// that scan, it decodes the columns of a row group the cache lacks, whole,
// and leaves them there.
//
// It holds the table's files until it returns, so a VACUUM or Rescan that
// replaces them meanwhile does not close them under it, and it retains the
// arrays fn is given until fn returns, so a cache eviction meanwhile does
// not free them. No lock is held while fn runs.
func (t *Table) LookupKeys(ctx context.Context, keys []tombstone.Key, columns []int, pending *PendingDeletes, fn func(row KeyRow) error) error {
	if t.err != nil {
		return fmt.Errorf("look up keys in %s: %w", t.name, t.err)
	}
	if err := t.checkColumns(columns); err != nil {
		return fmt.Errorf("look up keys in %s: %w", t.name, err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	lk, _ := t.lookups.Get().(*keyLookup)
	if lk == nil {
		lk = &keyLookup{}
	}
	defer t.putLookup(lk)
	var err error
	if lk.keys, err = t.appendDistinctKeys(lk.keys[:0], keys); err != nil {
		return fmt.Errorf("look up keys in %s: %w", t.name, err)
	}
	if len(lk.keys) == 0 {
		return nil
	}
	lk.bounds.reset(lk.keys)
	// What a Snapshot would hold, without its heap objects: the
	// tombstones, then the files (see loadTombstones), held until return.
	filter := keyFilter{pending: pending}
	filter.tomb, _ = t.loadTombstones()
	fset := t.acquireCurrent()
	defer t.release(fset)
	for idx, rg := range fset.rowGroups {
		if err := ctx.Err(); err != nil {
			return err
		}
		if lk.rows, err = t.appendKeyRows(ctx, fset, idx, lk.keys, &lk.bounds, &filter, lk.rows[:0]); err != nil {
			return fmt.Errorf("look up keys in %s: %w", t.name, err)
		}
		if len(lk.rows) == 0 {
			continue
		}
		if err := t.lookupRows(ctx, lk, fset, rg, columns, fn); err != nil {
			return err
		}
	}
	return nil
}

// lookupRows calls fn for rows lk.rows of rg, with their values of columns.
func (t *Table) lookupRows(ctx context.Context, lk *keyLookup, fset *fileSet, rg RowGroup, columns []int, fn func(KeyRow) error) error {
	n := len(columns)
	// lk.cells are all zero: each call clears those it used.
	if need := len(lk.rows) * n; cap(lk.cells) < need {
		lk.cells = make([]keyCell, need)
	}
	cells := lk.cells[:len(lk.rows)*n]
	defer func() {
		for i, c := range cells {
			if c.arr != nil {
				c.arr.Release()
			}
			cells[i] = keyCell{}
		}
	}()
	df := fset.files[rg.File]
	missing := lk.missing[:0]
	var err error
	if t.cache != nil {
		missing, err = t.cache.getCells(df, rg.Index, columns, lk.rows, cells, missing)
	} else {
		for i := range columns {
			missing = append(missing, i)
		}
	}
	lk.missing = missing
	if err == nil && len(missing) > 0 {
		err = t.decodeCells(ctx, fset, rg, columns, missing, lk.rows, cells)
	}
	if err != nil {
		return fmt.Errorf("look up keys in %s row group %d: %w", df.path, rg.Index, err)
	}
	for r, row := range lk.rows {
		if err := fn(KeyRow{RowGroup: rg, Row: int64(row), cells: cells[r*n : (r+1)*n : (r+1)*n]}); err != nil {
			return err
		}
	}
	return nil
}

// decodeCells sets the cells (see setCells) of rows of the columns
// cols[i], i in missing, of rg, which the cache lacks: it decodes them
// whole and leaves them in the cache, as a Keys scan does.
func (t *Table) decodeCells(ctx context.Context, fset *fileSet, rg RowGroup, cols, missing []int, rows []int32, cells []keyCell) (err error) {
	defer func() {
		// A corrupt file can make the decoder panic; fail the lookup, not
		// the process.
		if r := recover(); r != nil {
			err = fmt.Errorf("decoder panic: %v", r)
		}
	}()
	// A producer only for its readColumns: no schema, no batches.
	p := &producer{table: t, fset: fset, cache: t.cache, mem: memory.DefaultAllocator}
	chunks := make([][]arrow.Array, len(cols))
	defer func() {
		for _, cs := range chunks {
			releaseAll(cs)
		}
	}()
	if err := p.fillMissing(ctx, rg, cols, missing, chunks); err != nil {
		return err
	}
	for _, i := range missing {
		if err := setCells(chunks[i], chunkBounds(chunks[i]), rows, cells, i, len(cols)); err != nil {
			return err
		}
	}
	return nil
}

// putLookup returns lk's buffers for reuse, dropping the references they
// hold (key strings, chunks), unless they grew large.
func (t *Table) putLookup(lk *keyLookup) {
	if cap(lk.keys) > maxPooledLookup || cap(lk.rows) > maxPooledLookup || cap(lk.cells) > maxPooledLookup {
		return
	}
	clear(lk.keys[:cap(lk.keys)])
	clear(lk.bounds.strs[:cap(lk.bounds.strs)])
	t.lookups.Put(lk)
}
