package compact

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/rs/zerolog"

	"github.com/pqsql/pqsql/tables"
)

// defaultRowGroupRows is the row group size of a VACUUM's output by default
// when the parallel writer writes it, which also bounds a row group's bytes
// (maxRowGroupBytes). The writer holds a whole row group, encoded and
// compressed, until it is complete: for typical tables a million rows take
// tens of megabytes then, and fewer, larger row groups cost the writer
// less (each starts its dictionaries and their hash tables over) and scans
// no more.
const defaultRowGroupRows = 1 << 20

// defaultNestedRowGroupRows is the default row group size when pqarrow's
// own writer writes the output (tables with nested columns), which bounds
// row groups by rows only: 128Ki rows keep one to a few megabytes for
// typical tables.
const defaultNestedRowGroupRows = 128 << 10

// Options configures Vacuum.
type Options struct {
	// Actor is the user running the VACUUM, recorded in the erasure audit.
	Actor string
	// AuditSecret keys the HMAC-SHA256 that the erasure audit keeps of each
	// erased key instead of the key. It is required when the VACUUM applies
	// tombstones; take it from the server's configuration.
	AuditSecret []byte
	// RowGroupRows bounds the rows of one row group of the rewritten file;
	// 0 means 1Mi, or 128Ki for a table with nested columns. The rows of a
	// row group of a table without nested columns are also bounded to
	// 128MiB in Arrow memory. Peak memory is about one row group of the
	// output, encoded and compressed, plus a few 64Ki-row batches of the
	// input.
	RowGroupRows int
	// MemoryBudget bounds how far the process's memory may grow above its
	// size when the VACUUM starts: the VACUUM lowers the Go runtime's soft
	// memory limit (debug.SetMemoryLimit) to that size plus MemoryBudget
	// while it runs, if that is below the limit set, and restores it after,
	// so that the garbage collector reclaims the rewrite's garbage before
	// the heap doubles. 0 means 192MiB; a negative value leaves the limit
	// alone.
	MemoryBudget int64
	// Logger receives one line per VACUUM.
	Logger zerolog.Logger

	// fs and hook are test seams: fs performs the VACUUM's file operations
	// (nil means tables.OSFS), hook runs at each named step and fails the
	// VACUUM there if it returns an error.
	fs   tables.FS
	hook func(step string) error
}

// Result describes one VACUUM, for PostgreSQL-style INFO lines.
type Result struct {
	// Table is the table's name.
	Table string
	// FilesBefore and FilesAfter count the table's data files.
	FilesBefore, FilesAfter int
	// RowsRemoved is the number of deleted rows physically removed;
	// RowsRemaining the number of rows written to the new file.
	RowsRemoved, RowsRemaining int64
	// BytesBefore and BytesAfter are the total sizes of the data files.
	BytesBefore, BytesAfter int64
	// TombstonesApplied is the number of tombstones applied and dropped.
	TombstonesApplied int
	// Rewritten reports whether files were rewritten; a VACUUM of a table
	// with one file and no tombstones changes nothing.
	Rewritten bool
	// Seq is the sequence number of the snapshot the VACUUM applied.
	Seq      uint64
	Duration time.Duration
}

// Vacuum physically removes the rows that committed DELETEs hid from the
// table, merging all its data files into one new Parquet file, and drops
// the applied tombstones from the log, so that no byte of a deleted row
// stays in the table's files or state (see the package documentation for
// the steps and their crash safety).
//
// One VACUUM runs per table at a time: a second one waits for the first
// (or for ctx), then usually finds nothing to do. DELETEs, scans and
// Rescan go on while it runs; DELETEs committed meanwhile stay tombstones,
// applied by the next VACUUM. A failure before the commit point leaves the
// table as it was; one after it wraps *tables.CommitError, and the table
// refuses Rescan and VACUUM until the catalog is reopened, which finishes
// the VACUUM.
func Vacuum(ctx context.Context, t *tables.Table, opts Options) (res Result, err error) {
	start := time.Now()
	res.Table = t.Name()
	defer func() {
		res.Duration = time.Since(start)
		if err != nil {
			opts.Logger.Error().Str("table", t.Name()).Err(err).Msg("VACUUM failed")
		}
	}()
	if err := t.Err(); err != nil {
		return res, fmt.Errorf("vacuum %s: %w", t.Name(), err)
	}
	release, err := t.LockVacuum(ctx)
	if err != nil {
		return res, fmt.Errorf("vacuum %s: %w", t.Name(), err)
	}
	defer release()
	fsys := opts.fs
	if fsys == nil {
		fsys = tables.OSFS()
	}
	hook := func(step string) error {
		if opts.hook == nil {
			return nil
		}
		return opts.hook(step)
	}

	snap := t.Snapshot()
	// CommitVacuum releases it before retiring the files it read; this
	// covers every other way out.
	defer snap.Release()
	res.Seq = snap.Seq()
	// The tombstones are walked in the log, never copied: a VACUUM can
	// apply millions of them.
	applied := snap.Tombstones()
	nApplied := 0
	for range applied {
		nApplied++
	}
	res.FilesBefore = len(snap.Files())
	res.BytesBefore, err = totalSize(snap.Files())
	if err != nil {
		return res, fmt.Errorf("vacuum %s: %w", t.Name(), err)
	}
	if nApplied == 0 && res.FilesBefore <= 1 {
		res.FilesAfter, res.BytesAfter, res.RowsRemaining = res.FilesBefore, res.BytesBefore, t.RowCount()
		opts.Logger.Info().Str("table", t.Name()).Msg("VACUUM: nothing to do")
		return res, nil
	}
	if nApplied > 0 && len(opts.AuditSecret) == 0 {
		return res, fmt.Errorf("vacuum %s: no audit secret configured: erased keys cannot be recorded", t.Name())
	}
	if err := hook("snapshot"); err != nil {
		return res, fmt.Errorf("vacuum %s: %w", t.Name(), err)
	}

	// A rewrite allocates hundreds of megabytes over its run on top of the
	// heap the server has grown to (a DELETE of a million keys leaves much
	// garbage): returning the free pages to the system first keeps the
	// process's peak resident memory near its live heap plus the rewrite's
	// working set, at the cost of one garbage collection per VACUUM.
	debug.FreeOSMemory()
	defer limitMemory(opts.MemoryBudget)()
	temp, _, err := snap.VacuumPaths()
	if err != nil {
		return res, fmt.Errorf("vacuum %s: %w", t.Name(), err)
	}
	live, err := writeLive(ctx, fsys, snap, temp, opts.RowGroupRows)
	if err != nil {
		_ = fsys.Remove(temp)
		return res, fmt.Errorf("vacuum %s: %w", t.Name(), err)
	}
	if err := hook("written"); err != nil {
		_ = fsys.Remove(temp)
		return res, fmt.Errorf("vacuum %s: %w", t.Name(), err)
	}
	// The audit is written ahead of the commit and its entries count only
	// once the table's applied_seq reaches their VACUUM (see Erasures), so
	// it is written while the new file is verified, on the other core.
	var auditErr error
	audited := make(chan struct{})
	if nApplied > 0 {
		if err := hook("audit"); err != nil {
			_ = fsys.Remove(temp)
			return res, fmt.Errorf("vacuum %s: %w", t.Name(), err)
		}
		now := time.Now().UTC()
		hasher := newKeyHasher(opts.AuditSecret)
		entries := func(yield func(Erasure) bool) {
			for ts := range applied {
				if !yield(Erasure{
					Table: t.Name(), Seq: ts.Seq, KeyColumn: ts.KeyColumn, KeyHash: hasher.hash(ts.Key),
					DeletedAt: ts.DeletedAt, Actor: ts.Actor, Reason: ts.Reason,
					VacuumedAt: now, VacuumedBy: opts.Actor, VacuumSeq: res.Seq, RowsRemoved: live.RemovedBy(ts),
				}) {
					return
				}
			}
		}
		go func() {
			defer close(audited)
			auditErr = appendErasures(t, entries)
		}()
	} else {
		close(audited)
	}
	rw, err := snap.OpenRewrite(ctx, temp, live)
	<-audited
	if err == nil && auditErr != nil {
		_ = rw.Close()
		err = auditErr
	}
	if err != nil {
		_ = fsys.Remove(temp)
		return res, fmt.Errorf("vacuum %s: %w", t.Name(), err)
	}
	discard := func(err error) (Result, error) {
		_ = rw.Close()
		_ = fsys.Remove(temp)
		return res, fmt.Errorf("vacuum %s: %w", t.Name(), err)
	}
	if err := hook("commit"); err != nil {
		return discard(err)
	}
	cres, err := t.CommitVacuum(ctx, rw, tables.CommitOptions{FS: fsys, BeforeDrop: func() error { return hook("drop") }})
	if err != nil {
		var ce *tables.CommitError
		if errors.As(err, &ce) {
			return res, fmt.Errorf("vacuum %s: %w", t.Name(), err)
		}
		return discard(err)
	}
	res.Rewritten = true
	res.TombstonesApplied = nApplied
	res.RowsRemoved, res.RowsRemaining = live.Removed, live.Rows
	files := t.Files()
	res.FilesAfter = len(files)
	if res.BytesAfter, err = totalSize(files); err != nil {
		res.BytesAfter = -1
	}
	opts.Logger.Info().Str("table", t.Name()).Uint64("seq", res.Seq).Str("output", cres.Output).
		Int("files_before", res.FilesBefore).Int("files_after", res.FilesAfter).
		Int64("rows_removed", res.RowsRemoved).Int64("rows_remaining", res.RowsRemaining).
		Int("tombstones_applied", res.TombstonesApplied).Msg("VACUUM")
	return res, nil
}

// writeLive writes the snapshot's live rows to temp and fsyncs it.
func writeLive(ctx context.Context, fsys tables.FS, snap *tables.Snapshot, temp string, rowGroupRows int) (*tables.LiveStats, error) {
	format, err := snap.RewriteFormat()
	if err != nil {
		return nil, err
	}
	parallel := parallelColumnsOK(format.Schema)
	if rowGroupRows <= 0 {
		rowGroupRows = defaultRowGroupRows
		if !parallel {
			rowGroupRows = defaultNestedRowGroupRows
		}
	}
	popts := []parquet.WriterProperty{
		parquet.WithCompression(format.Compression),
		parquet.WithMaxRowGroupLength(int64(rowGroupRows)),
		// Statistics, dictionaries and page indexes are all computed by the
		// writer from the rows written: none come from the old files.
		parquet.WithStats(true),
		parquet.WithDictionaryDefault(true),
	}
	for _, path := range format.PlainColumns {
		popts = append(popts, parquet.WithDictionaryFor(path, false))
	}
	props := parquet.NewWriterProperties(popts...)
	var arrowOpts []pqarrow.WriterOption
	if format.StoreArrowSchema {
		arrowOpts = append(arrowOpts, pqarrow.WithStoreSchema())
	}
	f, err := fsys.Create(temp)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", temp, err)
	}
	closed := false
	defer func() {
		if !closed {
			_ = f.Close()
		}
	}()
	// Hide Close: the Parquet writer would close f with the footer, before
	// Sync.
	sink := struct{ io.Writer }{f}
	var fw batchWriter
	if parallel {
		fw, err = newParallelWriter(format.Schema, sink, props, pqarrow.NewArrowWriterProperties(), format.StoreArrowSchema)
	} else {
		fw, err = pqarrow.NewFileWriter(format.Schema, sink, props, pqarrow.NewArrowWriterProperties(arrowOpts...))
	}
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", temp, err)
	}
	live, err := readAndWrite(ctx, snap, format, fw)
	if err != nil {
		_ = fw.Close()
		return nil, fmt.Errorf("write %s: %w", temp, err)
	}
	if err := fw.Close(); err != nil {
		return nil, fmt.Errorf("write %s: %w", temp, err)
	}
	if err := f.Sync(); err != nil {
		return nil, fmt.Errorf("sync %s: %w", temp, err)
	}
	closed = true
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("close %s: %w", temp, err)
	}
	// The manifest will name the temp file: its entry must be durable first.
	if err := fsys.SyncDir(filepath.Dir(temp)); err != nil {
		return nil, fmt.Errorf("sync directory of %s: %w", temp, err)
	}
	return live, nil
}

// defaultMemoryBudget is Options.MemoryBudget's default.
const defaultMemoryBudget = 192 << 20

// limitMemory lowers the runtime's soft memory limit to the memory the
// process holds now plus budget (see Options.MemoryBudget) and returns the
// function that restores it. The rewrite's working set (a few batches,
// the input row group's column chunks, one output row group, the list of
// removed rows) is about 100-150MiB for ten million rows of a typical
// table, below the budget; the closer the two, the more often the
// collector runs (for a million deleted rows of ten million, a 192MiB
// budget took about twice the collections of 256MiB). 192MiB keeps the
// server's peak during that VACUUM under 512MB after the DELETEs, with
// the rewrite as fast as with 256MiB when the machine is not loaded.
// Without the limit the heap would grow to twice the live heap (GOGC)
// between collections, which for a server holding a large tombstone index
// is hundreds of megabytes more. A VACUUM running meanwhile on another
// table may lower it further; the limit is restored only if it is still
// the one set here.
func limitMemory(budget int64) (restore func()) {
	if budget < 0 {
		return func() {}
	}
	if budget == 0 {
		budget = defaultMemoryBudget
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	// What the limit counts: all memory the runtime maps, less what it
	// returned to the system.
	limit := int64(ms.Sys-ms.HeapReleased) + budget
	prev := debug.SetMemoryLimit(-1)
	if limit >= prev {
		return func() {}
	}
	debug.SetMemoryLimit(limit)
	return func() {
		if debug.SetMemoryLimit(-1) == limit {
			debug.SetMemoryLimit(prev)
		}
	}
}

// pipelineDepth is how many batches the reader of a VACUUM may decode and
// filter ahead of the writer.
const pipelineDepth = 2

// readAndWrite streams the snapshot's live rows into fw on two goroutines:
// this one decodes and filters the input (ReadLive) while another hands
// the batches before it to fw, which encodes and compresses them (a
// parallelWriter on a goroutine per column), so that decoding never waits
// for encoding. Memory grows by at most pipelineDepth batches, besides
// what fw queues.
func readAndWrite(ctx context.Context, snap *tables.Snapshot, format tables.RewriteFormat, fw batchWriter) (*tables.LiveStats, error) {
	batches := make(chan arrow.RecordBatch, pipelineDepth)
	failed := make(chan struct{}) // closed when the writer fails
	var werr error
	written := make(chan struct{})
	go func() {
		defer close(written)
		defer func() {
			// A writer bug must fail the VACUUM, not the server.
			if r := recover(); r != nil {
				werr = fmt.Errorf("parquet writer panic: %v", r)
				close(failed)
			}
			for rec := range batches {
				rec.Release()
			}
		}()
		for rec := range batches {
			err := fw.WriteBuffered(rec)
			rec.Release()
			if err != nil {
				werr = err
				close(failed)
				return
			}
		}
	}()
	live, err := snap.ReadLive(ctx, format, func(rec arrow.RecordBatch) error {
		// ReadLive releases rec when this returns; the writer keeps it.
		rec.Retain()
		select {
		case batches <- rec:
			return nil
		case <-failed:
			rec.Release()
			return errWriterFailed
		}
	})
	close(batches)
	<-written
	if werr != nil {
		return nil, werr
	}
	if err != nil {
		return nil, err
	}
	return live, nil
}

// errWriterFailed stops ReadLive when the writer has failed; the writer's
// own error is reported instead.
var errWriterFailed = errors.New("parquet writer failed")

// totalSize sums the sizes of files.
func totalSize(files []string) (int64, error) {
	var n int64
	for _, p := range files {
		info, err := os.Stat(p)
		if err != nil {
			return 0, err
		}
		n += info.Size()
	}
	return n, nil
}
