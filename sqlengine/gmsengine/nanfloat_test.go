package gmsengine

import (
	"math"
	"sort"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"
)

func TestCompareFloatsOrdersNaNLast(t *testing.T) {
	nan := math.NaN()
	in := []float64{nan, math.Inf(1), 1, math.Inf(-1), nan, -0.0, 0}
	sort.SliceStable(in, func(i, j int) bool { return compareFloats(in[i], in[j]) < 0 })
	want := []float64{math.Inf(-1), -0.0, 0, 1, math.Inf(1), nan, nan}
	for i := range want {
		if !(in[i] == want[i] || math.IsNaN(in[i]) && math.IsNaN(want[i])) {
			t.Fatalf("sorted %v, want %v", in, want)
		}
	}
	if compareFloats(nan, nan) != 0 || compareFloats(-0.0, 0) != 0 {
		t.Error("NaN must equal NaN and -0 equal 0")
	}
}

func TestFloatCmp(t *testing.T) {
	ctx := sql.NewEmptyContext()
	col := expression.NewGetField(0, types.Float64, "f", true)
	lit := func(v any, typ sql.Type) sql.Expression { return expression.NewLiteral(v, typ) }
	cases := []struct {
		op    cmpOp
		f     any
		other sql.Expression
		want  any
	}{
		{cmpEq, math.NaN(), lit("NaN", types.LongText), true},
		{cmpEq, -0.0, lit("NaN", types.LongText), false},
		{cmpGt, math.NaN(), lit(math.Inf(1), types.Float64), true},
		{cmpLt, math.Inf(1), lit("NaN", types.LongText), true},
		{cmpGe, math.NaN(), lit(int32(3), types.Int32), true},
		{cmpEq, float64(float32(0.1)), lit("0.1", unconstrainedNumeric), false},
		{cmpEq, nil, lit(1.0, types.Float64), nil},
		{cmpNullSafeEq, nil, lit(nil, types.Null), true},
		{cmpLe, 2.0, lit(int8(2), types.Int8), true},
	}
	for _, c := range cases {
		e := &floatCmp{op: c.op, left: col, right: c.other}
		got, err := e.Eval(ctx, sql.Row{c.f})
		if err != nil {
			t.Fatalf("%s: %v", e, err)
		}
		if got != c.want {
			t.Errorf("%s with f = %v: got %v, want %v", e, c.f, got, c.want)
		}
	}
}

func TestFloatOrderType(t *testing.T) {
	ctx := sql.NewEmptyContext()
	typ := (&floatOrder{expression.NewGetField(0, types.Float32, "f", true)}).Type(ctx)
	if typ.Type() != types.Float32.Type() {
		t.Fatalf("type %v, want float4's", typ)
	}
	n, err := typ.Compare(ctx, float32(math.NaN()), float32(math.Inf(1)))
	if err != nil || n != 1 {
		t.Errorf("Compare(NaN, Infinity) = %d, %v; want 1", n, err)
	}
	n, err = typ.Compare(ctx, float32(math.NaN()), float32(math.NaN()))
	if err != nil || n != 0 {
		t.Errorf("Compare(NaN, NaN) = %d, %v; want 0", n, err)
	}
}
