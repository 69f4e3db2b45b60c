package gmsengine

import (
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function/aggregation"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/pqsql/pqsql/sqlengine"
)

// aggregateTypes corrects the result types of sum() and avg(). GMS types them
// double precision whatever their argument; PostgreSQL's sum of int2/int4 is
// int8, of int8 and numeric is numeric, and avg of integers and numeric is
// numeric. It returns the PostgreSQL type of each output column that is such
// an aggregate, by column index.
func aggregateTypes(ctx *sql.Context, node sql.Node) map[int]pgType {
	type aggInfo struct {
		avg   bool
		child sql.Type
	}
	aggs := map[string]aggInfo{}
	transform.InspectExpressions(ctx, node, func(ctx *sql.Context, e sql.Expression) bool {
		switch a := e.(type) {
		case *aggregation.Sum:
			aggs[strings.ToLower(plan.AliasSubqueryString(a))] = aggInfo{child: a.Child.Type(ctx)}
		case *aggregation.Avg:
			aggs[strings.ToLower(plan.AliasSubqueryString(a))] = aggInfo{avg: true, child: a.Child.Type(ctx)}
		}
		return true
	})
	if len(aggs) == 0 {
		return nil
	}
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
		var info aggInfo
		var found bool
		switch x := e.(type) {
		case *expression.GetField:
			info, found = aggs[strings.ToLower(x.Name())]
		case *aggregation.Sum:
			info, found = aggInfo{child: x.Child.Type(ctx)}, true
		case *aggregation.Avg:
			info, found = aggInfo{avg: true, child: x.Child.Type(ctx)}, true
		}
		if !found || info.child == nil {
			continue
		}
		numeric := pgType{OID: sqlengine.NumericOID, Size: -1, Typmod: -1, Scale: -1}
		switch {
		case types.IsFloat(info.child) && !types.IsDecimal(info.child):
			continue
		case info.avg:
			numeric.Scale = 16
			if dt, ok := info.child.(sql.DecimalType); ok && int32(dt.Scale()) > 16 {
				numeric.Scale = int32(dt.Scale())
			}
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
