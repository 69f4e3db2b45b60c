package pgtranslate

import (
	"strconv"

	"github.com/dolthub/vitess/go/vt/sqlparser"
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/pqsql/pqsql/sqlengine"
)

// Arrays are values in PostgreSQL's text form ("{a,b}", or "1 2" for the
// int2vector and oidvector catalog columns) that the engine's pqsql_array*
// functions read and build:
//
//	ARRAY[a, b]              pqsql_array(a, b)
//	ARRAY(SELECT x ...)      (SELECT pqsql_array_wrap(GROUP_CONCAT(pqsql_array_quote(x) ORDER BY ...)) ...)
//	x = ANY (arr)            pqsql_array_any(x, arr)
//	x <> ALL (arr)           NOT pqsql_array_any(x, arr)
//	arr[i]                   pqsql_array_subscript(arr, i)
//	x::int2[]                pqsql_cast(x, 'int2[]')
//	array_to_string, array_upper, array_lower, array_length, cardinality
//	                         pqsql_<name>
//
// Set-returning functions in a target list are not supported in general.
// The catalog queries of pgjdbc and SQLAlchemy expand pg_index.indkey with
// information_schema._pg_expandarray, unnest and generate_subscripts; pqsql's
// indexes are single-column primary keys, so over that column these become
// scalar functions of its one element (pqsql_array_single,
// pqsql_pg_expandarray), which fail for an array of more than one element.

// arrayFunction reports whether name is one of the array functions, or of
// the other functions catalog queries call (json_build_object,
// pg_tablespace_location, pg_*_is_visible), that become pqsql_<name> calls.
func arrayFunction(name string) bool {
	switch name {
	case "array_to_string", "array_upper", "array_lower", "array_length", "cardinality", "json_build_object",
		"pg_tablespace_location", "pg_operator_is_visible", "pg_opclass_is_visible", "pg_opfamily_is_visible",
		"pg_conversion_is_visible", "pg_collation_is_visible", "pg_ts_config_is_visible", "pg_ts_dict_is_visible",
		"pg_ts_parser_is_visible", "pg_ts_template_is_visible", "pg_statistics_obj_is_visible":
		return true
	}
	return false
}

// arrayExpr converts ARRAY[a, b, ...].
func (t *translator) arrayExpr(a *pg_query.A_ArrayExpr) (sqlparser.Expr, error) {
	for _, e := range a.Elements {
		if e.GetAArrayExpr() != nil {
			return nil, t.unsupported(a.Location, "multidimensional arrays are not supported")
		}
	}
	elems, err := t.exprTuple(a.Elements)
	if err != nil {
		return nil, err
	}
	return funcExpr(pqsqlPrefix+"array", elems...), nil
}

// anyArray converts x op ANY (array) and x op ALL (array) for = and <>,
// where array is not an ARRAY[...] list (see aExpr).
func (t *translator) anyArray(a *pg_query.A_Expr, op string) (sqlparser.Expr, error) {
	anyOp := a.Kind == pg_query.A_Expr_Kind_AEXPR_OP_ANY
	if !(anyOp && op == "=") && !(!anyOp && op == "<>") {
		if anyOp {
			return nil, t.unsupported(a.Location, "ANY with operator %s is not supported", op)
		}
		return nil, t.unsupported(a.Location, "ALL with operator %s is not supported", op)
	}
	left, right, err := t.operands(a)
	if err != nil {
		return nil, err
	}
	var e sqlparser.Expr = funcExpr(pqsqlPrefix+"array_any", left, right)
	if !anyOp {
		e = &sqlparser.NotExpr{Expr: e}
	}
	return e, nil
}

// indirection converts subscripts arr[i] and the field selections of
// information_schema._pg_expandarray's result, (... ).x and (...).n.
func (t *translator) indirection(ind *pg_query.A_Indirection) (sqlparser.Expr, error) {
	e, err := t.expr(ind.Arg)
	if err != nil {
		return nil, err
	}
	for _, n := range ind.Indirection {
		switch v := n.Node.(type) {
		case *pg_query.Node_AIndices:
			if v.AIndices.IsSlice {
				return nil, t.unsupported(location(ind.Arg), "array slices are not supported")
			}
			i, err := t.expr(v.AIndices.Uidx)
			if err != nil {
				return nil, err
			}
			e = funcExpr(pqsqlPrefix+"array_subscript", e, i)
		case *pg_query.Node_String_:
			if f := v.String_.Sval; f == "x" || f == "n" {
				e = funcExpr(pqsqlPrefix+"record_field", e, sqlparser.NewStrVal([]byte(f)))
				continue
			}
			return nil, t.unsupported(location(ind.Arg), "field selection .%s is not supported", v.String_.Sval)
		default:
			return nil, t.unsupported(location(ind.Arg), "subscripts and field selection are not supported")
		}
	}
	return e, nil
}

// arraySubLink converts ARRAY(SELECT x ...): the subquery's rows aggregated
// into the array's text form, in the subquery's order.
func (t *translator) arraySubLink(s *pg_query.SubLink, sel sqlparser.SelectStatement) (sqlparser.Expr, error) {
	q, ok := sel.(*sqlparser.Select)
	if !ok || len(q.SelectExprs) != 1 || len(q.GroupBy) > 0 || q.Having != nil || q.QueryOpts.Distinct ||
		q.Limit != nil || q.With != nil || len(q.Window) > 0 {
		return nil, t.unsupported(s.Location, "this form of ARRAY(subquery) is not supported")
	}
	ae, ok := q.SelectExprs[0].(*sqlparser.AliasedExpr)
	if !ok || containsAggregate(ae.Expr) {
		return nil, t.unsupported(s.Location, "this form of ARRAY(subquery) is not supported")
	}
	elem := ae.Expr
	gc := &sqlparser.GroupConcatExpr{
		Exprs:     sqlparser.SelectExprs{&sqlparser.AliasedExpr{Expr: funcExpr(pqsqlPrefix+"array_quote", elem)}},
		Separator: sqlparser.Separator{SeparatorString: ","},
	}
	for _, o := range q.OrderBy {
		key := o.Expr
		switch k := key.(type) {
		case *sqlparser.SQLVal:
			if n, err := strconv.Atoi(string(k.Val)); err == nil && k.Type == sqlparser.IntVal && n == 1 {
				key = elem
			}
		case *sqlparser.ColName:
			if k.Qualifier.IsEmpty() && !ae.As.IsEmpty() && k.Name.Equal(ae.As) {
				key = elem
			}
		case *sqlparser.IsExpr:
			if v, ok := k.Expr.(*sqlparser.SQLVal); ok && v.Type == sqlparser.IntVal && string(v.Val) == "1" {
				key = &sqlparser.IsExpr{Expr: paren(elem), Operator: k.Operator}
			}
		}
		gc.OrderBy = append(gc.OrderBy, &sqlparser.Order{Expr: key, Direction: o.Direction})
	}
	agg := *q
	agg.SelectExprs = sqlparser.SelectExprs{&sqlparser.AliasedExpr{Expr: funcExpr(pqsqlPrefix+"array_wrap", gc)}}
	agg.OrderBy = nil
	return &sqlparser.Subquery{Select: &agg}, nil
}

// containsAggregate reports whether e calls an aggregate or window function.
func containsAggregate(e sqlparser.Expr) bool {
	found := false
	_ = sqlparser.Walk(func(n sqlparser.SQLNode) (bool, error) {
		switch f := n.(type) {
		case *sqlparser.GroupConcatExpr:
			found = true
		case *sqlparser.FuncExpr:
			if f.IsAggregate() || f.Over != nil {
				found = true
			}
		case *sqlparser.Subquery:
			return false, nil
		}
		return !found, nil
	}, e)
	return found
}

// arrayFuncCall converts the set-returning functions of the catalog queries
// (see the comment at the top of this file); ok is false for other calls.
func (t *translator) arrayFuncCall(fc *pg_query.FuncCall) (e sqlparser.Expr, ok bool, err error) {
	name := funcName(fc)
	schema := ""
	if len(fc.Funcname) == 2 {
		schema = fc.Funcname[0].GetString_().GetSval()
	}
	var fn string
	switch {
	case name == "_pg_expandarray" && schema == "information_schema" && len(fc.Args) == 1:
		fn = "pg_expandarray"
	case name == "unnest" && (schema == "" || schema == "pg_catalog") && len(fc.Args) == 1:
		fn = "array_single"
	case name == "generate_subscripts" && (schema == "" || schema == "pg_catalog") && len(fc.Args) == 2:
		fn = "array_lower"
	default:
		return nil, false, nil
	}
	if fc.Over != nil || !isIndkeyColumn(fc.Args[0]) {
		return nil, true, t.unsupported(fc.Location, "set-returning function %s is not supported", name)
	}
	args, err := t.exprTuple(fc.Args)
	if err != nil {
		return nil, true, err
	}
	return funcExpr(pqsqlPrefix+fn, args...), true, nil
}

// isIndkeyColumn reports whether n is a reference to pg_index.indkey: a
// column named indkey.
func isIndkeyColumn(n *pg_query.Node) bool {
	cr := n.GetColumnRef()
	if cr == nil || len(cr.Fields) == 0 {
		return false
	}
	return cr.Fields[len(cr.Fields)-1].GetString_().GetSval() == "indkey"
}

// arrayTypeName returns the canonical name of an array type, "int2[]".
func (t *translator) arrayTypeName(tn *pg_query.TypeName, elem string) (string, error) {
	if len(tn.ArrayBounds) > 1 {
		return "", t.unsupported(tn.Location, "multidimensional arrays are not supported")
	}
	switch elem {
	case "bool", "int2", "int4", "int8", "float4", "float8", "text", "varchar", "name", "oid", "char":
		return elem + "[]", nil
	}
	return "", &sqlengine.Error{Code: sqlengine.CodeFeatureNotSupported, Message: "arrays of type " + elem + " are not supported", Position: t.st.position(tn.Location)}
}

// unnestFunction converts unnest(array) in FROM into the table function
// pqsql_unnest, its one column named as PostgreSQL names it.
func (t *translator) unnestFunction(rf *pg_query.RangeFunction, fc *pg_query.FuncCall) (sqlparser.TableExpr, error) {
	if rf.Lateral || rf.Ordinality || rf.IsRowsfrom || len(rf.Coldeflist) > 0 {
		return nil, t.unsupported(fc.Location, "LATERAL, WITH ORDINALITY, ROWS FROM and column definition lists are not supported")
	}
	if len(fc.Args) != 1 || fc.AggStar || fc.AggDistinct || fc.Over != nil {
		return nil, t.unsupported(fc.Location, "unnest with %d arguments is not supported", len(fc.Args))
	}
	arg, err := t.expr(fc.Args[0])
	if err != nil {
		return nil, err
	}
	alias, column := "unnest", "unnest"
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
			return nil, t.errorAt(codeInvalidColumnReference, fc.Location, "too many column aliases specified for function unnest")
		}
	}
	fn := &sqlparser.TableFuncExpr{Name: pqsqlPrefix + "unnest", Exprs: sqlparser.SelectExprs{&sqlparser.AliasedExpr{Expr: arg}}}
	return &sqlparser.AliasedTableExpr{
		Expr: &sqlparser.Subquery{
			Select:  &sqlparser.Select{SelectExprs: sqlparser.SelectExprs{&sqlparser.StarExpr{}}, From: sqlparser.TableExprs{fn}},
			Columns: sqlparser.Columns{sqlparser.NewColIdent(column)},
		},
		As: sqlparser.NewTableIdent(alias),
	}, nil
}

// regOutput renders a result column that is a cast to regclass, regtype or
// regnamespace by name, as PostgreSQL outputs those types:
// pqsql_reg_out(e, 'regclass'). Elsewhere the casts' values are OIDs, which
// compare with oid columns.
func regOutput(n *pg_query.Node, e sqlparser.Expr) sqlparser.Expr {
	tc := n.GetTypeCast()
	if tc == nil || tc.TypeName == nil || len(tc.TypeName.ArrayBounds) > 0 || len(tc.TypeName.Names) == 0 {
		return e
	}
	switch name := tc.TypeName.Names[len(tc.TypeName.Names)-1].GetString_().GetSval(); name {
	case "regclass", "regtype", "regnamespace":
		return funcExpr(pqsqlPrefix+"reg_out", e, sqlparser.NewStrVal([]byte(name)))
	}
	return e
}
