package sqlengine

import (
	"context"
)

// Engine runs SQL on behalf of sessions. An Engine is safe for concurrent use.
type Engine interface {
	// NewSession opens a session for a user the server has already authenticated.
	NewSession(ctx context.Context, info SessionInfo) (Session, error)
	// Close releases the engine's resources. Sessions must be closed first.
	Close() error
}

// SessionInfo describes the client a session serves.
type SessionInfo struct {
	// User is the authenticated user name.
	User string
	// Database is the database name the client asked for.
	Database string
	// ProcessID is the backend process ID sent to the client in BackendKeyData.
	ProcessID uint32
	// RemoteAddr is the client's network address, for logs and the session context.
	RemoteAddr string
	// StartupParams holds the startup message's parameters other than user and
	// database (application_name, DateStyle, TimeZone, client_encoding, ...).
	StartupParams map[string]string
	// Client receives the session's notices and parameter changes. It may be nil.
	Client Client
}

// Client receives what a session reports outside of result rows. The engine calls
// it synchronously from within Session and Statement methods, so the server can
// write the messages in order.
type Client interface {
	// Notice delivers a NoticeResponse (severity NOTICE, WARNING, INFO, ...).
	Notice(n *Notice)
	// ParameterStatus reports a changed run-time parameter that PostgreSQL reports
	// to clients (TimeZone, DateStyle, application_name, ...).
	ParameterStatus(name, value string)
}

// Session is one client's connection state: settings, transaction, prepared
// statements' plans. A Session is used by one goroutine at a time.
type Session interface {
	// ReportedParameters returns the parameters the server sends as ParameterStatus
	// right after authentication (server_version, TimeZone, DateStyle, ...), in the
	// order to send them.
	ReportedParameters() []Parameter
	// Prepare parses query into statements. For the simple query protocol the
	// query may hold several statements, returned in order; an empty query (only
	// whitespace, comments and semicolons) returns none. paramTypes holds the
	// parameter type OIDs the client specified (0 means unspecified), which the
	// engine honours and completes by inference in Statement.ParamTypes.
	Prepare(ctx context.Context, query string, paramTypes []uint32) ([]Statement, error)
	// TxStatus returns the transaction status for ReadyForQuery: 'I' idle,
	// 'T' in a transaction block, 'E' in a failed transaction block.
	TxStatus() byte
	// Close ends the session, rolling back an open transaction.
	Close() error
}

// Parameter is a named run-time parameter value.
type Parameter struct {
	Name  string
	Value string
}

// Statement is one parsed SQL statement, ready to describe and execute any
// number of times within its session.
type Statement interface {
	// SQL returns the statement's text.
	SQL() string
	// ParamTypes returns the type OID of each parameter $1..$n, with types the
	// client left unspecified inferred (text when nothing better is known).
	ParamTypes() []uint32
	// Columns describes the rows the statement returns, or nil when it returns
	// none (the server then answers Describe with NoData).
	Columns() []Column
	// Execute runs the statement. params holds one canonical value per parameter
	// (see Value), nil for NULL. The returned Rows must be closed.
	Execute(ctx context.Context, params []any) (Rows, error)
}

// Rows streams a statement's result.
type Rows interface {
	// Columns describes the rows, nil when the statement returns none.
	Columns() []Column
	// Next returns the next row, one canonical value per column (see Value),
	// or io.EOF after the last row. The slice may be reused by the next call.
	Next(ctx context.Context) ([]any, error)
	// Tag returns the command tag ("SELECT 3", "DELETE 1", "SET", "BEGIN").
	// It is complete once Next has returned io.EOF.
	Tag() string
	// Close releases the result. It is safe to call more than once.
	Close() error
}

// ExecuteTimedRows is implemented by a Rows whose statement_timeout is
// measured per Execute message, as in PostgreSQL, rather than over the whole
// life of the rows: a portal read in pages (Execute with a row limit, then
// PortalSuspended) gets the full timeout for each page, and the time the
// client spends between pages does not count.
//
// The server calls BeginExecute before reading rows for an Execute message
// and the returned function when it has sent them. The timer runs from the
// statement's start until the end of its first Execute, so that planning
// counts; BeginExecute leaves a running timer alone.
type ExecuteTimedRows interface {
	Rows
	BeginExecute() (end func())
}

// Column describes one result column, as in a RowDescription message.
type Column struct {
	Name string
	// TypeOID is the PostgreSQL type OID (see the OID constants).
	TypeOID uint32
	// TypeSize is pg_type.typlen: the fixed size in bytes, or -1 for varlena.
	TypeSize int16
	// TypeModifier is pg_attribute.atttypmod, -1 when none.
	TypeModifier int32
	// TableOID and AttrNum identify the source column when the column is a plain
	// table column, and are zero otherwise.
	TableOID uint32
	AttrNum  int16
}

// CopyOutRows is implemented by the Rows of a COPY ... TO STDOUT statement.
// The server sends such a result with the COPY OUT sub-protocol
// (CopyOutResponse, one CopyData per row, CopyDone) instead of RowDescription
// and DataRow messages. Columns describes the copied columns and Tag returns
// "COPY n".
type CopyOutRows interface {
	Rows
	// CopyFormat returns how the rows are to be formatted.
	CopyFormat() CopyFormat
}

// CopyFormat holds the formatting options of a COPY ... TO STDOUT, checked by
// the engine as PostgreSQL checks them.
type CopyFormat struct {
	// Format is "text", "csv" or "binary".
	Format string
	// Delimiter separates columns: one byte ('\t' in text, ',' in CSV).
	Delimiter byte
	// Null is the text written for NULL (`\N` in text, empty in CSV).
	Null string
	// Header writes a first line with the column names (text and CSV).
	Header bool
	// Quote and Escape are the CSV quote and escape bytes ('"' by default).
	Quote, Escape byte
	// ForceQuote says, per column, whether non-NULL CSV values are always
	// quoted. It is nil when no column is.
	ForceQuote []bool
}

// BinaryRows is implemented by a Rows whose statement asks for its values in
// binary format, as a FETCH from a BINARY cursor does. Under the simple
// query protocol the server then sends the rows in binary format.
type BinaryRows interface {
	Rows
	// Binary reports whether the rows are to be sent in binary format.
	Binary() bool
}

// CursorSession is implemented by a Session whose SQL cursors (DECLARE
// CURSOR) share the protocol's portal namespace, as in PostgreSQL: Describe
// of a portal the server did not bind describes the cursor of that name
// (psycopg 3 describes its server-side cursors so).
type CursorSession interface {
	Session
	// CursorColumns describes the rows of the open cursor name: ok is false
	// when there is none, binary is set for a BINARY cursor.
	CursorColumns(name string) (cols []Column, binary, ok bool)
}

// ErrorSession is implemented by a Session that learns of the errors the
// server reports on its own (a failed Bind or Describe, an unknown portal):
// in PostgreSQL every error inside a transaction block aborts the block.
type ErrorSession interface {
	Session
	// NoteError records that the current statement failed.
	NoteError()
}
