package compact

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pqsql/pqsql/tables"
)

// TestVacuumMemoryProfile measures a VACUUM of a bench/gendata events table
// after every 10th id is deleted. It runs only when PQSQL_VACUUM_DATA names
// a directory with events.parquet (see bench/gendata); it is a measurement
// aid, not a regression test.
func TestVacuumMemoryProfile(t *testing.T) {
	src := os.Getenv("PQSQL_VACUUM_DATA")
	if src == "" {
		t.Skip("PQSQL_VACUUM_DATA not set")
	}
	dir := t.TempDir()
	copyFile(t, filepath.Join(src, "events.parquet"), filepath.Join(dir, "events.parquet"))
	ctx := context.Background()
	cat, err := tables.Open(ctx, dir, tables.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	tbl := cat.Table("events")
	n := tbl.RowCount()
	step := int64(10)
	if v, err := strconv.Atoi(os.Getenv("PQSQL_VACUUM_EVERY")); err == nil && v > 0 {
		step = int64(v)
	}
	const batch = 10000
	keys := make([]any, 0, batch)
	for id := int64(0); id < n; id += step {
		keys = append(keys, id)
		if len(keys) == batch {
			if _, err := tbl.Delete(ctx, keys, "bench", "gdpr"); err != nil {
				t.Fatal(err)
			}
			keys = keys[:0]
		}
	}
	if len(keys) > 0 {
		if _, err := tbl.Delete(ctx, keys, "bench", "gdpr"); err != nil {
			t.Fatal(err)
		}
	}
	keys = nil
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	var peak atomic.Uint64
	done := make(chan struct{})
	go func() {
		var ms runtime.MemStats
		for {
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak.Load() {
				if p := os.Getenv("PQSQL_VACUUM_PEAKPROFILE"); p != "" && ms.HeapAlloc > peak.Load()+16<<20 {
					if f, err := os.Create(p); err == nil {
						_ = pprof.Lookup("heap").WriteTo(f, 0)
						f.Close()
					}
				}
				peak.Store(ms.HeapAlloc)
			}
		}
	}()
	if p := os.Getenv("PQSQL_VACUUM_CPUPROFILE"); p != "" {
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			t.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	// CPU time, unlike wall time, does not depend on what else the
	// machine runs.
	cpuBefore := processCPU()
	gcBefore := gcCPU()
	// Peak RSS as bench/run measures it: VmHWM after resetting it (Linux).
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	start := time.Now()
	// The steps' times since start show where the wall time goes.
	var steps []string
	hook := func(step string) error {
		steps = append(steps, step+" "+time.Since(start).Round(time.Millisecond).String())
		return nil
	}
	opts := Options{AuditSecret: testSecret, Actor: "bench", hook: hook}
	// Knobs for comparing settings: PQSQL_VACUUM_RGROWS (RowGroupRows) and
	// PQSQL_VACUUM_BUDGET (MemoryBudget, MiB; negative leaves the limit).
	if v, err := strconv.Atoi(os.Getenv("PQSQL_VACUUM_RGROWS")); err == nil {
		opts.RowGroupRows = v
	}
	if v, err := strconv.Atoi(os.Getenv("PQSQL_VACUUM_BUDGET")); err == nil {
		opts.MemoryBudget = int64(v) << 20
	}
	res, err := Vacuum(ctx, tbl, opts)
	el := time.Since(start)
	close(done)
	if err != nil {
		t.Fatal(err)
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	t.Logf("steps: %v", steps)
	if cpuBefore >= 0 {
		t.Logf("VACUUM CPU (user+sys, whole process): %v, of which GC about %v",
			(processCPU() - cpuBefore).Round(time.Millisecond), (gcCPU() - gcBefore).Round(time.Millisecond))
	}
	if status, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(status), "\n") {
			if strings.HasPrefix(line, "VmHWM:") {
				t.Logf("peak RSS during VACUUM: %s", strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:")))
			}
		}
	}
	t.Logf("rows %d removed %d remaining %d tombstones %d: %v; heap before %d MiB, peak %d MiB, total alloc %d MiB, mallocs %d, GC cycles %d",
		n, res.RowsRemoved, res.RowsRemaining, res.TombstonesApplied, el,
		before.HeapAlloc>>20, peak.Load()>>20, (after.TotalAlloc-before.TotalAlloc)>>20, after.Mallocs-before.Mallocs, after.NumGC-before.NumGC)
}

// gcCPU returns the runtime's estimate of the CPU time spent in garbage
// collection so far.
func gcCPU() time.Duration {
	s := []metrics.Sample{{Name: "/cpu/classes/gc/total:cpu-seconds"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindFloat64 {
		return 0
	}
	return time.Duration(s[0].Value.Float64() * float64(time.Second))
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
