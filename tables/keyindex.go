package tables

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/pqsql/pqsql/tombstone"
)

// keyIndex maps the key values of one row group to the rows holding them:
// the row group's non-NULL keys in sorted order, each with its row. A key
// lookup is then a binary search instead of a decode and a scan of the row
// group's key column, which is what makes `WHERE key = v` and
// `DELETE ... WHERE key IN (...)` cost microseconds per key on a
// million-row row group once the index is built.
//
// Indexes live in the catalog's chunk cache beside the decoded columns,
// under the same byte bound and LRU order, keyed by file version, so an
// index never outlives its file (VACUUM and Rescan retire files, which
// drops their entries). An index is immutable once built.
type keyIndex struct {
	// nums holds the keys of the kinds tombstone.Key keeps as an integer
	// (int, bool, date, timestamps), sorted.
	nums []int64
	// For the other kinds (text, bytea, uuid) the sorted keys are
	// strs[offs[i]:offs[i+1]]: one allocation for the row group, not one
	// string per row.
	strs string
	offs []int32
	// rows[i] is the row of the i-th sorted key; nil when the keys were
	// already sorted in row order (row i), the common case of data written
	// in key order, which halves the index.
	rows []int32
	size int64
}

// len returns the number of indexed (non-NULL) keys.
func (x *keyIndex) len() int {
	if x.offs != nil {
		return len(x.offs) - 1
	}
	return len(x.nums)
}

// str returns the i-th sorted text key.
func (x *keyIndex) str(i int) string { return x.strs[x.offs[i]:x.offs[i+1]] }

// equalRange returns the range [lo, hi) of sorted positions holding k.
func (x *keyIndex) equalRange(k tombstone.Key) (lo, hi int) {
	n := x.len()
	if x.offs == nil {
		v := k.Int()
		lo, _ = slices.BinarySearch(x.nums, v)
		hi = lo
		for hi < n && x.nums[hi] == v {
			hi++
		}
		return lo, hi
	}
	v := keyString(k)
	lo, hi = 0, n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if x.str(m) < v {
			lo = m + 1
		} else {
			hi = m
		}
	}
	hi = lo
	for hi < n && x.str(hi) == v {
		hi++
	}
	return lo, hi
}

// row returns the row of sorted position i.
func (x *keyIndex) row(i int) int32 {
	if x.rows == nil {
		return int32(i)
	}
	return x.rows[i]
}

// count returns the number of rows holding k.
func (x *keyIndex) count(k tombstone.Key) int64 {
	lo, hi := x.equalRange(k)
	return int64(hi - lo)
}

// keyString returns the bytes a string-kind key compares by.
func keyString(k tombstone.Key) string {
	if k.Kind() == tombstone.KindUUID {
		u := k.UUID()
		return string(u[:])
	}
	return k.Text()
}

// numKind reports whether keys of kind are indexed by their integer.
func numKind(kind tombstone.KeyKind) bool {
	switch kind {
	case tombstone.KindInt, tombstone.KindBool, tombstone.KindDate, tombstone.KindTimestamp, tombstone.KindTimestampTZ:
		return true
	}
	return false
}

// keyIndexOf returns the key index of row group rg of fset, from the cache
// or built by decoding the row group's key column (and then cached).
func (t *Table) keyIndexOf(ctx context.Context, fset *fileSet, rg RowGroup) (*keyIndex, error) {
	df := fset.files[rg.File]
	ck := chunkKey{file: df, rowGroup: rg.Index, col: keyIndexCol}
	if t.cache != nil {
		if x, ok := t.cache.getIndex(ck); ok {
			return x, nil
		}
	}
	x, err := t.buildKeyIndex(ctx, fset, rg)
	if err != nil {
		return nil, err
	}
	if t.cache != nil {
		t.cache.putIndex(ck, x)
	}
	return x, nil
}

// buildKeyIndex decodes the key column of rg and sorts it.
func (t *Table) buildKeyIndex(ctx context.Context, fset *fileSet, rg RowGroup) (*keyIndex, error) {
	x := &keyIndex{}
	byNum := numKind(t.keyKind)
	var strs strings.Builder
	var offs []int32
	if !byNum {
		offs = append(offs, 0)
	}
	var rows []int32
	row := int32(0)
	err := t.forEachKeyBatch(ctx, fset, []RowGroup{rg}, func(_ RowGroup, keys []tombstone.Key, valid []bool) {
		for i, k := range keys {
			if valid[i] {
				if byNum {
					x.nums = append(x.nums, k.Int())
				} else {
					strs.WriteString(keyString(k))
					offs = append(offs, int32(strs.Len()))
				}
				rows = append(rows, row)
			}
			row++
		}
	})
	if err != nil {
		return nil, fmt.Errorf("index key column of %s row group %d: %w", fset.files[rg.File].path, rg.Index, err)
	}
	if strs.Len() > 1<<31-1 {
		return nil, fmt.Errorf("index key column of %s row group %d: %d bytes of keys exceed 2 GiB", fset.files[rg.File].path, rg.Index, strs.Len())
	}
	x.strs, x.offs = strs.String(), offs
	// Rows in order with no NULL key need no row map when the keys are
	// sorted already.
	inOrder := len(rows) == int(rg.NumRows)
	if inOrder {
		if byNum {
			inOrder = slices.IsSorted(x.nums)
		} else {
			for i := 1; i < x.len() && inOrder; i++ {
				inOrder = x.str(i-1) <= x.str(i)
			}
		}
	}
	if !inOrder {
		x.sortByKey(rows)
	}
	x.size = int64(len(x.nums))*8 + int64(len(x.strs)) + int64(len(x.offs))*4 + int64(len(x.rows))*4 + int64(unsafe.Sizeof(*x))
	return x, nil
}

// sortByKey sorts the index's keys, keeping rows[i] the row of the i-th.
func (x *keyIndex) sortByKey(rows []int32) {
	perm := make([]int32, len(rows))
	for i := range perm {
		perm[i] = int32(i)
	}
	if x.offs == nil {
		slices.SortStableFunc(perm, func(a, b int32) int { return cmp.Compare(x.nums[a], x.nums[b]) })
		nums := make([]int64, len(perm))
		for i, p := range perm {
			nums[i] = x.nums[p]
		}
		x.nums = nums
	} else {
		slices.SortStableFunc(perm, func(a, b int32) int { return strings.Compare(x.str(int(a)), x.str(int(b))) })
		var sb strings.Builder
		sb.Grow(len(x.strs))
		offs := make([]int32, 1, len(x.offs))
		for _, p := range perm {
			sb.WriteString(x.str(int(p)))
			offs = append(offs, int32(sb.Len()))
		}
		x.strs, x.offs = sb.String(), offs
	}
	x.rows = make([]int32, len(perm))
	for i, p := range perm {
		x.rows[i] = rows[p]
	}
}

// keyIndexCol is the chunkKey column of a row group's key index.
const keyIndexCol = -1

// keyMatch is a set of rows of one row group found through its key index.
type keyMatch struct {
	rg RowGroup
	// rows are the matching rows, ascending.
	rows []int32
}

// matchKeys returns, for each row group of rgs (of fset) that holds one of
// keys, the rows holding them that filter (nil for none) shows. keys must be
// of the table's key kind and distinct.
func (t *Table) matchKeys(ctx context.Context, fset *fileSet, rgs []RowGroup, keys []tombstone.Key, filter *keyFilter) ([]keyMatch, error) {
	b := newKeyBounds(keys)
	var out []keyMatch
	for _, rg := range rgs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		idx, ok := fset.rowGroupIndex(rg)
		if !ok {
			continue
		}
		rows, err := t.appendKeyRows(ctx, fset, idx, keys, b, filter, nil)
		if err != nil {
			return nil, err
		}
		if len(rows) > 0 {
			out = append(out, keyMatch{rg: rg, rows: rows})
		}
	}
	return out, nil
}

// keyFilter says which rows a key lookup hides, as a scan's filter does
// (see visibleRows): those whose key tomb hides in their file, or pending
// holds. A key's rows hide together. A nil *keyFilter hides nothing.
type keyFilter struct {
	tomb    tombstone.Snapshot
	pending *PendingDeletes
}

// hides reports whether f hides the rows with key k of a file registered
// at fileSeq.
func (f *keyFilter) hides(k tombstone.Key, fileSeq uint64) bool {
	return f != nil && (f.tomb.Hidden(k, fileSeq) || f.pending.Contains(k))
}

// appendKeyRows appends to rows, in ascending order, the rows of row group
// fset.rowGroups[idx] holding one of keys that filter shows, found through
// the row group's key index; b bounds keys, to skip a row group its
// statistics rule out without its index. keys must be of the table's key
// kind and distinct.
func (t *Table) appendKeyRows(ctx context.Context, fset *fileSet, idx int, keys []tombstone.Key, b *keyBounds, filter *keyFilter, rows []int32) ([]int32, error) {
	rg := fset.rowGroups[idx]
	if rg.NumRows == 0 || !b.mayContain(fset.stats[idx][t.key], rg.NumRows) {
		return rows, nil
	}
	x, err := t.keyIndexOf(ctx, fset, rg)
	if err != nil {
		return rows, err
	}
	seq := fset.files[rg.File].seq
	start := len(rows)
	for _, k := range keys {
		lo, hi := x.equalRange(k)
		if lo == hi || filter.hides(k, seq) {
			continue
		}
		for i := lo; i < hi; i++ {
			rows = append(rows, x.row(i))
		}
	}
	slices.Sort(rows[start:])
	return rows, nil
}

// takeChunkRows returns rows (ascending) of a column as one new array.
// chunks are consecutive pieces of the column, chunk i starting at row
// starts[i] (nil starts: at the end of the one before, from row 0); they
// must hold every row.
func (p *producer) takeChunkRows(ctx context.Context, chunks []arrow.Array, starts []int32, rows []int32) (arrow.Array, error) {
	var parts []arrow.Array
	defer func() { releaseAll(parts) }()
	start := int32(0)
	i := 0
	for ci, ch := range chunks {
		if starts != nil {
			start = starts[ci]
		}
		end := start + int32(ch.Len())
		j := i
		for j < len(rows) && rows[j] < end {
			j++
		}
		switch {
		case j == i:
		case rows[i] < start:
			return nil, fmt.Errorf("row %d is in no chunk of the column", rows[i])
		case rows[j-1]-rows[i] == int32(j-i-1):
			// One run of consecutive rows, the common case of a key
			// lookup: a zero-copy slice.
			parts = append(parts, array.NewSlice(ch, int64(rows[i]-start), int64(rows[j-1]-start+1)))
		default:
			rel := make([]int32, j-i)
			for k, r := range rows[i:j] {
				rel[k] = r - start
			}
			taken, err := takeRows(ctx, p.mem, []arrow.Array{ch}, rel)
			if err != nil {
				return nil, err
			}
			parts = append(parts, taken[0])
		}
		i = j
		start = end
	}
	if i < len(rows) {
		return nil, fmt.Errorf("row %d beyond the %d rows of the column", rows[i], start)
	}
	if len(parts) == 1 {
		a := parts[0]
		parts = nil
		return a, nil
	}
	return array.Concatenate(parts, p.mem)
}

// smallKeySet is the most keys appendDistinctKeys deduplicates by
// comparing each with those kept: for a point lookup's few keys that is
// cheaper than a map, which it uses beyond.
const smallKeySet = 16

// distinctKeys checks that keys are of the table's key kind and returns
// them without duplicates, in their first order.
func (t *Table) distinctKeys(keys []tombstone.Key) ([]tombstone.Key, error) {
	return t.appendDistinctKeys(make([]tombstone.Key, 0, len(keys)), keys)
}

// appendDistinctKeys is distinctKeys appending to dst, whose keys it does
// not compare with keys.
func (t *Table) appendDistinctKeys(dst, keys []tombstone.Key) ([]tombstone.Key, error) {
	if t.keyKind == tombstone.KindInvalid {
		return nil, fmt.Errorf("key column %q of type %s cannot be looked up by key", t.columns[t.key].Name, typeName(t.columns[t.key].Type))
	}
	var seen map[tombstone.Key]struct{}
	if len(keys) > smallKeySet {
		seen = make(map[tombstone.Key]struct{}, len(keys))
	}
	base := len(dst)
	for _, k := range keys {
		if k.Kind() != t.keyKind {
			return nil, fmt.Errorf("key %v of kind %s for key column %q of kind %s", k, k.Kind(), t.columns[t.key].Name, t.keyKind)
		}
		if seen != nil {
			if _, dup := seen[k]; dup {
				continue
			}
			seen[k] = struct{}{}
		} else if slices.Contains(dst[base:], k) {
			continue
		}
		dst = append(dst, k)
	}
	return dst, nil
}

// produceKeys is produce for a ScanOptions.Keys scan: it finds the rows
// through the row groups' key indexes and takes the selected columns of
// only those rows, from the cache when it holds them.
func (p *producer) produceKeys(ctx context.Context, send func(*Batch) error) error {
	var filter *keyFilter
	if p.filter != nil && p.table.keyKind != tombstone.KindInvalid {
		filter = &keyFilter{tomb: p.filter.snap.tomb, pending: p.filter.pending}
	}
	matches, err := p.table.matchKeys(ctx, p.fset, p.rowGroups, p.lookup, filter)
	if err != nil {
		return err
	}
	for _, m := range matches {
		if len(p.columns) == 0 {
			if err := p.countOnly(m.rg, int64(len(m.rows)), send); err != nil {
				return err
			}
			continue
		}
		if err := p.sendRows(ctx, m, send); err != nil {
			return err
		}
	}
	return nil
}

// sendRows sends rows m.rows of the selected columns of m.rg, in batches of
// at most maxBatchRows.
func (p *producer) sendRows(ctx context.Context, m keyMatch, send func(*Batch) error) error {
	df := p.fset.files[m.rg.File]
	chunks := make([][]arrow.Array, len(p.columns))
	// starts[i] are the first rows of chunks[i] when they are a subset of
	// the column's chunks (from the cache), nil when they are all of them.
	starts := make([][]int32, len(p.columns))
	defer func() {
		for _, cs := range chunks {
			releaseAll(cs)
		}
	}()
	var missing []int
	for i, c := range p.columns {
		if p.cache != nil {
			if cs, st, ok := p.cache.getRows(chunkKey{file: df, rowGroup: m.rg.Index, col: c}, m.rows); ok {
				chunks[i], starts[i] = cs, st
				continue
			}
		}
		missing = append(missing, i)
	}
	if err := p.fillMissing(ctx, m.rg, p.columns, missing, chunks); err != nil {
		return err
	}
	for lo := 0; lo < len(m.rows); lo += maxBatchRows {
		rows := m.rows[lo:min(lo+maxBatchRows, len(m.rows))]
		arrs := make([]arrow.Array, len(p.columns))
		for i := range p.columns {
			a, err := p.takeChunkRows(ctx, chunks[i], starts[i], rows)
			if err != nil {
				releaseAll(arrs[:i])
				return fmt.Errorf("scan %s row group %d: %w", df.path, m.rg.Index, err)
			}
			arrs[i] = a
		}
		rec := array.NewRecordBatch(p.schema, arrs, int64(len(rows)))
		releaseAll(arrs)
		if err := send(&Batch{Record: rec, RowGroup: m.rg}); err != nil {
			return err
		}
	}
	return nil
}
