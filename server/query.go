package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/pqsql/pqsql/sqlengine"
)

// preparedStmt is a prepared statement created by Parse.
type preparedStmt struct {
	// stmt is nil for an empty query string.
	stmt       sqlengine.Statement
	paramTypes []uint32
}

func (ps *preparedStmt) columns() []sqlengine.Column {
	if ps.stmt == nil {
		return nil
	}
	return ps.stmt.Columns()
}

// portal is a bound statement created by Bind, executed by Execute.
type portal struct {
	ps      *preparedStmt
	params  []any
	formats []int16 // result format per column
	rows    sqlengine.Rows
	// ctx is the context rows were opened with; cancel ends it.
	ctx    context.Context
	cancel context.CancelCauseFunc
	// resumed is set once an Execute stopped at its row limit.
	resumed bool
	done    bool
	tag     string // the command tag, once done
}

func (p *portal) close() {
	if p.rows != nil {
		p.rows.Close()
		p.rows = nil
	}
	if p.cancel != nil {
		p.cancel(nil)
	}
}

// simpleQuery runs the statements of a Query message.
func (c *conn) simpleQuery(ctx context.Context, sql string) error {
	// Learn that the client went away if a statement runs long.
	defer c.rd.watch()()
	// A simple query ends the unnamed statement and portal.
	delete(c.stmts, "")
	if p := c.portals[""]; p != nil {
		p.close()
		delete(c.portals, "")
	}
	stmts, err := c.sess.Prepare(ctx, sql, nil)
	if err != nil {
		return err
	}
	if len(stmts) == 0 {
		c.be.Send(&pgproto3.EmptyQueryResponse{})
		return nil
	}
	for _, st := range stmts {
		rows, err := st.Execute(ctx, nil)
		if err != nil {
			return err
		}
		if co, ok := rows.(sqlengine.CopyOutRows); ok {
			err = c.copyOut(ctx, co)
		} else {
			var formats []int16
			if br, ok := rows.(sqlengine.BinaryRows); ok && br.Binary() {
				formats = []int16{pgproto3.BinaryFormat}
			}
			if cols := rows.Columns(); cols != nil {
				c.be.Send(rowDescription(cols, allFormats(formats, len(cols))))
			}
			_, _, err = c.sendRows(ctx, rows, allFormats(formats, len(rows.Columns())), 0)
		}
		if err != nil {
			rows.Close()
			return err
		}
		c.be.Send(&pgproto3.CommandComplete{CommandTag: []byte(rows.Tag())})
		if err := rows.Close(); err != nil {
			return fmt.Errorf("close result: %w", err)
		}
	}
	return nil
}

// rowDescription describes cols with the given per-column formats (nil: text).
func rowDescription(cols []sqlengine.Column, formats []int16) *pgproto3.RowDescription {
	fields := make([]pgproto3.FieldDescription, len(cols))
	for i, col := range cols {
		f := pgproto3.FieldDescription{
			Name:                 []byte(col.Name),
			TableOID:             col.TableOID,
			TableAttributeNumber: uint16(col.AttrNum),
			DataTypeOID:          col.TypeOID,
			DataTypeSize:         col.TypeSize,
			TypeModifier:         col.TypeModifier,
		}
		if formats != nil {
			f.Format = formats[i]
		}
		fields[i] = f
	}
	return &pgproto3.RowDescription{Fields: fields}
}

// sendRows sends up to maxRows rows (all when 0) as DataRow messages. It
// reports whether it stopped at the limit, and how many rows it sent.
func (c *conn) sendRows(ctx context.Context, rows sqlengine.Rows, formats []int16, maxRows uint32) (suspended bool, n uint32, err error) {
	cols := rows.Columns()
	for maxRows == 0 || n < maxRows {
		vals, err := rows.Next(ctx)
		if err == io.EOF {
			return false, n, nil
		}
		if err != nil {
			return false, n, err
		}
		if len(vals) != len(cols) {
			return false, n, fmt.Errorf("row has %d values for %d columns", len(vals), len(cols))
		}
		if err := c.sendDataRow(cols, formats, vals); err != nil {
			return false, n, err
		}
		n++
		if c.unflushed >= flushThreshold {
			if err := c.flush(); err != nil {
				return false, n, err
			}
		}
	}
	return true, n, nil
}

func (c *conn) sendDataRow(cols []sqlengine.Column, formats []int16, vals []any) error {
	buf := c.scratch[:0]
	offsets := c.offsets[:0]
	for i, v := range vals {
		if v == nil {
			offsets = append(offsets, -1, -1)
			continue
		}
		start := len(buf)
		var err error
		if i < len(formats) && formats[i] == pgproto3.BinaryFormat {
			buf, err = appendBinary(buf, cols[i].TypeOID, v, c.types())
		} else {
			buf, err = appendText(buf, cols[i].TypeOID, v, c.loc)
		}
		if err != nil {
			return fmt.Errorf("column %q: %w", cols[i].Name, err)
		}
		offsets = append(offsets, start, len(buf))
	}
	values := c.values[:0]
	for i := range vals {
		if offsets[2*i] >= 0 {
			values = append(values, buf[offsets[2*i]:offsets[2*i+1]:offsets[2*i+1]])
		} else {
			values = append(values, nil)
		}
	}
	c.be.Send(&pgproto3.DataRow{Values: values}) // Send copies the values
	c.values = values
	c.unflushed += len(buf) + 4*len(vals) + 7
	c.scratch, c.offsets = buf, offsets
	return nil
}

func (c *conn) parse(ctx context.Context, m *pgproto3.Parse) error {
	if _, exists := c.stmts[m.Name]; exists && m.Name != "" {
		return sqlengine.Errorf("42P05", "prepared statement %q already exists", m.Name)
	}
	paramTypes := append([]uint32(nil), m.ParameterOIDs...)
	stmts, err := c.sess.Prepare(ctx, m.Query, paramTypes)
	if err != nil {
		return err
	}
	ps := &preparedStmt{paramTypes: paramTypes}
	switch len(stmts) {
	case 0:
	case 1:
		ps.stmt = stmts[0]
		ps.paramTypes = stmts[0].ParamTypes()
	default:
		return sqlengine.Errorf(sqlengine.CodeSyntaxError, "cannot insert multiple commands into a prepared statement")
	}
	c.stmts[m.Name] = ps
	c.be.Send(&pgproto3.ParseComplete{})
	return nil
}

func (c *conn) bind(m *pgproto3.Bind) error {
	ps, ok := c.stmts[m.PreparedStatement]
	if !ok {
		return sqlengine.Errorf(sqlengine.CodeInvalidSQLStatementName, "prepared statement %q does not exist", m.PreparedStatement)
	}
	if m.DestinationPortal != "" {
		if _, exists := c.portals[m.DestinationPortal]; exists {
			return sqlengine.Errorf("42P03", "cursor %q already exists", m.DestinationPortal)
		}
	}
	nparams := len(m.Parameters)
	if nf := len(m.ParameterFormatCodes); nf > 1 && nf != nparams {
		return sqlengine.Errorf(sqlengine.CodeProtocolViolation, "bind message has %d parameter formats but %d parameters", nf, nparams)
	}
	if nparams != len(ps.paramTypes) {
		return sqlengine.Errorf(sqlengine.CodeProtocolViolation,
			"bind message supplies %d parameters, but prepared statement %q requires %d", nparams, m.PreparedStatement, len(ps.paramTypes))
	}
	params := make([]any, nparams)
	for i, raw := range m.Parameters {
		if raw == nil {
			continue
		}
		format := formatAt(m.ParameterFormatCodes, i)
		var v any
		var err error
		switch format {
		case pgproto3.TextFormat:
			v, err = decodeTextParam(ps.paramTypes[i], raw, c.loc)
		case pgproto3.BinaryFormat:
			v, err = decodeBinaryParam(ps.paramTypes[i], raw, i+1, c.types())
		default:
			err = sqlengine.Errorf(sqlengine.CodeInvalidParameterValue, "unsupported format code: %d", format)
		}
		if err != nil {
			return err
		}
		params[i] = v
	}
	cols := ps.columns()
	if nr := len(m.ResultFormatCodes); nr > 1 && nr != len(cols) {
		return sqlengine.Errorf(sqlengine.CodeProtocolViolation, "bind message has %d result formats but query has %d columns", nr, len(cols))
	}
	formats := make([]int16, len(cols))
	for i := range cols {
		formats[i] = formatAt(m.ResultFormatCodes, i)
		if formats[i] != pgproto3.TextFormat && formats[i] != pgproto3.BinaryFormat {
			return sqlengine.Errorf(sqlengine.CodeInvalidParameterValue, "unsupported format code: %d", formats[i])
		}
	}
	if old := c.portals[m.DestinationPortal]; old != nil {
		old.close()
	}
	c.portals[m.DestinationPortal] = &portal{ps: ps, params: params, formats: formats}
	c.be.Send(&pgproto3.BindComplete{})
	return nil
}

// allFormats expands a one-element format list to n columns; nil stays nil
// (all text).
func allFormats(formats []int16, n int) []int16 {
	if formats == nil {
		return nil
	}
	out := make([]int16, n)
	for i := range out {
		out[i] = formats[0]
	}
	return out
}

// formatAt applies the protocol's format code rule: none means text, one
// applies to all, otherwise one each.
func formatAt(codes []int16, i int) int16 {
	switch len(codes) {
	case 0:
		return pgproto3.TextFormat
	case 1:
		return codes[0]
	}
	return codes[i]
}

func (c *conn) describe(m *pgproto3.Describe) error {
	switch m.ObjectType {
	case 'S':
		ps, ok := c.stmts[m.Name]
		if !ok {
			return sqlengine.Errorf(sqlengine.CodeInvalidSQLStatementName, "prepared statement %q does not exist", m.Name)
		}
		c.be.Send(&pgproto3.ParameterDescription{ParameterOIDs: ps.paramTypes})
		if cols := ps.columns(); cols != nil {
			c.be.Send(rowDescription(cols, nil))
		} else {
			c.be.Send(&pgproto3.NoData{})
		}
	case 'P':
		p, ok := c.portals[m.Name]
		if !ok {
			return c.describeCursor(m.Name)
		}
		if cols := p.ps.columns(); cols != nil {
			c.be.Send(rowDescription(cols, p.formats))
		} else {
			c.be.Send(&pgproto3.NoData{})
		}
	default:
		return sqlengine.Errorf(sqlengine.CodeProtocolViolation, "invalid DESCRIBE message subtype %d", m.ObjectType)
	}
	return nil
}

// describeCursor answers Describe of a portal the server does not know:
// it may be an SQL cursor of the session.
func (c *conn) describeCursor(name string) error {
	cs, ok := c.sess.(sqlengine.CursorSession)
	if !ok {
		return sqlengine.Errorf(sqlengine.CodeInvalidCursorName, "portal %q does not exist", name)
	}
	cols, binary, ok := cs.CursorColumns(name)
	if !ok {
		return sqlengine.Errorf(sqlengine.CodeInvalidCursorName, "portal %q does not exist", name)
	}
	if cols == nil {
		c.be.Send(&pgproto3.NoData{})
		return nil
	}
	var formats []int16
	if binary {
		formats = allFormats([]int16{pgproto3.BinaryFormat}, len(cols))
	}
	c.be.Send(rowDescription(cols, formats))
	return nil
}

func (c *conn) execute(ctx context.Context, m *pgproto3.Execute) error {
	// Learn that the client went away if the statement runs long.
	defer c.rd.watch()()
	p, ok := c.portals[m.Portal]
	if !ok {
		return sqlengine.Errorf(sqlengine.CodeInvalidCursorName, "portal %q does not exist", m.Portal)
	}
	if p.ps.stmt == nil {
		c.be.Send(&pgproto3.EmptyQueryResponse{})
		return nil
	}
	if p.done {
		// As in PostgreSQL, a finished query can be fetched from again (no
		// more rows); a finished command cannot be run twice.
		if !strings.HasPrefix(p.tag, "SELECT ") {
			return sqlengine.Errorf("55000", "portal %q cannot be run", m.Portal)
		}
		c.be.Send(&pgproto3.CommandComplete{CommandTag: []byte("SELECT 0")})
		return nil
	}
	switch {
	case p.rows == nil && m.MaxRows == 0:
		// This Execute reads every row (or fails): the rows end with the
		// message, and can use its context.
		p.ctx = ctx
	case p.rows == nil:
		// The rows may outlive this message (PortalSuspended), and engines may
		// tie them to the context they were opened with: give them the
		// portal's own context, ended when the portal closes.
		p.ctx, p.cancel = context.WithCancelCause(c.ctx)
	}
	if p.cancel != nil {
		// A cancel request for this message cancels the portal's work too.
		stop := context.AfterFunc(ctx, func() {
			if cause := context.Cause(ctx); errors.Is(cause, errUserCancel) {
				p.cancel(cause)
			}
		})
		defer stop()
	}
	if p.rows == nil {
		rows, err := p.ps.stmt.Execute(p.ctx, p.params)
		if err != nil {
			p.close()
			p.done = true
			return err
		}
		p.rows = rows
	}
	if co, ok := p.rows.(sqlengine.CopyOutRows); ok {
		// COPY ignores the row limit, as in PostgreSQL.
		if err := c.copyOut(ctx, co); err != nil {
			p.close()
			p.done = true
			return err
		}
		tag := p.rows.Tag()
		c.be.Send(&pgproto3.CommandComplete{CommandTag: []byte(tag)})
		p.close()
		p.done, p.tag = true, tag
		return nil
	}
	if tr, ok := p.rows.(sqlengine.ExecuteTimedRows); ok {
		// statement_timeout counts per Execute message, as in PostgreSQL.
		defer tr.BeginExecute()()
	}
	suspended, n, err := c.sendRows(ctx, p.rows, p.formats, m.MaxRows)
	if err != nil {
		p.close()
		p.done = true
		return err
	}
	if suspended {
		p.resumed = true
		c.be.Send(&pgproto3.PortalSuspended{})
		return nil
	}
	tag := p.rows.Tag()
	if p.resumed && strings.HasPrefix(tag, "SELECT ") {
		// Like PostgreSQL, count the rows of this Execute only.
		tag = "SELECT " + strconv.FormatUint(uint64(n), 10)
	}
	c.be.Send(&pgproto3.CommandComplete{CommandTag: []byte(tag)})
	p.close()
	p.done, p.tag = true, tag
	return nil
}

func (c *conn) closeObject(m *pgproto3.Close) error {
	switch m.ObjectType {
	case 'S':
		delete(c.stmts, m.Name)
	case 'P':
		if p := c.portals[m.Name]; p != nil {
			p.close()
			delete(c.portals, m.Name)
		}
	default:
		return sqlengine.Errorf(sqlengine.CodeProtocolViolation, "invalid CLOSE message subtype %d", m.ObjectType)
	}
	c.be.Send(&pgproto3.CloseComplete{})
	return nil
}
