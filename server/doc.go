// Package server implements the PostgreSQL frontend/backend protocol
// (version 3.0) in front of an sqlengine.Engine.
//
// It owns everything a client sees on the wire: startup and TLS negotiation,
// SCRAM-SHA-256 (and, over TLS only, cleartext) authentication, cancel
// requests, the simple and extended query protocols with named and unnamed
// statements and portals, the text and binary encodings of result values and
// parameters in PostgreSQL 15's exact formats, error and notice responses, and
// connection limits and graceful shutdown. It knows nothing about how queries
// are executed: statements, rows and errors come from package sqlengine.
package server
