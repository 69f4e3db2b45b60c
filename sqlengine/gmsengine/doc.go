// Package gmsengine implements sqlengine.Engine on go-mysql-server (GMS).
//
// It owns the GMS wiring: a database provider exposing the Parquet tables of a
// tables.Catalog as one database, the adapter that turns Arrow batches into GMS
// rows (with projection, row-group pruning and exact row counts), the pqsql_*
// functions that pgtranslate emits for PostgreSQL features GMS lacks, the
// PostgreSQL session semantics GMS does not have (run-time parameters, SHOW,
// transaction blocks and failed-transaction state), and the mapping of GMS
// result types, values and errors to their PostgreSQL equivalents.
//
// # DELETE and the administrators' tables
//
// DELETE (with WHERE, without, with RETURNING) collects the keys of the
// matched rows and hands them to tables.Table.Delete when the statement
// completes, so the command tag is sent only once the tombstones are
// fsynced; in a transaction block they stay pending, hidden from the
// session's own scans only, until COMMIT. The tombstones record the session
// user as actor and the session's pqsql.erasure_reason setting as reason.
// Readers get 42501; rows whose key is NULL cannot be deleted (23502).
//
// Sessions of role admin also resolve __raw__<t>, table t with the rows
// DELETEs hid, pqsql_tombstones, every active tombstone, and pqsql_erasures,
// the erasure audit of VACUUM; all are read-only (0A000) and never listed. For every other session they do not
// exist (42P01) by any path, because the check is in the database's table
// lookup, which every query path goes through with the session's context.
// SELECT pqsql_rescan() (admin only) picks up new data files and tables
// (tables.Catalog.Rescan) and returns the number of tables.
//
// # Key lookups without GMS
//
// GMS analyzes every execution afresh and evaluates filters row by row, a
// fixed cost of hundreds of microseconds that dwarfs a point query. So a
// statement of the form `SELECT cols FROM t WHERE key = v` (or `key IN
// (...)`), or `DELETE FROM t WHERE key = v` (or IN) without RETURNING, with
// constants or parameters of the key's type, is still planned by GMS when
// prepared (names, privileges, result description) but executed through the
// table's key index (tables.ScanOptions.Keys, tables.Table.Delete); see
// keyPlan. Other filters on a key or a column still prune row groups by
// their statistics through GMS's lookups (index.go).
//
// # VACUUM
//
// VACUUM [FULL] [VERBOSE] [t, ...] (admin only, never in a transaction
// block) runs package compact's physical compaction on the named tables, or
// on every table, with Options.AuditSecret as the key of the erasure audit;
// VERBOSE reports each table in INFO notices. ANALYZE is accepted and does
// nothing. See vacuum.go for the checks and their SQLSTATEs.
package gmsengine
