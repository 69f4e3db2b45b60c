package gmsengine

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/pqsql/pqsql/sqlengine"
	"github.com/pqsql/pqsql/tables"
	"github.com/pqsql/pqsql/tombstone"
)

// table is the sql.Table over one *tables.Table. Values of table are
// immutable: WithProjections and IndexedAccess return modified copies.
type table struct {
	t *tables.Table
	// name is the name GMS knows the table by: the catalog table's name, or
	// rawPrefix and that name for the raw view.
	name string
	// raw makes scans include the rows DELETEs hid (ScanOptions.Raw).
	raw      bool
	db       string
	schema   sql.Schema // full schema
	pkSchema sql.PrimaryKeySchema
	// projection holds the table column indexes returned, nil for all.
	projection []int
	projNames  []string
	// filter prunes row groups and rows; nil scans everything.
	filter *scanFilter
	// dataLen caches the files' total size.
	dataLen *lazyLength
	// hooks observes scans (tests).
	hooks *scanHooks
}

// scanHooks lets tests observe which row groups are read.
type scanHooks struct {
	mu        sync.Mutex
	rowGroups int
}

func (h *scanHooks) scanned(n int) {
	if h == nil {
		return
	}
	h.mu.Lock()
	h.rowGroups += n
	h.mu.Unlock()
}

// lazyLength computes a table's DataLength once.
type lazyLength struct {
	once sync.Once
	n    uint64
}

var (
	_ sql.Table                 = (*table)(nil)
	_ sql.ProjectedTable        = (*table)(nil)
	_ sql.PrimaryKeyTable       = (*table)(nil)
	_ sql.StatisticsTable       = (*table)(nil)
	_ sql.IndexAddressableTable = (*table)(nil)
	_ sql.IndexSearchable       = (*table)(nil)
	_ sql.IndexedTable          = (*table)(nil)
)

// newTable returns the adapter of t, or of its raw view when raw is set.
func newTable(t *tables.Table, db string, raw bool) (*table, error) {
	name := t.Name()
	if raw {
		name = rawPrefix + name
	}
	cols := t.Columns()
	schema := make(sql.Schema, len(cols))
	for i, c := range cols {
		typ, err := gmsType(c.Type)
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", c.Name, err)
		}
		schema[i] = &sql.Column{
			Name:           c.Name,
			Type:           typ,
			Nullable:       c.Nullable && i != t.KeyColumn(),
			Source:         name,
			DatabaseSource: db,
			PrimaryKey:     i == t.KeyColumn(),
		}
	}
	var pkOrds []int
	if k := t.KeyColumn(); k >= 0 && k < len(cols) {
		pkOrds = []int{k}
	}
	return &table{
		t:        t,
		name:     name,
		raw:      raw,
		db:       db,
		schema:   schema,
		pkSchema: sql.NewPrimaryKeySchema(schema, pkOrds...),
		dataLen:  &lazyLength{},
	}, nil
}

// Name returns the table name.
func (t *table) Name() string { return t.name }

// String describes the table in plans.
func (t *table) String() string { return t.name }

// Schema returns the (projected) schema.
func (t *table) Schema(*sql.Context) sql.Schema {
	if t.projection == nil {
		return t.schema
	}
	s := make(sql.Schema, len(t.projection))
	for i, c := range t.projection {
		s[i] = t.schema[c]
	}
	return s
}

// PrimaryKeySchema returns the full schema with the key column; GMS needs it
// for projected tables (see gms.md).
func (t *table) PrimaryKeySchema(*sql.Context) sql.PrimaryKeySchema { return t.pkSchema }

// Collation returns the binary collation, close to PostgreSQL's "C".
func (t *table) Collation() sql.CollationID { return sql.Collation_utf8mb4_0900_bin }

// WithProjections returns the table reading only the named columns.
func (t *table) WithProjections(_ *sql.Context, colNames []string) (sql.Table, error) {
	proj := make([]int, 0, len(colNames))
	for _, name := range colNames {
		idx := t.schema.IndexOfColName(name)
		if idx < 0 {
			return nil, fmt.Errorf("projecting table %q: no column %q", t.t.Name(), name)
		}
		proj = append(proj, idx)
	}
	nt := *t
	nt.projection = proj
	nt.projNames = append([]string{}, colNames...)
	return &nt, nil
}

// Projections returns the projected column names, nil when none.
func (t *table) Projections() []string { return t.projNames }

// RowCount returns the exact row count from the files' metadata, which
// does not know the session's uncommitted DELETEs: then it is inexact, so
// that GMS counts by scanning. The raw view counts every row.
func (t *table) RowCount(ctx *sql.Context) (uint64, bool, error) {
	if t.t.Err() != nil {
		// Inexact, so that count(*) scans and reports the table unavailable;
		// no error here, which would fail information_schema listings.
		return 0, false, nil
	}
	if t.raw {
		return uint64(t.t.RawRowCount()), true, nil
	}
	return uint64(t.t.RowCount()), pendingFor(ctx, t.t).Len() == 0, nil
}

// DataLength returns the size of the table's files.
func (t *table) DataLength(*sql.Context) (uint64, error) {
	t.dataLen.once.Do(func() { t.dataLen.n = dataLength(t.t) })
	return t.dataLen.n, nil
}

// rowGroupPartition is one row group of a snapshot of the table: all the
// partitions of one Partitions call read the same files and DELETEs.
type rowGroupPartition struct {
	rg   tables.RowGroup
	snap *tables.Snapshot
	// pruned reports that statistics excluded some of the table's row
	// groups: a lookup, whose decoded columns the tables cache may keep.
	// Full scans leave it false so they never flush the cache.
	pruned bool
}

// Key identifies the row group.
func (p rowGroupPartition) Key() []byte {
	b := make([]byte, 16)
	binary.BigEndian.PutUint64(b, uint64(p.rg.File))
	binary.BigEndian.PutUint64(b[8:], uint64(p.rg.Index))
	return b
}

// Partitions returns one partition per row group that may hold matching rows.
func (t *table) Partitions(*sql.Context) (sql.PartitionIter, error) {
	if err := t.unavailable(); err != nil {
		return nil, err
	}
	snap := t.t.Snapshot()
	rgs := snap.RowGroups()
	parts := make([]sql.Partition, 0, len(rgs))
	for _, rg := range rgs {
		if t.filter != nil && !t.filter.mayMatch(snap, rg) {
			continue
		}
		parts = append(parts, rowGroupPartition{rg: rg, snap: snap})
	}
	if len(parts) < len(rgs) {
		for i := range parts {
			p := parts[i].(rowGroupPartition)
			p.pruned = true
			parts[i] = p
		}
	}
	return &snapshotPartitions{PartitionIter: sql.PartitionsToPartitionIter(parts...), snap: snap}, nil
}

// snapshotPartitions releases the snapshot its partitions read when GMS
// closes it. GMS opens each partition's rows (PartitionRows, whose scan
// holds the files it reads on its own) before it reaches the end of the
// partitions and closes them, so the snapshot is no longer needed then;
// releasing it lets a VACUUM that ran meanwhile delete the files it
// replaced as soon as the last scan of them ends.
type snapshotPartitions struct {
	sql.PartitionIter
	snap *tables.Snapshot
}

// Close releases the snapshot.
func (p *snapshotPartitions) Close(ctx *sql.Context) error {
	p.snap.Release()
	return p.PartitionIter.Close(ctx)
}

// unavailable returns the error for a table the catalog cannot serve
// (corrupt tombstone log or manifest): data corrupted, XX001.
func (t *table) unavailable() error {
	err := t.t.Err()
	if err == nil {
		return nil
	}
	return &sqlengine.Error{Code: sqlengine.CodeDataCorrupted,
		Message: fmt.Sprintf("table %q is unavailable: %v", t.t.Name(), err), Err: err}
}

// PartitionRows streams the rows of one row group.
func (t *table) PartitionRows(ctx *sql.Context, p sql.Partition) (sql.RowIter, error) {
	part, ok := p.(rowGroupPartition)
	if !ok {
		return nil, fmt.Errorf("reading table %q: unexpected partition %T", t.t.Name(), p)
	}
	cols := t.projection
	if cols == nil {
		cols = make([]int, len(t.schema))
		for i := range cols {
			cols[i] = i
		}
	}
	// The filter's column must be decoded to evaluate it; it is dropped from
	// the rows handed to GMS.
	scanCols := cols
	filterPos := -1
	if t.filter != nil {
		filterPos = indexOf(cols, t.filter.col)
		if filterPos < 0 {
			scanCols = append(append([]int{}, cols...), t.filter.col)
			filterPos = len(cols)
		}
	}
	keys := t.lookupKeys()
	if t.filter != nil && len(scanCols) > 1 && keys == nil {
		// Decode the filter column alone first: a row group without a match
		// then costs one column, not all of them.
		found, err := t.anyMatch(ctx, part)
		if err != nil {
			return nil, err
		}
		if !found {
			return sql.RowsToRowIter(), nil
		}
	}
	t.hooks.scanned(1)
	sc, err := t.t.Scan(ctx, tables.ScanOptions{Columns: scanCols, RowGroups: []tables.RowGroup{part.rg}, Snapshot: part.snap, Raw: t.raw, Pending: t.pending(ctx), Pruned: part.pruned, Keys: keys, Selection: true})
	if err != nil {
		return nil, fmt.Errorf("reading table %q: %w", t.t.Name(), err)
	}
	kinds := make([]valueKind, len(scanCols))
	for i, c := range scanCols {
		kinds[i] = kindOf(t.t.Columns()[c].Type)
	}
	return &batchRowIter{name: t.t.Name(), scanner: sc, kinds: kinds, width: len(cols), filter: t.filter, filterPos: filterPos}, nil
}

// lookupKeys returns the key values the table's filter allows when it is
// an equality or IN list on an integer or text key column, for a
// ScanOptions.Keys scan through the key index; nil otherwise.
func (t *table) lookupKeys() []tombstone.Key {
	f := t.filter
	if f == nil || f.none || f.in == nil || f.col != t.t.KeyColumn() {
		return nil
	}
	switch f.kind {
	case kindInt16, kindInt32, kindInt64, kindText:
	default:
		return nil
	}
	keys := make([]tombstone.Key, 0, len(f.in))
	for v := range f.in {
		if !f.inRange(v) {
			continue
		}
		k, err := t.t.Key(v)
		if err != nil {
			return nil
		}
		keys = append(keys, k)
	}
	return keys
}

// pending returns the session's uncommitted deletes of the table, which its
// scans hide; none for the raw view.
func (t *table) pending(ctx *sql.Context) *tables.PendingDeletes {
	if t.raw {
		return nil
	}
	return pendingFor(ctx, t.t)
}

// anyMatch reports whether any row of rg passes the table's filter.
func (t *table) anyMatch(ctx *sql.Context, part rowGroupPartition) (bool, error) {
	sc, err := t.t.Scan(ctx, tables.ScanOptions{Columns: []int{t.filter.col}, RowGroups: []tables.RowGroup{part.rg}, Snapshot: part.snap, Raw: t.raw, Pending: t.pending(ctx), Pruned: part.pruned})
	if err != nil {
		return false, fmt.Errorf("reading table %q: %w", t.t.Name(), err)
	}
	defer sc.Close()
	kind := kindOf(t.t.Columns()[t.filter.col].Type)
	for {
		b, err := sc.Next(ctx)
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		if err != nil {
			if ctx.Err() != nil {
				return false, ctx.Err()
			}
			return false, fmt.Errorf("reading table %q: %w", t.t.Name(), err)
		}
		if len(t.filter.selectRows(b.Record.Column(0), kind, int(b.Record.NumRows()))) > 0 {
			return true, nil
		}
	}
}

func indexOf(s []int, v int) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// batchRowIter boxes a scanner's batches into GMS rows, a batch at a time.
type batchRowIter struct {
	name      string
	scanner   tables.Scanner
	kinds     []valueKind
	width     int // columns handed to GMS (a prefix of the scanned columns)
	filter    *scanFilter
	filterPos int
	rows      []sql.Row
	next      int
}

// Next returns the next row.
func (it *batchRowIter) Next(ctx *sql.Context) (sql.Row, error) {
	for it.next >= len(it.rows) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b, err := it.scanner.Next(ctx)
		if errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("reading table %q: %w", it.name, err)
		}
		it.rows, err = boxBatch(b, it.kinds, it.width, it.filter, it.filterPos)
		if err != nil {
			return nil, fmt.Errorf("reading table %q: %w", it.name, err)
		}
		it.next = 0
	}
	r := it.rows[it.next]
	it.rows[it.next] = nil
	it.next++
	return r, nil
}

// Close releases the scanner.
func (it *batchRowIter) Close(*sql.Context) error {
	it.rows = nil
	return it.scanner.Close()
}
