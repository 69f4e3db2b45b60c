package gmsengine

import (
	"fmt"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"

	"github.com/pqsql/pqsql/sqlengine"
)

// setOpTypesRule is the id of the analyzer rule setOpTypes. It is outside
// the range of GMS's own rule ids.
const setOpTypesRule analyzer.RuleId = 10_002

// setOpTypes is an analyzer rule giving UNION, INTERSECT, EXCEPT and
// recursive CTEs PostgreSQL's result types.
//
// GMS converts both branches of a set operation whose types differ to a
// MySQL common type (every pair of integers to signed 64-bit, every other
// mix to text), where PostgreSQL picks the preferred of the two types in
// their category (int2 and int4 give int4, int4 and numeric numeric, date
// and timestamp timestamp). And GMS widens each column of a recursive CTE
// (Type.Promote: integers to int8, date to timestamp), where PostgreSQL
// keeps the non-recursive term's types and requires the recursive term to
// produce them. The rule rewrites the branches' projections to convert to
// PostgreSQL's types and retypes the column references that read the
// rewritten results, above the set operation or, for a recursive CTE, in
// its recursive term.
//
// It runs after GMS's analysis but before exec indexes are assigned, so
// column references still carry the column ids it matches on.
func setOpTypes(ctx *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	// retype maps the ids of the columns that read a rewritten set
	// operation's output to their new types. The walk is post-order, so a
	// node that reads a set operation is visited after it.
	retype := map[sql.ColumnId]sql.Type{}
	return transform.Node(ctx, n, func(ctx *sql.Context, n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		switch x := n.(type) {
		case *plan.SetOp:
			return fixSetOp(ctx, x, retype)
		case *plan.RecursiveCte:
			return fixRecursiveCte(ctx, x, retype)
		case *plan.SubqueryAlias:
			// The alias's columns read its child's schema, which this
			// rule rewrote when the child was analyzed (GMS analyzes the
			// child of a subquery alias on its own, and the walk here
			// does not enter it).
			switch x.Child.(type) {
			case *plan.SetOp, *plan.RecursiveCte:
				sch := x.Child.Schema(ctx)
				i := 0
				x.Columns().ForEach(func(id sql.ColumnId) {
					if i < len(sch) {
						retype[id] = sch[i].Type
					}
					i++
				})
			}
			return n, transform.SameTree, nil
		}
		return retypeRefs(ctx, n, retype)
	})
}

// retypeRefs gives the column references of n's own expressions whose ids
// retype lists their new types.
func retypeRefs(ctx *sql.Context, n sql.Node, retype map[sql.ColumnId]sql.Type) (sql.Node, transform.TreeIdentity, error) {
	if len(retype) == 0 {
		return n, transform.SameTree, nil
	}
	return transform.OneNodeExprsWithNode(ctx, n, func(ctx *sql.Context, _ sql.Node, e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
		return retypeExpr(ctx, e, retype)
	})
}

// retypeExpr gives the column references in e whose ids retype lists their
// new types.
func retypeExpr(ctx *sql.Context, e sql.Expression, retype map[sql.ColumnId]sql.Type) (sql.Expression, transform.TreeIdentity, error) {
	return transform.Expr(ctx, e, func(ctx *sql.Context, e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
		gf, ok := e.(*expression.GetField)
		if !ok {
			return e, transform.SameTree, nil
		}
		t, ok := retype[gf.Id()]
		if !ok || gf.Type(ctx).Equals(t) {
			return e, transform.SameTree, nil
		}
		return expression.NewGetFieldWithTable(int(gf.Id()), int(gf.TableId()), t, gf.Database(), gf.Table(), gf.Name(), gf.IsNullable(ctx)), transform.NewTree, nil
	})
}

// fixSetOp gives the columns of u PostgreSQL's UNION type resolution.
func fixSetOp(ctx *sql.Context, u *plan.SetOp, retype map[sql.ColumnId]sql.Type) (sql.Node, transform.TreeIdentity, error) {
	left, right := u.Left(), u.Right()
	lcols, rcols := branchColumns(ctx, left), branchColumns(ctx, right)
	if lcols == nil || rcols == nil || len(lcols) != len(rcols) {
		return u, transform.SameTree, nil
	}
	targets := make([]sql.Type, len(lcols))
	changed := false
	out := left.Schema(ctx)
	for i := range lcols {
		t, ok := unionType(lcols[i], rcols[i])
		if !ok {
			// Outside the categories handled here GMS's choice stands.
			t = out[i].Type
		}
		targets[i] = t
		if !out[i].Type.Equals(t) || !right.Schema(ctx)[i].Type.Equals(t) {
			changed = true
		}
	}
	if !changed {
		return u, transform.SameTree, nil
	}
	nl, err := coerceBranch(ctx, left, targets)
	if err != nil {
		return nil, transform.SameTree, err
	}
	nr, err := coerceBranch(ctx, right, targets)
	if err != nil {
		return nil, transform.SameTree, err
	}
	if nl == nil || nr == nil {
		return u, transform.SameTree, nil
	}
	nn, err := u.WithChildren(ctx, nl, nr)
	if err != nil {
		return nil, transform.SameTree, err
	}
	i := 0
	u.Columns().ForEach(func(id sql.ColumnId) {
		if i < len(targets) {
			retype[id] = targets[i]
		}
		i++
	})
	// The sort keys of the set operation read its output too.
	nn, _, err = retypeRefs(ctx, nn, retype)
	if err != nil {
		return nil, transform.SameTree, err
	}
	return nn, transform.NewTree, nil
}

// fixRecursiveCte gives the columns of a recursive CTE its non-recursive
// term's types, as PostgreSQL does, where GMS widens them.
func fixRecursiveCte(ctx *sql.Context, r *plan.RecursiveCte, retype map[sql.ColumnId]sql.Type) (sql.Node, transform.TreeIdentity, error) {
	if r.Working == nil {
		return r, transform.SameTree, nil
	}
	init := r.Left().Schema(ctx)
	sch := r.Schema(ctx)
	if len(init) != len(sch) {
		return r, transform.SameTree, nil
	}
	targets := make([]sql.Type, len(init))
	newSch := make(sql.Schema, len(sch))
	changed := false
	for i, c := range init {
		targets[i] = pgCanonicalType(c)
		nc := *sch[i]
		nc.Type = targets[i]
		newSch[i] = &nc
		if !sch[i].Type.Equals(targets[i]) {
			changed = true
		}
	}
	if !changed {
		return r, transform.SameTree, nil
	}
	// The recursive term reads the working table: give it the new schema,
	// and its references to the working table's columns their new types.
	old := r.Working
	working := plan.NewRecursiveTable(old.Name(), newSch).WithId(old.Id()).WithColumns(old.Columns()).(*plan.RecursiveTable)
	// The recursive term's references to the working table carry column
	// ids of their own scope, not the working table's, so they are
	// recognised by table name (or the alias of the reference) and column
	// name.
	names := map[string]bool{strings.ToLower(old.Name()): true}
	transform.Inspect(r.Right(), func(n sql.Node) bool {
		if ta, ok := n.(*plan.TableAlias); ok && ta.Child == sql.Node(old) {
			names[strings.ToLower(ta.Name())] = true
		}
		return true
	})
	rec, _, err := transform.Node(ctx, r.Right(), func(ctx *sql.Context, n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		if n == sql.Node(old) {
			return working, transform.NewTree, nil
		}
		return transform.OneNodeExprsWithNode(ctx, n, func(ctx *sql.Context, _ sql.Node, e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
			return transform.Expr(ctx, e, func(ctx *sql.Context, e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
				gf, ok := e.(*expression.GetField)
				if !ok || !names[strings.ToLower(gf.Table())] {
					return e, transform.SameTree, nil
				}
				for i, c := range sch {
					if strings.EqualFold(c.Name, gf.Name()) && gf.Type(ctx).Equals(c.Type) && !c.Type.Equals(targets[i]) {
						return expression.NewGetFieldWithTable(int(gf.Id()), int(gf.TableId()), targets[i], gf.Database(), gf.Table(), gf.Name(), gf.IsNullable(ctx)), transform.NewTree, nil
					}
				}
				return e, transform.SameTree, nil
			})
		})
	})
	if err != nil {
		return nil, transform.SameTree, err
	}
	init2, err := coerceBranch(ctx, r.Left(), targets)
	if err != nil {
		return nil, transform.SameTree, err
	}
	rec2, err := coerceBranch(ctx, rec, targets)
	if err != nil {
		return nil, transform.SameTree, err
	}
	if init2 == nil || rec2 == nil {
		return r, transform.SameTree, nil
	}
	nn, err := r.WithChildren(ctx, init2, rec2)
	if err != nil {
		return nil, transform.SameTree, err
	}
	nr := nn.(*plan.RecursiveCte).WithSchema(newSch).WithWorking(working)
	i := 0
	r.Columns().ForEach(func(id sql.ColumnId) {
		if i < len(targets) {
			retype[id] = targets[i]
		}
		i++
	})
	return nr, transform.NewTree, nil
}

// branchColumns returns the columns a set operation's branch produces
// before GMS's conversion to a common type: GMS puts a projection of
// CONVERT(column) above a branch whose types differ from the other's (and
// pgtranslate never emits CONVERT itself).
func branchColumns(ctx *sql.Context, n sql.Node) []*sql.Column {
	sch := n.Schema(ctx)
	cols := make([]*sql.Column, len(sch))
	p, _ := n.(*plan.Project)
	for i, c := range sch {
		cols[i] = c
		if p == nil || len(p.Projections) != len(sch) {
			continue
		}
		inner := unwrapGMSConvert(p.Projections[i])
		if inner == nil {
			continue
		}
		nc := &sql.Column{Name: c.Name, Type: inner.Type(ctx), Nullable: c.Nullable}
		if t, ok := inner.(sql.Tableable); ok {
			nc.Source = t.Table()
		}
		cols[i] = nc
	}
	return cols
}

// unwrapGMSConvert returns the expression x of a projection Alias(CONVERT(x))
// or CONVERT(x), or nil.
func unwrapGMSConvert(e sql.Expression) sql.Expression {
	if a, ok := e.(*expression.Alias); ok {
		e = a.Child
	}
	if c, ok := e.(*expression.Convert); ok {
		return c.Child
	}
	return nil
}

// coerceBranch returns branch n with its output converted to targets: the
// projection at its top (below any sort, limit or distinct) converts each
// column whose type differs. It returns nil if n has no such projection.
func coerceBranch(ctx *sql.Context, n sql.Node, targets []sql.Type) (sql.Node, error) {
	switch x := n.(type) {
	case *plan.Project:
		if len(x.Projections) != len(targets) {
			return nil, nil
		}
		exprs := make([]sql.Expression, len(targets))
		for i, e := range x.Projections {
			name := ""
			if nm, ok := e.(sql.Nameable); ok {
				name = nm.Name()
			}
			inner := e
			if a, ok := inner.(*expression.Alias); ok {
				inner = a.Child
			}
			if c, ok := inner.(*expression.Convert); ok {
				inner = c.Child
			}
			if inner.Type(ctx).Equals(targets[i]) {
				if inner == e || name == "" {
					exprs[i] = inner
				} else {
					exprs[i] = expression.NewAlias(name, inner)
				}
				continue
			}
			exprs[i] = expression.NewAlias(name, &pgCoerce{child: inner, typ: targets[i]})
		}
		return x.WithExpressions(ctx, exprs...)
	case *plan.Sort, *plan.TopN, *plan.Limit, *plan.Offset, *plan.Distinct, *plan.OrderedDistinct:
		c, err := coerceBranch(ctx, n.Children()[0], targets)
		if err != nil || c == nil {
			return nil, err
		}
		return n.WithChildren(ctx, c)
	case *plan.SetOp:
		// A nested set operation: both of its branches.
		l, err := coerceBranch(ctx, x.Left(), targets)
		if err != nil || l == nil {
			return nil, err
		}
		r, err := coerceBranch(ctx, x.Right(), targets)
		if err != nil || r == nil {
			return nil, err
		}
		return x.WithChildren(ctx, l, r)
	}
	return nil, nil
}

// Ranks of the types of a PostgreSQL type category in the order of their
// implicit casts: a UNION of two of them has the higher-ranked type.
var (
	numericRanks  = map[uint32]int{sqlengine.Int2OID: 1, sqlengine.Int4OID: 2, sqlengine.Int8OID: 3, sqlengine.NumericOID: 4, sqlengine.Float4OID: 5, sqlengine.Float8OID: 6}
	datetimeRanks = map[uint32]int{sqlengine.DateOID: 1, sqlengine.TimestampOID: 2, sqlengine.TimestamptzOID: 3}
	stringRanks   = map[uint32]int{sqlengine.VarcharOID: 1, sqlengine.BPCharOID: 1, sqlengine.NameOID: 1, sqlengine.TextOID: 2}
)

// unionType returns the GMS type of PostgreSQL's result type for a set
// operation column of types a and b, and false outside the numeric,
// date/time and string categories, or across categories.
func unionType(a, b *sql.Column) (sql.Type, bool) {
	if types.IsNullType(a.Type) {
		return pgCanonicalType(b), true
	}
	if types.IsNullType(b.Type) {
		return pgCanonicalType(a), true
	}
	ao, bo := pgTypeOf(a).OID, pgTypeOf(b).OID
	if ao == bo {
		if a.Type.Equals(b.Type) {
			return a.Type, true
		}
		return pgCanonicalType(a), true
	}
	for _, ranks := range []map[uint32]int{numericRanks, datetimeRanks, stringRanks} {
		ar, aok := ranks[ao]
		br, bok := ranks[bo]
		if !aok || !bok {
			continue
		}
		if ar >= br {
			return pgCanonicalType(a), true
		}
		return pgCanonicalType(b), true
	}
	return nil, false
}

// pgCanonicalType returns the GMS type that stands for c's PostgreSQL type
// in a computed column: int4 for GMS's small integer types (those of
// integer literals), numeric without a type modifier for decimals of
// differing precision, text for the other string types.
func pgCanonicalType(c *sql.Column) sql.Type {
	switch pgTypeOf(c).OID {
	case sqlengine.Int2OID:
		return types.Int16
	case sqlengine.Int4OID:
		return types.Int32
	case sqlengine.Int8OID:
		return types.Int64
	case sqlengine.TextOID:
		if types.IsText(c.Type) {
			return textType
		}
	}
	return c.Type
}

// pgCoerce converts its child's values to a set operation column's type.
// It keeps a numeric's own scale (GMS's decimal conversion pads to the
// type's) and a date's time.Time when widened to a timestamp.
type pgCoerce struct {
	child sql.Expression
	typ   sql.Type
}

var _ sql.Expression = (*pgCoerce)(nil)

// Resolved reports whether the child is resolved.
func (c *pgCoerce) Resolved() bool { return c.child.Resolved() }

// String renders the child, so that names derived from it do not change.
func (c *pgCoerce) String() string { return c.child.String() }

// Type returns the set operation column's type.
func (c *pgCoerce) Type(*sql.Context) sql.Type { return c.typ }

// IsNullable reports whether the child is nullable.
func (c *pgCoerce) IsNullable(ctx *sql.Context) bool { return c.child.IsNullable(ctx) }

// Children returns the child.
func (c *pgCoerce) Children() []sql.Expression { return []sql.Expression{c.child} }

// WithChildren returns the conversion of a new child.
func (c *pgCoerce) WithChildren(_ *sql.Context, children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(c, len(children), 1)
	}
	return &pgCoerce{child: children[0], typ: c.typ}, nil
}

// Eval converts the child's value.
func (c *pgCoerce) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	v, err := c.child.Eval(ctx, row)
	if err != nil || v == nil {
		return v, err
	}
	if types.IsDecimal(c.typ) {
		switch x := v.(type) {
		case decimal.Decimal:
			return x, nil
		case decimal.NullDecimal:
			return x.Decimal, nil
		case int8:
			return decimal.NewFromInt(int64(x)), nil
		case int16:
			return decimal.NewFromInt(int64(x)), nil
		case int32:
			return decimal.NewFromInt(int64(x)), nil
		case int64:
			return decimal.NewFromInt(x), nil
		case uint8:
			return decimal.NewFromInt(int64(x)), nil
		}
	}
	if types.IsText(c.typ) {
		if s, ok := v.(string); ok {
			return s, nil
		}
	}
	if types.IsTime(c.typ) {
		if _, ok := v.(interface{ UnixMicro() int64 }); ok {
			return v, nil
		}
	}
	out, _, err := c.typ.Convert(ctx, v)
	if err != nil {
		return nil, fmt.Errorf("converting %v to %s: %w", v, c.typ, err)
	}
	return out, nil
}
