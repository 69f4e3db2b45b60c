package gmsengine

import (
	"fmt"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function/aggregation"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"

	"github.com/pqsql/pqsql/sqlengine"
)

// sumKind is how a sum() or avg() accumulates, decided by its argument's
// type as PostgreSQL's aggregate resolution decides it.
type sumKind int

const (
	// sumOther delegates to GMS's aggregate (intervals, NULL, text).
	sumOther sumKind = iota
	// sumInt is an int2 or int4 argument: an int8 sum.
	sumInt
	// sumBigint is an int8 argument: an exact numeric sum.
	sumBigint
	// sumNumeric is a numeric argument.
	sumNumeric
	// sumFloat4 and sumFloat8 are float arguments. sum(float4) is float4,
	// added in single precision; avg(float4) is float8.
	sumFloat4
	sumFloat8
)

// pgSumAvg is sum() or avg() with PostgreSQL's result types and arithmetic,
// both as an aggregate and as a window function. GMS's own sums in double
// precision whatever the argument, so sum(int8) loses digits past 2^53 and
// avg(int) and avg(numeric) come out rounded; PostgreSQL's sum of int2 and
// int4 is int8, of int8 and numeric an exact numeric, and avg of integers
// and numeric is the exact sum divided by the count with numeric division's
// result scale. A frame or group of only NULLs gives NULL.
type pgSumAvg struct {
	avg    bool
	child  sql.Expression
	window *sql.WindowDefinition
	id     sql.ColumnId
}

var (
	_ sql.Aggregation               = (*pgSumAvg)(nil)
	_ sql.WindowAdaptableExpression = (*pgSumAvg)(nil)
	_ sql.FunctionExpression        = (*pgSumAvg)(nil)
)

// sumAvgFunctions returns sum and avg, which replace GMS's built-ins of the
// same names (the provider's functions are looked up first).
func sumAvgFunctions() map[string]sql.Function {
	mk := func(name string, avg bool) sql.Function {
		return sql.Function1{Name: name, Fn: func(_ *sql.Context, e sql.Expression) sql.Expression {
			return &pgSumAvg{avg: avg, child: e}
		}}
	}
	return map[string]sql.Function{"sum": mk("sum", false), "avg": mk("avg", true)}
}

// kind classifies the argument.
func (a *pgSumAvg) kind(ctx *sql.Context) sumKind {
	return sumKindOf(a.child.Type(ctx))
}

func sumKindOf(t sql.Type) sumKind {
	switch {
	case t == nil:
		return sumOther
	case types.IsDecimal(t):
		return sumNumeric
	case types.IsInteger(t) && intWidth(t) <= 32:
		return sumInt
	case types.IsInteger(t):
		return sumBigint
	case t == types.Float32:
		return sumFloat4
	case types.IsFloat(t):
		return sumFloat8
	}
	return sumOther
}

// FunctionName returns the function's name.
func (a *pgSumAvg) FunctionName() string {
	if a.avg {
		return "avg"
	}
	return "sum"
}

// Description describes the function.
func (a *pgSumAvg) Description() string {
	return "PostgreSQL aggregate " + a.FunctionName()
}

// Type returns the result type: int8 for sum of int2 and int4, numeric for
// sums of int8 and numeric and averages of integers and numeric, float4
// for sum(float4), float8 for the other float aggregates.
func (a *pgSumAvg) Type(ctx *sql.Context) sql.Type {
	k := a.kind(ctx)
	switch {
	case k == sumOther:
		if a.avg {
			return types.Float64
		}
		return a.child.Type(ctx)
	case k == sumFloat4 && !a.avg:
		return types.Float32
	case k == sumFloat4 || k == sumFloat8:
		return types.Float64
	case k == sumInt && !a.avg:
		return types.Int64
	}
	return unconstrainedNumeric
}

// IsNullable reports that the result may be NULL.
func (a *pgSumAvg) IsNullable(*sql.Context) bool { return true }

// String renders the call as GMS renders its own sum and avg, so that
// column names and the planner's references to the aggregate agree.
func (a *pgSumAvg) String() string {
	name := "SUM"
	if a.avg {
		name = "AVG"
	}
	if a.window != nil {
		pr := sql.NewTreePrinter()
		_ = pr.WriteNode("%s", name)
		_ = pr.WriteChildren(a.window.String(), a.child.String())
		return pr.String()
	}
	return name + "(" + a.child.String() + ")"
}

// Resolved reports whether the argument and the window are resolved.
func (a *pgSumAvg) Resolved() bool {
	for _, e := range a.Children() {
		if !e.Resolved() {
			return false
		}
	}
	return true
}

// Children returns the argument followed by the window's expressions.
func (a *pgSumAvg) Children() []sql.Expression {
	children := []sql.Expression{a.child}
	if a.window != nil {
		children = append(children, a.window.ToExpressions()...)
	}
	return children
}

// WithChildren returns the aggregate with new children, as Children
// lists them.
func (a *pgSumAvg) WithChildren(ctx *sql.Context, children ...sql.Expression) (sql.Expression, error) {
	if len(children) < 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(a, len(children), 1)
	}
	na := *a
	na.child = children[0]
	if len(children) > 1 && a.window != nil {
		w, err := a.window.FromExpressions(ctx, children[1:])
		if err != nil {
			return nil, err
		}
		na.window = w
	}
	return &na, nil
}

// Eval fails: aggregates are computed by their buffers.
func (a *pgSumAvg) Eval(*sql.Context, sql.Row) (any, error) {
	return nil, fmt.Errorf("%s: an aggregate cannot be evaluated per row", a.FunctionName())
}

// Id returns the column id the planner assigned.
func (a *pgSumAvg) Id() sql.ColumnId { return a.id }

// WithId returns the aggregate with a column id.
func (a *pgSumAvg) WithId(id sql.ColumnId) sql.IdExpression {
	na := *a
	na.id = id
	return &na
}

// Window returns the window definition, nil for a plain aggregate.
func (a *pgSumAvg) Window() *sql.WindowDefinition { return a.window }

// WithWindow returns the aggregate over a window.
func (a *pgSumAvg) WithWindow(_ *sql.Context, w *sql.WindowDefinition) sql.WindowAdaptableExpression {
	na := *a
	na.window = w
	return &na
}

// evaluation returns a copy of the argument for one evaluation (a group or
// a window), and the kind of sum it takes.
func (a *pgSumAvg) evaluation(ctx *sql.Context) (sql.Expression, sumKind, error) {
	child, err := transform.Clone(ctx, a.child)
	if err != nil {
		return nil, 0, err
	}
	return child, a.kind(ctx), nil
}

// NewBuffer returns a buffer for one group.
func (a *pgSumAvg) NewBuffer(ctx *sql.Context) (sql.AggregationBuffer, error) {
	child, k, err := a.evaluation(ctx)
	if err != nil {
		return nil, err
	}
	if k == sumOther {
		if a.avg {
			return aggregation.NewAvgBuffer(child), nil
		}
		return aggregation.NewSumBuffer(child), nil
	}
	return &sumAvgBuffer{expr: child, acc: sumAcc{kind: k, avg: a.avg}}, nil
}

// NewWindowFunction returns the aggregate as a window function.
func (a *pgSumAvg) NewWindowFunction(ctx *sql.Context) (sql.WindowFunction, error) {
	child, k, err := a.evaluation(ctx)
	if err != nil {
		return nil, err
	}
	if k == sumOther {
		if a.avg {
			return aggregation.NewAvgAgg(child).WithWindow(ctx, a.window)
		}
		return aggregation.NewSumAgg(child).WithWindow(ctx, a.window)
	}
	w := &sumAvgWindow{expr: child, acc: sumAcc{kind: k, avg: a.avg}}
	if a.window != nil && a.window.Frame != nil {
		framer, err := a.window.Frame.NewFramer(a.window)
		if err != nil {
			return nil, err
		}
		w.framer = framer
	}
	return w, nil
}

// sumAcc accumulates a sum and the count of its non-NULL inputs.
type sumAcc struct {
	kind sumKind
	avg  bool
	// n counts the non-NULL inputs.
	n int64
	// i is the integer sum (sumInt, and sumBigint until it overflows int64).
	i int64
	// d is the numeric sum (sumNumeric), or the part of an int8 sum that
	// overflowed i.
	d decimal.Decimal
	// f is the float sum.
	f float64
	// f4 is the float4 sum, added in single precision as PostgreSQL does.
	f4 float32
}

// add adds a non-NULL value.
func (s *sumAcc) add(v any) error {
	switch s.kind {
	case sumInt, sumBigint:
		x, err := toInt64(v)
		if err != nil {
			return err
		}
		r := s.i + x
		if (x > 0 && r < s.i) || (x < 0 && r > s.i) {
			if s.kind == sumInt {
				return sqlengine.Errorf(sqlengine.CodeNumericValueOutOfRange, "bigint out of range")
			}
			s.d = s.d.Add(decimal.NewFromInt(s.i))
			r = x
		}
		s.i = r
	case sumNumeric:
		x, err := toDecimal(v)
		if err != nil {
			return err
		}
		s.d = s.d.Add(x)
	case sumFloat4:
		x, err := toFloat64(v)
		if err != nil {
			return err
		}
		if s.avg {
			s.f += x
		} else {
			s.f4 += float32(x)
		}
	case sumFloat8:
		x, err := toFloat64(v)
		if err != nil {
			return err
		}
		s.f += x
	}
	s.n++
	return nil
}

// result returns the sum or average, NULL when no input was non-NULL.
func (s *sumAcc) result() any {
	if s.n == 0 {
		return nil
	}
	switch s.kind {
	case sumFloat4:
		if !s.avg {
			return s.f4
		}
		return s.f / float64(s.n)
	case sumFloat8:
		if s.avg {
			return s.f / float64(s.n)
		}
		return s.f
	case sumInt:
		if !s.avg {
			return s.i
		}
		return numericAvg(decimal.NewFromInt(s.i), s.n)
	}
	sum := s.d
	if s.kind == sumBigint {
		sum = sum.Add(decimal.NewFromInt(s.i))
	}
	if s.avg {
		return numericAvg(sum, s.n)
	}
	return sum
}

// numericAvg is PostgreSQL's average of n values summing to sum: numeric
// division, with its result scale (at least 16 significant digits).
func numericAvg(sum decimal.Decimal, n int64) decimal.Decimal {
	count := decimal.NewFromInt(n)
	return sum.DivRound(count, divScale(sum, count))
}

// sumAvgBuffer is the per-group state of a pgSumAvg aggregate.
type sumAvgBuffer struct {
	expr sql.Expression
	acc  sumAcc
}

// Update adds a row's value.
func (b *sumAvgBuffer) Update(ctx *sql.Context, row sql.Row) error {
	v, err := b.expr.Eval(ctx, row)
	if err != nil || v == nil {
		return err
	}
	return b.acc.add(v)
}

// Eval returns the group's result.
func (b *sumAvgBuffer) Eval(*sql.Context) (any, error) { return b.acc.result(), nil }

// Dispose releases the argument's state (a DISTINCT argument's seen set).
func (b *sumAvgBuffer) Dispose(ctx *sql.Context) { expression.Dispose(ctx, b.expr) }

// sumAvgWindow is a pgSumAvg window function. Like PostgreSQL without an
// inverse transition function, it extends the previous frame's state when
// the frame keeps its start and only grows (the default frame, and
// UNBOUNDED PRECEDING frames), and otherwise sums the frame afresh, so
// float sums add in the same order as PostgreSQL's.
type sumAvgWindow struct {
	expr   sql.Expression
	framer sql.WindowFramer
	acc    sumAcc
	// start and end are the frame acc holds; end < 0 when none.
	start, end int
}

var _ sql.WindowFunction = (*sumAvgWindow)(nil)

// DefaultFramer returns the window's framer, or GMS's default frame.
func (w *sumAvgWindow) DefaultFramer() sql.WindowFramer {
	if w.framer != nil {
		return w.framer
	}
	return aggregation.NewUnboundedPrecedingToCurrentRowFramer()
}

// StartPartition forgets the previous partition's frame.
func (w *sumAvgWindow) StartPartition(ctx *sql.Context, _ sql.WindowInterval, _ sql.WindowBuffer) error {
	w.Dispose(ctx)
	w.reset(0)
	return nil
}

func (w *sumAvgWindow) reset(start int) {
	w.acc = sumAcc{kind: w.acc.kind, avg: w.acc.avg}
	w.start, w.end = start, start
}

// Compute returns the result over the rows of interval.
func (w *sumAvgWindow) Compute(ctx *sql.Context, interval sql.WindowInterval, buf sql.WindowBuffer) (any, error) {
	if interval.Start != w.start || interval.End < w.end {
		w.reset(interval.Start)
	}
	for ; w.end < interval.End; w.end++ {
		v, err := w.expr.Eval(ctx, buf[w.end])
		if err != nil {
			return nil, err
		}
		if v == nil {
			continue
		}
		if err := w.acc.add(v); err != nil {
			return nil, err
		}
	}
	return w.acc.result(), nil
}

// Dispose releases the argument's state.
func (w *sumAvgWindow) Dispose(ctx *sql.Context) { expression.Dispose(ctx, w.expr) }
