package tombstone

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
)

var (
	// ErrCorrupt marks a log that cannot be trusted: a bad record followed by
	// good ones, a record that checksums but does not decode, or a missing
	// file header. The engine reports it as SQLSTATE XX001 for that table.
	ErrCorrupt = errors.New("tombstone log corrupt")
	// ErrFailed marks a log on which a write or fsync failed. After a failed
	// fsync the kernel may have dropped the unwritten pages, so the file's
	// contents are unknown: the log refuses further writes until reopened,
	// when recovery reads what actually reached the disk.
	ErrFailed = errors.New("tombstone log failed")
	// ErrClosed is returned by writes to a closed log.
	ErrClosed = errors.New("tombstone log closed")
)

// Tombstone is one deleted key value.
type Tombstone struct {
	// Seq is the sequence number of the DELETE statement; Append assigns it.
	Seq uint64
	// Table is the table's name; Append fills it in when empty and rejects a
	// tombstone for another table.
	Table string
	// KeyColumn names the table's key column.
	KeyColumn string
	// Key is the deleted key value.
	Key Key
	// DeletedAt is when the DELETE ran, kept to the microsecond; Append sets
	// it to the current time when zero.
	DeletedAt time.Time
	// Actor is the session user who ran the DELETE.
	Actor string
	// Reason is an optional free-text justification.
	Reason string
}

// Log is the durable tombstone log of one table and its in-memory index.
// Writes (Append, ReserveSeq, DropApplied) are serialized; reads (Lookup,
// Hidden, Snapshot, Len, All, NextSeq) never wait for a write's fsync and
// never see a tombstone before it is durable. Safe for concurrent use.
type Log struct {
	fs     fileSystem
	dir    string
	path   string
	table  string
	logger zerolog.Logger

	// mu serializes writers and guards the fields below it.
	mu      sync.Mutex
	f       file
	size    int64  // bytes of good records in f; the next write goes here
	nextSeq uint64 // the next sequence number to assign
	failed  error  // set after a failed write; wraps ErrFailed
	closed  bool

	next atomic.Uint64 // mirrors nextSeq for NextSeq
	idx  atomic.Pointer[index]
}

// Open opens the tombstone log of table in dir, creating dir and the log if
// absent, and rebuilds the index from its records.
//
// An incomplete last record (torn, short or zeroed tail, from a crash during
// an append that was therefore never acknowledged) is cut off: the file is
// truncated to the last good record and fsynced, and a warning is logged. A
// bad record followed by a valid one is corruption: Open then fails with an
// error satisfying errors.Is(err, ErrCorrupt).
func Open(ctx context.Context, dir, table string, logger zerolog.Logger) (*Log, error) {
	return openLog(ctx, osFS{}, dir, table, logger)
}

func openLog(ctx context.Context, fsys fileSystem, dir, table string, logger zerolog.Logger) (*Log, error) {
	l, err := openLogFile(ctx, fsys, dir, table, logger)
	if err != nil {
		return nil, fmt.Errorf("opening tombstone log of table %q: %w", table, err)
	}
	return l, nil
}

func openLogFile(ctx context.Context, fsys fileSystem, dir, table string, logger zerolog.Logger) (*Log, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	name, err := FileName(table)
	if err != nil {
		return nil, err
	}
	l := &Log{
		fs:     fsys,
		dir:    dir,
		path:   filepath.Join(dir, name),
		table:  table,
		logger: logger.With().Str("table", table).Logger(),
	}
	if err := fsys.MkdirAll(dir); err != nil {
		return nil, fmt.Errorf("creating directory: %w", err)
	}
	f, err := fsys.OpenFile(l.path)
	if errors.Is(err, fs.ErrNotExist) {
		hdr, herr := appendFrame(nil, &record{typ: recFileHeader, seq: 1, table: table})
		if herr != nil {
			return nil, herr
		}
		if err := l.replaceFile(hdr); err != nil {
			return nil, fmt.Errorf("creating %s: %w", l.path, err)
		}
		f, err = fsys.OpenFile(l.path)
	}
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", l.path, err)
	}
	if err := f.Lock(); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("locking %s (is the log already open?): %w", l.path, err)
	}
	// A temp file is what a crash during creation or DropApplied leaves; the
	// log it was to replace is still complete. Removed only under the lock,
	// so never from under a live DropApplied.
	switch err := fsys.Remove(l.path + tempExt); {
	case err == nil:
		if err := fsys.SyncDir(dir); err != nil {
			_ = f.Close()
			return nil, fmt.Errorf("syncing directory after removing leftover temp file: %w", err)
		}
	case !errors.Is(err, fs.ErrNotExist):
		_ = f.Close()
		return nil, fmt.Errorf("removing leftover temp file: %w", err)
	}
	if err := l.load(f); err != nil {
		_ = f.Close()
		return nil, err
	}
	l.f = f
	return l, nil
}

// load reads f, rebuilds the index and the sequence counter, and cuts off a
// torn tail.
func (l *Log) load(f file) error {
	buf, err := readAll(f)
	if err != nil {
		return fmt.Errorf("reading %s: %w", l.path, err)
	}
	st, hdr, off, err := readFrame(buf, 0)
	if st != frameOK || hdr.typ != recFileHeader {
		// The header is written with the file, by rename, so a crash can
		// never leave it incomplete.
		if err == nil {
			err = errors.New("no valid first record")
		}
		return fmt.Errorf("%w: %s: missing or damaged file header: %v", ErrCorrupt, l.path, err)
	}
	if hdr.table != l.table {
		return fmt.Errorf("%w: %s belongs to table %q", ErrCorrupt, l.path, hdr.table)
	}
	next := max(hdr.seq, 1)
	var last uint64 // the previous record's sequence number
	ix := newIndex()
	for off < len(buf) {
		st, rec, end, err := readFrame(buf, off)
		switch st {
		case frameMalformed:
			return fmt.Errorf("%w: %s: record at offset %d: %v", ErrCorrupt, l.path, off, err)
		case frameBad:
			if validFrameAfter(buf, off) {
				return fmt.Errorf("%w: %s: bad record at offset %d followed by valid records", ErrCorrupt, l.path, off)
			}
			if err := l.cutTail(f, int64(off), int64(len(buf))); err != nil {
				return err
			}
			buf = buf[:off]
			continue
		}
		if rec.typ == recFileHeader {
			return fmt.Errorf("%w: %s: second file header at offset %d", ErrCorrupt, l.path, off)
		}
		if rec.seq <= last {
			return fmt.Errorf("%w: %s: sequence number %d at offset %d follows %d", ErrCorrupt, l.path, rec.seq, off, last)
		}
		if rec.typ == recBatch {
			if rec.table != l.table {
				return fmt.Errorf("%w: %s: record at offset %d belongs to table %q", ErrCorrupt, l.path, off, rec.table)
			}
			ix.add(rec.seq, rec.entries)
		}
		last = rec.seq
		next = max(next, rec.seq+1)
		off = end
	}
	l.size = int64(off)
	l.nextSeq = next
	l.next.Store(next)
	ix.published.Store(next - 1)
	l.idx.Store(ix)
	return nil
}

// cutTail truncates an incomplete last record: it was never acknowledged,
// since acknowledgement follows the fsync that would have completed it.
func (l *Log) cutTail(f file, goodEnd, size int64) error {
	if err := f.Truncate(goodEnd); err != nil {
		return fmt.Errorf("truncating torn tail of %s: %w", l.path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("syncing %s after truncating its torn tail: %w", l.path, err)
	}
	l.logger.Warn().Str("path", l.path).Int64("offset", goodEnd).Int64("dropped_bytes", size-goodEnd).
		Msg("tombstone log ended in an incomplete record from an interrupted write; truncated it")
	return nil
}

// replaceFile atomically makes data the content of the log file: temp file
// in the same directory, fsync, rename over, fsync the directory. A crash
// leaves either the old file or the new one.
func (l *Log) replaceFile(data []byte) error {
	tmp := l.path + tempExt
	f, err := l.fs.Create(tmp)
	if err != nil {
		return fmt.Errorf("creating temp file: %w", err)
	}
	if _, err := f.WriteAt(data, 0); err != nil {
		_ = f.Close()
		_ = l.fs.Remove(tmp)
		return fmt.Errorf("writing temp file: %w", err)
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		_ = l.fs.Remove(tmp)
		return fmt.Errorf("syncing temp file: %w", err)
	}
	if err := f.Close(); err != nil {
		_ = l.fs.Remove(tmp)
		return fmt.Errorf("closing temp file: %w", err)
	}
	if err := l.fs.Rename(tmp, l.path); err != nil {
		_ = l.fs.Remove(tmp)
		return fmt.Errorf("renaming temp file: %w", err)
	}
	if err := l.fs.SyncDir(l.dir); err != nil {
		return &dirSyncError{err: err}
	}
	return nil
}

// dirSyncError reports a failed directory fsync after the rename: the new
// file is in place but may not survive a crash.
type dirSyncError struct{ err error }

func (e *dirSyncError) Error() string { return "syncing directory: " + e.err.Error() }
func (e *dirSyncError) Unwrap() error { return e.err }

// Table returns the name of the log's table.
func (l *Log) Table() string { return l.table }

// Path returns the log file's path.
func (l *Log) Path() string { return l.path }

// writable reports why the log cannot be written, if it cannot. l.mu is held.
func (l *Log) writable() error {
	if l.closed {
		return fmt.Errorf("%w: %s", ErrClosed, l.path)
	}
	return l.failed
}

// appendRecord writes rec at the end of the file and fsyncs it. On failure it
// cuts the file back to its previous size if it can and fails the log.
// l.mu is held.
func (l *Log) appendRecord(rec *record) error {
	buf, err := appendFrame(nil, rec)
	if err != nil {
		return err
	}
	if _, err = l.f.WriteAt(buf, l.size); err == nil {
		err = l.f.Sync()
	}
	if err != nil {
		l.failed = fmt.Errorf("%w: %s: an earlier write failed (reopen the log to recover): %w", ErrFailed, l.path, err)
		if terr := l.f.Truncate(l.size); terr == nil {
			_ = l.f.Sync()
		}
		return fmt.Errorf("%w: writing %s: %w", ErrFailed, l.path, err)
	}
	l.size += int64(len(buf))
	return nil
}

// Append durably records the tombstones of one DELETE statement as one
// batch under one new sequence number, which it returns. The batch is
// written as a single record and fsynced before Append returns and before
// any reader can see it; a crash leaves it whole or absent. An empty batch
// writes nothing and returns 0.
//
// If ctx is done before the write starts, nothing is appended. Once the
// write has started it completes regardless of ctx. After a failed write or
// fsync the log refuses writes (ErrFailed) until reopened.
func (l *Log) Append(ctx context.Context, recs []Tombstone) (uint64, error) {
	if len(recs) == 0 {
		return 0, nil
	}
	entries := make([]entry, len(recs))
	var now time.Time
	for i, t := range recs {
		if t.Table != "" && t.Table != l.table {
			return 0, fmt.Errorf("appending to tombstone log of table %q: tombstone %d is for table %q", l.table, i, t.Table)
		}
		if !t.Key.valid() {
			return 0, fmt.Errorf("appending to tombstone log of table %q: tombstone %d has an invalid key", l.table, i)
		}
		at := t.DeletedAt
		if at.IsZero() {
			if now.IsZero() {
				now = time.Now()
			}
			at = now
		}
		entries[i] = entry{keyColumn: t.KeyColumn, key: t.Key, deletedAt: at.UnixMicro(), actor: t.Actor, reason: t.Reason}
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("appending to tombstone log of table %q: %w", l.table, err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.writable(); err != nil {
		return 0, err
	}
	// Waiting for the lock can take a while behind other writers.
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("appending to tombstone log of table %q: %w", l.table, err)
	}
	seq := l.nextSeq
	if err := l.appendRecord(&record{typ: recBatch, seq: seq, table: l.table, entries: entries}); err != nil {
		return 0, fmt.Errorf("appending to tombstone log of table %q: %w", l.table, err)
	}
	l.advance(seq)
	ix := l.idx.Load()
	ix.mu.Lock()
	ix.add(seq, entries)
	ix.published.Store(seq)
	ix.mu.Unlock()
	return seq, nil
}

// advance records that seq has been durably taken. l.mu is held.
func (l *Log) advance(seq uint64) {
	l.nextSeq = seq + 1
	l.next.Store(seq + 1)
}

// ReserveSeq durably takes the next sequence number without deleting
// anything, for package tables to register newly seen data files with: a
// file registered at fileSeq keeps every row whose key was deleted at or
// before fileSeq (those tombstones all have seq < fileSeq) and loses rows to
// every later DELETE (seq > fileSeq). Register all files found together
// under one number; each call costs an fsync. The number is durable before
// ReserveSeq returns, so a manifest naming it never gets ahead of the log.
func (l *Log) ReserveSeq(ctx context.Context) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("reserving a sequence number for table %q: %w", l.table, err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.writable(); err != nil {
		return 0, err
	}
	seq := l.nextSeq
	if err := l.appendRecord(&record{typ: recReserve, seq: seq}); err != nil {
		return 0, fmt.Errorf("reserving a sequence number for table %q: %w", l.table, err)
	}
	l.advance(seq)
	l.idx.Load().published.Store(seq)
	return seq, nil
}

// NextSeq returns the sequence number the next Append or ReserveSeq will
// take. Every number below it has been durably taken.
func (l *Log) NextSeq() uint64 { return l.next.Load() }

// Snapshot returns a consistent read view of the current tombstones.
func (l *Log) Snapshot() Snapshot {
	ix := l.idx.Load()
	return Snapshot{ix: ix, asOf: ix.published.Load()}
}

// Lookup returns the highest sequence number of a tombstone of k. A row with
// key k in a file registered at fileSeq is deleted iff ok && seq > fileSeq.
func (l *Log) Lookup(k Key) (seq uint64, ok bool) {
	return l.idx.Load().lookup(k, latest)
}

// Hidden reports whether a row with key k in a file registered at fileSeq is
// deleted. Scans should probe through one Snapshot instead, so that all
// their rows see the same DELETEs.
func (l *Log) Hidden(k Key, fileSeq uint64) bool {
	return l.idx.Load().hidden(k, fileSeq, latest)
}

// Len returns the number of tombstones in the log.
func (l *Log) Len() int {
	ix := l.idx.Load()
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.entries)
}

// All returns a copy of every tombstone, in the order they were appended.
func (l *Log) All() []Tombstone {
	ix := l.idx.Load()
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	out := make([]Tombstone, len(ix.entries))
	for i := range ix.entries {
		out[i] = l.tombstone(&ix.entries[i])
	}
	return out
}

// Range returns the tombstones with Seq <= upToSeq, in the order they were
// appended, without copying the log as All does: a VACUUM walks millions
// of them. It reads the tombstones the log holds when it is called; those
// appended or dropped meanwhile do not change what it yields.
func (l *Log) Range(upToSeq uint64) iter.Seq[Tombstone] {
	ix := l.idx.Load()
	ix.mu.RLock()
	// Appends only write past len(entries), and DropApplied swaps in a new
	// index, so this prefix never changes and is read without the lock.
	entries := ix.entries
	ix.mu.RUnlock()
	return func(yield func(Tombstone) bool) {
		for i := range entries {
			s := &entries[i]
			if s.seq > upToSeq {
				// Batches are appended in ascending sequence order.
				return
			}
			if !yield(l.tombstone(s)) {
				return
			}
		}
	}
}

func (l *Log) tombstone(s *stored) Tombstone {
	return Tombstone{
		Seq:       s.seq,
		Table:     l.table,
		KeyColumn: s.meta.keyColumn,
		Key:       s.key,
		DeletedAt: time.UnixMicro(s.meta.deletedAt).UTC(),
		Actor:     s.meta.actor,
		Reason:    s.meta.reason,
	}
}

// DropApplied removes the tombstones a VACUUM has applied: every tombstone
// with Seq <= upToSeq for which applied returns true (all of them when
// applied is nil). Tombstones with Seq > upToSeq, appended while the VACUUM
// ran, always stay. The log is rewritten through a temp file, fsync, rename
// and directory fsync, keeping the sequence counter, so a crash leaves the
// old log or the new one. Dropping nothing writes nothing.
//
// upToSeq is normally the Seq of the Snapshot the VACUUM applied; its output
// files should be registered at that number too, so that DELETEs committed
// while it ran (seq > upToSeq) still hide rows in them.
//
// applied runs with the log's write lock held: it must not call the log's
// write methods. Appends wait while the log is rewritten; readers do not,
// and Snapshots taken before keep seeing the dropped tombstones.
func (l *Log) DropApplied(ctx context.Context, upToSeq uint64, applied func(Tombstone) bool) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("dropping applied tombstones of table %q: %w", l.table, err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.writable(); err != nil {
		return err
	}
	if upToSeq >= l.nextSeq {
		return fmt.Errorf("dropping applied tombstones of table %q: sequence number %d has not been assigned yet (next is %d)", l.table, upToSeq, l.nextSeq)
	}
	old := l.idx.Load()
	// Entries only change under l.mu, which is held. A VACUUM usually
	// drops all or most of them: the kept ones are counted first (applied
	// is asked once per tombstone) rather than room reserved for the log.
	keep := make([]bool, len(old.entries))
	nkept := 0
	for i := range old.entries {
		s := &old.entries[i]
		if s.seq > upToSeq || applied != nil && !applied(l.tombstone(s)) {
			keep[i] = true
			nkept++
		}
	}
	if nkept == len(old.entries) {
		return nil
	}
	kept := make([]stored, 0, nkept)
	for i := range old.entries {
		if keep[i] {
			kept = append(kept, old.entries[i])
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("dropping applied tombstones of table %q: %w", l.table, err)
	}

	data, err := appendFrame(nil, &record{typ: recFileHeader, seq: l.nextSeq, table: l.table})
	if err != nil {
		return err
	}
	ix := newIndex()
	for i := 0; i < len(kept); {
		j := i
		entries := make([]entry, 0, 1)
		for ; j < len(kept) && kept[j].seq == kept[i].seq; j++ {
			entries = append(entries, kept[j].entry())
		}
		if data, err = appendFrame(data, &record{typ: recBatch, seq: kept[i].seq, table: l.table, entries: entries}); err != nil {
			return err
		}
		ix.add(kept[i].seq, entries)
		i = j
	}
	ix.published.Store(old.published.Load())

	if err := l.replaceFile(data); err != nil {
		var dse *dirSyncError
		if errors.As(err, &dse) {
			// The new file is in place but maybe not durably: fsyncgate.
			l.failed = fmt.Errorf("%w: %s: an earlier directory fsync failed (reopen the log to recover): %w", ErrFailed, l.path, err)
			return fmt.Errorf("%w: dropping applied tombstones of table %q: %w", ErrFailed, l.table, err)
		}
		return fmt.Errorf("dropping applied tombstones of table %q: %w", l.table, err)
	}
	f, err := l.fs.OpenFile(l.path)
	if err == nil {
		if err = f.Lock(); err != nil {
			_ = f.Close()
		}
	}
	if err != nil {
		// The old handle now names an unlinked file: appending to it would
		// lose data.
		l.failed = fmt.Errorf("%w: %s: reopening after rewrite failed (reopen the log to recover): %w", ErrFailed, l.path, err)
		return fmt.Errorf("%w: dropping applied tombstones of table %q: reopening %s: %w", ErrFailed, l.table, l.path, err)
	}
	if err := l.f.Close(); err != nil {
		l.logger.Warn().Err(err).Str("path", l.path).Msg("closing replaced tombstone log file")
	}
	l.f = f
	l.size = int64(len(data))
	l.idx.Store(ix)
	return nil
}

// Close closes the log file. Lookups keep working on the in-memory index;
// writes fail with ErrClosed.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	if err := l.f.Close(); err != nil {
		return fmt.Errorf("closing tombstone log %s: %w", l.path, err)
	}
	return nil
}
