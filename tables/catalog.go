package tables

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
)

// parquetExt is the file name extension of data files.
const parquetExt = ".parquet"

// Catalog is the set of tables found under a data directory.
type Catalog struct {
	dir    string
	tables []*Table
}

// Open discovers the tables under dir: each NAME.parquet file and each
// directory NAME/ of *.parquet files is table NAME. A table whose files do not
// share a schema, or are unreadable, is skipped with a log line.
//
// Names are kept exactly as they are on disk. Hidden entries, names starting
// with '_' or '.', "*.tmp" files and directories below NAME/ are ignored. Each
// file's footer is read once here; the files stay open until Close.
func Open(ctx context.Context, dir string, opts Options) (*Catalog, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("open catalog %s: %w", dir, err)
	}
	c := &Catalog{dir: dir}
	byName := make(map[string]bool)
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			c.Close()
			return nil, fmt.Errorf("open catalog %s: %w", dir, err)
		}
		name := e.Name()
		if ignoredName(name) {
			continue
		}
		path := filepath.Join(dir, name)
		info, err := os.Stat(path) // follows symlinks
		if err != nil {
			opts.Logger.Warn().Str("file", path).Err(err).Msg("skipping unreadable entry")
			continue
		}
		var files []string
		switch {
		case info.IsDir():
			files, err = dataFiles(path)
			if err != nil {
				opts.Logger.Warn().Str("table", name).Str("file", path).Err(err).Msg("skipping table")
				continue
			}
			if len(files) == 0 {
				opts.Logger.Warn().Str("table", name).Str("file", path).Msg("skipping table: directory has no .parquet files")
				continue
			}
		case info.Mode().IsRegular() && strings.HasSuffix(name, parquetExt) && len(name) > len(parquetExt):
			files = []string{path}
			name = strings.TrimSuffix(name, parquetExt)
		default:
			continue
		}
		if byName[name] {
			opts.Logger.Warn().Str("table", name).Str("file", path).Msg("skipping table: both NAME.parquet and NAME/ exist")
			c.removeTable(name)
			continue
		}
		byName[name] = true
		t, err := openTable(name, files, opts)
		if err != nil {
			ev := opts.Logger.Warn().Str("table", name)
			var fe *fileError
			if errors.As(err, &fe) {
				ev = ev.Str("file", fe.path)
			}
			ev.Err(err).Msg("skipping table")
			continue
		}
		c.tables = append(c.tables, t)
	}
	slices.SortFunc(c.tables, func(a, b *Table) int { return strings.Compare(a.name, b.name) })
	return c, nil
}

// removeTable drops an already opened table, closing its files.
func (c *Catalog) removeTable(name string) {
	c.tables = slices.DeleteFunc(c.tables, func(t *Table) bool {
		if t.name == name {
			t.close()
			return true
		}
		return false
	})
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

// Close closes every table's files. Scans must be closed first.
func (c *Catalog) Close() error {
	var errs []error
	for _, t := range c.tables {
		errs = append(errs, t.close())
	}
	return errors.Join(errs...)
}

// Tables returns the tables sorted by name.
func (c *Catalog) Tables() []*Table { return c.tables }

// Table returns the table with exactly this name, or nil.
func (c *Catalog) Table(name string) *Table {
	for _, t := range c.tables {
		if t.name == name {
			return t
		}
	}
	return nil
}

// Table is one Parquet dataset. Its methods are safe for concurrent use.
type Table struct {
	name    string
	columns []Column
	key     int
	files   []string

	// readers hold each file open with its parsed footer; they are shared by
	// scans, which build their own pqarrow readers on top.
	readers []*file.Reader
	// plans map each column to its Parquet field, parallel to columns.
	plans []fieldPlan
	// rowGroups lists every row group; firstRowGroup[f] is the index in
	// rowGroups of file f's first row group.
	rowGroups     []RowGroup
	firstRowGroup []int
	// stats[i][col] are the statistics of rowGroups[i].
	stats    [][]Stats
	rowCount int64
	// skippedColumns counts the fields of unsupported type left out.
	skippedColumns int
}

// openTable opens the files of one table and checks they share a schema.
func openTable(name string, files []string, opts Options) (_ *Table, err error) {
	t := &Table{name: name, files: files}
	defer func() {
		if err != nil {
			t.close()
		}
	}()
	for fi, path := range files {
		rdr, err := file.OpenParquetFile(path, false, file.WithReadProps(parquet.NewReaderProperties(memory.DefaultAllocator)))
		if err != nil {
			return nil, &fileError{path: path, err: fmt.Errorf("read footer: %w", err)}
		}
		t.readers = append(t.readers, rdr)
		md := rdr.MetaData()
		// WriterVersion is computed lazily and cached unsynchronized:
		// compute it now, before concurrent scans read it.
		md.WriterVersion()
		plans, skipped := planFields(md.Schema)
		if fi == 0 {
			for _, err := range skipped {
				opts.Logger.Warn().Str("table", name).Str("file", path).Str("column", err.field).Err(err).Msg("skipping column")
			}
			t.plans = plans
			t.skippedColumns = len(skipped)
		} else if err := sameColumns(t.plans, plans, t.skippedColumns, len(skipped)); err != nil {
			return nil, &fileError{path: path, err: fmt.Errorf("schema differs from %s: %w", files[0], err)}
		}
		t.firstRowGroup = append(t.firstRowGroup, len(t.rowGroups))
		for rg := range md.NumRowGroups() {
			rgMeta := md.RowGroup(rg)
			t.rowGroups = append(t.rowGroups, RowGroup{File: fi, Index: rg, NumRows: rgMeta.NumRows()})
			t.rowCount += rgMeta.NumRows()
			stats, err := rowGroupStats(rgMeta, plans)
			if err != nil {
				return nil, &fileError{path: path, err: fmt.Errorf("read statistics of row group %d: %w", rg, err)}
			}
			t.stats = append(t.stats, stats)
		}
	}
	if len(t.plans) == 0 {
		return nil, errors.New("no columns of a supported type")
	}
	t.columns = make([]Column, len(t.plans))
	for i, p := range t.plans {
		t.columns[i] = p.column
	}
	// A column optional in any file is nullable.
	for fi := 1; fi < len(t.readers); fi++ {
		plans, _ := planFields(t.readers[fi].MetaData().Schema)
		for i := range plans {
			t.columns[i].Nullable = t.columns[i].Nullable || plans[i].column.Nullable
		}
	}
	key := "id"
	configured, isConfigured := opts.KeyColumns[name]
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

// close closes the table's files.
func (t *Table) close() error {
	var errs []error
	for _, r := range t.readers {
		errs = append(errs, r.Close())
	}
	return errors.Join(errs...)
}

// Name returns the table's name.
func (t *Table) Name() string { return t.name }

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

// Files returns the paths of the table's data files.
func (t *Table) Files() []string { return t.files }

// RowCount returns the exact number of rows, from the files' metadata.
func (t *Table) RowCount() int64 { return t.rowCount }

// RowGroups returns every row group of every file, in file order.
func (t *Table) RowGroups() []RowGroup { return t.rowGroups }

// Stats returns column col's statistics in row group rg. NullCount is -1
// when the footer does not record it; an unknown row group or column has
// zero Stats.
func (t *Table) Stats(rg RowGroup, col int) Stats {
	i, ok := t.rowGroupIndex(rg)
	if !ok || col < 0 || col >= len(t.columns) {
		return Stats{}
	}
	return t.stats[i][col]
}

// rowGroupIndex returns rg's index in t.rowGroups.
func (t *Table) rowGroupIndex(rg RowGroup) (int, bool) {
	if rg.File < 0 || rg.File >= len(t.firstRowGroup) || rg.Index < 0 {
		return 0, false
	}
	i := t.firstRowGroup[rg.File] + rg.Index
	if i >= len(t.rowGroups) || t.rowGroups[i].File != rg.File {
		return 0, false
	}
	return i, true
}
