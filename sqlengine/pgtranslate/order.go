package pgtranslate

import (
	"strconv"

	"github.com/dolthub/vitess/go/vt/sqlparser"
	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// outputColumns describes what ORDER BY can refer to by name or ordinal.
type outputColumns struct {
	// targets is a plain SELECT's target list, whose expressions ORDER BY
	// items may name by alias or ordinal.
	targets []*pg_query.Node
	// names are the output column names of a set operation or VALUES list,
	// where ORDER BY can only refer to output columns.
	names []string
	// noNullKeys leaves null placement to MySQL's rule, for a window with a
	// RANGE offset frame, which allows a single ORDER BY key only.
	noNullKeys bool
}

// width returns the number of output columns, when known without the catalog.
func (out outputColumns) width() (int, bool) {
	if out.targets == nil {
		return len(out.names), out.names != nil
	}
	for _, tn := range out.targets {
		if cr := tn.GetResTarget().GetVal().GetColumnRef(); cr != nil && cr.Fields[len(cr.Fields)-1].GetAStar() != nil {
			return 0, false
		}
	}
	return len(out.targets), true
}

// outputKnown reports whether q's output columns can be listed without the
// catalog, that is whether its (leftmost) select list has no *.
func outputKnown(q *pg_query.SelectStmt) bool {
	for q.Larg != nil && q.Op != pg_query.SetOperation_SETOP_NONE {
		q = q.Larg
	}
	if len(q.ValuesLists) > 0 {
		return true
	}
	return (outputColumns{targets: q.TargetList}).knownWidth()
}

// knownWidth reports whether width is known.
func (out outputColumns) knownWidth() bool {
	_, known := out.width()
	return known
}

// orderBy converts ORDER BY. PostgreSQL sorts NULL as larger than any value
// (ASC puts NULLs last, DESC first) where MySQL sorts it smaller, so each key
// whose null placement differs from MySQL's gets a leading (key IS NULL) key.
func (t *translator) orderBy(sorts []*pg_query.Node, out outputColumns) (sqlparser.OrderBy, error) {
	var order sqlparser.OrderBy
	for _, n := range sorts {
		sb := n.GetSortBy()
		if sb == nil {
			return nil, t.unsupported(location(n), "unexpected ORDER BY item")
		}
		desc := sb.SortbyDir == pg_query.SortByDir_SORTBY_DESC
		if sb.SortbyDir == pg_query.SortByDir_SORTBY_USING {
			// USING < and USING > are ASC and DESC; other operators need types.
			switch op := sb.UseOp[len(sb.UseOp)-1].GetString_().GetSval(); op {
			case "<":
			case ">":
				desc = true
			default:
				return nil, t.unsupported(sb.Location, "ORDER BY ... USING %s is not supported", op)
			}
		}
		key, nullKey, err := t.sortKey(sb.Node, out)
		if err != nil {
			return nil, err
		}
		nullsFirst := desc
		switch sb.SortbyNulls {
		case pg_query.SortByNulls_SORTBY_NULLS_FIRST:
			nullsFirst = true
		case pg_query.SortByNulls_SORTBY_NULLS_LAST:
			nullsFirst = false
		}
		// MySQL puts NULLs first ascending and last descending.
		if nullKey != nil && !out.noNullKeys && nullsFirst != !desc && !neverNull(nullKey) {
			dir := sqlparser.AscScr
			if nullsFirst {
				dir = sqlparser.DescScr
			}
			order = append(order, &sqlparser.Order{
				Expr:      &sqlparser.IsExpr{Expr: paren(nullKey), Operator: sqlparser.IsNullStr},
				Direction: dir,
			})
		}
		dir := sqlparser.AscScr
		if desc {
			dir = sqlparser.DescScr
		}
		order = append(order, &sqlparser.Order{Expr: key, Direction: dir})
	}
	return order, nil
}

// sortKey returns the expression to sort by and the expression whose nullness
// decides null placement (nil when it cannot be known).
func (t *translator) sortKey(n *pg_query.Node, out outputColumns) (key, nullKey sqlparser.Expr, err error) {
	// ORDER BY k: the k-th output column.
	if c := n.GetAConst(); c != nil {
		if iv, ok := c.Val.(*pg_query.A_Const_Ival); ok {
			k := int(iv.Ival.Ival)
			key = sqlparser.NewIntVal([]byte(strconv.Itoa(k)))
			if width, known := out.width(); known && (k < 1 || k > width) {
				return nil, nil, t.errorAt(codeInvalidColumnReference, c.Location, "ORDER BY position %d is not in select list", k)
			}
			if out.targets != nil {
				nullKey, err = t.targetExpr(out.targets, k-1)
				if hasWindowFunction(nullKey) {
					nullKey = nil
					if name := out.targets[k-1].GetResTarget().GetName(); name != "" {
						nullKey = sqlparser.NewColName(name)
					}
				}
				return key, nullKey, err
			}
			if k >= 1 && k <= len(out.names) {
				nullKey = sqlparser.NewColName(out.names[k-1])
			}
			return key, nullKey, nil
		}
	}
	// ORDER BY name: an output column's name takes precedence over input columns.
	if cr := n.GetColumnRef(); cr != nil && len(cr.Fields) == 1 {
		if s := cr.Fields[0].GetString_(); s != nil {
			for i, tn := range out.targets {
				if rt := tn.GetResTarget(); rt != nil && rt.Name == s.Sval {
					key = sqlparser.NewColName(s.Sval)
					nullKey, err = t.targetExpr(out.targets, i)
					if hasWindowFunction(nullKey) {
						// GMS cannot repeat a window function in ORDER BY,
						// but resolves the alias inside an expression.
						nullKey = sqlparser.NewColName(s.Sval)
					}
					return key, nullKey, err
				}
			}
		}
	}
	key, err = t.expr(n)
	if err != nil {
		return nil, nil, err
	}
	if hasWindowFunction(key) {
		// GMS cannot sort by a window function twice: MySQL's null order.
		return key, nil, nil
	}
	return key, key, nil
}

// targetExpr translates the i-th target list expression again, for use in a
// null-placement sort key. It returns nil when the item is a * or out of range.
func (t *translator) targetExpr(targets []*pg_query.Node, i int) (sqlparser.Expr, error) {
	if i < 0 || i >= len(targets) {
		return nil, nil
	}
	for _, tn := range targets[:i+1] {
		if cr := tn.GetResTarget().GetVal().GetColumnRef(); cr != nil && cr.Fields[len(cr.Fields)-1].GetAStar() != nil {
			return nil, nil // a * before it: positions depend on the catalog
		}
	}
	return t.expr(targets[i].GetResTarget().GetVal())
}

// hasWindowFunction reports whether e calls a window function.
func hasWindowFunction(e sqlparser.Expr) bool {
	found := false
	if e == nil {
		return false
	}
	_ = sqlparser.Walk(func(n sqlparser.SQLNode) (bool, error) {
		if f, ok := n.(*sqlparser.FuncExpr); ok && f.Over != nil {
			found = true
		}
		return !found, nil
	}, e)
	return found
}

// neverNull reports whether e is certainly not NULL, so that null placement
// needs no extra sort key.
func neverNull(e sqlparser.Expr) bool {
	switch v := e.(type) {
	case *sqlparser.SQLVal:
		return v.Type != sqlparser.ValArg
	case sqlparser.BoolVal:
		return true
	case *sqlparser.FuncExpr:
		switch v.Name.Lowered() {
		case "count", "row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile":
			return true
		}
	}
	return false
}

// windowDef converts a window specification (OVER (...) or WINDOW w AS (...)).
func (t *translator) windowDef(w *pg_query.WindowDef) (*sqlparser.WindowDef, error) {
	def := &sqlparser.WindowDef{NameRef: sqlparser.NewColIdent(w.Refname)}
	for _, p := range w.PartitionClause {
		e, err := t.expr(p)
		if err != nil {
			return nil, err
		}
		def.PartitionBy = append(def.PartitionBy, e)
	}
	frame, err := t.frame(w)
	if err != nil {
		return nil, err
	}
	if len(w.OrderClause) > 0 {
		order, err := t.orderBy(w.OrderClause, outputColumns{noNullKeys: rangeOffsetFrame(frame)})
		if err != nil {
			return nil, err
		}
		def.OrderBy = order
	}
	def.Frame = frame
	return def, nil
}

// rangeOffsetFrame reports whether f is a RANGE frame with an offset bound.
func rangeOffsetFrame(f *sqlparser.Frame) bool {
	if f == nil || f.Unit != sqlparser.RangeUnit || f.Extent == nil {
		return false
	}
	for _, b := range []*sqlparser.FrameBound{f.Extent.Start, f.Extent.End} {
		if b != nil && (b.Type == sqlparser.ExprPreceding || b.Type == sqlparser.ExprFollowing) {
			return true
		}
	}
	return false
}

// Frame option bits, from PostgreSQL's parsenodes.h.
const (
	frameNonDefault        = 0x00001
	frameRange             = 0x00002
	frameRows              = 0x00004
	frameGroups            = 0x00008
	frameBetween           = 0x00010
	frameStartUnboundedPre = 0x00020
	frameEndUnboundedPre   = 0x00040
	frameStartUnboundedFol = 0x00080
	frameEndUnboundedFol   = 0x00100
	frameStartCurrentRow   = 0x00200
	frameEndCurrentRow     = 0x00400
	frameStartOffsetPre    = 0x00800
	frameEndOffsetPre      = 0x01000
	frameStartOffsetFol    = 0x02000
	frameEndOffsetFol      = 0x04000
	frameExclusion         = 0x08000 | 0x10000 | 0x20000
)

// frame converts a window frame clause.
func (t *translator) frame(w *pg_query.WindowDef) (*sqlparser.Frame, error) {
	opts := w.FrameOptions
	if opts&frameNonDefault == 0 {
		return nil, nil
	}
	if opts&frameGroups != 0 {
		return nil, t.unsupported(w.Location, "GROUPS frames are not supported")
	}
	if opts&frameExclusion != 0 {
		return nil, t.unsupported(w.Location, "frame EXCLUDE is not supported")
	}
	f := &sqlparser.Frame{Unit: sqlparser.RangeUnit, Extent: &sqlparser.FrameExtent{}}
	if opts&frameRows != 0 {
		f.Unit = sqlparser.RowsUnit
	}
	bound := func(unboundedPre, unboundedFol, current, offsetPre, offsetFol int32, offset *pg_query.Node) (*sqlparser.FrameBound, error) {
		switch {
		case opts&unboundedPre != 0:
			return &sqlparser.FrameBound{Type: sqlparser.UnboundedPreceding}, nil
		case opts&unboundedFol != 0:
			return &sqlparser.FrameBound{Type: sqlparser.UnboundedFollowing}, nil
		case opts&current != 0:
			return &sqlparser.FrameBound{Type: sqlparser.CurrentRow}, nil
		}
		e, err := t.expr(offset)
		if err != nil {
			return nil, err
		}
		if opts&offsetPre != 0 {
			return &sqlparser.FrameBound{Type: sqlparser.ExprPreceding, Expr: e}, nil
		}
		return &sqlparser.FrameBound{Type: sqlparser.ExprFollowing, Expr: e}, nil
	}
	var err error
	f.Extent.Start, err = bound(frameStartUnboundedPre, frameStartUnboundedFol, frameStartCurrentRow, frameStartOffsetPre, frameStartOffsetFol, w.StartOffset)
	if err != nil {
		return nil, err
	}
	if opts&frameBetween != 0 {
		f.Extent.End, err = bound(frameEndUnboundedPre, frameEndUnboundedFol, frameEndCurrentRow, frameEndOffsetPre, frameEndOffsetFol, w.EndOffset)
		if err != nil {
			return nil, err
		}
	}
	return f, nil
}
