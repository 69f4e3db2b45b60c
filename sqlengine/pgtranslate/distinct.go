package pgtranslate

import (
	"strconv"

	"github.com/dolthub/vitess/go/vt/sqlparser"
	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"
)

// Names of the columns distinctOn adds to the inner query. The __pqsql_
// prefix keeps them apart from the columns of user tables.
const (
	distinctOnAlias  = "__pqsql_distinct_on"
	distinctOnRowNum = "__pqsql_rn"
	distinctOnCol    = "__pqsql_c"
	distinctOnPart   = "__pqsql_d"
	distinctOnKey    = "__pqsql_o"
)

// frameDefaults is PostgreSQL's FRAMEOPTION_DEFAULTS: RANGE BETWEEN
// UNBOUNDED PRECEDING AND CURRENT ROW, the frame of OVER (ORDER BY ...).
const frameDefaults = 0x00002 | 0x00020 | 0x00400

// hasDistinctOn reports whether s is a SELECT DISTINCT ON (...).
func hasDistinctOn(s *pg_query.SelectStmt) bool {
	return len(s.DistinctClause) > 0 && s.DistinctClause[0].Node != nil
}

// distinctOn rewrites SELECT DISTINCT ON (d, ...) targets ... ORDER BY o, ...
// into a query GMS can run, keeping the first row of each group of equal d
// in ORDER BY order as PostgreSQL does:
//
//	SELECT c1 AS name1, ... FROM (
//	  SELECT *, row_number() OVER (PARTITION BY d1, ... ORDER BY o1, ...) AS rn
//	  FROM (SELECT targets AS c1, ..., d AS d1, ..., o AS o1, ...
//	        FROM ... WHERE ... GROUP BY ... HAVING ...) AS k) AS r
//	WHERE rn = 1 ORDER BY o1, ... LIMIT ...
//
// The ORDER BY keys are carried out as columns because the outer ORDER BY
// cannot see the inner query's input columns. DISTINCT ON and ORDER BY items
// may name output columns by alias or position, as in PostgreSQL; those are
// resolved to the target expressions first. Without ORDER BY, the result is
// sorted by the DISTINCT ON expressions, the order PostgreSQL's Unique over a
// sort produces.
func (t *translator) distinctOn(s *pg_query.SelectStmt) (*pg_query.SelectStmt, error) {
	for _, tn := range s.TargetList {
		if cr := tn.GetResTarget().GetVal().GetColumnRef(); cr != nil && cr.Fields[len(cr.Fields)-1].GetAStar() != nil {
			return nil, t.unsupported(location(tn), "SELECT DISTINCT ON with * in the select list is not supported")
		}
	}
	distinct := make([]*pg_query.Node, len(s.DistinctClause))
	for i, d := range s.DistinctClause {
		e, err := t.resolveOutputRef(d, s.TargetList, "DISTINCT ON")
		if err != nil {
			return nil, err
		}
		distinct[i] = e
	}
	sorts := make([]*pg_query.SortBy, len(s.SortClause))
	for i, n := range s.SortClause {
		sb := n.GetSortBy()
		if sb == nil {
			return nil, t.unsupported(location(n), "unexpected ORDER BY item")
		}
		e, err := t.resolveOutputRef(sb.Node, s.TargetList, "ORDER BY")
		if err != nil {
			return nil, err
		}
		sb = proto.Clone(sb).(*pg_query.SortBy)
		sb.Node = e
		sorts[i] = sb
	}
	if len(sorts) == 0 {
		for _, d := range distinct {
			sorts = append(sorts, &pg_query.SortBy{Node: d, Location: -1})
		}
	}
	if err := t.checkDistinctOnOrder(s, distinct, sorts); err != nil {
		return nil, err
	}

	// inner computes the select list, the DISTINCT ON keys and the ORDER BY
	// keys as columns; middle numbers the rows of each DISTINCT ON group
	// over those columns, so that aggregates and window functions among the
	// keys are computed before row_number() sees them.
	inner := &pg_query.SelectStmt{
		FromClause:   s.FromClause,
		WhereClause:  s.WhereClause,
		GroupClause:  s.GroupClause,
		HavingClause: s.HavingClause,
		WindowClause: s.WindowClause,
		Op:           pg_query.SetOperation_SETOP_NONE,
	}
	outer := &pg_query.SelectStmt{
		WithClause:  s.WithClause,
		LimitCount:  s.LimitCount,
		LimitOffset: s.LimitOffset,
		LimitOption: s.LimitOption,
		Op:          pg_query.SetOperation_SETOP_NONE,
	}
	for i, tn := range s.TargetList {
		rt := tn.GetResTarget()
		col := distinctOnCol + strconv.Itoa(i+1)
		inner.TargetList = append(inner.TargetList, pg_query.MakeResTargetNodeWithNameAndVal(col, rt.Val, rt.Location))
		name := rt.Name
		if name == "" {
			name = figureColname(rt.Val)
		}
		outer.TargetList = append(outer.TargetList, pg_query.MakeResTargetNodeWithNameAndVal(name, columnRef(col), rt.Location))
	}
	window := &pg_query.WindowDef{FrameOptions: frameDefaults, Location: -1}
	for i, d := range distinct {
		col := distinctOnPart + strconv.Itoa(i+1)
		inner.TargetList = append(inner.TargetList, pg_query.MakeResTargetNodeWithNameAndVal(col, d, -1))
		window.PartitionClause = append(window.PartitionClause, columnRef(col))
	}
	for i, sb := range sorts {
		col := distinctOnKey + strconv.Itoa(i+1)
		inner.TargetList = append(inner.TargetList, pg_query.MakeResTargetNodeWithNameAndVal(col, sb.Node, -1))
		sb = proto.Clone(sb).(*pg_query.SortBy)
		sb.Node = columnRef(col)
		sort := &pg_query.Node{Node: &pg_query.Node_SortBy{SortBy: sb}}
		window.OrderClause = append(window.OrderClause, sort)
		outer.SortClause = append(outer.SortClause, sort)
	}
	rowNumber := pg_query.MakeFuncCallNode([]*pg_query.Node{pg_query.MakeStrNode("row_number")}, nil, -1)
	rowNumber.GetFuncCall().Over = window
	middle := &pg_query.SelectStmt{
		TargetList: []*pg_query.Node{
			pg_query.MakeResTargetNodeWithVal(pg_query.MakeColumnRefNode([]*pg_query.Node{pg_query.MakeAStarNode()}, -1), -1),
			pg_query.MakeResTargetNodeWithNameAndVal(distinctOnRowNum, rowNumber, -1),
		},
		FromClause: []*pg_query.Node{subselect(inner, distinctOnAlias+"_keys")},
		Op:         pg_query.SetOperation_SETOP_NONE,
	}
	outer.FromClause = []*pg_query.Node{subselect(middle, distinctOnAlias)}
	outer.WhereClause = pg_query.MakeAExprNode(pg_query.A_Expr_Kind_AEXPR_OP,
		[]*pg_query.Node{pg_query.MakeStrNode("=")}, columnRef(distinctOnRowNum), pg_query.MakeAConstIntNode(1, -1), -1)
	return outer, nil
}

// subselect returns q as a FROM item named alias.
func subselect(q *pg_query.SelectStmt, alias string) *pg_query.Node {
	return &pg_query.Node{Node: &pg_query.Node_RangeSubselect{RangeSubselect: &pg_query.RangeSubselect{
		Subquery: &pg_query.Node{Node: &pg_query.Node_SelectStmt{SelectStmt: q}},
		Alias:    &pg_query.Alias{Aliasname: alias},
	}}}
}

// columnRef returns a reference to the unqualified column name.
func columnRef(name string) *pg_query.Node {
	return pg_query.MakeColumnRefNode([]*pg_query.Node{pg_query.MakeStrNode(name)}, -1)
}

// resolveOutputRef resolves an ORDER BY-style item: an integer constant is
// the target at that position, a bare name that is an output column's alias
// is that target's expression; anything else is itself.
func (t *translator) resolveOutputRef(n *pg_query.Node, targets []*pg_query.Node, clause string) (*pg_query.Node, error) {
	if k, ok := intLiteral(n); ok && n.GetAConst() != nil {
		if k < 1 || k > int64(len(targets)) {
			return nil, t.errorAt(codeInvalidColumnReference, location(n), "%s position %d is not in select list", clause, k)
		}
		return targets[k-1].GetResTarget().Val, nil
	}
	if cr := n.GetColumnRef(); cr != nil && len(cr.Fields) == 1 {
		if s := cr.Fields[0].GetString_(); s != nil {
			for _, tn := range targets {
				if rt := tn.GetResTarget(); rt.Name == s.Sval {
					return rt.Val, nil
				}
			}
		}
	}
	return n, nil
}

// checkDistinctOnOrder enforces PostgreSQL's rule that the DISTINCT ON
// expressions match the leading ORDER BY expressions (42P10).
func (t *translator) checkDistinctOnOrder(s *pg_query.SelectStmt, distinct []*pg_query.Node, sorts []*pg_query.SortBy) error {
	if len(s.SortClause) == 0 {
		return nil
	}
	key := func(n *pg_query.Node) (string, error) {
		e, err := t.expr(n)
		if err != nil {
			return "", err
		}
		return sqlparser.String(e), nil
	}
	leading := make(map[string]bool)
	for i, sb := range sorts {
		k, err := key(sb.Node)
		if err != nil {
			return err
		}
		if i < len(distinct) {
			leading[k] = true
		}
	}
	for _, d := range distinct {
		k, err := key(d)
		if err != nil {
			return err
		}
		if !leading[k] {
			return t.errorAt(codeInvalidColumnReference, location(d), "SELECT DISTINCT ON expressions must match initial ORDER BY expressions")
		}
	}
	return nil
}
