// Package compact implements VACUUM: the physical compaction that makes a
// DELETE final. A DELETE only hides rows behind tombstones (package
// tombstone); after Vacuum returns, no byte of a deleted row remains in the
// table's data files, in its tombstone log or in its manifest, and no crash
// at any moment brings a deleted row back or loses a live one.
//
// # Rewrite
//
// Vacuum takes a Snapshot of the table (its files and its DELETEs up to
// sequence number S) and streams every row the snapshot shows, row group
// by row group, from all the table's files (the base and every delta) into
// one new Parquet file. Rows go through the writer, so statistics,
// dictionaries and every other footer value are computed from the
// surviving rows only; no column chunk, page index or bloom filter is
// copied. The file keeps the Arrow schema of the first file (fields
// nullable if nullable in any file), its key-value metadata and its codec.
// Peak memory is about one output row group (1Mi rows or 128MiB of Arrow
// data by default, compressed) plus a few 64Ki-row input batches: one
// goroutine decodes and filters the input while the output's columns are
// encoded and compressed each on its own goroutine (tables with nested
// columns: by pqarrow, on one), and the Go runtime's soft memory limit is
// lowered for the VACUUM's duration (Options.MemoryBudget) so that the
// rewrite's garbage is reclaimed before the heap doubles.
//
// # Verification, commit and cleanup
//
// The written file is fsynced, as is its directory, then reopened and
// checked: the table's columns, the expected row count (from the footer),
// and every key (the key column alone is read) probed against the
// snapshot's tombstones (a deleted key may appear only
// in rows of files added after its DELETE). Any failure so far removes the
// temp file and leaves the table untouched. Then, under the table's lock
// (package tables, Table.CommitVacuum):
//
//  1. The manifest is replaced (temp, fsync, rename, directory fsync) by
//     one registering the new file at sequence number S, with applied_seq
//     S and the cleanup still owed (temp name, output name, replaced files).
//     This is the commit point.
//  2. The temp file is renamed to its final name; the directory is fsynced.
//  3. The new file set is published: new scans read the new file.
//  4. The replaced files no reader holds are removed and their directory
//     fsynced; the others when their last reader releases them.
//  5. The tombstones with sequence number <= S are dropped from the log
//     (tombstone.Log.DropApplied, itself temp + rename).
//  6. The manifest is rewritten without the cleanup.
//
// DELETEs committed while the VACUUM ran have numbers above S, so they keep
// hiding rows of the new file and stay in the log for the next VACUUM;
// files added by a Rescan meanwhile stay as they are. A file that left the
// table meanwhile fails the VACUUM (tables.ErrVacuumConflict) rather than
// bringing its rows back.
//
// # Layout
//
// A table NAME/ ends up as the single file NAME/vacuum-S.parquet, written
// as NAME/_vacuum-S.parquet.tmp. A table NAME.parquet stays NAME.parquet:
// it is written as _vacuum-S-NAME.parquet.tmp next to it and renamed over
// it, so discovery always sees exactly one source per table. Names starting
// with "_vacuum-", and "vacuum-*.parquet" inside a table directory, are
// reserved.
//
// # Recovery
//
// tables.Open, holding the table's tombstone log lock (so never under
// another process serving the table), finishes a committed VACUUM whose
// manifest still records the
// cleanup (steps 2, 4, 5 and 6, all idempotent), drops the tombstones up to
// applied_seq, and removes the temp files of VACUUMs that did not commit.
// Data files a manifest does not name are never removed by pattern: a
// replaced file is removed only when a committed manifest lists it.
//
// # Readers
//
// Scans and Snapshots taken before the commit finish on the files they
// started with: each holds a reference on its files (a scan until it ends,
// a Snapshot until Release). The replaced files stay on disk while any
// reader holds them; the last release closes them and removes them (a
// single-file table's old file, renamed over at step 2, is freed when
// closed). The manifest lists replaced files not yet removed ("retired"),
// so that after a crash Open removes them (if still the same size and
// footer) instead of registering their rows again, and Rescan ignores
// them. A VACUUM's own snapshot is released before step 4, so with no
// other reader the files are gone when Vacuum returns.
// Table.RetiredFilesOpen counts the replaced files still held.
//
// # Concurrency and failures
//
// One VACUUM runs per table at a time: a second one waits for the first,
// or for its context. DELETEs, scans and Rescan go on while it runs. A
// failure after the commit point is a *tables.CommitError: the table keeps
// serving correct rows, but refuses Rescan and VACUUM until the catalog is
// reopened, which completes the VACUUM.
//
// # Audit
//
// After erasure the raw key is kept nowhere. Each applied tombstone leaves
// one JSON line in <state dir>/<table>.erasures (the table name escaped as
// tombstone.FileName does): table, DELETE sequence number, key column,
// KeyHash (HMAC-SHA256 under Options.AuditSecret), deleted_at, actor,
// reason, vacuumed_at, vacuumed_by, vacuum_seq and rows_removed. The lines
// are appended and fsynced before the commit point; Erasures returns only
// those of VACUUMs that committed (vacuum_seq <= the table's applied_seq),
// one per DELETE and key, for the admin table pqsql_erasures. A torn last
// line is ignored and cut off by the next append.
package compact
