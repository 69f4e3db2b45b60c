package gmsengine

import (
	"context"
	"math"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function/aggregation"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// floatSemanticsRule is the id of the analyzer rule floatSemantics. It is
// outside the range of GMS's own rule ids.
const floatSemanticsRule analyzer.RuleId = 10_000

// floatSemantics is an analyzer rule giving float4 and float8 PostgreSQL's
// NaN semantics, which GMS's float comparisons (Go's <, where NaN is
// unordered) lack: NaN equals NaN and is greater than every other value,
// Infinity included. It replaces the comparisons of a float with a number
// or a string literal by floatCmp (which also compares float4 with a
// numeric literal as float8, where GMS converts the float to a decimal and
// fails on NaN), and wraps the float keys of ORDER BY, min() and max() in
// floatOrder.
func floatSemantics(ctx *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	n, same, err := transform.Node(ctx, n, func(ctx *sql.Context, n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		switch s := n.(type) {
		case *plan.Sort:
			if fields, ok := floatSortFields(ctx, s.SortFields); ok {
				ns := *s
				ns.SortFields = fields
				return &ns, transform.NewTree, nil
			}
		case *plan.TopN:
			if fields, ok := floatSortFields(ctx, s.Fields); ok {
				nt := *s
				nt.Fields = fields
				return &nt, transform.NewTree, nil
			}
		}
		return n, transform.SameTree, nil
	})
	if err != nil {
		return nil, transform.SameTree, err
	}
	n, same2, err := transform.NodeExprs(ctx, n, func(ctx *sql.Context, e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
		switch x := e.(type) {
		case *aggregation.Max, *aggregation.Min:
			children := x.Children()
			if !isFloatType(children[0].Type(ctx)) {
				break
			}
			if _, done := children[0].(*floatOrder); done {
				break
			}
			children = append([]sql.Expression{&floatOrder{children[0]}}, children[1:]...)
			ne, err := x.WithChildren(ctx, children...)
			return ne, transform.NewTree, err
		case *expression.Equals, *expression.NullSafeEquals, *expression.LessThan, *expression.LessThanOrEqual,
			*expression.GreaterThan, *expression.GreaterThanOrEqual:
			b := x.(expression.BinaryExpression)
			l, r := b.Left(), b.Right()
			if !floatComparable(ctx, l, r) && !floatComparable(ctx, r, l) {
				break
			}
			var op cmpOp
			switch x.(type) {
			case *expression.Equals:
				op = cmpEq
			case *expression.NullSafeEquals:
				op = cmpNullSafeEq
			case *expression.LessThan:
				op = cmpLt
			case *expression.LessThanOrEqual:
				op = cmpLe
			case *expression.GreaterThan:
				op = cmpGt
			case *expression.GreaterThanOrEqual:
				op = cmpGe
			}
			return &floatCmp{op: op, left: l, right: r}, transform.NewTree, nil
		}
		return e, transform.SameTree, nil
	})
	if err != nil {
		return nil, transform.SameTree, err
	}
	return n, same && same2, nil
}

// isFloatType reports whether t is float4 or float8 (not numeric).
func isFloatType(t sql.Type) bool {
	return t != nil && types.IsFloat(t) && !types.IsDecimal(t)
}

// floatComparable reports whether a comparison of f with o is a float
// comparison in PostgreSQL: f is a float and o a number (numeric and
// integers are converted to float8) or a string literal ('NaN').
func floatComparable(ctx *sql.Context, f, o sql.Expression) bool {
	if !isFloatType(f.Type(ctx)) {
		return false
	}
	if types.IsNumber(o.Type(ctx)) {
		return true
	}
	lit, ok := o.(*expression.Literal)
	if !ok {
		return false
	}
	_, isStr := lit.Value().(string)
	return isStr
}

// floatSortFields wraps the float keys of fields in floatOrder, reporting
// whether any was.
func floatSortFields(ctx *sql.Context, fields sql.SortFields) (sql.SortFields, bool) {
	var out sql.SortFields
	for i, f := range fields {
		if _, done := f.Column.(*floatOrder); done || !isFloatType(f.Column.Type(ctx)) {
			continue
		}
		if out == nil {
			out = append(sql.SortFields(nil), fields...)
		}
		out[i].Column = &floatOrder{f.Column}
		// The wrapper is no sql.ValueExpression: the sort must evaluate
		// it, with its type's Compare.
		out[i].ValueExprColumn = nil
	}
	return out, out != nil
}

// compareFloats orders a and b as PostgreSQL orders floats: NaN equals NaN
// and is greater than everything else; -0 equals 0.
func compareFloats(a, b float64) int {
	an, bn := math.IsNaN(a), math.IsNaN(b)
	switch {
	case an && bn:
		return 0
	case an:
		return 1
	case bn:
		return -1
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// floatOrderType is a float type whose Compare orders NaN as PostgreSQL
// does; it is otherwise its embedded type.
type floatOrderType struct {
	floatBase
}

// floatBase is sql.Type under a name that does not clash with its method
// Type as floatOrderType's embedded field.
type floatBase interface{ sql.Type }

// Compare orders NaN above every other value, NULLs aside.
func (t floatOrderType) Compare(ctx context.Context, a, b any) (int, error) {
	if a == nil || b == nil {
		return t.floatBase.Compare(ctx, a, b)
	}
	x, err := toFloat64(a)
	if err != nil {
		return 0, err
	}
	y, err := toFloat64(b)
	if err != nil {
		return 0, err
	}
	return compareFloats(x, y), nil
}

// floatOrder is a float expression whose type orders NaN as PostgreSQL
// does, for sort keys and the arguments of min() and max(), which compare
// with their key's type.
type floatOrder struct {
	child sql.Expression
}

var _ sql.Expression = (*floatOrder)(nil)

// Resolved reports whether the child is resolved.
func (f *floatOrder) Resolved() bool { return f.child.Resolved() }

// String renders the child, so that names derived from it do not change.
func (f *floatOrder) String() string { return f.child.String() }

// Type returns the child's type with PostgreSQL's NaN ordering.
func (f *floatOrder) Type(ctx *sql.Context) sql.Type { return floatOrderType{f.child.Type(ctx)} }

// IsNullable reports whether the child is nullable.
func (f *floatOrder) IsNullable(ctx *sql.Context) bool { return f.child.IsNullable(ctx) }

// Eval evaluates the child.
func (f *floatOrder) Eval(ctx *sql.Context, row sql.Row) (any, error) { return f.child.Eval(ctx, row) }

// Children returns the child.
func (f *floatOrder) Children() []sql.Expression { return []sql.Expression{f.child} }

// WithChildren returns the wrapper around a new child.
func (f *floatOrder) WithChildren(_ *sql.Context, children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(f, len(children), 1)
	}
	return &floatOrder{children[0]}, nil
}

// cmpOp is a comparison operator of floatCmp.
type cmpOp int

const (
	cmpEq cmpOp = iota
	cmpNullSafeEq
	cmpLt
	cmpLe
	cmpGt
	cmpGe
)

var cmpOpNames = [...]string{cmpEq: "=", cmpNullSafeEq: "<=>", cmpLt: "<", cmpLe: "<=", cmpGt: ">", cmpGe: ">="}

// floatCmp compares two values as float8 with PostgreSQL's NaN semantics.
type floatCmp struct {
	op          cmpOp
	left, right sql.Expression
}

var _ sql.Expression = (*floatCmp)(nil)

// Resolved reports whether both operands are resolved.
func (c *floatCmp) Resolved() bool { return c.left.Resolved() && c.right.Resolved() }

// String renders the comparison.
func (c *floatCmp) String() string {
	return "(" + c.left.String() + " " + cmpOpNames[c.op] + " " + c.right.String() + ")"
}

// Type is boolean.
func (c *floatCmp) Type(*sql.Context) sql.Type { return types.Boolean }

// IsNullable reports that the result is NULL when an operand is (except
// for the NULL-safe equality).
func (c *floatCmp) IsNullable(*sql.Context) bool { return c.op != cmpNullSafeEq }

// Children returns the operands.
func (c *floatCmp) Children() []sql.Expression { return []sql.Expression{c.left, c.right} }

// WithChildren returns the comparison of new operands.
func (c *floatCmp) WithChildren(_ *sql.Context, children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 2 {
		return nil, sql.ErrInvalidChildrenNumber.New(c, len(children), 2)
	}
	return &floatCmp{op: c.op, left: children[0], right: children[1]}, nil
}

// Eval compares the operands.
func (c *floatCmp) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	l, err := c.left.Eval(ctx, row)
	if err != nil {
		return nil, err
	}
	r, err := c.right.Eval(ctx, row)
	if err != nil {
		return nil, err
	}
	if l == nil || r == nil {
		if c.op == cmpNullSafeEq {
			return l == nil && r == nil, nil
		}
		return nil, nil
	}
	x, err := toFloat64(l)
	if err != nil {
		return nil, err
	}
	y, err := toFloat64(r)
	if err != nil {
		return nil, err
	}
	n := compareFloats(x, y)
	switch c.op {
	case cmpLt:
		return n < 0, nil
	case cmpLe:
		return n <= 0, nil
	case cmpGt:
		return n > 0, nil
	case cmpGe:
		return n >= 0, nil
	}
	return n == 0, nil
}
