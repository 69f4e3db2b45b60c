package tombstone

import (
	"math"
	"slices"
	"sync"
	"sync/atomic"
)

// stored is one tombstone held in memory. The fields every tombstone of a
// DELETE usually shares live in one entryMeta, halving the memory a large
// batch takes.
type stored struct {
	seq  uint64
	key  Key
	meta *entryMeta
}

// entryMeta holds a tombstone's fields other than its key.
type entryMeta struct {
	keyColumn string
	deletedAt int64
	actor     string
	reason    string
}

func (s *stored) entry() entry {
	return entry{keyColumn: s.meta.keyColumn, key: s.key, deletedAt: s.meta.deletedAt, actor: s.meta.actor, reason: s.meta.reason}
}

// numKinds bounds the KeyKind values, for arrays indexed by kind.
const numKinds = int(KindTimestampTZ) + 1

// index maps keys to the sequence numbers of the batches that tombstoned
// them. Appends add to it in place under mu, one whole batch per critical
// section, so a probe never sees part of a batch. DropApplied builds a new
// index and swaps it in, leaving the old one (which is no longer written) to
// the snapshots that still hold it.
type index struct {
	mu sync.RWMutex
	// nums and strs hold, per key kind, the highest sequence number that
	// tombstoned each key: a row in a file registered at fileSeq is hidden
	// iff that number > fileSeq, so one hash probe answers the common case.
	// Maps keyed by int64 and string hash several times faster than one
	// keyed by Key, and take less memory. Maps are nil until used.
	nums [numKinds]map[int64]uint64
	strs [numKinds]map[string]uint64
	// older holds, ascending, the other sequence numbers of keys tombstoned by
	// more than one batch (a key deleted, re-added by a new file, deleted
	// again). Only snapshots older than the highest number need it.
	older map[Key][]uint64
	// entries holds every tombstone, in log order, for All and DropApplied.
	entries []stored
	// sortedNums caches, per key kind, the keys of nums sorted: built by
	// the first NumKeysIn after a change, dropped by the next change (see
	// setMaxSeq), which holds mu for writing while builders hold it for
	// reading, so a cached slice always holds every key of the map.
	sortedNums [numKinds]atomic.Pointer[[]int64]
	// published is the highest sequence number taken (by a batch or by
	// ReserveSeq) whose effects are visible; every batch at or below it is in
	// the maps. It is stored after the batch is added, under mu.
	published atomic.Uint64
}

func newIndex() *index {
	return &index{older: make(map[Key][]uint64)}
}

// maxSeq returns the highest sequence number that tombstoned k. The caller
// holds mu.
func (ix *index) maxSeq(k Key) (uint64, bool) {
	if int(k.kind) >= numKinds {
		return 0, false
	}
	if k.kind.usesNum() {
		s, ok := ix.nums[k.kind][k.num]
		return s, ok
	}
	s, ok := ix.strs[k.kind][k.str]
	return s, ok
}

// setMaxSeq records seq as the highest sequence number of k. The caller
// holds mu for writing; k is valid.
func (ix *index) setMaxSeq(k Key, seq uint64) {
	if k.kind.usesNum() {
		if ix.nums[k.kind] == nil {
			ix.nums[k.kind] = make(map[int64]uint64)
		}
		if _, ok := ix.nums[k.kind][k.num]; !ok {
			ix.sortedNums[k.kind].Store(nil)
		}
		ix.nums[k.kind][k.num] = seq
		return
	}
	if ix.strs[k.kind] == nil {
		ix.strs[k.kind] = make(map[string]uint64)
	}
	ix.strs[k.kind][k.str] = seq
}

// add records one batch. The caller holds mu for writing, and seq is higher
// than that of every batch added before.
func (ix *index) add(seq uint64, entries []entry) {
	var meta *entryMeta
	for _, e := range entries {
		em := entryMeta{keyColumn: e.keyColumn, deletedAt: e.deletedAt, actor: e.actor, reason: e.reason}
		if meta == nil || *meta != em {
			meta = &em
		}
		ix.entries = append(ix.entries, stored{seq: seq, key: e.key, meta: meta})
		m, ok := ix.maxSeq(e.key)
		switch {
		case !ok:
			ix.setMaxSeq(e.key, seq)
		case seq > m:
			ix.older[e.key] = append(ix.older[e.key], m)
			ix.setMaxSeq(e.key, seq)
		}
	}
}

// lookup returns the highest sequence number at or below asOf that
// tombstoned k.
func (ix *index) lookup(k Key, asOf uint64) (uint64, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	m, ok := ix.maxSeq(k)
	if !ok {
		return 0, false
	}
	if m <= asOf {
		return m, true
	}
	olds := ix.older[k]
	for i := len(olds) - 1; i >= 0; i-- {
		if olds[i] <= asOf {
			return olds[i], true
		}
	}
	return 0, false
}

// hidden reports whether some tombstone of k with fileSeq < seq <= asOf
// exists.
func (ix *index) hidden(k Key, fileSeq, asOf uint64) bool {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.hiddenLocked(k, fileSeq, asOf)
}

// hiddenLocked is hidden with mu held.
func (ix *index) hiddenLocked(k Key, fileSeq, asOf uint64) bool {
	m, ok := ix.maxSeq(k)
	if !ok || m <= fileSeq {
		return false
	}
	if m <= asOf {
		return true
	}
	for _, s := range ix.older[k] {
		if s > fileSeq && s <= asOf {
			return true
		}
	}
	return false
}

// Snapshot is a consistent read view of a log: it sees exactly the batches
// whose sequence numbers were published when it was taken, so a scan that
// probes many rows through one Snapshot never sees a DELETE half applied,
// nor tombstones dropped by a DropApplied that ran meanwhile. Taking one is
// an atomic load; it holds no lock and needs no release. Safe for
// concurrent use.
type Snapshot struct {
	ix   *index
	asOf uint64
}

// Seq returns the highest sequence number the snapshot sees.
func (s Snapshot) Seq() uint64 { return s.asOf }

// Lookup returns the highest sequence number of a tombstone of k that the
// snapshot sees.
func (s Snapshot) Lookup(k Key) (seq uint64, ok bool) {
	if s.ix == nil {
		return 0, false
	}
	return s.ix.lookup(k, s.asOf)
}

// FirstAfter returns the lowest sequence number of a tombstone of k that
// the snapshot sees and that is greater than fileSeq: the DELETE that first
// hid a row with key k of a file registered at fileSeq. ok is false if no
// such tombstone exists (the row is not hidden).
func (s Snapshot) FirstAfter(k Key, fileSeq uint64) (seq uint64, ok bool) {
	if s.ix == nil {
		return 0, false
	}
	ix := s.ix
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	m, ok := ix.maxSeq(k)
	if !ok || m <= fileSeq {
		return 0, false
	}
	// older is ascending and below m.
	for _, o := range ix.older[k] {
		if o > fileSeq {
			return o, o <= s.asOf
		}
	}
	return m, m <= s.asOf
}

// Hidden reports whether a row with key k in a data file registered at
// fileSeq is deleted: whether the snapshot sees a tombstone of k with a
// sequence number greater than fileSeq.
func (s Snapshot) Hidden(k Key, fileSeq uint64) bool {
	if s.ix == nil {
		return false
	}
	return s.ix.hidden(k, fileSeq, s.asOf)
}

// HiddenMany is Hidden for many rows of one data file under a single lock
// acquisition, which is cheaper per row when scanning a batch: it sets
// hidden[i] to Hidden(keys[i], fileSeq) and returns how many are true.
// hidden must be at least as long as keys.
func (s Snapshot) HiddenMany(keys []Key, fileSeq uint64, hidden []bool) int {
	hidden = hidden[:len(keys)]
	if s.ix == nil {
		clear(hidden)
		return 0
	}
	n := 0
	s.ix.mu.RLock()
	defer s.ix.mu.RUnlock()
	for i, k := range keys {
		h := s.ix.hiddenLocked(k, fileSeq, s.asOf)
		hidden[i] = h
		if h {
			n++
		}
	}
	return n
}

// latest is the asOf of probes against the current state.
const latest = math.MaxUint64

// ProbeMany classifies many rows of one data file registered at fileSeq
// under a single lock acquisition, for a VACUUM that needs more than
// HiddenMany tells in one probe per row. For each i it sets hidden[i] to
// Hidden(keys[i], fileSeq) and by[i] to: if hidden, the lowest sequence
// number of a tombstone of keys[i] above fileSeq that the snapshot sees
// (what FirstAfter returns: the DELETE that removed the row); otherwise the
// sequence number Lookup(keys[i]) returns, or 0 if the snapshot sees no
// tombstone of keys[i] (a nonzero by[i] then marks a row kept although its
// key was deleted, because its file came after the DELETE). It returns how
// many rows are hidden. hidden and by must be at least as long as keys.
func (s Snapshot) ProbeMany(keys []Key, fileSeq uint64, hidden []bool, by []uint64) int {
	hidden, by = hidden[:len(keys)], by[:len(keys)]
	clear(hidden)
	clear(by)
	if s.ix == nil {
		return 0
	}
	ix := s.ix
	n := 0
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	for i, k := range keys {
		m, ok := ix.maxSeq(k)
		if !ok {
			continue
		}
		if m <= s.asOf && m <= fileSeq {
			// The common case of a kept row: one tombstone, older than the
			// file, which the snapshot sees.
			by[i] = m
			continue
		}
		olds := ix.older[k]
		if len(olds) == 0 && m <= s.asOf {
			// m > fileSeq: the one tombstone hides the row.
			hidden[i], by[i] = true, m
			n++
			continue
		}
		// Several tombstones, or one the snapshot does not see: the first
		// above fileSeq decides (olds is ascending and below m).
		first := uint64(0)
		for _, o := range olds {
			if o > fileSeq {
				first = o
				break
			}
		}
		if first == 0 && m > fileSeq {
			first = m
		}
		if first != 0 && first <= s.asOf {
			hidden[i], by[i] = true, first
			n++
			continue
		}
		if m <= s.asOf {
			by[i] = m
			continue
		}
		for j := len(olds) - 1; j >= 0; j-- {
			if olds[j] <= s.asOf {
				by[i] = olds[j]
				break
			}
		}
	}
	return n
}

// NumKeysIn returns, ascending, the tombstoned keys of kind kind (one kept
// as an integer: int, bool, date, timestamps) whose value is in [lo, hi],
// each once, whatever its sequence numbers: a superset of the keys the
// snapshot hides in that range, which Hidden then decides exactly. A scan
// checks a batch's key range against it first: when the batch holds no
// tombstoned key, as in most batches of files kept in key order, none of
// its rows needs a probe. The slice is shared and must not be modified.
func (s Snapshot) NumKeysIn(kind KeyKind, lo, hi int64) []int64 {
	if s.ix == nil || !kind.usesNum() || int(kind) >= numKinds || lo > hi {
		return nil
	}
	sorted := s.ix.sortedNumKeys(kind)
	i, _ := slices.BinarySearch(sorted, lo)
	j, found := slices.BinarySearch(sorted, hi)
	if found {
		j++
	}
	return sorted[i:j:j]
}

// sortedNumKeys returns the keys of nums[kind], sorted, building the cache
// if a change dropped it.
func (ix *index) sortedNumKeys(kind KeyKind) []int64 {
	if p := ix.sortedNums[kind].Load(); p != nil {
		return *p
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if p := ix.sortedNums[kind].Load(); p != nil {
		return *p
	}
	keys := make([]int64, 0, len(ix.nums[kind]))
	for k := range ix.nums[kind] {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	ix.sortedNums[kind].Store(&keys)
	return keys
}
