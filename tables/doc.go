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
package tables
