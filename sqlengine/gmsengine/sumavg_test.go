package gmsengine

import (
	"math"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"
)

func TestSumAccExact(t *testing.T) {
	dec := func(s string) decimal.Decimal { return decimal.RequireFromString(s) }
	cases := []struct {
		name string
		kind sumKind
		avg  bool
		in   []any
		want string // numericText or fmt of the result; "<nil>" for NULL
	}{
		{"no rows", sumInt, false, nil, "<nil>"},
		{"int4 sum is int8", sumInt, false, []any{int32(math.MaxInt32), int32(math.MaxInt32)}, "4294967294"},
		{"int8 sum past 2^53", sumBigint, false, []any{int64(-9223316036854775808 + 391808), int64(1), int64(-1)}, "-9223316036854384000"},
		{"int8 sum past int64", sumBigint, false, []any{int64(math.MaxInt64), int64(math.MaxInt64), int64(2)}, "18446744073709551616"},
		{"int8 sum back from overflow", sumBigint, false, []any{int64(math.MaxInt64), int64(1), int64(-2)}, "9223372036854775806"},
		{"avg int", sumInt, true, []any{int32(1), int32(2)}, "1.5000000000000000"},
		{"avg int thirds", sumInt, true, []any{int16(1), int16(0), int16(0)}, "0.33333333333333333333"},
		{"avg int8 exact", sumBigint, true, []any{int64(10), int64(20)}, "15.0000000000000000"},
		{"numeric sum keeps scale", sumNumeric, false, []any{dec("1.50"), dec("2.25")}, "3.75"},
		{"numeric avg", sumNumeric, true, []any{dec("1.000001"), dec("2")}, "1.5000005000000000"},
		{"numeric avg large", sumNumeric, true, []any{dec("126233.490585"), dec("126233.490586")}, "126233.490585500000"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			acc := sumAcc{kind: c.kind, avg: c.avg}
			for _, v := range c.in {
				if err := acc.add(v); err != nil {
					t.Fatal(err)
				}
			}
			var got string
			switch r := acc.result().(type) {
			case nil:
				got = "<nil>"
			case decimal.Decimal:
				got = numericText(r)
			case int64:
				got = decimal.NewFromInt(r).String()
			default:
				t.Fatalf("result %T", r)
			}
			if got != c.want {
				t.Errorf("got %s, want %s", got, c.want)
			}
		})
	}
}

func TestSumAccFloat(t *testing.T) {
	acc := sumAcc{kind: sumFloat4}
	for _, v := range []any{float32(0.1), float32(0.2)} {
		if err := acc.add(v); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := acc.result(), float32(0.1)+float32(0.2); got != want {
		t.Errorf("sum(float4) = %v (%T), want float4 %v", got, got, want)
	}
	avg := sumAcc{kind: sumFloat8, avg: true}
	for _, v := range []any{1.0, math.Inf(1)} {
		if err := avg.add(v); err != nil {
			t.Fatal(err)
		}
	}
	if got := avg.result(); got != math.Inf(1) {
		t.Errorf("avg(float8) = %v, want Infinity", got)
	}
}

// TestSumAvgWindow checks that frames reuse the running state only when the
// frame grows from the same start, and that an all-NULL frame is NULL.
func TestSumAvgWindow(t *testing.T) {
	ctx := sql.NewEmptyContext()
	buf := sql.WindowBuffer{{int32(1)}, {nil}, {nil}, {int32(4)}, {int32(5)}}
	w := &sumAvgWindow{expr: expression.NewGetField(0, types.Int32, "x", true), acc: sumAcc{kind: sumInt}}
	if err := w.StartPartition(ctx, sql.WindowInterval{Start: 0, End: len(buf)}, buf); err != nil {
		t.Fatal(err)
	}
	frames := []struct {
		start, end int
		want       any
	}{
		{0, 1, int64(1)},
		{0, 2, int64(1)},
		{0, 5, int64(10)},
		{1, 3, nil},
		{2, 4, int64(4)},
		{3, 5, int64(9)},
		{5, 5, nil},
		{0, 4, int64(5)},
	}
	for _, f := range frames {
		got, err := w.Compute(ctx, sql.WindowInterval{Start: f.start, End: f.end}, buf)
		if err != nil {
			t.Fatal(err)
		}
		if got != f.want {
			t.Errorf("frame [%d,%d): got %v, want %v", f.start, f.end, got, f.want)
		}
	}
}

func TestDivScale(t *testing.T) {
	cases := []struct{ a, b, want string }{
		{"1", "1", "1.00000000000000000000"},
		{"10", "3", "3.3333333333333333"},
		{"7", "7000", "0.00100000000000000000"},
		{"2", "1", "2.0000000000000000"},
		{"1.5", "3", "0.50000000000000000000"},
	}
	for _, c := range cases {
		a, b := decimal.RequireFromString(c.a), decimal.RequireFromString(c.b)
		if got := numericText(a.DivRound(b, divScale(a, b))); got != c.want {
			t.Errorf("%s / %s = %s, want %s", c.a, c.b, got, c.want)
		}
	}
}
