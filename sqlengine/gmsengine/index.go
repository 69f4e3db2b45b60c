package gmsengine

import (
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"

	"github.com/pqsql/pqsql/tables"
)

// scanFilter is a conjunction of predicates on one column, used to skip row
// groups by their min/max statistics and to drop non-matching rows before
// they are boxed. It is imprecise: GMS re-checks every returned row.
type scanFilter struct {
	col  int
	kind valueKind
	// in is the set of allowed values (equality and IN), nil for no set.
	in map[any]struct{}
	// lo and hi bound the values; nil means unbounded.
	lo, hi *bound
	// none is set when the predicates contradict: nothing matches.
	none bool
}

// bound is one end of a range of comparable keys.
type bound struct {
	key       any
	inclusive bool
}

// filterKey converts a constant to the comparable key of a column kind:
// int64 for integer and date/time columns (microseconds), float64 for floats,
// string for text. ok is false when the constant has no exact key.
func filterKey(v any, kind valueKind) (any, bool) {
	switch kind {
	case kindInt16, kindInt32, kindInt64:
		switch v.(type) {
		case int8, int16, int32, int64, uint8, uint16, uint32, int:
			n, err := toInt64(v)
			return n, err == nil
		}
	case kindFloat32, kindFloat64:
		switch v.(type) {
		case float64, float32, int8, int16, int32, int64:
			f, err := toFloat64(v)
			if kind == kindFloat32 {
				f = float64(float32(f))
			}
			return f, err == nil
		}
	case kindText:
		s, ok := v.(string)
		return s, ok
	case kindDate, kindTimestamp:
		if t, ok := v.(time.Time); ok {
			return t.UnixMicro(), true
		}
	}
	return nil, false
}

// statKey converts a statistics value (tables.Stats) to a key.
func statKey(v any) any {
	if t, ok := v.(time.Time); ok {
		return t.UnixMicro()
	}
	return v
}

// compareKeys orders two keys of the same kind.
func compareKeys(a, b any) int {
	switch x := a.(type) {
	case int64:
		y, _ := b.(int64)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	case float64:
		y, _ := b.(float64)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	case string:
		y, _ := b.(string)
		return strings.Compare(x, y)
	}
	return 0
}

// inRange reports whether key satisfies the bounds.
func (f *scanFilter) inRange(key any) bool {
	if f.lo != nil {
		c := compareKeys(key, f.lo.key)
		if c < 0 || c == 0 && !f.lo.inclusive {
			return false
		}
	}
	if f.hi != nil {
		c := compareKeys(key, f.hi.key)
		if c > 0 || c == 0 && !f.hi.inclusive {
			return false
		}
	}
	return true
}

func (f *scanFilter) matches(key any) bool {
	if f.none {
		return false
	}
	if f.in != nil {
		if _, ok := f.in[key]; !ok {
			return false
		}
	}
	return f.inRange(key)
}

// mayMatch reports whether row group rg can hold a matching row.
func (f *scanFilter) mayMatch(t *tables.Snapshot, rg tables.RowGroup) bool {
	if f.none {
		return false
	}
	st := t.Stats(rg, f.col)
	if !st.HasMinMax {
		return true
	}
	lo, hi := statKey(st.Min), statKey(st.Max)
	if compareKeys(lo, hi) > 0 {
		return true // inconsistent statistics: do not trust them
	}
	// The row group's range [lo, hi] must meet the filter's range.
	if f.lo != nil {
		c := compareKeys(hi, f.lo.key)
		if c < 0 || c == 0 && !f.lo.inclusive {
			return false
		}
	}
	if f.hi != nil {
		c := compareKeys(lo, f.hi.key)
		if c > 0 || c == 0 && !f.hi.inclusive {
			return false
		}
	}
	if f.in != nil {
		for k := range f.in {
			if compareKeys(k, lo) >= 0 && compareKeys(k, hi) <= 0 && f.inRange(k) {
				return true
			}
		}
		return false
	}
	return true
}

// selectRows returns the indexes of the rows of arr that may match.
func (f *scanFilter) selectRows(arr arrow.Array, kind valueKind, n int) []int {
	sel := make([]int, 0, 16)
	for i := 0; i < n; i++ {
		if arr.IsNull(i) {
			continue
		}
		var key any
		switch a := arr.(type) {
		case *array.Int16:
			key = int64(a.Value(i))
		case *array.Int32:
			key = int64(a.Value(i))
		case *array.Int64:
			key = a.Value(i)
		case *array.Float32:
			key = float64(a.Value(i))
		case *array.Float64:
			key = a.Value(i)
		case *array.String:
			key = a.Value(i)
		case *array.Date32:
			key = int64(a.Value(i)) * 86400 * 1000000
		case *array.Timestamp:
			key = timestampValue(int64(a.Value(i)), a.DataType().(*arrow.TimestampType).Unit).UnixMicro()
		default:
			sel = append(sel, i) // not filterable here: let GMS decide
			continue
		}
		if f.matches(key) {
			sel = append(sel, i)
		}
	}
	return sel
}

// constValue evaluates e if it is a constant expression.
func constValue(ctx *sql.Context, e sql.Expression) (any, bool) {
	if !isConstant(e) {
		return nil, false
	}
	v, err := e.Eval(ctx, nil)
	if err != nil || v == nil {
		return nil, false
	}
	return v, true
}

func isConstant(e sql.Expression) bool {
	switch x := e.(type) {
	case *expression.Literal:
		return true
	case *expression.GetField, *expression.BindVar, *plan.Subquery:
		return false
	case sql.NonDeterministicExpression:
		if x.IsNonDeterministic() {
			return false
		}
	}
	ch := e.Children()
	if len(ch) == 0 {
		return false
	}
	for _, c := range ch {
		if !isConstant(c) {
			return false
		}
	}
	return true
}

// predicate is one usable comparison of a column with constants.
type predicate struct {
	col  int
	keys []any
	op   string // "=", "<", "<=", ">", ">=", "in"
}

// scanTarget is one occurrence of a table in a plan: the table and the name
// and id its column references carry (its alias, if any).
type scanTarget struct {
	t    *table
	name string
	id   sql.TableId
}

// columnOf returns the table column index e refers to, -1 when e is not a
// column of this occurrence of the table. A filter placed above a table can
// also reference an outer query's columns (correlated subqueries), which may
// share a column name: those are not constants and must not prune.
func (st scanTarget) columnOf(e sql.Expression) int {
	gf, ok := e.(*expression.GetField)
	if !ok {
		return -1
	}
	if gf.TableId() != 0 && st.id != 0 {
		if gf.TableId() != st.id {
			return -1
		}
	} else if !strings.EqualFold(gf.Table(), st.name) {
		return -1
	}
	return st.t.schema.IndexOfColName(gf.Name())
}

// predicateOf recognises col <op> constant comparisons.
func (st scanTarget) predicateOf(ctx *sql.Context, e sql.Expression) (predicate, bool) {
	flip := map[string]string{"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "="}
	var op string
	switch e.(type) {
	case *expression.Equals:
		op = "="
	case *expression.LessThan:
		op = "<"
	case *expression.LessThanOrEqual:
		op = "<="
	case *expression.GreaterThan:
		op = ">"
	case *expression.GreaterThanOrEqual:
		op = ">="
	case *expression.InTuple, *expression.HashInTuple:
		return st.inPredicate(ctx, e)
	default:
		return predicate{}, false
	}
	ch := e.Children()
	if len(ch) != 2 {
		return predicate{}, false
	}
	col, other := st.columnOf(ch[0]), ch[1]
	if col < 0 {
		col, other, op = st.columnOf(ch[1]), ch[0], flip[op]
	}
	if col < 0 {
		return predicate{}, false
	}
	kind := kindOf(st.t.t.Columns()[col].Type)
	v, ok := constValue(ctx, other)
	if !ok {
		return predicate{}, false
	}
	key, ok := filterKey(v, kind)
	if !ok {
		return predicate{}, false
	}
	return predicate{col: col, keys: []any{key}, op: op}, true
}

func (st scanTarget) inPredicate(ctx *sql.Context, e sql.Expression) (predicate, bool) {
	ch := e.Children()
	if len(ch) != 2 {
		return predicate{}, false
	}
	col := st.columnOf(ch[0])
	if col < 0 {
		return predicate{}, false
	}
	kind := kindOf(st.t.t.Columns()[col].Type)
	tuple, ok := ch[1].(expression.Tuple)
	if !ok {
		return predicate{}, false
	}
	keys := make([]any, 0, len(tuple))
	for _, el := range tuple {
		v, ok := constValue(ctx, el)
		if !ok {
			if lit, isLit := el.(*expression.Literal); isLit && lit.Value() == nil {
				continue // NULL in an IN list matches nothing
			}
			return predicate{}, false
		}
		key, ok := filterKey(v, kind)
		if !ok {
			return predicate{}, false
		}
		keys = append(keys, key)
	}
	return predicate{col: col, keys: keys, op: "in"}, true
}

// addPredicate narrows f by p (same column).
func (f *scanFilter) addPredicate(p predicate) {
	switch p.op {
	case "=", "in":
		set := make(map[any]struct{}, len(p.keys))
		for _, k := range p.keys {
			if f.in == nil {
				set[k] = struct{}{}
			} else if _, ok := f.in[k]; ok {
				set[k] = struct{}{}
			}
		}
		f.in = set
		if len(set) == 0 {
			f.none = true
		}
	case ">", ">=":
		b := &bound{key: p.keys[0], inclusive: p.op == ">="}
		if f.lo == nil || compareKeys(b.key, f.lo.key) > 0 || compareKeys(b.key, f.lo.key) == 0 && !b.inclusive {
			f.lo = b
		}
	case "<", "<=":
		b := &bound{key: p.keys[0], inclusive: p.op == "<="}
		if f.hi == nil || compareKeys(b.key, f.hi.key) < 0 || compareKeys(b.key, f.hi.key) == 0 && !b.inclusive {
			f.hi = b
		}
	}
}

// filterFor turns the AND-ed predicates exprs into a row-group-pruning
// filter on one column: the key column when it has any predicate, else the
// first column that has one. It returns nil when no predicate is usable.
func (st scanTarget) filterFor(ctx *sql.Context, exprs []sql.Expression) *scanFilter {
	byCol := map[int][]predicate{}
	for _, e := range exprs {
		if p, ok := st.predicateOf(ctx, e); ok {
			byCol[p.col] = append(byCol[p.col], p)
		}
	}
	if len(byCol) == 0 {
		return nil
	}
	col := -1
	if _, ok := byCol[st.t.t.KeyColumn()]; ok {
		col = st.t.t.KeyColumn()
	} else {
		for c := range byCol {
			if col < 0 || c < col {
				col = c
			}
		}
	}
	f := &scanFilter{col: col, kind: kindOf(st.t.t.Columns()[col].Type)}
	for _, p := range byCol[col] {
		f.addPredicate(p)
	}
	return f
}

// Row-group pruning is applied by an analyzer rule that runs after GMS has
// planned joins, not through GMS's index interfaces (IndexAddressableTable,
// IndexSearchable). GMS costs every IndexSearchable lookup as one row, so
// any join with a filtered side of a pqsql table became a nested-loop join
// that rescans, and decodes, the inner side once per outer row: quadratic in
// the table size (minutes for a 100,000-row self-join). Without indexes, GMS
// costs tables by their exact row counts (RowCount) and chooses hash joins,
// which read each side once; the rule then prunes each side's row groups by
// the constant predicates GMS pushed right above it. The filter stays in the
// plan: pruning is imprecise and GMS re-checks every row.

// pruneRuleID identifies pushPruning among the analyzer rules; GMS's own
// rule ids are small, so this one cannot collide with them.
const pruneRuleID analyzer.RuleId = 1 << 20

// pushPruning attaches a scanFilter to every pqsql table directly under a
// Filter, in the whole plan including subqueries. It is idempotent: a table
// that already has a filter is left alone.
func pushPruning(ctx *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	return prunePlan(ctx, n)
}

func prunePlan(ctx *sql.Context, n sql.Node) (sql.Node, transform.TreeIdentity, error) {
	n, sameNodes, err := transform.NodeWithOpaque(ctx, n, func(ctx *sql.Context, n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		f, ok := n.(*plan.Filter)
		if !ok {
			return n, transform.SameTree, nil
		}
		child, same := pruneSource(ctx, f.Child, expression.SplitConjunction(ctx, f.Expression))
		if same {
			return n, transform.SameTree, nil
		}
		nf, err := f.WithChildren(ctx, child)
		return nf, transform.NewTree, err
	})
	if err != nil {
		return nil, transform.SameTree, err
	}
	// Subquery expressions hold plans of their own, which node transforms
	// do not enter.
	n, sameExprs, err := transform.NodeExprsWithOpaque(ctx, n, func(ctx *sql.Context, e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
		sq, ok := e.(*plan.Subquery)
		if !ok {
			return e, transform.SameTree, nil
		}
		q, same, err := prunePlan(ctx, sq.Query)
		if err != nil || same {
			return e, transform.SameTree, err
		}
		return sq.WithQuery(q), transform.NewTree, nil
	})
	if err != nil {
		return nil, transform.SameTree, err
	}
	return n, sameNodes && sameExprs, nil
}

// pruneSource returns src, a table or an aliased table, reading only the row
// groups the predicates exprs may match; same reports that src is unchanged.
func pruneSource(ctx *sql.Context, src sql.Node, exprs []sql.Expression) (sql.Node, bool) {
	alias, _ := src.(*plan.TableAlias)
	node := src
	if alias != nil {
		node = alias.Child
	}
	rt, ok := node.(*plan.ResolvedTable)
	if !ok {
		return src, true
	}
	t, ok := rt.Table.(*table)
	if !ok || t.filter != nil {
		return src, true
	}
	target := scanTarget{t: t, name: rt.Name(), id: rt.Id()}
	if alias != nil {
		target.name, target.id = alias.Name(), alias.Id()
	}
	f := target.filterFor(ctx, exprs)
	if f == nil {
		return src, true
	}
	nt := *t
	nt.filter = f
	nrt, err := rt.WithTable(ctx, &nt)
	if err != nil {
		return src, true // pruning is an optimisation: scan everything
	}
	if alias == nil {
		return nrt, false
	}
	na, err := alias.WithChildren(ctx, nrt)
	if err != nil {
		return src, true
	}
	return na, false
}
