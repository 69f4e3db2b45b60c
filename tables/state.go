package tables

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"

	"github.com/pqsql/pqsql/tombstone"
)

// ErrCorrupt marks a table state file (a manifest) that cannot be trusted.
// A table with one is unavailable (Table.Err); the engine reports it as
// SQLSTATE XX001, like a corrupt tombstone log.
var ErrCorrupt = errors.New("tables: table state corrupt")

const (
	// manifestExt ends a table's manifest file name in the state directory.
	manifestExt = ".manifest.json"
	// tempExt ends a file being written, replaced by rename when complete.
	tempExt = ".tmp"
	// manifestVersion is the manifest format this package writes and reads.
	manifestVersion = 1
	// maxNameLen is the longest file name common file systems take.
	maxNameLen = 255
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// manifest is the per-table file <stateDir>/<escaped table>.manifest.json.
// It registers every data file of the table with the sequence number at
// which it was first seen: a tombstone with a higher number hides its rows,
// one with a lower or equal number does not.
type manifest struct {
	Version int    `json:"version"`
	Table   string `json:"table"`
	// AppliedSeq is the highest sequence number whose tombstones a VACUUM has
	// applied to the files listed; 0 before the first VACUUM.
	AppliedSeq uint64          `json:"applied_seq"`
	Files      []manifestEntry `json:"files"`
	// Vacuum is the cleanup a committed VACUUM still owes, if any: Open
	// finishes it (see recoverVacuum) and rewrites the manifest without it.
	Vacuum *vacuumIntent `json:"vacuum,omitempty"`
	// Retired are files committed VACUUMs replaced that were still being
	// read when the manifest was written, so not yet removed: Open removes
	// those still there with the same size and footer, which a crash left
	// behind, rather than registering their rows again.
	Retired []manifestEntry `json:"retired,omitempty"`
}

// manifestEntry registers one data file.
type manifestEntry struct {
	// Name is the file's path relative to the data directory, with '/'.
	Name string `json:"name"`
	Size int64  `json:"size"`
	// FooterCRC32C is the CRC-32C of the file's Parquet footer and trailer
	// (its last footer length + 8 bytes): with Size, the file's fingerprint.
	FooterCRC32C uint32 `json:"footer_crc32c"`
	Seq          uint64 `json:"seq"`
}

// manifestName returns the manifest's file name for table, escaped like the
// tombstone log's.
func manifestName(table string) (string, error) {
	logName, err := tombstone.FileName(table)
	if err != nil {
		return "", err
	}
	name := strings.TrimSuffix(logName, ".tlog") + manifestExt
	if len(name)+len(tempExt) > maxNameLen {
		return "", fmt.Errorf("table name of %d bytes is too long for a manifest file name", len(table))
	}
	return name, nil
}

// readManifest reads path; a missing file gives nil and no error.
func readManifest(path, table string) (*manifest, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read manifest %s: %w", path, err)
	}
	var m manifest
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: manifest %s: %w", ErrCorrupt, path, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: manifest %s: trailing data", ErrCorrupt, path)
	}
	if m.Version != manifestVersion {
		return nil, fmt.Errorf("%w: manifest %s: version %d, want %d", ErrCorrupt, path, m.Version, manifestVersion)
	}
	if m.Table != table {
		return nil, fmt.Errorf("%w: manifest %s is for table %q", ErrCorrupt, path, m.Table)
	}
	seen := make(map[string]bool, len(m.Files))
	for _, e := range m.Files {
		if e.Name == "" || seen[e.Name] {
			return nil, fmt.Errorf("%w: manifest %s: empty or duplicate file name %q", ErrCorrupt, path, e.Name)
		}
		seen[e.Name] = true
	}
	return &m, nil
}

// writeManifest durably replaces path with m.
func writeManifest(path string, m *manifest) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("write manifest %s: %w", path, err)
	}
	if err := writeFileAtomic(path, append(data, '\n')); err != nil {
		return fmt.Errorf("write manifest %s: %w", path, err)
	}
	return nil
}

// writeFileAtomic replaces path with data: it writes path.tmp, fsyncs and
// closes it, renames it over path and fsyncs the directory, so a crash
// leaves either the old file or the new one, and a nil return means the new
// one is durable.
func writeFileAtomic(path string, data []byte) (err error) {
	tmp := path + tempExt
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp)
		}
	}()
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

// syncDir fsyncs a directory, making the entries created, renamed or
// removed in it durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	serr := d.Sync()
	cerr := d.Close()
	if serr != nil {
		return fmt.Errorf("sync directory %s: %w", dir, serr)
	}
	return cerr
}

// createDir creates dir and any missing parents, and fsyncs it and its
// parent so that the new entries are durable.
func createDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	return syncDir(filepath.Dir(dir))
}

// dataFile is one opened data file of a table. It is immutable once its
// table's file set is published.
type dataFile struct {
	path string
	// rel is path relative to the data directory, with '/': its manifest name.
	rel       string
	size      int64
	footerCRC uint32
	// seq is the sequence number the file is registered at.
	seq    uint64
	reader *file.Reader
	// plans are the file's own column plans.
	plans        []fieldPlan
	rowGroupRows []int64
	// stats[rg][col] are the statistics of row group rg.
	stats [][]Stats
	// retired is set when the file leaves its table's file set, the one
	// change after publication: the cache then keeps nothing of it.
	retired atomic.Bool
	// holders counts the Snapshots and scans that may read the file; when
	// it is 0 once the file has left the file set (left), the file is
	// closed (and unlinked if unlink is set), and closed set. Guarded by
	// the table's refMu, unlike retired, which the cache sets first.
	holders int64
	left    bool
	closed  bool
	// unlink is set when a committed VACUUM replaced the file: it is
	// removed from disk once closed. Guarded by the table's refMu.
	unlink bool
	// info identifies the opened file, so that a deferred unlink never
	// removes another file renamed to its name since.
	info os.FileInfo
}

// openDataFile opens path, reads its footer, fingerprints it and converts
// its statistics. It returns the fields left out for their type.
func openDataFile(dataDir, path string) (_ *dataFile, skipped []*unsupportedTypeError, err error) {
	rel, err := filepath.Rel(dataDir, path)
	if err != nil {
		return nil, nil, &fileError{path: path, err: err}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, &fileError{path: path, err: err}
	}
	closeFile := true
	defer func() {
		if closeFile {
			_ = f.Close()
		}
	}()
	info, err := f.Stat()
	if err != nil {
		return nil, nil, &fileError{path: path, err: err}
	}
	crc, err := footerCRC(f, info.Size())
	if err != nil {
		return nil, nil, &fileError{path: path, err: fmt.Errorf("read footer: %w", err)}
	}
	rdr, err := file.NewParquetReader(f, file.WithReadProps(parquet.NewReaderProperties(memory.DefaultAllocator)))
	if err != nil {
		return nil, nil, &fileError{path: path, err: fmt.Errorf("read footer: %w", err)}
	}
	closeFile = false // rdr owns f now
	df := &dataFile{path: path, rel: filepath.ToSlash(rel), size: info.Size(), footerCRC: crc, reader: rdr, info: info}
	defer func() {
		if err != nil {
			_ = rdr.Close()
		}
	}()
	md := rdr.MetaData()
	// WriterVersion is computed lazily and cached unsynchronized: compute
	// it now, before concurrent scans read it.
	md.WriterVersion()
	df.plans, skipped = planFields(md.Schema)
	for rg := range md.NumRowGroups() {
		rgMeta := md.RowGroup(rg)
		df.rowGroupRows = append(df.rowGroupRows, rgMeta.NumRows())
		stats, err := rowGroupStats(rgMeta, df.plans)
		if err != nil {
			return nil, nil, &fileError{path: path, err: fmt.Errorf("read statistics of row group %d: %w", rg, err)}
		}
		df.stats = append(df.stats, stats)
	}
	return df, skipped, nil
}

// footerCRC returns the CRC-32C of the Parquet footer and 8-byte trailer of
// a file of size bytes.
func footerCRC(r io.ReaderAt, size int64) (uint32, error) {
	if size < 12 {
		return 0, fmt.Errorf("file of %d bytes is too short for Parquet", size)
	}
	var trailer [8]byte
	if _, err := r.ReadAt(trailer[:], size-8); err != nil {
		return 0, err
	}
	n := int64(binary.LittleEndian.Uint32(trailer[:4])) + 8
	if n > size-4 {
		return 0, fmt.Errorf("footer length %d exceeds file size %d", n-8, size)
	}
	buf := make([]byte, n)
	if _, err := r.ReadAt(buf, size-n); err != nil {
		return 0, err
	}
	return crc32.Checksum(buf, castagnoli), nil
}

// sameFile reports whether df is the file e registered.
func sameFile(e manifestEntry, df *dataFile) bool {
	return e.Size == df.size && e.FooterCRC32C == df.footerCRC
}

// manifestPath returns the path of the table's manifest.
func (t *Table) manifestPath() (string, error) {
	name, err := manifestName(t.name)
	if err != nil {
		return "", err
	}
	return filepath.Join(t.stateDir, name), nil
}

// openState takes the table's tombstone log (tombstone.Open's results,
// which it closes on error) and opens its manifest, registers the files the
// manifest lacks, drops the ones that vanished, and counts the rows the
// tombstones hide. On error the table is unavailable.
func (t *Table) openState(ctx context.Context, tlog *tombstone.Log, tlogErr error) error {
	if tlogErr != nil {
		return tlogErr
	}
	mpath, err := t.manifestPath()
	if err != nil {
		_ = tlog.Close()
		return err
	}
	t.tlog = tlog
	ok := false
	defer func() {
		if !ok {
			_ = tlog.Close()
			t.tlog = nil
		}
	}()
	// Under the log's lock, a leftover temp manifest is a crashed write.
	if err := os.Remove(mpath + tempExt); err == nil {
		if err := syncDir(t.stateDir); err != nil {
			return err
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove leftover %s: %w", mpath+tempExt, err)
	}
	m, err := readManifest(mpath, t.name)
	if err != nil {
		return err
	}
	if m != nil {
		// The manifest never names a number the log has not durably taken;
		// if it does, the log was lost or replaced and new DELETEs would not
		// reach the files registered after its counter.
		next := tlog.NextSeq()
		for _, e := range m.Files {
			if e.Seq >= next {
				return fmt.Errorf("%w: manifest %s registers %s at sequence %d but the tombstone log's next sequence number is %d: the log was lost or replaced (remove the manifest too to start over)",
					ErrCorrupt, mpath, e.Name, e.Seq, next)
			}
		}
		if m.AppliedSeq >= next && m.AppliedSeq > 0 {
			return fmt.Errorf("%w: manifest %s has applied_seq %d but the tombstone log's next sequence number is %d", ErrCorrupt, mpath, m.AppliedSeq, next)
		}
	}
	if m != nil && m.AppliedSeq > 0 {
		// A VACUUM committed these tombstones into the files; it may have
		// died before dropping them from the log.
		if err := tlog.DropApplied(ctx, m.AppliedSeq, nil); err != nil {
			return err
		}
	}
	all := tlog.All()
	var lastDelete uint64
	for _, ts := range all {
		lastDelete = max(lastDelete, ts.Seq)
		if ts.KeyColumn != t.columns[t.key].Name || ts.Key.Kind() != t.keyKind {
			return fmt.Errorf("tombstone log has %s keys of column %q, but the key column is %q (%s): restore the key column configuration",
				ts.Key.Kind(), ts.KeyColumn, t.columns[t.key].Name, t.keyKind)
		}
	}
	t.lastDeleteSeq.Store(lastDelete)

	fset := t.files.Load()
	changed := m == nil || m.Vacuum != nil || len(m.Retired) > 0
	byName := make(map[string]manifestEntry)
	if m != nil {
		t.appliedSeq = m.AppliedSeq
		for _, e := range m.Files {
			byName[e.Name] = e
		}
	}
	var fresh []*dataFile
	onDisk := make(map[string]bool)
	for _, df := range fset.files {
		onDisk[df.rel] = true
		e, known := byName[df.rel]
		switch {
		case known && sameFile(e, df):
			df.seq = e.Seq
		case known:
			t.logger.Warn().Str("table", t.name).Str("file", df.path).
				Int64("old_size", e.Size).Int64("size", df.size).
				Msg("data file changed under the same name: registering it as a new file")
			fresh = append(fresh, df)
		case m == nil && len(all) > 0:
			// Without a manifest the files' registration is unknown: every
			// tombstone hides their rows, so no deleted row comes back.
			t.logger.Warn().Str("table", t.name).Str("file", df.path).
				Msg("manifest missing but tombstones exist: registering file at sequence 0, so all tombstones apply to it")
			df.seq = 0
		default:
			fresh = append(fresh, df)
		}
	}
	for _, e := range byName {
		if !onDisk[e.Name] {
			t.logger.Warn().Str("table", t.name).Str("file", e.Name).Msg("registered data file vanished: dropping it from the manifest")
			changed = true
		}
	}
	if len(fresh) > 0 {
		seq, err := tlog.ReserveSeq(ctx)
		if err != nil {
			return err
		}
		for _, df := range fresh {
			df.seq = seq
		}
		changed = true
	}
	if changed {
		if err := writeManifest(mpath, t.manifestOf(fset.files)); err != nil {
			return err
		}
	}
	if lastDelete > 0 {
		hidden, err := t.countHidden(ctx, fset, tlog.Snapshot())
		if err != nil {
			return err
		}
		t.files.Store(fset.withHidden(hidden))
	}
	ok = true
	return nil
}

// manifestOf returns the manifest registering files. t.mu is held, or the
// table is not yet published.
func (t *Table) manifestOf(files []*dataFile) *manifest {
	m := &manifest{Version: manifestVersion, Table: t.name, AppliedSeq: t.appliedSeq, Files: make([]manifestEntry, 0, len(files))}
	for _, df := range files {
		m.Files = append(m.Files, manifestEntry{Name: df.rel, Size: df.size, FooterCRC32C: df.footerCRC, Seq: df.seq})
	}
	slices.SortFunc(m.Files, func(a, b manifestEntry) int { return strings.Compare(a.Name, b.Name) })
	for _, df := range t.unlinkPending {
		m.Retired = append(m.Retired, manifestEntry{Name: df.rel, Size: df.size, FooterCRC32C: df.footerCRC, Seq: df.seq})
	}
	return m
}
