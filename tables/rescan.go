package tables

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
)

// Rescan looks for data files added, removed or replaced since Open or the
// last Rescan, while the catalog serves:
//
//   - a new *.parquet file of an existing table is registered at a new
//     sequence number (one per table and Rescan), so DELETEs committed
//     before keep no hold on its rows;
//   - a file that vanished leaves the table, and one replaced under the
//     same name (other size or footer) is registered as a new file;
//   - a new NAME.parquet or NAME/ becomes a new table.
//
// A new file whose schema differs from its table's, or that would make a
// NOT NULL column nullable, is skipped with a warning; a later Rescan
// retries it. Tables are never removed, and unavailable tables (Err) are
// not rescanned: reopen the catalog for those.
//
// Scans already running, and Snapshots taken before, keep the files they
// started with: each table's file list is an immutable set swapped whole.
// The readers of dropped files are closed once no Snapshot or scan
// references them (see Table.RetiredFilesOpen). Rescan is what the
// engine's rescan command runs; it returns the errors of the tables it
// could not rescan, joined, after rescanning the others.
func (c *Catalog) Rescan(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return errors.New("rescan catalog: closed")
	}
	found, err := c.discover(ctx)
	if err != nil {
		return fmt.Errorf("rescan catalog %s: %w", c.dir, err)
	}
	current := c.Tables()
	var errs []error
	for _, t := range current {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("rescan catalog %s: %w", c.dir, err)
		}
		if err := t.rescan(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	next := slices.Clone(current)
	for _, src := range found {
		if err := ctx.Err(); err != nil {
			closeTables(next[len(current):])
			return fmt.Errorf("rescan catalog %s: %w", c.dir, err)
		}
		if slices.ContainsFunc(current, func(t *Table) bool { return t.name == src.name }) {
			continue
		}
		if t := c.openTable(ctx, src); t != nil {
			c.opts.Logger.Info().Str("table", t.name).Int("files", len(t.Files())).Msg("new table")
			next = append(next, t)
		}
	}
	if len(next) > len(current) {
		slices.SortFunc(next, func(a, b *Table) int { return strings.Compare(a.name, b.name) })
		c.tables.Store(&next)
	}
	return errors.Join(errs...)
}

// sourceFiles lists the table's data files now on disk.
func (t *Table) sourceFiles() ([]string, error) {
	if t.sourceIsDir {
		files, err := dataFiles(t.source)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return files, err
	}
	info, err := os.Stat(t.source)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case err != nil:
		return nil, err
	case !info.Mode().IsRegular():
		return nil, nil
	}
	return []string{t.source}, nil
}

// rescan registers the table's new files and drops the vanished ones.
func (t *Table) rescan(ctx context.Context) (err error) {
	if t.err != nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.failed != nil {
		return fmt.Errorf("rescan table %q: %w", t.name, t.failed)
	}
	paths, err := t.sourceFiles()
	if err != nil {
		return fmt.Errorf("rescan table %q: %w", t.name, err)
	}
	// Files a VACUUM replaced that readers still hold are not new files.
	paths = slices.DeleteFunc(paths, func(p string) bool {
		return slices.ContainsFunc(t.unlinkPending, func(df *dataFile) bool { return df.path == p })
	})
	onDisk := make(map[string]bool, len(paths))
	for _, p := range paths {
		onDisk[p] = true
	}
	fset := t.files.Load()
	var kept, dropped, fresh []*dataFile
	var keptHidden []int64
	known := make(map[string]bool)
	for i, df := range fset.files {
		if !onDisk[df.path] {
			t.logger.Warn().Str("table", t.name).Str("file", df.path).Msg("data file vanished: dropping it")
			dropped = append(dropped, df)
			continue
		}
		same, err := unchanged(df)
		if err != nil {
			return fmt.Errorf("rescan table %q: %w", t.name, err)
		}
		if !same {
			t.logger.Warn().Str("table", t.name).Str("file", df.path).Msg("data file changed under the same name: registering it as a new file")
			dropped = append(dropped, df)
			continue
		}
		known[df.path] = true
		kept = append(kept, df)
		keptHidden = append(keptHidden, fset.hidden[i])
	}
	defer func() {
		if err != nil {
			for _, df := range fresh {
				_ = df.reader.Close()
			}
		}
	}()
	for _, path := range paths {
		if known[path] {
			continue
		}
		df, err := t.openNewFile(path)
		if err != nil {
			t.logger.Warn().Str("table", t.name).Str("file", path).Err(err).Msg("skipping data file")
			continue
		}
		fresh = append(fresh, df)
	}
	if len(dropped) == 0 && len(fresh) == 0 {
		return nil
	}
	if len(fresh) > 0 {
		seq, err := t.tlog.ReserveSeq(ctx)
		if err != nil {
			return fmt.Errorf("rescan table %q: %w", t.name, err)
		}
		for _, df := range fresh {
			df.seq = seq
			t.logger.Info().Str("table", t.name).Str("file", df.path).Uint64("seq", seq).Msg("registered new data file")
		}
	}
	files := append(kept, fresh...)
	mpath, err := t.manifestPath()
	if err != nil {
		return fmt.Errorf("rescan table %q: %w", t.name, err)
	}
	if err := writeManifest(mpath, t.manifestOf(files)); err != nil {
		return fmt.Errorf("rescan table %q: %w", t.name, err)
	}
	hidden := append(keptHidden, make([]int64, len(fresh))...)
	t.files.Store(newFileSet(files).withHidden(hidden))
	var closeNow []*dataFile
	for _, df := range dropped {
		if t.retire(df, false) {
			closeNow = append(closeNow, df)
		}
	}
	if err := t.closeRetired(closeNow, OSFS(), true); err != nil {
		t.logger.Warn().Str("table", t.name).Err(err).Msg("closing dropped data files")
	}
	return nil
}

// unchanged reports whether df's file on disk still has its size and footer.
func unchanged(df *dataFile) (bool, error) {
	f, err := os.Open(df.path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return false, err
	}
	if info.Size() != df.size {
		return false, nil
	}
	crc, err := footerCRC(f, info.Size())
	if err != nil {
		return false, nil // no longer a readable Parquet file: changed
	}
	return crc == df.footerCRC, nil
}

// openNewFile opens a file found by rescan and checks that it fits the
// table's columns.
func (t *Table) openNewFile(path string) (*dataFile, error) {
	df, skipped, err := openDataFile(t.dataDir, path)
	if err != nil {
		return nil, err
	}
	if err := sameColumns(t.plans, df.plans, t.skippedColumns, len(skipped)); err != nil {
		_ = df.reader.Close()
		return nil, fmt.Errorf("schema differs from the table's: %w", err)
	}
	for i, p := range df.plans {
		if p.column.Nullable && !t.columns[i].Nullable {
			_ = df.reader.Close()
			return nil, fmt.Errorf("column %q is nullable in this file but NOT NULL in the table: reopen the catalog to serve it", p.column.Name)
		}
	}
	return df, nil
}
