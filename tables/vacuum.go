package tables

// This file holds what package compact's VACUUM needs from a table: its
// lock, a stream of the live rows of a snapshot in the files' own Arrow
// representation, verification of the rewritten file, the commit that swaps
// it in, and the recovery Open runs after a crash.

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"maps"
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
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/metadata"
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

// RetiredFilesOpen returns how many data files that left the table (a
// VACUUM or Rescan replaced them) are still open because a Snapshot or scan
// taken before holds them. A file a VACUUM replaced stays on disk until
// then; it is closed and removed when its last holder releases it.
func (t *Table) RetiredFilesOpen() int { return int(t.retiredOpen.Load()) }

// acquireCurrent takes a reference on every file of the current file set
// and returns the set.
func (t *Table) acquireCurrent() *fileSet {
	t.refMu.Lock()
	defer t.refMu.Unlock()
	fs := t.files.Load()
	for _, df := range fs.files {
		df.holders++
	}
	return fs
}

// snapshotRef is a Snapshot's reference on the files of its file set.
type snapshotRef struct {
	t        *Table
	fs       *fileSet
	released atomic.Bool
}

func (r *snapshotRef) release() {
	if r.released.CompareAndSwap(false, true) {
		r.t.release(r.fs)
	}
}

// holdFiles sets s's files to the table's current ones, holding them until
// s is released. t.mu must not be held by a caller that may never release
// s before it is released itself.
func (t *Table) holdFiles(s *Snapshot) {
	s.files = t.acquireCurrent()
	r := &snapshotRef{t: t, fs: s.files}
	s.ref = r
	// A Snapshot never released (a caller predating Release) is released
	// when the garbage collector frees it, as a safety net: until then the
	// files it holds stay open and, if a VACUUM replaced them, on disk.
	runtime.AddCleanup(s, (*snapshotRef).release, r)
}

// Release lets the snapshot's files go: data files a VACUUM or Rescan has
// replaced since it was taken are closed, and removed from disk, once no
// other Snapshot or scan holds them. Scans already opened with the
// snapshot keep their files until they end; new ones fail. Release is safe
// to call more than once and concurrently; a Snapshot not released is
// released when the garbage collector frees it.
func (s *Snapshot) Release() {
	if s.ref != nil {
		s.ref.release()
	}
}

// hold takes a reference on the snapshot's files for a scan, to be
// released when the scan ends. It fails if the snapshot was released.
func (s *Snapshot) hold() (release func(), err error) {
	if err := s.table.acquire(s.files); err != nil {
		return nil, err
	}
	var once sync.Once
	return func() { once.Do(func() { s.table.release(s.files) }) }, nil
}

// acquire takes one more reference on every file of fs, which a Snapshot
// holds. It fails if a file was closed already: the Snapshot was released,
// or the catalog closed.
func (t *Table) acquire(fs *fileSet) error {
	t.refMu.Lock()
	defer t.refMu.Unlock()
	for _, df := range fs.files {
		if df.closed {
			return fmt.Errorf("data file %s was closed: the snapshot was released or the catalog closed", df.path)
		}
	}
	for _, df := range fs.files {
		df.holders++
	}
	return nil
}

// release drops a reference on every file of fs, closing (and unlinking)
// the retired files no one holds any more. t.mu must not be held.
func (t *Table) release(fs *fileSet) {
	var done []*dataFile
	t.refMu.Lock()
	for _, df := range fs.files {
		df.holders--
		if df.holders == 0 && df.left && !df.closed {
			df.closed = true
			done = append(done, df)
		}
	}
	t.refMu.Unlock()
	if len(done) == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.closeRetired(done, OSFS(), false); err != nil {
		// The file stays listed in the manifest (Retired): the next Open
		// removes it.
		t.logger.Error().Str("table", t.name).Err(err).Msg("removing a data file VACUUM replaced")
	}
}

// retire takes df out of service: it is closed once no Snapshot or scan
// holds it, at once if none does, and then removed from disk if unlink is
// set (a VACUUM replaced it; t.unlinkPending lists it). It returns whether
// it was closed now, in which case the caller, which holds t.mu, removes it
// with closeRetired.
//
// The cache drops df's column chunks at once: they would hold deleted
// values after a VACUUM, which must not outlive the commit in memory any
// more than on disk.
func (t *Table) retire(df *dataFile, unlink bool) (closeNow bool) {
	if t.cache != nil {
		t.cache.dropFile(df)
	} else {
		df.retired.Store(true)
	}
	t.refMu.Lock()
	defer t.refMu.Unlock()
	df.retired.Store(true)
	if df.left || df.closed {
		return false
	}
	df.left, df.unlink = true, unlink
	t.retiredOpen.Add(1)
	if df.holders == 0 {
		df.closed = true
		return true
	}
	t.retired = append(t.retired, df)
	return false
}

// closeRetired closes the retired files dfs, which no one holds, removes
// those a VACUUM replaced and fsyncs their directories, and, unless
// closing the catalog, rewrites the manifest without them. t.mu is held.
func (t *Table) closeRetired(dfs []*dataFile, fsys FS, closing bool) error {
	var errs []error
	dirs := make(map[string]bool)
	var removed []*dataFile
	t.refMu.Lock()
	t.retired = slices.DeleteFunc(t.retired, func(df *dataFile) bool { return slices.Contains(dfs, df) })
	t.refMu.Unlock()
	for _, df := range dfs {
		if err := df.reader.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close %s: %w", df.path, err))
		}
		t.retiredOpen.Add(-1)
		if !df.unlink {
			continue
		}
		// Never remove a file renamed to the old name since.
		if info, err := os.Lstat(df.path); err == nil && os.SameFile(info, df.info) {
			if err := fsys.Remove(df.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, fmt.Errorf("remove replaced file: %w", err))
				continue
			}
			dirs[filepath.Dir(df.path)] = true
		}
		removed = append(removed, df)
	}
	for d := range dirs {
		if err := fsys.SyncDir(d); err != nil {
			return errors.Join(append(errs, fmt.Errorf("sync directory: %w", err))...)
		}
	}
	if len(removed) == 0 {
		return errors.Join(errs...)
	}
	t.unlinkPending = slices.DeleteFunc(t.unlinkPending, func(df *dataFile) bool { return slices.Contains(removed, df) })
	if closing || t.failed != nil {
		// The manifest is rewritten at the next Open (or by the VACUUM's
		// commit, which is running).
		return errors.Join(errs...)
	}
	mpath, err := t.manifestPath()
	if err == nil {
		err = writeManifest(mpath, t.manifestOf(t.files.Load().files))
	}
	return errors.Join(append(errs, err)...)
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
	// PlainColumns are the paths (parquet.ColumnPath.String) of the leaf
	// columns whose first column chunk in the first file has data pages
	// without dictionary encoding: its writer's dictionary overflowed (a
	// key, a timestamp) or was off. Writing them with a dictionary again
	// would cost a hash lookup per value only to fall back to plain pages.
	PlainColumns []string
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
				rf.PlainColumns = plainColumns(md)
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

// plainColumns returns the paths of the leaf columns whose chunk in the
// first row group of md has a data page not encoded with its dictionary.
func plainColumns(md *metadata.FileMetaData) []string {
	var paths []string
	rg := md.RowGroup(0)
	for c := range md.NumColumns() {
		cc, err := rg.ColumnChunk(c)
		if err != nil {
			continue
		}
		plain := !cc.HasDictionaryPage()
		for _, st := range cc.EncodingStats() {
			// Parquet's PageType: 0 DATA_PAGE, 1 INDEX_PAGE, 2
			// DICTIONARY_PAGE, 3 DATA_PAGE_V2 (arrow-go's type for it is
			// internal).
			isData := st.PageType == 0 || st.PageType == 3
			if isData && st.Encoding != parquet.Encodings.RLEDict && st.Encoding != parquet.Encodings.PlainDict {
				plain = true
			}
		}
		if plain {
			paths = append(paths, md.Schema.Column(c).ColumnPath().String())
		}
	}
	return paths
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
	// removedNums lists, for a key kind held as an integer, one entry per
	// removed row: the tombstone that removed it (the oldest that hides the
	// row), as (seq, key). Sorted once ReadLive is done, it takes 16 bytes
	// per removed row, a fraction of what a map of counts would.
	removedNums []seqNum
	// removedBy counts the removed rows of the other key kinds by the
	// tombstone that removed them.
	removedBy map[seqKey]int64
	// kept counts the rows passed on whose key has a tombstone in the
	// snapshot (rows of files registered after that DELETE).
	kept map[tombstone.Key]int64
}

type seqKey struct {
	seq uint64
	key tombstone.Key
}

type seqNum struct {
	seq uint64
	num int64
}

func (a seqNum) compare(b seqNum) int {
	if c := cmp.Compare(a.seq, b.seq); c != 0 {
		return c
	}
	return cmp.Compare(a.num, b.num)
}

// numericKey reports whether keys of kind are compared by their Int value.
func numericKey(kind tombstone.KeyKind) bool {
	switch kind {
	case tombstone.KindInt, tombstone.KindDate, tombstone.KindTimestamp, tombstone.KindTimestampTZ:
		return true
	}
	return false
}

// countRemoved records one row removed by the tombstone of k at seq.
func (ls *LiveStats) countRemoved(seq uint64, k tombstone.Key) {
	if numericKey(k.Kind()) {
		ls.removedNums = append(ls.removedNums, seqNum{seq, k.Int()})
		return
	}
	if ls.removedBy == nil {
		ls.removedBy = make(map[seqKey]int64)
	}
	ls.removedBy[seqKey{seq, cloneKey(k)}]++
}

// RemovedBy returns the number of rows ReadLive left out because of ts, a
// tombstone of the snapshot: each removed row counts for the oldest
// tombstone that hides it.
func (ls *LiveStats) RemovedBy(ts tombstone.Tombstone) int64 {
	if numericKey(ts.Key.Kind()) {
		want := seqNum{ts.Seq, ts.Key.Int()}
		lo, _ := slices.BinarySearchFunc(ls.removedNums, want, seqNum.compare)
		hi := lo
		for hi < len(ls.removedNums) && ls.removedNums[hi] == want {
			hi++
		}
		return int64(hi - lo)
	}
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
	ls := &LiveStats{kept: make(map[tombstone.Key]int64)}
	if numericKey(t.keyKind) {
		// The rows hidden when the snapshot was taken: usually exactly
		// the rows this VACUUM removes, so the list is allocated once.
		ls.removedNums = make([]seqNum, 0, max(0, min(s.files.hiddenRows, s.files.rawRows)))
	}
	mem := memory.DefaultAllocator
	plan := t.plans[t.key]
	var keys []tombstone.Key
	var valid, hidden []bool
	var by []uint64
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
						err := fn(whole)
						whole.Release()
						if err != nil {
							return err
						}
						continue
					}
					keyArr, err := convertArray(ctx, mem, rec.Column(plan.field), plan)
					if err != nil {
						whole.Release()
						return fmt.Errorf("read %s row group %d key column: %w", df.path, rg, err)
					}
					if cap(keys) < n {
						keys, valid, hidden, by = make([]tombstone.Key, n), make([]bool, n), make([]bool, n), make([]uint64, n)
					}
					ks, vs, hs, bs := keys[:n], valid[:n], hidden[:n], by[:n]
					err = arrayKeys(keyArr, t.keyKind, ks, vs)
					if err == nil {
						// One probe per row answers hidden, by which DELETE,
						// and whether a kept row's key was deleted: the
						// snapshot's index serves them all, as a copy of the
						// log keyed by Key would cost every tombstone again.
						s.tomb.ProbeMany(ks, df.seq, hs, bs)
						for i := range n {
							switch {
							case !vs[i]:
								hs[i] = false
							case hs[i]:
								ls.countRemoved(bs[i], ks[i])
							case bs[i] != 0:
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
	slices.SortFunc(ls.removedNums, seqNum.compare)
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
// its garbage; one filter copy per batch is far cheaper then. A few
// deletes per batch (a thousand in ten million rows, say) leave a few
// runs, and a filter copy of the whole batch would cost more than the
// slices: a copy of every value and garbage of the batch's size, on the
// goroutine that also decodes.
const maxSliceRuns = 16

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
		// Only the key column is read, and probed a batch at a time under
		// one lock: with fileSeq 0 a key is hidden iff the snapshot holds a
		// DELETE of it.
		allowed := maps.Clone(live.kept)
		fset := newFileSet([]*dataFile{df})
		var bad int64
		var hidden []bool
		err := t.forEachKeyBatch(ctx, fset, fset.rowGroups, func(_ RowGroup, keys []tombstone.Key, valid []bool) {
			if cap(hidden) < len(keys) {
				hidden = make([]bool, len(keys))
			}
			hs := hidden[:len(keys)]
			if s.tomb.HiddenMany(keys, 0, hs) == 0 {
				return
			}
			for i, k := range keys {
				if !valid[i] || !hs[i] {
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
	// Removed are the replaced files: unlinked, or to be unlinked when the
	// last Snapshot or scan holding them releases them.
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
	prevApplied, prevPending := t.appliedSeq, t.unlinkPending
	t.appliedSeq = seq
	// The replaced files are listed as retired until they are removed:
	// readers may hold them past the cleanup the intent records.
	for _, df := range s.files.files {
		if df.path != final {
			t.unlinkPending = append(slices.Clip(t.unlinkPending), df)
		}
	}
	m := t.manifestOf(files)
	m.Vacuum = intent
	if err := writeFileAtomicFS(fsys, mpath, m); err != nil {
		var dse *dirSyncError
		if errors.As(err, &dse) {
			t.failed = &CommitError{Err: err}
			return CommitResult{}, t.failed
		}
		t.appliedSeq, t.unlinkPending = prevApplied, prevPending
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
	// The VACUUM's own snapshot reads the replaced files no more: only
	// other readers may defer their removal.
	s.Release()
	var closeNow []*dataFile
	for _, df := range s.files.files {
		if t.retire(df, df.path != final) {
			closeNow = append(closeNow, df)
		}
	}
	res := CommitResult{Removed: slices.Clone(s.files.paths), Output: final}
	if err := t.closeRetired(closeNow, fsys, true); err != nil {
		return fail(err)
	}
	if opts.BeforeDrop != nil {
		if err := opts.BeforeDrop(); err != nil {
			return fail(err)
		}
	}
	if err := t.tlog.DropApplied(ctx, seq, nil); err != nil {
		return fail(err)
	}
	m = t.manifestOf(files) // without the cleanup, and without the files removed since
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
	var retired []manifestEntry
	if name, err := manifestName(src.name); err == nil {
		// A corrupt manifest is reported by openState.
		if m, err := readManifest(filepath.Join(c.stateDir, name), src.name); err == nil && m != nil {
			intent, retired = m.Vacuum, m.Retired
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
	// Files committed VACUUMs replaced whose readers kept them until the
	// process ended: removed if still the same files.
	retiredDirs := make(map[string]bool)
	for _, e := range retired {
		p, err := abs(e.Name)
		if err != nil {
			return src, err
		}
		f, err := os.Open(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return src, fmt.Errorf("finish VACUUM: %w", err)
		}
		same := false
		if info, err := f.Stat(); err == nil && info.Size() == e.Size {
			crc, err := footerCRC(f, e.Size)
			same = err == nil && crc == e.FooterCRC32C
		}
		_ = f.Close()
		if !same {
			c.opts.Logger.Warn().Str("table", src.name).Str("file", p).Msg("a file VACUUM replaced was replaced by another: keeping it")
			continue
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return src, fmt.Errorf("finish VACUUM: %w", err)
		}
		c.opts.Logger.Info().Str("table", src.name).Str("file", p).Msg("removed a data file VACUUM replaced while it was being read")
		retiredDirs[filepath.Dir(p)] = true
	}
	for d := range retiredDirs {
		if err := syncDir(d); err != nil {
			return src, fmt.Errorf("finish VACUUM: %w", err)
		}
		changed = true
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
