package tables

import (
	"context"
	"errors"
)

// errNotImplemented marks the stubs that fix the API until the implementation lands.
var errNotImplemented = errors.New("tables: not implemented")

// Catalog is the set of tables found under a data directory.
type Catalog struct {
	dir    string
	tables []*Table
}

// Open discovers the tables under dir: each NAME.parquet file and each
// directory NAME/ of *.parquet files is table NAME. A table whose files do not
// share a schema, or are unreadable, is skipped with a log line.
func Open(ctx context.Context, dir string, opts Options) (*Catalog, error) {
	return nil, errNotImplemented
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
}

// Name returns the table's name.
func (t *Table) Name() string { return t.name }

// Columns returns the table's columns in file order.
func (t *Table) Columns() []Column { return t.columns }

// KeyColumn returns the index of the key column in Columns.
func (t *Table) KeyColumn() int { return t.key }

// Files returns the paths of the table's data files.
func (t *Table) Files() []string { return t.files }

// RowCount returns the exact number of rows, from the files' metadata.
func (t *Table) RowCount() int64 { return 0 }

// RowGroups returns every row group of every file, in file order.
func (t *Table) RowGroups() []RowGroup { return nil }

// Stats returns column col's statistics in row group rg.
func (t *Table) Stats(rg RowGroup, col int) Stats { return Stats{} }

// Scan reads the selected columns of the selected row groups as batches.
func (t *Table) Scan(ctx context.Context, opts ScanOptions) (Scanner, error) {
	return nil, errNotImplemented
}
