// Package pgtranslate turns PostgreSQL SQL into statements go-mysql-server can
// execute.
//
// Parse runs PostgreSQL's own grammar (through pg_query_go) over a query string
// and splits it into statements. Translate converts one statement's parse tree
// into the vitess AST that go-mysql-server plans from. Because the result is an
// AST and never SQL text, identifiers that MySQL reserves (key, order, status)
// need no quoting and literal values are never re-quoted.
//
// The translation maps PostgreSQL semantics onto MySQL-flavoured constructs
// where they agree (ORDER BY null placement is made explicit, ILIKE becomes a
// lower-cased LIKE, string_agg becomes GROUP_CONCAT), and otherwise calls
// functions named pqsql_<name> that the engine registers (see PqsqlFunctions).
// Constructs with no faithful translation are rejected with SQLSTATE 0A000.
package pgtranslate
