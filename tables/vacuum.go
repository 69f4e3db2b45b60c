package tables

// This file holds what package compact's VACUUM needs from a table: its
// lock, a stream of the live rows of a snapshot in the files' own Arrow
// representation, verification of the rewritten file, the commit that swaps
// it in, and the recovery Open runs after a crash.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/extensions"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/pqsql/pqsql/sqlengine"
	"github.com/pqsql/pqsql/tombstone"
)

// ErrVacuumConflict is returned by CommitVacuum when a file the VACUUM
// rewrote left the table or changed while it ran (a Rescan saw it vanish or
// be replaced): the rewrite is discarded and can be retried.
var ErrVacuumConflict = errors.New("tables: table files changed during VACUUM")

const (
	// vacuumPrefix starts the names VACUUM reserves: its temp files
	// "_vacuum-SEQ.parquet.tmp" (in NAME/) or "_vacuum-SEQ-NAME.parquet.tmp"
	// (next to NAME.parquet), and, without the '_', its outputs
	// "vacuum-SEQ.parquet" in NAME/.
	vacuumPrefix = "_vacuum-"
	// arrowSchemaKey is the key-value metadata entry pqarrow stores the
	// Arrow schema in.
	arrowSchemaKey = "ARROW:schema"
)

// vacuumIntent is what a committed VACUUM still has to do; the manifest
// records it at the commit point, so that Open can finish it.
type vacuumIntent struct {
	// Seq is the sequence number of the VACUUM's snapshot.
	Seq uint64 `json:"seq"`
	// Temp is the written file, Output the name it is renamed to (both
	// relative to the data directory, with '/').
	Temp   string `json:"temp"`
	Output string `json:"output"`
	// Obsolete are the replaced files still to remove.
	Obsolete []string `json:"obsolete,omitempty"`
}

// FS is the file system seam of a VACUUM: every call is one operation that
// can fail, so tests can fail or stop a VACUUM at any step. OSFS is the
// real one.
type FS interface {
	// Create creates or truncates a file for writing.
	Create(name string) (File, error)
	// Rename atomically replaces newpath with oldpath.
	Rename(oldpath, newpath string) error
	// Remove deletes a file.
	Remove(name string) error
	// SyncDir makes a directory's entries durable.
	SyncDir(dir string) error
}

// File is a file being written through an FS.
type File interface {
	io.Writer
	// Sync makes the file's contents durable.
	Sync() error
	Close() error
}

// OSFS returns the operating system's file system.
func OSFS() FS { return osFS{} }

type osFS struct{}

func (osFS) Create(name string) (File, error) {
	return os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
}
func (osFS) Rename(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }
func (osFS) Remove(name string) error             { return os.Remove(name) }
func (osFS) SyncDir(dir string) error             { return syncDir(dir) }

// LockVacuum takes the table's VACUUM lock, waiting while another VACUUM of
// the table holds it, until ctx is done. Call release once done.
func (t *Table) LockVacuum(ctx context.Context) (release func(), err error) {
	select {
	case t.vacuumSem <- struct{}{}:
		var once sync.Once
		return func() { once.Do(func() { <-t.vacuumSem }) }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for the VACUUM of %s running: %w", t.name, ctx.Err())
	}
}

// AppliedSeq returns the sequence number of the table's last committed
// VACUUM snapshot: every DELETE up to it has been applied to the files.
func (t *Table) AppliedSeq() uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.appliedSeq
}

// StateDir returns the directory of the table's tombstone log and manifest.
func (t *Table) StateDir() string { return t.stateDir }

// RetiredFilesOpen returns how many replaced data files are still held open
// because a scan or Snapshot taken before may read them. Their blocks stay
// on disk until then: a replaced file is unlinked at once, and closed when
// the garbage collector finds no Snapshot or scan referencing it.
func (t *Table) RetiredFilesOpen() int { return int(t.retiredOpen.Load()) }

// retiredFile is the reader of a data file that left the file set.
type retiredFile struct {
	once   sync.Once
	r      *file.Reader
	open   *atomic.Int64
	closed atomic.Bool
	err    error
}

func (rf *retiredFile) close() error {
	rf.once.Do(func() {
		rf.err = rf.r.Close()
		rf.open.Add(-1)
		rf.closed.Store(true)
	})
	return rf.err
}

// retire hands df's reader over to the garbage collector: it is closed once
// no file set (hence no Snapshot or scan) references df, or by close.
// t.mu is held.
//
// The cache drops df's column chunks at once: they would pin df, and with
// it the reader, and after a VACUUM they hold deleted values, which must
// not outlive the commit in memory any more than on disk.
func (t *Table) retire(df *dataFile) {
	if t.cache != nil {
		t.cache.dropFile(df)
	} else {
		df.retired.Store(true)
	}
	rf := &retiredFile{r: df.reader, open: &t.retiredOpen}
	t.retiredOpen.Add(1)
	runtime.AddCleanup(df, func(rf *retiredFile) { _ = rf.close() }, rf)
	t.retired = slices.DeleteFunc(t.retired, func(old *retiredFile) bool { return old.closed.Load() })
	t.retired = append(t.retired, rf)
}

// RewriteFormat says how VACUUM writes a snapshot's files as one.
type RewriteFormat struct {
	// Schema is the Arrow schema of the files as pqarrow reads them, with
	// each field nullable if it is in any file, and as metadata the first
	// file's key-value metadata (without ARROW:schema).
	Schema *arrow.Schema
	// StoreArrowSchema reports whether the first file stores its Arrow
	// schema (ARROW:schema), which the rewritten file should then store too.
	StoreArrowSchema bool
	// Compression is the codec of the first file's first column chunk,
	// snappy if it has none.
	Compression compress.Compression
	// retyped are the fields whose type Schema changes from what pqarrow
	// reads to a type of the same memory layout that the writer maps back
	// to the file's column type: JSON columns read as plain bytes get the
	// JSON extension type, INT96 timestamps read with zone UTC lose the
	// zone (the table serves them as timestamp without time zone).
	retyped []int
	// casts[f][j] is the type field j of file f (an index in the
	// snapshot's files) is cast to, when it differs from the first file's.
	casts map[int]map[int]arrow.DataType
}

// RewriteFormat returns the format a VACUUM of the snapshot writes. Fields
// of later files whose Arrow type differs from the first file's (string and
// large_string from different writers, say) are cast to it; it fails when
// they cannot be.
func (s *Snapshot) RewriteFormat() (RewriteFormat, error) {
	var rf RewriteFormat
	rf.Compression = compress.Codecs.Snappy
	var fields []arrow.Field
	for i, df := range s.files.files {
		fr, err := pqarrow.NewFileReader(df.reader, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
		if err != nil {
			return rf, fmt.Errorf("read schema of %s: %w", df.path, err)
		}
		sc, err := fr.Schema()
		if err != nil {
			return rf, fmt.Errorf("read schema of %s: %w", df.path, err)
		}
		if i == 0 {
			fields = slices.Clone(sc.Fields())
			md := df.reader.MetaData()
			var keys, values []string
			for _, kv := range md.KeyValueMetadata() {
				if kv.GetKey() == arrowSchemaKey {
					rf.StoreArrowSchema = true
					continue
				}
				keys = append(keys, kv.GetKey())
				values = append(values, kv.GetValue())
			}
			meta := arrow.NewMetadata(keys, values)
			rf.Schema = arrow.NewSchema(fields, &meta)
			if md.NumRowGroups() > 0 && md.NumColumns() > 0 {
				if cc, err := md.RowGroup(0).ColumnChunk(0); err == nil {
					rf.Compression = cc.Compression()
				}
			}
			continue
		}
		if sc.NumFields() != len(fields) {
			return rf, fmt.Errorf("%s has %d fields, %s has %d: VACUUM cannot merge them into one file", df.path, sc.NumFields(), s.files.files[0].path, len(fields))
		}
		for j, f := range sc.Fields() {
			if f.Name != fields[j].Name || !arrow.TypeEqual(f.Type, fields[j].Type) && !compute.CanCast(f.Type, fields[j].Type) {
				return rf, fmt.Errorf("field %d of %s is %s %s, of %s %s %s: VACUUM cannot merge them into one file",
					j, df.path, f.Name, f.Type, s.files.files[0].path, fields[j].Name, fields[j].Type)
			}
			if !arrow.TypeEqual(f.Type, fields[j].Type) {
				// Say string and large_string, from different writers.
				if rf.casts == nil {
					rf.casts = make(map[int]map[int]arrow.DataType)
				}
				if rf.casts[i] == nil {
					rf.casts[i] = make(map[int]arrow.DataType)
				}
				rf.casts[i][j] = fields[j].Type
			}
			fields[j].Nullable = fields[j].Nullable || f.Nullable
		}
	}
	if rf.Schema == nil {
		return rf, nil
	}
	for _, p := range s.table.plans {
		f := &fields[p.field]
		if p.nested || f.Type.ID() == arrow.EXTENSION {
			continue
		}
		switch typ := f.Type.(type) {
		case *arrow.BinaryType, *arrow.StringType:
			if p.column.Type.OID != sqlengine.JSONOID {
				continue
			}
			jsonType, err := extensions.NewJSONType(arrow.BinaryTypes.String)
			if err != nil {
				return rf, err
			}
			f.Type = jsonType
			// pqarrow cannot read back a stored JSON extension type over
			// the bytes it decodes JSON columns to: the Parquet schema
			// alone carries the annotation then.
			rf.StoreArrowSchema = false
		case *arrow.TimestampType:
			if p.column.Type.OID != sqlengine.TimestampOID || typ.TimeZone == "" {
				continue
			}
			f.Type = &arrow.TimestampType{Unit: typ.Unit}
		default:
			continue
		}
		rf.retyped = append(rf.retyped, p.field)
	}
	meta := rf.Schema.Metadata()
	rf.Schema = arrow.NewSchema(fields, &meta)
	return rf, nil
}

// Tombstones returns the tombstones of the table's log that the snapshot
// sees (Seq <= s.Seq()), in log order, without copying the log.
func (s *Snapshot) Tombstones() iter.Seq[tombstone.Tombstone] {
	if s.table.tlog == nil {
		return func(func(tombstone.Tombstone) bool) {}
	}
	return s.table.tlog.Range(s.tomb.Seq())
}

// LiveStats describes the rows ReadLive passed on and left out.
type LiveStats struct {
	// Rows is the number of rows passed on, Removed the number left out.
	Rows, Removed int64
	// removedBy counts the removed rows by the tombstone that removed them
	// (the oldest that hides the row).
	removedBy map[seqKey]int64
	// kept counts the rows passed on whose key has a tombstone in the
	// snapshot (rows of files registered after that DELETE).
	kept map[tombstone.Key]int64
}

type seqKey struct {
	seq uint64
	key tombstone.Key
}

// RemovedBy returns the number of rows ReadLive left out because of ts, a
// tombstone of the snapshot: each removed row counts for the oldest
// tombstone that hides it.
func (ls *LiveStats) RemovedBy(ts tombstone.Tombstone) int64 {
	return ls.removedBy[seqKey{ts.Seq, ts.Key}]
}

// cloneKey returns k not aliasing any batch memory.
func cloneKey(k tombstone.Key) tombstone.Key {
	switch k.Kind() {
	case tombstone.KindText:
		return tombstone.TextKey(strings.Clone(k.Text()))
	case tombstone.KindBytes:
		return tombstone.BytesKey(k.Bytes())
	case tombstone.KindUUID:
		return tombstone.UUIDKey(k.UUID())
	}
	return k
}

// ReadLive reads every row of the snapshot's files that the snapshot shows,
// file by file and row group by row group, in the files' own Arrow
// representation with format.Schema, and passes them to fn in batches of
// at most 64Ki rows. fn must not keep the record after it returns. Memory
// is bounded by a batch, not by the table.
func (s *Snapshot) ReadLive(ctx context.Context, format RewriteFormat, fn func(arrow.RecordBatch) error) (_ *LiveStats, err error) {
	t := s.table
	if t.err != nil {
		return nil, fmt.Errorf("read live rows of %s: %w", t.name, t.err)
	}
	defer func() {
		// A corrupt file can make the decoder panic.
		if r := recover(); r != nil {
			err = fmt.Errorf("read live rows of %s: decoder panic: %v", t.name, r)
		}
	}()
	ls := &LiveStats{removedBy: make(map[seqKey]int64), kept: make(map[tombstone.Key]int64)}
	mem := memory.DefaultAllocator
	plan := t.plans[t.key]
	var keys []tombstone.Key
	var valid, hidden []bool
	out := arrow.NewSchema(format.Schema.Fields(), nil)
	for fi, df := range s.files.files {
		fr, err := pqarrow.NewFileReader(df.reader, pqarrow.ArrowReadProperties{BatchSize: maxBatchRows}, mem)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", df.path, err)
		}
		// Keys are also decoded where no row can be hidden, to count the
		// rows whose key was deleted before their file came (see kept).
		filter := t.keyKind != tombstone.KindInvalid && (s.mayHide(df.seq) || t.tlog != nil && t.tlog.Len() > 0)
		for rg := range df.reader.NumRowGroups() {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			rr, err := fr.GetRecordReader(ctx, nil, []int{rg})
			if err != nil {
				return nil, fmt.Errorf("read %s row group %d: %w", df.path, rg, err)
			}
			err = func() error {
				defer rr.Release()
				for rr.Next() {
					rec := rr.RecordBatch()
					n := int(rec.NumRows())
					whole, err := recordWithSchema(ctx, out, rec, format.casts[fi], format.retyped)
					if err != nil {
						return err
					}
					if !filter {
						ls.Rows += int64(n)
						if err := fn(whole); err != nil {
							whole.Release()
							return err
						}
						whole.Release()
						continue
					}
					keyArr, err := convertArray(ctx, mem, rec.Column(plan.field), plan)
					if err != nil {
						whole.Release()
						return fmt.Errorf("read %s row group %d key column: %w", df.path, rg, err)
					}
					if cap(keys) < n {
						keys, valid, hidden = make([]tombstone.Key, n), make([]bool, n), make([]bool, n)
					}
					ks, vs, hs := keys[:n], valid[:n], hidden[:n]
					err = arrayKeys(keyArr, t.keyKind, ks, vs)
					if err == nil {
						s.tomb.HiddenMany(ks, df.seq, hs)
						for i := range n {
							if !vs[i] {
								hs[i] = false
								continue
							}
							// The snapshot's index answers these probes: a
							// copy of the log keyed by Key would cost the
							// memory of every tombstone again.
							if hs[i] {
								// The oldest tombstone newer than the file.
								if seq, ok := s.tomb.FirstAfter(ks[i], df.seq); ok {
									ls.removedBy[seqKey{seq, cloneKey(ks[i])}]++
								}
							} else if _, deleted := s.tomb.Lookup(ks[i]); deleted {
								ls.kept[cloneKey(ks[i])]++
							}
						}
						err = emitRuns(ctx, whole, hs, ls, fn)
					}
					clear(ks)
					keyArr.Release()
					whole.Release()
					if err != nil {
						return err
					}
				}
				return rr.Err()
			}()
			if err != nil {
				return nil, fmt.Errorf("read %s row group %d: %w", df.path, rg, err)
			}
		}
	}
	return ls, nil
}

// recordWithSchema returns rec's columns under sc, which differs at most in
// nullability, metadata, the types of the fields in casts (cast to those
// types first) and the types of the retyped fields.
func recordWithSchema(ctx context.Context, sc *arrow.Schema, rec arrow.RecordBatch, casts map[int]arrow.DataType, retyped []int) (arrow.RecordBatch, error) {
	if len(retyped) == 0 && len(casts) == 0 {
		return array.NewRecordBatch(sc, rec.Columns(), rec.NumRows()), nil
	}
	cols := slices.Clone(rec.Columns())
	for f, typ := range casts {
		arr, err := compute.CastArray(ctx, cols[f], compute.SafeCastOptions(typ))
		if err != nil {
			return nil, fmt.Errorf("cast field %d to %s: %w", f, typ, err)
		}
		cols[f] = arr
		defer arr.Release()
	}
	for _, f := range retyped {
		typ := sc.Field(f).Type
		ext, isExt := typ.(arrow.ExtensionType)
		if isExt {
			typ = ext.StorageType()
		}
		d := cols[f].Data()
		nd := array.NewData(typ, d.Len(), d.Buffers(), d.Children(), d.NullN(), d.Offset())
		arr := array.MakeFromData(nd)
		nd.Release()
		if isExt {
			storage := arr
			arr = array.NewExtensionArrayWithStorage(ext, storage)
			storage.Release()
		}
		cols[f] = arr
		defer arr.Release()
	}
	return array.NewRecordBatch(sc, cols, rec.NumRows()), nil
}

// maxSliceRuns is the most runs of surviving rows emitRuns passes on as
// zero-copy slices; a batch with more is filtered into one record instead.
// Each record passed on costs the Parquet writer a fixed overhead per
// column (level builders, chunked arrays, dictionary lookups), which for
// scattered deletes (every 10th row, say) dominated the whole VACUUM and
// its garbage; one filter copy per batch is far cheaper.
const maxSliceRuns = 4

// emitRuns passes the rows of rec that hidden does not mark to fn: as they
// are if none is hidden, as slices if they form at most maxSliceRuns runs,
// and otherwise as one filtered copy.
func emitRuns(ctx context.Context, rec arrow.RecordBatch, hidden []bool, ls *LiveStats, fn func(arrow.RecordBatch) error) error {
	n := len(hidden)
	removed, runs := 0, 0
	for i, h := range hidden {
		if h {
			removed++
		} else if i == 0 || hidden[i-1] {
			runs++
		}
	}
	ls.Removed += int64(removed)
	ls.Rows += int64(n - removed)
	switch {
	case removed == 0:
		return fn(rec)
	case runs == 0:
		return nil
	case runs > maxSliceRuns:
		keep := array.NewBooleanBuilder(memory.DefaultAllocator)
		keep.Reserve(n)
		for _, h := range hidden {
			keep.UnsafeAppend(!h)
		}
		mask := keep.NewBooleanArray()
		keep.Release()
		filtered, err := compute.FilterRecordBatch(ctx, rec, mask, compute.DefaultFilterOptions())
		mask.Release()
		if err == nil {
			if filtered.NumRows() != int64(n-removed) {
				filtered.Release()
				return fmt.Errorf("filter kept %d rows, want %d", filtered.NumRows(), n-removed)
			}
			err = fn(filtered)
			filtered.Release()
			return err
		}
		// A type the filter kernels do not support: slices always work.
	}
	for i := 0; i < n; {
		if hidden[i] {
			i++
			continue
		}
		j := i
		for j < n && !hidden[j] {
			j++
		}
		part := rec.NewSlice(int64(i), int64(j))
		err := fn(part)
		part.Release()
		if err != nil {
			return err
		}
		i = j
	}
	return nil
}

// Rewrite is a VACUUM's output file, written and verified, not yet
// committed. Discard it with Close (and remove the file) if it is not
// committed.
type Rewrite struct {
	snap *Snapshot
	df   *dataFile
	temp string
}

// Close closes the rewritten file; after CommitVacuum it does nothing.
func (r *Rewrite) Close() error {
	if r.df == nil {
		return nil
	}
	err := r.df.reader.Close()
	r.df = nil
	return err
}

// VacuumPaths returns where a VACUUM of the snapshot writes its output
// (temp) and the name it then takes (final). A table NAME/ gets
// NAME/vacuum-SEQ.parquet, written as NAME/_vacuum-SEQ.parquet.tmp; a table
// NAME.parquet stays NAME.parquet, written as _vacuum-SEQ-NAME.parquet.tmp
// next to it. Names starting with "vacuum-" in NAME/ and "_vacuum-" are
// reserved.
func (s *Snapshot) VacuumPaths() (temp, final string, err error) {
	t := s.table
	seq := strconv.FormatUint(s.tomb.Seq(), 10)
	if t.sourceIsDir {
		temp = filepath.Join(t.source, vacuumPrefix+seq+parquetExt+tempExt)
		final = filepath.Join(t.source, strings.TrimPrefix(vacuumPrefix, "_")+seq+parquetExt)
	} else {
		temp = filepath.Join(filepath.Dir(t.source), vacuumPrefix+seq+"-"+filepath.Base(t.source)+tempExt)
		final = t.source
	}
	if len(filepath.Base(temp)) > maxNameLen {
		return "", "", fmt.Errorf("table name of %d bytes is too long for a VACUUM temp file name", len(t.name))
	}
	return temp, final, nil
}

// OpenRewrite opens temp, the file a VACUUM wrote from s.ReadLive, and
// checks it before it may replace the table's files: the table's columns,
// exactly live.Rows rows, and no key deleted in s except in as many rows as
// ReadLive passed on with that key (rows added after their DELETE). Every
// key is probed.
func (s *Snapshot) OpenRewrite(ctx context.Context, temp string, live *LiveStats) (_ *Rewrite, err error) {
	t := s.table
	df, skipped, err := openDataFile(t.dataDir, temp)
	if err != nil {
		return nil, fmt.Errorf("verify rewritten file: %w", err)
	}
	defer func() {
		if err != nil {
			_ = df.reader.Close()
		}
	}()
	if err := sameColumns(t.plans, df.plans, t.skippedColumns, len(skipped)); err != nil {
		return nil, fmt.Errorf("verify rewritten file %s: columns differ from the table's: %w", temp, err)
	}
	var rows int64
	for _, n := range df.rowGroupRows {
		rows += n
	}
	if rows != live.Rows {
		return nil, fmt.Errorf("verify rewritten file %s: %d rows, want %d", temp, rows, live.Rows)
	}
	if t.keyKind != tombstone.KindInvalid && s.tomb.Seq() > 0 {
		allowed := make(map[tombstone.Key]int64, len(live.kept))
		for k, n := range live.kept {
			allowed[k] = n
		}
		fset := newFileSet([]*dataFile{df})
		var bad int64
		err := t.forEachKeyBatch(ctx, fset, fset.rowGroups, func(_ RowGroup, keys []tombstone.Key, valid []bool) {
			for i, k := range keys {
				if !valid[i] || !s.tomb.Hidden(k, 0) {
					continue
				}
				if allowed[k] > 0 {
					allowed[k]--
				} else {
					bad++
				}
			}
		})
		if err != nil {
			return nil, fmt.Errorf("verify rewritten file %s: %w", temp, err)
		}
		if bad > 0 {
			return nil, fmt.Errorf("verify rewritten file %s: %d rows with a deleted key", temp, bad)
		}
	}
	return &Rewrite{snap: s, df: df, temp: temp}, nil
}

// CommitOptions configures CommitVacuum.
type CommitOptions struct {
	// FS performs the commit's file operations; nil means OSFS.
	FS FS
	// BeforeDrop, if set, runs after the new files are in place and
	// before the applied tombstones are dropped from the log.
	BeforeDrop func() error
}

// CommitResult describes a committed VACUUM.
type CommitResult struct {
	// Removed are the replaced files, now unlinked.
	Removed []string
	// Output is the new data file.
	Output string
}

// CommitError is a failure after the commit point: the VACUUM is durable
// (or may be) but its cleanup did not finish. The table refuses Rescan and
// VACUUM until the catalog is reopened, which finishes the cleanup.
type CommitError struct{ Err error }

func (e *CommitError) Error() string {
	return "VACUUM committed but did not finish (reopen the catalog to complete it): " + e.Err.Error()
}
func (e *CommitError) Unwrap() error { return e.Err }

// CommitVacuum replaces the snapshot's files with r's file. In order: the
// manifest is replaced by one naming the new file at the snapshot's
// sequence number, with applied_seq set to it and the cleanup still owed
// (the commit point; before it nothing changed); the temp file is renamed
// to its final name and the directory fsynced; the new file set is
// published; the replaced files are removed and their directory fsynced;
// the tombstones up to the snapshot's sequence number are dropped from the
// log; the manifest is rewritten without the cleanup.
//
// DELETEs committed while the VACUUM ran have higher sequence numbers and
// keep hiding rows of the new file. Files registered while it ran stay.
// A failure before the commit point leaves the table as it was (the caller
// removes the temp file); after it, it is a *CommitError.
func (t *Table) CommitVacuum(ctx context.Context, r *Rewrite, opts CommitOptions) (CommitResult, error) {
	fsys := opts.FS
	if fsys == nil {
		fsys = OSFS()
	}
	s := r.snap
	if s.table != t || r.df == nil {
		return CommitResult{}, errors.New("commit VACUUM: rewrite of another table or already used")
	}
	seq := s.tomb.Seq()
	temp, final, err := s.VacuumPaths()
	if err != nil {
		return CommitResult{}, err
	}
	if temp != r.temp {
		return CommitResult{}, fmt.Errorf("commit VACUUM: rewrite at %s, want %s", r.temp, temp)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.failed != nil {
		return CommitResult{}, fmt.Errorf("commit VACUUM of %s: %w", t.name, t.failed)
	}
	cur := t.files.Load()
	var kept []*dataFile
	var keptHidden []int64
	for i, df := range cur.files {
		if !slices.Contains(s.files.files, df) {
			if df.path == final {
				return CommitResult{}, fmt.Errorf("%w: %s is already a data file of %s", ErrVacuumConflict, final, t.name)
			}
			if df.seq < seq {
				// Registered before the snapshot but not in it: tombstones
				// the VACUUM drops could hide its rows. Unreachable while
				// Rescan and Delete serialize on t.mu; kept as a guard.
				return CommitResult{}, fmt.Errorf("%w: %s registered at %d is not in the snapshot at %d", ErrVacuumConflict, df.path, df.seq, seq)
			}
			kept = append(kept, df)
			keptHidden = append(keptHidden, cur.hidden[i])
		}
	}
	for _, df := range s.files.files {
		if !slices.Contains(cur.files, df) {
			return CommitResult{}, fmt.Errorf("%w: %s", ErrVacuumConflict, df.path)
		}
	}
	if !slices.Contains(s.files.paths, final) {
		// Never rename over a file the table has not registered (yet).
		if _, err := os.Lstat(final); !errors.Is(err, fs.ErrNotExist) {
			return CommitResult{}, fmt.Errorf("%w: %s exists", ErrVacuumConflict, final)
		}
	}
	rel := func(p string) string {
		r, _ := filepath.Rel(t.dataDir, p)
		return filepath.ToSlash(r)
	}
	out := r.df
	out.path, out.rel, out.seq = final, rel(final), seq
	intent := &vacuumIntent{Seq: seq, Temp: rel(temp), Output: out.rel}
	var obsolete []string
	for _, df := range s.files.files {
		if df.path != final {
			intent.Obsolete = append(intent.Obsolete, df.rel)
			obsolete = append(obsolete, df.path)
		}
	}
	mpath, err := t.manifestPath()
	if err != nil {
		return CommitResult{}, err
	}
	files := append(slices.Clone(kept), out)
	prevApplied := t.appliedSeq
	t.appliedSeq = seq
	m := t.manifestOf(files)
	m.Vacuum = intent
	if err := writeFileAtomicFS(fsys, mpath, m); err != nil {
		var dse *dirSyncError
		if errors.As(err, &dse) {
			t.failed = &CommitError{Err: err}
			return CommitResult{}, t.failed
		}
		t.appliedSeq = prevApplied
		out.path, out.rel = temp, rel(temp)
		return CommitResult{}, fmt.Errorf("commit VACUUM of %s: %w", t.name, err)
	}
	// The commit point has passed: from here every failure is a CommitError.
	fail := func(err error) (CommitResult, error) {
		t.failed = &CommitError{Err: fmt.Errorf("table %s: %w", t.name, err)}
		return CommitResult{}, t.failed
	}
	r.df = nil // owned by the table from here
	if err := fsys.Rename(temp, final); err != nil {
		_ = out.reader.Close()
		return fail(fmt.Errorf("rename %s: %w", temp, err))
	}
	if err := fsys.SyncDir(filepath.Dir(final)); err != nil {
		_ = out.reader.Close()
		return fail(fmt.Errorf("sync directory: %w", err))
	}
	outHidden := int64(0)
	if t.lastDeleteSeq.Load() > seq {
		h, err := t.countHidden(ctx, newFileSet([]*dataFile{out}), t.tlog.Snapshot())
		if err != nil {
			_ = out.reader.Close()
			return fail(err)
		}
		outHidden = h[0]
	}
	t.files.Store(newFileSet(files).withHidden(append(keptHidden, outHidden)))
	for _, df := range s.files.files {
		t.retire(df)
	}
	res := CommitResult{Removed: slices.Clone(s.files.paths), Output: final}
	dirs := make(map[string]bool)
	for _, p := range obsolete {
		if err := fsys.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fail(fmt.Errorf("remove replaced file: %w", err))
		}
		dirs[filepath.Dir(p)] = true
	}
	for d := range dirs {
		if err := fsys.SyncDir(d); err != nil {
			return fail(fmt.Errorf("sync directory: %w", err))
		}
	}
	if opts.BeforeDrop != nil {
		if err := opts.BeforeDrop(); err != nil {
			return fail(err)
		}
	}
	if err := t.tlog.DropApplied(ctx, seq, nil); err != nil {
		return fail(err)
	}
	m.Vacuum = nil
	if err := writeFileAtomicFS(fsys, mpath, m); err != nil {
		return fail(err)
	}
	return res, nil
}

// writeFileAtomicFS is writeFileAtomic for manifest m through fsys. A
// failed directory fsync after the rename is a *dirSyncError.
func writeFileAtomicFS(fsys FS, path string, m *manifest) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("write manifest %s: %w", path, err)
	}
	data = append(data, '\n')
	tmp := path + tempExt
	f, err := fsys.Create(tmp)
	if err != nil {
		return fmt.Errorf("write manifest %s: %w", path, err)
	}
	fail := func(err error) error {
		_ = fsys.Remove(tmp)
		return fmt.Errorf("write manifest %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return fail(err)
	}
	if err := f.Close(); err != nil {
		return fail(err)
	}
	if err := fsys.Rename(tmp, path); err != nil {
		return fail(err)
	}
	if err := fsys.SyncDir(filepath.Dir(path)); err != nil {
		return &dirSyncError{fmt.Errorf("write manifest %s: %w", path, err)}
	}
	return nil
}

// dirSyncError is a failed directory fsync after a rename: the new file is
// in place but may not survive a crash.
type dirSyncError struct{ err error }

func (e *dirSyncError) Error() string { return e.err.Error() }
func (e *dirSyncError) Unwrap() error { return e.err }

// recoverVacuum runs before a table's files are opened. If the manifest
// records a committed VACUUM's unfinished cleanup, it finishes it: renames
// the output into place if the temp file is still there, and removes the
// replaced files. It then removes every VACUUM temp file of the table (an
// uncommitted VACUUM's output), and lists the table's files again. The
// tombstones the VACUUM applied are dropped by openState, which also
// rewrites the manifest without the cleanup.
func (c *Catalog) recoverVacuum(src tableSource) (tableSource, error) {
	var intent *vacuumIntent
	if name, err := manifestName(src.name); err == nil {
		// A corrupt manifest is reported by openState.
		if m, err := readManifest(filepath.Join(c.stateDir, name), src.name); err == nil && m != nil {
			intent = m.Vacuum
		}
	}
	abs := func(rel string) (string, error) {
		p := filepath.Join(c.dir, filepath.FromSlash(rel))
		if !strings.HasPrefix(p, filepath.Clean(c.dir)+string(filepath.Separator)) {
			return "", fmt.Errorf("manifest names %q outside the data directory", rel)
		}
		return p, nil
	}
	changed := false
	if intent != nil {
		temp, err := abs(intent.Temp)
		if err != nil {
			return src, err
		}
		output, err := abs(intent.Output)
		if err != nil {
			return src, err
		}
		_, terr := os.Stat(temp)
		if _, oerr := os.Stat(output); terr != nil && oerr != nil {
			// Never remove the replaced files without their replacement.
			return src, fmt.Errorf("manifest records a VACUUM whose output %s and temp file %s are both missing: %w", output, temp, oerr)
		}
		if terr == nil {
			if err := os.Rename(temp, output); err != nil {
				return src, fmt.Errorf("finish VACUUM: %w", err)
			}
			if err := syncDir(filepath.Dir(output)); err != nil {
				return src, fmt.Errorf("finish VACUUM: %w", err)
			}
			c.opts.Logger.Info().Str("table", src.name).Str("file", output).Msg("finished an interrupted VACUUM: renamed its output into place")
			changed = true
		}
		dirs := make(map[string]bool)
		for _, o := range intent.Obsolete {
			p, err := abs(o)
			if err != nil {
				return src, err
			}
			if err := os.Remove(p); err == nil {
				dirs[filepath.Dir(p)] = true
				c.opts.Logger.Info().Str("table", src.name).Str("file", p).Msg("finished an interrupted VACUUM: removed a replaced file")
			} else if !errors.Is(err, fs.ErrNotExist) {
				return src, fmt.Errorf("finish VACUUM: %w", err)
			}
		}
		for d := range dirs {
			if err := syncDir(d); err != nil {
				return src, fmt.Errorf("finish VACUUM: %w", err)
			}
			changed = true
		}
	}
	// Leftover temp files of VACUUMs that did not commit.
	dir, isTemp := c.dir, func(name string) bool {
		rest, ok := strings.CutPrefix(name, vacuumPrefix)
		if !ok {
			return false
		}
		rest, ok = strings.CutSuffix(rest, "-"+src.name+parquetExt+tempExt)
		return ok && rest != "" && strings.Trim(rest, "0123456789") == ""
	}
	if src.isDir {
		dir, isTemp = src.path, func(name string) bool {
			rest, ok := strings.CutPrefix(name, vacuumPrefix)
			if !ok {
				return false
			}
			rest, ok = strings.CutSuffix(rest, parquetExt+tempExt)
			return ok && rest != "" && strings.Trim(rest, "0123456789") == ""
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return src, err
	}
	removed := false
	for _, e := range entries {
		if isTemp(e.Name()) {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return src, fmt.Errorf("remove leftover VACUUM temp file: %w", err)
			}
			c.opts.Logger.Info().Str("table", src.name).Str("file", filepath.Join(dir, e.Name())).Msg("removed the temp file of an interrupted VACUUM")
			removed = true
		}
	}
	if removed {
		if err := syncDir(dir); err != nil {
			return src, err
		}
	}
	if changed && src.isDir {
		files, err := dataFiles(src.path)
		if err != nil {
			return src, err
		}
		src.files = files
	}
	return src, nil
}
