package gmsengine

import (
	"math"
	"math/big"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"

	"github.com/pqsql/pqsql/sqlengine"
)

// This file implements sqrt, exp, ln, log and power on numeric as
// PostgreSQL 15's numeric.c does: the same result scale (chosen from the
// arguments' weights and display scales so the result has at least
// numericMinSigDigits significant digits), rounded half away from zero, and
// the same errors. Results are computed to many more digits than the result
// scale (exactly where possible) and then rounded, so they agree with
// PostgreSQL's, whose algorithms carry guard digits for the same purpose.

const (
	// numericMinSigDigits is NUMERIC_MIN_SIG_DIGITS.
	numericMinSigDigits = 16
	// numericMaxDisplayScale is NUMERIC_MAX_DISPLAY_SCALE.
	numericMaxDisplayScale = 1000
	// numericMaxResultScale is NUMERIC_MAX_RESULT_SCALE.
	numericMaxResultScale = 2000
	// numericMaxIntDigits is the most digits before the decimal point a
	// numeric may have: (NUMERIC_WEIGHT_MAX+1) * DEC_DIGITS.
	numericMaxIntDigits = 131072
	// codeInvalidArgumentForLog is SQLSTATE 2201E.
	codeInvalidArgumentForLog = "2201E"
	// codeInvalidArgumentForPower is SQLSTATE 2201F.
	codeInvalidArgumentForPower = "2201F"
	// guardDigits are the extra decimal digits computed before rounding.
	guardDigits = 24
)

// numericMathFuncs are sqrt (as pqsql_sqrt), exp, ln, log10, log and power,
// replacing GMS's float-only namesakes. One-argument functions and power
// are numeric when PostgreSQL's resolution picks the numeric version (a
// numeric argument, no float8 one) and float8 otherwise; log(b, x) exists
// for numeric only.
func numericMathFuncs() []*funcSpec {
	unary := func(name string, fl func(float64) (float64, error), num func(decimal.Decimal) (decimal.Decimal, error)) *funcSpec {
		return &funcSpec{name: name, minArgs: 1, maxArgs: 1, typ: numericOrFloat, eval: func(ctx *sql.Context, f *pgFunc, v []any) (any, error) {
			if f.Type(ctx) == types.Float64 {
				x, err := toFloat64(v[0])
				if err != nil {
					return nil, err
				}
				return fl(x)
			}
			x, err := toDecimal(v[0])
			if err != nil {
				return nil, err
			}
			return num(x)
		}}
	}
	log10 := unary("log10", floatLog(math.Log10), func(d decimal.Decimal) (decimal.Decimal, error) {
		return numericLog(decimal.NewFromInt(10), d)
	})
	logSpec := &funcSpec{name: "log", minArgs: 1, maxArgs: 2, typ: func(ctx *sql.Context, args []sql.Expression) sql.Type {
		if len(args) == 1 {
			return log10.typ(ctx, args)
		}
		return unconstrainedNumeric
	}, eval: func(ctx *sql.Context, f *pgFunc, v []any) (any, error) {
		if len(v) == 1 {
			return log10.eval(ctx, f, v)
		}
		b, err := toDecimal(v[0])
		if err != nil {
			return nil, err
		}
		x, err := toDecimal(v[1])
		if err != nil {
			return nil, err
		}
		return numericLog(b, x)
	}}
	return []*funcSpec{
		unary("pqsql_sqrt", floatSqrt, numericSqrt),
		unary("exp", floatExp, numericExp),
		unary("ln", floatLog(math.Log), numericLn),
		log10,
		logSpec,
		{name: "power", minArgs: 2, maxArgs: 2, typ: numericOrFloat, eval: func(ctx *sql.Context, f *pgFunc, v []any) (any, error) {
			if f.Type(ctx) == types.Float64 {
				x, err := toFloat64(v[0])
				if err != nil {
					return nil, err
				}
				y, err := toFloat64(v[1])
				if err != nil {
					return nil, err
				}
				return floatPower(x, y)
			}
			x, err := toDecimal(v[0])
			if err != nil {
				return nil, err
			}
			y, err := toDecimal(v[1])
			if err != nil {
				return nil, err
			}
			return numericPower(x, y)
		}},
	}
}

// numericOrFloat is the result type of the functions PostgreSQL has for
// float8 and numeric: numeric when an argument is numeric and none is
// float8 (integers and unknown literals resolve to float8, the preferred
// type of the numeric category, unless numeric is needed).
func numericOrFloat(ctx *sql.Context, args []sql.Expression) sql.Type {
	numeric := false
	for _, a := range args {
		t := a.Type(ctx)
		if types.IsFloat(t) {
			return types.Float64
		}
		numeric = numeric || types.IsDecimal(t)
	}
	if numeric {
		return unconstrainedNumeric
	}
	return types.Float64
}

// floatSqrt is float8 sqrt (dsqrt).
func floatSqrt(f float64) (float64, error) {
	if f < 0 {
		return 0, sqlengine.Errorf(codeInvalidArgumentForPower, "cannot take square root of a negative number")
	}
	return math.Sqrt(f), nil
}

// floatExp is float8 exp (dexp), which reports overflow and underflow.
func floatExp(f float64) (float64, error) {
	r := math.Exp(f)
	if math.IsInf(r, 0) && !math.IsInf(f, 0) {
		return 0, sqlengine.Errorf(sqlengine.CodeNumericValueOutOfRange, "value out of range: overflow")
	}
	if r == 0 && !math.IsInf(f, 0) {
		return 0, sqlengine.Errorf(sqlengine.CodeNumericValueOutOfRange, "value out of range: underflow")
	}
	return r, nil
}

// floatLog returns float8 ln or log10 (dlog1, dlog10).
func floatLog(fn func(float64) float64) func(float64) (float64, error) {
	return func(f float64) (float64, error) {
		if err := checkLogArg(f); err != nil {
			return 0, err
		}
		return fn(f), nil
	}
}

func checkLogArg(sign float64) error {
	if sign == 0 {
		return sqlengine.Errorf(codeInvalidArgumentForLog, "cannot take logarithm of zero")
	}
	if sign < 0 {
		return sqlengine.Errorf(codeInvalidArgumentForLog, "cannot take logarithm of a negative number")
	}
	return nil
}

// floatPower is float8 power (dpow).
func floatPower(x, y float64) (float64, error) {
	if x == 0 && y < 0 {
		return 0, sqlengine.Errorf(codeInvalidArgumentForPower, "zero raised to a negative power is undefined")
	}
	if x < 0 && math.Floor(y) != y && !math.IsInf(y, 0) && !math.IsNaN(y) {
		return 0, sqlengine.Errorf(codeInvalidArgumentForPower, "a negative number raised to a non-integer power yields a complex result")
	}
	r := math.Pow(x, y)
	finite := !math.IsInf(x, 0) && !math.IsInf(y, 0) && !math.IsNaN(x) && !math.IsNaN(y)
	if math.IsInf(r, 0) && finite {
		return 0, sqlengine.Errorf(sqlengine.CodeNumericValueOutOfRange, "value out of range: overflow")
	}
	if r == 0 && x != 0 && finite {
		return 0, sqlengine.Errorf(sqlengine.CodeNumericValueOutOfRange, "value out of range: underflow")
	}
	return r, nil
}

// errNumericOverflow is numeric's overflow error.
func errNumericOverflow() error {
	return sqlengine.Errorf(sqlengine.CodeNumericValueOutOfRange, "value overflows numeric format")
}

// clampScale limits a result scale to PostgreSQL's display scale range.
func clampScale(rscale int) int {
	return min(max(rscale, 0), numericMaxDisplayScale)
}

// dscale is a numeric's display scale.
func dscale(d decimal.Decimal) int {
	return max(0, -int(d.Exponent()))
}

// leadExp is the decimal exponent of d's most significant digit; d != 0.
func leadExp(d decimal.Decimal) int {
	return len(new(big.Int).Abs(d.Coefficient()).String()) - 1 + int(d.Exponent())
}

// nbaseWeight is the weight of d in PostgreSQL's base-10000 digits (0 for
// zero).
func nbaseWeight(d decimal.Decimal) int {
	if d.IsZero() {
		return 0
	}
	return floorDiv(leadExp(d), 4)
}

// nbaseDigits returns the first two base-10000 digits of |d| (d != 0) and
// whether it has more than one (PostgreSQL strips trailing zero digits).
func nbaseDigits(d decimal.Decimal) (d0, d1 int64, more bool) {
	a := d.Abs()
	w := nbaseWeight(d)
	first := a.Shift(int32(-4 * w)).Floor()
	second := a.Shift(int32(-4 * (w - 1))).Floor()
	d0 = first.IntPart()
	d1 = second.Mod(decimal.NewFromInt(10000)).IntPart()
	return d0, d1, !a.Equal(first.Shift(int32(4 * w)))
}

// estimateLnDweight is estimate_ln_dweight: the approximate decimal weight
// of ln(d).
func estimateLnDweight(d decimal.Decimal) int {
	if d.Sign() <= 0 {
		return 0
	}
	if d.GreaterThanOrEqual(decimal.RequireFromString("0.9")) && d.LessThanOrEqual(decimal.RequireFromString("1.1")) {
		x := d.Sub(decimal.NewFromInt(1))
		if x.IsZero() {
			return 0
		}
		return leadExp(x)
	}
	d0, d1, more := nbaseDigits(d)
	digits := float64(d0)
	dweight := nbaseWeight(d) * 4
	if more {
		digits = digits*10000 + float64(d1)
		dweight -= 4
	}
	lnVar := math.Log(digits) + float64(dweight)*2.302585092994046
	return int(math.Log10(math.Abs(lnVar)))
}

// precFor is the binary precision for results of sigDigits significant
// decimal digits plus guard digits.
func precFor(sigDigits int) uint {
	return uint(float64(max(sigDigits, 1)+guardDigits)*math.Log2(10)) + 64
}

// bigOf converts d to a big.Float of precision prec.
func bigOf(d decimal.Decimal, prec uint) *big.Float {
	f := new(big.Float).SetPrec(prec).SetInt(d.Coefficient())
	e := int(d.Exponent())
	p := new(big.Float).SetPrec(prec).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(e))), nil))
	if e >= 0 {
		return f.Mul(f, p)
	}
	return f.Quo(f, p)
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// roundBig rounds f to rscale decimal places, half away from zero.
func roundBig(f *big.Float, rscale int) decimal.Decimal {
	prec := f.Prec() + uint(float64(rscale)*math.Log2(10)) + 64
	p := new(big.Float).SetPrec(prec).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(rscale)), nil))
	s := new(big.Float).SetPrec(prec).Mul(f, p)
	neg := s.Signbit()
	s.Abs(s)
	s.Add(s, big.NewFloat(0.5))
	n, _ := s.Int(nil)
	if neg {
		n.Neg(n)
	}
	return decimal.NewFromBigInt(n, int32(-rscale))
}

// roundRat rounds num/den to rscale decimal places, half away from zero.
func roundRat(num, den *big.Int, rscale int) decimal.Decimal {
	n := new(big.Int).Mul(num, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(rscale)), nil))
	d := new(big.Int).Set(den)
	if d.Sign() < 0 {
		n.Neg(n)
		d.Neg(d)
	}
	neg := n.Sign() < 0
	n.Abs(n)
	// floor((2n + d) / 2d) rounds half up on the magnitude.
	n.Lsh(n, 1).Add(n, d)
	n.Quo(n, d.Lsh(d, 1))
	if neg {
		n.Neg(n)
	}
	return decimal.NewFromBigInt(n, int32(-rscale))
}

// zeroScaled is zero displayed with rscale decimal places.
func zeroScaled(rscale int) decimal.Decimal {
	return decimal.New(0, int32(-rscale))
}

// numericSqrt is numeric_sqrt.
func numericSqrt(x decimal.Decimal) (decimal.Decimal, error) {
	if x.Sign() < 0 {
		return decimal.Decimal{}, sqlengine.Errorf(codeInvalidArgumentForPower, "cannot take square root of a negative number")
	}
	sweight := (nbaseWeight(x)+1)*4/2 - 1
	rscale := clampScale(max(numericMinSigDigits-sweight, dscale(x)))
	// floor(sqrt(x) * 10^(rscale+1)), then round on the extra digit: the
	// truncated root keeps that digit, so this rounds the exact root.
	e := int(x.Exponent()) + 2*rscale + 2
	v := new(big.Int).Mul(x.Coefficient(), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(e)), nil))
	r := new(big.Int).Sqrt(v)
	r.Add(r, big.NewInt(5)).Quo(r, big.NewInt(10))
	return decimal.NewFromBigInt(r, int32(-rscale)), nil
}

// numericExp is numeric_exp.
func numericExp(x decimal.Decimal) (decimal.Decimal, error) {
	val, _ := x.Float64()
	val *= 0.434294481903252
	val = min(max(val, -numericMaxResultScale), numericMaxResultScale)
	rscale := clampScale(max(numericMinSigDigits-int(val), dscale(x)))
	return expScaled(x, rscale)
}

// expScaled is exp_var: e^x rounded to rscale places.
func expScaled(x decimal.Decimal, rscale int) (decimal.Decimal, error) {
	val, _ := x.Float64()
	if math.Abs(val) >= numericMaxResultScale*3 {
		if val > 0 {
			return decimal.Decimal{}, errNumericOverflow()
		}
		return zeroScaled(rscale), nil
	}
	dweight := int(val * 0.434294481903252)
	prec := precFor(max(dweight, 0) + rscale + 1)
	return roundBig(bigExp(bigOf(x, prec), prec), rscale), nil
}

// numericLn is numeric_ln.
func numericLn(x decimal.Decimal) (decimal.Decimal, error) {
	if err := checkLogArg(float64(x.Sign())); err != nil {
		return decimal.Decimal{}, err
	}
	lnDweight := estimateLnDweight(x)
	rscale := clampScale(max(numericMinSigDigits-lnDweight, dscale(x)))
	prec := precFor(max(lnDweight, 0) + rscale + 1)
	return roundBig(bigLn(bigOf(x, prec), prec), rscale), nil
}

// numericLog is numeric_log (log_var): the logarithm of x to base b.
func numericLog(b, x decimal.Decimal) (decimal.Decimal, error) {
	if err := checkLogArg(float64(b.Sign())); err != nil {
		return decimal.Decimal{}, err
	}
	if err := checkLogArg(float64(x.Sign())); err != nil {
		return decimal.Decimal{}, err
	}
	if b.Equal(decimal.NewFromInt(1)) {
		return decimal.Decimal{}, sqlengine.Errorf(sqlengine.CodeDivisionByZero, "division by zero")
	}
	resultDweight := estimateLnDweight(x) - estimateLnDweight(b)
	rscale := clampScale(max(numericMinSigDigits-resultDweight, dscale(b), dscale(x)))
	prec := precFor(max(resultDweight, 0) + rscale + 1)
	lnX := bigLn(bigOf(x, prec), prec)
	lnB := bigLn(bigOf(b, prec), prec)
	return roundBig(lnX.Quo(lnX, lnB), rscale), nil
}

// numericPower is numeric_power (power_var).
func numericPower(x, y decimal.Decimal) (decimal.Decimal, error) {
	if x.IsZero() && y.Sign() < 0 {
		return decimal.Decimal{}, sqlengine.Errorf(codeInvalidArgumentForPower, "zero raised to a negative power is undefined")
	}
	integral := y.Equal(y.Truncate(0))
	if x.Sign() < 0 && !integral {
		return decimal.Decimal{}, sqlengine.Errorf(codeInvalidArgumentForPower, "a negative number raised to a non-integer power yields a complex result")
	}
	if integral && y.Abs().LessThanOrEqual(decimal.NewFromInt(math.MaxInt32)) && y.GreaterThanOrEqual(decimal.NewFromInt(math.MinInt32)) {
		rscale := clampScale(max(numericMinSigDigits, dscale(x)))
		return powerInt(x, int(y.IntPart()), rscale)
	}
	if x.IsZero() {
		return zeroScaled(numericMinSigDigits), nil
	}
	negative := x.Sign() < 0 && y.Mod(decimal.NewFromInt(2)).Abs().Equal(decimal.NewFromInt(1))
	base := x.Abs()

	// The result scale comes from a low-precision estimate of y * ln(x),
	// computed as power_var does: ln(x) to 8 significant digits.
	lnDweight := estimateLnDweight(base)
	localRscale := max(8-lnDweight, 0)
	lowPrec := precFor(localRscale + max(lnDweight, 0) + 1)
	lnLow := roundBig(bigLn(bigOf(base, lowPrec), lowPrec), localRscale)
	val, _ := lnLow.Mul(y).Round(int32(localRscale)).Float64()
	if math.Abs(val) > numericMaxResultScale*3.01 {
		if val > 0 {
			return decimal.Decimal{}, errNumericOverflow()
		}
		return zeroScaled(numericMaxDisplayScale), nil
	}
	val *= 0.434294481903252
	rscale := clampScale(max(numericMinSigDigits-int(val), dscale(base), dscale(y)))
	sigDigits := max(rscale+int(val), 0)

	// exp_var's range check applies to the precise exponent.
	prec := precFor(sigDigits+max(int(math.Log10(math.Abs(val)+1))+1, 0)) + 16
	lnNum := bigLn(bigOf(base, prec), prec)
	lnNum.Mul(lnNum, bigOf(y, prec))
	if v, _ := lnNum.Float64(); math.Abs(v) >= numericMaxResultScale*3 {
		if v > 0 {
			return decimal.Decimal{}, errNumericOverflow()
		}
		return zeroScaled(rscale), nil
	}
	r := roundBig(bigExp(lnNum, prec), rscale)
	if negative {
		r = r.Neg()
	}
	return r, nil
}

// powerInt is power_var_int: x^n for an integer n, rounded to rscale.
func powerInt(x decimal.Decimal, n, rscale int) (decimal.Decimal, error) {
	switch {
	case n == 0:
		return decimal.New(1, 0).Round(int32(rscale)), nil
	case x.IsZero():
		return zeroScaled(rscale), nil
	}
	// Estimate the decimal weight of the result as PostgreSQL does, for its
	// overflow and underflow shortcuts.
	f := float64(n) * math.Log10(x.Abs().InexactFloat64())
	if math.IsInf(f, 0) || math.IsNaN(f) {
		f = float64(n) * (float64(leadExp(x)) + 0.5)
	}
	if f > 3*math.MaxInt16*4 {
		return decimal.Decimal{}, errNumericOverflow()
	}
	if f+1 < float64(-rscale) {
		return zeroScaled(rscale), nil
	}
	if f >= numericMaxIntDigits+1 {
		return decimal.Decimal{}, errNumericOverflow()
	}
	coef := x.Coefficient()
	exp := int(x.Exponent())
	an := abs(n)
	var r decimal.Decimal
	if digits := len(new(big.Int).Abs(coef).String()) * an; digits <= 200000 {
		// Exact: x^n = coef^|n| * 10^(exp*|n|), inverted for n < 0.
		p := new(big.Int).Exp(coef, big.NewInt(int64(an)), nil)
		num, den := p, big.NewInt(1)
		ten := func(k int) *big.Int { return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(k)), nil) }
		e := exp * an
		if e >= 0 {
			num = new(big.Int).Mul(p, ten(e))
		} else {
			den = ten(-e)
		}
		if n < 0 {
			num, den = den, num
		}
		r = roundRat(num, den, rscale)
	} else {
		prec := precFor(max(int(f), 0)+rscale+1) + uint(math.Log2(float64(an))) + 1
		b := bigOf(x, prec)
		acc := new(big.Float).SetPrec(prec).SetInt64(1)
		for k := an; k > 0; k >>= 1 {
			if k&1 == 1 {
				acc.Mul(acc, b)
			}
			b.Mul(b, b)
		}
		if n < 0 {
			acc.Quo(new(big.Float).SetPrec(prec).SetInt64(1), acc)
		}
		r = roundBig(acc, rscale)
	}
	if !r.IsZero() && leadExp(r) >= numericMaxIntDigits {
		return decimal.Decimal{}, errNumericOverflow()
	}
	return r, nil
}

// bigLn is the natural logarithm of x > 0 to about prec bits.
func bigLn(x *big.Float, prec uint) *big.Float {
	wp := prec + 64
	x = new(big.Float).SetPrec(wp).Set(x)
	// Split off a power of two unless x is near 1, where the split would
	// cancel digits: ln(m * 2^e) = ln(m) + e*ln(2).
	var e int
	half, two := big.NewFloat(0.5), big.NewFloat(2)
	if x.Cmp(half) < 0 || x.Cmp(two) > 0 {
		e = x.MantExp(x)
	}
	r := lnNear1(x, wp)
	if e != 0 {
		l2 := lnNear1(new(big.Float).SetPrec(wp).SetInt64(2), wp)
		r.Add(r, l2.Mul(l2, new(big.Float).SetPrec(wp).SetInt64(int64(e))))
	}
	return r.SetPrec(prec)
}

// lnNear1 is ln(x) for x in [0.5, 2], by square roots until x is within
// 0.01 of 1 and then the series 2*atanh((x-1)/(x+1)).
func lnNear1(x *big.Float, wp uint) *big.Float {
	x = new(big.Float).SetPrec(wp).Set(x)
	one := new(big.Float).SetPrec(wp).SetInt64(1)
	lo, hi := big.NewFloat(0.99), big.NewFloat(1.01)
	k := 0
	for x.Cmp(lo) < 0 || x.Cmp(hi) > 0 {
		x.Sqrt(x)
		k++
	}
	num := new(big.Float).SetPrec(wp).Sub(x, one)
	den := new(big.Float).SetPrec(wp).Add(x, one)
	z := num.Quo(num, den)
	z2 := new(big.Float).SetPrec(wp).Mul(z, z)
	sum := new(big.Float).SetPrec(wp).Set(z)
	term := new(big.Float).SetPrec(wp).Set(z)
	t := new(big.Float).SetPrec(wp)
	for i := int64(3); term.Sign() != 0; i += 2 {
		term.Mul(term, z2)
		t.Quo(term, t.SetInt64(i))
		if t.Sign() == 0 || t.MantExp(nil) < sum.MantExp(nil)-int(wp)-2 {
			break
		}
		sum.Add(sum, t)
	}
	return sum.SetMantExp(sum, k+1)
}

// bigExp is e^x to about prec bits.
func bigExp(x *big.Float, prec uint) *big.Float {
	const halvings = 20
	wp := prec + 64 + halvings
	x = new(big.Float).SetPrec(wp).Set(x)
	ln2 := lnNear1(new(big.Float).SetPrec(wp+32).SetInt64(2), wp+32)
	// x = n*ln(2) + r with |r| <= ln(2)/2, then r is halved so the series
	// converges quickly and the sum squared back.
	q := new(big.Float).SetPrec(wp).Quo(x, ln2)
	nf, _ := q.Float64()
	n := int64(math.Round(nf))
	r := new(big.Float).SetPrec(wp+32).Mul(ln2, new(big.Float).SetInt64(n))
	r.Sub(x, r).SetPrec(wp)
	r.SetMantExp(r, -halvings)
	sum := new(big.Float).SetPrec(wp).SetInt64(1)
	term := new(big.Float).SetPrec(wp).SetInt64(1)
	for i := int64(1); ; i++ {
		term.Mul(term, r)
		term.Quo(term, new(big.Float).SetInt64(i))
		if term.Sign() == 0 || term.MantExp(nil) < -int(wp)-2 {
			break
		}
		sum.Add(sum, term)
	}
	for range halvings {
		sum.Mul(sum, sum)
	}
	return sum.SetMantExp(sum, int(n)).SetPrec(prec)
}
