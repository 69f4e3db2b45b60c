// Package tables serves directories of Parquet files as tables: it discovers
// datasets, maps their schemas to PostgreSQL types, picks each table's key
// column, and scans row groups into Arrow record batches with projection and
// row-group pruning by min/max statistics. It knows nothing of SQL engines:
// values stay in Arrow batches here and are boxed by the engine's adapter.
package tables
