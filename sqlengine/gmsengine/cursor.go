package gmsengine

import (
	"context"
	"io"
	"math"
	"slices"
	"strconv"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/pqsql/pqsql/sqlengine"
)

// DECLARE CURSOR options (PostgreSQL's CURSOR_OPT_*).
const (
	cursorOptBinary = 0x0001
	cursorOptScroll = 0x0002
	cursorOptHold   = 0x0020
)

// cursor is a cursor opened by DECLARE. It streams its query's rows;
// a SCROLL cursor keeps the rows it has read, so it can move backwards.
type cursor struct {
	name   string
	rows   sqlengine.Rows
	cols   []sqlengine.Column
	cancel context.CancelFunc
	binary bool
	scroll bool
	hold   bool
	// inTx is set while the transaction block that declared the cursor is open.
	inTx bool

	// pos is the cursor position: 0 before the first row, n on row n,
	// read+1 after the last row.
	pos int64
	// read counts the rows read from rows; eof is set once it is exhausted.
	read int64
	eof  bool
	// cur is the last row read (forward-only cursors); buf holds every row
	// read (SCROLL cursors).
	cur []any
	buf [][]any
	// failed is set when reading failed: the cursor cannot be used again.
	failed bool
}

func (c *cursor) close() {
	if c.rows != nil {
		c.rows.Close()
		c.rows = nil
	}
	c.cancel()
}

// row returns row k (1-based), reading forward as needed; ok is false when
// the query has fewer than k rows.
func (c *cursor) row(ctx context.Context, k int64) (row []any, ok bool, err error) {
	if k <= c.read {
		switch {
		case c.scroll:
			return c.buf[k-1], true, nil
		case k == c.read && c.cur != nil:
			return c.cur, true, nil
		}
		return nil, false, errScanForward()
	}
	for c.read < k {
		if c.eof {
			return nil, false, nil
		}
		if c.rows == nil {
			// Closed while a suspended FETCH portal still reads from it.
			return nil, false, errNoCursor(c.name)
		}
		vals, err := c.rows.Next(ctx)
		if err == io.EOF {
			c.eof = true
			return nil, false, nil
		}
		if err != nil {
			c.failed = true
			return nil, false, err
		}
		c.read++
		row = slices.Clone(vals)
		if c.scroll {
			c.buf = append(c.buf, row)
		} else {
			c.cur = row
		}
	}
	return row, true, nil
}

func errScanForward() error {
	return &sqlengine.Error{Code: "55000", Message: "cursor can only scan forward",
		Hint: "Declare it with SCROLL option to enable backward scan."}
}

func errNoCursor(name string) error {
	return sqlengine.Errorf(sqlengine.CodeInvalidCursorName, "cursor %q does not exist", name)
}

// execCursor runs DECLARE, FETCH, MOVE and CLOSE.
func (st *statement) execCursor(ctx context.Context, params []any) (sqlengine.Rows, error) {
	switch n := st.pg.Node.Node.(type) {
	case *pg_query.Node_DeclareCursorStmt:
		return st.execDeclare(ctx, n.DeclareCursorStmt, params)
	case *pg_query.Node_FetchStmt:
		return st.execFetch(ctx, n.FetchStmt)
	case *pg_query.Node_ClosePortalStmt:
		s := st.s
		name := n.ClosePortalStmt.GetPortalname()
		if name == "" {
			s.closeCursors(func(*cursor) bool { return true })
			return &staticRows{tag: "CLOSE CURSOR ALL"}, nil
		}
		c := s.cursors[name]
		if c == nil {
			return nil, errNoCursor(name)
		}
		c.close()
		delete(s.cursors, name)
		return &staticRows{tag: "CLOSE CURSOR"}, nil
	}
	return nil, sqlengine.Errorf(sqlengine.CodeInternalError, "unexpected cursor statement")
}

func (st *statement) execDeclare(ctx context.Context, d *pg_query.DeclareCursorStmt, params []any) (sqlengine.Rows, error) {
	s := st.s
	opts := d.GetOptions()
	hold := opts&cursorOptHold != 0
	if !hold && !s.inTx {
		return nil, sqlengine.Errorf(sqlengine.CodeNoActiveSQLTransaction, "DECLARE CURSOR can only be used in transaction blocks")
	}
	name := d.GetPortalname()
	if _, exists := s.cursors[name]; exists {
		return nil, sqlengine.Errorf("42P03", "cursor %q already exists", name)
	}
	// The rows outlive this statement: they get a context of their own,
	// ended when the cursor closes.
	cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	inner := &statement{s: s, pg: st.pg, charOffset: st.charOffset, kind: stmtGMS, paramTypes: st.paramTypes, noTimeout: true}
	inner.pg.Node = d.GetQuery()
	rows, err := inner.execGMS(cctx, params)
	if err != nil {
		cancel()
		return nil, err
	}
	if s.cursors == nil {
		s.cursors = make(map[string]*cursor)
	}
	s.cursors[name] = &cursor{
		name:   name,
		rows:   rows,
		cols:   rows.Columns(),
		cancel: cancel,
		binary: opts&cursorOptBinary != 0,
		scroll: opts&cursorOptScroll != 0,
		hold:   hold,
		inTx:   s.inTx,
	}
	return &staticRows{tag: "DECLARE CURSOR"}, nil
}

// inferCursorParams infers the types of a DECLARE's parameters from its
// query, as planning a SELECT does. Errors surface when DECLARE runs.
func (st *statement) inferCursorParams(ctx context.Context) {
	d := st.pg.Node.GetDeclareCursorStmt()
	if d == nil || st.pg.NumParams == 0 {
		return
	}
	// inner shares paramTypes, which plan completes.
	inner := &statement{s: st.s, pg: st.pg, charOffset: st.charOffset, kind: stmtGMS, paramTypes: st.paramTypes}
	inner.pg.Node = d.GetQuery()
	_ = inner.plan(ctx)
}

var (
	_ sqlengine.CursorSession = (*session)(nil)
	_ sqlengine.ErrorSession  = (*session)(nil)
)

// NoteError records an error the server reported: inside a transaction
// block it fails the block.
func (s *session) NoteError() { s.noteError() }

// CursorColumns describes the rows of the open cursor name.
func (s *session) CursorColumns(name string) (cols []sqlengine.Column, binary, ok bool) {
	c := s.cursors[name]
	if c == nil {
		return nil, false, false
	}
	return c.cols, c.binary, true
}

// cursorColumns describes a FETCH's rows: those of the cursor, if it exists.
func (st *statement) cursorColumns() []sqlengine.Column {
	fs := st.pg.Node.GetFetchStmt()
	if fs == nil || fs.GetIsmove() {
		return nil
	}
	if c := st.s.cursors[fs.GetPortalname()]; c != nil {
		return c.cols
	}
	return nil
}

func (st *statement) execFetch(ctx context.Context, fs *pg_query.FetchStmt) (sqlengine.Rows, error) {
	s := st.s
	name := fs.GetPortalname()
	c := s.cursors[name]
	if c == nil {
		return nil, errNoCursor(name)
	}
	if c.failed {
		return nil, sqlengine.Errorf("55000", "portal %q cannot be run", name)
	}
	n := fs.GetHowMany()
	var start, step, count int64
	switch fs.GetDirection() {
	case pg_query.FetchDirection_FETCH_FORWARD:
		start, step, count = c.pos+1, 1, n
		if n == 0 {
			start, count = c.pos, 1
		}
	case pg_query.FetchDirection_FETCH_BACKWARD:
		if !c.scroll {
			return nil, errScanForward()
		}
		start, step, count = c.pos-1, -1, n
		if n == 0 {
			start, count = c.pos, 1
		}
	case pg_query.FetchDirection_FETCH_ABSOLUTE:
		switch {
		case n > 0:
			if !c.scroll && n < c.pos {
				return nil, errScanForward()
			}
			start, step, count = n, 1, 1
		case n == 0:
			if !c.scroll && c.pos > 0 {
				return nil, errScanForward()
			}
			c.pos = 0
		default:
			if !c.scroll {
				return nil, errScanForward()
			}
			// Count the rows, then address from the end.
			if _, _, err := c.row(ctx, math.MaxInt64); err != nil {
				return nil, st.fetchError(ctx, c, err)
			}
			start, step, count = c.read+1+n, 1, 1
		}
	case pg_query.FetchDirection_FETCH_RELATIVE:
		if n < 0 && !c.scroll {
			return nil, errScanForward()
		}
		start, step, count = c.pos+n, 1, 1
	default:
		return nil, sqlengine.Errorf(sqlengine.CodeFeatureNotSupported, "unsupported FETCH direction")
	}
	fctx, cancel := context.WithCancel(ctx)
	if d := s.settings.statementTimeout(); d > 0 {
		fctx, cancel = context.WithTimeout(ctx, d)
	}
	// Ending the FETCH (cancel request, timeout) stops the cursor's query,
	// which then fails.
	stop := context.AfterFunc(fctx, c.cancel)
	r := &fetchRows{st: st, c: c, ctx: fctx, cancel: cancel, stop: stop, next: start, step: step, count: count}
	if fs.GetIsmove() {
		defer r.Close()
		for {
			if _, err := r.advance(); err == io.EOF {
				break
			} else if err != nil {
				return nil, err
			}
		}
		return &staticRows{tag: "MOVE " + strconv.FormatInt(r.n, 10)}, nil
	}
	return r, nil
}

// fetchError marks the cursor failed and reports a cancellation as such.
func (st *statement) fetchError(ctx context.Context, c *cursor, err error) error {
	if ctx.Err() != nil {
		c.failed = true
		return canceledError(ctx.Err())
	}
	return err
}

// fetchRows streams a FETCH: count rows starting at row next, going in the
// direction of step.
type fetchRows struct {
	st     *statement
	c      *cursor
	ctx    context.Context
	cancel context.CancelFunc
	stop   func() bool
	next   int64
	step   int64
	count  int64
	n      int64
	done   bool
}

var _ sqlengine.BinaryRows = (*fetchRows)(nil)

// Columns describes the cursor's rows.
func (r *fetchRows) Columns() []sqlengine.Column { return r.c.cols }

// Binary reports whether the cursor was declared BINARY.
func (r *fetchRows) Binary() bool { return r.c.binary }

// Next returns the next fetched row.
func (r *fetchRows) Next(ctx context.Context) ([]any, error) {
	if err := ctx.Err(); err != nil {
		r.c.failed = true
		return nil, canceledError(err)
	}
	return r.advance()
}

func (r *fetchRows) advance() ([]any, error) {
	c := r.c
	if r.done || r.n >= r.count {
		r.done = true
		return nil, io.EOF
	}
	if r.next < 1 {
		c.pos = 0
		r.done = true
		return nil, io.EOF
	}
	row, ok, err := c.row(r.ctx, r.next)
	if err != nil {
		r.done = true
		r.st.s.noteError()
		return nil, r.st.fetchError(r.ctx, c, err)
	}
	if !ok {
		c.pos = c.read + 1
		r.done = true
		return nil, io.EOF
	}
	c.pos = r.next
	r.next += r.step
	r.n++
	return row, nil
}

// Tag returns "FETCH n".
func (r *fetchRows) Tag() string { return "FETCH " + strconv.FormatInt(r.n, 10) }

// Close ends the FETCH; the cursor stays open.
func (r *fetchRows) Close() error {
	r.stop()
	r.cancel()
	return nil
}

// closeCursors closes the cursors for which drop is true.
func (s *session) closeCursors(drop func(*cursor) bool) {
	for name, c := range s.cursors {
		if drop(c) {
			c.close()
			delete(s.cursors, name)
		}
	}
}

// endCursors closes the cursors a transaction block's end ends: all but
// WITH HOLD cursors at COMMIT; at ROLLBACK also the WITH HOLD cursors the
// block declared.
func (s *session) endCursors(commit bool) {
	s.closeCursors(func(c *cursor) bool { return !c.hold || !commit && c.inTx })
	for _, c := range s.cursors {
		c.inTx = false
	}
}

// execCopyOrCursor runs the statements of copy.go and cursor.go.
func (st *statement) execCopyOrCursor(ctx context.Context, params []any) (sqlengine.Rows, error) {
	var rows sqlengine.Rows
	var err error
	if st.kind == stmtCopy {
		rows, err = st.execCopy(ctx)
	} else {
		rows, err = st.execCursor(ctx, params)
	}
	if err != nil {
		st.s.noteError()
		return nil, err
	}
	return rows, nil
}
