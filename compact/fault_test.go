package compact

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pqsql/pqsql/tables"
)

// TestVacuumFaults fails operation i of a VACUUM (file system operations
// and steps), for every i in turn, then restarts (reopens the catalog) and
// checks: no deleted row visible, every live row present, no temp files,
// and the next VACUUM completes and erases the deleted rows. With crash
// set, every operation after the failing one fails too, as if the process
// died there, so no cleanup runs.
func TestVacuumFaults(t *testing.T) {
	layouts := []struct {
		name  string
		table string
		setup func(t testing.TB, dir string) []row
	}{
		{"dir", "t", newDirTable},
		{"file", "s", func(t testing.TB, dir string) []row {
			writeRows(t, filepath.Join(dir, "s.parquet"), rowsOf(0, 200), 64)
			return rowsOf(0, 200)
		}},
	}
	deleted := []int64{0, 42, 120, 199}
	for _, l := range layouts {
		for _, crash := range []bool{false, true} {
			name := l.name + "/error"
			if crash {
				name = l.name + "/crash"
			}
			t.Run(name, func(t *testing.T) {
				template := t.TempDir()
				all := l.setup(t, template)
				want := without(all, deleted...)
				for i := 1; ; i++ {
					if i > 500 {
						t.Fatal("VACUUM never completed")
					}
					dir := t.TempDir()
					copyDir(t, template, dir)
					completed := runFault(t, dir, l.table, i, crash, deleted, want)
					if completed {
						t.Logf("%s: %d operations", name, i-1)
						break
					}
				}
			})
		}
	}
}

// runFault runs one VACUUM failing at operation i and checks the restart.
// It reports whether the VACUUM finished before reaching operation i.
func runFault(t *testing.T, dir, name string, i int, crash bool, deleted []int64, want []row) bool {
	t.Helper()
	ctx := context.Background()
	c := openCat(t, dir)
	tbl := table(t, c, name)
	deleteIDs(t, tbl, deleted[:2]...)
	deleteIDs(t, tbl, deleted[2:]...)
	ffs := &faultFS{inner: tables.OSFS(), failAt: i, crash: crash}
	_, err := Vacuum(ctx, tbl, Options{Actor: "admin", AuditSecret: testSecret, fs: ffs, hook: ffs.hook})
	completed := ffs.ops < i
	step := "completed"
	if !completed {
		step = ffs.log[i-1]
	}
	if completed && err != nil {
		t.Fatalf("op %d: VACUUM without fault failed: %v", i, err)
	}
	if !completed && err == nil {
		t.Fatalf("op %d (%s): VACUUM succeeded despite the fault", i, step)
	}
	if !completed && !crash {
		if !errors.Is(err, errInjected) {
			t.Errorf("op %d (%s): error %v does not wrap the injected fault", i, step, err)
		}
		// The running server still serves the right rows.
		if got := scanRows(t, tbl, false); !slices.Equal(got, want) {
			t.Errorf("op %d (%s): before restart: %d rows, want %d", i, step, len(got), len(want))
		}
	}
	_ = c.Close()

	// Restart.
	c2 := openCat(t, dir)
	defer c2.Close()
	tbl2 := table(t, c2, name)
	if got := scanRows(t, tbl2, false); !slices.Equal(got, want) {
		t.Fatalf("op %d (%s): after restart: %d rows, want %d", i, step, len(got), len(want))
	}
	if tbl2.RowCount() != int64(len(want)) {
		t.Errorf("op %d (%s): RowCount %d, want %d", i, step, tbl2.RowCount(), len(want))
	}
	if tmp := tempFiles(t, dir); len(tmp) != 0 {
		t.Errorf("op %d (%s): temp files after restart: %q", i, step, tmp)
	}
	raw := scanRows(t, tbl2, true)
	if len(raw) != len(want) && len(raw) != len(want)+len(deleted) {
		t.Errorf("op %d (%s): %d raw rows, want %d or %d", i, step, len(raw), len(want), len(want)+len(deleted))
	}
	// The next VACUUM completes and erases.
	vacuum(t, tbl2)
	if got := scanRows(t, tbl2, true); !slices.Equal(got, want) {
		t.Errorf("op %d (%s): after the next VACUUM: %d raw rows, want %d", i, step, len(got), len(want))
	}
	if n := len(tbl2.Tombstones()); n != 0 {
		t.Errorf("op %d (%s): %d tombstones left", i, step, n)
	}
	if tmp := tempFiles(t, dir); len(tmp) != 0 {
		t.Errorf("op %d (%s): temp files: %q", i, step, tmp)
	}
	if files := tbl2.Files(); len(files) != 1 {
		t.Errorf("op %d (%s): files %q", i, step, files)
	}
	if name == "t" {
		entries, _ := os.ReadDir(filepath.Join(dir, "t"))
		if len(entries) != 1 || !strings.HasPrefix(entries[0].Name(), "vacuum-") {
			t.Errorf("op %d (%s): directory holds %v", i, step, entries)
		}
	}
	er, err := Erasures(tbl2)
	if err != nil {
		t.Fatalf("op %d (%s): Erasures: %v", i, step, err)
	}
	if len(er) != len(deleted) {
		t.Errorf("op %d (%s): %d erasure records, want %d", i, step, len(er), len(deleted))
	}
	return completed
}
