package gmsengine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/rs/zerolog"

	"github.com/pqsql/pqsql/sqlengine"
	"github.com/pqsql/pqsql/sqlengine/pgtranslate"
	"github.com/pqsql/pqsql/tables"
)

// session is one client's sqlengine.Session.
type session struct {
	e        *Engine
	info     sqlengine.SessionInfo
	role     string
	gms      *gmsSession
	settings *settings
	log      zerolog.Logger

	// inTx is set inside a transaction block, failed after an error in it.
	inTx, failed bool
	savepoints   []savepoint
	// pending holds the block's DELETEs, made durable at COMMIT.
	pending map[*tables.Table]*tables.PendingDeletes
	// deleters are the RowDeleters GMS created while building the running
	// statement's iterators; the statement's result takes them over.
	deleters []*rowDeleter
	// seq numbers statements, for GMS's prepared-statement cache keys.
	seq int
	// cursors holds the open cursors by name (cursor.go).
	cursors map[string]*cursor
	// keyStmts holds statements with a key plan by query text, so that a
	// query sent again is neither parsed nor planned again (keystmts.go).
	keyStmts keyStmtCache
}

// savepoint is a SAVEPOINT of the transaction block, with the DELETEs that
// ROLLBACK TO keeps.
type savepoint struct {
	name    string
	pending map[*tables.Table]*tables.PendingDeletes
}

// gmsSession is the GMS session; it carries the pqsql session so that the
// pqsql_* functions can read its settings.
type gmsSession struct {
	*sql.BaseSession
	pg *session
}

var _ sqlengine.Session = (*session)(nil)

func newSession(ctx context.Context, e *Engine, info sqlengine.SessionInfo, role string) (*session, error) {
	connID := e.nextConnID.Add(1)
	base := sql.NewBaseSessionWithClientServer(info.RemoteAddr, sql.Client{User: info.User, Address: info.RemoteAddr}, connID)
	s := &session{
		e:        e,
		info:     info,
		role:     role,
		settings: newSettings(info.User, role == RoleAdmin),
		log:      e.log.With().Uint32("pid", info.ProcessID).Str("user", info.User).Logger(),
	}
	s.gms = &gmsSession{BaseSession: base, pg: s}
	s.gms.SetCurrentDatabase(gmsDatabase)
	sctx := sql.NewContext(ctx, sql.WithSession(s.gms))
	pins := []struct {
		name  string
		value any
	}{
		{"sql_mode", "ANSI,ONLY_FULL_GROUP_BY,NO_ENGINE_SUBSTITUTION"},
		{"group_concat_max_len", uint64(1) << 62},
		{"collation_connection", "utf8mb4_0900_bin"},
		{"collation_database", "utf8mb4_0900_bin"},
		{"character_set_connection", "utf8mb4"},
		{"autocommit", int8(1)},
	}
	for _, p := range pins {
		if err := s.gms.SetSessionVariable(sctx, p.name, p.value); err != nil {
			return nil, fmt.Errorf("gmsengine: opening session: setting %s: %w", p.name, err)
		}
	}
	for name, value := range info.StartupParams {
		d, ok := lookupParam(name)
		if !ok || d.readOnly {
			continue
		}
		v, err := validateSetting(name, value)
		if err != nil {
			// A startup value pqsql cannot interpret must not keep the client
			// out: PostgreSQL accepts forms pqsql does not know.
			s.log.Warn().Err(err).Str("parameter", name).Msg("ignoring startup parameter")
			continue
		}
		s.settings.set(name, v, false)
	}
	return s, nil
}

// ReportedParameters returns the ParameterStatus values sent at startup.
func (s *session) ReportedParameters() []sqlengine.Parameter {
	vals := s.settings.reportedValues()
	ps := make([]sqlengine.Parameter, 0, len(reportedOrder))
	for _, n := range reportedOrder {
		ps = append(ps, sqlengine.Parameter{Name: n, Value: vals[n]})
	}
	return ps
}

// TxStatus returns the ReadyForQuery status.
func (s *session) TxStatus() byte {
	switch {
	case s.failed:
		return 'E'
	case s.inTx:
		return 'T'
	}
	return 'I'
}

// Close ends the session.
func (s *session) Close() error {
	// An open transaction is rolled back; the client is gone, so nothing is
	// reported.
	s.info.Client = nil
	s.endTx(false)
	s.closeCursors(func(*cursor) bool { return true })
	s.e.gms.CloseSession(s.gms.ID())
	return nil
}

// Prepare parses query into statements.
func (s *session) Prepare(ctx context.Context, query string, paramTypes []uint32) ([]sqlengine.Statement, error) {
	if st := s.keyStmts.get(s, query, paramTypes); st != nil {
		return []sqlengine.Statement{st}, nil
	}
	parsed, err := pgtranslate.Parse(query)
	if err != nil {
		s.noteError()
		return nil, err
	}
	out := make([]sqlengine.Statement, 0, len(parsed))
	for _, p := range parsed {
		st := &statement{
			s:          s,
			pg:         p,
			charOffset: utf8.RuneCountInString(query[:min(p.Offset, len(query))]),
			kind:       kindOfStatement(p),
			multi:      len(parsed) > 1,
		}
		// As in PostgreSQL, the client may declare more parameters than the
		// statement references.
		st.paramTypes = make([]uint32, max(p.NumParams, len(paramTypes)))
		for i := range st.paramTypes {
			if i < len(paramTypes) && paramTypes[i] != sqlengine.UnknownOID {
				st.paramTypes[i] = paramTypes[i]
			}
		}
		out = append(out, st)
	}
	// In a failed transaction block PostgreSQL refuses to even parse a
	// statement other than one ending the block (extended protocol).
	if len(out) == 1 && s.failed {
		st := out[0].(*statement)
		if !(st.kind == stmtTransaction && endsFailedTx(st.pg)) {
			return nil, errAborted()
		}
	}
	// A lone statement is planned now, so Describe knows its columns and
	// errors surface at Parse as in PostgreSQL. Statements of a multi-statement
	// simple query are planned when they run, after the ones before them.
	if len(out) == 1 && !s.failed {
		st := out[0].(*statement)
		if st.kind == stmtGMS {
			if err := st.plan(ctx); err != nil {
				s.noteError()
				return nil, err
			}
		}
		if st.kind == stmtCursor {
			st.inferCursorParams(ctx)
		}
	}
	for _, st := range out {
		st := st.(*statement)
		for i, t := range st.paramTypes {
			if t == 0 {
				st.paramTypes[i] = sqlengine.TextOID
			}
		}
	}
	if len(out) == 1 {
		s.keyStmts.put(query, paramTypes, out[0].(*statement))
	}
	return out, nil
}

// noteError records an error: inside a transaction block it fails the block.
func (s *session) noteError() {
	if s.inTx {
		s.failed = true
	}
}

// beginTx opens a transaction block.
func (s *session) beginTx() {
	s.inTx, s.failed = true, false
	s.savepoints = nil
	s.pending = nil
	s.settings.begin()
}

// endTx closes the transaction block, if any.
func (s *session) endTx(commit bool) {
	if !s.inTx {
		return
	}
	before := s.settings.reportedValues()
	s.settings.end(commit)
	s.endCursors(commit)
	s.inTx, s.failed = false, false
	s.savepoints = nil
	s.pending = nil
	s.reportChanges(before)
}

// reportChanges sends ParameterStatus for reported parameters that changed.
func (s *session) reportChanges(before map[string]string) {
	if s.info.Client == nil {
		return
	}
	after := s.settings.reportedValues()
	for _, n := range reportedOrder {
		if before[n] != after[n] {
			s.info.Client.ParameterStatus(n, after[n])
		}
	}
}

// notice sends a notice to the client, if any.
func (s *session) notice(severity, code, msg string) {
	if s.info.Client != nil {
		s.info.Client.Notice(&sqlengine.Notice{Severity: severity, Code: code, Message: msg})
	}
}

// newContext returns the GMS context for one statement.
func (s *session) newContext(ctx context.Context, query string) *sql.Context {
	return sql.NewContext(ctx, sql.WithSession(s.gms), sql.WithQuery(query))
}

// nextKey returns a fresh key for GMS's per-session prepared-statement cache.
func (s *session) nextKey() string {
	s.seq++
	return fmt.Sprintf("pqsql_stmt_%d", s.seq)
}

// staticRows is a precomputed result.
type staticRows struct {
	cols []sqlengine.Column
	rows [][]any
	tag  string
	next int
}

// Columns describes the rows, nil for none.
func (r *staticRows) Columns() []sqlengine.Column { return r.cols }

// Next returns the next precomputed row.

func (r *staticRows) Next(ctx context.Context) ([]any, error) {
	if err := ctx.Err(); err != nil {
		return nil, canceledError(err)
	}
	if r.next >= len(r.rows) {
		return nil, io.EOF
	}
	r.next++
	return r.rows[r.next-1], nil
}

// Tag returns the command tag.
func (r *staticRows) Tag() string { return r.tag }

// Close does nothing: the rows are in memory.
func (r *staticRows) Close() error { return nil }

// textColumn describes a text result column.
func textColumn(name string) sqlengine.Column {
	return sqlengine.Column{Name: name, TypeOID: sqlengine.TextOID, TypeSize: -1, TypeModifier: -1}
}

// canceledError maps a context error to PostgreSQL's cancellation error.
func canceledError(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return &sqlengine.Error{Code: sqlengine.CodeQueryCanceled, Message: "canceling statement due to statement timeout", Err: err}
	}
	return &sqlengine.Error{Code: sqlengine.CodeQueryCanceled, Message: "canceling statement due to user request", Err: err}
}

// sortedParamNames lists SHOW ALL's parameters.
func (s *session) sortedParamNames() []string {
	names := make([]string, 0, len(paramDefs))
	for _, d := range paramDefs {
		names = append(names, d.name)
	}
	for k := range s.settings.session {
		if isCustomParam(k) {
			names = append(names, k)
		}
	}
	slices.SortFunc(names, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	return names
}
