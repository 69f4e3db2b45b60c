package tables

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/pqsql/pqsql/tombstone"
)

// renderValue renders row i of arr as columnStrings does.
func renderValue(arr arrow.Array, i int) string {
	if arr.IsNull(i) {
		return "(null)"
	}
	return arr.ValueStr(i)
}

// lookupRows renders the rows LookupKeys returns, one string per row: its
// row group, row and values.
func lookupRows(t *testing.T, tbl *Table, keys []tombstone.Key, cols []int, pending *PendingDeletes) []string {
	t.Helper()
	var out []string
	err := tbl.LookupKeys(context.Background(), keys, cols, pending, func(r KeyRow) error {
		if r.NumColumns() != len(cols) {
			t.Errorf("row of %d columns, want %d", r.NumColumns(), len(cols))
		}
		vals := make([]string, r.NumColumns())
		for i := range vals {
			arr, row := r.Column(i)
			vals[i] = renderValue(arr, row)
		}
		out = append(out, fmt.Sprintf("%d/%d: %s", r.RowGroup.File, r.RowGroup.Index, strings.Join(vals, ",")))
		return nil
	})
	if err != nil {
		t.Fatalf("LookupKeys(%v): %v", keys, err)
	}
	return out
}

// scanRows renders the rows of the equivalent Keys scan as lookupRows does.
func scanRows(t *testing.T, tbl *Table, keys []tombstone.Key, cols []int, pending *PendingDeletes) []string {
	t.Helper()
	var out []string
	for _, b := range scanAll(t, tbl, ScanOptions{Keys: keys, Columns: cols, Pending: pending}) {
		for i := range int(b.Record.NumRows()) {
			vals := make([]string, len(cols))
			for c := range vals {
				vals[c] = renderValue(b.Record.Column(c), i)
			}
			out = append(out, fmt.Sprintf("%d/%d: %s", b.RowGroup.File, b.RowGroup.Index, strings.Join(vals, ",")))
		}
		b.Record.Release()
	}
	return out
}

// checkLookup checks that LookupKeys returns what the Keys scan does.
func checkLookup(t *testing.T, when string, tbl *Table, keys []tombstone.Key, cols []int, pending *PendingDeletes) []string {
	t.Helper()
	want := scanRows(t, tbl, keys, cols, pending)
	got := lookupRows(t, tbl, keys, cols, pending)
	if !slices.Equal(got, want) {
		t.Errorf("%s: LookupKeys(%v) = %v, want the scan's %v", when, keys, got, want)
	}
	return got
}

// TestLookupKeysMatchesScan checks LookupKeys against ScanOptions.Keys
// scans on unsorted keys duplicated across row groups and files, for int
// and text keys, cold and from the cache, with the cache off, and with
// DELETEs, pending deletes and a file registered after a DELETE (a key in
// two files, one copy hidden).
func TestLookupKeysMatchesScan(t *testing.T) {
	for _, keyCol := range []string{"id", "name"} {
		for _, cacheBytes := range []int64{0, -1} {
			t.Run(fmt.Sprintf("key=%s/cache=%d", keyCol, cacheBytes), func(t *testing.T) {
				testLookupKeys(t, keyCol, cacheBytes)
			})
		}
	}
}

func testLookupKeys(t *testing.T, keyCol string, cacheBytes int64) {
	d := openDupKeyTable(t, 2, keyCol, cacheBytes)
	dir, c, tbl, keysOf := d.dir, d.c, d.tbl, d.keysOf
	ctx := context.Background()
	probe := func(when string, pending *PendingDeletes) {
		t.Helper()
		for _, ids := range [][]int64{
			{7}, {99}, {}, {3, 3, 59, 0, 12, 40, 3},
			span(0, 61), // more keys than smallKeySet: deduplicated by a map
			{5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 6},
		} {
			for _, cols := range [][]int{{0, 1}, {1}, {1, 0, 1}, {}} {
				// Twice: cold, then from the cache when there is one.
				for round := range 2 {
					checkLookup(t, fmt.Sprintf("%s, columns %v, round %d", when, cols, round), tbl, keysOf(ids...), cols, pending)
				}
			}
		}
	}
	probe("before DELETE", nil)
	if cacheBytes == 0 {
		if st := c.CacheStats(); st.Hits == 0 || st.Entries == 0 {
			t.Errorf("CacheStats = %+v: lookups did not go through the cache", st)
		}
	}
	var deleted []any
	for _, k := range keysOf(3, 12, 40, 41) {
		deleted = append(deleted, k)
	}
	if _, err := tbl.Delete(ctx, deleted, "dpo", ""); err != nil {
		t.Fatal(err)
	}
	probe("after DELETE", nil)
	probe("pending", (*PendingDeletes)(nil).With(keysOf(0, 7)...))
	// A file registered after the DELETE keeps its rows with deleted keys:
	// key 3 is in both files, hidden in the first only.
	writeIDs(t, filepath.Join(dir, "t", "b.parquet"), []int64{3, 12, 5})
	if err := c.Rescan(ctx); err != nil {
		t.Fatal(err)
	}
	probe("after a file was added", nil)
	if got := lookupRows(t, tbl, keysOf(3), []int{0, 1}, nil); len(got) != 1 || !strings.HasPrefix(got[0], "1/0: ") {
		t.Errorf("deleted key 3 with a copy in the later file: %v, want that copy only", got)
	}
	other := tombstone.TextKey("x")
	if keyCol == "name" {
		other = tombstone.IntKey(1)
	}
	if err := tbl.LookupKeys(ctx, []tombstone.Key{other}, []int{0}, nil, func(KeyRow) error { return nil }); err == nil {
		t.Errorf("LookupKeys with a key of another kind succeeded")
	}
}

// TestLookupKeysNullKeys checks that rows with a NULL key never match.
func TestLookupKeysNullKeys(t *testing.T) {
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "v", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "n.parquet"), []arrow.RecordBatch{
		recordFromJSON(t, sc, `[{"id": null, "v": "a"}, {"id": 0, "v": "b"}, {"id": null, "v": "c"}, {"id": 2, "v": null}]`),
	})
	c := openCacheCatalogKeys(t, dir, 0, map[string]string{"n": "id"})
	tbl := c.Table("n")
	for _, ids := range [][]int64{{0}, {2}, {1}, {0, 1, 2}} {
		keys := make([]tombstone.Key, len(ids))
		for i, id := range ids {
			keys[i] = tombstone.IntKey(id)
		}
		for range 2 {
			checkLookup(t, "NULL keys", tbl, keys, []int{0, 1}, nil)
		}
	}
	if got := lookupRows(t, tbl, []tombstone.Key{tombstone.IntKey(0), tombstone.IntKey(2)}, []int{1}, nil); !slices.Equal(got, []string{"0/0: b", "0/0: (null)"}) {
		t.Errorf("rows = %v", got)
	}
}

// TestLookupKeysAcrossChunks checks point reads in a row group decoded in
// several chunks, at the chunks' edges, cold and from the cache.
func TestLookupKeysAcrossChunks(t *testing.T) {
	n := int64(2*maxBatchRows + 1000)
	ids := span(0, n)
	slices.Reverse(ids[n/3 : 2*n/3])
	dir := t.TempDir()
	writeIDs(t, filepath.Join(dir, "t.parquet"), ids)
	for _, cacheBytes := range []int64{0, -1} {
		tbl := openCacheCatalogKeys(t, dir, cacheBytes, nil).Table("t")
		for _, want := range chunkEdgeIDs(n) {
			keys := intKeys(want)
			for round := range 2 {
				got := checkLookup(t, fmt.Sprintf("cache %d round %d", cacheBytes, round), tbl, keys, []int{1, 0}, nil)
				if len(got) != len(want) {
					t.Errorf("cache %d round %d: %d rows for keys %v", cacheBytes, round, len(got), want)
				}
				for _, r := range got {
					vals := strings.Split(strings.TrimPrefix(r, "0/0: "), ",")
					if vals[0] != "n"+vals[1] {
						t.Errorf("row %q mixes rows", r)
					}
				}
			}
		}
	}
}

func TestFindChunk(t *testing.T) {
	// Chunks of 3, 0, 2 and 0 rows.
	bounds := []int32{0, 3, 3, 5, 5}
	for _, tc := range []struct {
		row     int32
		i       int
		off     int32
		outside bool
	}{
		{row: 0, i: 0, off: 0}, {row: 2, i: 0, off: 2}, {row: 3, i: 2, off: 0},
		{row: 4, i: 2, off: 1}, {row: 5, outside: true}, {row: -1, outside: true},
	} {
		i, off, ok := findChunk(bounds, tc.row)
		if ok == tc.outside || ok && (i != tc.i || off != tc.off) {
			t.Errorf("findChunk(%d) = %d, %d, %v; want %d, %d, %v", tc.row, i, off, ok, tc.i, tc.off, !tc.outside)
		}
	}
	if _, _, ok := findChunk([]int32{0}, 0); ok {
		t.Errorf("findChunk found a row in no chunks")
	}
}

// TestLookupKeysErrors checks the refusals and the callback's error.
func TestLookupKeysErrors(t *testing.T) {
	dir := t.TempDir()
	writeIDs(t, filepath.Join(dir, "t.parquet"), span(0, 10))
	tbl := openCacheCatalogKeys(t, dir, 0, nil).Table("t")
	ctx := context.Background()
	keys := []tombstone.Key{tombstone.IntKey(4)}
	none := func(KeyRow) error { return nil }
	if err := tbl.LookupKeys(ctx, keys, []int{2}, nil, none); err == nil {
		t.Errorf("column out of range: no error")
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if err := tbl.LookupKeys(canceled, keys, []int{0}, nil, none); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: error %v", err)
	}
	stop := errors.New("stop")
	if err := tbl.LookupKeys(ctx, keys, []int{0}, nil, func(KeyRow) error { return stop }); err != stop {
		t.Errorf("callback error came back as %v", err)
	}
	// An unavailable table (see TestCorruptLogMakesTableUnavailable) is
	// refused as Scan refuses it.
	tbl.err = tombstone.ErrCorrupt
	defer func() { tbl.err = nil }()
	if err := tbl.LookupKeys(ctx, keys, []int{0}, nil, none); !errors.Is(err, tombstone.ErrCorrupt) {
		t.Errorf("unavailable table: error %v", err)
	}
}

// TestLookupKeysHoldsFiles checks that a lookup holds its files while a
// VACUUM replaces them under its callback, and reads the new file once the
// VACUUM and a Rescan have retired the old ones.
func TestLookupKeysHoldsFiles(t *testing.T) {
	dir := t.TempDir()
	writeEvenStatsFile(t, filepath.Join(dir, "s.parquet"), 0)
	c := openCacheCatalog(t, dir, 0)
	tbl := c.Table("s")
	ctx := context.Background()
	keys := []tombstone.Key{tombstone.IntKey(12), tombstone.IntKey(25)}
	cols := allColumns(tbl)
	before := checkLookup(t, "before", tbl, keys, cols, nil)
	if len(before) != 2 {
		t.Fatalf("rows = %v", before)
	}
	if _, err := tbl.Delete(ctx, []any{int64(12)}, "dpo", ""); err != nil {
		t.Fatal(err)
	}
	calls := 0
	err := tbl.LookupKeys(ctx, keys, cols, nil, func(r KeyRow) error {
		calls++
		if calls == 1 {
			rewrite(t, tbl)
			if n := tbl.RetiredFilesOpen(); n != 1 {
				t.Errorf("during the lookup, %d retired files open, want 1", n)
			}
			if st := c.CacheStats(); st.Entries != 0 {
				t.Errorf("the VACUUM left the old file's chunks cached: %+v", st)
			}
		}
		// The arrays stay readable though the cache dropped them.
		arr, row := r.Column(0)
		if got := renderValue(arr, row); got != "25" {
			t.Errorf("row's id = %s, want 25", got)
		}
		return nil
	})
	if err != nil || calls != 1 {
		t.Fatalf("LookupKeys: %d calls, error %v", calls, err)
	}
	if n := tbl.RetiredFilesOpen(); n != 0 {
		t.Errorf("after the lookup, %d retired files open, want 0", n)
	}
	after := checkLookup(t, "after VACUUM", tbl, keys, cols, nil)
	// The rewrite has its own row groups: compare the values only.
	values := func(r string) string { return r[strings.Index(r, ": "):] }
	if len(after) != 1 || values(after[0]) != values(before[1]) {
		t.Errorf("after VACUUM: %v, want the values of %v", after, before[1:])
	}
	// A file replaced under its name: the next lookup reads the new one.
	files := tbl.Files()
	if len(files) != 1 {
		t.Fatalf("files after VACUUM: %v", files)
	}
	writeEvenStatsFile(t, files[0]+".tmp", 100)
	if err := os.Rename(files[0]+".tmp", files[0]); err != nil {
		t.Fatal(err)
	}
	if err := c.Rescan(ctx); err != nil {
		t.Fatal(err)
	}
	if got := checkLookup(t, "after Rescan", tbl, []tombstone.Key{tombstone.IntKey(125), tombstone.IntKey(25)}, cols, nil); len(got) != 1 {
		t.Errorf("after Rescan: %v, want the new file's row", got)
	}
}

// TestLookupKeysConcurrent races point reads with DELETEs and VACUUMs in a
// cache too small to hold every chunk: each lookup must see a key's rows
// whole or not at all, with the values of its own rows.
func TestLookupKeysConcurrent(t *testing.T) {
	dir := t.TempDir()
	// Every id twice, in two row groups; name n<id>.
	writeIDs(t, filepath.Join(dir, "t.parquet"), span(0, 100), span(0, 100), span(100, 200))
	probe := openCacheCatalogKeys(t, dir, 0, nil)
	lookupRows(t, probe.Table("t"), []tombstone.Key{tombstone.IntKey(1)}, []int{0, 1}, nil)
	c := openCacheCatalogKeys(t, dir, probe.CacheStats().Bytes*2, nil)
	tbl := c.Table("t")
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	done := make(chan struct{})
	wg.Go(func() {
		defer close(done)
		for i := range int64(20) {
			if _, err := tbl.Delete(ctx, []any{i * 7, 100 + i*3}, "dpo", ""); err != nil {
				errs <- err
				return
			}
			if i%5 == 4 {
				release, err := tbl.LockVacuum(ctx)
				if err != nil {
					errs <- err
					return
				}
				rewrite(t, tbl)
				release()
			}
		}
	})
	for g := range 4 {
		wg.Go(func() {
			rnd := rand.New(rand.NewPCG(uint64(g), 3))
			// At least 300 lookups, and one more after the last DELETE.
			for i, stop := 0, false; !stop; i++ {
				select {
				case <-done:
					stop = i >= 300
				default:
				}
				ids := []int64{rnd.Int64N(200), rnd.Int64N(200), rnd.Int64N(200)}
				keys := []tombstone.Key{tombstone.IntKey(ids[0]), tombstone.IntKey(ids[1]), tombstone.IntKey(ids[2])}
				seen := map[int64]int{}
				err := tbl.LookupKeys(ctx, keys, []int{1, 0}, nil, func(r KeyRow) error {
					name, row := r.Column(0)
					id, idRow := r.Column(1)
					v := id.(*array.Int64).Value(idRow)
					if got := name.(*array.String).Value(row); got != "n"+strconv.FormatInt(v, 10) {
						return fmt.Errorf("row (%s, %d) mixes rows", got, v)
					}
					seen[v]++
					return nil
				})
				if err != nil {
					errs <- err
					return
				}
				for id, n := range seen {
					if want := map[bool]int{true: 2, false: 1}[id < 100]; n != want || !slices.Contains(ids, id) {
						errs <- fmt.Errorf("lookup of %v saw %d rows of id %d, want %d", ids, n, id, want)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if st := c.CacheStats(); st.Bytes > st.Capacity {
		t.Errorf("CacheStats = %+v", st)
	}
	if n := tbl.RetiredFilesOpen(); n != 0 {
		t.Errorf("%d retired files left open", n)
	}
}

// BenchmarkLookupKeys measures a point read of one key in a row group of
// 1M rows of four columns, through LookupKeys and through a Keys scan, with
// the key index and the columns cached.
func BenchmarkLookupKeys(b *testing.B) {
	dir := b.TempDir()
	const groupRows = 1 << 20
	writeBenchEvents(b, dir, 1, groupRows)
	tbl := openCacheCatalogKeys(b, dir, 0, map[string]string{"events": "id"}).Table("events")
	ctx := context.Background()
	cols := []int{0, 1, 2, 3}
	keys := []tombstone.Key{tombstone.IntKey(groupRows - 5)}
	lookup := func() {
		rows := 0
		err := tbl.LookupKeys(ctx, keys, cols, nil, func(r KeyRow) error {
			rows++
			return nil
		})
		if err != nil || rows != 1 {
			b.Fatalf("%d rows, error %v", rows, err)
		}
	}
	lookup() // fills the cache
	b.Run("lookup", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			lookup()
		}
	})
	b.Run("scan", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if rows := countScanRows(b, tbl, ScanOptions{Keys: keys, Columns: cols}); rows != 1 {
				b.Fatalf("%d rows", rows)
			}
		}
	})
}
