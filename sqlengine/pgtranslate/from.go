package pgtranslate

import (
	"github.com/dolthub/vitess/go/vt/sqlparser"
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/pqsql/pqsql/sqlengine"
)

// tableExpr converts one FROM item.
func (t *translator) tableExpr(n *pg_query.Node) (sqlparser.TableExpr, error) {
	switch v := n.Node.(type) {
	case *pg_query.Node_RangeVar:
		return t.rangeVar(v.RangeVar)
	case *pg_query.Node_JoinExpr:
		return t.join(v.JoinExpr)
	case *pg_query.Node_RangeSubselect:
		return t.rangeSubselect(v.RangeSubselect)
	case *pg_query.Node_RangeFunction:
		return t.rangeFunction(v.RangeFunction)
	case *pg_query.Node_RangeTableSample:
		return nil, t.unsupported(v.RangeTableSample.Location, "TABLESAMPLE is not supported")
	}
	return nil, t.unsupported(location(n), "unsupported FROM item")
}

// rangeFunction converts a set-returning function in FROM. Only
// generate_series is supported: it becomes the table function
// pqsql_generate_series, its one column renamed as PostgreSQL names it.
func (t *translator) rangeFunction(rf *pg_query.RangeFunction) (sqlparser.TableExpr, error) {
	var fc *pg_query.FuncCall
	if len(rf.Functions) == 1 {
		if items := rf.Functions[0].GetList().GetItems(); len(items) > 0 {
			fc = items[0].GetFuncCall()
		}
	}
	if fc == nil {
		return nil, t.unsupported(-1, "function in FROM is not supported")
	}
	name := funcName(fc)
	if name == "unnest" && len(fc.Funcname) <= 2 {
		return t.unnestFunction(rf, fc)
	}
	if name != "generate_series" || len(fc.Funcname) > 2 {
		return nil, t.unsupported(fc.Location, "set-returning function %s in FROM is not supported", name)
	}
	if rf.Lateral {
		return nil, t.unsupported(fc.Location, "LATERAL is not supported")
	}
	if rf.Ordinality || rf.IsRowsfrom || len(rf.Coldeflist) > 0 {
		return nil, t.unsupported(fc.Location, "WITH ORDINALITY, ROWS FROM and column definition lists are not supported")
	}
	if len(fc.Args) < 2 || len(fc.Args) > 3 || fc.AggStar || fc.AggDistinct || fc.Over != nil {
		return nil, t.errorAt(sqlengine.CodeUndefinedFunction, fc.Location, "function generate_series with %d arguments does not exist", len(fc.Args))
	}
	args, err := t.exprTuple(fc.Args)
	if err != nil {
		return nil, err
	}
	alias, column := name, name
	if rf.Alias != nil {
		alias, column = rf.Alias.Aliasname, rf.Alias.Aliasname
		cols, err := t.stringList(rf.Alias.Colnames, fc.Location)
		if err != nil {
			return nil, err
		}
		switch len(cols) {
		case 0:
		case 1:
			column = cols[0]
		default:
			return nil, t.errorAt(codeInvalidColumnReference, fc.Location, "too many column aliases specified for function generate_series")
		}
	}
	series := &sqlparser.TableFuncExpr{Name: pqsqlPrefix + name}
	for _, a := range args {
		series.Exprs = append(series.Exprs, &sqlparser.AliasedExpr{Expr: a})
	}
	return &sqlparser.AliasedTableExpr{
		Expr: &sqlparser.Subquery{
			Select: &sqlparser.Select{
				SelectExprs: sqlparser.SelectExprs{&sqlparser.StarExpr{}},
				From:        sqlparser.TableExprs{series},
			},
			Columns: sqlparser.Columns{sqlparser.NewColIdent(column)},
		},
		As: sqlparser.NewTableIdent(alias),
	}, nil
}

// rangeVar converts a table reference with its alias.
func (t *translator) rangeVar(rv *pg_query.RangeVar) (sqlparser.TableExpr, error) {
	name, err := t.tableName(rv)
	if err != nil {
		return nil, err
	}
	te := &sqlparser.AliasedTableExpr{Expr: name}
	if rv.Alias == nil {
		return te, nil
	}
	te.As = sqlparser.NewTableIdent(rv.Alias.Aliasname)
	if len(rv.Alias.Colnames) == 0 {
		return te, nil
	}
	// t AS a(x, y): rename the columns through a derived table.
	cols, err := t.stringList(rv.Alias.Colnames, rv.Location)
	if err != nil {
		return nil, err
	}
	sub := &sqlparser.Subquery{
		Select: &sqlparser.Select{
			SelectExprs: sqlparser.SelectExprs{&sqlparser.StarExpr{}},
			From:        sqlparser.TableExprs{&sqlparser.AliasedTableExpr{Expr: name}},
		},
	}
	for _, c := range cols {
		sub.Columns = append(sub.Columns, sqlparser.NewColIdent(c))
	}
	return &sqlparser.AliasedTableExpr{Expr: sub, As: te.As}, nil
}

// rangeSubselect converts a derived table: (SELECT ...) AS a(x, y) or
// (VALUES ...) AS a(x, y).
func (t *translator) rangeSubselect(rs *pg_query.RangeSubselect) (sqlparser.TableExpr, error) {
	if rs.Lateral {
		return nil, t.unsupported(-1, "LATERAL is not supported")
	}
	q := rs.Subquery.GetSelectStmt()
	if q == nil {
		return nil, t.unsupported(-1, "unsupported subquery in FROM")
	}
	if rs.Alias == nil {
		// PostgreSQL 15 requires the alias.
		return nil, t.errorAt(sqlengine.CodeSyntaxError, -1, "subquery in FROM must have an alias")
	}
	cols, err := t.stringList(rs.Alias.Colnames, -1)
	if err != nil {
		return nil, err
	}
	as := sqlparser.NewTableIdent(rs.Alias.Aliasname)
	if len(q.ValuesLists) > 0 && q.Op == pg_query.SetOperation_SETOP_NONE && len(q.SortClause) == 0 &&
		q.LimitCount == nil && q.LimitOffset == nil && q.WithClause == nil {
		values, err := t.values(q.ValuesLists, cols)
		if err != nil {
			return nil, err
		}
		return &sqlparser.AliasedTableExpr{Expr: values, As: as}, nil
	}
	sel, err := t.selectStmt(q)
	if err != nil {
		return nil, err
	}
	sub := &sqlparser.Subquery{Select: sel}
	for _, c := range t.padColumnAliases(cols, q) {
		sub.Columns = append(sub.Columns, sqlparser.NewColIdent(c))
	}
	return &sqlparser.AliasedTableExpr{Expr: sub, As: as}, nil
}

// padColumnAliases completes a column alias list shorter than the query's
// output with the query's own column names, as PostgreSQL does (GMS wants a
// name for every column). When the output is not known (a *), the list is
// returned as written.
func (t *translator) padColumnAliases(aliases []string, q *pg_query.SelectStmt) []string {
	if len(aliases) == 0 {
		return nil
	}
	if !outputKnown(q) {
		return aliases
	}
	names := t.outputNames(q)
	if len(names) <= len(aliases) {
		return aliases
	}
	return append(append([]string(nil), aliases...), names[len(aliases):]...)
}

// join converts a JOIN.
func (t *translator) join(j *pg_query.JoinExpr) (sqlparser.TableExpr, error) {
	if j.Alias != nil {
		return nil, t.unsupported(-1, "an alias on a JOIN is not supported")
	}
	if j.JoinUsingAlias != nil {
		return nil, t.unsupported(-1, "JOIN USING with an alias is not supported")
	}
	left, err := t.tableExpr(j.Larg)
	if err != nil {
		return nil, err
	}
	right, err := t.tableExpr(j.Rarg)
	if err != nil {
		return nil, err
	}
	if _, nested := right.(*sqlparser.JoinTableExpr); nested {
		right = &sqlparser.ParenTableExpr{Exprs: sqlparser.TableExprs{right}}
	}
	out := &sqlparser.JoinTableExpr{LeftExpr: left, RightExpr: right}
	switch j.Jointype {
	case pg_query.JoinType_JOIN_INNER:
		out.Join = sqlparser.JoinStr
		if j.IsNatural {
			out.Join = sqlparser.NaturalJoinStr
		}
	case pg_query.JoinType_JOIN_LEFT:
		out.Join = sqlparser.LeftJoinStr
		if j.IsNatural {
			out.Join = sqlparser.NaturalLeftJoinStr
		}
	case pg_query.JoinType_JOIN_RIGHT:
		out.Join = sqlparser.RightJoinStr
		if j.IsNatural {
			out.Join = sqlparser.NaturalRightJoinStr
		}
	case pg_query.JoinType_JOIN_FULL:
		out.Join = sqlparser.FullOuterJoinStr
		if j.IsNatural {
			out.Join = sqlparser.NaturalFullJoinStr
		}
	default:
		return nil, t.unsupported(-1, "unsupported join type %s", j.Jointype)
	}
	if len(j.UsingClause) > 0 {
		cols, err := t.stringList(j.UsingClause, -1)
		if err != nil {
			return nil, err
		}
		for _, c := range cols {
			out.Condition.Using = append(out.Condition.Using, sqlparser.NewColIdent(c))
		}
	}
	if j.Quals != nil {
		on, err := t.expr(j.Quals)
		if err != nil {
			return nil, err
		}
		out.Condition.On = on
	}
	return out, nil
}
