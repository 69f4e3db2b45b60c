package pgtranslate

import (
	"strconv"

	"github.com/dolthub/vitess/go/vt/sqlparser"
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/pqsql/pqsql/sqlengine"
)

// valuesAlias is the name PostgreSQL gives a VALUES list used as a query.
const valuesAlias = "*VALUES*"

// selectStmt converts a query: SELECT, VALUES, a set operation, with their
// WITH, ORDER BY and LIMIT clauses.
func (t *translator) selectStmt(s *pg_query.SelectStmt) (sqlparser.SelectStatement, error) {
	if s.IntoClause != nil {
		return nil, t.unsupported(-1, "SELECT INTO is not supported")
	}
	if len(s.LockingClause) > 0 {
		return nil, t.unsupported(-1, "SELECT FOR UPDATE/SHARE is not supported")
	}
	if hasDistinctOn(s) {
		rewritten, err := t.distinctOn(s)
		if err != nil {
			return nil, err
		}
		s = rewritten
	}
	var (
		stmt sqlparser.SelectStatement
		out  outputColumns
		err  error
	)
	switch {
	case s.Op != pg_query.SetOperation_SETOP_NONE && s.Op != pg_query.SetOperation_SET_OPERATION_UNDEFINED:
		stmt, err = t.setOp(s)
		out = outputColumns{names: t.outputNames(s)}
	case len(s.ValuesLists) > 0:
		stmt, err = t.valuesQuery(s)
		out = outputColumns{names: t.outputNames(s)}
	default:
		stmt, err = t.simpleSelect(s)
		out = outputColumns{targets: s.TargetList}
	}
	if err != nil {
		return nil, err
	}
	if s.WithClause != nil {
		with, err := t.with(s.WithClause)
		if err != nil {
			return nil, err
		}
		stmt.SetWith(with)
	}
	if len(s.SortClause) > 0 {
		order, err := t.orderBy(s.SortClause, out)
		if err != nil {
			return nil, err
		}
		stmt.SetOrderBy(order)
	}
	limit, err := t.limit(s)
	if err != nil {
		return nil, err
	}
	if limit != nil {
		stmt.SetLimit(limit)
	}
	return stmt, nil
}

// simpleSelect converts SELECT ... FROM ... WHERE ... GROUP BY ... HAVING ... WINDOW.
func (t *translator) simpleSelect(s *pg_query.SelectStmt) (*sqlparser.Select, error) {
	sel := &sqlparser.Select{}
	if len(s.DistinctClause) > 0 {
		if len(s.DistinctClause) > 1 || s.DistinctClause[0].Node != nil {
			return nil, t.unsupported(location(s.DistinctClause[0]), "DISTINCT ON is not supported")
		}
		sel.QueryOpts.Distinct = true
	}
	if len(s.TargetList) == 0 {
		return nil, t.unsupported(-1, "SELECT with an empty target list is not supported")
	}
	for _, n := range s.TargetList {
		e, err := t.selectExpr(n)
		if err != nil {
			return nil, err
		}
		sel.SelectExprs = append(sel.SelectExprs, e)
	}
	for _, n := range s.FromClause {
		te, err := t.tableExpr(n)
		if err != nil {
			return nil, err
		}
		sel.From = append(sel.From, te)
	}
	if s.WhereClause != nil {
		e, err := t.expr(s.WhereClause)
		if err != nil {
			return nil, err
		}
		sel.Where = &sqlparser.Where{Type: sqlparser.WhereStr, Expr: e}
	}
	for _, n := range s.GroupClause {
		if g, ok := n.Node.(*pg_query.Node_GroupingSet); ok {
			return nil, t.unsupported(g.GroupingSet.Location, "GROUPING SETS, ROLLUP and CUBE are not supported")
		}
		if k, ok := intLiteral(n); ok && (k < 1 || k > int64(len(s.TargetList))) && (outputColumns{targets: s.TargetList}).knownWidth() {
			return nil, t.errorAt(codeInvalidColumnReference, location(n), "GROUP BY position %d is not in select list", k)
		}
		e, err := t.expr(n)
		if err != nil {
			return nil, err
		}
		sel.GroupBy = append(sel.GroupBy, e)
	}
	if s.HavingClause != nil {
		e, err := t.expr(s.HavingClause)
		if err != nil {
			return nil, err
		}
		sel.Having = &sqlparser.Where{Type: sqlparser.HavingStr, Expr: e}
	}
	for _, n := range s.WindowClause {
		wd := n.GetWindowDef()
		if wd == nil {
			return nil, t.unsupported(location(n), "unexpected WINDOW clause item")
		}
		def, err := t.windowDef(wd)
		if err != nil {
			return nil, err
		}
		def.Name = sqlparser.NewColIdent(wd.Name)
		sel.Window = append(sel.Window, def)
	}
	return sel, nil
}

// selectExpr converts one item of a target list.
func (t *translator) selectExpr(n *pg_query.Node) (sqlparser.SelectExpr, error) {
	rt := n.GetResTarget()
	if rt == nil || rt.Val == nil {
		return nil, t.unsupported(location(n), "unexpected target list item")
	}
	if len(rt.Indirection) > 0 {
		return nil, t.unsupported(rt.Location, "indirection in the target list is not supported")
	}
	if cr := rt.Val.GetColumnRef(); cr != nil && len(cr.Fields) > 0 && cr.Fields[len(cr.Fields)-1].GetAStar() != nil {
		star := &sqlparser.StarExpr{}
		names, err := t.fieldNames(cr.Fields[:len(cr.Fields)-1], cr.Location)
		if err != nil {
			return nil, err
		}
		switch len(names) {
		case 0:
		case 1:
			star.TableName.Name = sqlparser.NewTableIdent(names[0])
		case 2:
			q, ok := schemaQualifier(names[0])
			if !ok {
				return nil, t.errorAt(sqlengine.CodeUndefinedTable, cr.Location, "missing FROM-clause entry for table %q", names[1])
			}
			star.TableName = sqlparser.TableName{Name: sqlparser.NewTableIdent(names[1]), DbQualifier: q}
		default:
			return nil, t.unsupported(cr.Location, "cross-database references are not implemented")
		}
		return star, nil
	}
	e, err := t.expr(rt.Val)
	if err != nil {
		return nil, err
	}
	e = regOutput(rt.Val, e)
	ae := &sqlparser.AliasedExpr{Expr: e}
	switch {
	case rt.Name != "":
		ae.As = sqlparser.NewColIdent(rt.Name)
	case rt.Val.GetColumnRef() == nil:
		// PostgreSQL names an unaliased expression after what it computes
		// (count, lower, ?column?); GMS would use the expression's text.
		ae.InputExpression = figureColname(rt.Val)
	}
	return ae, nil
}

// fieldNames returns the String fields of a ColumnRef prefix.
func (t *translator) fieldNames(fields []*pg_query.Node, loc int32) ([]string, error) {
	names := make([]string, 0, len(fields))
	for _, f := range fields {
		s := f.GetString_()
		if s == nil {
			return nil, t.unsupported(loc, "unexpected column reference")
		}
		names = append(names, s.Sval)
	}
	return names, nil
}

// setOp converts UNION / INTERSECT / EXCEPT [ALL].
func (t *translator) setOp(s *pg_query.SelectStmt) (sqlparser.SelectStatement, error) {
	left, err := t.setOpArm(s.Larg)
	if err != nil {
		return nil, err
	}
	right, err := t.setOpArm(s.Rarg)
	if err != nil {
		return nil, err
	}
	op := &sqlparser.SetOp{Left: left, Right: right}
	switch s.Op {
	case pg_query.SetOperation_SETOP_UNION:
		op.Type = sqlparser.UnionStr
		if s.All {
			op.Type = sqlparser.UnionAllStr
		}
	case pg_query.SetOperation_SETOP_INTERSECT:
		op.Type = sqlparser.IntersectStr
		if s.All {
			op.Type = sqlparser.IntersectAllStr
		}
	case pg_query.SetOperation_SETOP_EXCEPT:
		op.Type = sqlparser.ExceptStr
		if s.All {
			op.Type = sqlparser.ExceptAllStr
		}
	}
	return op, nil
}

// setOpArm converts one operand of a set operation, parenthesizing it when it
// carries clauses of its own.
func (t *translator) setOpArm(s *pg_query.SelectStmt) (sqlparser.SelectStatement, error) {
	stmt, err := t.selectStmt(s)
	if err != nil {
		return nil, err
	}
	if _, nested := stmt.(*sqlparser.SetOp); nested ||
		len(s.SortClause) > 0 || s.LimitCount != nil || s.LimitOffset != nil || s.WithClause != nil {
		return &sqlparser.ParenSelect{Select: stmt}, nil
	}
	return stmt, nil
}

// valuesQuery converts a VALUES list used as a query into
// SELECT * FROM (VALUES ...) AS "*VALUES*"(column1, ...).
func (t *translator) valuesQuery(s *pg_query.SelectStmt) (*sqlparser.Select, error) {
	values, err := t.values(s.ValuesLists, nil)
	if err != nil {
		return nil, err
	}
	return &sqlparser.Select{
		SelectExprs: sqlparser.SelectExprs{&sqlparser.StarExpr{}},
		From: sqlparser.TableExprs{&sqlparser.AliasedTableExpr{
			Expr: values,
			As:   sqlparser.NewTableIdent(valuesAlias),
		}},
	}, nil
}

// values converts VALUES rows, naming the columns column1, column2, ... as
// PostgreSQL does unless names are given.
func (t *translator) values(lists []*pg_query.Node, names []string) (*sqlparser.ValuesStatement, error) {
	vs := &sqlparser.ValuesStatement{}
	width := 0
	for i, l := range lists {
		items := l.GetList().GetItems()
		if i == 0 {
			width = len(items)
		} else if len(items) != width {
			return nil, t.errorAt(sqlengine.CodeSyntaxError, location(items[0]), "VALUES lists must all be the same length")
		}
		row := make(sqlparser.ValTuple, 0, len(items))
		for _, item := range items {
			if item.GetSetToDefault() != nil {
				return nil, t.unsupported(-1, "DEFAULT in VALUES is not supported")
			}
			e, err := t.expr(item)
			if err != nil {
				return nil, err
			}
			row = append(row, e)
		}
		vs.Rows = append(vs.Rows, row)
	}
	for i := 0; i < width; i++ {
		name := "column" + strconv.Itoa(i+1)
		if i < len(names) {
			name = names[i]
		}
		vs.Columns = append(vs.Columns, sqlparser.NewColIdent(name))
	}
	return vs, nil
}

// outputNames returns the output column names of a query, or nil when they
// cannot be known without the catalog (its select list has a *).
func (t *translator) outputNames(s *pg_query.SelectStmt) []string {
	for s.Op != pg_query.SetOperation_SETOP_NONE && s.Op != pg_query.SetOperation_SET_OPERATION_UNDEFINED && s.Larg != nil {
		s = s.Larg
	}
	if len(s.ValuesLists) > 0 {
		items := s.ValuesLists[0].GetList().GetItems()
		names := make([]string, len(items))
		for i := range items {
			names[i] = "column" + strconv.Itoa(i+1)
		}
		return names
	}
	var names []string
	for _, n := range s.TargetList {
		rt := n.GetResTarget()
		if rt == nil || rt.Val == nil {
			return nil
		}
		if rt.Name != "" {
			names = append(names, rt.Name)
			continue
		}
		if cr := rt.Val.GetColumnRef(); cr != nil && cr.Fields[len(cr.Fields)-1].GetAStar() != nil {
			return nil
		}
		names = append(names, figureColname(rt.Val))
	}
	return names
}

// with converts a WITH clause.
func (t *translator) with(w *pg_query.WithClause) (*sqlparser.With, error) {
	out := &sqlparser.With{Recursive: w.Recursive}
	for _, n := range w.Ctes {
		cte := n.GetCommonTableExpr()
		if cte == nil {
			return nil, t.unsupported(w.Location, "unexpected WITH item")
		}
		if cte.SearchClause != nil {
			return nil, t.unsupported(cte.SearchClause.Location, "SEARCH in WITH is not supported")
		}
		if cte.CycleClause != nil {
			return nil, t.unsupported(cte.CycleClause.Location, "CYCLE in WITH is not supported")
		}
		q := cte.Ctequery.GetSelectStmt()
		if q == nil {
			return nil, t.unsupported(cte.Location, "data-modifying statements in WITH are not supported")
		}
		sel, err := t.selectStmt(q)
		if err != nil {
			return nil, err
		}
		names, err := t.stringList(cte.Aliascolnames, cte.Location)
		if err != nil {
			return nil, err
		}
		var cols sqlparser.Columns
		for _, name := range t.padColumnAliases(names, q) {
			cols = append(cols, sqlparser.NewColIdent(name))
		}
		out.Ctes = append(out.Ctes, &sqlparser.CommonTableExpr{
			AliasedTableExpr: &sqlparser.AliasedTableExpr{
				Expr: &sqlparser.Subquery{Select: sel},
				As:   sqlparser.NewTableIdent(cte.Ctename),
			},
			Columns: cols,
		})
	}
	return out, nil
}

// stringList returns the values of a list of String nodes.
func (t *translator) stringList(nodes []*pg_query.Node, loc int32) ([]string, error) {
	out := make([]string, 0, len(nodes))
	for _, n := range nodes {
		s := n.GetString_()
		if s == nil {
			return nil, t.unsupported(loc, "unexpected name list")
		}
		out = append(out, s.Sval)
	}
	return out, nil
}

// limit converts LIMIT / OFFSET / FETCH FIRST.
func (t *translator) limit(s *pg_query.SelectStmt) (*sqlparser.Limit, error) {
	if s.LimitOption == pg_query.LimitOption_LIMIT_OPTION_WITH_TIES {
		return nil, t.unsupported(location(s.LimitCount), "FETCH ... WITH TIES is not supported")
	}
	var lim sqlparser.Limit
	if s.LimitCount != nil {
		if c := s.LimitCount.GetAConst(); c == nil || !c.Isnull { // LIMIT ALL / LIMIT NULL: no limit
			e, err := t.limitValue(s.LimitCount, "LIMIT")
			if err != nil {
				return nil, err
			}
			lim.Rowcount = e
		}
	}
	if s.LimitOffset != nil {
		if c := s.LimitOffset.GetAConst(); c == nil || !c.Isnull {
			e, err := t.limitValue(s.LimitOffset, "OFFSET")
			if err != nil {
				return nil, err
			}
			lim.Offset = e
		}
	}
	if lim.Rowcount == nil && lim.Offset == nil {
		return nil, nil
	}
	return &lim, nil
}

// limitValue converts a LIMIT or OFFSET argument, which GMS accepts only as
// an integer constant or a parameter.
func (t *translator) limitValue(n *pg_query.Node, clause string) (sqlparser.Expr, error) {
	if v, ok := intLiteral(n); ok {
		if v < 0 {
			if clause == "LIMIT" {
				return nil, t.errorAt(codeInvalidRowCountInLimit, -1, "LIMIT must not be negative")
			}
			return nil, t.errorAt(codeInvalidRowCountInOffset, -1, "OFFSET must not be negative")
		}
		return sqlparser.NewIntVal([]byte(strconv.FormatInt(v, 10))), nil
	}
	inner := n
	if tc := n.GetTypeCast(); tc != nil {
		inner = tc.Arg
	}
	if p := inner.GetParamRef(); p != nil {
		return paramArg(p.Number), nil
	}
	return nil, t.unsupported(location(n), "%s with an expression other than a constant or parameter is not supported", clause)
}

// paramArg returns the bind variable GMS uses for $n.
func paramArg(n int32) *sqlparser.SQLVal {
	return sqlparser.NewValArg([]byte(":v" + strconv.Itoa(int(n))))
}
