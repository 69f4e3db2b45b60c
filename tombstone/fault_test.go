package tombstone

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"
)

var errInjected = errors.New("injected fault")

// faultFS passes operations to the real file system except operation number
// failAt (counting from 0), which fails. A failed write first writes half of
// its data, as a torn write would. With crash set, every operation after
// the failed one fails too, as if the process had died there: no cleanup
// runs.
type faultFS struct {
	inner fileSystem
	crash bool

	mu       sync.Mutex
	failAt   int
	ops      int
	injected string // the failed operation, once it has failed
}

func (f *faultFS) fail(op string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := f.ops
	f.ops++
	if f.crash && f.injected != "" {
		return true
	}
	if n == f.failAt {
		f.injected = fmt.Sprintf("#%d %s", n, op)
		return true
	}
	return false
}

func (f *faultFS) MkdirAll(dir string) error {
	if f.fail("mkdir") {
		return errInjected
	}
	return f.inner.MkdirAll(dir)
}

func (f *faultFS) OpenFile(name string) (file, error) {
	if f.fail("open") {
		return nil, errInjected
	}
	fl, err := f.inner.OpenFile(name)
	if err != nil {
		return nil, err
	}
	return &faultFile{fs: f, inner: fl}, nil
}

func (f *faultFS) Create(name string) (file, error) {
	if f.fail("create") {
		return nil, errInjected
	}
	fl, err := f.inner.Create(name)
	if err != nil {
		return nil, err
	}
	return &faultFile{fs: f, inner: fl}, nil
}

func (f *faultFS) Rename(oldname, newname string) error {
	if f.fail("rename") {
		return errInjected
	}
	return f.inner.Rename(oldname, newname)
}

func (f *faultFS) Remove(name string) error {
	if f.fail("remove") {
		return errInjected
	}
	return f.inner.Remove(name)
}

func (f *faultFS) SyncDir(dir string) error {
	if f.fail("syncdir") {
		return errInjected
	}
	return f.inner.SyncDir(dir)
}

type faultFile struct {
	fs    *faultFS
	inner file
}

func (f *faultFile) ReadAt(p []byte, off int64) (int, error) {
	if f.fs.fail("read") {
		return 0, errInjected
	}
	return f.inner.ReadAt(p, off)
}

func (f *faultFile) WriteAt(p []byte, off int64) (int, error) {
	if f.fs.fail("write") {
		n, _ := f.inner.WriteAt(p[:len(p)/2], off)
		return n, errInjected
	}
	return f.inner.WriteAt(p, off)
}

func (f *faultFile) Size() (int64, error) {
	if f.fs.fail("stat") {
		return 0, errInjected
	}
	return f.inner.Size()
}

func (f *faultFile) Sync() error {
	if f.fs.fail("sync") {
		return errInjected
	}
	return f.inner.Sync()
}

func (f *faultFile) Truncate(size int64) error {
	if f.fs.fail("truncate") {
		return errInjected
	}
	return f.inner.Truncate(size)
}

func (f *faultFile) Lock() error {
	if f.fs.fail("lock") {
		return errInjected
	}
	return f.inner.Lock()
}

func (f *faultFile) Close() error {
	err := f.inner.Close()
	if f.fs.fail("close") {
		return errInjected
	}
	return err
}

// tombRow is a tombstone reduced to what the fault test compares.
type tombRow struct {
	Seq uint64
	Key Key
}

func rowsOf(l *Log) []tombRow {
	var rows []tombRow
	for _, tb := range l.All() {
		rows = append(rows, tombRow{tb.Seq, tb.Key})
	}
	return rows
}

// faultStep is one operation of the fault test's workload. apply runs it;
// model returns the expected tombstones and next sequence number after it
// succeeds, given those before it.
type faultStep struct {
	name  string
	apply func(ctx context.Context, l *Log) error
	model func(rows []tombRow, next uint64) ([]tombRow, uint64)
}

func appendStep(keys ...Key) faultStep {
	return faultStep{
		name: fmt.Sprintf("append %v", keys),
		apply: func(ctx context.Context, l *Log) error {
			_, err := l.Append(ctx, ts(keys...))
			return err
		},
		model: func(rows []tombRow, next uint64) ([]tombRow, uint64) {
			rows = slices.Clone(rows)
			for _, k := range keys {
				rows = append(rows, tombRow{next, k})
			}
			return rows, next + 1
		},
	}
}

func dropStep(upTo uint64, keep Key) faultStep {
	return faultStep{
		name: fmt.Sprintf("drop <= %d except %v", upTo, keep),
		apply: func(ctx context.Context, l *Log) error {
			return l.DropApplied(ctx, upTo, func(tb Tombstone) bool { return tb.Key != keep })
		},
		model: func(rows []tombRow, next uint64) ([]tombRow, uint64) {
			var out []tombRow
			for _, r := range rows {
				if r.Seq > upTo || r.Key == keep {
					out = append(out, r)
				}
			}
			return out, next
		},
	}
}

var reserveStep = faultStep{
	name: "reserve",
	apply: func(ctx context.Context, l *Log) error {
		_, err := l.ReserveSeq(ctx)
		return err
	},
	model: func(rows []tombRow, next uint64) ([]tombRow, uint64) { return rows, next + 1 },
}

// faultWorkload exercises every write path.
func faultWorkload() []faultStep {
	return []faultStep{
		appendStep(IntKey(1), IntKey(2)),           // seq 1
		appendStep(IntKey(3), TextKey("three")),    // seq 2
		reserveStep,                                // seq 3
		dropStep(1, IntKey(2)),                     // drops key 1
		appendStep(IntKey(1), IntKey(4)),           // seq 4
		dropStep(3, Key{}),                         // drops keys 2, 3, three
		appendStep(TextKey("five"), BoolKey(true)), // seq 5
	}
}

// runWorkload opens a log on fsys and runs the workload until a step fails.
// It returns the log (nil if Open failed), the acknowledged tombstones and
// next sequence number, and the index of the failed step: -1 for none, -2
// for Open.
func runWorkload(ctx context.Context, t *testing.T, ffs *faultFS, dir string, workload []faultStep) (l *Log, rows []tombRow, next uint64, failed int) {
	t.Helper()
	next, failed = 1, -1
	l, err := openLog(ctx, ffs, dir, testTable, zerolog.Nop())
	if err != nil {
		return nil, nil, next, -2
	}
	for si, st := range workload {
		if err := st.apply(ctx, l); err != nil {
			if !errors.Is(err, errInjected) {
				t.Fatalf("fault %s: step %q: unexpected error %v", ffs.injected, st.name, err)
			}
			return l, rows, next, si
		}
		rows, next = st.model(rows, next)
		if got := rowsOf(l); !reflect.DeepEqual(got, rows) {
			t.Fatalf("fault %s: after %q in memory %v, want %v", ffs.injected, st.name, got, rows)
		}
	}
	return l, rows, next, -1
}

// TestFaultInjection fails filesystem operation i, for i = 0, 1, 2, ... until
// the workload runs without reaching it, either as an error the code sees
// and handles, or as a crash at that operation. After each failure the log
// is reopened on the real file system and must hold either the state before
// the failed operation or the state after it, never a mix, with every
// acknowledged tombstone and sequence number kept, no temp file left, and
// must accept appends.
func TestFaultInjection(t *testing.T) {
	t.Run("error", func(t *testing.T) { testFaults(t, false) })
	t.Run("crash", func(t *testing.T) { testFaults(t, true) })
}

func testFaults(t *testing.T, crash bool) {
	ctx := context.Background()
	workload := faultWorkload()
	for i := 0; ; i++ {
		dir := t.TempDir()
		ffs := &faultFS{inner: osFS{}, failAt: i, crash: crash}
		l, rows, next, failed := runWorkload(ctx, t, ffs, dir, workload)
		if ffs.injected == "" {
			if failed != -1 {
				t.Fatalf("failure without injection")
			}
			_ = l.Close()
			t.Logf("workload needs %d filesystem operations; all failed one by one", ffs.ops)
			if len(rows) == 0 || next < 5 {
				t.Fatalf("workload did not run: %v, next %d", rows, next)
			}
			break
		}
		// A fault can go unreported only where it is harmless (closing
		// the file a rewrite replaced): the full workload's state must then
		// be on disk, which the checks below verify with failed == -1.
		// Allowed outcomes: the acknowledged state, or it plus the failed step.
		before, nextBefore := rows, next
		after, nextAfter := before, nextBefore
		if failed >= 0 && failed < len(workload) {
			after, nextAfter = workload[failed].model(before, nextBefore)
		}
		// A log that failed must refuse writes; one that did not must
		// still accept them durably.
		extra := TextKey("after the fault")
		var extraSeq uint64
		if l != nil && crash {
			_ = l.Close() // releases the lock, as the process's death would
		} else if l != nil {
			seq, err := l.Append(ctx, ts(extra))
			switch {
			case err == nil:
				extraSeq = seq
			case !errors.Is(err, ErrFailed):
				t.Fatalf("fault %s: append after the fault: %v, want ErrFailed or success", ffs.injected, err)
			}
			// fsyncgate: after a failed write or fsync of the live log, or
			// of the directory after a rewrite, the log must refuse writes.
			op := ffs.injected[strings.Index(ffs.injected, " ")+1:]
			liveWrite := failed >= 0 && !strings.HasPrefix(workload[failed].name, "drop") && (op == "write" || op == "sync")
			if (liveWrite || op == "syncdir") && err == nil {
				t.Fatalf("fault %s in step %d: log accepted an append after a failed write", ffs.injected, failed)
			}
			_ = l.Close()
		}

		r, err := Open(ctx, dir, testTable, zerolog.Nop())
		if err != nil {
			t.Fatalf("fault %s in step %d: reopen: %v", ffs.injected, failed, err)
		}
		got := rowsOf(r)
		if extraSeq != 0 {
			if len(got) == 0 || got[len(got)-1] != (tombRow{extraSeq, extra}) {
				t.Fatalf("fault %s in step %d: acknowledged append after the fault lost: %v", ffs.injected, failed, got)
			}
			got = got[:len(got)-1]
		}
		if !reflect.DeepEqual(got, before) && !reflect.DeepEqual(got, after) {
			t.Fatalf("fault %s in step %d: reopened state %v, want %v or %v", ffs.injected, failed, got, before, after)
		}
		if r.NextSeq() < nextBefore || (extraSeq != 0 && r.NextSeq() <= extraSeq) {
			t.Fatalf("fault %s in step %d: NextSeq %d went backwards (acknowledged next %d)", ffs.injected, failed, r.NextSeq(), nextBefore)
		}
		if r.NextSeq() > nextAfter+1 {
			t.Fatalf("fault %s: NextSeq %d jumped", ffs.injected, r.NextSeq())
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 1 {
			t.Fatalf("fault %s: %d directory entries after reopen, want only the log", ffs.injected, len(entries))
		}
		// Still writable.
		if _, err := r.Append(ctx, ts(IntKey(100))); err != nil {
			t.Fatalf("fault %s: append after reopen: %v", ffs.injected, err)
		}
		_ = r.Close()
	}
}

// TestPowerLoss crashes the workload at filesystem operation i, for every i,
// then loses power: only synced file contents and directory entries survive,
// plus none, all or a random part of the unsynced appends. The reopened log
// must hold the state before or after the interrupted step, with every
// acknowledged tombstone and sequence number.
func TestPowerLoss(t *testing.T) {
	ctx := context.Background()
	workload := faultWorkload()
	rng := rand.New(rand.NewPCG(3, 4))
	const dir = "/db"
	for i := 0; ; i++ {
		done := false
		for keep := keepNone; keep <= keepSome; keep++ {
			mem := newMemFS()
			ffs := &faultFS{inner: mem, failAt: i, crash: true}
			l, rows, next, failed := runWorkload(ctx, t, ffs, dir, workload)
			if l != nil {
				_ = l.Close()
			}
			done = ffs.injected == ""
			before, nextBefore := rows, next
			after, nextAfter := before, nextBefore
			if failed >= 0 {
				after, nextAfter = workload[failed].model(before, nextBefore)
			}
			img := mem.powerLoss(keep, rng)
			r, err := openLog(ctx, img, dir, testTable, zerolog.Nop())
			if err != nil {
				t.Fatalf("crash at %s (step %d, keep %d): reopen: %v", ffs.injected, failed, keep, err)
			}
			got := rowsOf(r)
			if !reflect.DeepEqual(got, before) && !reflect.DeepEqual(got, after) {
				t.Fatalf("crash at %s (step %d, keep %d): reopened state %v, want %v or %v", ffs.injected, failed, keep, got, before, after)
			}
			if r.NextSeq() < nextBefore || r.NextSeq() > nextAfter {
				t.Fatalf("crash at %s (step %d, keep %d): NextSeq %d, want %d..%d", ffs.injected, failed, keep, r.NextSeq(), nextBefore, nextAfter)
			}
			if names := img.names(); len(names) != 1 {
				t.Fatalf("crash at %s (keep %d): files after reopen: %v", ffs.injected, keep, names)
			}
			seq, err := r.Append(ctx, ts(IntKey(100)))
			if err != nil {
				t.Fatalf("crash at %s (keep %d): append after reopen: %v", ffs.injected, keep, err)
			}
			// And that append survives a power loss of its own.
			r2, err := openLog(ctx, img.powerLoss(keepNone, rng), dir, testTable, zerolog.Nop())
			if err != nil {
				t.Fatal(err)
			}
			if s, ok := r2.Lookup(IntKey(100)); !ok || s != seq {
				t.Fatalf("crash at %s (keep %d): acknowledged append after recovery lost", ffs.injected, keep)
			}
		}
		if done {
			t.Logf("workload needs %d filesystem operations; crashed at each", i)
			return
		}
	}
}
