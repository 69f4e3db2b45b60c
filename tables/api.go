package tables

// This file fixes the API that package sqlengine/gmsengine codes against.
// Implementations live in the other files of the package.

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/rs/zerolog"

	"github.com/pqsql/pqsql/tombstone"
)

// Options configures Open.
type Options struct {
	// KeyColumns maps a table name to its configured key column.
	KeyColumns map[string]string
	// Logger receives one line per skipped file or table, naming it and why.
	Logger zerolog.Logger
	// StateDir holds each table's tombstone log and file manifest. Empty
	// means DIR/_pqsql, which discovery ignores (its name starts with '_').
	// Open creates it.
	StateDir string
	// CacheBytes bounds the catalog's cache of decoded column chunks, which
	// serves repeated scans of a few row groups (the engine's lookups pruned
	// by statistics) without decoding them again: 0 means DefaultCacheBytes,
	// a negative value turns the cache off. See Table.Scan.
	CacheBytes int64
}

// Type is a PostgreSQL column type.
type Type struct {
	// OID is the PostgreSQL type OID (sqlengine's OID constants).
	OID uint32
	// Precision and Scale are set for numeric(p,s), zero otherwise.
	Precision, Scale int32
}

// Column is one column of a table.
type Column struct {
	Name     string
	Type     Type
	Nullable bool
}

// Stats are one column's statistics in one row group, from the Parquet footer.
type Stats struct {
	// HasMinMax reports whether Min and Max are known.
	HasMinMax bool
	// Min and Max are canonical comparable values: int64 for every integer
	// column, float64 for float columns, string for text, time.Time for date and
	// timestamps, bool for bool. Other types have HasMinMax false.
	Min, Max  any
	NullCount int64
}

// RowGroup identifies one row group of one file of a table.
type RowGroup struct {
	// File is the index in Table.Files, Index the row group's index in that file.
	File, Index int
	NumRows     int64
}

// ScanOptions selects what Table.Scan reads.
type ScanOptions struct {
	// Columns are the table column indexes to decode, in the order the batch's
	// columns will have. Empty means none (batches then only carry a row count).
	Columns []int
	// RowGroups to read, in order; nil means all of the table's row groups.
	// They index Snapshot's file set when Snapshot is set, else the table's
	// current one.
	RowGroups []RowGroup
	// Raw includes rows hidden by tombstones (and by Pending): the view of
	// an administrator's __raw__ table. Checking who may ask is the
	// engine's job.
	Raw bool
	// Pending hides, in this scan only, the rows whose key a session deleted
	// in a transaction that has not committed yet. Nil hides nothing more.
	Pending *PendingDeletes
	// Snapshot is a read view taken earlier with Table.Snapshot, so that
	// every scan of one statement sees the same files and the same DELETEs.
	// Nil means a view taken when Scan is called. It must belong to the
	// scanned table.
	Snapshot *Snapshot
	// Pruned says that RowGroups are those a filter selected by their
	// statistics, fewer than all of the snapshot's: the lookups analysts
	// repeat. Such a scan takes the decoded columns from the catalog's
	// cache (Options.CacheBytes) and leaves the ones it decodes there. Set
	// it on each scan of a pruned set, also when the set is scanned one row
	// group per Scan; leave it false on the scans of every row group,
	// however split, so that a full scan neither evicts the lookups'
	// entries nor fills the cache with data no lookup asked for. Scan
	// ignores it when RowGroups is nil or lists every row group.
	Pruned bool
	// Keys, when not nil, keeps only the rows whose key column equals one
	// of Keys (of the table's key kind, as Table.Key builds them; an empty
	// non-nil slice matches nothing). The scan finds them through a sorted
	// index of each row group's keys, kept in the catalog's cache, instead
	// of decoding and comparing every key: the plan of `WHERE key = v` and
	// `key IN (...)`. The matching rows' other columns come from the cache
	// like a Pruned scan's. Rows come in file and row order.
	// Table.LookupKeys reads the same rows without building batches.
	Keys []tombstone.Key
	// Selection lets the scan send batches with hidden rows in them:
	// instead of copying the visible rows of a batch that has deleted ones
	// into new arrays, it sends the decoded arrays whole and lists the
	// visible rows in Batch.Rows. Set it when the consumer reads rows
	// through Batch.Rows; it saves a copy of every column of such batches.
	Selection bool
}

// DeleteResult describes one committed Table.Delete.
type DeleteResult struct {
	// Seq is the sequence number of the DELETE; 0 when no keys were given.
	Seq uint64
	// Keys is the number of distinct keys tombstoned.
	Keys int
	// RowsHidden is the number of rows that were visible before the DELETE
	// and are hidden by it.
	RowsHidden int64
}

// Batch is a slice of rows, columnar. Column i of Record is table column
// ScanOptions.Columns[i]. Arrow representation per PostgreSQL type is fixed:
//
//	bool: *array.Boolean; int2: *array.Int16; int4: *array.Int32; int8: *array.Int64
//	float4: *array.Float32; float8: *array.Float64; text, json: *array.String
//	numeric: *array.Decimal128 (precision <= 38) or *array.Decimal256
//	date: *array.Date32; timestamp, timestamptz: *array.Timestamp in microseconds
//	bytea: *array.Binary; uuid: *array.FixedSizeBinary of width 16
//
// A Batch's arrays are immutable and stay valid after the scanner moves on, so
// rows boxed from them may point into them.
type Batch struct {
	Record arrow.RecordBatch
	// RowGroup is the row group the rows come from.
	RowGroup RowGroup
	// Rows, when not nil, lists ascending the rows of Record the scan
	// returns; the others are hidden. Only scans with ScanOptions.Selection
	// send such batches, and never empty ones.
	Rows []int32
}

// Len returns the number of rows the batch returns.
func (b *Batch) Len() int {
	if b.Rows != nil {
		return len(b.Rows)
	}
	return int(b.Record.NumRows())
}

// Scanner reads batches. It is used by one goroutine at a time.
type Scanner interface {
	// Next returns the next batch, or io.EOF after the last.
	Next(ctx context.Context) (*Batch, error)
	// Close releases the scan; it is safe to call more than once.
	Close() error
}
