package tables

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/rs/zerolog"

	"github.com/pqsql/pqsql/tombstone"
)

// parquetExt is the file name extension of data files.
const parquetExt = ".parquet"

// defaultStateDir is the name of the state directory inside the data
// directory when Options.StateDir is empty.
const defaultStateDir = "_pqsql"

// Catalog is the set of tables found under a data directory.
type Catalog struct {
	dir      string
	stateDir string
	opts     Options

	// mu serializes Rescan and Close.
	mu sync.Mutex
	// tables is the sorted table list; a new slice is stored on change, so a
	// loaded one is never modified.
	tables atomic.Pointer[[]*Table]
	closed bool
	// cache holds decoded column chunks of every table; nil when off.
	cache *chunkCache
}

// Open discovers the tables under dir: each NAME.parquet file and each
// directory NAME/ of *.parquet files is table NAME. A table whose files do not
// share a schema, or are unreadable, is skipped with a log line.
//
// Names are kept exactly as they are on disk. Hidden entries, names starting
// with '_' or '.', "*.tmp" files and directories below NAME/ are ignored. Each
// file's footer is read once here; the files stay open until Close.
//
// Open creates the state directory (Options.StateDir) and opens each table's
// tombstone log and manifest there, registering data files it has not seen
// before (see Table.Snapshot for sequence numbers). A table whose state
// cannot be used, such as one with a corrupt tombstone log, stays in the
// catalog with Table.Err reporting why; the other tables serve. Open fails
// only if dir cannot be listed or the state directory cannot be created.
func Open(ctx context.Context, dir string, opts Options) (*Catalog, error) {
	stateDir := opts.StateDir
	if stateDir == "" {
		stateDir = filepath.Join(dir, defaultStateDir)
	}
	c := &Catalog{dir: dir, stateDir: stateDir, opts: opts, cache: newChunkCache(opts.CacheBytes)}
	c.tables.Store(&[]*Table{})
	found, err := c.discover(ctx)
	if err != nil {
		return nil, fmt.Errorf("open catalog %s: %w", dir, err)
	}
	if err := createDir(stateDir); err != nil {
		return nil, fmt.Errorf("open catalog %s: create state directory: %w", dir, err)
	}
	var tables []*Table
	for _, src := range found {
		if err := ctx.Err(); err != nil {
			closeTables(tables)
			return nil, fmt.Errorf("open catalog %s: %w", dir, err)
		}
		if t := c.openTable(ctx, src); t != nil {
			tables = append(tables, t)
		}
	}
	c.tables.Store(&tables)
	return c, nil
}

// tableSource is a table found on disk: NAME.parquet or NAME/.
type tableSource struct {
	name  string
	path  string
	isDir bool
	files []string
}

// discover lists the table sources under c.dir, sorted by name, logging the
// entries it skips.
func (c *Catalog) discover(ctx context.Context) ([]tableSource, error) {
	logger := c.opts.Logger
	entries, err := os.ReadDir(c.dir)
	if err != nil {
		return nil, err
	}
	var found []tableSource
	dup := make(map[string]bool)
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		name := e.Name()
		if ignoredName(name) {
			continue
		}
		path := filepath.Join(c.dir, name)
		info, err := os.Stat(path) // follows symlinks
		if err != nil {
			logger.Warn().Str("file", path).Err(err).Msg("skipping unreadable entry")
			continue
		}
		src := tableSource{name: name, path: path}
		switch {
		case info.IsDir():
			src.isDir = true
			src.files, err = dataFiles(path)
			if err != nil {
				logger.Warn().Str("table", name).Str("file", path).Err(err).Msg("skipping table")
				continue
			}
			if len(src.files) == 0 {
				logger.Warn().Str("table", name).Str("file", path).Msg("skipping table: directory has no .parquet files")
				continue
			}
		case info.Mode().IsRegular() && strings.HasSuffix(name, parquetExt) && len(name) > len(parquetExt):
			src.files = []string{path}
			src.name = strings.TrimSuffix(name, parquetExt)
		default:
			continue
		}
		if i := slices.IndexFunc(found, func(s tableSource) bool { return s.name == src.name }); i >= 0 || dup[src.name] {
			logger.Warn().Str("table", src.name).Str("file", path).Msg("skipping table: both NAME.parquet and NAME/ exist")
			if i >= 0 {
				found = slices.Delete(found, i, i+1)
			}
			dup[src.name] = true
			continue
		}
		found = append(found, src)
	}
	slices.SortFunc(found, func(a, b tableSource) int { return strings.Compare(a.name, b.name) })
	return found, nil
}

// openTable opens one table found on disk, or logs why it is skipped and
// returns nil. A table whose data files open but whose state does not is
// returned with its err set.
func (c *Catalog) openTable(ctx context.Context, src tableSource) *Table {
	// The log's lock is taken first, so that VACUUM recovery never runs
	// under another process serving the table.
	tlog, tlogErr := tombstone.Open(ctx, c.stateDir, src.name, c.opts.Logger)
	if tlogErr == nil {
		var err error
		if src, err = c.recoverVacuum(src); err != nil {
			_ = tlog.Close()
			c.opts.Logger.Warn().Str("table", src.name).Err(err).Msg("skipping table: cannot complete an interrupted VACUUM")
			return nil
		}
	}
	t, err := newTable(src, c)
	if err != nil {
		if tlog != nil {
			_ = tlog.Close()
		}
		ev := c.opts.Logger.Warn().Str("table", src.name)
		var fe *fileError
		if errors.As(err, &fe) {
			ev = ev.Str("file", fe.path)
		}
		ev.Err(err).Msg("skipping table")
		return nil
	}
	if err := t.openState(ctx, tlog, tlogErr); err != nil {
		t.err = fmt.Errorf("table %q is unavailable: %w", t.name, err)
		c.opts.Logger.Error().Str("table", t.name).Err(err).Msg("table unavailable")
	}
	return t
}

// ignoredName reports whether a directory entry is never a table or data file.
func ignoredName(name string) bool {
	return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || strings.HasSuffix(name, ".tmp")
}

// dataFiles lists the *.parquet files directly in dir, sorted by name.
func dataFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	var files []string
	for _, e := range entries {
		name := e.Name()
		if ignoredName(name) || !strings.HasSuffix(name, parquetExt) {
			continue
		}
		path := filepath.Join(dir, name)
		info, err := os.Stat(path)
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		files = append(files, path)
	}
	slices.Sort(files)
	return files, nil
}

// Close closes every table's files and tombstone log. Scans must be closed
// first.
func (c *Catalog) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	if c.cache != nil {
		c.cache.clear()
	}
	return closeTables(*c.tables.Load())
}

func closeTables(tables []*Table) error {
	var errs []error
	for _, t := range tables {
		errs = append(errs, t.close())
	}
	return errors.Join(errs...)
}

// Tables returns the tables sorted by name. The slice must not be modified.
func (c *Catalog) Tables() []*Table { return *c.tables.Load() }

// Table returns the table with exactly this name, or nil.
func (c *Catalog) Table(name string) *Table {
	for _, t := range c.Tables() {
		if t.name == name {
			return t
		}
	}
	return nil
}

// StateDir returns the directory holding the tables' tombstone logs and
// manifests.
func (c *Catalog) StateDir() string { return c.stateDir }

// Table is one Parquet dataset. Its methods are safe for concurrent use.
type Table struct {
	name string
	// source is the NAME.parquet file or NAME/ directory the table comes from.
	source      string
	sourceIsDir bool
	dataDir     string
	stateDir    string
	logger      zerolog.Logger
	// cache is the catalog's decoded column chunk cache; nil when off.
	cache *chunkCache

	columns []Column
	key     int
	// keyKind is the tombstone key kind of the key column, KindInvalid when
	// its type cannot be keyed on.
	keyKind tombstone.KeyKind
	// plans map each column to its Parquet field, parallel to columns; every
	// file of the table has the same.
	plans []fieldPlan
	// skippedColumns counts the fields of unsupported type left out.
	skippedColumns int

	// tlog is the table's tombstone log; nil when err is set.
	tlog *tombstone.Log
	// err is why the table is unavailable; set by Open only.
	err error

	// mu serializes the writers of the table's state: Delete and Rescan.
	mu sync.Mutex
	// appliedSeq is the manifest's applied_seq. Guarded by mu.
	appliedSeq uint64
	// refMu guards the holders, closed and unlink fields of the table's
	// data files, and retired: taking a Snapshot and retiring a file
	// serialize on it, so a file is never closed under a new reader.
	refMu sync.Mutex
	// retired are the files no longer in the file set that Snapshots or
	// scans taken before still hold: each is closed (and unlinked, if a
	// VACUUM replaced it) when its last holder releases it, or by close.
	// Guarded by refMu.
	retired []*dataFile
	// retiredOpen counts the retired files not yet closed.
	retiredOpen atomic.Int64
	// unlinkPending are the files VACUUMs replaced that are not removed
	// yet because readers hold them; the manifest lists them (Retired) so
	// that a crash cannot bring their rows back. Guarded by mu.
	unlinkPending []*dataFile
	// vacuumSem is held by the table's one running VACUUM (LockVacuum).
	vacuumSem chan struct{}
	// failed is set when a VACUUM failed after its commit point: the files
	// on disk are then ahead of the in-memory state until the catalog is
	// reopened, which completes the VACUUM. Rescan and VACUUM refuse the
	// table meanwhile. Guarded by mu.
	failed error
	// files is the current file set, replaced whole on change.
	files atomic.Pointer[fileSet]
	// lastDeleteSeq is the highest sequence number of a DELETE seen; a file
	// registered at or after it has no hidden rows. It never decreases.
	lastDeleteSeq atomic.Uint64
	// lastSchema is the schema schemaOf built last.
	lastSchema atomic.Pointer[columnsSchema]
	// lookups holds idle *keyLookup buffers of LookupKeys, so that a point
	// read allocates nothing once warm.
	lookups sync.Pool
}

// fileSet is an immutable view of a table's data files. Scans keep the one
// they started with; Delete and Rescan store a new one.
type fileSet struct {
	files []*dataFile
	paths []string
	// rowGroups lists every row group; firstRowGroup[f] is the index in
	// rowGroups of file f's first row group.
	rowGroups     []RowGroup
	firstRowGroup []int
	// stats[i][col] are the statistics of rowGroups[i].
	stats   [][]Stats
	rawRows int64
	// hidden[f] counts the rows of file f hidden by the tombstones, and
	// hiddenRows their sum.
	hidden     []int64
	hiddenRows int64
}

// newFileSet assembles the file set of files, with no hidden rows.
func newFileSet(files []*dataFile) *fileSet {
	fs := &fileSet{files: files, hidden: make([]int64, len(files))}
	for fi, df := range files {
		fs.paths = append(fs.paths, df.path)
		fs.firstRowGroup = append(fs.firstRowGroup, len(fs.rowGroups))
		for rg, n := range df.rowGroupRows {
			fs.rowGroups = append(fs.rowGroups, RowGroup{File: fi, Index: rg, NumRows: n})
			fs.rawRows += n
		}
		fs.stats = append(fs.stats, df.stats...)
	}
	return fs
}

// withHidden returns a copy of fs with hidden replaced.
func (fs *fileSet) withHidden(hidden []int64) *fileSet {
	n := *fs
	n.hidden = hidden
	n.hiddenRows = 0
	for _, h := range hidden {
		n.hiddenRows += h
	}
	return &n
}

// rowGroupIndex returns rg's index in fs.rowGroups.
func (fs *fileSet) rowGroupIndex(rg RowGroup) (int, bool) {
	if rg.File < 0 || rg.File >= len(fs.firstRowGroup) || rg.Index < 0 {
		return 0, false
	}
	i := fs.firstRowGroup[rg.File] + rg.Index
	if i >= len(fs.rowGroups) || fs.rowGroups[i].File != rg.File {
		return 0, false
	}
	return i, true
}

// newTable opens the data files of one table and checks they share a schema.
func newTable(src tableSource, c *Catalog) (_ *Table, err error) {
	t := &Table{
		name:        src.name,
		source:      src.path,
		sourceIsDir: src.isDir,
		dataDir:     c.dir,
		stateDir:    c.stateDir,
		logger:      c.opts.Logger,
		cache:       c.cache,
		vacuumSem:   make(chan struct{}, 1),
	}
	var files []*dataFile
	defer func() {
		if err != nil {
			for _, df := range files {
				_ = df.reader.Close()
			}
		}
	}()
	var firstSkipped []*unsupportedTypeError
	for fi, path := range src.files {
		df, skipped, err := openDataFile(c.dir, path)
		if err != nil {
			return nil, err
		}
		files = append(files, df)
		if fi == 0 {
			t.plans = df.plans
			t.skippedColumns = len(skipped)
			firstSkipped = skipped
		} else if err := sameColumns(t.plans, df.plans, t.skippedColumns, len(skipped)); err != nil {
			return nil, &fileError{path: path, err: fmt.Errorf("schema differs from %s: %w", src.files[0], err)}
		}
	}
	if len(t.plans) == 0 {
		return nil, errors.New("no columns of a supported type")
	}
	for _, err := range firstSkipped {
		c.opts.Logger.Warn().Str("table", t.name).Str("file", src.files[0]).Str("column", err.field).Err(err).Msg("skipping column")
	}
	t.columns = make([]Column, len(t.plans))
	for i, p := range t.plans {
		t.columns[i] = p.column
	}
	// A column optional in any file is nullable.
	for _, df := range files[1:] {
		for i := range df.plans {
			t.columns[i].Nullable = t.columns[i].Nullable || df.plans[i].column.Nullable
		}
	}
	key := "id"
	configured, isConfigured := c.opts.KeyColumns[t.name]
	if isConfigured {
		key = configured
	}
	t.key = t.Column(key)
	if t.key < 0 {
		if isConfigured {
			return nil, fmt.Errorf("configured key column %q not found", configured)
		}
		t.key = 0
	}
	t.keyKind = keyKindOf(t.columns[t.key].Type)
	t.files.Store(newFileSet(files))
	return t, nil
}

// fileError is an error about one data file of a table.
type fileError struct {
	path string
	err  error
}

func (e *fileError) Error() string { return e.path + ": " + e.err.Error() }
func (e *fileError) Unwrap() error { return e.err }

// sameColumns reports why two files' column plans differ, or nil.
func sameColumns(want, got []fieldPlan, wantSkipped, gotSkipped int) error {
	if wantSkipped != gotSkipped || len(want) != len(got) {
		return fmt.Errorf("%d columns, want %d", len(got), len(want))
	}
	for i := range want {
		w, g := want[i], got[i]
		if w.column.Name != g.column.Name || w.column.Type != g.column.Type || w.field != g.field {
			return fmt.Errorf("column %d is %q %+v, want %q %+v", i, g.column.Name, g.column.Type, w.column.Name, w.column.Type)
		}
	}
	return nil
}

// close closes the table's files and tombstone log.
func (t *Table) close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	var errs []error
	if fs := t.files.Load(); fs != nil {
		for _, df := range fs.files {
			errs = append(errs, df.reader.Close())
		}
	}
	// Readers still holding retired files fail from here, as they would
	// on the table's current files.
	t.refMu.Lock()
	retired := t.retired
	t.retired = nil
	for _, df := range retired {
		df.closed = true
	}
	t.refMu.Unlock()
	errs = append(errs, t.closeRetired(retired, OSFS(), true))
	if t.tlog != nil {
		errs = append(errs, t.tlog.Close())
	}
	return errors.Join(errs...)
}

// Name returns the table's name.
func (t *Table) Name() string { return t.name }

// Err reports why the table cannot be served, or nil. A table whose
// tombstone log is corrupt has an Err satisfying
// errors.Is(err, tombstone.ErrCorrupt), one whose manifest is corrupt one
// satisfying errors.Is(err, ErrCorrupt); the engine reports both as SQLSTATE
// XX001. Scans of an unavailable table fail with Err, except Raw scans,
// which need no tombstones; Delete fails; RowCount is 0.
func (t *Table) Err() error { return t.err }

// Columns returns the table's columns in file order.
func (t *Table) Columns() []Column { return t.columns }

// Column returns the index in Columns of the column with exactly this name,
// or -1.
func (t *Table) Column(name string) int {
	for i, c := range t.columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// KeyColumn returns the index of the key column in Columns.
func (t *Table) KeyColumn() int { return t.key }

// Files returns the paths of the table's current data files.
func (t *Table) Files() []string { return t.files.Load().paths }

// RowCount returns the exact number of visible rows: the rows of the
// table's files minus those hidden by committed DELETEs. It is cached and
// cheap. Rows a session's pending deletes hide are not subtracted.
func (t *Table) RowCount() int64 {
	if t.err != nil {
		return 0
	}
	fs := t.files.Load()
	return fs.rawRows - fs.hiddenRows
}

// RawRowCount returns the exact number of rows in the table's files,
// including those hidden by tombstones.
func (t *Table) RawRowCount() int64 { return t.files.Load().rawRows }

// RowGroups returns every row group of every current file, in file order.
// Use Snapshot().RowGroups() to plan a scan that must stay consistent
// across a concurrent Rescan.
func (t *Table) RowGroups() []RowGroup { return t.files.Load().rowGroups }

// Stats returns column col's statistics in row group rg. NullCount is -1
// when the footer does not record it; an unknown row group or column has
// zero Stats.
func (t *Table) Stats(rg RowGroup, col int) Stats {
	return t.files.Load().statsOf(rg, col, len(t.columns))
}

// statsOf is Stats on fs.
func (fs *fileSet) statsOf(rg RowGroup, col, ncols int) Stats {
	i, ok := fs.rowGroupIndex(rg)
	if !ok || col < 0 || col >= ncols {
		return Stats{}
	}
	return fs.stats[i][col]
}
