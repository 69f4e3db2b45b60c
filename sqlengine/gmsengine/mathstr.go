package gmsengine

import (
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"

	"github.com/pqsql/pqsql/sqlengine"
)

// float8Result is the type of functions returning double precision.
var float8Result = fixedType(types.Float64)

// mathFuncs are the numeric functions whose GMS namesakes differ from
// PostgreSQL's.
func mathFuncs() []*funcSpec {
	float := func(name string, fn func(float64) (float64, error)) *funcSpec {
		return &funcSpec{name: name, minArgs: 1, maxArgs: 1, typ: float8Result, eval: func(_ *sql.Context, _ *pgFunc, v []any) (any, error) {
			f, err := toFloat64(v[0])
			if err != nil {
				return nil, err
			}
			return fn(f)
		}}
	}
	return []*funcSpec{
		float("pqsql_cbrt", func(f float64) (float64, error) { return math.Cbrt(f), nil }),
		{name: "pqsql_round", minArgs: 1, maxArgs: 2, typ: roundType, eval: evalRound},
		integral("pqsql_ceil", math.Ceil, decimal.Decimal.Ceil),
		integral("pqsql_floor", math.Floor, decimal.Decimal.Floor),
		integral("pqsql_sign", sign, func(d decimal.Decimal) decimal.Decimal { return decimal.NewFromInt(int64(d.Sign())) }),
	}
}

// integral defines ceil, floor and sign, which PostgreSQL has for float8
// and numeric only: float8 for floats and integers (GMS: bigint), numeric
// for numeric.
func integral(name string, f func(float64) float64, d func(decimal.Decimal) decimal.Decimal) *funcSpec {
	return &funcSpec{name: name, minArgs: 1, maxArgs: 1, typ: func(ctx *sql.Context, args []sql.Expression) sql.Type {
		if types.IsDecimal(args[0].Type(ctx)) {
			return unconstrainedNumeric
		}
		return types.Float64
	}, eval: func(ctx *sql.Context, fn *pgFunc, v []any) (any, error) {
		if types.IsDecimal(fn.args[0].Type(ctx)) {
			x, err := toDecimal(v[0])
			if err != nil {
				return nil, err
			}
			return d(x), nil
		}
		x, err := toFloat64(v[0])
		if err != nil {
			return nil, err
		}
		return f(x), nil
	}}
}

// sign is PostgreSQL's float8 sign: -1, 0 or 1, NaN for NaN.
func sign(f float64) float64 {
	switch {
	case f > 0:
		return 1
	case f < 0:
		return -1
	}
	return f // 0, -0 or NaN
}

// roundType is round's result type: round(float8) is double precision,
// rounding half to even (rint); round(numeric[, s]) is numeric, rounding
// half away from zero. Integers resolve to round(float8), PostgreSQL's
// preferred type of the numeric category.
func roundType(ctx *sql.Context, args []sql.Expression) sql.Type {
	if len(args) == 1 {
		t := args[0].Type(ctx)
		if types.IsFloat(t) || (types.IsInteger(t) && !types.IsBoolean(t)) {
			return types.Float64
		}
	}
	return unconstrainedNumeric
}

func evalRound(ctx *sql.Context, f *pgFunc, v []any) (any, error) {
	if f.Type(ctx) == types.Float64 {
		x, err := toFloat64(v[0])
		if err != nil {
			return nil, err
		}
		return math.RoundToEven(x), nil
	}
	d, err := toDecimal(v[0])
	if err != nil {
		return nil, err
	}
	var places int64
	if len(v) > 1 {
		if places, err = toInt64(v[1]); err != nil {
			return nil, err
		}
	}
	// shopspring's Round rounds half away from zero, as numeric round does.
	return d.Round(int32(max(min(places, 1000), -1000))), nil
}

// moreStringFuncs are the string functions GMS lacks or computes
// differently.
func moreStringFuncs() []*funcSpec {
	pad := func(name string, left bool) *funcSpec {
		return &funcSpec{name: name, minArgs: 2, maxArgs: 3, typ: textResult, eval: func(_ *sql.Context, _ *pgFunc, v []any) (any, error) {
			s := textOf(v[0], time.UTC)
			n, err := toInt64(v[1])
			if err != nil {
				return nil, err
			}
			fill := " "
			if len(v) > 2 {
				fill = textOf(v[2], time.UTC)
			}
			return padText(s, n, fill, left)
		}}
	}
	side := func(name string, left bool) *funcSpec {
		return &funcSpec{name: name, minArgs: 2, maxArgs: 2, typ: textResult, eval: func(_ *sql.Context, _ *pgFunc, v []any) (any, error) {
			n, err := toInt64(v[1])
			if err != nil {
				return nil, err
			}
			return sideText([]rune(textOf(v[0], time.UTC)), n, left), nil
		}}
	}
	return []*funcSpec{
		pad("pqsql_lpad", true),
		pad("pqsql_rpad", false),
		side("pqsql_left", true),
		side("pqsql_right", false),
		{name: "pqsql_chr", minArgs: 1, maxArgs: 1, typ: textResult, eval: func(_ *sql.Context, _ *pgFunc, v []any) (any, error) {
			n, err := toInt64(v[0])
			if err != nil {
				return nil, err
			}
			switch {
			case n == 0:
				return nil, sqlengine.Errorf(sqlengine.CodeProgramLimitExceeded, "null character not permitted")
			case n < 0 || n > utf8.MaxRune || !utf8.ValidRune(rune(n)):
				return nil, sqlengine.Errorf(sqlengine.CodeProgramLimitExceeded, "requested character too large for encoding: %d", n)
			}
			return string(rune(n)), nil
		}},
		{name: "pqsql_substring", minArgs: 2, maxArgs: 3, typ: func(ctx *sql.Context, a []sql.Expression) sql.Type {
			if t := a[0].Type(ctx); types.IsBinaryType(t) || (types.IsBlobType(t) && !types.IsTextOnly(t)) {
				return types.LongBlob
			}
			return textType
		}, eval: evalSubstring},
		{name: "pqsql_concat_ws", minArgs: 1, maxArgs: -1, typ: textResult, keepNulls: true, eval: evalConcatWS},
		{name: "pqsql_starts_with", minArgs: 2, maxArgs: 2, typ: boolResult, eval: func(_ *sql.Context, _ *pgFunc, v []any) (any, error) {
			return strings.HasPrefix(textOf(v[0], time.UTC), textOf(v[1], time.UTC)), nil
		}},
	}
}

// evalSubstring is substring(s, start[, count]) on characters (bytes for
// bytea). A start before 1 still counts toward count, so substring('hello',
// 0, 3) is 'he'.
func evalSubstring(_ *sql.Context, _ *pgFunc, v []any) (any, error) {
	start, err := toInt64(v[1])
	if err != nil {
		return nil, err
	}
	b, isBytes := v[0].([]byte)
	var n int64
	var rs []rune
	if isBytes {
		n = int64(len(b))
	} else {
		rs = []rune(textOf(v[0], time.UTC))
		n = int64(len(rs))
	}
	end := n + 1
	if len(v) > 2 {
		count, err := toInt64(v[2])
		if err != nil {
			return nil, err
		}
		if count < 0 {
			return nil, sqlengine.Errorf(codeSubstringError, "negative substring length not allowed")
		}
		if start <= math.MaxInt64-count {
			end = min(end, start+count)
		}
	}
	from := min(max(start, 1), n+1)
	end = max(end, from)
	if isBytes {
		return b[from-1 : end-1], nil
	}
	return string(rs[from-1 : end-1]), nil
}

// evalConcatWS is concat_ws(sep, ...), which concat(...) becomes with an
// empty separator: the non-NULL arguments in their PostgreSQL text form (a
// boolean is t or f, where GMS would write 1 or 0), joined by sep.
func evalConcatWS(ctx *sql.Context, f *pgFunc, v []any) (any, error) {
	if v[0] == nil {
		return nil, nil
	}
	loc := sessionLocation(ctx)
	sep := textOf(v[0], time.UTC)
	var b strings.Builder
	first := true
	for i, x := range v[1:] {
		if x == nil {
			continue
		}
		if !first {
			b.WriteString(sep)
		}
		first = false
		t := f.args[i+1].Type(ctx)
		if types.IsBoolean(t) {
			if n, err := toInt64(x); err == nil {
				x = n != 0
			}
			if x == true {
				b.WriteString("t")
			} else {
				b.WriteString("f")
			}
			continue
		}
		b.WriteString(castText(x, t, loc))
	}
	return b.String(), nil
}

// codeSubstringError is SQLSTATE 22011, substring_error.
const codeSubstringError = "22011"

// maxPadLength bounds lpad and rpad results, as PostgreSQL bounds every
// text value (1 GB).
const maxPadLength = 1 << 28

// padText is lpad/rpad: s filled on the left (or right) with repetitions of
// fill to n characters, or cut to its first n characters.
func padText(s string, n int64, fill string, left bool) (string, error) {
	if n <= 0 {
		return "", nil
	}
	if n > maxPadLength {
		return "", sqlengine.Errorf(sqlengine.CodeProgramLimitExceeded, "requested length too large")
	}
	rs := []rune(s)
	if int64(len(rs)) >= n || fill == "" {
		return string(rs[:min(int64(len(rs)), n)]), nil
	}
	fr := []rune(fill)
	need := int(n) - len(rs)
	padding := make([]rune, need)
	for i := range padding {
		padding[i] = fr[i%len(fr)]
	}
	if left {
		return string(padding) + s, nil
	}
	return s + string(padding), nil
}

// sideText is left(s, n) and right(s, n): the first (last) n characters,
// or for negative n all but the last (first) |n|.
func sideText(rs []rune, n int64, left bool) string {
	l := int64(len(rs))
	k := n
	if n < 0 {
		k = max(l+n, 0)
	}
	k = min(k, l)
	if left {
		return string(rs[:k])
	}
	return string(rs[l-k:])
}
