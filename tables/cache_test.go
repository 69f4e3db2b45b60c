package tables

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/rs/zerolog"

	"github.com/pqsql/pqsql/tombstone"
)

// openCacheCatalog opens dir with the given CacheBytes, closing it at the
// end of the test. Each catalog has its own state directory, so that
// several can serve dir at once.
func openCacheCatalog(t testing.TB, dir string, cacheBytes int64) *Catalog {
	t.Helper()
	opts := Options{Logger: zerolog.Nop(), CacheBytes: cacheBytes, StateDir: t.TempDir()}
	c, err := Open(context.Background(), dir, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return c
}

// writeEvenStatsFile writes a file of statsSchema with three row groups of
// ten rows: [0,10), [10,20), [20,30).
func writeEvenStatsFile(t *testing.T, path string, offset int) {
	t.Helper()
	var recs []arrow.RecordBatch
	for i := range 3 {
		r := statsRows(offset+10*i, offset+10*i+10)
		defer r.Release()
		recs = append(recs, r)
	}
	writeFile(t, path, recs)
}

// allColumns returns the indexes of every column of tbl.
func allColumns(tbl *Table) []int {
	cols := make([]int, len(tbl.Columns()))
	for i := range cols {
		cols[i] = i
	}
	return cols
}

// render returns every column of batches as strings, column by column.
func render(batches []*Batch, ncols int) [][]string {
	out := make([][]string, ncols)
	for c := range ncols {
		out[c] = columnStrings(batches, c)
	}
	return out
}

// idsFrom returns "from".."to-1" as strings.
func idsFrom(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, strconv.Itoa(i))
	}
	return out
}

func TestCacheHitMatchesColdRead(t *testing.T) {
	dir := t.TempDir()
	writeStatsFile(t, filepath.Join(dir, "s.parquet"))
	cold := openCacheCatalog(t, dir, -1).Table("s")
	c := openCacheCatalog(t, dir, 0)
	tbl := c.Table("s")
	cols := allColumns(tbl)
	// A selection in another order, with a column twice.
	for _, sel := range [][]int{cols, {7, 0, 1, 0}} {
		rgs := []RowGroup{tbl.RowGroups()[1]}
		coldBatches := scanAll(t, cold, ScanOptions{Columns: sel, RowGroups: rgs, Pruned: true})
		want := render(coldBatches, len(sel))
		if got := want[slices.Index(sel, 0)]; !slices.Equal(got, idsFrom(10, 25)) {
			t.Fatalf("cold ids = %v", got)
		}
		for i := range 3 {
			batches := scanAll(t, tbl, ScanOptions{Columns: sel, RowGroups: rgs, Pruned: true})
			for _, b := range batches {
				if b.RowGroup != rgs[0] || !b.Record.Schema().Equal(coldBatches[0].Record.Schema()) {
					t.Fatalf("scan %d: batch of %v with schema %v", i, b.RowGroup, b.Record.Schema())
				}
			}
			if got := render(batches, len(sel)); !slices.EqualFunc(got, want, slices.Equal) {
				t.Fatalf("scan %d of %v = %v, want %v", i, sel, got, want)
			}
		}
	}
	st := c.CacheStats()
	// Eight columns missed once; the second selection hits 0, 1, 7 three
	// times (0 twice per scan), the first hits all eight twice.
	if st.Entries != 8 || st.Misses != 8 || st.Hits != 16+3*4 || st.Bytes <= 0 || st.Capacity != DefaultCacheBytes {
		t.Errorf("CacheStats = %+v", st)
	}
}

func TestCacheFullScanDoesNotInsert(t *testing.T) {
	dir := t.TempDir()
	writeStatsFile(t, filepath.Join(dir, "s.parquet"))
	c := openCacheCatalog(t, dir, 0)
	tbl := c.Table("s")
	// Pruned is ignored without a strict subset of the row groups.
	for _, rgs := range [][]RowGroup{nil, tbl.RowGroups()} {
		got := columnStrings(scanAll(t, tbl, ScanOptions{Columns: []int{0, 1}, RowGroups: rgs, Pruned: true}), 0)
		if !slices.Equal(got, idsFrom(0, 30)) {
			t.Fatalf("ids = %v", got)
		}
	}
	// A full scan one row group per Scan, as the engine runs its
	// partitions, is not Pruned.
	var got []string
	for _, rg := range tbl.RowGroups() {
		got = append(got, columnStrings(scanAll(t, tbl, ScanOptions{Columns: []int{0, 1}, RowGroups: []RowGroup{rg}}), 0)...)
	}
	if !slices.Equal(got, idsFrom(0, 30)) {
		t.Fatalf("ids = %v", got)
	}
	if st := c.CacheStats(); st != (CacheStats{Capacity: DefaultCacheBytes}) {
		t.Errorf("after full scans, CacheStats = %+v", st)
	}
	if st := openCacheCatalog(t, dir, -1).CacheStats(); st != (CacheStats{}) {
		t.Errorf("cache off: CacheStats = %+v", st)
	}
}

func TestCacheEvictsLeastRecentlyUsed(t *testing.T) {
	dir := t.TempDir()
	writeEvenStatsFile(t, filepath.Join(dir, "s.parquet"), 0)
	probe := openCacheCatalog(t, dir, 0)
	scanAll(t, probe.Table("s"), ScanOptions{Columns: []int{0}, RowGroups: probe.Table("s").RowGroups()[:1], Pruned: true})
	size := probe.CacheStats().Bytes // of one row group's id column; all are alike
	if size <= 0 {
		t.Fatalf("one cached chunk takes %d bytes", size)
	}

	c := openCacheCatalog(t, dir, 2*size)
	tbl := c.Table("s")
	rgs := tbl.RowGroups()
	for _, step := range []struct {
		rg           int
		hits, misses uint64
	}{
		{0, 0, 1}, {1, 0, 2}, {0, 1, 2}, // 1 is now the least recently used
		{2, 1, 3}, // evicts 1
		{0, 2, 3}, {2, 3, 3},
		{1, 3, 4}, // evicts 0
		{0, 3, 5},
	} {
		got := columnStrings(scanAll(t, tbl, ScanOptions{Columns: []int{0}, RowGroups: rgs[step.rg : step.rg+1], Pruned: true}), 0)
		if want := idsFrom(10*step.rg, 10*step.rg+10); !slices.Equal(got, want) {
			t.Fatalf("row group %d: ids %v, want %v", step.rg, got, want)
		}
		st := c.CacheStats()
		if st.Hits != step.hits || st.Misses != step.misses || st.Entries != min(int(st.Misses), 2) || st.Bytes != int64(st.Entries)*size {
			t.Fatalf("after scanning row group %d: CacheStats = %+v, want %d hits, %d misses", step.rg, st, step.hits, step.misses)
		}
	}

	// A chunk bigger than the whole cache is decoded but not kept.
	tiny := openCacheCatalog(t, dir, size-1)
	for range 2 {
		got := columnStrings(scanAll(t, tiny.Table("s"), ScanOptions{Columns: []int{0}, RowGroups: rgs[1:2], Pruned: true}), 0)
		if !slices.Equal(got, idsFrom(10, 20)) {
			t.Fatalf("ids = %v", got)
		}
	}
	if st := tiny.CacheStats(); st.Entries != 0 || st.Bytes != 0 || st.Misses != 2 {
		t.Errorf("oversized chunk: CacheStats = %+v", st)
	}
}

func TestCacheDeleteHidesCachedRowsAtOnce(t *testing.T) {
	dir := t.TempDir()
	writeEvenStatsFile(t, filepath.Join(dir, "s.parquet"), 0)
	c := openCacheCatalog(t, dir, 0)
	tbl := c.Table("s")
	rgs := tbl.RowGroups()[1:2]
	// Both with the key column selected and without it: then the cached
	// key column is used for filtering only.
	for _, cols := range [][]int{{0, 1}, {1}, {}} {
		scanAll(t, tbl, ScanOptions{Columns: cols, RowGroups: rgs, Pruned: true})
	}
	if st := c.CacheStats(); st.Entries != 2 {
		t.Fatalf("CacheStats = %+v, want 2 entries", st)
	}
	if _, err := tbl.Delete(context.Background(), []any{int64(12), int64(15)}, "dpo", "erasure request"); err != nil {
		t.Fatal(err)
	}
	before := c.CacheStats()
	ids := columnStrings(scanAll(t, tbl, ScanOptions{Columns: []int{0, 1}, RowGroups: rgs, Pruned: true}), 0)
	if want := []string{"10", "11", "13", "14", "16", "17", "18", "19"}; !slices.Equal(ids, want) {
		t.Errorf("ids after DELETE = %v, want %v", ids, want)
	}
	names := columnStrings(scanAll(t, tbl, ScanOptions{Columns: []int{1}, RowGroups: rgs, Pruned: true}), 0)
	if want := []string{"n10", "n11", "n13", "n14", "n16", "n17", "(null)", "n19"}; !slices.Equal(names, want) {
		t.Errorf("names after DELETE = %v, want %v", names, want)
	}
	var rows int64
	for _, b := range scanAll(t, tbl, ScanOptions{RowGroups: rgs, Pruned: true}) {
		rows += b.Record.NumRows()
	}
	if rows != 8 {
		t.Errorf("count after DELETE = %d, want 8", rows)
	}
	if raw := columnStrings(scanAll(t, tbl, ScanOptions{Columns: []int{0}, Pruned: true, RowGroups: rgs, Raw: true}), 0); !slices.Equal(raw, idsFrom(10, 20)) {
		t.Errorf("raw ids = %v", raw)
	}
	if pend := columnStrings(scanAll(t, tbl, ScanOptions{Columns: []int{0}, Pruned: true, RowGroups: rgs, Pending: (*PendingDeletes)(nil).With(keyOf(t, tbl, int64(10)))}), 0); len(pend) != 7 || pend[0] != "11" {
		t.Errorf("ids with pending delete of 10 = %v", pend)
	}
	// The DELETE cached the row group's key index (see keyIndex) beside
	// the two columns.
	if st := c.CacheStats(); st.Misses != before.Misses || st.Entries != 3 {
		t.Errorf("scans after DELETE missed the cache: %+v, before %+v", st, before)
	}
}

// keyOf returns the tombstone key of value v of tbl's key column.
func keyOf(t *testing.T, tbl *Table, v any) tombstone.Key {
	t.Helper()
	k, err := tbl.Key(v)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestCacheVacuumDropsOldFile(t *testing.T) {
	dir := t.TempDir()
	writeEvenStatsFile(t, filepath.Join(dir, "s.parquet"), 0)
	c := openCacheCatalog(t, dir, 0)
	tbl := c.Table("s")
	old := tbl.Snapshot()
	oldRG := old.RowGroups()[1:2]
	scanAll(t, tbl, ScanOptions{Columns: []int{0, 1}, Pruned: true, RowGroups: oldRG, Snapshot: old})
	if _, err := tbl.Delete(context.Background(), []any{int64(12)}, "dpo", "erasure request"); err != nil {
		t.Fatal(err)
	}
	rewrite(t, tbl)
	if st := c.CacheStats(); st.Entries != 0 || st.Bytes != 0 {
		t.Errorf("after VACUUM, CacheStats = %+v: the replaced file's chunks are still cached", st)
	}
	// A scan of the old snapshot still reads the old file, but caches
	// nothing of it any more.
	got := columnStrings(scanAll(t, tbl, ScanOptions{Columns: []int{0}, Pruned: true, RowGroups: oldRG, Snapshot: old, Raw: true}), 0)
	if !slices.Equal(got, idsFrom(10, 20)) {
		t.Errorf("old snapshot ids = %v", got)
	}
	if st := c.CacheStats(); st.Entries != 0 {
		t.Errorf("a scan of a retired file cached it: %+v", st)
	}
	// The new file is served, not the old one's cached chunks.
	rgs := tbl.RowGroups()
	var ids []string
	for i := range rgs {
		ids = append(ids, columnStrings(scanAll(t, tbl, ScanOptions{Columns: []int{0}, Pruned: true, RowGroups: rgs[i : i+1], Raw: true}), 0)...)
	}
	if want := slices.Concat(idsFrom(0, 12), idsFrom(13, 30)); !slices.Equal(ids, want) {
		t.Errorf("ids after VACUUM = %v, want %v", ids, want)
	}
}

func TestCacheRescanChangedFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.parquet")
	writeEvenStatsFile(t, path, 0)
	c := openCacheCatalog(t, dir, 0)
	tbl := c.Table("s")
	rg := tbl.RowGroups()[1:2]
	for range 2 {
		if got := columnStrings(scanAll(t, tbl, ScanOptions{Columns: []int{0}, RowGroups: rg, Pruned: true}), 0); !slices.Equal(got, idsFrom(10, 20)) {
			t.Fatalf("ids = %v", got)
		}
	}
	// Replace the file by one of the same shape and other values.
	writeEvenStatsFile(t, filepath.Join(dir, "s.parquet.tmp"), 100)
	if err := os.Rename(filepath.Join(dir, "s.parquet.tmp"), path); err != nil {
		t.Fatal(err)
	}
	if err := c.Rescan(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := c.CacheStats(); st.Entries != 0 {
		t.Errorf("after Rescan, CacheStats = %+v: the replaced file's chunks are still cached", st)
	}
	if got := columnStrings(scanAll(t, tbl, ScanOptions{Columns: []int{0}, RowGroups: rg, Pruned: true}), 0); !slices.Equal(got, idsFrom(110, 120)) {
		t.Errorf("ids after Rescan = %v, want the new file's", got)
	}
}

func TestCacheConcurrentPrunedScans(t *testing.T) {
	dir := t.TempDir()
	writeEvenStatsFile(t, filepath.Join(dir, "s.parquet"), 0)
	probe := openCacheCatalog(t, dir, 0)
	scanAll(t, probe.Table("s"), ScanOptions{Columns: []int{0, 1}, RowGroups: probe.Table("s").RowGroups()[:1], Pruned: true})
	// Room for about three of the six chunks, so that scans evict each
	// other's entries while they read them.
	c := openCacheCatalog(t, dir, probe.CacheStats().Bytes*3/2)
	tbl := c.Table("s")
	rgs := tbl.RowGroups()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			rnd := rand.New(rand.NewPCG(uint64(g), 1))
			for range 50 {
				i := rnd.IntN(len(rgs))
				s, err := tbl.Scan(context.Background(), ScanOptions{Columns: []int{1, 0}, RowGroups: rgs[i : i+1], Pruned: true})
				if err != nil {
					errs <- err
					return
				}
				var batches []*Batch
				for {
					b, err := s.Next(context.Background())
					if err != nil {
						break
					}
					batches = append(batches, b)
				}
				s.Close()
				if got, want := columnStrings(batches, 1), idsFrom(10*i, 10*i+10); !slices.Equal(got, want) {
					errs <- fmt.Errorf("row group %d: ids %v, want %v", i, got, want)
					return
				}
				for _, b := range batches {
					b.Record.Release()
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st := c.CacheStats()
	if st.Bytes > st.Capacity || st.Hits+st.Misses != 8*50*2 {
		t.Errorf("CacheStats = %+v", st)
	}
}

// BenchmarkPrunedScan scans one row group of 1M rows of four columns, as a
// lookup pruned by statistics does: cold decodes it every time, warm takes
// it from the cache.
func BenchmarkPrunedScan(b *testing.B) {
	dir := b.TempDir()
	const groupRows = 1 << 20
	writeBenchEvents(b, dir, 2, groupRows)
	for _, bc := range []struct {
		name       string
		cacheBytes int64
	}{{"cold", -1}, {"warm", 0}} {
		b.Run(bc.name, func(b *testing.B) {
			tbl := openCacheCatalog(b, dir, bc.cacheBytes).Table("events")
			opts := ScanOptions{Columns: []int{0, 1, 2, 3}, RowGroups: tbl.RowGroups()[1:], Pruned: true}
			scan := func() {
				if rows := countScanRows(b, tbl, opts); rows != groupRows {
					b.Fatalf("%d rows, want %d", rows, groupRows)
				}
			}
			scan() // fills the cache when there is one
			for b.Loop() {
				scan()
			}
		})
	}
}

// writeBenchEvents writes DIR/events.parquet for the benchmarks: groups row
// groups of groupRows rows of four columns (id int8 from 0 up, user int4,
// kind text, value float8).
func writeBenchEvents(b *testing.B, dir string, groups, groupRows int) {
	b.Helper()
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "user", Type: arrow.PrimitiveTypes.Int32},
		{Name: "kind", Type: arrow.BinaryTypes.String},
		{Name: "value", Type: arrow.PrimitiveTypes.Float64},
	}, nil)
	var recs []arrow.RecordBatch
	for g := range groups {
		rb := array.NewRecordBuilder(memory.DefaultAllocator, sc)
		for i := range groupRows {
			id := g*groupRows + i
			rb.Field(0).(*array.Int64Builder).Append(int64(id))
			rb.Field(1).(*array.Int32Builder).Append(int32(id % 1000))
			rb.Field(2).(*array.StringBuilder).Append("kind-" + strconv.Itoa(id%7))
			rb.Field(3).(*array.Float64Builder).Append(float64(id) / 3)
		}
		recs = append(recs, rb.NewRecordBatch())
		rb.Release()
	}
	writeFile(b, filepath.Join(dir, "events.parquet"), recs)
	for _, r := range recs {
		r.Release()
	}
}

// countScanRows scans tbl with opts and returns the rows it read.
func countScanRows(b *testing.B, tbl *Table, opts ScanOptions) int64 {
	b.Helper()
	ctx := context.Background()
	s, err := tbl.Scan(ctx, opts)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	rows := int64(0)
	for {
		batch, err := s.Next(ctx)
		if err != nil {
			break
		}
		rows += batch.Record.NumRows()
		batch.Record.Release()
	}
	return rows
}
