package compact

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"syscall"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/pqsql/pqsql/tables"
	"github.com/pqsql/pqsql/tombstone"
)

// newDirTable writes table t as dir/t/{a,b,c}.parquet with ids 0..199.
func newDirTable(t testing.TB, dir string) []row {
	writeRows(t, filepath.Join(dir, "t", "a.parquet"), rowsOf(0, 100), 30)
	writeRows(t, filepath.Join(dir, "t", "b.parquet"), rowsOf(100, 150), 20)
	writeRows(t, filepath.Join(dir, "t", "c.parquet"), rowsOf(150, 200), 50)
	return rowsOf(0, 200)
}

func TestVacuumDirTable(t *testing.T) {
	dir := t.TempDir()
	all := newDirTable(t, dir)
	c := openCat(t, dir)
	defer c.Close()
	tbl := table(t, c, "t")
	deleted := []int64{0, 5, 120, 199} // 0 and 199 are the key's min and max
	deleteIDs(t, tbl, deleted[:2]...)
	deleteIDs(t, tbl, deleted[2:]...)
	want := without(all, deleted...)

	res := vacuum(t, tbl)
	if !res.Rewritten || res.FilesBefore != 3 || res.FilesAfter != 1 || res.RowsRemoved != 4 || res.RowsRemaining != 196 || res.TombstonesApplied != 4 {
		t.Errorf("Result = %+v", res)
	}
	if res.BytesBefore <= 0 || res.BytesAfter <= 0 {
		t.Errorf("bytes before %d after %d", res.BytesBefore, res.BytesAfter)
	}
	out := filepath.Join(dir, "t", "vacuum-"+strconv.FormatUint(res.Seq, 10)+".parquet")
	if got := tbl.Files(); !slices.Equal(got, []string{out}) {
		t.Errorf("Files = %q, want %q", got, out)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "t"))
	if len(entries) != 1 || entries[0].Name() != filepath.Base(out) {
		t.Errorf("directory holds %v", entries)
	}
	for _, raw := range []bool{false, true} {
		if got := scanRows(t, tbl, raw); !slices.Equal(got, want) {
			t.Errorf("raw=%v: %d rows, want %d", raw, len(got), len(want))
		}
	}
	if n := len(tbl.Tombstones()); n != 0 {
		t.Errorf("%d tombstones left", n)
	}
	if tbl.RowCount() != 196 || tbl.RawRowCount() != 196 {
		t.Errorf("RowCount %d RawRowCount %d", tbl.RowCount(), tbl.RawRowCount())
	}
	er, err := Erasures(tbl)
	if err != nil {
		t.Fatal(err)
	}
	if len(er) != 4 {
		t.Fatalf("Erasures = %+v", er)
	}
	for i, e := range er {
		wantHash := KeyHash(testSecret, tombstone.IntKey(deleted[i]))
		if e.Table != "t" || e.KeyColumn != "id" || e.KeyHash != wantHash || e.RowsRemoved != 1 ||
			e.Actor != "alice" || e.Reason != "gdpr" || e.VacuumedBy != "admin" || e.VacuumSeq != res.Seq || e.DeletedAt.IsZero() {
			t.Errorf("erasure %d = %+v", i, e)
		}
	}
	checkFormat(t, out)

	// The replaced files' readers close once nothing references them.
	waitRetired(t, tbl)

	// A second VACUUM changes nothing.
	before := fileBytes(t, dir)
	res2 := vacuum(t, tbl)
	if res2.Rewritten || res2.FilesAfter != 1 || res2.RowsRemaining != 196 {
		t.Errorf("second Result = %+v", res2)
	}
	if !sameBytes(before, fileBytes(t, dir)) {
		t.Error("second VACUUM changed files")
	}

	// After a restart.
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	c2 := openCat(t, dir)
	defer c2.Close()
	tbl2 := table(t, c2, "t")
	if got := scanRows(t, tbl2, true); !slices.Equal(got, want) {
		t.Errorf("after reopen: %d rows, want %d", len(got), len(want))
	}
	if tbl2.AppliedSeq() != res.Seq {
		t.Errorf("AppliedSeq = %d, want %d", tbl2.AppliedSeq(), res.Seq)
	}
	if er2, _ := Erasures(tbl2); len(er2) != 4 {
		t.Errorf("Erasures after reopen = %d records", len(er2))
	}
}

// checkFormat checks that path kept the test files' schema, key-value
// metadata and codec.
func checkFormat(t *testing.T, path string) {
	t.Helper()
	ref := filepath.Join(t.TempDir(), "ref.parquet")
	writeRows(t, ref, rowsOf(0, 1), 1)
	want := readSchema(t, ref)
	if got := readSchema(t, path); !got.Equal(want) {
		t.Errorf("schema = %v\nwant %v", got, want)
	}
	r, err := file.OpenParquetFile(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	md := r.MetaData()
	if v := md.KeyValueMetadata().FindValue("owner"); v == nil || *v != "pqsql-test" {
		t.Errorf("key-value metadata owner = %v", v)
	}
	if md.NumRowGroups() > 0 {
		cc, _ := md.RowGroup(0).ColumnChunk(0)
		if cc.Compression().String() != "SNAPPY" {
			t.Errorf("codec %s", cc.Compression())
		}
	}
}

// readSchema returns the Arrow schema pqarrow reads from path.
func readSchema(t *testing.T, path string) *arrow.Schema {
	t.Helper()
	r, err := file.OpenParquetFile(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	fr, err := pqarrow.NewFileReader(r, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := fr.Schema()
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// waitRetired collects garbage until the table has closed every replaced
// file (each is closed once unreachable).
func waitRetired(t *testing.T, tbl *tables.Table) {
	t.Helper()
	for i := 0; tbl.RetiredFilesOpen() > 0; i++ {
		if i == 1000 {
			t.Fatalf("%d replaced files still open", tbl.RetiredFilesOpen())
		}
		runtime.GC()
		runtime.Gosched()
	}
}

func TestVacuumSingleFileTable(t *testing.T) {
	dir := t.TempDir()
	all := rowsOf(10, 60)
	writeRows(t, filepath.Join(dir, "s.parquet"), all, 16)
	c := openCat(t, dir)
	defer c.Close()
	tbl := table(t, c, "s")
	deleteIDs(t, tbl, 10, 33, 59)
	res := vacuum(t, tbl)
	if res.FilesBefore != 1 || res.FilesAfter != 1 || res.RowsRemoved != 3 || res.RowsRemaining != 47 {
		t.Errorf("Result = %+v", res)
	}
	if got := tbl.Files(); !slices.Equal(got, []string{filepath.Join(dir, "s.parquet")}) {
		t.Errorf("Files = %q", got)
	}
	want := without(all, 10, 33, 59)
	if got := scanRows(t, tbl, true); !slices.Equal(got, want) {
		t.Errorf("raw scan: %d rows, want %d", len(got), len(want))
	}
	if tmp := tempFiles(t, dir); len(tmp) != 0 {
		t.Errorf("temp files left: %q", tmp)
	}
	checkFormat(t, filepath.Join(dir, "s.parquet"))
	c.Close()
	c2 := openCat(t, dir)
	defer c2.Close()
	if got := scanRows(t, table(t, c2, "s"), true); !slices.Equal(got, want) {
		t.Errorf("after reopen: %d rows, want %d", len(got), len(want))
	}
}

// TestVacuumKeepsReaders checks that a scan started before a VACUUM reads
// the old files to its end, and that they are closed once it is done.
func TestVacuumKeepsReaders(t *testing.T) {
	dir := t.TempDir()
	all := newDirTable(t, dir)
	c := openCat(t, dir)
	defer c.Close()
	tbl := table(t, c, "t")
	deleteIDs(t, tbl, 7)
	snap := tbl.Snapshot()
	vacuum(t, tbl)
	ctx := context.Background()
	s, err := tbl.Scan(ctx, tables.ScanOptions{Columns: []int{0}, Snapshot: snap, Raw: true})
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for {
		b, err := s.Next(ctx)
		if err != nil {
			break
		}
		n += b.Record.NumRows()
		b.Record.Release()
	}
	s.Close()
	if n != int64(len(all)) {
		t.Errorf("old snapshot read %d raw rows, want %d", n, len(all))
	}
	if tbl.RetiredFilesOpen() != 3 {
		t.Errorf("RetiredFilesOpen = %d while a snapshot holds them, want 3", tbl.RetiredFilesOpen())
	}
	runtime.KeepAlive(snap)
	snap = nil
	waitRetired(t, tbl)
}

func TestVacuumENOSPC(t *testing.T) {
	for _, errno := range []syscall.Errno{syscall.ENOSPC, syscall.EIO} {
		t.Run(errno.Error(), func(t *testing.T) {
			dir := t.TempDir()
			all := newDirTable(t, dir)
			c := openCat(t, dir)
			defer c.Close()
			tbl := table(t, c, "t")
			deleteIDs(t, tbl, 3, 150)
			before := fileBytes(t, filepath.Join(dir, "t"))
			// Fail the third write of the data file.
			ffs := &faultFS{inner: tables.OSFS(), failAt: 3, err: errno, only: func(op string) bool { return len(op) > 6 && op[:6] == "write " }}
			_, err := Vacuum(context.Background(), tbl, Options{AuditSecret: testSecret, fs: ffs, hook: ffs.hook})
			if !errors.Is(err, errno) {
				t.Fatalf("Vacuum error = %v, want %v", err, errno)
			}
			if !sameBytes(before, fileBytes(t, filepath.Join(dir, "t"))) {
				t.Error("data files changed")
			}
			if tmp := tempFiles(t, dir); len(tmp) != 0 {
				t.Errorf("temp files left: %q", tmp)
			}
			want := without(all, 3, 150)
			if got := scanRows(t, tbl, false); !slices.Equal(got, want) {
				t.Errorf("after failed VACUUM: %d rows, want %d", len(got), len(want))
			}
			if len(tbl.Tombstones()) != 2 {
				t.Errorf("%d tombstones, want 2", len(tbl.Tombstones()))
			}
			res := vacuum(t, tbl)
			if res.RowsRemoved != 2 {
				t.Errorf("retry Result = %+v", res)
			}
			if got := scanRows(t, tbl, true); !slices.Equal(got, want) {
				t.Errorf("after retry: %d raw rows, want %d", len(got), len(want))
			}
		})
	}
}

// TestVacuumDeleteWhilePaused deletes a row and adds a file while a VACUUM
// is paused after its snapshot.
func TestVacuumDeleteWhilePaused(t *testing.T) {
	dir := t.TempDir()
	all := newDirTable(t, dir)
	c := openCat(t, dir)
	defer c.Close()
	tbl := table(t, c, "t")
	deleteIDs(t, tbl, 1)
	paused, resume := make(chan struct{}), make(chan struct{})
	hook := func(step string) error {
		if step == "snapshot" {
			close(paused)
			<-resume
		}
		return nil
	}
	type result struct {
		res Result
		err error
	}
	done := make(chan result)
	go func() {
		res, err := Vacuum(context.Background(), tbl, Options{AuditSecret: testSecret, hook: hook})
		done <- result{res, err}
	}()
	<-paused
	deleteIDs(t, tbl, 2, 101)
	// A second VACUUM waits for the first.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Vacuum(ctx, tbl, Options{AuditSecret: testSecret}); !errors.Is(err, context.Canceled) {
		t.Errorf("concurrent VACUUM error = %v, want context.Canceled", err)
	}
	// A file added meanwhile, with a key deleted before.
	writeRows(t, filepath.Join(dir, "t", "d.parquet"), []row{{ID: 1, Name: "again"}, {ID: 500, Name: "name500"}}, 10)
	if err := c.Rescan(context.Background()); err != nil {
		t.Fatal(err)
	}
	close(resume)
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.res.RowsRemoved != 1 || r.res.TombstonesApplied != 1 || r.res.FilesAfter != 2 {
		t.Errorf("Result = %+v", r.res)
	}
	want := append(without(all, 1, 2, 101), row{1, "again"}, row{500, "name500"})
	sortRows(want)
	if got := scanRows(t, tbl, false); !slices.Equal(got, want) {
		t.Errorf("after VACUUM: %v rows, want %v", len(got), len(want))
	}
	if got := tbl.RowCount(); got != int64(len(want)) {
		t.Errorf("RowCount = %d, want %d", got, len(want))
	}
	// 2 and 101 were deleted after the snapshot: still tombstones, still on disk.
	var kept []int64
	for _, ts := range tbl.Tombstones() {
		kept = append(kept, ts.Key.Int())
	}
	slices.Sort(kept)
	if !slices.Equal(kept, []int64{2, 101}) {
		t.Errorf("tombstones left: %v, want [2 101]", kept)
	}
	if raw := scanRows(t, tbl, true); len(raw) != len(want)+2 {
		t.Errorf("raw rows %d, want %d", len(raw), len(want)+2)
	}
	// Survives a restart, and the next VACUUM erases them.
	c.Close()
	c2 := openCat(t, dir)
	defer c2.Close()
	tbl2 := table(t, c2, "t")
	if got := scanRows(t, tbl2, false); !slices.Equal(got, want) {
		t.Errorf("after reopen: %d rows, want %d", len(got), len(want))
	}
	res := vacuum(t, tbl2)
	if res.RowsRemoved != 2 || res.FilesAfter != 1 {
		t.Errorf("second Result = %+v", res)
	}
	if got := scanRows(t, tbl2, true); !slices.Equal(got, want) {
		t.Errorf("after second VACUUM: %d raw rows, want %d", len(got), len(want))
	}
	if len(tbl2.Tombstones()) != 0 {
		t.Errorf("tombstones left: %d", len(tbl2.Tombstones()))
	}
}

// TestVacuumConflict removes a data file while a VACUUM is paused: the
// VACUUM must not bring its rows back, so it fails and changes nothing.
func TestVacuumConflict(t *testing.T) {
	dir := t.TempDir()
	all := newDirTable(t, dir)
	c := openCat(t, dir)
	defer c.Close()
	tbl := table(t, c, "t")
	deleteIDs(t, tbl, 4)
	hook := func(step string) error {
		if step == "written" {
			if err := os.Remove(filepath.Join(dir, "t", "b.parquet")); err != nil {
				return err
			}
			return c.Rescan(context.Background())
		}
		return nil
	}
	_, err := Vacuum(context.Background(), tbl, Options{AuditSecret: testSecret, hook: hook})
	if !errors.Is(err, tables.ErrVacuumConflict) {
		t.Fatalf("Vacuum error = %v, want ErrVacuumConflict", err)
	}
	if tmp := tempFiles(t, dir); len(tmp) != 0 {
		t.Errorf("temp files left: %q", tmp)
	}
	var want []row
	for _, r := range without(all, 4) {
		if r.ID < 100 || r.ID >= 150 {
			want = append(want, r)
		}
	}
	if got := scanRows(t, tbl, false); !slices.Equal(got, want) {
		t.Errorf("%d rows, want %d", len(got), len(want))
	}
	if er, _ := Erasures(tbl); len(er) != 0 {
		t.Errorf("uncommitted erasures listed: %+v", er)
	}
	res := vacuum(t, tbl)
	if res.RowsRemoved != 1 || res.FilesAfter != 1 {
		t.Errorf("retry Result = %+v", res)
	}
	if got := scanRows(t, tbl, true); !slices.Equal(got, want) {
		t.Errorf("after retry: %d raw rows, want %d", len(got), len(want))
	}
	if er, _ := Erasures(tbl); len(er) != 1 {
		t.Errorf("Erasures = %+v, want 1", er)
	}
}

// TestVacuumScatteredDeletes deletes every third row of large row groups,
// so that the rewrite filters its batches rather than slicing them, and
// checks every column of the rewritten file, nested and nullable ones
// included, against the rows expected.
func TestVacuumScatteredDeletes(t *testing.T) {
	dir := t.TempDir()
	all := rowsOf(0, 5000)
	writeRows(t, filepath.Join(dir, "t", "a.parquet"), all[:3000], 1000)
	writeRows(t, filepath.Join(dir, "t", "b.parquet"), all[3000:], 700)
	c := openCat(t, dir)
	defer c.Close()
	tbl := table(t, c, "t")
	var deleted []int64
	for id := int64(0); id < 5000; id += 3 {
		deleted = append(deleted, id)
	}
	deleteIDs(t, tbl, deleted...)
	want := without(all, deleted...)
	res := vacuum(t, tbl)
	if res.RowsRemoved != int64(len(deleted)) || res.RowsRemaining != int64(len(want)) || res.TombstonesApplied != len(deleted) {
		t.Fatalf("Result = %+v", res)
	}
	files := tbl.Files()
	if len(files) != 1 {
		t.Fatalf("Files = %q", files)
	}
	f, err := os.Open(files[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tab, err := pqarrow.ReadTable(context.Background(), f, nil, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Release()
	if tab.NumRows() != int64(len(want)) {
		t.Fatalf("%d rows, want %d", tab.NumRows(), len(want))
	}
	tr := array.NewTableReader(tab, 1<<20)
	defer tr.Release()
	i := 0
	for tr.Next() {
		rec := tr.RecordBatch()
		ids := rec.Column(0).(*array.Int64)
		names := rec.Column(1).(*array.String)
		scores := rec.Column(2).(*array.Float64)
		tags := rec.Column(3).(*array.List)
		tagVals := tags.ListValues().(*array.String)
		for j := range int(rec.NumRows()) {
			w := want[i]
			i++
			if ids.Value(j) != w.ID || names.Value(j) != w.Name {
				t.Fatalf("row %d = %d %q, want %+v", i-1, ids.Value(j), names.Value(j), w)
			}
			if w.ID%2 == 0 {
				if !scores.IsValid(j) || scores.Value(j) != float64(w.ID)/2 {
					t.Fatalf("row %d: score wrong", i-1)
				}
			} else if scores.IsValid(j) {
				t.Fatalf("row %d: score %v, want NULL", i-1, scores.Value(j))
			}
			start, end := tags.ValueOffsets(j)
			if end-start != 2 || tagVals.Value(int(start)) != fmt.Sprintf("t%d", w.ID) || tagVals.Value(int(start)+1) != w.Name {
				t.Fatalf("row %d: tags wrong", i-1)
			}
		}
	}
	er, err := Erasures(tbl)
	if err != nil || len(er) != len(deleted) {
		t.Fatalf("Erasures: %d records, %v", len(er), err)
	}
	for i, e := range er {
		if e.KeyHash != KeyHash(testSecret, tombstone.IntKey(deleted[i])) || e.RowsRemoved != 1 {
			t.Fatalf("erasure %d = %+v", i, e)
		}
	}
}
