// Command pqsql serves directories of Parquet files as PostgreSQL tables.
//
// Usage:
//
//	pqsql serve [--data DIR] [--listen HOST:PORT] [--config FILE]
//	            [--log-format json|console] [--log-level LEVEL]
//	            [--tls-cert FILE --tls-key FILE] [--shutdown-timeout 30s]
//	pqsql passwd
//	pqsql version
//
// serve reads the configuration file (by default DIR/pqsql.yaml), opens every
// NAME.parquet file and NAME/ directory of Parquet files under DIR as table
// NAME, and answers PostgreSQL clients on the listen address (default
// 127.0.0.1:5433). The environment variables PQSQL_DATA, PQSQL_LISTEN and
// PQSQL_CONFIG stand in for the flags of the same names; flags win.
// PQSQL_AUDIT_SECRET, when set, replaces the configuration file's
// audit_secret, the key of VACUUM's erasure audit.
//
// SIGINT or SIGTERM stops accepting connections, lets running statements
// finish within --shutdown-timeout and exits with status 0.
//
// passwd reads a password from the terminal (or the first line of standard
// input) and prints a SCRAM-SHA-256 verifier to put in the configuration file
// instead of the plaintext password.
package main
