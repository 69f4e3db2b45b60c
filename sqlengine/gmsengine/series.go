package gmsengine

import (
	"fmt"
	"io"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"

	"github.com/pqsql/pqsql/sqlengine"
)

// seriesFunction is one of the table functions pqsql_generate_series(start,
// stop [, step]), PostgreSQL's integer generate_series with one column of
// the arguments' type (int4, or int8 when an argument is wider), and
// pqsql_unnest(array), the elements of an array in text form (see
// arrays.go).
type seriesFunction struct {
	name string
	db   sql.Database
	args []sql.Expression
}

var (
	_ sql.TableFunction         = (*seriesFunction)(nil)
	_ sql.ExecSourceRel         = (*seriesFunction)(nil)
	_ sql.CollationCoercible    = (*seriesFunction)(nil)
	_ sql.TableFunctionProvider = (*provider)(nil)
)

// Names of the table functions.
const (
	seriesFunctionName = "pqsql_generate_series"
	unnestFunctionName = "pqsql_unnest"
)

// TableFunction returns pqsql_generate_series or pqsql_unnest.
func (p *provider) TableFunction(_ *sql.Context, name string) (sql.TableFunction, bool) {
	for _, n := range []string{seriesFunctionName, unnestFunctionName} {
		if strings.EqualFold(name, n) {
			return &seriesFunction{name: n}, true
		}
	}
	return nil, false
}

// WithTableFunctions is not supported: the table functions are fixed.
func (p *provider) WithTableFunctions(...sql.TableFunction) (sql.TableFunctionProvider, error) {
	return nil, fmt.Errorf("gmsengine: table functions are fixed")
}

// NewInstance returns the function applied to args.
func (s *seriesFunction) NewInstance(ctx *sql.Context, db sql.Database, args []sql.Expression) (sql.Node, error) {
	if s.name == unnestFunctionName {
		if len(args) != 1 {
			return nil, sqlengine.Errorf(sqlengine.CodeUndefinedFunction, "function unnest with %d arguments does not exist", len(args))
		}
		return &seriesFunction{name: s.name, db: db, args: args}, nil
	}
	if len(args) < 2 || len(args) > 3 {
		return nil, sqlengine.Errorf(sqlengine.CodeUndefinedFunction, "function generate_series with %d arguments does not exist", len(args))
	}
	for _, a := range args {
		if a.Resolved() && !types.IsInteger(a.Type(ctx)) && a.Type(ctx).Type() != sqltypes.Null && !types.IsText(a.Type(ctx)) {
			return nil, sqlengine.Errorf(sqlengine.CodeFeatureNotSupported, "generate_series is supported for integers only")
		}
	}
	return &seriesFunction{name: s.name, db: db, args: args}, nil
}

// Name returns the function's name.
func (s *seriesFunction) Name() string { return s.name }

// String describes the call.
func (s *seriesFunction) String() string {
	parts := make([]string, len(s.args))
	for i, a := range s.args {
		parts[i] = a.String()
	}
	return s.name + "(" + strings.Join(parts, ", ") + ")"
}

// Resolved reports whether the arguments are resolved.
func (s *seriesFunction) Resolved() bool {
	for _, a := range s.args {
		if !a.Resolved() {
			return false
		}
	}
	return true
}

// IsReadOnly reports that the function reads nothing.
func (s *seriesFunction) IsReadOnly() bool { return true }

// columnType is int8 when an argument is wider than int4, else int4.
func (s *seriesFunction) columnType(ctx *sql.Context) sql.Type {
	if s.name == unnestFunctionName {
		if !s.args[0].Resolved() {
			return textType
		}
		return arrayElemType(ctx, s.args[0])
	}
	for _, a := range s.args {
		if !a.Resolved() {
			continue
		}
		switch a.Type(ctx).Type() {
		case sqltypes.Int64, sqltypes.Uint32, sqltypes.Uint64:
			return types.Int64
		}
	}
	return types.Int32
}

// Schema returns the one column.
func (s *seriesFunction) Schema(ctx *sql.Context) sql.Schema {
	db := ""
	if s.db != nil {
		db = s.db.Name()
	}
	return sql.Schema{{Name: strings.TrimPrefix(s.name, "pqsql_"), Type: s.columnType(ctx), Source: s.name, DatabaseSource: db, Nullable: s.name == unnestFunctionName}}
}

// Children returns none.
func (s *seriesFunction) Children() []sql.Node { return nil }

// WithChildren returns the function.
func (s *seriesFunction) WithChildren(_ *sql.Context, children ...sql.Node) (sql.Node, error) {
	if len(children) != 0 {
		return nil, sql.ErrInvalidChildrenNumber.New(s, len(children), 0)
	}
	return s, nil
}

// Expressions returns the arguments.
func (s *seriesFunction) Expressions() []sql.Expression { return s.args }

// WithExpressions returns the function with new arguments.
func (s *seriesFunction) WithExpressions(_ *sql.Context, exprs ...sql.Expression) (sql.Node, error) {
	if len(exprs) != len(s.args) {
		return nil, sql.ErrInvalidChildrenNumber.New(s, len(exprs), len(s.args))
	}
	ns := *s
	ns.args = exprs
	return &ns, nil
}

// Database returns the database the function was called in.
func (s *seriesFunction) Database() sql.Database { return s.db }

// WithDatabase returns the function in db.
func (s *seriesFunction) WithDatabase(db sql.Database) (sql.Node, error) {
	ns := *s
	ns.db = db
	return &ns, nil
}

// Collation returns the binary collation.
func (s *seriesFunction) Collation() sql.CollationID { return sql.Collation_binary }

// CollationCoercibility reports a numeric result.
func (s *seriesFunction) CollationCoercibility(*sql.Context) (sql.CollationID, byte) {
	return sql.Collation_binary, 5
}

// RowIter evaluates the arguments (which may refer to row) and returns the series.
func (s *seriesFunction) RowIter(ctx *sql.Context, row sql.Row) (sql.RowIter, error) {
	if s.name == unnestFunctionName {
		return s.unnestRows(ctx, row)
	}
	vals := [3]int64{0, 0, 1}
	for i, a := range s.args {
		v, err := a.Eval(ctx, row)
		if err != nil {
			return nil, err
		}
		if v == nil {
			return sql.RowsToRowIter(), nil
		}
		if vals[i], err = toInt64(v); err != nil {
			return nil, err
		}
	}
	if vals[2] == 0 {
		return nil, sqlengine.Errorf(sqlengine.CodeInvalidParameterValue, "step size cannot equal zero")
	}
	return &seriesIter{next: vals[0], stop: vals[1], step: vals[2], wide: s.columnType(ctx) == types.Int64}, nil
}

// seriesIter produces the series' rows.
type seriesIter struct {
	next, stop, step int64
	wide, done       bool
}

// Next returns the next value.
func (it *seriesIter) Next(*sql.Context) (sql.Row, error) {
	if it.done || (it.step > 0 && it.next > it.stop) || (it.step < 0 && it.next < it.stop) {
		return nil, io.EOF
	}
	v := it.next
	if n := v + it.step; (it.step > 0 && n < v) || (it.step < 0 && n > v) {
		it.done = true // overflow: v was the last value
	} else {
		it.next = n
	}
	if it.wide {
		return sql.Row{v}, nil
	}
	return sql.Row{int32(v)}, nil
}

// Close releases nothing.
func (it *seriesIter) Close(*sql.Context) error { return nil }

// unnestRows returns the elements of the array argument.
func (s *seriesFunction) unnestRows(ctx *sql.Context, row sql.Row) (sql.RowIter, error) {
	v, err := s.args[0].Eval(ctx, row)
	if err != nil || v == nil {
		return sql.RowsToRowIter(), err
	}
	a, err := arrayText(v)
	if err != nil {
		return nil, err
	}
	typ := s.columnType(ctx)
	rows := make([]sql.Row, len(a.elems))
	for i, e := range a.elems {
		ev, err := elementValue(e, typ)
		if err != nil {
			return nil, err
		}
		rows[i] = sql.Row{ev}
	}
	return sql.RowsToRowIter(rows...), nil
}
