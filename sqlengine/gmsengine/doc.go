// Package gmsengine implements sqlengine.Engine on go-mysql-server (GMS).
//
// It owns the GMS wiring: a database provider exposing the Parquet tables of a
// tables.Catalog as one database, the adapter that turns Arrow batches into GMS
// rows (with projection, row-group pruning and exact row counts), the pqsql_*
// functions that pgtranslate emits for PostgreSQL features GMS lacks, the
// PostgreSQL session semantics GMS does not have (run-time parameters, SHOW,
// transaction blocks and failed-transaction state), and the mapping of GMS
// result types, values and errors to their PostgreSQL equivalents.
package gmsengine
