package tables

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/pqsql/pqsql/tombstone"
)

// Snapshot is a read view of one table: its file set and its committed
// DELETEs at one moment. Pass it in ScanOptions.Snapshot so that every scan
// of a statement sees the same rows, and plan those scans with its
// RowGroups and Stats, which stay valid while Rescan changes the table.
// Safe for concurrent use; it holds no lock. It holds its data files open
// (and on disk, if a VACUUM replaces them) until Release.
//
// Every data file is registered at the sequence number current when the
// table first saw it; every DELETE takes the next number. A DELETE hides a
// row only in files registered before it, so rows of a file added later
// stay visible even if their key was deleted earlier.
type Snapshot struct {
	table *Table
	files *fileSet
	tomb  tombstone.Snapshot
	// lastDelete bounds the sequence numbers of the DELETEs tomb sees.
	lastDelete uint64
	// ref holds files until Release (see holdFiles).
	ref *snapshotRef
}

// Snapshot returns a read view of the table's current state.
func (t *Table) Snapshot() *Snapshot {
	s := &Snapshot{table: t}
	s.tomb, s.lastDelete = t.loadTombstones()
	// Load the files after the tombstones (see loadTombstones).
	t.holdFiles(s)
	return s
}

// loadTombstones returns the table's committed DELETEs and a bound on
// their sequence numbers (Snapshot.lastDelete); nothing for an unavailable
// table. A reader loads them before the files it reads: a VACUUM publishes
// its output before it drops the tombstones it applied, so tombstones
// loaded first still hide every row of the files loaded after them.
func (t *Table) loadTombstones() (tomb tombstone.Snapshot, lastDelete uint64) {
	if t.tlog == nil {
		return tombstone.Snapshot{}, 0
	}
	// Load lastDeleteSeq after the tombstones: Delete raises it before
	// publishing, so it bounds every DELETE the snapshot sees.
	tomb = t.tlog.Snapshot()
	return tomb, t.lastDeleteSeq.Load()
}

// mayHide reports whether the snapshot holds a DELETE that can hide rows of
// a file registered at fileSeq.
func (s *Snapshot) mayHide(fileSeq uint64) bool {
	return fileSeq < min(s.tomb.Seq(), s.lastDelete)
}

// Seq returns the highest sequence number the snapshot sees.
func (s *Snapshot) Seq() uint64 { return s.tomb.Seq() }

// Files returns the paths of the snapshot's data files.
func (s *Snapshot) Files() []string { return s.files.paths }

// RowGroups returns every row group of the snapshot's files, in file order.
func (s *Snapshot) RowGroups() []RowGroup { return s.files.rowGroups }

// Stats is Table.Stats for the snapshot's files.
func (s *Snapshot) Stats(rg RowGroup, col int) Stats {
	return s.files.statsOf(rg, col, len(s.table.columns))
}

// FileSeq returns the sequence number file f (an index in Files) is
// registered at.
func (s *Snapshot) FileSeq(f int) uint64 { return s.files.files[f].seq }

// PendingDeletes is the set of keys a session deleted from one table in a
// transaction that has not committed: scans given it hide those rows for
// that session only. It is immutable: With returns a new set, so a scan
// keeps the set it started with. A nil *PendingDeletes is the empty set.
// Build its keys with Table.Key; at COMMIT pass Keys to Table.Delete.
type PendingDeletes struct {
	keys map[tombstone.Key]struct{}
}

// With returns the set of p's keys and keys.
func (p *PendingDeletes) With(keys ...tombstone.Key) *PendingDeletes {
	n := &PendingDeletes{keys: make(map[tombstone.Key]struct{}, p.Len()+len(keys))}
	if p != nil {
		for k := range p.keys {
			n.keys[k] = struct{}{}
		}
	}
	for _, k := range keys {
		if !k.IsZero() {
			n.keys[k] = struct{}{}
		}
	}
	return n
}

// Len returns the number of keys.
func (p *PendingDeletes) Len() int {
	if p == nil {
		return 0
	}
	return len(p.keys)
}

// Contains reports whether k is in the set.
func (p *PendingDeletes) Contains(k tombstone.Key) bool {
	if p == nil {
		return false
	}
	_, ok := p.keys[k]
	return ok
}

// Keys returns the keys as Delete takes them, in no particular order.
func (p *PendingDeletes) Keys() []any {
	if p == nil {
		return nil
	}
	out := make([]any, 0, len(p.keys))
	for k := range p.keys {
		out = append(out, k)
	}
	return out
}

// Delete durably deletes the rows whose key column holds one of keys, as
// one DELETE statement by actor for reason: it appends one batch of
// tombstones to the table's log, fsynced before it returns, after which
// new scans and RowCount no longer see those rows. Rows of data files
// registered later stay visible. Data files are never rewritten.
//
// keys are values as Table.Key takes them; duplicates count once. A NULL
// key or a value of the wrong type fails the whole call, wrapping
// tombstone.ErrUnsupportedKey. No keys commit nothing and return a zero
// result. If ctx is done before the append starts, nothing is deleted.
//
// Delete counts the rows it hides exactly, reading the key column of only
// the row groups whose statistics allow one of keys, before it appends.
func (t *Table) Delete(ctx context.Context, keys []any, actor, reason string) (DeleteResult, error) {
	if t.err != nil {
		return DeleteResult{}, fmt.Errorf("delete from %s: %w", t.name, t.err)
	}
	set := make(map[tombstone.Key]struct{}, len(keys))
	uniq := make([]tombstone.Key, 0, len(keys))
	for _, v := range keys {
		k, err := t.Key(v)
		if err != nil {
			return DeleteResult{}, fmt.Errorf("delete from %s: %w", t.name, err)
		}
		if _, dup := set[k]; !dup {
			set[k] = struct{}{}
			uniq = append(uniq, k)
		}
	}
	if len(uniq) == 0 {
		return DeleteResult{}, nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	fset := t.files.Load()
	before := t.tlog.Snapshot()
	// Under t.mu nothing else takes a sequence number from the log, so no
	// tombstone is published between the snapshot and the append and the
	// rows counted here are exactly those the append hides.
	hidden, err := t.countNewlyHidden(ctx, fset, before, uniq)
	if err != nil {
		return DeleteResult{}, fmt.Errorf("delete from %s: %w", t.name, err)
	}
	keyCol := t.columns[t.key].Name
	now := time.Now()
	recs := make([]tombstone.Tombstone, len(uniq))
	for i, k := range uniq {
		recs[i] = tombstone.Tombstone{KeyColumn: keyCol, Key: k, DeletedAt: now, Actor: actor, Reason: reason}
	}
	// Raise lastDeleteSeq before the batch is published (see Snapshot).
	t.lastDeleteSeq.Store(max(t.lastDeleteSeq.Load(), t.tlog.NextSeq()))
	seq, err := t.tlog.Append(ctx, recs)
	if err != nil {
		return DeleteResult{}, fmt.Errorf("delete from %s: %w", t.name, err)
	}
	t.lastDeleteSeq.Store(max(t.lastDeleteSeq.Load(), seq))
	res := DeleteResult{Seq: seq, Keys: len(uniq)}
	next := slices.Clone(fset.hidden)
	for f, n := range hidden {
		next[f] += n
		res.RowsHidden += n
	}
	t.files.Store(fset.withHidden(next))
	return res, nil
}

// Tombstones returns every tombstone of the table not yet dropped by a
// VACUUM, in the order they were appended, for an audit table. It returns
// nil for an unavailable table.
func (t *Table) Tombstones() []tombstone.Tombstone {
	if t.tlog == nil {
		return nil
	}
	return t.tlog.All()
}

// NextSeq returns the sequence number the table's next DELETE or file
// registration will take, or 0 for an unavailable table.
func (t *Table) NextSeq() uint64 {
	if t.tlog == nil {
		return 0
	}
	return t.tlog.NextSeq()
}

// countHidden counts, per file of fset, the rows snap hides.
func (t *Table) countHidden(ctx context.Context, fset *fileSet, snap tombstone.Snapshot) ([]int64, error) {
	hidden := make([]int64, len(fset.files))
	var rgs []RowGroup
	for _, rg := range fset.rowGroups {
		if fset.files[rg.File].seq < snap.Seq() {
			rgs = append(rgs, rg)
		}
	}
	var buf []bool
	err := t.forEachKeyBatch(ctx, fset, rgs, func(rg RowGroup, keys []tombstone.Key, valid []bool) {
		if cap(buf) < len(keys) {
			buf = make([]bool, len(keys))
		}
		h := buf[:len(keys)]
		snap.HiddenMany(keys, fset.files[rg.File].seq, h)
		for i := range h {
			if h[i] && valid[i] {
				hidden[rg.File]++
			}
		}
	})
	if err != nil {
		return nil, fmt.Errorf("count hidden rows: %w", err)
	}
	return hidden, nil
}

// countNewlyHidden counts, per file of fset, the rows with a key in keys
// (distinct) that before does not hide. It probes the row groups' key indexes (see
// keyIndex), so a DELETE of a few keys costs a few binary searches per row
// group its statistics do not rule out, once the indexes are cached.
func (t *Table) countNewlyHidden(ctx context.Context, fset *fileSet, before tombstone.Snapshot, keys []tombstone.Key) ([]int64, error) {
	hidden := make([]int64, len(fset.files))
	b := newKeyBounds(keys)
	for i, rg := range fset.rowGroups {
		if rg.NumRows == 0 || !b.mayContain(fset.stats[i][t.key], rg.NumRows) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("count matching rows: %w", err)
		}
		x, err := t.keyIndexOf(ctx, fset, rg)
		if err != nil {
			return nil, fmt.Errorf("count matching rows: %w", err)
		}
		seq := fset.files[rg.File].seq
		for _, k := range keys {
			if n := x.count(k); n > 0 && !before.Hidden(k, seq) {
				hidden[rg.File] += n
			}
		}
	}
	return hidden, nil
}

// forEachKeyBatch decodes the key column of rgs of fset and calls fn with
// each batch's keys and their validity, which are only valid during the
// call.
func (t *Table) forEachKeyBatch(ctx context.Context, fset *fileSet, rgs []RowGroup, fn func(rg RowGroup, keys []tombstone.Key, valid []bool)) (err error) {
	if len(rgs) == 0 {
		return nil
	}
	p := t.newProducer(fset, []int{t.key}, rgs)
	defer func() {
		// A corrupt file can make the decoder panic.
		if r := recover(); r != nil {
			err = fmt.Errorf("read key column of %s: decoder panic: %v", t.name, r)
		}
	}()
	var keys []tombstone.Key
	var valid []bool
	return p.produce(ctx, func(b *Batch) error {
		defer b.Record.Release()
		arr := b.Record.Column(0)
		n := arr.Len()
		if cap(keys) < n {
			keys, valid = make([]tombstone.Key, n), make([]bool, n)
		}
		if err := arrayKeys(arr, t.keyKind, keys[:n], valid[:n]); err != nil {
			return err
		}
		fn(b.RowGroup, keys[:n], valid[:n])
		clear(keys[:n])
		return nil
	})
}

// keyBounds prunes row groups by their key column statistics: it keeps the
// sorted canonical values of a set of keys.
type keyBounds struct {
	ints  []int64 // int, date, timestamp keys as Stats compares them
	strs  []string
	bools [2]bool
	// any is set when the keys have no comparable canonical value (bytea,
	// uuid): no row group can be pruned.
	any bool
}

// newKeyBounds returns the bounds of keys.
func newKeyBounds(keys []tombstone.Key) *keyBounds {
	b := &keyBounds{}
	b.reset(keys)
	return b
}

// reset makes b the bounds of keys, reusing its buffers.
func (b *keyBounds) reset(keys []tombstone.Key) {
	*b = keyBounds{ints: b.ints[:0], strs: b.strs[:0]}
	for _, k := range keys {
		switch k.Kind() {
		case tombstone.KindInt, tombstone.KindDate, tombstone.KindTimestamp, tombstone.KindTimestampTZ:
			b.ints = append(b.ints, k.Int())
		case tombstone.KindText:
			b.strs = append(b.strs, k.Text())
		case tombstone.KindBool:
			if k.Bool() {
				b.bools[1] = true
			} else {
				b.bools[0] = true
			}
		default:
			b.any = true
		}
	}
	slices.Sort(b.ints)
	slices.Sort(b.strs)
}

// mayContain reports whether a row group of rows rows with key statistics
// st can hold one of the keys.
func (b *keyBounds) mayContain(st Stats, rows int64) bool {
	if st.NullCount == rows && rows > 0 {
		return false // all NULL
	}
	if b.any || !st.HasMinMax {
		return true
	}
	// A writer may leave a statistic it truncated or dropped empty (an
	// empty max for a megabyte-long string, say): bounds out of order are
	// not trusted.
	switch lo := st.Min.(type) {
	case int64:
		if hi := st.Max.(int64); lo > hi {
			return true
		}
		return inRange(b.ints, lo, st.Max.(int64))
	case time.Time:
		if lo.After(st.Max.(time.Time)) {
			return true
		}
		// Widen by a microsecond: nanosecond statistics are truncated.
		return inRange(b.ints, lo.UnixMicro()-1, st.Max.(time.Time).UnixMicro()+1)
	case string:
		if hi := st.Max.(string); lo > hi {
			return true
		}
		return inRange(b.strs, lo, st.Max.(string))
	case bool:
		hi := st.Max.(bool)
		return (b.bools[0] && !lo) || (b.bools[1] && hi)
	}
	return true
}

// inRange reports whether sorted holds a value in [lo, hi].
func inRange[T cmp.Ordered](sorted []T, lo, hi T) bool {
	i, _ := slices.BinarySearch(sorted, lo)
	return i < len(sorted) && sorted[i] <= hi
}
