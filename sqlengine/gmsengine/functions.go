package gmsengine

import (
	"fmt"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// funcSpec defines one pqsql_* function.
type funcSpec struct {
	name             string
	minArgs, maxArgs int
	// typ returns the result type from the (unevaluated) arguments.
	typ func(ctx *sql.Context, args []sql.Expression) sql.Type
	// eval computes the result from evaluated arguments. Unless keepNulls is
	// set, a NULL argument makes the result NULL without calling eval.
	eval             func(ctx *sql.Context, f *pgFunc, vals []any) (any, error)
	keepNulls        bool
	nonDeterministic bool
}

// pgFunc is an instance of a pqsql_* function in an expression tree.
type pgFunc struct {
	spec *funcSpec
	args []sql.Expression
	// state is per-instance data computed at construction (e.g. a cast's type).
	state any
}

var (
	_ sql.FunctionExpression         = (*pgFunc)(nil)
	_ sql.NonDeterministicExpression = (*pgFunc)(nil)
)

// sqlFunction adapts a funcSpec to sql.Function.
type sqlFunction struct {
	spec *funcSpec
	init func(ctx *sql.Context, args []sql.Expression) (any, error)
}

func (f sqlFunction) asFunction() sql.Function {
	return sql.FunctionN{Name: f.spec.name, Fn: func(ctx *sql.Context, args ...sql.Expression) (sql.Expression, error) {
		if len(args) < f.spec.minArgs || (f.spec.maxArgs >= 0 && len(args) > f.spec.maxArgs) {
			return nil, sql.ErrInvalidArgumentNumber.New(f.spec.name, f.spec.minArgs, len(args))
		}
		pf := &pgFunc{spec: f.spec, args: args}
		if f.init != nil {
			st, err := f.init(ctx, args)
			if err != nil {
				return nil, err
			}
			pf.state = st
		}
		return pf, nil
	}}
}

// FunctionName returns the function's name.
func (f *pgFunc) FunctionName() string { return f.spec.name }

// Description describes the function.
func (f *pgFunc) Description() string {
	return "PostgreSQL function " + strings.TrimPrefix(f.spec.name, "pqsql_")
}

// IsNonDeterministic keeps session-dependent results out of caches.
func (f *pgFunc) IsNonDeterministic() bool { return f.spec.nonDeterministic }

// Resolved reports whether every argument is resolved.
func (f *pgFunc) Resolved() bool {
	for _, a := range f.args {
		if !a.Resolved() {
			return false
		}
	}
	return true
}

// String renders the call.
func (f *pgFunc) String() string {
	parts := make([]string, len(f.args))
	for i, a := range f.args {
		parts[i] = a.String()
	}
	return fmt.Sprintf("%s(%s)", f.spec.name, strings.Join(parts, ", "))
}

// Type returns the result type.
func (f *pgFunc) Type(ctx *sql.Context) sql.Type {
	switch st := f.state.(type) {
	case *castTarget:
		return st.gms
	case *minMaxTarget:
		return st.typ
	}
	return f.spec.typ(ctx, f.args)
}

// IsNullable reports that the result may be NULL.
func (f *pgFunc) IsNullable(*sql.Context) bool { return true }

// Children returns the arguments.
func (f *pgFunc) Children() []sql.Expression { return f.args }

// WithChildren returns the call with new arguments.
func (f *pgFunc) WithChildren(_ *sql.Context, children ...sql.Expression) (sql.Expression, error) {
	if len(children) != len(f.args) {
		return nil, sql.ErrInvalidChildrenNumber.New(f, len(children), len(f.args))
	}
	nf := *f
	nf.args = children
	return &nf, nil
}

// Eval evaluates the arguments and the function.
func (f *pgFunc) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	vals := make([]any, len(f.args))
	for i, a := range f.args {
		v, err := a.Eval(ctx, row)
		if err != nil {
			return nil, err
		}
		if v == nil && !f.spec.keepNulls {
			return nil, nil
		}
		vals[i] = v
	}
	return f.spec.eval(ctx, f, vals)
}

// pgSession returns the pqsql session behind a GMS context, or nil.
func pgSession(ctx *sql.Context) *session {
	if gs, ok := ctx.Session.(*gmsSession); ok {
		return gs.pg
	}
	return nil
}

func fixedType(t sql.Type) func(*sql.Context, []sql.Expression) sql.Type {
	return func(*sql.Context, []sql.Expression) sql.Type { return t }
}

// newFunctionRegistry returns the pqsql_* functions by lower-case name.
func newFunctionRegistry() map[string]sql.Function {
	m := map[string]sql.Function{}
	for _, f := range functionList() {
		m[f.spec.name] = f.asFunction()
	}
	for name, f := range arithFunctions() {
		m[name] = f
	}
	for name, f := range sumAvgFunctions() {
		m[name] = f
	}
	return m
}

func functionList() []sqlFunction {
	fs := []sqlFunction{
		{spec: castSpec, init: initCast},
		{spec: divSpec},
		{spec: unknownSpec},
	}
	for _, s := range sessionFuncs() {
		fs = append(fs, sqlFunction{spec: s})
	}
	for _, s := range dateFuncs() {
		fs = append(fs, sqlFunction{spec: s})
	}
	for _, s := range catalogFuncs() {
		fs = append(fs, sqlFunction{spec: s})
	}
	for _, s := range stringFuncs() {
		fs = append(fs, sqlFunction{spec: s})
	}
	for _, s := range mathFuncs() {
		fs = append(fs, sqlFunction{spec: s})
	}
	for _, s := range numericMathFuncs() {
		fs = append(fs, sqlFunction{spec: s})
	}
	for _, s := range moreStringFuncs() {
		fs = append(fs, sqlFunction{spec: s})
	}
	for _, s := range adminFuncs() {
		fs = append(fs, sqlFunction{spec: s})
	}
	for _, s := range arrayFuncs() {
		fs = append(fs, sqlFunction{spec: s})
	}
	for _, s := range pgCatalogFuncs() {
		fs = append(fs, sqlFunction{spec: s})
	}
	for _, s := range jsonFuncs() {
		fs = append(fs, sqlFunction{spec: s})
	}
	fs = append(fs, minMaxFunctions()...)
	fs = append(fs, sqlFunction{spec: sleepSpec}, sqlFunction{spec: distinctKeySpec})
	return fs
}

// textResult is the type of functions returning text.
var textResult = fixedType(textType)

// boolResult is the type of functions returning bool.
var boolResult = fixedType(types.Boolean)
