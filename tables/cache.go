package tables

import (
	"container/list"
	"slices"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
)

// DefaultCacheBytes is the decoded row-group cache's bound when
// Options.CacheBytes is 0. It holds the decoded columns of about ten
// million rows of a table of eight columns: point lookups at random keys
// in a table that size then decode each row group once, not once a
// lookup (a row group of a million rows takes about 100 ms to decode).
// The cache fills only as lookups and pruned scans read row groups.
const DefaultCacheBytes = 1 << 30

// CacheStats describes a catalog's decoded row-group cache.
type CacheStats struct {
	// Entries is the number of cached column chunks (one column of one row
	// group), Bytes the size of their buffers and Capacity the bound on it;
	// all zero when the cache is off.
	Entries         int
	Bytes, Capacity int64
	// Hits and Misses count column chunk lookups by pruned scans.
	Hits, Misses uint64
}

// CacheStats returns the state of the catalog's decoded row-group cache.
func (c *Catalog) CacheStats() CacheStats {
	if c.cache == nil {
		return CacheStats{}
	}
	return c.cache.stats()
}

// chunkKey names one decoded column chunk: table column col of row group
// rowGroup of file. The file is keyed by its *dataFile, which is opened
// once per file version: a file replaced by VACUUM or changed under its
// name (Rescan) is a new *dataFile, so a key never reaches data of another
// version of the file. The key pins the dataFile, which is why retire drops
// a file's entries.
type chunkKey struct {
	file     *dataFile
	rowGroup int
	col      int
}

// chunkEntry is one cached column chunk.
type chunkEntry struct {
	key chunkKey
	// chunks are the column's values for the whole row group, converted to
	// the Batch representation, in the record reader's batches. The cache
	// holds one reference to each; they are never modified.
	chunks []arrow.Array
	// bounds are chunkBounds(chunks): a point read finds the chunk holding
	// a row by binary search, not by walking every chunk of a large row
	// group.
	bounds []int32
	// index is the row group's key index when key.col is keyIndexCol, in
	// which case chunks is empty.
	index *keyIndex
	size  int64
}

// chunkCache is a byte-bounded LRU cache of decoded column chunks, shared
// by the tables of a catalog. It serves only scans of a strict subset of a
// table's row groups (see Table.Scan), so that a full scan, which would
// cycle every entry out, neither reads nor fills it. It holds raw decoded
// values: tombstones are applied by each scan on top, so a DELETE hides
// rows at once. Its methods are safe for concurrent use.
type chunkCache struct {
	capacity int64

	mu sync.Mutex
	// entries index lru's elements, whose values are *chunkEntry; the front
	// is the most recently used.
	entries      map[chunkKey]*list.Element
	lru          list.List
	used         int64
	hits, misses uint64
}

// newChunkCache returns a cache bounded by the CacheBytes option bytes, or
// nil when the option turns it off.
func newChunkCache(bytes int64) *chunkCache {
	switch {
	case bytes < 0:
		return nil
	case bytes == 0:
		bytes = DefaultCacheBytes
	}
	return &chunkCache{capacity: bytes, entries: make(map[chunkKey]*list.Element)}
}

// get returns the chunks cached under k, each retained for the caller, who
// releases them.
func (c *chunkCache) get(k chunkKey) ([]arrow.Array, bool) {
	var out []arrow.Array
	ok := c.lookup(k, func(e *chunkEntry) {
		out = make([]arrow.Array, len(e.chunks))
		for i, a := range e.chunks {
			a.Retain()
			out[i] = a
		}
	})
	return out, ok
}

// getRows returns, retained for the caller, only those of the chunks
// cached under k that hold one of rows (ascending row numbers of the row
// group), with the row number each starts at: a key lookup then touches
// one chunk of each column, not all of them. Rows beyond the column are
// left out (takeChunkRows reports them).
func (c *chunkCache) getRows(k chunkKey, rows []int32) (chunks []arrow.Array, starts []int32, ok bool) {
	ok = c.lookup(k, func(e *chunkEntry) {
		last := -1
		for _, r := range rows {
			i, _, found := findChunk(e.bounds, r)
			if !found {
				break
			}
			if i != last {
				e.chunks[i].Retain()
				chunks = append(chunks, e.chunks[i])
				starts = append(starts, e.bounds[i])
				last = i
			}
		}
	})
	return chunks, starts, ok
}

// getCells is the cache's part of a point read (Table.LookupKeys) of rows
// (of row group rg of df) in columns cols: for each column it holds, it
// sets cells[r*len(cols)+i] for each row rows[r] (see setCells) and counts
// a hit; it appends the positions in cols of the other columns to missing,
// counting a miss for each, and returns it. It takes c.mu once for all the
// columns, and holds it only to find and retain the chunks. On error the
// cells set so far hold references the caller releases.
func (c *chunkCache) getCells(df *dataFile, rg int, cols []int, rows []int32, cells []keyCell, missing []int) ([]int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, col := range cols {
		el, ok := c.entries[chunkKey{file: df, rowGroup: rg, col: col}]
		if !ok {
			c.misses++
			missing = append(missing, i)
			continue
		}
		c.hits++
		c.lru.MoveToFront(el)
		e := el.Value.(*chunkEntry)
		if err := setCells(e.chunks, e.bounds, rows, cells, i, len(cols)); err != nil {
			return missing, err
		}
	}
	return missing, nil
}

// getIndex returns the key index cached under k.
func (c *chunkCache) getIndex(k chunkKey) (*keyIndex, bool) {
	var x *keyIndex
	ok := c.lookup(k, func(e *chunkEntry) { x = e.index })
	return x, ok
}

// lookup counts a lookup of k and, on a hit, marks the entry used and calls
// fn with it under c.mu.
func (c *chunkCache) lookup(k chunkKey, fn func(*chunkEntry)) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[k]
	if !ok {
		c.misses++
		return false
	}
	c.hits++
	c.lru.MoveToFront(el)
	fn(el.Value.(*chunkEntry))
	return true
}

// put caches chunks under k, taking its own references; the caller keeps
// its own. It caches nothing when k is already cached, when k's file has
// been retired (its entries are gone for good; see dropFile), or when the
// chunks alone exceed the capacity. Least recently used entries are evicted
// to make room.
func (c *chunkCache) put(k chunkKey, chunks []arrow.Array) {
	size := int64(0)
	for _, a := range chunks {
		size += dataSize(a.Data())
	}
	c.insert(&chunkEntry{key: k, chunks: chunks, bounds: chunkBounds(chunks), size: size})
}

// putIndex caches key index x under k, as put does chunks.
func (c *chunkCache) putIndex(k chunkKey, x *keyIndex) {
	c.insert(&chunkEntry{key: k, index: x, size: x.size})
}

// insert adds e, retaining its chunks, unless put would cache nothing.
func (c *chunkCache) insert(e *chunkEntry) {
	if e.size > c.capacity {
		return
	}
	var evicted []*chunkEntry
	c.mu.Lock()
	// Checked under mu, which dropFile takes after setting the flag: either
	// this insert sees the flag, or dropFile sees the entry.
	if _, ok := c.entries[e.key]; ok || e.key.file.retired.Load() {
		c.mu.Unlock()
		return
	}
	for _, a := range e.chunks {
		a.Retain()
	}
	c.entries[e.key] = c.lru.PushFront(e)
	c.used += e.size
	for c.used > c.capacity {
		evicted = append(evicted, c.removeLocked(c.lru.Back()))
	}
	c.mu.Unlock()
	releaseEntries(evicted)
}

// dropFile evicts every entry of df, which has left its table: it must not
// stay pinned, and its values, some of which VACUUM erased from disk, must
// not stay in memory. df.retired is set first, so that scans still reading
// df cache nothing of it afterwards.
func (c *chunkCache) dropFile(df *dataFile) {
	df.retired.Store(true)
	var evicted []*chunkEntry
	c.mu.Lock()
	for el := c.lru.Front(); el != nil; {
		next := el.Next()
		if el.Value.(*chunkEntry).key.file == df {
			evicted = append(evicted, c.removeLocked(el))
		}
		el = next
	}
	c.mu.Unlock()
	releaseEntries(evicted)
}

// clear evicts every entry.
func (c *chunkCache) clear() {
	var evicted []*chunkEntry
	c.mu.Lock()
	for c.lru.Len() > 0 {
		evicted = append(evicted, c.removeLocked(c.lru.Back()))
	}
	c.mu.Unlock()
	releaseEntries(evicted)
}

// removeLocked unlinks el and returns its entry, for the caller to release
// once c.mu is unlocked.
func (c *chunkCache) removeLocked(el *list.Element) *chunkEntry {
	e := c.lru.Remove(el).(*chunkEntry)
	delete(c.entries, e.key)
	c.used -= e.size
	return e
}

func (c *chunkCache) stats() CacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return CacheStats{Entries: len(c.entries), Bytes: c.used, Capacity: c.capacity, Hits: c.hits, Misses: c.misses}
}

// releaseEntries drops the cache's references to the entries' chunks;
// scans still using them hold their own.
func releaseEntries(entries []*chunkEntry) {
	for _, e := range entries {
		for _, a := range e.chunks {
			a.Release()
		}
	}
}

// dataSize returns the bytes of d's buffers, its children's and its
// dictionary's: the memory a cached array keeps alive.
func dataSize(d arrow.ArrayData) int64 {
	n := int64(0)
	for _, b := range d.Buffers() {
		if b != nil {
			n += int64(b.Len())
		}
	}
	for _, ch := range d.Children() {
		n += dataSize(ch)
	}
	// Dictionary returns a nil *array.Data, not a nil interface, when
	// there is none.
	if d.DataType().ID() == arrow.DICTIONARY {
		n += dataSize(d.Dictionary())
	}
	return n
}

// chunkBounds returns the first row of each of chunks, consecutive pieces
// of a column, followed by the column's length.
func chunkBounds(chunks []arrow.Array) []int32 {
	b := make([]int32, len(chunks)+1)
	for i, a := range chunks {
		b[i+1] = b[i] + int32(a.Len())
	}
	return b
}

// findChunk returns the index of the chunk holding row, given the chunks'
// chunkBounds, and the row's offset in it; ok is false when row is not in
// the column.
func findChunk(bounds []int32, row int32) (i int, off int32, ok bool) {
	if row < 0 || row >= bounds[len(bounds)-1] {
		return 0, 0, false
	}
	// The last chunk starting at or before row: an empty chunk shares its
	// start with the next one, which is the one holding row.
	i, _ = slices.BinarySearch(bounds, row+1)
	i--
	return i, row - bounds[i], true
}
