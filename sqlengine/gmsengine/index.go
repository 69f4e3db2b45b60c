package gmsengine

import (
	"math"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/memo"
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
	// tableIDs are the GMS table ids of the columns the predicates read.
	// GMS hands a table's lookup every conjunct that reads no other table
	// of the scope, outer columns of a correlated subquery included; those
	// are not this table's columns even when the names match, so
	// checkLookups drops a filter built on one (see foreignColumns).
	tableIDs []sql.TableId
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
		// PostgreSQL's float order: NaN equals NaN and is above every
		// number.
		y, _ := b.(float64)
		return compareFloats(x, y)
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
	if f.kind == kindFloat32 || f.kind == kindFloat64 {
		// Parquet statistics leave NaN out, which PostgreSQL orders above
		// every number: a row group whose max is 2 may hold a NaN > 3.
		// Only an upper bound alone can prune.
		if f.hi == nil || f.lo != nil || f.in != nil {
			return true
		}
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
	// Typed loops for the common key columns: no boxing per row, which
	// matters on a cached million-row row group probed for one key.
	switch a := arr.(type) {
	case *array.Int64:
		return selectOrdered(f, a, a.Int64Values()[:n], func(v int64) int64 { return v })
	case *array.Int32:
		return selectOrdered(f, a, a.Int32Values()[:n], func(v int32) int64 { return int64(v) })
	case *array.String:
		return f.selectStrings(a, n)
	}
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
	col     int
	tableID sql.TableId // of the column's GetField
	keys    []any
	op      string // "=", "<", "<=", ">", ">=", "in"
}

// columnOf returns the table column index a GetField refers to.
func (t *table) columnOf(e sql.Expression) int {
	gf, ok := e.(*expression.GetField)
	if !ok {
		return -1
	}
	return t.schema.IndexOfColName(gf.Name())
}

// predicateOf recognises col <op> constant comparisons.
func (t *table) predicateOf(ctx *sql.Context, e sql.Expression) (predicate, bool) {
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
		return t.inPredicate(ctx, e)
	default:
		return predicate{}, false
	}
	ch := e.Children()
	if len(ch) != 2 {
		return predicate{}, false
	}
	col, other, field := t.columnOf(ch[0]), ch[1], ch[0]
	if col < 0 {
		col, other, field, op = t.columnOf(ch[1]), ch[0], ch[1], flip[op]
	}
	if col < 0 {
		return predicate{}, false
	}
	kind := kindOf(t.t.Columns()[col].Type)
	v, ok := constValue(ctx, other)
	if !ok {
		return predicate{}, false
	}
	key, ok := filterKey(v, kind)
	if !ok {
		return predicate{}, false
	}
	return predicate{col: col, tableID: tableIDOf(field), keys: []any{key}, op: op}, true
}

func (t *table) inPredicate(ctx *sql.Context, e sql.Expression) (predicate, bool) {
	ch := e.Children()
	if len(ch) != 2 {
		return predicate{}, false
	}
	col := t.columnOf(ch[0])
	if col < 0 {
		return predicate{}, false
	}
	kind := kindOf(t.t.Columns()[col].Type)
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
	return predicate{col: col, tableID: tableIDOf(ch[0]), keys: keys, op: "in"}, true
}

// tableIDOf returns the table id of a GetField.
func tableIDOf(e sql.Expression) sql.TableId {
	if gf, ok := e.(*expression.GetField); ok {
		return gf.TableId()
	}
	return 0
}

// addPredicate narrows f by p (same column).
func (f *scanFilter) addPredicate(p predicate) {
	if !slices.Contains(f.tableIDs, p.tableID) {
		f.tableIDs = append(f.tableIDs, p.tableID)
	}
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

// LookupForExpressions turns the AND-ed filter predicates on one column (the
// key column when it has any) into a row-group-pruning lookup.
func (t *table) LookupForExpressions(ctx *sql.Context, exprs ...sql.Expression) (sql.IndexLookup, *sql.FuncDepSet, sql.Expression, bool, error) {
	byCol := map[int][]predicate{}
	for _, e := range exprs {
		if p, ok := t.predicateOf(ctx, e); ok {
			byCol[p.col] = append(byCol[p.col], p)
		}
	}
	if len(byCol) == 0 {
		return sql.IndexLookup{}, nil, nil, false, nil
	}
	col := -1
	if _, ok := byCol[t.t.KeyColumn()]; ok {
		col = t.t.KeyColumn()
	} else {
		for c := range byCol {
			if col < 0 || c < col {
				col = c
			}
		}
	}
	f := &scanFilter{col: col, kind: kindOf(t.t.Columns()[col].Type)}
	for _, p := range byCol[col] {
		f.addPredicate(p)
	}
	idx := &pruneIndex{t: t, filter: f}
	return sql.IndexLookup{Index: idx, Ranges: sql.MySQLRangeCollection{}}, nil, expression.JoinAnd(exprs...), true, nil
}

// SkipIndexCosting keeps GMS from costing indexes the table does not have.
func (t *table) SkipIndexCosting() bool { return true }

// GetIndexes returns no real indexes: pruning goes through LookupForExpressions.
func (t *table) GetIndexes(*sql.Context) ([]sql.Index, error) { return nil, nil }

// PreciseMatch is false: GMS must re-check every row.
func (t *table) PreciseMatch() bool { return false }

// IndexedAccess returns the table restricted by a pruning lookup.
func (t *table) IndexedAccess(_ *sql.Context, lookup sql.IndexLookup) sql.IndexedTable {
	nt := *t
	if pi, ok := lookup.Index.(*pruneIndex); ok {
		nt.filter = pi.filter
	}
	return &nt
}

// LookupPartitions returns the row groups a lookup may match.
func (t *table) LookupPartitions(ctx *sql.Context, lookup sql.IndexLookup) (sql.PartitionIter, error) {
	nt := t
	if pi, ok := lookup.Index.(*pruneIndex); ok && t.filter == nil {
		c := *t
		c.filter = pi.filter
		nt = &c
	}
	return nt.Partitions(ctx)
}

// pruneIndex is the sql.Index carried by a pruning lookup.
type pruneIndex struct {
	t      *table
	filter *scanFilter
}

var _ sql.Index = (*pruneIndex)(nil)

func (i *pruneIndex) colName() string { return i.t.schema[i.filter.col].Name }

// ID names the index after its column.
func (i *pruneIndex) ID() string { return "pqsql_minmax_" + i.colName() }

// Database returns the database name.
func (i *pruneIndex) Database() string { return i.t.db }

// Table returns the table name.
func (i *pruneIndex) Table() string { return i.t.name }

// Expressions names the indexed column.
func (i *pruneIndex) Expressions() []string { return []string{i.t.name + "." + i.colName()} }

// IsUnique is false.
func (i *pruneIndex) IsUnique() bool { return false }

// IsSpatial is false.
func (i *pruneIndex) IsSpatial() bool { return false }

// IsFullText is false.
func (i *pruneIndex) IsFullText() bool { return false }

// IsVector is false.
func (i *pruneIndex) IsVector() bool { return false }

// Comment is empty.
func (i *pruneIndex) Comment() string { return "" }

// IndexType describes the index.
func (i *pruneIndex) IndexType() string { return "MINMAX" }

// IsGenerated is false.
func (i *pruneIndex) IsGenerated() bool { return false }

// ColumnExpressionTypes describes the indexed column.
func (i *pruneIndex) ColumnExpressionTypes(*sql.Context) []sql.ColumnExpressionType {
	return []sql.ColumnExpressionType{{Expression: i.Expressions()[0], Type: i.t.schema[i.filter.col].Type}}
}

// CanSupport accepts any ranges: the lookup carries its own filter.
func (i *pruneIndex) CanSupport(*sql.Context, ...sql.Range) bool { return true }

// CanSupportOrderBy is false: row groups are not sorted.
func (i *pruneIndex) CanSupportOrderBy(sql.Expression) bool { return false }

// PrefixLengths is nil.
func (i *pruneIndex) PrefixLengths() []uint16 { return nil }

// joinCoster is GMS's coster with two corrections for joins of pqsql
// tables, which GMS otherwise plans as nested loops.
//
// GMS estimates every IndexSearchable lookup at one row, whatever the
// table's size, and a filter above it at 0.85 of that: zero rows. Joining two
// such inputs, its cardinality estimate divides by a distinct count of zero
// and overflows to 2^63 rows, which prices every hash join out; and at one
// row per side a nested loop looks cheapest anyway. But a nested loop reads
// its right side once per left row, and our lookups are imprecise (row-group
// pruning), so each of those reads decodes whole row groups: quadratic in
// the table size, minutes for a 100,000-row self-join on its key.
//
// So joinCoster caps a join's estimate at the product of its inputs, and
// charges a nested loop a read of its right side's pqsql tables per left
// row, counting at least as many left rows as its left pqsql tables have.
// GMS then picks a hash join, which reads each side once, wherever the join
// has an equality to hash on. Lookups outside joins keep their pruning.
type joinCoster struct {
	memo.Coster
}

// GMS's cost factors (sql/memo/coster.go, unexported there).
const (
	seqIOCostFactor = 1
	cpuCostFactor   = 0.01
	memCostFactor   = 2
)

// EstimateCost returns GMS's estimate, corrected for joins as described on
// joinCoster.
func (c joinCoster) EstimateCost(ctx *sql.Context, r memo.RelExpr, s sql.StatsProvider) (float64, error) {
	cost, err := c.Coster.EstimateCost(ctx, r, s)
	if err != nil {
		return cost, err
	}
	j, ok := r.(memo.JoinRel)
	if !ok {
		return cost, nil
	}
	jp := j.JoinPrivate()
	left := math.Max(1, float64(jp.Left.RelProps.GetStats().RowCount()))
	right := math.Max(1, float64(jp.Right.RelProps.GetStats().RowCount()))
	switch {
	case jp.Op.IsHash() && !jp.Op.IsPartial():
		card := float64(j.Group().RelProps.GetStats().RowCount())
		if card <= left*right {
			return cost, nil
		}
		// GMS's formula for hash joins, with the cardinality capped.
		return left*(seqIOCostFactor+cpuCostFactor) + right*(seqIOCostFactor+memCostFactor) + left*right*cpuCostFactor, nil
	case jp.Op.IsPhysical() || jp.Op.IsHash():
		// Hash, merge, lookup and range-heap joins do not read their right
		// side once per left row.
		return cost, nil
	}
	// The left side's estimate may be one of those one-row guesses too.
	loops := math.Max(left, float64(pqsqlRows(jp.Left)))
	return cost + loops*float64(pqsqlRows(jp.Right)), nil
}

// pqsqlRows returns the rows of the pqsql tables that group g reads, hidden
// rows included: a scan decodes them too.
func pqsqlRows(g *memo.ExprGroup) uint64 {
	var n uint64
	for _, tn := range g.RelProps.TableIdNodes() {
		var node sql.Node = tn
		if a, ok := node.(*plan.TableAlias); ok {
			node = a.Child
		}
		rt, ok := node.(sql.TableNode)
		if !ok {
			continue
		}
		if t, ok := rt.UnderlyingTable().(*table); ok {
			n += uint64(t.t.RawRowCount())
		}
	}
	return n
}

// selectOrdered is selectRows for integer columns: the bounds and the IN set
// are converted to int64 once, then the loop compares plain integers.
func selectOrdered[T int32 | int64](f *scanFilter, nulls arrow.Array, vals []T, widen func(T) int64) []int {
	sel := make([]int, 0, 16)
	if f.none {
		return sel
	}
	lo, hi, ok := f.intBounds()
	if !ok {
		for i, v := range vals {
			if !nulls.IsNull(i) && f.matches(widen(v)) {
				sel = append(sel, i)
			}
		}
		return sel
	}
	var set map[int64]struct{}
	if f.in != nil {
		set = make(map[int64]struct{}, len(f.in))
		for k := range f.in {
			if x, isInt := k.(int64); isInt {
				set[x] = struct{}{}
			}
		}
	}
	hasNulls := nulls.NullN() > 0
	for i, v := range vals {
		x := widen(v)
		if x < lo || x > hi {
			continue
		}
		if set != nil {
			if _, in := set[x]; !in {
				continue
			}
		}
		if hasNulls && nulls.IsNull(i) {
			continue
		}
		sel = append(sel, i)
	}
	return sel
}

// intBounds returns the filter's range as inclusive int64 bounds, or false
// when a bound is not an integer (then the generic comparison is used).
func (f *scanFilter) intBounds() (lo, hi int64, ok bool) {
	lo, hi = math.MinInt64, math.MaxInt64
	if f.lo != nil {
		x, isInt := f.lo.key.(int64)
		if !isInt {
			return 0, 0, false
		}
		if !f.lo.inclusive {
			if x == math.MaxInt64 {
				return 1, 0, true // empty range
			}
			x++
		}
		lo = x
	}
	if f.hi != nil {
		x, isInt := f.hi.key.(int64)
		if !isInt {
			return 0, 0, false
		}
		if !f.hi.inclusive {
			if x == math.MinInt64 {
				return 1, 0, true
			}
			x--
		}
		hi = x
	}
	return lo, hi, true
}

// selectStrings is selectRows for text columns, without boxing each value.
func (f *scanFilter) selectStrings(a *array.String, n int) []int {
	sel := make([]int, 0, 16)
	if f.none {
		return sel
	}
	var set map[string]struct{}
	if f.in != nil {
		set = make(map[string]struct{}, len(f.in))
		for k := range f.in {
			if x, isStr := k.(string); isStr {
				set[x] = struct{}{}
			}
		}
	}
	var lo, hi *string
	if f.lo != nil {
		x, isStr := f.lo.key.(string)
		if !isStr {
			return f.selectGeneric(a, n)
		}
		lo = &x
	}
	if f.hi != nil {
		x, isStr := f.hi.key.(string)
		if !isStr {
			return f.selectGeneric(a, n)
		}
		hi = &x
	}
	for i := 0; i < n; i++ {
		if a.IsNull(i) {
			continue
		}
		v := a.Value(i)
		if set != nil {
			if _, in := set[v]; !in {
				continue
			}
		}
		if lo != nil {
			if c := strings.Compare(v, *lo); c < 0 || c == 0 && !f.lo.inclusive {
				continue
			}
		}
		if hi != nil {
			if c := strings.Compare(v, *hi); c > 0 || c == 0 && !f.hi.inclusive {
				continue
			}
		}
		sel = append(sel, i)
	}
	return sel
}

// selectGeneric is the boxed comparison, for keys of unexpected types.
func (f *scanFilter) selectGeneric(a *array.String, n int) []int {
	sel := make([]int, 0, 16)
	for i := 0; i < n; i++ {
		if !a.IsNull(i) && f.matches(a.Value(i)) {
			sel = append(sel, i)
		}
	}
	return sel
}

// checkLookups disables the pruning filters of node's lookups that were
// built on a column of another table: GMS passes LookupForExpressions the
// conjuncts of a filter over the table, which in a correlated subquery
// include predicates on the outer query's columns, and identifies columns
// by table id only on the GetField, which LookupForExpressions cannot
// compare with the table's own id. A disabled filter lets every row
// through; GMS re-checks the predicates anyway.
func checkLookups(ctx *sql.Context, node sql.Node) {
	inspectAll(ctx, node, func(n sql.Node) {
		ita, ok := n.(*plan.IndexedTableAccess)
		if !ok {
			return
		}
		t, ok := ita.Table.(*table)
		if !ok || t.filter == nil {
			return
		}
		id := ita.Id()
		for _, tid := range t.filter.tableIDs {
			if tid != id {
				t.filter.disable()
				return
			}
		}
	})
}

// disable makes f match every row.
func (f *scanFilter) disable() {
	f.in, f.lo, f.hi, f.none = nil, nil, nil, false
}

// inspectAll calls fn on every node of n, including the plans of subquery
// expressions, which node walks do not enter.
func inspectAll(ctx *sql.Context, n sql.Node, fn func(sql.Node)) {
	transform.InspectWithOpaque(ctx, n, func(ctx *sql.Context, n sql.Node) bool {
		fn(n)
		if ex, ok := n.(sql.Expressioner); ok {
			for _, e := range ex.Expressions() {
				transform.InspectExpr(ctx, e, func(ctx *sql.Context, e sql.Expression) bool {
					if sq, ok := e.(*plan.Subquery); ok {
						inspectAll(ctx, sq.Query, fn)
					}
					return false
				})
			}
		}
		return true
	})
}
