package server

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/rs/zerolog"

	"github.com/pqsql/pqsql/sqlengine"
)

// Why a statement's context was cancelled.
var (
	errUserCancel = errors.New("statement canceled by cancel request")
	errClientGone = errors.New("client disconnected")
	errAborted    = errors.New("server shut down")
)

// authTimeout bounds the time a client may take from connecting to being
// authenticated, like PostgreSQL's authentication_timeout.
const authTimeout = time.Minute

// flushThreshold is how many bytes of result rows are buffered before they
// are written out, so that big results stream instead of piling up.
const flushThreshold = 64 * 1024

// conn is one client connection. Its goroutine owns everything but mu's fields.
type conn struct {
	srv    *Server
	nc     net.Conn
	tls    bool
	log    zerolog.Logger
	pid    uint32
	secret [4]byte
	be     *pgproto3.Backend
	rd     *connReader
	sess   sqlengine.Session
	loc    *time.Location

	stmts        map[string]*preparedStmt
	portals      map[string]*portal
	skipTillSync bool
	// pendingParams holds parameter changes to report before ReadyForQuery,
	// where PostgreSQL reports them.
	pendingParams []sqlengine.Parameter
	unflushed     int
	// Buffers reused from one DataRow to the next.
	scratch []byte
	offsets []int
	values  [][]byte
	// typeMap converts the types the server does not encode itself; created
	// when first needed.
	typeMap *pgtype.Map

	// ctx lives as long as the connection; it is cancelled with the reason
	// when the client goes away or the server aborts.
	ctx    context.Context
	cancel context.CancelCauseFunc
	done   chan struct{}

	mu         sync.Mutex
	stmtCancel context.CancelCauseFunc
}

func (s *Server) serveConn(ctx context.Context, nc net.Conn) {
	c := &conn{
		srv:     s,
		nc:      nc,
		log:     s.log.With().Str("remote", nc.RemoteAddr().String()).Logger(),
		loc:     time.UTC,
		stmts:   make(map[string]*preparedStmt),
		portals: make(map[string]*portal),
		done:    make(chan struct{}),
	}
	c.ctx, c.cancel = context.WithCancelCause(ctx)
	defer c.cancel(nil)
	defer close(c.done)
	defer nc.Close()
	go func() {
		shutdown := s.shutdown
		for shutdown != nil {
			select {
			case <-shutdown:
				// Wake a session blocked reading its next message (or a
				// client still starting up): the reader then sees the
				// shutdown and the session ends. A running statement
				// finishes first; its session ends at its next read.
				nc.SetReadDeadline(time.Now())
				shutdown = nil
			case <-s.abort:
				shutdown = nil
			case <-c.ctx.Done():
				shutdown = nil
			case <-c.done:
				return
			}
		}
		select {
		case <-s.abort:
			c.cancel(errAborted)
		case <-c.ctx.Done():
		case <-c.done:
			return
		}
		// Wake up a blocked read and bound the time a FATAL write may take.
		nc.SetReadDeadline(time.Now())
		nc.SetWriteDeadline(time.Now().Add(time.Second))
	}()
	defer func() {
		if r := recover(); r != nil {
			c.log.Error().Interface("panic", r).Bytes("stack", debug.Stack()).Msg("connection panicked")
			if c.be != nil {
				c.sendError(&sqlengine.Error{Severity: "FATAL", Code: sqlengine.CodeInternalError,
					Message: fmt.Sprintf("internal error: %v", r)})
				c.be.Flush()
			}
		}
	}()
	if err := c.serve(); err != nil {
		c.log.Debug().Err(err).Msg("connection ended")
	}
}

// serve runs the connection from startup to termination.
func (c *conn) serve() error {
	startup, err := c.startup()
	if err != nil || startup == nil {
		return err
	}
	if c.srv.active.Add(1) > int64(c.srv.cfg.MaxConnections) {
		c.srv.active.Add(-1)
		return c.fatal(&sqlengine.Error{Severity: "FATAL", Code: sqlengine.CodeTooManyConnections,
			Message: "sorry, too many clients already"})
	}
	defer c.srv.active.Add(-1)

	c.nc.SetReadDeadline(time.Now().Add(authTimeout))
	c.rd = newConnReader(c.nc, c.srv.shutdown, &c.srv.watchClock, func(err error) { c.cancel(errClientGone) })
	defer c.rd.close()
	c.be = pgproto3.NewBackend(c.rd, c.nc)
	c.be.SetMaxBodyLen(c.srv.cfg.MaxMessageSize)

	params := make(map[string]string, len(startup.Parameters))
	var unsupported []string
	for k, v := range startup.Parameters {
		if strings.HasPrefix(k, "_pq_.") {
			unsupported = append(unsupported, k)
			continue
		}
		params[k] = v
	}
	if startup.ProtocolVersion != pgproto3.ProtocolVersion30 || len(unsupported) > 0 {
		c.be.Send(&pgproto3.NegotiateProtocolVersion{NewestMinorProtocol: 0, UnrecognizedOptions: unsupported})
	}
	user := params["user"]
	if user == "" {
		return c.fatal(&sqlengine.Error{Severity: "FATAL", Code: sqlengine.CodeInvalidAuthorization,
			Message: "no PostgreSQL user name specified in startup packet"})
	}
	database := params["database"]
	if database == "" {
		database = user
	}
	delete(params, "user")
	delete(params, "database")
	c.log = c.log.With().Str("user", user).Str("database", database).Logger()

	if err := c.authenticate(user); err != nil {
		var reported *reportedError
		if errors.As(err, &reported) {
			return err
		}
		return c.fatal(err)
	}
	c.be.Send(&pgproto3.AuthenticationOk{})
	c.nc.SetReadDeadline(time.Time{})

	if _, err := rand.Read(c.secret[:]); err != nil {
		return c.fatal(fmt.Errorf("generate cancel key: %w", err))
	}
	c.srv.register(c)
	defer c.srv.unregister(c)
	c.log = c.log.With().Uint32("pid", c.pid).Logger()

	sess, err := c.srv.cfg.Engine.NewSession(c.ctx, sqlengine.SessionInfo{
		User:          user,
		Database:      database,
		ProcessID:     c.pid,
		RemoteAddr:    c.nc.RemoteAddr().String(),
		StartupParams: params,
		Client:        (*sessionClient)(c),
	})
	if err != nil {
		var pgErr *sqlengine.Error
		if errors.As(err, &pgErr) {
			e := *pgErr
			e.Severity = "FATAL"
			return c.fatal(&e)
		}
		return c.fatal(fmt.Errorf("open session: %w", err))
	}
	c.sess = sess
	defer c.closeSession()

	c.pendingParams = nil // the initial report below covers them
	for _, p := range sess.ReportedParameters() {
		c.noteParameter(p.Name, p.Value)
		c.be.Send(&pgproto3.ParameterStatus{Name: p.Name, Value: p.Value})
	}
	c.be.Send(&pgproto3.BackendKeyData{ProcessID: c.pid, SecretKey: c.secret[:]})
	if err := c.readyForQuery(); err != nil {
		return err
	}
	c.log.Debug().Msg("session started")
	return c.loop()
}

// startup reads the startup packets: SSLRequest and GSSENCRequest are
// answered and followed by another packet, CancelRequest is handled (and nil
// returned), StartupMessage is returned.
func (c *conn) startup() (*pgproto3.StartupMessage, error) {
	c.nc.SetReadDeadline(time.Now().Add(authTimeout))
	be := pgproto3.NewBackend(c.nc, c.nc)
	for {
		msg, err := be.ReceiveStartupMessage()
		if err != nil {
			return nil, fmt.Errorf("read startup packet: %w", err)
		}
		switch m := msg.(type) {
		case *pgproto3.SSLRequest:
			if c.srv.cfg.TLSConfig == nil || c.tls {
				if _, err := c.nc.Write([]byte{'N'}); err != nil {
					return nil, fmt.Errorf("answer SSLRequest: %w", err)
				}
				continue
			}
			if _, err := c.nc.Write([]byte{'S'}); err != nil {
				return nil, fmt.Errorf("answer SSLRequest: %w", err)
			}
			tc := tls.Server(c.nc, c.srv.cfg.TLSConfig)
			hctx, cancel := context.WithTimeout(c.ctx, authTimeout)
			err := tc.HandshakeContext(hctx)
			cancel()
			if err != nil {
				return nil, fmt.Errorf("TLS handshake: %w", err)
			}
			c.nc, c.tls = tc, true
			be = pgproto3.NewBackend(c.nc, c.nc)
		case *pgproto3.GSSEncRequest:
			if _, err := c.nc.Write([]byte{'N'}); err != nil {
				return nil, fmt.Errorf("answer GSSENCRequest: %w", err)
			}
		case *pgproto3.CancelRequest:
			c.srv.cancelRequest(m.ProcessID, m.SecretKey)
			return nil, nil
		case *pgproto3.StartupMessage:
			c.be = be // for a FATAL answer before the reader starts
			select {
			case <-c.srv.shutdown:
				return nil, c.fatal(&sqlengine.Error{Severity: "FATAL", Code: "57P03",
					Message: "the database system is shutting down"})
			default:
			}
			// Copy: the message is only valid until the next receive.
			sm := &pgproto3.StartupMessage{ProtocolVersion: m.ProtocolVersion, Parameters: m.Parameters}
			return sm, nil
		}
	}
}

func shuttingDownError() *sqlengine.Error {
	return &sqlengine.Error{Severity: "FATAL", Code: sqlengine.CodeAdminShutdown,
		Message: "terminating connection due to administrator command"}
}

// loop serves messages until the client terminates or the connection fails.
func (c *conn) loop() error {
	for {
		msg, err := c.be.Receive()
		if err != nil {
			return c.receiveError(err)
		}
		var handleErr error
		switch m := msg.(type) {
		case *pgproto3.Query:
			if c.skipTillSync {
				continue // PostgreSQL ignores a Query until the Sync too
			}
			handleErr = c.withStatement(func(ctx context.Context) error { return c.simpleQuery(ctx, m.String) })
			if c.sess.TxStatus() == 'I' {
				c.closePortals() // the transaction the portals belonged to ended
			}
			if handleErr == nil {
				handleErr = c.readyForQuery()
			}
		case *pgproto3.Parse:
			handleErr = c.extended(func(ctx context.Context) error { return c.parse(ctx, m) })
		case *pgproto3.Bind:
			handleErr = c.extendedQuick(func() error { return c.bind(m) })
		case *pgproto3.Describe:
			handleErr = c.extendedQuick(func() error { return c.describe(m) })
		case *pgproto3.Execute:
			handleErr = c.extended(func(ctx context.Context) error { return c.execute(ctx, m) })
		case *pgproto3.Close:
			handleErr = c.extendedQuick(func() error { return c.closeObject(m) })
		case *pgproto3.Sync:
			c.skipTillSync = false
			if c.sess.TxStatus() == 'I' {
				c.closePortals()
			}
			handleErr = c.readyForQuery()
		case *pgproto3.Flush:
			handleErr = c.flush()
		case *pgproto3.Terminate:
			return nil
		case *pgproto3.CopyData, *pgproto3.CopyDone, *pgproto3.CopyFail:
			// Ignored outside COPY, as PostgreSQL does.
		case *pgproto3.FunctionCall:
			handleErr = c.reportError(sqlengine.Errorf(sqlengine.CodeFeatureNotSupported,
				"function call messages are not supported"))
			if handleErr == nil {
				handleErr = c.readyForQuery()
			}
		default:
			return c.fatal(protocolViolation("invalid frontend message type %d", c.lastType(msg)))
		}
		if handleErr != nil {
			return handleErr
		}
	}
}

// lastType returns the type byte of a message that is not valid here.
func (c *conn) lastType(msg pgproto3.FrontendMessage) byte {
	if enc, err := msg.Encode(nil); err == nil && len(enc) > 0 {
		return enc[0]
	}
	return 0
}

// receiveError turns a failure to read the next message into the connection's
// end: a FATAL for protocol violations and shutdown, nothing when the
// client is gone.
func (c *conn) receiveError(err error) error {
	var tooBig *pgproto3.ExceededMaxBodyLenErr
	switch {
	case errors.Is(err, errShutdown):
		return c.fatal(shuttingDownError())
	case errors.As(err, &tooBig):
		return c.fatal(protocolViolation("invalid message length"))
	case c.rd != nil && c.rd.readFailed(), c.rd == nil:
		if c.ctx.Err() != nil && errors.Is(context.Cause(c.ctx), errAborted) {
			return c.fatal(shuttingDownError())
		}
		// The client is gone: there is no one to report to.
		return &reportedError{fmt.Errorf("read message: %w", err)}
	case strings.HasPrefix(err.Error(), "unknown message type"):
		return c.fatal(protocolViolation("invalid frontend message type %d", c.unknownType(err)))
	}
	return c.fatal(protocolViolation("invalid message format"))
}

func (c *conn) unknownType(err error) byte {
	s := strings.TrimPrefix(err.Error(), "unknown message type: ")
	if len(s) > 0 {
		return s[0]
	}
	return 0
}

// reportedError ends the connection with nothing more to send: it was
// reported to the client as a FATAL already, or the client is gone.
type reportedError struct{ err error }

func (e *reportedError) Error() string { return e.err.Error() }
func (e *reportedError) Unwrap() error { return e.err }

// fatal sends err as a FATAL ErrorResponse and returns it, ending the connection.
func (c *conn) fatal(err error) error {
	var pgErr *sqlengine.Error
	if !errors.As(err, &pgErr) {
		c.log.Error().Err(err).Msg("internal error")
		pgErr = &sqlengine.Error{Code: sqlengine.CodeInternalError, Message: err.Error()}
	}
	e := *pgErr
	e.Severity = "FATAL"
	c.sendError(&e)
	c.flush()
	return &reportedError{err}
}

// withStatement runs fn under a context that a CancelRequest cancels. Errors
// the client should see are reported; the returned error ends the connection.
func (c *conn) withStatement(fn func(ctx context.Context) error) error {
	ctx, cancel := context.WithCancelCause(c.ctx)
	c.mu.Lock()
	c.stmtCancel = cancel
	c.mu.Unlock()
	err := fn(ctx)
	c.mu.Lock()
	c.stmtCancel = nil
	c.mu.Unlock()
	ctxErr, cause := ctx.Err(), context.Cause(ctx)
	cancel(nil)
	if err == nil {
		return nil
	}
	if ctxErr != nil {
		switch {
		case errors.Is(cause, errUserCancel):
			err = sqlengine.Errorf(sqlengine.CodeQueryCanceled, "canceling statement due to user request")
		case errors.Is(cause, errClientGone):
			return cause
		default: // shutdown, or the Serve context ended
			return c.fatal(shuttingDownError())
		}
	}
	return c.handleError(err)
}

// handleError reports the error of a message the client should see, and
// returns the errors that end the connection.
func (c *conn) handleError(err error) error {
	var ioErr *connIOError
	if errors.As(err, &ioErr) {
		return err
	}
	var pgErr *sqlengine.Error
	if errors.As(err, &pgErr) && pgErr.Severity == "FATAL" {
		return c.fatal(pgErr)
	}
	if es, ok := c.sess.(sqlengine.ErrorSession); ok {
		es.NoteError() // the engine may not know of the error yet
	}
	return c.reportError(err)
}

// extended runs an extended-protocol message handler, unless an earlier
// error makes the protocol skip messages until Sync.
func (c *conn) extended(fn func(ctx context.Context) error) error {
	if c.skipTillSync {
		return nil
	}
	failed := false
	err := c.withStatement(func(ctx context.Context) error {
		err := fn(ctx)
		failed = err != nil
		return err
	})
	if failed {
		c.skipTillSync = true
	}
	return err
}

// extendedQuick is extended for the handlers that run no SQL (Bind,
// Describe, Close): they finish at once, so a CancelRequest has nothing to
// cancel, and they skip the per-statement context a point query would
// otherwise pay for three times.
func (c *conn) extendedQuick(fn func() error) error {
	if c.skipTillSync {
		return nil
	}
	err := fn()
	if err == nil {
		return nil
	}
	c.skipTillSync = true
	return c.handleError(err)
}

// cancelStatement cancels the running statement, if any, for a CancelRequest.
func (c *conn) cancelStatement() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stmtCancel != nil {
		c.stmtCancel(errUserCancel)
	}
}

// connIOError marks a failure to write to the client: the connection is over.
type connIOError struct{ err error }

func (e *connIOError) Error() string { return "write to client: " + e.err.Error() }
func (e *connIOError) Unwrap() error { return e.err }

func (c *conn) types() *pgtype.Map {
	if c.typeMap == nil {
		c.typeMap = pgtype.NewMap()
	}
	return c.typeMap
}

func (c *conn) flush() error {
	c.unflushed = 0
	if err := c.be.Flush(); err != nil {
		return &connIOError{err}
	}
	return nil
}

// readyForQuery reports pending parameter changes and ReadyForQuery, and flushes.
func (c *conn) readyForQuery() error {
	for _, p := range c.pendingParams {
		c.be.Send(&pgproto3.ParameterStatus{Name: p.Name, Value: p.Value})
	}
	c.pendingParams = c.pendingParams[:0]
	c.be.Send(&pgproto3.ReadyForQuery{TxStatus: c.sess.TxStatus()})
	return c.flush()
}

// reportError sends err as an ErrorResponse. Errors that are not
// *sqlengine.Error are internal errors: logged, and sent as XX000.
func (c *conn) reportError(err error) error {
	var pgErr *sqlengine.Error
	if !errors.As(err, &pgErr) {
		c.log.Error().Err(err).Msg("internal error")
		pgErr = &sqlengine.Error{Code: sqlengine.CodeInternalError, Message: err.Error()}
	}
	c.sendError(pgErr)
	return nil
}

func (c *conn) sendError(e *sqlengine.Error) {
	severity := e.Severity
	if severity == "" {
		severity = "ERROR"
	}
	code := e.Code
	if code == "" {
		code = sqlengine.CodeInternalError
	}
	c.be.Send(&pgproto3.ErrorResponse{
		Severity:            severity,
		SeverityUnlocalized: severity,
		Code:                code,
		Message:             e.Message,
		Detail:              e.Detail,
		Hint:                e.Hint,
		Position:            e.Position,
	})
}

func (c *conn) closeSession() {
	c.closePortals()
	if err := c.sess.Close(); err != nil {
		c.log.Warn().Err(err).Msg("close session")
	}
}

func (c *conn) closePortals() {
	for name, p := range c.portals {
		p.close()
		delete(c.portals, name)
	}
}

// noteParameter tracks parameters the server itself needs (TimeZone).
func (c *conn) noteParameter(name, value string) {
	if !strings.EqualFold(name, "TimeZone") {
		return
	}
	loc, err := loadLocation(value)
	if err != nil {
		c.log.Warn().Err(err).Str("timezone", value).Msg("unknown TimeZone, formatting timestamptz in UTC")
		loc = time.UTC
	}
	c.loc = loc
}

// loadLocation resolves a PostgreSQL TimeZone setting.
func loadLocation(name string) (*time.Location, error) {
	if strings.EqualFold(name, "UTC") || strings.EqualFold(name, "GMT") || name == "Z" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("load time zone %q: %w", name, err)
	}
	return loc, nil
}

// sessionClient receives the session's notices and parameter changes.
type sessionClient conn

// Notice implements sqlengine.Client: the notice is sent right away.
func (sc *sessionClient) Notice(n *sqlengine.Notice) {
	c := (*conn)(sc)
	severity := n.Severity
	if severity == "" {
		severity = "NOTICE"
	}
	code := n.Code
	if code == "" {
		code = sqlengine.CodeSuccessfulCompletion
		if severity == "WARNING" {
			code = sqlengine.CodeWarning
		}
	}
	c.be.Send(&pgproto3.NoticeResponse{
		Severity:            severity,
		SeverityUnlocalized: severity,
		Code:                code,
		Message:             n.Message,
		Detail:              n.Detail,
		Hint:                n.Hint,
	})
}

// ParameterStatus implements sqlengine.Client: the change is reported before
// the next ReadyForQuery, as PostgreSQL does, and applies at once.
func (sc *sessionClient) ParameterStatus(name, value string) {
	c := (*conn)(sc)
	c.noteParameter(name, value)
	for i := range c.pendingParams {
		if c.pendingParams[i].Name == name {
			c.pendingParams[i].Value = value
			return
		}
	}
	c.pendingParams = append(c.pendingParams, sqlengine.Parameter{Name: name, Value: value})
}
