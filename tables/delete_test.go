package tables

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/rs/zerolog"

	"github.com/pqsql/pqsql/sqlengine"
	"github.com/pqsql/pqsql/tombstone"
)

// idRows builds a record of idNameSchema with the given ids, name "n<id>".
func idRows(ids ...int64) arrow.RecordBatch {
	b := array.NewRecordBuilder(memory.DefaultAllocator, idNameSchema)
	defer b.Release()
	for _, id := range ids {
		b.Field(0).(*array.Int64Builder).Append(id)
		b.Field(1).(*array.StringBuilder).Append("n" + strconv.FormatInt(id, 10))
	}
	return b.NewRecordBatch()
}

// writeIDs writes a file of idNameSchema, one row group per id list.
func writeIDs(t *testing.T, path string, groups ...[]int64) {
	t.Helper()
	var recs []arrow.RecordBatch
	for _, g := range groups {
		r := idRows(g...)
		defer r.Release()
		recs = append(recs, r)
	}
	writeFile(t, path, recs)
}

func span(from, to int64) []int64 {
	var out []int64
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

// reopen opens dir with a logger into the returned buffer; the caller
// closes the catalog.
func reopen(t *testing.T, dir string, keys map[string]string) (*Catalog, *bytes.Buffer) {
	t.Helper()
	var log bytes.Buffer
	c, err := Open(context.Background(), dir, Options{KeyColumns: keys, Logger: zerolog.New(&log)})
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	return c, &log
}

// column0 scans tbl with opts (Columns defaulting to {0}) and renders the
// first column.
func column0(t *testing.T, tbl *Table, opts ScanOptions) []string {
	t.Helper()
	if opts.Columns == nil {
		opts.Columns = []int{0}
	}
	return columnStrings(scanAll(t, tbl, opts), 0)
}

// countRows counts the rows of a scan of no columns.
func countRows(t *testing.T, tbl *Table, opts ScanOptions) int64 {
	t.Helper()
	opts.Columns = nil
	var n int64
	for _, b := range scanAll(t, tbl, opts) {
		if b.Record.NumRows() == 0 {
			t.Errorf("scan returned an empty batch")
		}
		n += b.Record.NumRows()
	}
	return n
}

func strs(ids ...int64) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = strconv.FormatInt(id, 10)
	}
	return out
}

func without(all []int64, drop ...int64) []int64 {
	return slices.DeleteFunc(slices.Clone(all), func(v int64) bool { return slices.Contains(drop, v) })
}

func readManifestFile(t *testing.T, stateDir, table string) *manifest {
	t.Helper()
	name, err := manifestName(table)
	if err != nil {
		t.Fatal(err)
	}
	m, err := readManifest(filepath.Join(stateDir, name), table)
	if err != nil || m == nil {
		t.Fatalf("read manifest of %s: %v, %v", table, m, err)
	}
	return m
}

func TestManifestPersistence(t *testing.T) {
	dir := t.TempDir()
	writeIDs(t, filepath.Join(dir, "t", "a.parquet"), span(0, 5))
	writeIDs(t, filepath.Join(dir, "t", "b.parquet"), span(5, 10))
	writeIDs(t, filepath.Join(dir, "single.parquet"), span(0, 3))
	c, _ := reopen(t, dir, nil)
	if got, want := c.StateDir(), filepath.Join(dir, "_pqsql"); got != want {
		t.Errorf("StateDir = %q, want %q", got, want)
	}
	tbl := c.Table("t")
	if tbl.Err() != nil {
		t.Fatal(tbl.Err())
	}
	seq1 := tbl.NextSeq()
	if seq1 != 2 {
		t.Errorf("NextSeq after first open = %d, want 2 (one reservation)", seq1)
	}
	snap := tbl.Snapshot()
	if snap.FileSeq(0) != 1 || snap.FileSeq(1) != 1 {
		t.Errorf("file seqs = %d, %d; want 1, 1", snap.FileSeq(0), snap.FileSeq(1))
	}
	m := readManifestFile(t, c.StateDir(), "t")
	if m.Version != 1 || m.Table != "t" || m.AppliedSeq != 0 || len(m.Files) != 2 {
		t.Fatalf("manifest = %+v", m)
	}
	for i, name := range []string{"t/a.parquet", "t/b.parquet"} {
		e := m.Files[i]
		info, err := os.Stat(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		if e.Name != name || e.Seq != 1 || e.Size != info.Size() || e.FooterCRC32C == 0 {
			t.Errorf("manifest file %d = %+v, want %s at seq 1 of %d bytes", i, e, name, info.Size())
		}
	}
	if ms := readManifestFile(t, c.StateDir(), "single"); len(ms.Files) != 1 || ms.Files[0].Name != "single.parquet" {
		t.Errorf("single manifest = %+v", ms)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}

	// Reopening registers nothing new: same seqs, no reservation.
	c2, _ := reopen(t, dir, nil)
	defer c2.Close()
	tbl = c2.Table("t")
	if tbl.NextSeq() != seq1 {
		t.Errorf("NextSeq after reopen = %d, want %d", tbl.NextSeq(), seq1)
	}
	if s := tbl.Snapshot(); s.FileSeq(0) != 1 || s.FileSeq(1) != 1 {
		t.Errorf("file seqs after reopen = %d, %d; want 1, 1", s.FileSeq(0), s.FileSeq(1))
	}
	if entries, _ := os.ReadDir(c2.StateDir()); len(entries) != 4 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("state dir holds %v, want 2 logs and 2 manifests", names)
	}
}

func TestDeleteHidesRows(t *testing.T) {
	dir := t.TempDir()
	all := span(0, 20)
	writeIDs(t, filepath.Join(dir, "t.parquet"), span(0, 10), span(10, 20))
	c, _ := reopen(t, dir, nil)
	tbl := c.Table("t")
	before := tbl.Snapshot()

	res, err := tbl.Delete(context.Background(), []any{int64(3), int32(12), 3, int64(99)}, "dpo", "erasure request")
	if err != nil {
		t.Fatal(err)
	}
	if res.Keys != 3 || res.RowsHidden != 2 || res.Seq != 2 {
		t.Errorf("Delete = %+v, want Keys 3, RowsHidden 2, Seq 2", res)
	}
	want := without(all, 3, 12)
	if got := column0(t, tbl, ScanOptions{}); !slices.Equal(got, strs(want...)) {
		t.Errorf("ids = %v, want %v", got, want)
	}
	if got := tbl.RowCount(); got != 18 {
		t.Errorf("RowCount = %d, want 18", got)
	}
	if got := tbl.RawRowCount(); got != 20 {
		t.Errorf("RawRowCount = %d, want 20", got)
	}
	if got := countRows(t, tbl, ScanOptions{}); got != 18 {
		t.Errorf("count-only scan = %d rows, want 18", got)
	}
	// The key column is decoded to filter but not returned.
	names := scanAll(t, tbl, ScanOptions{Columns: []int{1}})
	if got := columnStrings(names, 0); len(got) != 18 || slices.Contains(got, "n3") || slices.Contains(got, "n12") {
		t.Errorf("names = %v", got)
	}
	if names[0].Record.NumCols() != 1 {
		t.Errorf("batch has %d columns, want 1", names[0].Record.NumCols())
	}
	// Row groups and Raw.
	if got := column0(t, tbl, ScanOptions{RowGroups: []RowGroup{tbl.RowGroups()[1]}}); !slices.Equal(got, strs(without(span(10, 20), 12)...)) {
		t.Errorf("row group 1 ids = %v", got)
	}
	if got := column0(t, tbl, ScanOptions{Raw: true}); !slices.Equal(got, strs(all...)) {
		t.Errorf("raw ids = %v, want all", got)
	}
	if got := countRows(t, tbl, ScanOptions{Raw: true}); got != 20 {
		t.Errorf("raw count = %d", got)
	}
	// A snapshot taken before the DELETE still sees the rows.
	if got := column0(t, tbl, ScanOptions{Snapshot: before}); !slices.Equal(got, strs(all...)) {
		t.Errorf("ids in earlier snapshot = %v", got)
	}
	// Deleting again hides nothing more.
	res, err = tbl.Delete(context.Background(), []any{int64(3), int64(4)}, "dpo", "")
	if err != nil || res.RowsHidden != 1 || res.Keys != 2 {
		t.Errorf("second Delete = %+v, %v; want 1 row hidden", res, err)
	}
	if tbl.RowCount() != 17 {
		t.Errorf("RowCount = %d, want 17", tbl.RowCount())
	}
	ts := tbl.Tombstones()
	if len(ts) != 5 || ts[0].Actor != "dpo" || ts[0].Reason != "erasure request" || ts[0].KeyColumn != "id" || ts[0].Key != tombstone.IntKey(3) || ts[4].Seq != 3 {
		t.Errorf("Tombstones = %+v", ts)
	}
	// Empty DELETE commits nothing.
	if res, err := tbl.Delete(context.Background(), nil, "dpo", ""); err != nil || res != (DeleteResult{}) {
		t.Errorf("empty Delete = %+v, %v", res, err)
	}
	// A cancelled context deletes nothing.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := tbl.Delete(ctx, []any{int64(5)}, "dpo", ""); !errors.Is(err, context.Canceled) {
		t.Errorf("Delete with cancelled ctx: %v", err)
	}
	if tbl.RowCount() != 17 || len(tbl.Tombstones()) != 5 {
		t.Errorf("cancelled Delete changed state: RowCount %d, %d tombstones", tbl.RowCount(), len(tbl.Tombstones()))
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}

	// After reopening, the count is recomputed exactly.
	c2, _ := reopen(t, dir, nil)
	defer c2.Close()
	tbl = c2.Table("t")
	if tbl.RowCount() != 17 || tbl.RawRowCount() != 20 {
		t.Errorf("after reopen RowCount %d, RawRowCount %d; want 17, 20", tbl.RowCount(), tbl.RawRowCount())
	}
	if got := column0(t, tbl, ScanOptions{}); !slices.Equal(got, strs(without(all, 3, 4, 12)...)) {
		t.Errorf("ids after reopen = %v", got)
	}
}

func TestFileAddedAfterDelete(t *testing.T) {
	dir := t.TempDir()
	writeIDs(t, filepath.Join(dir, "t", "a.parquet"), span(0, 5))
	c, _ := reopen(t, dir, nil)
	tbl := c.Table("t")
	if _, err := tbl.Delete(context.Background(), []any{int64(2), int64(3)}, "dpo", ""); err != nil {
		t.Fatal(err)
	}
	// b arrives with keys deleted before: they stay visible.
	writeIDs(t, filepath.Join(dir, "t", "b.parquet"), []int64{2, 3, 7})
	if got := len(tbl.Files()); got != 1 {
		t.Fatalf("files before Rescan = %d", got)
	}
	old := tbl.Snapshot()
	if err := c.Rescan(context.Background()); err != nil {
		t.Fatal(err)
	}
	check := func(tbl *Table, when string) {
		t.Helper()
		if got, want := column0(t, tbl, ScanOptions{}), strs(0, 1, 4, 2, 3, 7); !slices.Equal(got, want) {
			t.Errorf("%s: ids = %v, want %v", when, got, want)
		}
		if tbl.RowCount() != 6 || tbl.RawRowCount() != 8 {
			t.Errorf("%s: RowCount %d, RawRowCount %d; want 6, 8", when, tbl.RowCount(), tbl.RawRowCount())
		}
	}
	check(tbl, "after Rescan")
	if got := column0(t, tbl, ScanOptions{Snapshot: old}); !slices.Equal(got, strs(0, 1, 4)) {
		t.Errorf("old snapshot ids = %v", got)
	}
	// A DELETE after the file's registration hides its rows too.
	res, err := tbl.Delete(context.Background(), []any{int64(3)}, "dpo", "")
	if err != nil || res.RowsHidden != 1 {
		t.Fatalf("Delete = %+v, %v; want 1 row hidden", res, err)
	}
	if tbl.RowCount() != 5 {
		t.Errorf("RowCount = %d, want 5", tbl.RowCount())
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	// A file that appears while the server is down is registered at Open,
	// after the earlier DELETEs.
	writeIDs(t, filepath.Join(dir, "t", "c.parquet"), []int64{3})
	c2, _ := reopen(t, dir, nil)
	defer c2.Close()
	tbl = c2.Table("t")
	if got, want := column0(t, tbl, ScanOptions{}), strs(0, 1, 4, 2, 7, 3); !slices.Equal(got, want) {
		t.Errorf("after reopen ids = %v, want %v", got, want)
	}
	if tbl.RowCount() != 6 {
		t.Errorf("after reopen RowCount = %d, want 6", tbl.RowCount())
	}
}

func TestPendingDeletes(t *testing.T) {
	dir := t.TempDir()
	writeIDs(t, filepath.Join(dir, "t.parquet"), span(0, 6))
	c, _ := reopen(t, dir, nil)
	defer c.Close()
	tbl := c.Table("t")
	var pending *PendingDeletes
	for _, v := range []any{int64(1), int64(4)} {
		k, err := tbl.Key(v)
		if err != nil {
			t.Fatal(err)
		}
		pending = pending.With(k)
	}
	if pending.Len() != 2 || !pending.Contains(tombstone.IntKey(4)) || pending.Contains(tombstone.IntKey(2)) {
		t.Fatalf("pending = %v", pending.Keys())
	}
	if got := column0(t, tbl, ScanOptions{Pending: pending}); !slices.Equal(got, strs(0, 2, 3, 5)) {
		t.Errorf("session ids = %v", got)
	}
	if got := countRows(t, tbl, ScanOptions{Pending: pending}); got != 4 {
		t.Errorf("session count = %d, want 4", got)
	}
	if got := column0(t, tbl, ScanOptions{}); !slices.Equal(got, strs(span(0, 6)...)) {
		t.Errorf("other session ids = %v", got)
	}
	if got := column0(t, tbl, ScanOptions{Pending: pending, Raw: true}); len(got) != 6 {
		t.Errorf("raw session ids = %v", got)
	}
	if tbl.RowCount() != 6 {
		t.Errorf("RowCount = %d, want 6", tbl.RowCount())
	}
	// COMMIT.
	res, err := tbl.Delete(context.Background(), pending.Keys(), "alice", "")
	if err != nil || res.RowsHidden != 2 {
		t.Fatalf("commit Delete = %+v, %v", res, err)
	}
	if got := column0(t, tbl, ScanOptions{}); !slices.Equal(got, strs(0, 2, 3, 5)) {
		t.Errorf("ids after commit = %v", got)
	}
}

func TestDeleteRejectsBadKeys(t *testing.T) {
	dir := t.TempDir()
	writeIDs(t, filepath.Join(dir, "t.parquet"), span(0, 3))
	floats := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Float64}}, nil)
	writeFile(t, filepath.Join(dir, "f.parquet"), []arrow.RecordBatch{recordFromJSON(t, floats, `[{"id": 1.5}]`)})
	c, _ := reopen(t, dir, nil)
	defer c.Close()
	tbl := c.Table("t")
	for _, keys := range [][]any{{nil}, {int64(1), nil}, {"1"}, {1.0}, {uint64(1) << 63}, {tombstone.TextKey("1")}} {
		_, err := tbl.Delete(context.Background(), keys, "dpo", "")
		if !errors.Is(err, tombstone.ErrUnsupportedKey) {
			t.Errorf("Delete(%v) error = %v, want ErrUnsupportedKey", keys, err)
		}
	}
	if len(tbl.Tombstones()) != 0 || tbl.RowCount() != 3 {
		t.Errorf("rejected deletes changed state")
	}
	_, err := c.Table("f").Delete(context.Background(), []any{1.5}, "dpo", "")
	if !errors.Is(err, tombstone.ErrUnsupportedKey) || !strings.Contains(err.Error(), "float8") {
		t.Errorf("Delete on float key column: %v", err)
	}
}

func TestTextKeysRoundTrip(t *testing.T) {
	dir := t.TempDir()
	big := strings.Repeat("x", 1<<20)
	keys := []string{`it's`, `back\slash`, "nul\x00byte", "emoji 🦫", big, "", `"quoted"`, "plain"}
	sc := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.BinaryTypes.String}, {Name: "n", Type: arrow.PrimitiveTypes.Int32}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	for i, k := range keys {
		b.Field(0).(*array.StringBuilder).Append(k)
		b.Field(1).(*array.Int32Builder).Append(int32(i))
	}
	rec := b.NewRecordBatch()
	b.Release()
	defer rec.Release()
	writeFile(t, filepath.Join(dir, "t.parquet"), []arrow.RecordBatch{rec})
	c, _ := reopen(t, dir, nil)
	tbl := c.Table("t")
	del := []any{keys[0], keys[1], keys[2], keys[3], keys[4], keys[5], keys[6], "nul"} // "nul" matches nothing
	res, err := tbl.Delete(context.Background(), del, "dpo", "")
	if err != nil || res.RowsHidden != 7 || res.Keys != 8 {
		t.Fatalf("Delete = %+v, %v", res, err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	c2, _ := reopen(t, dir, nil)
	defer c2.Close()
	tbl = c2.Table("t")
	if tbl.RowCount() != 1 {
		t.Errorf("RowCount after reopen = %d, want 1", tbl.RowCount())
	}
	if got := column0(t, tbl, ScanOptions{Columns: []int{1}}); !slices.Equal(got, []string{"7"}) {
		t.Errorf("visible n = %v, want [7]", got)
	}
	var got []string
	for _, ts := range tbl.Tombstones() {
		got = append(got, ts.Key.Text())
	}
	if want := []string{keys[0], keys[1], keys[2], keys[3], keys[4], keys[5], keys[6], "nul"}; !slices.Equal(got, want) {
		t.Errorf("tombstone keys differ after reopen (%d keys)", len(got))
	}
}

// TestKeyTypes deletes by a key of each keyable type.
func TestKeyTypes(t *testing.T) {
	dir := t.TempDir()
	names := []string{"by_day", "by_at", "by_ok", "by_name"}
	keyCols := map[string]string{"by_day": "day", "by_at": "at", "by_ok": "ok", "by_name": "name"}
	for _, n := range names {
		writeStatsFile(t, filepath.Join(dir, n+".parquet"))
	}
	uuidCols := []Column{{Name: "id", Type: Type{OID: sqlengine.UUIDOID}}, {Name: "b", Type: Type{OID: sqlengine.ByteaOID}, Nullable: true}}
	f, err := os.Create(filepath.Join(dir, "by_uuid.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewWriter(f, uuidCols, WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ub := array.NewRecordBuilder(memory.DefaultAllocator, arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: &arrow.FixedSizeBinaryType{ByteWidth: 16}},
		{Name: "b", Type: arrow.BinaryTypes.Binary, Nullable: true},
	}, nil))
	for i := range 4 {
		ub.Field(0).(*array.FixedSizeBinaryBuilder).Append(bytes.Repeat([]byte{byte(i)}, 16))
		ub.Field(1).(*array.BinaryBuilder).Append([]byte{byte(i), 0})
	}
	urec := ub.NewRecordBatch()
	ub.Release()
	if err := w.Write(urec); err != nil {
		t.Fatal(err)
	}
	urec.Release()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	keyCols["by_uuid"] = "id"
	writeFile(t, filepath.Join(dir, "by_bytes.parquet"), nil2(t))
	keyCols["by_bytes"] = "b"

	c, log := reopen(t, dir, keyCols)
	defer c.Close()
	day := func(d int) time.Time { return time.Date(1970, 1, 1+d, 0, 0, 0, 0, time.UTC) }
	for _, tc := range []struct {
		table string
		keys  []any
		want  int64 // rows hidden
	}{
		{"by_day", []any{day(3), day(29), day(400)}, 2},
		{"by_day", []any{time.Date(1970, 1, 5, 23, 0, 0, 0, time.FixedZone("x", -3600))}, 1}, // day 4 in its zone
		{"by_at", []any{time.Unix(7, 0).In(time.FixedZone("y", 7200)), time.Unix(11, 0)}, 2},
		{"by_ok", []any{true}, 15},
		{"by_name", []any{"n1", "n3"}, 1}, // row 3's name is NULL
		{"by_uuid", []any{[16]byte(bytes.Repeat([]byte{2}, 16))}, 1},
		{"by_bytes", []any{[]byte{1, 0}}, 1},
	} {
		tbl := c.Table(tc.table)
		if tbl == nil || tbl.Err() != nil {
			t.Fatalf("table %s missing or unavailable: %v\n%s", tc.table, tbl, log)
		}
		before := tbl.RowCount()
		res, err := tbl.Delete(context.Background(), tc.keys, "dpo", "")
		if err != nil {
			t.Errorf("%s Delete(%v): %v", tc.table, tc.keys, err)
			continue
		}
		if res.RowsHidden != tc.want {
			t.Errorf("%s Delete(%v) hid %d rows, want %d", tc.table, tc.keys, res.RowsHidden, tc.want)
		}
		if got := countRows(t, tbl, ScanOptions{}); got != before-tc.want || tbl.RowCount() != got {
			t.Errorf("%s: scan counts %d rows, RowCount %d, want %d", tc.table, got, tbl.RowCount(), before-tc.want)
		}
	}
	// NULL keys are never hidden: by_name's NULL rows stay.
	if got := countRows(t, c.Table("by_name"), ScanOptions{}); got != 29 {
		t.Errorf("by_name rows = %d, want 29", got)
	}
}

// nil2 returns a record with a nullable binary key "b" including NULLs.
func nil2(t *testing.T) []arrow.RecordBatch {
	sc := arrow.NewSchema([]arrow.Field{{Name: "b", Type: arrow.BinaryTypes.Binary, Nullable: true}, {Name: "n", Type: arrow.PrimitiveTypes.Int32}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer b.Release()
	for i := range 4 {
		if i == 3 {
			b.Field(0).AppendNull()
		} else {
			b.Field(0).(*array.BinaryBuilder).Append([]byte{byte(i), 0})
		}
		b.Field(1).(*array.Int32Builder).Append(int32(i))
	}
	rec := b.NewRecordBatch()
	t.Cleanup(rec.Release)
	return []arrow.RecordBatch{rec}
}

func TestCorruptLogMakesTableUnavailable(t *testing.T) {
	dir := t.TempDir()
	writeIDs(t, filepath.Join(dir, "bad.parquet"), span(0, 5))
	writeIDs(t, filepath.Join(dir, "good.parquet"), span(0, 5))
	c, _ := reopen(t, dir, nil)
	bad := c.Table("bad")
	logPath := filepath.Join(c.StateDir(), "bad.tlog")
	info, err := os.Stat(logPath)
	if err != nil {
		t.Fatal(err)
	}
	firstBatch := info.Size()
	for _, k := range []int64{1, 2} {
		if _, err := bad.Delete(context.Background(), []any{k}, "dpo", ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Table("good").Delete(context.Background(), []any{int64(4)}, "dpo", ""); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	// Flip a payload byte of the first batch: a bad record before a good one.
	data, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	data[firstBatch+10] ^= 0xFF
	if err := os.WriteFile(logPath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	c2, log := reopen(t, dir, nil)
	defer c2.Close()
	bad = c2.Table("bad")
	if bad == nil {
		t.Fatal("table with corrupt log left the catalog")
	}
	if !errors.Is(bad.Err(), tombstone.ErrCorrupt) {
		t.Fatalf("Err = %v, want ErrCorrupt", bad.Err())
	}
	if !strings.Contains(log.String(), `"table":"bad"`) {
		t.Errorf("log does not name the table:\n%s", log)
	}
	if _, err := bad.Scan(context.Background(), ScanOptions{Columns: []int{0}}); !errors.Is(err, tombstone.ErrCorrupt) {
		t.Errorf("Scan error = %v, want ErrCorrupt", err)
	}
	if _, err := bad.Delete(context.Background(), []any{int64(3)}, "dpo", ""); !errors.Is(err, tombstone.ErrCorrupt) {
		t.Errorf("Delete error = %v, want ErrCorrupt", err)
	}
	if bad.RowCount() != 0 || bad.RawRowCount() != 5 || bad.Tombstones() != nil {
		t.Errorf("unavailable table: RowCount %d, RawRowCount %d, %d tombstones", bad.RowCount(), bad.RawRowCount(), len(bad.Tombstones()))
	}
	if got := column0(t, bad, ScanOptions{Raw: true}); len(got) != 5 {
		t.Errorf("raw scan of unavailable table = %v", got)
	}
	good := c2.Table("good")
	if good.Err() != nil || good.RowCount() != 4 {
		t.Errorf("good table: Err %v, RowCount %d", good.Err(), good.RowCount())
	}
	if got := column0(t, good, ScanOptions{}); !slices.Equal(got, strs(0, 1, 2, 3)) {
		t.Errorf("good ids = %v", got)
	}
	if err := c2.Rescan(context.Background()); err != nil {
		t.Errorf("Rescan with an unavailable table: %v", err)
	}
}

func TestCorruptManifestMakesTableUnavailable(t *testing.T) {
	dir := t.TempDir()
	writeIDs(t, filepath.Join(dir, "t.parquet"), span(0, 5))
	c, _ := reopen(t, dir, nil)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "_pqsql", "t.manifest.json")
	if err := os.WriteFile(path, []byte(`{"version":1,"table":"t","files":[`), 0o644); err != nil {
		t.Fatal(err)
	}
	c2, _ := reopen(t, dir, nil)
	defer c2.Close()
	if err := c2.Table("t").Err(); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Err = %v, want ErrCorrupt", err)
	}
}

// TestConcurrentDeleteAndScan checks that no scan sees part of a DELETE:
// each statement's keys are all visible or all hidden.
func TestConcurrentDeleteAndScan(t *testing.T) {
	dir := t.TempDir()
	const groups, perGroup = 40, 7
	// Statement g deletes keys g, g+groups, ..., spread over row groups.
	var rgs [][]int64
	for from := int64(0); from < groups*perGroup; from += 50 {
		rgs = append(rgs, span(from, min(from+50, groups*perGroup)))
	}
	writeIDs(t, filepath.Join(dir, "t.parquet"), rgs...)
	c, _ := reopen(t, dir, nil)
	defer c.Close()
	tbl := c.Table("t")
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	done := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(done)
		for g := range int64(groups) {
			var keys []any
			for i := range int64(perGroup) {
				keys = append(keys, g+i*groups)
			}
			if _, err := tbl.Delete(ctx, keys, "dpo", ""); err != nil {
				errs <- err
				return
			}
		}
	}()
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for stop := false; !stop; {
				select {
				case <-done:
					stop = true // one more scan after the last DELETE
				default:
				}
				visible := make(map[int64]int)
				s, err := tbl.Scan(ctx, ScanOptions{Columns: []int{0}})
				if err != nil {
					errs <- err
					return
				}
				for {
					b, err := s.Next(ctx)
					if err != nil {
						break
					}
					ids := b.Record.Column(0).(*array.Int64)
					for i := range ids.Len() {
						visible[ids.Value(i)%groups]++
					}
				}
				s.Close()
				for g, cnt := range visible {
					if cnt != perGroup {
						errs <- fmt.Errorf("scan saw %d of %d keys of statement %d", cnt, perGroup, g)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if tbl.RowCount() != 0 || countRows(t, tbl, ScanOptions{}) != 0 {
		t.Errorf("after all DELETEs RowCount %d", tbl.RowCount())
	}
}

func TestVanishedAndChangedFiles(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "t", "a.parquet"), filepath.Join(dir, "t", "b.parquet")
	writeIDs(t, a, span(0, 5))
	writeIDs(t, b, span(5, 10))
	c, _ := reopen(t, dir, nil)
	tbl := c.Table("t")
	if _, err := tbl.Delete(context.Background(), []any{int64(1), int64(6)}, "dpo", ""); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	// b vanishes; a is replaced with other rows, including the deleted key 1.
	if err := os.Remove(b); err != nil {
		t.Fatal(err)
	}
	writeIDs(t, a, []int64{1, 2, 3, 100})
	c2, log := reopen(t, dir, nil)
	tbl = c2.Table("t")
	for _, want := range []string{"vanished", "t/b.parquet", "changed", a} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	// The replaced file is new: the earlier DELETE does not hide its key 1.
	if got := column0(t, tbl, ScanOptions{}); !slices.Equal(got, strs(1, 2, 3, 100)) {
		t.Errorf("ids = %v", got)
	}
	if tbl.RowCount() != 4 {
		t.Errorf("RowCount = %d, want 4", tbl.RowCount())
	}
	m := readManifestFile(t, c2.StateDir(), "t")
	if len(m.Files) != 1 || m.Files[0].Name != "t/a.parquet" || m.Files[0].Seq != 3 {
		t.Errorf("manifest files = %+v, want t/a.parquet at 3", m.Files)
	}

	// The same through Rescan, while serving.
	if _, err := tbl.Delete(context.Background(), []any{int64(2)}, "dpo", ""); err != nil {
		t.Fatal(err)
	}
	oldSnap := tbl.Snapshot()
	running, err := tbl.Scan(context.Background(), ScanOptions{Columns: []int{0}})
	if err != nil {
		t.Fatal(err)
	}
	// Replaced by rename, as a writer must while pqsql serves: open readers
	// keep the old file.
	writeIDs(t, a+".tmp", []int64{2, 200})
	if err := os.Rename(a+".tmp", a); err != nil {
		t.Fatal(err)
	}
	writeIDs(t, b, []int64{2, 300}) // new file
	if err := c2.Rescan(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := column0(t, tbl, ScanOptions{}); !slices.Equal(got, strs(2, 200, 2, 300)) {
		t.Errorf("ids after Rescan = %v", got)
	}
	if tbl.RowCount() != 4 {
		t.Errorf("RowCount after Rescan = %d, want 4", tbl.RowCount())
	}
	// The scan started before and the old snapshot keep the old file set.
	var got []string
	for {
		b, err := running.Next(context.Background())
		if err != nil {
			break
		}
		got = append(got, columnStrings([]*Batch{b}, 0)...)
	}
	running.Close()
	if !slices.Equal(got, strs(1, 3, 100)) {
		t.Errorf("running scan ids = %v, want [1 3 100]", got)
	}
	if got := column0(t, tbl, ScanOptions{Snapshot: oldSnap, RowGroups: oldSnap.RowGroups()}); !slices.Equal(got, strs(1, 3, 100)) {
		t.Errorf("old snapshot ids = %v", got)
	}
	if err := c2.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "_pqsql", "t.manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(data, &raw); err != nil || raw["applied_seq"] == nil {
		t.Errorf("manifest JSON lacks applied_seq: %s", data)
	}
}

func TestRescanNewTableAndBadFile(t *testing.T) {
	dir := t.TempDir()
	writeIDs(t, filepath.Join(dir, "t", "a.parquet"), span(0, 2))
	c, log := reopen(t, dir, nil)
	defer c.Close()
	writeIDs(t, filepath.Join(dir, "u.parquet"), span(0, 3))
	other := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Float64}}, nil)
	writeFile(t, filepath.Join(dir, "t", "bad.parquet"), []arrow.RecordBatch{recordFromJSON(t, other, `[{"x": 1}]`)})
	nullable := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true}, {Name: "name", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	writeFile(t, filepath.Join(dir, "t", "nullable.parquet"), []arrow.RecordBatch{recordFromJSON(t, nullable, `[{"id": null, "name": "x"}]`)})
	if err := c.Rescan(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := tableNames(c); !slices.Equal(got, []string{"t", "u"}) {
		t.Errorf("tables = %v", got)
	}
	if u := c.Table("u"); u == nil || u.RowCount() != 3 || u.Err() != nil {
		t.Errorf("new table u = %v", u)
	}
	if got := len(c.Table("t").Files()); got != 1 {
		t.Errorf("t has %d files, want 1 (bad ones skipped)", got)
	}
	for _, want := range []string{"bad.parquet", "nullable.parquet"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	// Nothing changed: a second Rescan reserves no sequence number.
	next := c.Table("t").NextSeq()
	if err := c.Rescan(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c.Table("t").NextSeq() != next {
		t.Errorf("idle Rescan took a sequence number")
	}
}

func TestLostStateFiles(t *testing.T) {
	dir := t.TempDir()
	writeIDs(t, filepath.Join(dir, "t.parquet"), span(0, 5))
	writeIDs(t, filepath.Join(dir, "u.parquet"), span(0, 5))
	c, _ := reopen(t, dir, nil)
	if _, err := c.Table("t").Delete(context.Background(), []any{int64(2)}, "dpo", ""); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	// Without its manifest, the files are registered at 0: no deleted row
	// comes back.
	mpath := filepath.Join(dir, "_pqsql", "t.manifest.json")
	if err := os.Remove(mpath); err != nil {
		t.Fatal(err)
	}
	c2, log := reopen(t, dir, nil)
	tbl := c2.Table("t")
	if got := column0(t, tbl, ScanOptions{}); !slices.Equal(got, strs(0, 1, 3, 4)) || tbl.RowCount() != 4 {
		t.Errorf("ids without manifest = %v, RowCount %d", got, tbl.RowCount())
	}
	if !strings.Contains(log.String(), "manifest missing") {
		t.Errorf("log lacks a warning:\n%s", log)
	}
	if err := c2.Close(); err != nil {
		t.Fatal(err)
	}
	// Without its log, the manifest is ahead of the counter: unavailable.
	if err := os.Remove(filepath.Join(dir, "_pqsql", "u.tlog")); err != nil {
		t.Fatal(err)
	}
	c3, _ := reopen(t, dir, nil)
	defer c3.Close()
	if err := c3.Table("u").Err(); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Err without log = %v, want ErrCorrupt", err)
	}
}

// TestConcurrentRescan runs Rescan, Delete and scans at once (for -race) and
// checks the final counts.
func TestConcurrentRescan(t *testing.T) {
	dir := t.TempDir()
	writeIDs(t, filepath.Join(dir, "t", "f00.parquet"), span(0, 10))
	c, _ := reopen(t, dir, nil)
	defer c.Close()
	tbl := c.Table("t")
	ctx := context.Background()
	const files = 8
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	wg.Add(3)
	go func() {
		defer wg.Done()
		for i := 1; i <= files; i++ {
			path := filepath.Join(dir, "t", fmt.Sprintf("f%02d.parquet", i))
			writeIDs(t, path+".tmp", span(int64(i*10), int64(i*10+10)))
			if err := os.Rename(path+".tmp", path); err != nil {
				errs <- err
				return
			}
			if err := c.Rescan(ctx); err != nil {
				errs <- err
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		for k := int64(0); k < 10; k++ {
			if _, err := tbl.Delete(ctx, []any{k}, "dpo", ""); err != nil {
				errs <- err
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		for range 20 {
			snap := tbl.Snapshot()
			s, err := tbl.Scan(ctx, ScanOptions{Columns: []int{0, 1}, Snapshot: snap, RowGroups: snap.RowGroups()})
			if err != nil {
				errs <- err
				return
			}
			for {
				if _, err := s.Next(ctx); err != nil {
					break
				}
			}
			s.Close()
			_ = tbl.RowCount()
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// Keys 0..9 exist only in f00, registered before every DELETE.
	if got, want := tbl.RowCount(), int64(files*10); got != want {
		t.Errorf("RowCount = %d, want %d", got, want)
	}
	if got := countRows(t, tbl, ScanOptions{}); got != files*10 {
		t.Errorf("scan counts %d rows, want %d", got, files*10)
	}
}

// BenchmarkScanTombstones scans the key and a text column of 256Ki rows
// with no DELETE, and with 1e3 tombstoned keys.
func BenchmarkScanTombstones(b *testing.B) {
	const rows = 1 << 18
	for _, deleted := range []int{0, 1000, 10000} {
		b.Run(fmt.Sprintf("tombstones=%d", deleted), func(b *testing.B) {
			dir := b.TempDir()
			r := idRows(span(0, rows)...)
			writeFile(b, filepath.Join(dir, "t.parquet"), []arrow.RecordBatch{r})
			r.Release()
			c, err := Open(context.Background(), dir, Options{Logger: zerolog.Nop()})
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			tbl := c.Table("t")
			keys := make([]any, deleted)
			for i := range keys {
				keys[i] = int64(i * (rows / deleted))
			}
			if _, err := tbl.Delete(context.Background(), keys, "bench", ""); err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.ResetTimer()
			for range b.N {
				// As the engine scans: batches with deleted rows in them
				// list the visible ones (Selection).
				s, err := tbl.Scan(ctx, ScanOptions{Columns: []int{0, 1}, Selection: true})
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				for {
					bt, err := s.Next(ctx)
					if err != nil {
						break
					}
					n += bt.Len()
				}
				s.Close()
				if n != rows-deleted {
					b.Fatalf("scanned %d rows, want %d", n, rows-deleted)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
		})
	}
}

func TestLeftoverTempManifestRemoved(t *testing.T) {
	dir := t.TempDir()
	writeIDs(t, filepath.Join(dir, "t.parquet"), span(0, 3))
	c, _ := reopen(t, dir, nil)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(dir, "_pqsql", "t.manifest.json.tmp")
	if err := os.WriteFile(tmp, []byte(`{"half":`), 0o644); err != nil {
		t.Fatal(err)
	}
	c2, _ := reopen(t, dir, nil)
	defer c2.Close()
	if _, err := os.Stat(tmp); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("leftover temp manifest still there: %v", err)
	}
	if tbl := c2.Table("t"); tbl.Err() != nil || tbl.RowCount() != 3 || tbl.NextSeq() != 2 {
		t.Errorf("table after crash leftover: Err %v, RowCount %d, NextSeq %d", tbl.Err(), tbl.RowCount(), tbl.NextSeq())
	}
}
