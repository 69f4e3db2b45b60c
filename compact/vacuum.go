package compact

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/rs/zerolog"

	"github.com/pqsql/pqsql/tables"
)

// defaultRowGroupRows is the row group size of a VACUUM's output by default.
const defaultRowGroupRows = 1 << 20

// Options configures Vacuum.
type Options struct {
	// Actor is the user running the VACUUM, recorded in the erasure audit.
	Actor string
	// AuditSecret keys the HMAC-SHA256 that the erasure audit keeps of each
	// erased key instead of the key. It is required when the VACUUM applies
	// tombstones; take it from the server's configuration.
	AuditSecret []byte
	// RowGroupRows bounds the rows of one row group of the rewritten file;
	// 0 means 1Mi. Peak memory is about one row group of the output plus
	// one 64Ki-row batch of the input.
	RowGroupRows int
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
	rw, err := snap.OpenRewrite(ctx, temp, live)
	if err != nil {
		_ = fsys.Remove(temp)
		return res, fmt.Errorf("vacuum %s: %w", t.Name(), err)
	}
	discard := func(err error) (Result, error) {
		_ = rw.Close()
		_ = fsys.Remove(temp)
		return res, fmt.Errorf("vacuum %s: %w", t.Name(), err)
	}
	// The audit is written ahead of the commit and its entries count only
	// once the table's applied_seq reaches their VACUUM (see Erasures).
	if nApplied > 0 {
		if err := hook("audit"); err != nil {
			return discard(err)
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
		if err := appendErasures(t, entries); err != nil {
			return discard(err)
		}
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
	if rowGroupRows <= 0 {
		rowGroupRows = defaultRowGroupRows
	}
	props := parquet.NewWriterProperties(
		parquet.WithCompression(format.Compression),
		parquet.WithMaxRowGroupLength(int64(rowGroupRows)),
		// Statistics, dictionaries and page indexes are all computed by the
		// writer from the rows written: none come from the old files.
		parquet.WithStats(true),
		parquet.WithDictionaryDefault(true),
	)
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
	// Hide Close: pqarrow would close f with the footer, before Sync.
	fw, err := pqarrow.NewFileWriter(format.Schema, struct{ io.Writer }{f}, props, pqarrow.NewArrowWriterProperties(arrowOpts...))
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", temp, err)
	}
	live, err := snap.ReadLive(ctx, format, fw.WriteBuffered)
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
