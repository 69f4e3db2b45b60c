// Command run benchmarks pqsql against PostgreSQL 15 on the same rows.
//
// It generates the events (-rows rows) and candidates (100,000 rows) data
// sets once into a cache directory (bench/.data), starts a throwaway local
// PostgreSQL 15 in a temporary directory, loads the same rows into it with
// COPY ... FROM STDIN (FORMAT csv), adds primary keys and runs VACUUM ANALYZE,
// starts pqsql serve on the Parquet files, and runs queries Q1-Q7 against both
// over the wire with pgx, several times each. It prints each query's median
// time on both sides and their ratio as a Markdown table, together with
// pqsql's time to ready and its peak resident set size while streaming every
// row (Q5), and writes the report to docs/BENCHMARKS.md.
//
// Usage:
//
//	go run -tags gms_pure_go ./bench/run -rows 10000000
//
// PostgreSQL's binaries are found with pg_config --bindir, in
// /usr/lib/postgresql/15/bin, or on PATH. When run as root, PostgreSQL runs as
// the postgres user. The PostgreSQL instance is always stopped at the end.
package main
