// Package datagen generates the deterministic data sets pqsql's test data and
// benchmarks use: candidates (a recruiting table with a text key), events (a
// large fact table with an int8 key) and alltypes (one row per tricky value of
// every supported PostgreSQL type).
//
// Every row is a pure function of its index and a fixed seed: Candidate(i) and
// Event(i) seed a math/rand/v2 PCG with (seed, i), so any range can be
// generated in parallel and every run gives the same values. The writers
// produce byte-identical Parquet files for the same arguments (and the same
// arrow-go version), and CSV in PostgreSQL's COPY ... CSV format carrying
// exactly the same values, so a benchmark can load the rows into PostgreSQL.
package datagen
