package gmsengine

import (
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function"
	"github.com/dolthub/go-mysql-server/sql/expression/function/aggregation/window"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"

	"github.com/pqsql/pqsql/sqlengine"
)

// aggregateTypes corrects the result types of sum() and avg(). GMS's planner
// types references to them double precision whatever pgSumAvg computes;
// PostgreSQL's sum of int2/int4 is int8, of int8 and numeric is numeric, and
// avg of integers and numeric is numeric. Likewise rank() and dense_rank() are bigint (GMS: unsigned) and
// ntile() integer (GMS: double), and integer literals beyond int4 bigint.
// It also marks int2 results (int2 + int2, nullif(int2, 1), lag(int2)),
// which a result column's GMS type cannot tell from an int4 literal's
// (see isInt2Expr). It returns the
// PostgreSQL type of each output column it corrects, by column index.
func aggregateTypes(ctx *sql.Context, node sql.Node) map[int]pgType {
	type aggInfo struct {
		avg   bool
		child sql.Type
		// fixed is the type of a function whose type does not depend on
		// its argument.
		fixed *pgType
	}
	int8Type := &pgType{OID: sqlengine.Int8OID, Size: 8, Typmod: -1, Scale: -1}
	int4Type := &pgType{OID: sqlengine.Int4OID, Size: 4, Typmod: -1, Scale: -1}
	int2Type := &pgType{OID: sqlengine.Int2OID, Size: 2, Typmod: -1, Scale: -1}
	aggs := map[string]aggInfo{}
	transform.InspectExpressions(ctx, node, func(ctx *sql.Context, e sql.Expression) bool {
		switch a := e.(type) {
		case *window.Rank, *window.DenseRank:
			aggs[strings.ToLower(plan.AliasSubqueryString(a))] = aggInfo{fixed: int8Type}
		case *window.NTile:
			aggs[strings.ToLower(plan.AliasSubqueryString(a))] = aggInfo{fixed: int4Type}
		case *window.Lag:
			if len(a.ChildExpressions) > 0 && isInt2Expr(ctx, a.ChildExpressions[0]) {
				aggs[strings.ToLower(plan.AliasSubqueryString(a))] = aggInfo{fixed: int2Type}
			}
		case *window.Lead:
			if len(a.ChildExpressions) > 0 && isInt2Expr(ctx, a.ChildExpressions[0]) {
				aggs[strings.ToLower(plan.AliasSubqueryString(a))] = aggInfo{fixed: int2Type}
			}
		case *window.FirstValue:
			if isInt2Expr(ctx, a.Child) {
				aggs[strings.ToLower(plan.AliasSubqueryString(a))] = aggInfo{fixed: int2Type}
			}
		case *window.LastValue:
			if isInt2Expr(ctx, a.Child) {
				aggs[strings.ToLower(plan.AliasSubqueryString(a))] = aggInfo{fixed: int2Type}
			}
		case *pgSumAvg:
			aggs[strings.ToLower(plan.AliasSubqueryString(a))] = aggInfo{avg: a.avg, child: a.child.Type(ctx)}
		}
		return true
	})
	var outputs []sql.Expression
	for n := node; n != nil; {
		switch x := n.(type) {
		case *plan.Project:
			outputs = x.Projections
		case *plan.GroupBy:
			outputs = x.SelectDeps
		}
		if outputs != nil || len(n.Children()) != 1 {
			break
		}
		n = n.Children()[0]
	}
	out := map[int]pgType{}
	for i, e := range outputs {
		if al, ok := e.(*expression.Alias); ok {
			e = al.Child
		}
		if _, ok := e.(*expression.GetField); !ok && isInt2Expr(ctx, e) {
			out[i] = *int2Type
			continue
		}
		// GMS types integer literals past int4 but within uint32 as
		// unsigned, which result columns report as oid; PostgreSQL's are int8.
		if lit, ok := e.(*expression.Literal); ok {
			if _, ok := lit.Value().(uint32); ok {
				out[i] = *int8Type
				continue
			}
		}
		if len(aggs) == 0 {
			continue
		}
		var info aggInfo
		var found bool
		switch x := e.(type) {
		case *expression.GetField:
			info, found = aggs[strings.ToLower(x.Name())]
		case *pgSumAvg:
			info, found = aggInfo{avg: x.avg, child: x.child.Type(ctx)}, true
		case *window.Rank, *window.DenseRank:
			info, found = aggInfo{fixed: int8Type}, true
		case *window.NTile:
			info, found = aggInfo{fixed: int4Type}, true
		}
		if found && info.fixed != nil {
			out[i] = *info.fixed
			continue
		}
		if !found || info.child == nil {
			continue
		}
		numeric := pgType{OID: sqlengine.NumericOID, Size: -1, Typmod: -1, Scale: -1}
		switch {
		case info.child == types.Float32 && !info.avg:
			// sum(float4) is float4; GMS sums in double precision.
			out[i] = pgType{OID: sqlengine.Float4OID, Size: 4, Typmod: -1, Scale: -1}
		case types.IsFloat(info.child) && !types.IsDecimal(info.child):
			continue
		case info.avg && sumKindOf(info.child) == sumOther:
			continue
		case info.avg:
			// The value's exponent is the division's result scale.
			out[i] = numeric
		case types.IsDecimal(info.child):
			if dt, ok := info.child.(sql.DecimalType); ok && info.child != unconstrainedNumeric {
				numeric.Scale = int32(dt.Scale())
			}
			out[i] = numeric
		case types.IsInteger(info.child) && intWidth(info.child) <= 32:
			out[i] = pgType{OID: sqlengine.Int8OID, Size: 8, Typmod: -1, Scale: -1}
		case types.IsInteger(info.child):
			out[i] = numeric
		}
	}
	return out
}

// isInt2Expr reports whether e has PostgreSQL type int2. GMS gives integer
// literals from 128 to 32767 its int2 type too, so the type alone does not
// tell: e must be an int2 column, an int2 cast, int2 arithmetic, or pass an
// int2 argument through (nullif; lag, lead, first_value and last_value are
// matched by name in aggregateTypes).
func isInt2Expr(ctx *sql.Context, e sql.Expression) bool {
	if t := e.Type(ctx); t == nil || t.Type() != sqltypes.Int16 {
		return false
	}
	switch x := e.(type) {
	case *expression.GetField:
		return x.Table() != ""
	case *pgArith:
		return x.kind != kFallback && x.res == cInt2
	case *pgFunc:
		ct, ok := x.state.(*castTarget)
		return ok && ct.oid == sqlengine.Int2OID
	case *function.NullIf:
		return isInt2Expr(ctx, x.LeftChild)
	case *expression.Alias:
		return isInt2Expr(ctx, x.Child)
	}
	return false
}
