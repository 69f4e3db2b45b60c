package integration

import (
	"database/sql"
	"math"
	"math/big"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/pqsql/pqsql/bench/datagen"
)

// TestAllTypesBinary reads every type with pgx's extended protocol, which
// asks for binary results, and compares with the generator's values.
func TestAllTypesBinary(t *testing.T) {
	p := shared.get(t)
	conn := connect(t, p, analystUser, analystPassword)
	rows, err := conn.Query(testCtx(t), "SELECT id, c_int2, c_int4, c_int8, c_float4, c_float8, c_bool, c_text, c_numeric, "+
		"c_date, c_timestamptz, c_timestamp, c_bytea, c_uuid, c_json FROM alltypes ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	want := datagen.AllTypes()
	i := 0
	for rows.Next() {
		var (
			id      int32
			i2      *int16
			i4      *int32
			i8      *int64
			f4      *float32
			f8      *float64
			b       *bool
			text    *string
			num     pgtype.Numeric
			tstz    pgtype.Timestamptz
			ts      pgtype.Timestamp
			dateVal pgtype.Date
			bytea   []byte
			uuid    pgtype.UUID
			json    *string
		)
		if err := rows.Scan(&id, &i2, &i4, &i8, &f4, &f8, &b, &text, &num, &dateVal, &tstz, &ts, &bytea, &uuid, &json); err != nil {
			t.Fatalf("row %d: %v", i+1, err)
		}
		if i >= len(want) {
			t.Fatalf("more than %d rows", len(want))
		}
		w := want[i]
		i++
		if id != w.ID {
			t.Errorf("row %d: id %d, want %d", i, id, w.ID)
			continue
		}
		check := func(col string, ok bool, got, exp any) {
			t.Helper()
			if !ok {
				t.Errorf("id %d, %s: got %v, want %v", id, col, got, exp)
			}
		}
		check("c_int2", eqPtr(i2, w.Int2), deref(i2), w.Int2)
		check("c_int4", eqPtr(i4, w.Int4), deref(i4), w.Int4)
		check("c_int8", eqPtr(i8, w.Int8), deref(i8), w.Int8)
		check("c_float4", eqFloat(f4, w.Float4), deref(f4), w.Float4)
		check("c_float8", eqFloat(f8, w.Float8), deref(f8), w.Float8)
		check("c_bool", eqPtr(b, w.Bool), deref(b), w.Bool)
		check("c_text", eqPtr(text, w.Text), deref(text), w.Text)
		check("c_numeric", eqNumeric(num, w.NumericCents), num, w.NumericCents)
		check("c_date", dateVal.Valid == w.Date.Valid && (!w.Date.Valid || dateVal.Time.Equal(w.Date.V)), dateVal, w.Date)
		check("c_timestamptz", tstz.Valid == w.Timestamptz.Valid && (!w.Timestamptz.Valid || tstz.Time.Equal(w.Timestamptz.V)), tstz, w.Timestamptz)
		check("c_timestamp", ts.Valid == w.Timestamp.Valid && (!w.Timestamp.Valid || ts.Time.UTC().Equal(w.Timestamp.V)), ts, w.Timestamp)
		check("c_bytea", (bytea != nil) == w.Bytea.Valid && string(bytea) == string(w.Bytea.V), bytea, w.Bytea)
		check("c_uuid", uuid.Valid == w.UUID.Valid && uuid.Bytes == w.UUID.V, uuid, w.UUID)
		check("c_json", eqPtr(json, w.JSON), deref(json), w.JSON)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if i != len(want) {
		t.Errorf("%d rows, want %d", i, len(want))
	}
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

func eqPtr[T comparable](got *T, want sql.Null[T]) bool {
	if got == nil || !want.Valid {
		return got == nil && !want.Valid
	}
	return *got == want.V
}

func eqFloat[T float32 | float64](got *T, want sql.Null[T]) bool {
	if got == nil || !want.Valid {
		return got == nil && !want.Valid
	}
	g, w := float64(*got), float64(want.V)
	if math.IsNaN(w) {
		return math.IsNaN(g)
	}
	return g == w && math.Signbit(g) == math.Signbit(w)
}

// eqNumeric compares a numeric with a value in hundredths.
func eqNumeric(got pgtype.Numeric, cents sql.Null[int64]) bool {
	if !got.Valid || !cents.Valid {
		return got.Valid == cents.Valid
	}
	if got.NaN || got.InfinityModifier != pgtype.Finite || got.Int == nil {
		return false
	}
	v := new(big.Rat).SetInt(got.Int)
	scale := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(got.Exp))), nil))
	if got.Exp >= 0 {
		v.Mul(v, scale)
	} else {
		v.Quo(v, scale)
	}
	want, _ := new(big.Rat).SetString(strconv.FormatInt(cents.V, 10) + "/100")
	return v.Cmp(want) == 0
}

func abs(x int32) int32 {
	if x < 0 {
		return -x
	}
	return x
}
