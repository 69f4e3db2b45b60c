// Package tables serves directories of Parquet files as tables: it discovers
// datasets, maps their schemas to PostgreSQL types, picks each table's key
// column, and scans row groups into Arrow record batches with projection and
// row-group pruning by min/max statistics. It knows nothing of SQL engines:
// values stay in Arrow batches here and are boxed by the engine's adapter.
//
// Parquet types map to PostgreSQL types as follows (logical annotation first,
// then physical type):
//
//	INT(8), INT(16), UINT(8)             int2
//	INT32, INT(32), UINT(16)             int4
//	INT64, INT(64), UINT(32)             int8
//	UINT(64)                             numeric(20,0)
//	FLOAT, FLOAT16                       float4
//	DOUBLE                               float8
//	BOOLEAN                              bool
//	STRING, ENUM                         text
//	JSON                                 json
//	DECIMAL(p,s)                         numeric(p,s)
//	DATE                                 date
//	TIMESTAMP(isAdjustedToUTC=true)      timestamptz (also legacy TIMESTAMP_MILLIS/MICROS)
//	TIMESTAMP(isAdjustedToUTC=false)     timestamp
//	INT96                                timestamp
//	BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY     bytea
//	UUID                                 uuid
//	LIST, MAP, groups, repeated fields   json, the value rendered as JSON text
//
// Columns of other types (TIME, INTERVAL, ...) are left out of the table with
// a warning. Timestamps of every unit are served in microseconds.
//
// # Deletes
//
// A DELETE never rewrites Parquet. Table.Delete appends one durable batch of
// tombstones (package tombstone) to the table's log, and from then on scans
// leave the deleted rows out and RowCount no longer counts them; a Raw scan
// (the engine's __raw__ tables, for administrators) still returns them until
// a VACUUM rewrites the files. Each table keeps two files in the state
// directory (Options.StateDir, by default DIR/_pqsql): its tombstone log,
// NAME.tlog, and its manifest, NAME.manifest.json (NAME escaped as
// tombstone.FileName does):
//
//	{"version": 1, "table": "t", "applied_seq": 0,
//	 "files": [{"name": "t/part-1.parquet", "size": 1234,
//	            "footer_crc32c": 305419896, "seq": 1}]}
//
// The manifest registers every data file, by its path relative to the data
// directory, its size and the CRC-32C of its footer, with the sequence
// number current when the table first saw it, taken from the log's counter
// (one number for all files found together). Every DELETE takes the next
// number, and hides a row only in files registered before it: a file added
// later keeps its rows even when their key was deleted earlier. A file that
// changed under the same name (other size or footer) counts as a new file.
// The manifest is replaced through a temp file, fsync, rename and directory
// fsync. A table whose log or manifest is corrupt stays in the catalog but
// is unavailable (Table.Err); the other tables serve.
//
// Every scan probes one tombstone snapshot, so it sees each DELETE whole or
// not at all; ScanOptions.Snapshot shares one view among a statement's
// scans, and ScanOptions.Pending hides a session's uncommitted deletes from
// that session's scans only.
//
// # VACUUM
//
// Package compact's VACUUM merges a table's files into one without the
// deleted rows through this package: Table.LockVacuum, Snapshot.ReadLive
// (live rows in the files' own Arrow representation), Snapshot.OpenRewrite
// (verification), and Table.CommitVacuum, whose commit point is a manifest
// registering the new file at the snapshot's sequence number with
// "applied_seq" set and a "vacuum" entry naming the cleanup still owed;
// Open finishes that cleanup after a crash and drops the tombstones up to
// applied_seq. Replaced files are closed and removed when no Snapshot
// (until its Release) or scan (until it ends) holds them any more; the
// manifest lists them as "retired" meanwhile, so that Open removes them
// after a crash. See package compact for the whole protocol.
//
// # Cache
//
// A catalog keeps the decoded columns of the row groups that pruned scans
// read (ScanOptions.Pruned) in a cache bounded by Options.CacheBytes and
// evicted least recently used first, so that a repeated lookup decodes
// nothing. It holds each column of a row group as decoded, before
// tombstones: scans hide deleted rows on top of it, at once. Full scans
// neither read nor fill it. Entries belong to one opened version of a data
// file, and are dropped when VACUUM or Rescan retires that file.
//
// # Key index
//
// Lookups by key (ScanOptions.Keys) and the row counts of Table.Delete go
// through a key index per row group: its non-NULL keys sorted, each with
// its row (no row map when the file is already in key order), built by
// decoding the key column once and kept in the same cache, under the same
// bound. Finding a key is a binary search per row group its statistics do
// not rule out; the matching rows' other columns come from the cache, so a
// repeated point query or a DELETE of a thousand keys decodes nothing and
// costs microseconds per key. Tombstones and pending deletes apply per key
// on top, as in every scan.
//
// # Rescan
//
// Catalog.Rescan picks up data files added, removed or replaced since Open,
// and new tables, without a restart: new files are registered at a new
// sequence number, vanished ones leave their table, and scans already
// running keep the files they started with. Replace or add files by writing
// a temp name (ignored: "*.tmp", or a name starting with '.' or '_') and
// renaming it into place, so that a scan never reads a half-written file.
package tables
