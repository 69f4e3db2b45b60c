package gmsengine

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/vt/sqlparser"

	"github.com/pqsql/pqsql/sqlengine"
	"github.com/pqsql/pqsql/sqlengine/pgtranslate"
)

// statement is one parsed statement of a session.
type statement struct {
	s          *session
	pg         pgtranslate.Statement
	charOffset int // characters of the query before the statement
	kind       stmtKind
	paramTypes []uint32
	// multi is set for a statement of a multi-statement query, which
	// PostgreSQL runs in an implicit transaction block.
	multi bool

	// GMS statements, filled by plan.
	parsed sqlparser.Statement
	// limitParams holds the (0-based) parameters used as LIMIT or OFFSET,
	// which GMS needs as plain literals.
	limitParams map[int]bool
	planned     bool
	columns     []sqlengine.Column
	pgTypes     []pgType
	// keyPlan, when set, runs the statement's executions without GMS.
	keyPlan *keyPlan
	// needsGMS is set when a key plan made without GMS (parsed nil) met
	// a value it cannot use: GMS plans and runs the statement from then on.
	needsGMS bool
	// noTimeout exempts a cursor's query, whose rows outlive the statement,
	// from statement_timeout (each FETCH has its own).
	noTimeout bool
	// unparsed is the query text of a statement made without parsing it
	// (see keyStmtCache), whose pg.Node is nil until plan parses it.
	unparsed string
}

var _ sqlengine.Statement = (*statement)(nil)

// SQL returns the statement text.
func (st *statement) SQL() string { return st.pg.SQL }

// ParamTypes returns the parameters' type OIDs.
func (st *statement) ParamTypes() []uint32 { return st.paramTypes }

// Columns describes the result rows.
func (st *statement) Columns() []sqlengine.Column {
	switch st.kind {
	case stmtGMS:
		if !st.planned && !st.s.failed {
			_ = st.plan(context.Background())
		}
		return st.columns
	case stmtShow:
		name := st.pg.Node.GetVariableShowStmt().GetName()
		if name == "all" {
			return []sqlengine.Column{textColumn("name"), textColumn("setting"), textColumn("description")}
		}
		return []sqlengine.Column{textColumn(canonicalName(name))}
	case stmtCursor:
		return st.cursorColumns()
	}
	return nil
}

// plan translates the statement and determines its parameter and result
// types by planning it with typed NULL parameters.
func (st *statement) plan(ctx context.Context) error {
	if st.planned {
		return nil
	}
	if st.pg.Node == nil && st.unparsed != "" {
		parsed, err := pgtranslate.Parse(st.unparsed)
		if err != nil {
			return err
		}
		if len(parsed) != 1 {
			return fmt.Errorf("parse %q: %d statements where its shape had one", st.unparsed, len(parsed))
		}
		st.pg, st.unparsed = parsed[0], ""
	}
	if st.parsed == nil && !st.needsGMS && st.planKeyStatement(ctx) {
		// A statement by key runs without GMS, which need not plan it.
		st.planned = true
		return nil
	}
	if st.parsed == nil {
		parsed, err := pgtranslate.Translate(st.pg)
		if err != nil {
			return st.mapError(err)
		}
		st.parsed = parsed
		st.limitParams = limitParams(parsed)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sctx := st.s.newContext(ctx, st.pg.SQL)
	if len(st.paramTypes) > 0 {
		st.inferParamTypes(sctx)
	}
	bindings := make(map[string]sqlparser.Expr, st.pg.NumParams)
	for i, oid := range st.paramTypes[:st.pg.NumParams] {
		if st.limitParams[i] {
			bindings[bindName(i)] = sqlparser.NewIntVal([]byte("1"))
		} else if oid == 0 {
			bindings[bindName(i)] = &sqlparser.NullVal{}
		} else {
			bindings[bindName(i)] = castExpr(&sqlparser.NullVal{}, oid)
		}
	}
	node, err := st.s.e.gms.BoundQueryPlan(sctx, st.s.nextKey(), st.parsed, bindings)
	if err != nil {
		return st.mapError(err)
	}
	if err := checkPlan(sctx, node); err != nil {
		return err
	}
	st.setColumns(node.Schema(sctx), aggregateTypes(sctx, node))
	st.setColumnOrigins(sctx, node)
	st.keyPlan = st.planKeyAccess(sctx, node)
	st.planned = true
	return nil
}

// setColumns derives the PostgreSQL result columns from a GMS schema.
func (st *statement) setColumns(schema sql.Schema, overrides map[int]pgType) {
	if len(schema) == 0 {
		st.columns, st.pgTypes = nil, nil
		return
	}
	// Statements that change data report a tag, not rows.
	if d, ok := st.parsed.(*sqlparser.Delete); ok && len(d.Returning) == 0 {
		st.columns, st.pgTypes = nil, nil
		return
	}
	st.columns = make([]sqlengine.Column, len(schema))
	st.pgTypes = make([]pgType, len(schema))
	for i, c := range schema {
		t, ok := overrides[i]
		if !ok {
			t = pgTypeOf(c)
		}
		st.pgTypes[i] = t
		name := c.Name
		if strings.EqualFold(c.DatabaseSource, "information_schema") {
			// GMS spells information_schema columns in upper case;
			// PostgreSQL's are lower case.
			name = strings.ToLower(name)
		}
		st.columns[i] = sqlengine.Column{Name: name, TypeOID: t.OID, TypeSize: t.Size, TypeModifier: t.Typmod}
	}
}

// inferParamTypes fills unspecified parameter types from the column or
// expression each parameter is compared or combined with.
func (st *statement) inferParamTypes(sctx *sql.Context) {
	missing := false
	for _, t := range st.paramTypes {
		missing = missing || t == 0
	}
	if !missing {
		return
	}
	// Inference is best effort: a statement GMS cannot bind without values
	// keeps text parameters.
	defer func() { _ = recover() }()
	for i := range st.limitParams {
		if st.paramTypes[i] == 0 {
			st.paramTypes[i] = sqlengine.Int8OID
		}
	}
	key := st.s.nextKey()
	node, err := st.s.e.gms.PrepareParsedQuery(sctx, key, st.pg.SQL, st.parsed)
	// PrepareParsedQuery caches the AST in the GMS session; pqsql keeps its
	// own statements, so drop it at once.
	st.s.gms.UnprepareQuery(key)
	if err != nil {
		return
	}
	transform.InspectExpressions(sctx, node, func(ctx *sql.Context, e sql.Expression) bool {
		// $n::T: the parameter is sent as T, as PostgreSQL describes it.
		if pf, ok := e.(*pgFunc); ok && pf.spec == castSpec && len(pf.args) > 0 {
			if bv, ok := pf.args[0].(*expression.BindVar); ok {
				if ct, ok := pf.state.(*castTarget); ok {
					if idx := paramIndex(bv.Name); idx >= 0 && idx < len(st.paramTypes) && st.paramTypes[idx] == 0 {
						st.paramTypes[idx] = ct.oid
					}
				}
			}
			return true
		}
		ch := e.Children()
		if len(ch) != 2 {
			return true
		}
		// x IN ($1, $2, ...): every parameter of the list takes x's type.
		if tuple, ok := ch[1].(expression.Tuple); ok {
			if _, isVar := ch[0].(*expression.BindVar); !isVar && ch[0].Resolved() {
				t := pgTypeOf(&sql.Column{Type: ch[0].Type(ctx), Source: "column"})
				for _, el := range tuple {
					if bv, ok := el.(*expression.BindVar); ok {
						if idx := paramIndex(bv.Name); idx >= 0 && idx < len(st.paramTypes) && st.paramTypes[idx] == 0 {
							st.paramTypes[idx] = t.OID
						}
					}
				}
			}
			return true
		}
		for i := 0; i < 2; i++ {
			bv, ok := ch[i].(*expression.BindVar)
			if !ok {
				continue
			}
			idx := paramIndex(bv.Name)
			if idx < 0 || idx >= len(st.paramTypes) || st.paramTypes[idx] != 0 {
				continue
			}
			other := ch[1-i]
			if _, ok := other.(*expression.BindVar); ok {
				continue
			}
			if !other.Resolved() {
				continue
			}
			t := pgTypeOf(&sql.Column{Type: other.Type(ctx), Source: "column"})
			st.paramTypes[idx] = t.OID
		}
		return true
	})
}

// bindName is the vitess bind variable name of parameter i (0-based).
func bindName(i int) string { return "v" + strconv.Itoa(i+1) }

// paramIndex returns the 0-based parameter index of a bind variable name.
func paramIndex(name string) int {
	if len(name) < 2 || name[0] != 'v' {
		return -1
	}
	n, err := strconv.Atoi(name[1:])
	if err != nil {
		return -1
	}
	return n - 1
}

// Execute runs the statement.
func (st *statement) Execute(ctx context.Context, params []any) (sqlengine.Rows, error) {
	s := st.s
	if s.failed && !(st.kind == stmtTransaction && endsFailedTx(st.pg)) {
		return nil, errAborted()
	}
	if err := ctx.Err(); err != nil {
		s.noteError()
		return nil, canceledError(err)
	}
	if st.kind == stmtCopy || st.kind == stmtCursor {
		return st.execCopyOrCursor(ctx, params)
	}
	if st.kind != stmtGMS {
		r, err := st.execUtility(ctx)
		if err != nil {
			s.noteError()
			return nil, err
		}
		return r, nil
	}
	if kp := st.keyPlan; kp != nil && len(params) == len(st.paramTypes) {
		rows, ok, err := st.executeKeyPlan(ctx, kp, params)
		if err != nil {
			s.noteError()
			return nil, err
		}
		if ok {
			return rows, nil
		}
	}
	rows, err := st.execGMS(ctx, params)
	if err != nil {
		s.noteError()
		return nil, err
	}
	return rows, nil
}

func (st *statement) execGMS(ctx context.Context, params []any) (sqlengine.Rows, error) {
	if st.parsed == nil {
		// Not planned, or planned for a key plan only (planKeyStatement):
		// GMS plans it from now on.
		st.needsGMS = true
		if st.planned {
			st.planned, st.keyPlan = false, nil
		}
	}
	if err := st.plan(ctx); err != nil {
		return nil, err
	}
	if _, ok := st.parsed.(*sqlparser.Delete); ok && st.s.role == RoleReader {
		return nil, sqlengine.Errorf(sqlengine.CodeInsufficientPrivilege, "permission denied for table %s", deleteTarget(st.parsed))
	}
	if len(params) != len(st.paramTypes) {
		return nil, sqlengine.Errorf(sqlengine.CodeProtocolViolation, "bind message supplies %d parameters, but prepared statement requires %d", len(params), len(st.paramTypes))
	}
	bindings := make(map[string]sqlparser.Expr, st.pg.NumParams)
	for i, p := range params[:st.pg.NumParams] {
		oid := st.paramTypes[i]
		if st.limitParams[i] {
			oid = 0 // a plain literal
			if p == nil {
				return nil, sqlengine.Errorf(sqlengine.CodeFeatureNotSupported, "LIMIT NULL and OFFSET NULL are not supported")
			}
			if str, ok := p.(string); ok {
				n, err := parseIntText(str, "bigint")
				if err != nil {
					return nil, err
				}
				p = n
			}
		}
		e, err := bindValue(p, oid)
		if err != nil {
			return nil, err
		}
		bindings[bindName(i)] = e
	}
	var timeout time.Duration
	if !st.noTimeout {
		timeout = st.s.settings.statementTimeout()
	}
	ctx, timer := newStatementTimer(ctx, timeout)
	sctx := st.s.newContext(ctx, st.pg.SQL)
	key := st.s.nextKey()
	node, err := st.s.e.gms.BoundQueryPlan(sctx, key, st.parsed, bindings)
	if err != nil {
		timer.stop()
		return nil, st.mapError(timer.cause(ctx, err))
	}
	checkLookups(sctx, node)
	node = keepNegativeZeros(sctx, node)
	st.s.deleters = nil
	schema, iter, _, err := st.s.e.gms.PrepQueryPlanForExecution(sctx, key, node, nil)
	deleters := st.s.deleters
	st.s.deleters = nil
	if err != nil {
		timer.stop()
		return nil, st.mapError(timer.cause(ctx, err))
	}
	r := &gmsRows{st: st, sctx: sctx, timer: timer, iter: iter, cols: st.columns, types: st.pgTypes, loc: st.s.settings.location()}
	if del, ok := st.parsed.(*sqlparser.Delete); ok {
		r.isDelete = true
		r.returning = len(del.Returning) > 0
		r.deleters = deleters
	}
	if st.columns == nil && !r.isDelete {
		st.setColumns(schema, nil)
		r.cols, r.types = st.columns, st.pgTypes
	}
	return r, nil
}

// gmsRows streams a GMS result as canonical values.
type gmsRows struct {
	st    *statement
	sctx  *sql.Context
	timer *statementTimer // statement_timeout; stop ends sctx
	iter  sql.RowIter
	cols  []sqlengine.Column
	types []pgType
	loc   *time.Location
	out   []any
	n     int64
	done  bool
	err   error

	// isDelete is set for a DELETE, which runs whole on the first Next;
	// returning for DELETE ... RETURNING, whose rows are buffered in
	// returned and sent only once the DELETE is durable.
	isDelete, returning, ran bool
	deleters                 []*rowDeleter
	returned                 [][]any
	next                     int
}

var _ sqlengine.ExecuteTimedRows = (*gmsRows)(nil)

// Columns describes the rows.
func (r *gmsRows) Columns() []sqlengine.Column { return r.cols }

// Next returns the next row.
func (r *gmsRows) Next(ctx context.Context) ([]any, error) {
	if r.err != nil {
		return nil, r.err
	}
	if r.done {
		return nil, io.EOF
	}
	if err := ctx.Err(); err != nil {
		return nil, r.fail(canceledError(err))
	}
	if r.isDelete {
		return r.nextDeleted()
	}
	row, err := r.iter.Next(r.sctx)
	if errors.Is(err, io.EOF) {
		r.finish()
		return nil, io.EOF
	}
	if err != nil {
		return nil, r.fail(r.st.mapError(r.timer.cause(r.sctx, err)))
	}
	if r.out == nil {
		r.out = make([]any, len(r.cols))
	}
	if err := r.convert(row, r.out); err != nil {
		return nil, r.fail(r.st.mapError(err))
	}
	r.n++
	return r.out, nil
}

// convert stores the canonical values of a GMS row in out.
func (r *gmsRows) convert(row sql.Row, out []any) error {
	for i := range out {
		if i >= len(row) {
			out[i] = nil
			continue
		}
		v, err := canonical(restoreSign(row[i]), r.types[i], r.loc)
		if err != nil {
			return err
		}
		out[i] = v
	}
	return nil
}

// nextDeleted runs the DELETE on the first call, then returns the rows of
// its RETURNING clause, if any.
func (r *gmsRows) nextDeleted() ([]any, error) {
	if !r.ran {
		r.ran = true
		if err := r.runDelete(); err != nil {
			return nil, err
		}
	}
	if r.next < len(r.returned) {
		row := r.returned[r.next]
		r.returned[r.next] = nil
		r.next++
		return row, nil
	}
	r.finish()
	return nil, io.EOF
}

// runDelete runs a DELETE to completion and records its row count. The
// DELETE takes effect (durably, outside a transaction block) when the
// iterator closes, or, for DELETE ... RETURNING, when its deleters are
// completed here: either way before any row or the tag is returned, so an
// error leaves nothing deleted and nothing reported as deleted.
func (r *gmsRows) runDelete() error {
	for {
		row, err := r.iter.Next(r.sctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return r.fail(r.st.mapError(r.timer.cause(r.sctx, err)))
		}
		if r.returning {
			out := make([]any, len(r.cols))
			if err := r.convert(row, out); err != nil {
				return r.fail(r.st.mapError(err))
			}
			r.returned = append(r.returned, out)
			r.n++
			continue
		}
		if len(row) > 0 {
			if res, ok := row[0].(types.OkResult); ok {
				r.n += int64(res.RowsAffected)
			}
		}
	}
	iter := r.iter
	r.iter = nil
	err := iter.Close(r.sctx)
	if err == nil {
		for _, d := range r.deleters {
			if err = d.StatementComplete(r.sctx); err != nil {
				break
			}
		}
	}
	r.deleters = nil
	if err != nil {
		r.returned = nil
		return r.fail(r.st.mapError(err))
	}
	return nil
}

func (r *gmsRows) finish() {
	r.done = true
	r.closeIter()
}

func (r *gmsRows) fail(err error) error {
	r.err = err
	r.deleters = nil
	r.st.s.noteError()
	r.closeIter()
	return err
}

func (r *gmsRows) closeIter() {
	if r.iter != nil {
		_ = r.iter.Close(r.sctx)
		r.iter = nil
	}
	r.timer.stop()
}

// BeginExecute runs the statement timeout for one Execute message: the
// timer started with the statement keeps running through its first
// Execute, later ones get the whole timeout again.
func (r *gmsRows) BeginExecute() (end func()) {
	r.timer.start()
	return r.timer.pause
}

// Tag returns the command tag.
func (r *gmsRows) Tag() string {
	if r.isDelete {
		return "DELETE " + strconv.FormatInt(r.n, 10)
	}
	return "SELECT " + strconv.FormatInt(r.n, 10)
}

// Close releases the result.
func (r *gmsRows) Close() error {
	r.closeIter()
	return nil
}

// pgTypeNames maps OIDs to the type names pqsql_cast accepts.
var pgTypeNames = map[uint32]string{
	sqlengine.BoolOID: "bool", sqlengine.Int2OID: "int2", sqlengine.Int4OID: "int4", sqlengine.Int8OID: "int8",
	sqlengine.Float4OID: "float4", sqlengine.Float8OID: "float8", sqlengine.NumericOID: "numeric",
	sqlengine.TextOID: "text", sqlengine.VarcharOID: "varchar", sqlengine.BPCharOID: "bpchar", sqlengine.NameOID: "name",
	sqlengine.DateOID: "date", sqlengine.TimeOID: "time", sqlengine.TimestampOID: "timestamp",
	sqlengine.TimestamptzOID: "timestamptz", sqlengine.IntervalOID: "interval", sqlengine.ByteaOID: "bytea",
	sqlengine.UUIDOID: "uuid", sqlengine.JSONOID: "json", sqlengine.JSONBOID: "jsonb", sqlengine.OIDOID: "oid",
}

// castExpr wraps e in pqsql_cast(e, 'type') for a parameter of type oid.
func castExpr(e sqlparser.Expr, oid uint32) sqlparser.Expr {
	name, ok := pgTypeNames[oid]
	if !ok {
		name = "text"
	}
	return &sqlparser.FuncExpr{
		Name: sqlparser.NewColIdent("pqsql_cast"),
		Exprs: sqlparser.SelectExprs{
			&sqlparser.AliasedExpr{Expr: e},
			&sqlparser.AliasedExpr{Expr: sqlparser.NewStrVal([]byte(name))},
		},
	}
}

// bindValue turns a canonical parameter value into a vitess literal typed
// as the parameter's PostgreSQL type. Values never become SQL text.
func bindValue(v any, oid uint32) (sqlparser.Expr, error) {
	var lit sqlparser.Expr
	switch x := v.(type) {
	case nil:
		lit = &sqlparser.NullVal{}
	case bool:
		lit = sqlparser.BoolVal(x)
	case int16:
		lit = sqlparser.NewIntVal([]byte(strconv.FormatInt(int64(x), 10)))
	case int32:
		lit = sqlparser.NewIntVal([]byte(strconv.FormatInt(int64(x), 10)))
	case int64:
		lit = sqlparser.NewIntVal([]byte(strconv.FormatInt(x, 10)))
	case uint32:
		lit = sqlparser.NewIntVal([]byte(strconv.FormatUint(uint64(x), 10)))
	case float32:
		lit = floatLiteral(float64(x), 32)
	case float64:
		lit = floatLiteral(x, 64)
	case string:
		lit = sqlparser.NewStrVal([]byte(x))
	case []byte:
		if oid == sqlengine.ByteaOID {
			return sqlparser.NewHexVal([]byte(hex.EncodeToString(x))), nil
		}
		lit = sqlparser.NewStrVal(x)
	case time.Time:
		lit = sqlparser.NewStrVal([]byte(x.Format("2006-01-02 15:04:05.999999Z07:00")))
		if oid == sqlengine.DateOID {
			lit = sqlparser.NewStrVal([]byte(x.Format("2006-01-02")))
		} else if oid == sqlengine.TimestampOID {
			lit = sqlparser.NewStrVal([]byte(x.Format("2006-01-02 15:04:05.999999")))
		}
	case [16]byte:
		lit = sqlparser.NewStrVal([]byte(formatUUID(x[:])))
	default:
		return nil, fmt.Errorf("binding parameter: unsupported value type %T", v)
	}
	switch oid {
	case sqlengine.TextOID, sqlengine.VarcharOID, sqlengine.BPCharOID, sqlengine.NameOID, sqlengine.UnknownOID, 0:
		return lit, nil
	}
	return castExpr(lit, oid), nil
}

// floatLiteral is a float literal; special values go through pqsql_cast.
func floatLiteral(f float64, bits int) sqlparser.Expr {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return sqlparser.NewStrVal([]byte(formatFloat(f, bits)))
	}
	s := strconv.FormatFloat(f, 'e', -1, bits)
	return sqlparser.NewFloatVal([]byte(s))
}

// deleteTarget names the table a DELETE removes rows from.
func deleteTarget(stmt sqlparser.Statement) string {
	d, ok := stmt.(*sqlparser.Delete)
	if !ok || len(d.TableExprs) == 0 {
		return ""
	}
	if at, ok := d.TableExprs[0].(*sqlparser.AliasedTableExpr); ok {
		if tn, ok := at.Expr.(sqlparser.TableName); ok {
			return tn.Name.String()
		}
	}
	return ""
}

// errAborted is the error for statements in a failed transaction block.
func errAborted() error {
	return sqlengine.Errorf(sqlengine.CodeInFailedSQLTransaction, "current transaction is aborted, commands ignored until end of transaction block")
}

// limitParams finds the parameters used as LIMIT or OFFSET.
func limitParams(stmt sqlparser.Statement) map[int]bool {
	var out map[int]bool
	_ = sqlparser.Walk(func(n sqlparser.SQLNode) (bool, error) {
		l, ok := n.(*sqlparser.Limit)
		if !ok || l == nil {
			return true, nil
		}
		for _, e := range []sqlparser.Expr{l.Rowcount, l.Offset} {
			if v, ok := e.(*sqlparser.SQLVal); ok && v != nil && v.Type == sqlparser.ValArg {
				if i := paramIndex(strings.TrimPrefix(string(v.Val), ":")); i >= 0 {
					if out == nil {
						out = map[int]bool{}
					}
					out[i] = true
				}
			}
		}
		return true, nil
	}, stmt)
	return out
}
