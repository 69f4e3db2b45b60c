// Command run benchmarks pqsql against PostgreSQL 15 on the same rows.
//
// It generates the events (-rows rows) and candidates (100,000 rows) data
// sets once into a cache directory (bench/.data), starts a throwaway local
// PostgreSQL 15 in a temporary directory, loads the same rows into it with
// COPY ... FROM STDIN (FORMAT csv), adds primary keys and runs VACUUM ANALYZE,
// and measures both systems over the wire with pgx, section by section
// (-sections, default all):
//
//   - queries: Q1-Q7 against pqsql serving the cached Parquet files, each
//     query's median time on both sides and their ratio, pqsql's time to
//     ready and its peak resident set size while streaming every row (Q5);
//     then point lookups beyond Q3's one repeated id: 2,000 lookups by id,
//     each timed with no warm-up, prepared with random ids, and over the
//     simple protocol with Q3's id and with random ids, their median, p99
//     and mean on both sides (points.go).
//   - delete: the latency of DELETE FROM events WHERE id IN ($1, ..., $N)
//     with 1 and 1,000 random ids bound as int8 parameters.
//   - tombstones: Q2 and Q5 with 0, 1,000 and 100,000 rows deleted, and the
//     overhead against 0.
//   - vacuum: pqsql's VACUUM events (time and peak RSS) against PostgreSQL's
//     VACUUM FULL after deleting 1,000 random rows, and every 10th row.
//
// The last three sections each work on fresh copies, so that the cached data
// and PostgreSQL's events table stay pristine: pqsql serves a copy of the
// Parquet files (its state directory, with the tombstones, starts empty), and
// PostgreSQL a copy of events (CREATE TABLE events_x AS ...) with fsync,
// synchronous_commit and full_page_writes turned on, since pqsql's DELETE is
// durable. A failing pqsql VACUUM is reported as n/a with its error rather
// than failing the run.
//
// The report goes to stdout as Markdown and to docs/BENCHMARKS.md (-out),
// where the sections measured replace their earlier versions and the others
// stay; each section names the command and the machine that measured it.
//
// Usage:
//
//	go run -tags gms_pure_go ./bench/run -rows 10000000
//	go run -tags gms_pure_go ./bench/run -rows 200000 -sections delete,vacuum
//
// PostgreSQL's binaries are found with pg_config --bindir, in
// /usr/lib/postgresql/15/bin, or on PATH. When run as root, PostgreSQL runs as
// the postgres user. The PostgreSQL instance is always stopped at the end.
package main
