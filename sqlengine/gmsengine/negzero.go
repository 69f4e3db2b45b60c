package gmsengine

import (
	"fmt"
	"math"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// negativeZero stands for a float -0 in a result row. GMS's Project turns
// every -0 it computes into 0 (rowexec.normalizeNegativeZeros), a MySQL
// rule; PostgreSQL keeps the sign (SELECT -0.0::float8 prints -0). So the
// outermost projection's float results are wrapped in keepSign, which
// hands -0 over as this value, one GMS does not recognize as a float, and
// the result conversion turns it back into -0 (see restoreSign).
type negativeZero struct {
	// float32 is set for a real (float4) -0.
	float32 bool
}

// keepSign evaluates its child, turning a float -0 into a negativeZero.
type keepSign struct {
	child sql.Expression
}

var _ sql.Expression = (*keepSign)(nil)

// Resolved reports whether the child is resolved.
func (k *keepSign) Resolved() bool { return k.child.Resolved() }

// String shows the child.
func (k *keepSign) String() string { return k.child.String() }

// Type is the child's type.
func (k *keepSign) Type(ctx *sql.Context) sql.Type { return k.child.Type(ctx) }

// IsNullable is the child's.
func (k *keepSign) IsNullable(ctx *sql.Context) bool { return k.child.IsNullable(ctx) }

// Children returns the child.
func (k *keepSign) Children() []sql.Expression { return []sql.Expression{k.child} }

// WithChildren replaces the child.
func (k *keepSign) WithChildren(_ *sql.Context, children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 1 {
		return nil, fmt.Errorf("keepSign: %d children, want 1", len(children))
	}
	return &keepSign{child: children[0]}, nil
}

// Eval evaluates the child, marking a -0 result.
func (k *keepSign) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	v, err := k.child.Eval(ctx, row)
	switch f := v.(type) {
	case float64:
		if f == 0 && math.Signbit(f) {
			return negativeZero{}, err
		}
	case float32:
		if f == 0 && math.Signbit(float64(f)) {
			return negativeZero{float32: true}, err
		}
	}
	return v, err
}

// keepNegativeZeros wraps the float results of the plan's outermost
// projection in keepSign, when nothing above that projection looks at the
// values (a LIMIT may; a sort, DISTINCT or set operation may not, as they
// compare them).
func keepNegativeZeros(ctx *sql.Context, node sql.Node) sql.Node {
	switch n := node.(type) {
	case *plan.Project:
		exprs := make([]sql.Expression, len(n.Projections))
		changed := false
		for i, e := range n.Projections {
			exprs[i] = e
			if types.IsFloat(e.Type(ctx)) {
				exprs[i] = &keepSign{child: e}
				changed = true
			}
		}
		if !changed {
			return node
		}
		out, err := n.WithExpressions(ctx, exprs...)
		if err != nil {
			return node
		}
		return out
	case *plan.Limit, *plan.Offset:
		ch := n.Children()
		if len(ch) != 1 {
			return node
		}
		nc := keepNegativeZeros(ctx, ch[0])
		if nc == ch[0] {
			return node
		}
		out, err := n.WithChildren(ctx, nc)
		if err != nil {
			return node
		}
		return out
	}
	return node
}

// restoreSign turns a negativeZero back into the float -0 it stands for.
func restoreSign(v any) any {
	if z, ok := v.(negativeZero); ok {
		if z.float32 {
			return float32(math.Copysign(0, -1))
		}
		return math.Copysign(0, -1)
	}
	return v
}
