package compact

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pqsql/pqsql/tables"
)

// oldFiles returns the data files of newDirTable.
func oldFiles(dir string) []string {
	return []string{filepath.Join(dir, "t", "a.parquet"), filepath.Join(dir, "t", "b.parquet"), filepath.Join(dir, "t", "c.parquet")}
}

// existing returns the paths that exist.
func existing(paths []string) []string {
	var out []string
	for _, p := range paths {
		if _, err := os.Lstat(p); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// waitGone waits until the table has closed every retired file and none
// of paths exists. A scan releases its files when its producer returns,
// just after Close does.
func waitGone(t *testing.T, tbl *tables.Table, paths []string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for tbl.RetiredFilesOpen() > 0 || len(existing(paths)) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d retired files open, %q still on disk", tbl.RetiredFilesOpen(), existing(paths))
		}
		time.Sleep(time.Millisecond)
	}
}

// countRows reads s to its end.
func countRows(t *testing.T, s tables.Scanner) int64 {
	t.Helper()
	ctx := context.Background()
	var n int64
	for {
		b, err := s.Next(ctx)
		if errors.Is(err, io.EOF) {
			return n
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		n += b.Record.NumRows()
		b.Record.Release()
	}
}

// TestVacuumScanHoldsOldFiles checks the readers' promise: a scan opened
// before a VACUUM reads all its rows after the VACUUM commits, the files it
// reads stay on disk while it is open, and they are removed once it has
// ended (read to its end, or closed).
func TestVacuumScanHoldsOldFiles(t *testing.T) {
	dir := t.TempDir()
	all := newDirTable(t, dir)
	c := openCat(t, dir)
	defer c.Close()
	tbl := table(t, c, "t")
	deleteIDs(t, tbl, 7, 120)
	ctx := context.Background()
	s, err := tbl.Scan(ctx, tables.ScanOptions{Columns: []int{0}, Raw: true})
	if err != nil {
		t.Fatal(err)
	}
	vacuum(t, tbl)
	old := oldFiles(dir)
	if got := existing(old); !slices.Equal(got, old) {
		t.Errorf("while the scan is open, on disk: %q, want %q", got, old)
	}
	if n := tbl.RetiredFilesOpen(); n != 3 {
		t.Errorf("RetiredFilesOpen = %d, want 3", n)
	}
	// A Rescan must not take the held files for new ones.
	if err := c.Rescan(ctx); err != nil {
		t.Fatal(err)
	}
	if n := tbl.RowCount(); n != int64(len(all)-2) {
		t.Errorf("RowCount after Rescan = %d, want %d", n, len(all)-2)
	}
	if n := countRows(t, s); n != int64(len(all)) {
		t.Errorf("scan opened before VACUUM read %d raw rows, want %d", n, len(all))
	}
	// The scan released its files when it reached its end, or does so at
	// Close.
	s.Close()
	waitGone(t, tbl, old)
	if got := scanRows(t, tbl, true); len(got) != len(all)-2 {
		t.Errorf("raw scan after VACUUM: %d rows, want %d", len(got), len(all)-2)
	}
}

// TestVacuumSnapshotHoldsOldFiles checks that a Snapshot holds its files
// until Release, that scans opened with it before Release keep them, and
// that a scan of a released Snapshot fails.
func TestVacuumSnapshotHoldsOldFiles(t *testing.T) {
	dir := t.TempDir()
	all := newDirTable(t, dir)
	c := openCat(t, dir)
	defer c.Close()
	tbl := table(t, c, "t")
	deleteIDs(t, tbl, 3)
	snap := tbl.Snapshot()
	vacuum(t, tbl)
	old := oldFiles(dir)
	if got := existing(old); len(got) != 3 {
		t.Fatalf("while a snapshot holds them, on disk: %q", got)
	}
	ctx := context.Background()
	s, err := tbl.Scan(ctx, tables.ScanOptions{Columns: []int{0}, Snapshot: snap, Raw: true})
	if err != nil {
		t.Fatal(err)
	}
	snap.Release()
	snap.Release() // idempotent
	if n := countRows(t, s); n != int64(len(all)) {
		t.Errorf("scan of the old snapshot read %d raw rows, want %d", n, len(all))
	}
	s.Close()
	waitGone(t, tbl, old)
	if _, err := tbl.Scan(ctx, tables.ScanOptions{Columns: []int{0}, Snapshot: snap}); err == nil {
		t.Error("Scan of a released snapshot whose files are gone succeeded")
	}
}

// TestVacuumCrashWhileHeld checks recovery of files a committed VACUUM
// replaced but readers held when the process died: the next Open removes
// them instead of serving their deleted rows again.
func TestVacuumCrashWhileHeld(t *testing.T) {
	dir := t.TempDir()
	all := newDirTable(t, dir)
	c := openCat(t, dir)
	defer c.Close()
	tbl := table(t, c, "t")
	deleteIDs(t, tbl, 1, 2, 3)
	snap := tbl.Snapshot()
	defer snap.Release()
	vacuum(t, tbl)
	// The state a crash leaves now: copy it.
	crashed := t.TempDir()
	copyDir(t, dir, crashed)
	if got := existing(oldFiles(crashed)); len(got) != 3 {
		t.Fatalf("copy holds %q", got)
	}
	c2 := openCat(t, crashed)
	defer c2.Close()
	tbl2 := table(t, c2, "t")
	if got := existing(oldFiles(crashed)); len(got) != 0 {
		t.Errorf("after recovery, replaced files %q remain", got)
	}
	want := without(all, 1, 2, 3)
	if got := scanRows(t, tbl2, true); !slices.Equal(got, want) {
		t.Errorf("raw scan after recovery: %d rows, want %d", len(got), len(want))
	}
	if n := len(tbl2.Files()); n != 1 {
		t.Errorf("%d files after recovery, want 1", n)
	}
	// A file put under a replaced name since is not removed.
	crashed2 := t.TempDir()
	copyDir(t, dir, crashed2)
	writeRows(t, filepath.Join(crashed2, "t", "a.parquet"), rowsOf(1000, 1010), 10)
	c3 := openCat(t, crashed2)
	defer c3.Close()
	if got := existing(oldFiles(crashed2)); !slices.Equal(got, oldFiles(crashed2)[:1]) {
		t.Errorf("after recovery, on disk: %q, want only the new a.parquet", got)
	}
	if n := table(t, c3, "t").RowCount(); n != int64(len(want)+10) {
		t.Errorf("RowCount = %d, want %d", n, len(want)+10)
	}
}

// TestVacuumCatalogCloseRemovesHeld checks that closing the catalog closes
// and removes the replaced files readers still hold.
func TestVacuumCatalogCloseRemovesHeld(t *testing.T) {
	dir := t.TempDir()
	newDirTable(t, dir)
	c := openCat(t, dir)
	tbl := table(t, c, "t")
	deleteIDs(t, tbl, 9)
	snap := tbl.Snapshot()
	vacuum(t, tbl)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if got := existing(oldFiles(dir)); len(got) != 0 {
		t.Errorf("after Close, on disk: %q", got)
	}
	snap.Release() // after Close: does nothing
	if n := tbl.RetiredFilesOpen(); n != 0 {
		t.Errorf("RetiredFilesOpen = %d after Close", n)
	}
}

// TestVacuumConcurrentReaders runs scans (with and without snapshots),
// DELETEs and VACUUMs together (meant for -race): every scan reads a
// consistent table, and once all are done no replaced file is open or on
// disk.
func TestVacuumConcurrentReaders(t *testing.T) {
	dir := t.TempDir()
	all := newDirTable(t, dir)
	c := openCat(t, dir)
	defer c.Close()
	tbl := table(t, c, "t")
	ctx := context.Background()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for r := range 3 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				opts := tables.ScanOptions{Columns: []int{0}, Raw: true}
				var snap *tables.Snapshot
				if (i+r)%2 == 0 {
					snap = tbl.Snapshot()
					opts.Snapshot = snap
				}
				s, err := tbl.Scan(ctx, opts)
				if err != nil {
					errs <- err
					return
				}
				var n int64
				for {
					b, err := s.Next(ctx)
					if errors.Is(err, io.EOF) {
						break
					}
					if err != nil {
						errs <- err
						s.Close()
						return
					}
					n += b.Record.NumRows()
					b.Record.Release()
				}
				s.Close()
				if snap != nil {
					snap.Release()
				}
				if n == 0 || n > int64(len(all)) {
					errs <- errors.New("raw scan read an impossible row count")
					return
				}
			}
		})
	}
	for id := int64(0); id < 40; id += 4 {
		deleteIDs(t, tbl, id)
		vacuum(t, tbl)
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for tbl.RetiredFilesOpen() > 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := tbl.RetiredFilesOpen(); n != 0 {
		t.Errorf("RetiredFilesOpen = %d after all readers ended", n)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "t"))
	if len(entries) != 1 {
		t.Errorf("table directory holds %d entries, want 1: %v", len(entries), entries)
	}
	if got := scanRows(t, tbl, true); len(got) != len(all)-10 {
		t.Errorf("raw scan: %d rows, want %d", len(got), len(all)-10)
	}
}
