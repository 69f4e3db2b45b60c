package gmsengine

import (
	"strconv"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"

	"github.com/pqsql/pqsql/sqlengine"
)

// checkPlan rejects what a planned statement must not do in PostgreSQL
// terms though GMS would run it: a DELETE from a read-only view, and a
// comparison of an integer with a string constant that is not an integer
// (PostgreSQL converts the constant to the integer type and fails with
// 22P02; MySQL would silently compare it as 0).
func checkPlan(ctx *sql.Context, node sql.Node) error {
	var err error
	transform.Inspect(node, func(n sql.Node) bool {
		if err != nil {
			return false
		}
		if d, ok := n.(*plan.DeleteFrom); ok {
			err = checkDeleteTargets(d)
		}
		return err == nil
	})
	if err != nil {
		return err
	}
	return checkIntComparisons(ctx, node)
}

// checkDeleteTargets fails for a DELETE from a raw view or the audit table.
func checkDeleteTargets(d *plan.DeleteFrom) error {
	targets := d.GetDeleteTargets()
	if len(targets) == 0 {
		targets = []sql.Node{d.Child}
	}
	var err error
	for _, target := range targets {
		transform.Inspect(target, func(n sql.Node) bool {
			tn, ok := n.(sql.TableNode)
			if !ok || err != nil {
				return err == nil
			}
			switch t := tn.UnderlyingTable().(type) {
			case *table:
				if t.raw {
					err = errRawDelete(t.name)
				}
			case *auditTable:
				err = errRawDelete(t.Name())
			case *erasuresTable:
				err = errRawDelete(t.Name())
			}
			return err == nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// checkIntComparisons finds comparisons (=, <>, <, <=, >, >=, IN) of an
// integer expression with a string constant that does not spell an integer,
// anywhere in the plan including subqueries, and fails with 22P02 as
// PostgreSQL does.
func checkIntComparisons(ctx *sql.Context, node sql.Node) error {
	var err error
	transform.InspectExpressions(ctx, node, func(ctx *sql.Context, e sql.Expression) bool {
		if err != nil {
			return false
		}
		switch x := e.(type) {
		case *plan.Subquery:
			if x.Query != nil {
				err = checkIntComparisons(ctx, x.Query)
			}
		case *expression.InTuple:
			err = checkIntOperands(ctx, x.Left(), tupleItems(x.Right())...)
		case *expression.HashInTuple:
			err = checkIntOperands(ctx, x.Left(), tupleItems(x.Right())...)
		case expression.Comparer:
			if err = checkIntOperands(ctx, x.Left(), x.Right()); err == nil {
				err = checkIntOperands(ctx, x.Right(), x.Left())
			}
		}
		return err == nil
	})
	return err
}

// tupleItems returns the items of a tuple expression, or e alone.
func tupleItems(e sql.Expression) []sql.Expression {
	if t, ok := e.(expression.Tuple); ok {
		return t
	}
	return []sql.Expression{e}
}

// checkIntOperands fails when col is an integer and one of others is a
// string literal that does not spell an integer.
func checkIntOperands(ctx *sql.Context, col sql.Expression, others ...sql.Expression) error {
	if _, ok := col.(*expression.Literal); ok {
		return nil
	}
	// int2, int4 and int8; GMS's int8 is bool, which takes 't', 'yes'...
	typ := col.Type(ctx)
	switch typ.Type() {
	case sqltypes.Int16, sqltypes.Int32, sqltypes.Int64:
	default:
		return nil
	}
	for _, o := range others {
		lit, ok := o.(*expression.Literal)
		if !ok || !types.IsText(lit.Type(ctx)) {
			continue
		}
		v, ok := lit.Value().(string)
		if !ok {
			continue
		}
		if _, perr := strconv.ParseInt(strings.TrimSpace(v), 10, 64); perr != nil {
			return sqlengine.Errorf(sqlengine.CodeInvalidTextRepresentation,
				"invalid input syntax for type %s: \"%s\"", intTypeName(typ), v)
		}
	}
	return nil
}

// intTypeName names an integer GMS type as PostgreSQL does.
func intTypeName(t sql.Type) string {
	switch t.Type() {
	case sqltypes.Int16:
		return "smallint"
	case sqltypes.Int32:
		return "integer"
	}
	return "bigint"
}
