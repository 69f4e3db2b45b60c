package tables

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/pqsql/pqsql/tombstone"
)

// TestKeysScanMatchesFilteredScan checks ScanOptions.Keys against a full
// scan filtered by hand, on unsorted keys with duplicates across row groups
// and files, for int and text key columns, with DELETEs, pending deletes, a
// file registered after a DELETE, raw scans, count-only scans, and with the
// cache on and off.
func TestKeysScanMatchesFilteredScan(t *testing.T) {
	for _, keyCol := range []string{"id", "name"} {
		for _, cacheBytes := range []int64{0, -1} {
			t.Run(fmt.Sprintf("key=%s/cache=%d", keyCol, cacheBytes), func(t *testing.T) {
				testKeysScan(t, keyCol, cacheBytes)
			})
		}
	}
}

// dupKeyTable is table "t" of openDupKeyTable.
type dupKeyTable struct {
	dir string
	c   *Catalog
	tbl *Table
	// keyCol is the key column: "id", or "name" ("n" + the id).
	keyCol string
}

// openDupKeyTable writes table t of DIR/t/a.parquet, three row groups of
// random ids in 0..59 (seeded by seed), duplicated within and across
// groups, the middle group in key order (so its key index has no row map),
// keyed by keyCol, and opens it with the given cache.
func openDupKeyTable(t *testing.T, seed uint64, keyCol string, cacheBytes int64) *dupKeyTable {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, uint64(len(keyCol))))
	group := func(n int) []int64 {
		ids := make([]int64, n)
		for i := range ids {
			ids[i] = rng.Int64N(60)
		}
		return ids
	}
	sorted := group(40)
	slices.Sort(sorted)
	dir := t.TempDir()
	writeIDs(t, filepath.Join(dir, "t", "a.parquet"), group(50), sorted, group(30))
	c := openCacheCatalogKeys(t, dir, cacheBytes, map[string]string{"t": keyCol})
	return &dupKeyTable{dir: dir, c: c, tbl: c.Table("t"), keyCol: keyCol}
}

// keysOf returns the keys of ids.
func (d *dupKeyTable) keysOf(ids ...int64) []tombstone.Key {
	keys := make([]tombstone.Key, len(ids))
	for i, id := range ids {
		if d.keyCol == "id" {
			keys[i] = tombstone.IntKey(id)
		} else {
			keys[i] = tombstone.TextKey("n" + strconv.FormatInt(id, 10))
		}
	}
	return keys
}

func testKeysScan(t *testing.T, keyCol string, cacheBytes int64) {
	d := openDupKeyTable(t, 1, keyCol, cacheBytes)
	dir, c, tbl := d.dir, d.c, d.tbl
	ctx := context.Background()
	keyOfID := func(id int64) tombstone.Key { return d.keysOf(id)[0] }
	// check compares a Keys scan of ids with a full scan filtered by hand.
	check := func(when string, ids []int64, opts ScanOptions) {
		t.Helper()
		want := map[int64]bool{}
		for _, id := range ids {
			want[id] = true
		}
		var expect []string
		for _, s := range column0(t, tbl, opts) {
			id, _ := strconv.ParseInt(s, 10, 64)
			if want[id] {
				expect = append(expect, s)
			}
		}
		keys := make([]tombstone.Key, len(ids))
		for i, id := range ids {
			keys[i] = keyOfID(id)
		}
		opts.Keys = keys
		got := column0(t, tbl, opts)
		// Keys scans return rows in row order within each row group, and
		// so does the full scan.
		if !slices.Equal(got, expect) {
			t.Errorf("%s: Keys %v: got %v, want %v", when, ids, got, expect)
		}
		opts.Columns = nil
		if n := countRows(t, tbl, opts); n != int64(len(expect)) {
			t.Errorf("%s: count-only Keys scan = %d, want %d", when, n, len(expect))
		}
		opts.Columns = []int{1, 0}
		for _, b := range scanAll(t, tbl, opts) {
			for i := range int(b.Record.NumRows()) {
				if name, id := b.Record.Column(0).ValueStr(i), b.Record.Column(1).ValueStr(i); name != "n"+id {
					t.Errorf("%s: row (%s, %s) mixes rows", when, name, id)
				}
			}
		}
	}
	probe := func(when string, opts ScanOptions) {
		t.Helper()
		check(when, []int64{7}, opts)
		check(when, []int64{99}, opts) // in no row group
		check(when, []int64{}, opts)
		check(when, []int64{3, 3, 59, 0, 12, 40}, opts)
		check(when, span(0, 61), opts)
	}
	probe("before DELETE", ScanOptions{Columns: []int{0}})
	var deleted []any
	for _, id := range []int64{3, 12, 40, 41} {
		if keyCol == "id" {
			deleted = append(deleted, id)
		} else {
			deleted = append(deleted, "n"+strconv.FormatInt(id, 10))
		}
	}
	if _, err := tbl.Delete(ctx, deleted, "dpo", ""); err != nil {
		t.Fatal(err)
	}
	probe("after DELETE", ScanOptions{Columns: []int{0}})
	probe("raw", ScanOptions{Columns: []int{0}, Raw: true})
	probe("pending", ScanOptions{Columns: []int{0}, Pending: (*PendingDeletes)(nil).With(keyOfID(0), keyOfID(7))})
	rgs := tbl.RowGroups()[1:2]
	probe("one row group", ScanOptions{Columns: []int{0}, RowGroups: rgs, Pruned: true})
	// A file registered after the DELETE keeps its rows with deleted keys.
	writeIDs(t, filepath.Join(dir, "t", "b.parquet"), []int64{3, 12, 5})
	if err := c.Rescan(ctx); err != nil {
		t.Fatal(err)
	}
	probe("after a file was added", ScanOptions{Columns: []int{0}})
	if got := column0(t, tbl, ScanOptions{Columns: []int{0}, Keys: []tombstone.Key{keyOfID(3)}}); !slices.Equal(got, []string{"3"}) {
		t.Errorf("deleted key 3 in the later file: %v, want [3]", got)
	}
	// A key of another kind is refused.
	other := tombstone.TextKey("x")
	if keyCol == "name" {
		other = tombstone.IntKey(1)
	}
	if _, err := tbl.Scan(ctx, ScanOptions{Keys: []tombstone.Key{other}}); err == nil {
		t.Errorf("Keys scan with a key of another kind succeeded")
	}
}

// openCacheCatalogKeys is openCacheCatalog with configured key columns.
func openCacheCatalogKeys(t testing.TB, dir string, cacheBytes int64, keys map[string]string) *Catalog {
	t.Helper()
	opts := Options{CacheBytes: cacheBytes, StateDir: t.TempDir(), KeyColumns: keys}
	c, err := Open(context.Background(), dir, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// TestDeleteCountsThroughKeyIndex checks Delete's exact counts on
// duplicated, unsorted keys spread over row groups, once with the indexes
// cold and once cached.
func TestDeleteCountsThroughKeyIndex(t *testing.T) {
	dir := t.TempDir()
	writeIDs(t, filepath.Join(dir, "t.parquet"), []int64{5, 1, 5, 9}, []int64{9, 9, 2, 5})
	c := openCacheCatalogKeys(t, dir, 0, nil)
	tbl := c.Table("t")
	ctx := context.Background()
	for _, tc := range []struct {
		keys []any
		want int64
	}{
		{[]any{int64(5)}, 3},
		{[]any{int64(5), int64(9)}, 3}, // 5 is hidden already
		{[]any{int64(1), int64(2), int64(7)}, 2},
		{[]any{int64(9)}, 0},
	} {
		res, err := tbl.Delete(ctx, tc.keys, "dpo", "")
		if err != nil {
			t.Fatal(err)
		}
		if res.RowsHidden != tc.want {
			t.Errorf("Delete(%v) hid %d rows, want %d", tc.keys, res.RowsHidden, tc.want)
		}
	}
	if n := tbl.RowCount(); n != 0 {
		t.Errorf("RowCount = %d, want 0", n)
	}
}

// TestKeysScanDistrustsBadStatistics checks that a row group whose key
// statistics are out of order (a writer's empty max for a long string) is
// still searched.
func TestKeysScanDistrustsBadStatistics(t *testing.T) {
	big := strings.Repeat("é-0123456789-", 1<<20/14) + "end"
	texts := []string{`O'Brien "the" \x41\\`, "emoji 😀 🇺🇸 done", big, "plain", "O'Brien"}
	sch := arrow.NewSchema([]arrow.Field{{Name: "k", Type: arrow.BinaryTypes.String}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, sch)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).AppendValues(texts, nil)
	rec := b.NewRecordBatch()
	defer rec.Release()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "keys.parquet"), []arrow.RecordBatch{rec})
	c := openCacheCatalogKeys(t, dir, 0, nil)
	tbl := c.Table("keys")
	for _, k := range texts {
		if got := column0(t, tbl, ScanOptions{Columns: []int{0}, Keys: []tombstone.Key{tombstone.TextKey(k)}}); len(got) != 1 {
			t.Errorf("Keys scan for %.20q: %d rows, want 1", k, len(got))
		}
	}
	res, err := tbl.Delete(context.Background(), []any{"plain", big}, "dpo", "")
	if err != nil || res.RowsHidden != 2 {
		t.Errorf("Delete = %+v, %v; want 2 rows hidden", res, err)
	}
}

// TestKeysScanAcrossChunks checks lookups in a row group decoded in several
// chunks (more than maxBatchRows rows), from the cache and cold.
func TestKeysScanAcrossChunks(t *testing.T) {
	n := int64(2*maxBatchRows + 1000)
	ids := span(0, n)
	// Reverse the middle third, so that the index needs its row map.
	slices.Reverse(ids[n/3 : 2*n/3])
	dir := t.TempDir()
	writeIDs(t, filepath.Join(dir, "t.parquet"), ids)
	for _, cacheBytes := range []int64{0, -1} {
		c := openCacheCatalogKeys(t, dir, cacheBytes, nil)
		tbl := c.Table("t")
		for _, want := range chunkEdgeIDs(n) {
			keys := intKeys(want)
			for round := range 2 { // cold, then from the cache
				batches := scanAll(t, tbl, ScanOptions{Columns: []int{1, 0}, Keys: keys})
				var got []int64
				for _, b := range batches {
					for i := range int(b.Record.NumRows()) {
						id, _ := strconv.ParseInt(b.Record.Column(1).ValueStr(i), 10, 64)
						if name := b.Record.Column(0).ValueStr(i); name != "n"+strconv.FormatInt(id, 10) {
							t.Errorf("cache %d round %d: row (%s, %d) mixes rows", cacheBytes, round, name, id)
						}
						got = append(got, id)
					}
				}
				slices.Sort(got)
				w := slices.Sorted(slices.Values(want))
				if !slices.Equal(got, w) {
					t.Errorf("cache %d round %d: Keys %v: got ids %v", cacheBytes, round, want, got)
				}
			}
		}
	}
}

// TestSelectionScanMatchesCopyingScan checks that a Selection scan returns,
// through Batch.Rows, exactly the rows a plain scan copies out, with
// DELETEs, pending deletes and count-only scans.
func TestSelectionScanMatchesCopyingScan(t *testing.T) {
	dir := t.TempDir()
	writeIDs(t, filepath.Join(dir, "t.parquet"), span(0, 100), span(100, 200))
	c, _ := reopen(t, dir, nil)
	defer c.Close()
	tbl := c.Table("t")
	if _, err := tbl.Delete(context.Background(), []any{int64(3), int64(150), int64(199)}, "dpo", ""); err != nil {
		t.Fatal(err)
	}
	pending := (*PendingDeletes)(nil).With(keyOf(t, tbl, int64(4)))
	for _, opts := range []ScanOptions{{Columns: []int{1, 0}}, {Columns: []int{1, 0}, Pending: pending}, {Columns: []int{1}}} {
		var want []string
		for _, b := range scanAll(t, tbl, opts) {
			if b.Rows != nil {
				t.Fatalf("a scan without Selection sent Rows")
			}
			for i := range int(b.Record.NumRows()) {
				want = append(want, b.Record.Column(0).ValueStr(i))
			}
		}
		opts.Selection = true
		var got []string
		sawRows := false
		for _, b := range scanAll(t, tbl, opts) {
			if b.Rows == nil {
				for i := range int(b.Record.NumRows()) {
					got = append(got, b.Record.Column(0).ValueStr(i))
				}
				continue
			}
			sawRows = true
			if b.Len() != len(b.Rows) || len(b.Rows) == 0 {
				t.Errorf("batch Len %d, Rows %d", b.Len(), len(b.Rows))
			}
			for _, r := range b.Rows {
				got = append(got, b.Record.Column(0).ValueStr(int(r)))
			}
		}
		if !sawRows {
			t.Errorf("%+v: no batch carried Rows", opts)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%+v: Selection scan %v, want %v", opts, got, want)
		}
	}
	opts := ScanOptions{Selection: true}
	if n := countRows(t, tbl, opts); n != 197 {
		t.Errorf("count-only Selection scan = %d, want 197", n)
	}
}

// chunkEdgeIDs returns sets of ids, of a row group of ids 0..n-1 decoded in
// chunks of maxBatchRows rows, at the chunks' edges and across them.
func chunkEdgeIDs(n int64) [][]int64 {
	return [][]int64{
		{5},
		{int64(maxBatchRows) - 1, int64(maxBatchRows)},
		{0, n / 2, n - 1},
		{n - 1, 3, int64(maxBatchRows) + 7, 2 * int64(maxBatchRows)},
	}
}

// intKeys returns the integer keys of ids.
func intKeys(ids []int64) []tombstone.Key {
	keys := make([]tombstone.Key, len(ids))
	for i, id := range ids {
		keys[i] = tombstone.IntKey(id)
	}
	return keys
}
