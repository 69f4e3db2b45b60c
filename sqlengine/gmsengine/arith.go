package gmsengine

import (
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"
	"github.com/shopspring/decimal"

	"github.com/pqsql/pqsql/sqlengine"
)

// arithOp is an operator that pgtranslate routes through pqsql_<op>.
type arithOp uint8

const (
	opAdd arithOp = iota // pqsql_add(a, b): a + b
	opSub                // pqsql_sub(a, b): a - b
	opMul                // pqsql_mul(a, b): a * b
	opMod                // pqsql_mod(a, b): a % b and mod(a, b)
	opNeg                // pqsql_neg(a): -a
	opAbs                // pqsql_abs(a): abs(a) and @a
)

var arithNames = [...]string{opAdd: "pqsql_add", opSub: "pqsql_sub", opMul: "pqsql_mul", opMod: "pqsql_mod", opNeg: "pqsql_neg", opAbs: "pqsql_abs"}

// class is the PostgreSQL type of an operand, as far as operator resolution
// needs it.
type class uint8

const (
	cOther class = iota // anything else: GMS's own operator decides
	cNull               // NULL of unknown type
	cText               // a string literal, PostgreSQL's unknown-type constant
	cInt2
	cInt4
	cInt8
	cNumeric
	cFloat4
	cFloat8
	cDate
	cTimestamp
	cTimestamptz
	cInterval
)

// arithKind is how a pgArith computes, decided once from the operand
// classes so that evaluation does not inspect types per row.
type arithKind uint8

const (
	kFallback     arithKind = iota // GMS's operator (expression.Arithmetic and friends)
	kInt                           // integer arithmetic checked against the result type's range
	kFloat                         // float4/float8
	kNumeric                       // exact decimal arithmetic
	kDateInt                       // date ± integer days, date result
	kIntDate                       // integer + date
	kDateDiff                      // date - date: days as int4
	kTimeInterval                  // date/timestamp[tz] ± interval
	kIntervalTime                  // interval + date/timestamp[tz]
	kTimeDiff                      // timestamp[tz] - timestamp[tz]: an interval
	kInterval                      // interval ± interval, -interval, interval * number
	kNumInterval                   // number * interval
)

// pgArith is an arithmetic operator with PostgreSQL's result types: int4 +
// int4 is int4 and fails on overflow, date + int4 is a date, timestamp -
// timestamp an interval. Its kind and type are decided from the operand
// types when it is built and whenever its children change.
type pgArith struct {
	op   arithOp
	args []sql.Expression
	kind arithKind
	// typ is the result type; res the class of the result.
	typ sql.Type
	res class
	// lhs and rhs are the operand classes.
	lhs, rhs class
	// fallback is GMS's own operator, used for kFallback.
	fallback sql.Expression
	// constant is set when the operands are constants whose value does not
	// depend on the session (date '2024-01-01' + interval '1 month' in a
	// filter); the result is then computed once, on first use.
	constant bool
	once     sync.Once
	value    any
	err      error
}

var _ sql.FunctionExpression = (*pgArith)(nil)

// arithFunctions returns the pqsql_* arithmetic operators by name.
func arithFunctions() map[string]sql.Function {
	m := map[string]sql.Function{}
	for op, name := range arithNames {
		op := arithOp(op)
		n := 2
		if op == opNeg || op == opAbs {
			n = 1
		}
		m[name] = sql.FunctionN{Name: name, Fn: func(ctx *sql.Context, args ...sql.Expression) (sql.Expression, error) {
			if len(args) != n {
				return nil, sql.ErrInvalidArgumentNumber.New(name, n, len(args))
			}
			return newArith(ctx, op, args), nil
		}}
	}
	return m
}

// newArith builds op on args and decides how it computes.
func newArith(ctx *sql.Context, op arithOp, args []sql.Expression) *pgArith {
	a := &pgArith{op: op, args: args}
	a.resolve(ctx)
	return a
}

// classify returns the class of e.
func classify(ctx *sql.Context, e sql.Expression) class {
	t := e.Type(ctx)
	if t == nil {
		return cOther
	}
	if isIntervalType(t) {
		return cInterval
	}
	if lit, ok := e.(*expression.Literal); ok {
		switch v := lit.Value().(type) {
		case nil:
			return cNull
		case string:
			return cText
		case int8, uint8, int16, uint16, int32:
			return cInt4
		case uint32, int64:
			n, _ := toInt64(v)
			if n >= math.MinInt32 && n <= math.MaxInt32 {
				return cInt4
			}
			return cInt8
		}
	}
	if types.IsBoolean(t) {
		return cOther
	}
	switch t.Type() {
	case sqltypes.Null:
		return cNull
	case sqltypes.Int8, sqltypes.Uint8, sqltypes.Uint16, sqltypes.Int24, sqltypes.Int32:
		return cInt4
	case sqltypes.Int16:
		return cInt2
	case sqltypes.Uint24, sqltypes.Uint32, sqltypes.Int64:
		return cInt8
	case sqltypes.Uint64:
		return cNumeric
	case sqltypes.Float32:
		return cFloat4
	case sqltypes.Float64:
		return cFloat8
	case sqltypes.Date:
		return cDate
	case sqltypes.Datetime:
		return cTimestamp
	case sqltypes.Timestamp:
		return cTimestamptz
	}
	if types.IsDecimal(t) {
		return cNumeric
	}
	return cOther
}

func isNumClass(c class) bool { return c >= cInt2 && c <= cFloat8 }
func isIntClass(c class) bool { return c >= cInt2 && c <= cInt8 }
func isTimeClass(c class) bool {
	return c == cDate || c == cTimestamp || c == cTimestamptz
}

// promote is the common numeric class of two operands under PostgreSQL's
// operator resolution: the wider integer, numeric over integers, float8
// over everything but float4 with float4.
func promote(a, b class) class {
	switch {
	case a == cNull || a == cText:
		if b == cNull || b == cText {
			return cInt4
		}
		return b
	case b == cNull || b == cText:
		return a
	case a == cFloat4 && b == cFloat4:
		return cFloat4
	case a >= cFloat4 || b >= cFloat4:
		return cFloat8
	}
	return max(a, b)
}

// resolve decides kind, result type and class from the operands.
func (a *pgArith) resolve(ctx *sql.Context) {
	a.lhs = classify(ctx, a.args[0])
	a.rhs = a.lhs
	if len(a.args) > 1 {
		a.rhs = classify(ctx, a.args[1])
	}
	a.kind, a.res = a.decide()
	a.fallback = nil
	if t := a.res.gmsType(); t != nil {
		a.typ = t
	} else if a.res == cInterval {
		a.typ = intervalType
	}
	if a.kind == kFallback {
		a.fallback = a.gmsOperator(ctx)
		a.typ = a.fallback.Type(ctx)
		return
	}
	a.constant = a.res != cTimestamptz && a.lhs != cTimestamptz && a.rhs != cTimestamptz
	for _, e := range a.args {
		a.constant = a.constant && isSessionFreeConstant(e)
	}
}

// gmsType returns the GMS type of values of a numeric or date/time class,
// nil for the other classes.
func (c class) gmsType() sql.Type {
	switch c {
	case cInt2:
		return types.Int16
	case cInt4:
		return types.Int32
	case cInt8:
		return types.Int64
	case cNumeric:
		return unconstrainedNumeric
	case cFloat4:
		return types.Float32
	case cFloat8:
		return types.Float64
	case cDate:
		return types.Date
	case cTimestamp:
		return timestampType
	case cTimestamptz:
		return timestamptzType
	}
	return nil
}

// isSessionFreeConstant reports whether e is a literal, a cast of one or
// arithmetic on such constants. Casts to timestamptz depend on the
// session's TimeZone and are excluded by the operand classes.
func isSessionFreeConstant(e sql.Expression) bool {
	switch x := e.(type) {
	case *expression.Literal:
		return true
	case *pgFunc:
		return x.spec == castSpec && isSessionFreeConstant(x.args[0])
	case *pgArith:
		return x.constant
	}
	return false
}

// decide returns the kind and result class of the operator on the operand
// classes, kFallback where PostgreSQL has no such operator or pqsql leaves
// it to GMS.
func (a *pgArith) decide() (arithKind, class) {
	l, r := a.lhs, a.rhs
	// A string literal takes the type of the other operand, as PostgreSQL
	// resolves unknown-type constants.
	if l == cText && (isTimeClass(r) || r == cInterval) {
		l = r
		a.lhs = r
	}
	if r == cText && (isTimeClass(l) || l == cInterval) {
		if a.op == opSub && isTimeClass(l) {
			r = l
		} else {
			r = cInterval
		}
		a.rhs = r
	}
	switch a.op {
	case opNeg, opAbs:
		switch {
		case isIntClass(l):
			return kInt, l
		case l == cFloat4 || l == cFloat8:
			return kFloat, l
		case l == cNumeric:
			return kNumeric, l
		case l == cInterval && a.op == opNeg:
			return kInterval, cInterval
		}
		return kFallback, cOther
	case opAdd:
		switch {
		case l == cDate && (r == cInt2 || r == cInt4 || r == cNull):
			return kDateInt, cDate
		case (l == cInt2 || l == cInt4 || l == cNull) && r == cDate:
			return kIntDate, cDate
		case isTimeClass(l) && r == cInterval:
			return kTimeInterval, timeResult(l)
		case l == cInterval && isTimeClass(r):
			return kIntervalTime, timeResult(r)
		case l == cInterval && (r == cInterval || r == cNull):
			return kInterval, cInterval
		}
	case opSub:
		switch {
		case l == cDate && (r == cInt2 || r == cInt4 || r == cNull):
			return kDateInt, cDate
		case l == cDate && r == cDate:
			return kDateDiff, cInt4
		case isTimeClass(l) && r == cInterval:
			return kTimeInterval, timeResult(l)
		case isTimeClass(l) && isTimeClass(r):
			return kTimeDiff, cInterval
		case l == cInterval && (r == cInterval || r == cNull):
			return kInterval, cInterval
		}
	case opMul:
		switch {
		case l == cInterval && (isNumClass(r) || r == cNull):
			return kInterval, cInterval
		case isNumClass(l) && r == cInterval:
			return kNumInterval, cInterval
		}
	}
	num := func(c class) bool { return isNumClass(c) || c == cNull || c == cText }
	if !num(l) || !num(r) || (l == cText && r == cText) {
		return kFallback, cOther
	}
	c := promote(l, r)
	switch {
	case isIntClass(c):
		return kInt, c
	case c == cNumeric:
		return kNumeric, c
	case a.op == opMod:
		// PostgreSQL has no float % float.
		return kFallback, cOther
	}
	return kFloat, c
}

// timeResult is the class of date/timestamp[tz] ± interval.
func timeResult(c class) class {
	if c == cDate {
		return cTimestamp
	}
	return c
}

// gmsOperator is GMS's operator on the same arguments.
func (a *pgArith) gmsOperator(ctx *sql.Context) sql.Expression {
	switch a.op {
	case opAdd:
		return expression.NewPlus(a.args[0], a.args[1])
	case opSub:
		return expression.NewMinus(a.args[0], a.args[1])
	case opMul:
		return expression.NewMult(a.args[0], a.args[1])
	case opMod:
		return expression.NewMod(a.args[0], a.args[1])
	case opNeg:
		return expression.NewUnaryMinus(a.args[0])
	}
	return function.NewAbsVal(ctx, a.args[0])
}

// FunctionName returns the function's name.
func (a *pgArith) FunctionName() string { return arithNames[a.op] }

// Description describes the operator.
func (a *pgArith) Description() string { return "PostgreSQL arithmetic operator" }

// Resolved reports whether every argument is resolved.
func (a *pgArith) Resolved() bool {
	for _, e := range a.args {
		if !e.Resolved() {
			return false
		}
	}
	return true
}

// String renders the call.
func (a *pgArith) String() string {
	parts := make([]string, len(a.args))
	for i, e := range a.args {
		parts[i] = e.String()
	}
	return fmt.Sprintf("%s(%s)", arithNames[a.op], strings.Join(parts, ", "))
}

// Type returns the result type.
func (a *pgArith) Type(*sql.Context) sql.Type { return a.typ }

// IsNullable reports that the result may be NULL.
func (a *pgArith) IsNullable(*sql.Context) bool { return true }

// Children returns the arguments.
func (a *pgArith) Children() []sql.Expression { return a.args }

// WithChildren returns the operator on new arguments, decided anew.
func (a *pgArith) WithChildren(ctx *sql.Context, children ...sql.Expression) (sql.Expression, error) {
	if len(children) != len(a.args) {
		return nil, sql.ErrInvalidChildrenNumber.New(a, len(children), len(a.args))
	}
	return newArith(ctx, a.op, children), nil
}

// Eval computes the operator.
func (a *pgArith) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	if a.kind == kFallback {
		return a.fallback.Eval(ctx, row)
	}
	if a.constant {
		a.once.Do(func() { a.value, a.err = a.eval(ctx, row) })
		return a.value, a.err
	}
	return a.eval(ctx, row)
}

// eval computes the operator on the operands' values in row.
func (a *pgArith) eval(ctx *sql.Context, row sql.Row) (any, error) {
	x, err := a.args[0].Eval(ctx, row)
	if err != nil || x == nil {
		return nil, err
	}
	if len(a.args) == 1 {
		return a.unary(x)
	}
	y, err := a.args[1].Eval(ctx, row)
	if err != nil || y == nil {
		return nil, err
	}
	switch a.kind {
	case kInt:
		return a.integer(x, y)
	case kFloat:
		return a.float(x, y)
	case kNumeric:
		return a.numeric(x, y)
	case kDateInt, kIntDate:
		if a.kind == kIntDate {
			x, y = y, x
		}
		d, err := toTime(x, time.UTC)
		if err != nil {
			return nil, err
		}
		n, err := toInt64(y)
		if err != nil {
			return nil, err
		}
		if a.op == opSub {
			n = -n
		}
		yy, mm, dd := d.Date()
		return time.Date(yy, mm, dd+int(n), 0, 0, 0, 0, time.UTC), nil
	case kDateDiff:
		d1, err := toTime(x, time.UTC)
		if err != nil {
			return nil, err
		}
		d2, err := toTime(y, time.UTC)
		if err != nil {
			return nil, err
		}
		return int32(dayNumber(d1) - dayNumber(d2)), nil
	case kTimeInterval, kIntervalTime:
		tc := a.lhs
		if a.kind == kIntervalTime {
			x, y, tc = y, x, a.rhs
		}
		t, err := a.timeOperand(ctx, x, tc)
		if err != nil {
			return nil, err
		}
		iv, err := toInterval(y)
		if err != nil {
			return nil, err
		}
		if a.op == opSub {
			iv = iv.neg()
		}
		return a.asResult(addInterval(t, iv)), nil
	case kTimeDiff:
		t1, err := a.timeOperand(ctx, x, a.lhs)
		if err != nil {
			return nil, err
		}
		t2, err := a.timeOperand(ctx, y, a.rhs)
		if err != nil {
			return nil, err
		}
		// Against a timestamptz, a wall-clock reading is taken in the
		// session's zone, as PostgreSQL casts timestamp to timestamptz.
		if a.lhs == cTimestamptz || a.rhs == cTimestamptz {
			loc := sessionLocation(ctx)
			t1, t2 = zoned(t1, a.lhs, loc), zoned(t2, a.rhs, loc)
		}
		return subTimes(t1, t2), nil
	case kInterval:
		i1, err := toInterval(x)
		if err != nil {
			return nil, err
		}
		if a.op == opMul {
			f, err := toFloat64(y)
			if err != nil {
				return nil, err
			}
			return i1.mul(f)
		}
		i2, err := toInterval(y)
		if err != nil {
			return nil, err
		}
		if a.op == opSub {
			i2 = i2.neg()
		}
		return i1.add(i2)
	case kNumInterval:
		f, err := toFloat64(x)
		if err != nil {
			return nil, err
		}
		iv, err := toInterval(y)
		if err != nil {
			return nil, err
		}
		return iv.mul(f)
	}
	return nil, fmt.Errorf("%s: unexpected operator kind %d", arithNames[a.op], a.kind)
}

// dayNumber counts days since 1970-01-01 of a date's calendar day.
func dayNumber(t time.Time) int64 {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// timeOperand reads a date/timestamp[tz] operand of class c. Wall-clock
// classes are read in UTC; a timestamptz is placed in the session's zone so
// that whole days and months are added to its local reading.
func (a *pgArith) timeOperand(ctx *sql.Context, v any, c class) (time.Time, error) {
	loc := time.UTC
	if c == cTimestamptz {
		loc = sessionLocation(ctx)
	}
	t, err := toTime(v, loc)
	if err != nil {
		return time.Time{}, err
	}
	switch c {
	case cDate:
		y, m, d := t.Date()
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), nil
	case cTimestamptz:
		return t.In(loc), nil
	}
	return t, nil
}

// zoned returns the instant of an operand of class c: a timestamptz is
// one already, a wall-clock reading is placed in loc.
func zoned(t time.Time, c class, loc *time.Location) time.Time {
	if c == cTimestamptz {
		return t
	}
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	return time.Date(y, mo, d, h, mi, s, t.Nanosecond(), loc)
}

// asResult converts a computed time to the result class's value.
func (a *pgArith) asResult(t time.Time) time.Time {
	if a.res == cTimestamptz {
		return t.UTC()
	}
	return wallClockUTC(t)
}

// sessionLocation is the session's TimeZone.
func sessionLocation(ctx *sql.Context) *time.Location {
	if s := pgSession(ctx); s != nil {
		return s.settings.location()
	}
	return time.UTC
}

// unary computes -x and abs(x).
func (a *pgArith) unary(x any) (any, error) {
	switch a.kind {
	case kInt:
		n, err := toInt64(x)
		if err != nil {
			return nil, err
		}
		if a.op == opNeg || n < 0 {
			if n == math.MinInt64 {
				return nil, intOutOfRange(a.res)
			}
			n = -n
		}
		return a.intResult(n)
	case kFloat:
		f, err := toFloat64(x)
		if err != nil {
			return nil, err
		}
		if a.op == opNeg {
			f = -f
		} else {
			f = math.Abs(f)
		}
		if a.res == cFloat4 {
			return float32(f), nil
		}
		return f, nil
	case kNumeric:
		d, err := toDecimal(x)
		if err != nil {
			return nil, err
		}
		if a.op == opNeg {
			return d.Neg(), nil
		}
		return d.Abs(), nil
	case kInterval:
		iv, err := toInterval(x)
		if err != nil {
			return nil, err
		}
		return iv.neg(), nil
	}
	return nil, fmt.Errorf("%s: unexpected operator kind %d", arithNames[a.op], a.kind)
}

// integer computes an integer operator, failing when the result does not
// fit the result type.
func (a *pgArith) integer(x, y any) (any, error) {
	m, err := toInt64(x)
	if err != nil {
		return nil, err
	}
	n, err := toInt64(y)
	if err != nil {
		return nil, err
	}
	var r int64
	switch a.op {
	case opAdd:
		r = m + n
		if (m > 0 && n > 0 && r < 0) || (m < 0 && n < 0 && r >= 0) {
			return nil, intOutOfRange(a.res)
		}
	case opSub:
		r = m - n
		if (m >= 0 && n < 0 && r < 0) || (m < 0 && n > 0 && r >= 0) {
			return nil, intOutOfRange(a.res)
		}
	case opMul:
		r = m * n
		if m != 0 && (r/m != n || (m == -1 && n == math.MinInt64) || (n == -1 && m == math.MinInt64)) {
			return nil, intOutOfRange(a.res)
		}
	case opMod:
		if n == 0 {
			return nil, sqlengine.Errorf(sqlengine.CodeDivisionByZero, "division by zero")
		}
		if n == -1 {
			// MinInt64 % -1 traps in Go; the remainder is 0 for every m.
			r = 0
		} else {
			r = m % n
		}
	}
	return a.intResult(r)
}

// intResult returns n as the result type, or the type's range error.
func (a *pgArith) intResult(n int64) (any, error) {
	switch a.res {
	case cInt2:
		if n < math.MinInt16 || n > math.MaxInt16 {
			return nil, intOutOfRange(a.res)
		}
		return int16(n), nil
	case cInt4:
		if n < math.MinInt32 || n > math.MaxInt32 {
			return nil, intOutOfRange(a.res)
		}
		return int32(n), nil
	}
	return n, nil
}

// intOutOfRange is PostgreSQL's overflow error for an integer class.
func intOutOfRange(c class) error {
	name := "bigint"
	switch c {
	case cInt2:
		name = "smallint"
	case cInt4:
		name = "integer"
	}
	return sqlengine.Errorf(sqlengine.CodeNumericValueOutOfRange, "%s out of range", name)
}

// float computes a float operator.
func (a *pgArith) float(x, y any) (any, error) {
	m, err := toFloat64(x)
	if err != nil {
		return nil, err
	}
	n, err := toFloat64(y)
	if err != nil {
		return nil, err
	}
	var r float64
	switch a.op {
	case opAdd:
		r = m + n
	case opSub:
		r = m - n
	case opMul:
		r = m * n
	}
	if math.IsInf(r, 0) && !math.IsInf(m, 0) && !math.IsInf(n, 0) {
		return nil, sqlengine.Errorf(sqlengine.CodeNumericValueOutOfRange, "value out of range: overflow")
	}
	if a.res == cFloat4 {
		return float32(r), nil
	}
	return r, nil
}

// numeric computes an exact decimal operator.
func (a *pgArith) numeric(x, y any) (any, error) {
	m, err := toDecimal(x)
	if err != nil {
		return nil, err
	}
	n, err := toDecimal(y)
	if err != nil {
		return nil, err
	}
	switch a.op {
	case opAdd:
		return m.Add(n), nil
	case opSub:
		return m.Sub(n), nil
	case opMul:
		return m.Mul(n), nil
	case opMod:
		if n.IsZero() {
			return nil, sqlengine.Errorf(sqlengine.CodeDivisionByZero, "division by zero")
		}
		// The remainder has the dividend's sign and the larger scale.
		return m.Mod(n).Round(max(-m.Exponent(), -n.Exponent(), 0)), nil
	}
	return decimal.Decimal{}, fmt.Errorf("%s: unexpected numeric operator", arithNames[a.op])
}
