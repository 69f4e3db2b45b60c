// Package sqlengine defines the SQL engine that the wire-protocol server calls,
// with no engine-specific types in its interface, and the PostgreSQL-facing
// vocabulary the two sides share: result columns, canonical Go values for each
// PostgreSQL type, errors carrying SQLSTATE codes, and notices.
//
// The first implementation lives in package gmsengine, on go-mysql-server.
// Other implementations (a vectorized engine, a test fake) plug in the same way.
package sqlengine
