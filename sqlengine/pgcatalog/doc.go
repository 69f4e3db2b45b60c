// Package pgcatalog generates PostgreSQL 15's system catalogs (pg_catalog)
// and the information_schema views from the tables pqsql serves, so that
// psql's backslash commands, JDBC's DatabaseMetaData, SQLAlchemy's inspector
// and similar tools find what they expect.
//
// The package knows nothing of the SQL engine. Tables describes every catalog
// relation with PostgreSQL 15's column names, order and types; each
// relation's Rows function computes its rows from an Input (the database's
// name, users, tables and session settings) as canonical values (see package
// sqlengine), in column order. An engine exposes each CatalogTable as one of
// its own tables.
//
// Relations with nothing to show in pqsql (pg_attrdef, pg_description,
// pg_inherits, pg_policy, pg_publication, ...) exist with the right columns
// and no rows, which is the answer PostgreSQL gives for a database without
// defaults, comments, inheritance, policies or publications.
//
// Object identifiers follow PostgreSQL's: built-in objects keep their
// PostgreSQL 15 OIDs (pg_catalog is 11, public 2200, int4 23, pg_class 1259),
// and user tables get stable OIDs of 16384 and above derived from their names
// (see TableOID and AssignOIDs), so that they are the same across restarts.
// Each table with a key column has a primary-key index named NAME_pkey and a
// matching constraint, whose OIDs follow the table's (IndexOID,
// ConstraintOID).
//
// The package also implements, in plain Go, the catalog functions clients
// call: format_type (FormatType), pg_get_userbyid (Input.GetUserByID),
// pg_table_is_visible (Input.TableIsVisible), pg_type_is_visible
// (TypeIsVisible), pg_encoding_to_char (EncodingToChar), pg_size_pretty
// (SizePretty), quote_ident (QuoteIdent), pg_get_indexdef and
// pg_get_constraintdef for the primary keys (Input.IndexDef,
// Input.ConstraintDef) and the input and output functions of the regclass,
// regtype and regnamespace types.
//
// Values of PostgreSQL types without a canonical Go representation of their
// own ("char", regproc, xid, int2vector, oidvector, pg_node_tree, aclitem[],
// text[] and other arrays) are strings in PostgreSQL's text form: int2vector
// "1", oidvector "3124", text[] "{a,b}", "char" "r" (or "" for the zero byte).
package pgcatalog
