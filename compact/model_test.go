package compact

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/pqsql/pqsql/tables"
)

// TestVacuumModel runs random sequences of DELETE, file additions (with
// Rescan), VACUUM, VACUUMs crashed at a random operation, and restarts,
// checking the visible rows against an in-memory model after each step,
// and after each completed VACUUM that the raw rows are exactly those.
func TestVacuumModel(t *testing.T) {
	seeds := uint64(8)
	if testing.Short() {
		seeds = 2
	}
	for seed := uint64(1); seed <= seeds; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 42))
			dir := t.TempDir()
			var model []row
			addFile := func(n int, ids []int64) {
				var rows []row
				for _, id := range ids {
					rows = append(rows, row{ID: id, Name: fmt.Sprintf("f%d-%d", n, id)})
				}
				writeRows(t, filepath.Join(dir, "t", fmt.Sprintf("f%03d.parquet", n)), rows, 1+rng.IntN(8))
				model = append(model, rows...)
				sortRows(model)
			}
			randIDs := func(n int) []int64 {
				var ids []int64
				for len(ids) < n {
					id := rng.Int64N(60)
					if !slices.Contains(ids, id) {
						ids = append(ids, id)
					}
				}
				return ids
			}
			addFile(0, randIDs(30))
			c := openCat(t, dir)
			defer func() { _ = c.Close() }()
			files := 1
			restart := func() {
				_ = c.Close()
				c = openCat(t, dir)
			}
			for step := range 40 {
				tbl := table(t, c, "t")
				var what string
				switch op := rng.IntN(7); op {
				case 0, 1, 2:
					ids := randIDs(1 + rng.IntN(3))
					what = fmt.Sprintf("delete %v", ids)
					deleteIDs(t, tbl, ids...)
					model = without(model, ids...)
				case 3:
					ids := randIDs(1 + rng.IntN(6))
					what = fmt.Sprintf("add file %d %v", files, ids)
					addFile(files, ids)
					files++
					if err := c.Rescan(context.Background()); err != nil {
						t.Fatal(err)
					}
				case 4:
					what = "vacuum"
					vacuum(t, tbl)
					if raw := scanRows(t, tbl, true); !slices.Equal(raw, model) {
						t.Fatalf("step %d (%s): raw rows %v, want %v", step, what, raw, model)
					}
				case 5:
					ffs := &faultFS{inner: tables.OSFS(), failAt: 1 + rng.IntN(45), crash: true}
					what = fmt.Sprintf("vacuum crashing at %d", ffs.failAt)
					_, _ = Vacuum(context.Background(), tbl, Options{AuditSecret: testSecret, fs: ffs, hook: ffs.hook})
					restart()
				case 6:
					what = "restart"
					restart()
				}
				tbl = table(t, c, "t")
				if got := scanRows(t, tbl, false); !slices.Equal(got, model) {
					t.Fatalf("step %d (%s): rows %v\nwant %v", step, what, got, model)
				}
				if tbl.RowCount() != int64(len(model)) {
					t.Fatalf("step %d (%s): RowCount %d, want %d", step, what, tbl.RowCount(), len(model))
				}
				if tmp := tempFiles(t, dir); len(tmp) != 0 {
					t.Fatalf("step %d (%s): temp files %q", step, what, tmp)
				}
			}
			// A final VACUUM erases everything deleted.
			restart()
			tbl := table(t, c, "t")
			vacuum(t, tbl)
			if raw := scanRows(t, tbl, true); !slices.Equal(raw, model) {
				t.Fatalf("final raw rows %v, want %v", raw, model)
			}
			if len(tbl.Tombstones()) != 0 || len(tbl.Files()) != 1 {
				t.Fatalf("final: %d tombstones, files %q", len(tbl.Tombstones()), tbl.Files())
			}
		})
	}
}
