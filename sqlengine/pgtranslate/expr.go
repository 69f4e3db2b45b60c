package pgtranslate

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/dolthub/vitess/go/vt/sqlparser"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"github.com/pqsql/pqsql/sqlengine"
)

// expr converts a scalar expression.
func (t *translator) expr(n *pg_query.Node) (sqlparser.Expr, error) {
	if n == nil {
		return nil, t.unsupported(-1, "missing expression")
	}
	switch v := n.Node.(type) {
	case *pg_query.Node_ColumnRef:
		return t.columnRef(v.ColumnRef)
	case *pg_query.Node_AConst:
		return t.constant(v.AConst)
	case *pg_query.Node_ParamRef:
		return paramArg(v.ParamRef.Number), nil
	case *pg_query.Node_TypeCast:
		return t.typeCast(v.TypeCast)
	case *pg_query.Node_AExpr:
		return t.aExpr(v.AExpr)
	case *pg_query.Node_BoolExpr:
		return t.boolExpr(v.BoolExpr)
	case *pg_query.Node_NullTest:
		arg, err := t.expr(v.NullTest.Arg)
		if err != nil {
			return nil, err
		}
		op := sqlparser.IsNullStr
		if v.NullTest.Nulltesttype == pg_query.NullTestType_IS_NOT_NULL {
			op = sqlparser.IsNotNullStr
		}
		return &sqlparser.IsExpr{Expr: paren(arg), Operator: op}, nil
	case *pg_query.Node_BooleanTest:
		return t.booleanTest(v.BooleanTest)
	case *pg_query.Node_SubLink:
		return t.subLink(v.SubLink)
	case *pg_query.Node_CaseExpr:
		return t.caseExpr(v.CaseExpr)
	case *pg_query.Node_CoalesceExpr:
		return t.call("coalesce", v.CoalesceExpr.Args)
	case *pg_query.Node_MinMaxExpr:
		return t.minMax(v.MinMaxExpr)
	case *pg_query.Node_FuncCall:
		return t.funcCall(v.FuncCall)
	case *pg_query.Node_SqlvalueFunction:
		return t.sqlValueFunction(v.SqlvalueFunction)
	case *pg_query.Node_CollateClause:
		// pqsql compares text by code point; COLLATE "C" and the default
		// collation (what psql and JDBC send) are that already.
		return t.expr(v.CollateClause.Arg)
	case *pg_query.Node_RowExpr:
		tuple := make(sqlparser.ValTuple, 0, len(v.RowExpr.Args))
		for _, a := range v.RowExpr.Args {
			e, err := t.expr(a)
			if err != nil {
				return nil, err
			}
			tuple = append(tuple, e)
		}
		return tuple, nil
	case *pg_query.Node_AArrayExpr:
		return t.arrayExpr(v.AArrayExpr)
	case *pg_query.Node_AIndirection:
		return t.indirection(v.AIndirection)
	case *pg_query.Node_GroupingFunc:
		return nil, t.unsupported(v.GroupingFunc.Location, "GROUPING is not supported")
	case *pg_query.Node_NamedArgExpr:
		return nil, t.unsupported(v.NamedArgExpr.Location, "named function arguments are not supported")
	case *pg_query.Node_SetToDefault:
		return nil, t.unsupported(v.SetToDefault.Location, "DEFAULT is not supported")
	case *pg_query.Node_XmlExpr, *pg_query.Node_XmlSerialize:
		return nil, t.unsupported(-1, "XML functions are not supported")
	}
	return nil, t.unsupported(location(n), "expression %s is not supported", nodeTypeName(n))
}

// nodeTypeName names a node's type for messages.
func nodeTypeName(n *pg_query.Node) string {
	return strings.TrimPrefix(fmt.Sprintf("%T", n.Node), "*pg_query.Node_")
}

// columnRef converts a column reference: col, table.col or schema.table.col.
func (t *translator) columnRef(cr *pg_query.ColumnRef) (sqlparser.Expr, error) {
	if last := cr.Fields[len(cr.Fields)-1]; last.GetAStar() != nil {
		return nil, t.unsupported(cr.Location, "* is not supported here")
	}
	names, err := t.fieldNames(cr.Fields, cr.Location)
	if err != nil {
		return nil, err
	}
	col := &sqlparser.ColName{Name: sqlparser.NewColIdent(names[len(names)-1])}
	switch len(names) {
	case 1:
	case 2:
		col.Qualifier.Name = sqlparser.NewTableIdent(names[0])
	case 3:
		q, ok := schemaQualifier(names[0])
		if !ok {
			return nil, t.errorAt(sqlengine.CodeUndefinedTable, cr.Location, "missing FROM-clause entry for table %q", names[1])
		}
		col.Qualifier = sqlparser.TableName{Name: sqlparser.NewTableIdent(names[1]), DbQualifier: q}
	default:
		return nil, t.unsupported(cr.Location, "cross-database references are not implemented: %s", strings.Join(names, "."))
	}
	return col, nil
}

// constant converts a literal.
func (t *translator) constant(c *pg_query.A_Const) (sqlparser.Expr, error) {
	if c.Isnull {
		return &sqlparser.NullVal{}, nil
	}
	switch c.Val.(type) {
	case *pg_query.A_Const_Ival, *pg_query.A_Const_Fval:
		if err := t.checkNumericLiteral(c.Location); err != nil {
			return nil, err
		}
	}
	switch v := c.Val.(type) {
	case *pg_query.A_Const_Ival:
		return sqlparser.NewIntVal([]byte(strconv.FormatInt(int64(v.Ival.Ival), 10))), nil
	case *pg_query.A_Const_Fval:
		// The grammar keeps integers beyond int4 as strings: int8 when they
		// fit, numeric otherwise, as is every literal with a point or exponent.
		if _, err := strconv.ParseInt(v.Fval.Fval, 10, 64); err == nil {
			return sqlparser.NewIntVal([]byte(v.Fval.Fval)), nil
		}
		return sqlparser.NewFloatVal([]byte(v.Fval.Fval)), nil
	case *pg_query.A_Const_Boolval:
		return sqlparser.BoolVal(v.Boolval.Boolval), nil
	case *pg_query.A_Const_Sval:
		return sqlparser.NewStrVal([]byte(v.Sval.Sval)), nil
	case *pg_query.A_Const_Bsval:
		// B'101' and X'1F' are bit strings in PostgreSQL, not binary strings.
		return nil, t.unsupported(c.Location, "bit string literals are not supported")
	}
	return nil, t.unsupported(c.Location, "unsupported constant")
}

// minMax converts GREATEST and LEAST into pqsql_greatest and pqsql_least,
// which skip NULL arguments (MySQL's return NULL if any is) and type the
// result as PostgreSQL does.
func (t *translator) minMax(m *pg_query.MinMaxExpr) (sqlparser.Expr, error) {
	name := "greatest"
	if m.Op == pg_query.MinMaxOp_IS_LEAST {
		name = "least"
	}
	args, err := t.exprTuple(m.Args)
	if err != nil {
		return nil, err
	}
	return funcExpr(pqsqlPrefix+name, args...), nil
}

// checkNumericLiteral rejects the numeric literal forms PostgreSQL 16 added
// (0x1F, 0o17, 0b101, 1_000), which PostgreSQL 15 reports as trailing junk.
func (t *translator) checkNumericLiteral(loc int32) error {
	q := t.st.query
	if loc < 0 || int(loc) >= len(q) {
		return nil
	}
	i := int(loc)
	for i < len(q) && (q[i] == '-' || q[i] == '+' || q[i] == ' ' || q[i] == '\t' || q[i] == '\n' || q[i] == '\r') {
		i++
	}
	start := i
	for i < len(q) && q[i] >= '0' && q[i] <= '9' {
		i++
	}
	if i == start || i >= len(q) {
		return nil
	}
	switch c := q[i]; {
	case c == '_' || (i == start+1 && q[start] == '0' && strings.IndexByte("xXoObB", c) >= 0):
		return &sqlengine.Error{
			Code:     sqlengine.CodeSyntaxError,
			Message:  fmt.Sprintf("trailing junk after numeric literal at or near %q", q[start:i+1]),
			Position: t.st.position(int32(start)),
		}
	}
	return nil
}

// boolExpr converts AND, OR and NOT.
func (t *translator) boolExpr(b *pg_query.BoolExpr) (sqlparser.Expr, error) {
	args := make([]sqlparser.Expr, 0, len(b.Args))
	for _, a := range b.Args {
		e, err := t.expr(a)
		if err != nil {
			return nil, err
		}
		args = append(args, paren(e))
	}
	switch b.Boolop {
	case pg_query.BoolExprType_NOT_EXPR:
		return &sqlparser.NotExpr{Expr: args[0]}, nil
	case pg_query.BoolExprType_AND_EXPR:
		out := args[0]
		for _, a := range args[1:] {
			out = &sqlparser.AndExpr{Left: out, Right: a}
		}
		return out, nil
	case pg_query.BoolExprType_OR_EXPR:
		out := args[0]
		for _, a := range args[1:] {
			out = &sqlparser.OrExpr{Left: out, Right: a}
		}
		return out, nil
	}
	return nil, t.unsupported(b.Location, "unsupported boolean operator")
}

// booleanTest converts IS [NOT] TRUE / FALSE / UNKNOWN.
func (t *translator) booleanTest(b *pg_query.BooleanTest) (sqlparser.Expr, error) {
	arg, err := t.expr(b.Arg)
	if err != nil {
		return nil, err
	}
	var op string
	switch b.Booltesttype {
	case pg_query.BoolTestType_IS_TRUE:
		op = sqlparser.IsTrueStr
	case pg_query.BoolTestType_IS_NOT_TRUE:
		op = sqlparser.IsNotTrueStr
	case pg_query.BoolTestType_IS_FALSE:
		op = sqlparser.IsFalseStr
	case pg_query.BoolTestType_IS_NOT_FALSE:
		op = sqlparser.IsNotFalseStr
	case pg_query.BoolTestType_IS_UNKNOWN:
		op = sqlparser.IsNullStr
	case pg_query.BoolTestType_IS_NOT_UNKNOWN:
		op = sqlparser.IsNotNullStr
	default:
		return nil, t.unsupported(b.Location, "unsupported boolean test")
	}
	return &sqlparser.IsExpr{Expr: paren(arg), Operator: op}, nil
}

// caseExpr converts CASE [arg] WHEN ... THEN ... [ELSE ...] END.
func (t *translator) caseExpr(c *pg_query.CaseExpr) (sqlparser.Expr, error) {
	out := &sqlparser.CaseExpr{}
	var err error
	if c.Arg != nil {
		if out.Expr, err = t.expr(c.Arg); err != nil {
			return nil, err
		}
	}
	for _, w := range c.Args {
		cw := w.GetCaseWhen()
		if cw == nil {
			return nil, t.unsupported(c.Location, "unexpected CASE item")
		}
		cond, err := t.expr(cw.Expr)
		if err != nil {
			return nil, err
		}
		val, err := t.expr(cw.Result)
		if err != nil {
			return nil, err
		}
		out.Whens = append(out.Whens, &sqlparser.When{Cond: cond, Val: val})
	}
	if c.Defresult != nil {
		if out.Else, err = t.expr(c.Defresult); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// subLink converts subqueries used as expressions.
func (t *translator) subLink(s *pg_query.SubLink) (sqlparser.Expr, error) {
	q := s.Subselect.GetSelectStmt()
	if q == nil {
		return nil, t.unsupported(s.Location, "unsupported subquery")
	}
	sel, err := t.selectStmt(q)
	if err != nil {
		return nil, err
	}
	sub := &sqlparser.Subquery{Select: sel}
	switch s.SubLinkType {
	case pg_query.SubLinkType_EXISTS_SUBLINK:
		return &sqlparser.ExistsExpr{Subquery: sub}, nil
	case pg_query.SubLinkType_EXPR_SUBLINK:
		return sub, nil
	case pg_query.SubLinkType_ANY_SUBLINK, pg_query.SubLinkType_ALL_SUBLINK:
		op := "="
		if len(s.OperName) > 0 {
			op = s.OperName[len(s.OperName)-1].GetString_().GetSval()
		}
		left, err := t.expr(s.Testexpr)
		if err != nil {
			return nil, err
		}
		// x IN (subquery) is = ANY; x NOT IN (subquery) arrives as NOT (= ANY).
		if s.SubLinkType == pg_query.SubLinkType_ANY_SUBLINK && op == "=" {
			return &sqlparser.ComparisonExpr{Left: paren(left), Operator: sqlparser.InStr, Right: sub}, nil
		}
		if s.SubLinkType == pg_query.SubLinkType_ALL_SUBLINK && op == "<>" {
			return &sqlparser.ComparisonExpr{Left: paren(left), Operator: sqlparser.NotInStr, Right: sub}, nil
		}
		if s.SubLinkType == pg_query.SubLinkType_ANY_SUBLINK {
			return nil, t.unsupported(s.Location, "ANY is not supported")
		}
		return nil, t.unsupported(s.Location, "ALL is not supported")
	case pg_query.SubLinkType_ARRAY_SUBLINK:
		return t.arraySubLink(s, sel)
	}
	return nil, t.unsupported(s.Location, "row comparison with a subquery is not supported")
}

// aExpr converts operator expressions.
func (t *translator) aExpr(a *pg_query.A_Expr) (sqlparser.Expr, error) {
	op := ""
	if len(a.Name) > 0 {
		op = a.Name[len(a.Name)-1].GetString_().GetSval()
	}
	switch a.Kind {
	case pg_query.A_Expr_Kind_AEXPR_OP:
		return t.operator(a, op)
	case pg_query.A_Expr_Kind_AEXPR_OP_ANY, pg_query.A_Expr_Kind_AEXPR_OP_ALL:
		// x = ANY (ARRAY[a, b]) is x IN (a, b); x <> ALL (ARRAY[a, b]) is x NOT IN (a, b).
		if arr := a.Rexpr.GetAArrayExpr(); arr != nil && len(arr.Elements) > 0 &&
			((a.Kind == pg_query.A_Expr_Kind_AEXPR_OP_ANY && op == "=") || (a.Kind == pg_query.A_Expr_Kind_AEXPR_OP_ALL && op == "<>")) {
			left, err := t.expr(a.Lexpr)
			if err != nil {
				return nil, err
			}
			list, err := t.exprTuple(arr.Elements)
			if err != nil {
				return nil, err
			}
			cmp := sqlparser.InStr
			if op == "<>" {
				cmp = sqlparser.NotInStr
			}
			return &sqlparser.ComparisonExpr{Left: paren(left), Operator: cmp, Right: list}, nil
		}
		return t.anyArray(a, op)
	case pg_query.A_Expr_Kind_AEXPR_DISTINCT, pg_query.A_Expr_Kind_AEXPR_NOT_DISTINCT:
		left, right, err := t.operands(a)
		if err != nil {
			return nil, err
		}
		var e sqlparser.Expr = &sqlparser.ComparisonExpr{Left: paren(left), Operator: sqlparser.NullSafeEqualStr, Right: paren(right)}
		if a.Kind == pg_query.A_Expr_Kind_AEXPR_DISTINCT {
			e = &sqlparser.NotExpr{Expr: &sqlparser.ParenExpr{Expr: e}}
		}
		return e, nil
	case pg_query.A_Expr_Kind_AEXPR_NULLIF:
		left, right, err := t.operands(a)
		if err != nil {
			return nil, err
		}
		return funcExpr("nullif", left, right), nil
	case pg_query.A_Expr_Kind_AEXPR_IN:
		left, err := t.expr(a.Lexpr)
		if err != nil {
			return nil, err
		}
		items := a.Rexpr.GetList().GetItems()
		list, err := t.exprTuple(items)
		if err != nil {
			return nil, err
		}
		for i, n := range items {
			list[i] = comparand(n, list[i])
		}
		cmp := sqlparser.InStr
		if op == "<>" {
			cmp = sqlparser.NotInStr
		}
		return &sqlparser.ComparisonExpr{Left: paren(left), Operator: cmp, Right: list}, nil
	case pg_query.A_Expr_Kind_AEXPR_LIKE, pg_query.A_Expr_Kind_AEXPR_ILIKE:
		return t.like(a, op)
	case pg_query.A_Expr_Kind_AEXPR_SIMILAR:
		return nil, t.unsupported(a.Location, "SIMILAR TO is not supported")
	case pg_query.A_Expr_Kind_AEXPR_BETWEEN, pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN,
		pg_query.A_Expr_Kind_AEXPR_BETWEEN_SYM, pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN_SYM:
		return t.between(a)
	}
	return nil, t.unsupported(a.Location, "unsupported operator expression")
}

// comparand returns e, the translation of the comparison operand n, or
// pqsql_unknown(n) when n is a string constant holding a backslash.
//
// PostgreSQL reads a quoted constant compared with a typed value with that
// type's input function, which the engine does once it knows the types
// (see the engine's typed literals). For a bytea operand that input differs
// from the text itself only when a backslash is present ('\x0102', '\001'),
// and GMS converts a string literal compared with a binary column into
// bytes when it plans, after which the text is lost; the marker function
// keeps such a constant out of that conversion. The engine replaces every
// marker by the constant, read with the other operand's input function.
func comparand(n *pg_query.Node, e sqlparser.Expr) sqlparser.Expr {
	c := n.GetAConst()
	if c == nil || c.GetSval() == nil || !strings.Contains(c.GetSval().GetSval(), `\`) {
		return e
	}
	return funcExpr(pqsqlPrefix+"unknown", e)
}

// between converts [NOT] BETWEEN [SYMMETRIC].
func (t *translator) between(a *pg_query.A_Expr) (sqlparser.Expr, error) {
	left, err := t.expr(a.Lexpr)
	if err != nil {
		return nil, err
	}
	bounds := a.Rexpr.GetList().GetItems()
	if len(bounds) != 2 {
		return nil, t.unsupported(a.Location, "malformed BETWEEN")
	}
	from, err := t.expr(bounds[0])
	if err != nil {
		return nil, err
	}
	to, err := t.expr(bounds[1])
	if err != nil {
		return nil, err
	}
	from, to = comparand(bounds[0], from), comparand(bounds[1], to)
	negate := a.Kind == pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN || a.Kind == pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN_SYM
	op := sqlparser.BetweenStr
	if negate {
		op = sqlparser.NotBetweenStr
	}
	asc := &sqlparser.RangeCond{Left: paren(left), Operator: op, From: paren(from), To: paren(to)}
	if a.Kind == pg_query.A_Expr_Kind_AEXPR_BETWEEN || a.Kind == pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN {
		return asc, nil
	}
	// SYMMETRIC accepts the bounds in either order.
	desc := &sqlparser.RangeCond{Left: paren(left), Operator: op, From: paren(to), To: paren(from)}
	if negate {
		return &sqlparser.AndExpr{Left: paren(asc), Right: paren(desc)}, nil
	}
	return &sqlparser.OrExpr{Left: paren(asc), Right: paren(desc)}, nil
}

// operands converts both sides of a binary operator.
func (t *translator) operands(a *pg_query.A_Expr) (left, right sqlparser.Expr, err error) {
	if left, err = t.expr(a.Lexpr); err != nil {
		return nil, nil, err
	}
	if right, err = t.expr(a.Rexpr); err != nil {
		return nil, nil, err
	}
	return left, right, nil
}

// exprTuple converts a list of expressions into a tuple.
func (t *translator) exprTuple(nodes []*pg_query.Node) (sqlparser.ValTuple, error) {
	tuple := make(sqlparser.ValTuple, 0, len(nodes))
	for _, n := range nodes {
		e, err := t.expr(n)
		if err != nil {
			return nil, err
		}
		tuple = append(tuple, e)
	}
	return tuple, nil
}

// operator converts a (possibly OPERATOR(pg_catalog.x)-qualified) operator.
func (t *translator) operator(a *pg_query.A_Expr, op string) (sqlparser.Expr, error) {
	if a.Lexpr == nil { // prefix operator
		arg, err := t.expr(a.Rexpr)
		if err != nil {
			return nil, err
		}
		switch op {
		case "-":
			return funcExpr(pqsqlPrefix+"neg", arg), nil
		case "+":
			return arg, nil
		case "~":
			return &sqlparser.UnaryExpr{Operator: sqlparser.TildaStr, Expr: paren(arg)}, nil
		case "@":
			return funcExpr(pqsqlPrefix+"abs", arg), nil
		case "|/":
			return funcExpr(pqsqlPrefix+"sqrt", arg), nil
		}
		return nil, t.unsupported(a.Location, "operator %s is not supported", op)
	}
	left, right, err := t.operands(a)
	if err != nil {
		return nil, err
	}
	switch op {
	case "=", "<>", "!=", "<", ">", "<=", ">=":
		left, right = comparand(a.Lexpr, left), comparand(a.Rexpr, right)
	}
	cmp := func(operator string) sqlparser.Expr {
		return &sqlparser.ComparisonExpr{Left: paren(left), Operator: operator, Right: paren(right)}
	}
	bin := func(operator string) sqlparser.Expr {
		return &sqlparser.BinaryExpr{Left: paren(left), Operator: operator, Right: paren(right)}
	}
	regex := func(mode string, negate bool) sqlparser.Expr {
		var e sqlparser.Expr = funcExpr("regexp_like", left, right, sqlparser.NewStrVal([]byte(mode)))
		if negate {
			e = &sqlparser.NotExpr{Expr: e}
		}
		return e
	}
	switch op {
	case "=":
		return cmp(sqlparser.EqualStr), nil
	case "<>", "!=":
		return cmp(sqlparser.NotEqualStr), nil
	case "<":
		return cmp(sqlparser.LessThanStr), nil
	case ">":
		return cmp(sqlparser.GreaterThanStr), nil
	case "<=":
		return cmp(sqlparser.LessEqualStr), nil
	case ">=":
		return cmp(sqlparser.GreaterEqualStr), nil
	// Arithmetic takes its result type from the operands' types (int4 +
	// int4 is int4, date + int4 a date, timestamp - timestamp an interval),
	// which the engine decides once the operand types are known.
	case "+":
		return funcExpr(pqsqlPrefix+"add", left, right), nil
	case "-":
		return funcExpr(pqsqlPrefix+"sub", left, right), nil
	case "*":
		return funcExpr(pqsqlPrefix+"mul", left, right), nil
	case "/":
		// Integer or numeric division depends on the operands' runtime types.
		return funcExpr(pqsqlPrefix+"div", left, right), nil
	case "%":
		return funcExpr(pqsqlPrefix+"mod", left, right), nil
	case "^":
		return funcExpr("power", left, right), nil
	case "&":
		return bin(sqlparser.BitAndStr), nil
	case "|":
		return bin(sqlparser.BitOrStr), nil
	case "#":
		return bin(sqlparser.BitXorStr), nil
	case "<<":
		return bin(sqlparser.ShiftLeftStr), nil
	case ">>":
		return bin(sqlparser.ShiftRightStr), nil
	case "||":
		return concat(left, right), nil
	case "~":
		return regex("c", false), nil
	case "~*":
		return regex("i", false), nil
	case "!~":
		return regex("c", true), nil
	case "!~*":
		return regex("i", true), nil
	case "->":
		return funcExpr(pqsqlPrefix+"json_get", left, right), nil
	case "->>":
		return funcExpr(pqsqlPrefix+"json_get_text", left, right), nil
	case "#>":
		return funcExpr(pqsqlPrefix+"json_path", left, right), nil
	case "#>>":
		return funcExpr(pqsqlPrefix+"json_path_text", left, right), nil
	case "~~":
		return cmp(sqlparser.LikeStr), nil
	case "!~~":
		return cmp(sqlparser.NotLikeStr), nil
	}
	return nil, t.unsupported(a.Location, "operator %s is not supported", op)
}

// concat flattens a || b || c into one CONCAT call.
func concat(left, right sqlparser.Expr) sqlparser.Expr {
	if f, ok := left.(*sqlparser.FuncExpr); ok && f.Name.Lowered() == "concat" && f.Over == nil {
		f.Exprs = append(f.Exprs, &sqlparser.AliasedExpr{Expr: right})
		return f
	}
	return funcExpr("concat", left, right)
}

// like converts [NOT] LIKE and [NOT] ILIKE, with an optional ESCAPE.
func (t *translator) like(a *pg_query.A_Expr, op string) (sqlparser.Expr, error) {
	left, err := t.expr(a.Lexpr)
	if err != nil {
		return nil, err
	}
	var escape sqlparser.Expr
	pattern := a.Rexpr
	if fc := pattern.GetFuncCall(); fc != nil && funcName(fc) == "like_escape" && len(fc.Args) == 2 {
		pattern = fc.Args[0]
		if escape, err = t.expr(fc.Args[1]); err != nil {
			return nil, err
		}
	}
	right, err := t.expr(pattern)
	if err != nil {
		return nil, err
	}
	if a.Kind == pg_query.A_Expr_Kind_AEXPR_ILIKE {
		left, right = funcExpr("lower", left), funcExpr("lower", right)
	}
	cmp := sqlparser.LikeStr
	if strings.HasPrefix(op, "!") {
		cmp = sqlparser.NotLikeStr
	}
	return &sqlparser.ComparisonExpr{Left: paren(left), Operator: cmp, Right: paren(right), Escape: escape}, nil
}

// funcExpr builds a function call.
func funcExpr(name string, args ...sqlparser.Expr) *sqlparser.FuncExpr {
	f := &sqlparser.FuncExpr{Name: sqlparser.NewColIdent(name)}
	for _, a := range args {
		f.Exprs = append(f.Exprs, &sqlparser.AliasedExpr{Expr: a})
	}
	return f
}

// paren parenthesizes compound expressions used as operands, so the tree
// renders as SQL with the same meaning (go-mysql-server ignores the parentheses).
func paren(e sqlparser.Expr) sqlparser.Expr {
	switch e.(type) {
	case *sqlparser.AndExpr, *sqlparser.OrExpr, *sqlparser.XorExpr, *sqlparser.NotExpr,
		*sqlparser.ComparisonExpr, *sqlparser.BinaryExpr, *sqlparser.RangeCond, *sqlparser.IsExpr,
		*sqlparser.UnaryExpr:
		return &sqlparser.ParenExpr{Expr: e}
	}
	return e
}
