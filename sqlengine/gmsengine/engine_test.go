package gmsengine

import (
	"bytes"
	"strconv"
	"testing"
	"time"

	"github.com/pqsql/pqsql/sqlengine"
)

func TestSelectEveryType(t *testing.T) {
	e := testEngine(t)
	s := openSession(t, e, nil)
	res := mustQuery(t, s, `SELECT id, name, grp, small, num, score, f4, flag, amount, day, ts, tstz, data FROM events WHERE id = 6`)
	if res.tag != "SELECT 1" || len(res.rows) != 1 {
		t.Fatalf("tag %q, rows %v", res.tag, res.rows)
	}
	wantOIDs := []uint32{sqlengine.Int8OID, sqlengine.TextOID, sqlengine.TextOID, sqlengine.Int2OID, sqlengine.Int4OID,
		sqlengine.Float8OID, sqlengine.Float4OID, sqlengine.BoolOID, sqlengine.NumericOID, sqlengine.DateOID,
		sqlengine.TimestampOID, sqlengine.TimestamptzOID, sqlengine.ByteaOID}
	for i, c := range res.cols {
		if c.TypeOID != wantOIDs[i] {
			t.Errorf("column %s: OID %d, want %d", c.Name, c.TypeOID, wantOIDs[i])
		}
	}
	if m := res.cols[8].TypeModifier; m != (10<<16|2)+4 {
		t.Errorf("numeric typmod = %d", m)
	}
	at := baseTime.Add(5 * time.Hour)
	want := []any{int64(6), "name-6", "a", int16(5), int32(50), 5.5, float32(1.25), false, "5.05",
		time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), at, at}
	row := res.rows[0]
	for i, w := range want {
		switch wt := w.(type) {
		case time.Time:
			if got, ok := row[i].(time.Time); !ok || !got.Equal(wt) {
				t.Errorf("column %s = %v (%T), want %v", res.cols[i].Name, row[i], row[i], w)
			}
		default:
			if row[i] != w {
				t.Errorf("column %s = %#v, want %#v", res.cols[i].Name, row[i], w)
			}
		}
	}
	if b, ok := row[12].([]byte); !ok || !bytes.Equal(b, []byte{5, 0xff}) {
		t.Errorf("data = %#v", row[12])
	}
}

func TestKeyLookupReadsOneRowGroup(t *testing.T) {
	e := testEngine(t)
	hooks := &scanHooks{}
	e.db.adapter(e.catalog.Table("events"), false).hooks = hooks
	s := openSession(t, e, nil)
	// A redundant AND true keeps the lookup in GMS; a plain key lookup
	// takes the key plan (TestKeyPlanShapes), which reads no row group
	// through GMS.
	res := mustQuery(t, s, `SELECT name FROM events WHERE id = 555 AND true ORDER BY name`)
	if len(res.rows) != 1 || res.rows[0][0] != "name-555" {
		t.Fatalf("rows = %v", res.rows)
	}
	if hooks.rowGroups != 1 {
		t.Errorf("scanned %d row groups, want 1", hooks.rowGroups)
	}
	hooks.rowGroups = 0
	res = mustQuery(t, s, `SELECT id FROM events WHERE id IN (5, 950, 2000) AND true ORDER BY id`)
	if len(res.rows) != 2 || res.rows[0][0] != int64(5) || res.rows[1][0] != int64(950) {
		t.Fatalf("rows = %v", res.rows)
	}
	if hooks.rowGroups != 2 {
		t.Errorf("IN scanned %d row groups, want 2", hooks.rowGroups)
	}
	hooks.rowGroups = 0
	res = mustQuery(t, s, `SELECT count(*) FROM events WHERE id > 950 AND id <= 960`)
	if res.rows[0][0] != int64(10) {
		t.Fatalf("range count = %v", res.rows)
	}
	if hooks.rowGroups != 1 {
		t.Errorf("range scanned %d row groups, want 1", hooks.rowGroups)
	}
}

func TestCountFromMetadata(t *testing.T) {
	e := testEngine(t)
	hooks := &scanHooks{}
	e.db.adapter(e.catalog.Table("events"), false).hooks = hooks
	s := openSession(t, e, nil)
	res := mustQuery(t, s, `SELECT count(*) FROM events`)
	if res.rows[0][0] != int64(eventRows) {
		t.Fatalf("count = %#v", res.rows[0][0])
	}
	if c := res.cols[0]; c.Name != "count" || c.TypeOID != sqlengine.Int8OID {
		t.Errorf("column = %+v", c)
	}
	if hooks.rowGroups != 0 {
		t.Errorf("count(*) scanned %d row groups", hooks.rowGroups)
	}
}

func TestGroupByOrderNulls(t *testing.T) {
	e := testEngine(t)
	s := openSession(t, e, nil)
	res := mustQuery(t, s, `SELECT grp, count(*) AS n FROM events GROUP BY grp ORDER BY grp`)
	if len(res.rows) != 4 {
		t.Fatalf("rows = %v", res.rows)
	}
	if res.rows[3][0] != nil {
		t.Errorf("NULL group not last in ascending order: %v", res.rows)
	}
	if res.rows[0][0] != "a" || res.cols[1].Name != "n" {
		t.Errorf("rows = %v cols = %+v", res.rows, res.cols)
	}
	var total int64
	for _, r := range res.rows {
		total += r[1].(int64)
	}
	if total != eventRows {
		t.Errorf("total = %d", total)
	}
	res = mustQuery(t, s, `SELECT grp FROM events GROUP BY grp ORDER BY grp DESC`)
	if res.rows[0][0] != nil {
		t.Errorf("NULL group not first in descending order: %v", res.rows)
	}
}

func TestJoin(t *testing.T) {
	e := testEngine(t)
	s := openSession(t, e, nil)
	res := mustQuery(t, s, `SELECT e.id, c.label FROM events e JOIN countries c ON e.grp = c.code WHERE e.id <= 4 ORDER BY e.id`)
	// ids 1..4: grp b, c, a, b; c has no country.
	want := [][]any{{int64(1), "Bravo"}, {int64(3), "Alpha"}, {int64(4), "Bravo"}}
	if len(res.rows) != len(want) {
		t.Fatalf("rows = %v", res.rows)
	}
	for i := range want {
		if res.rows[i][0] != want[i][0] || res.rows[i][1] != want[i][1] {
			t.Errorf("row %d = %v, want %v", i, res.rows[i], want[i])
		}
	}
}

func TestParams(t *testing.T) {
	e := testEngine(t)
	s := openSession(t, e, nil)
	ctx := t.Context()
	stmts, err := s.Prepare(ctx, `SELECT name, $2::text AS tag FROM events WHERE id = $1`, nil)
	if err != nil {
		t.Fatal(err)
	}
	st := stmts[0]
	if pt := st.ParamTypes(); len(pt) != 2 || pt[0] != sqlengine.Int8OID || pt[1] != sqlengine.TextOID {
		t.Fatalf("param types = %v", pt)
	}
	if cols := st.Columns(); len(cols) != 2 || cols[0].Name != "name" || cols[1].Name != "tag" || cols[1].TypeOID != sqlengine.TextOID {
		t.Fatalf("columns = %+v", cols)
	}
	for _, id := range []int64{7, 8} {
		rows, err := st.Execute(ctx, []any{id, "x"})
		if err != nil {
			t.Fatal(err)
		}
		r, err := rows.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if r[0] != "name-"+strconv.FormatInt(id, 10) || r[1] != "x" {
			t.Errorf("row = %v", r)
		}
		rows.Close()
	}
}

func TestFilterOnTextColumn(t *testing.T) {
	e := testEngine(t)
	hooks := &scanHooks{}
	e.db.adapter(e.catalog.Table("events"), false).hooks = hooks
	s := openSession(t, e, nil)
	// grp is 'a' for ids divisible by 3 but not by 7: 333 - 47.
	res := mustQuery(t, s, `SELECT count(*) FROM events WHERE grp = 'a'`)
	if res.rows[0][0] != int64(286) {
		t.Errorf("count = %v, want 286", res.rows[0][0])
	}
	res = mustQuery(t, s, `SELECT count(*) FROM events WHERE grp IN ('b', NULL) AND id <= 21`)
	// ids <= 21 with id%3 == 1 and id%7 != 0: 1,4,10,13,16,19 (7 is excluded).
	if res.rows[0][0] != int64(6) {
		t.Errorf("count = %v, want 6", res.rows[0][0])
	}
	hooks.rowGroups = 0
	res = mustQuery(t, s, `SELECT id FROM events WHERE name = 'name-777'`)
	if len(res.rows) != 1 || res.rows[0][0] != int64(777) {
		t.Errorf("rows = %v", res.rows)
	}
	// Text statistics place "name-777" between the min and max of several
	// row groups; only the one holding it may be decoded in full.
	if hooks.rowGroups != 1 {
		t.Errorf("text filter decoded %d row groups in full, want 1", hooks.rowGroups)
	}
}

func TestAggregateTypes(t *testing.T) {
	e := testEngine(t)
	s := openSession(t, e, nil)
	res := mustQuery(t, s, `SELECT sum(num), sum(id), avg(num), sum(amount), sum(score) FROM events`)
	wantOIDs := []uint32{sqlengine.Int8OID, sqlengine.NumericOID, sqlengine.NumericOID, sqlengine.NumericOID, sqlengine.Float8OID}
	want := []any{int64(4995000), "500500", "4995.0000000000000000", "499550.00", float64(500000)}
	for i := range want {
		if res.cols[i].TypeOID != wantOIDs[i] {
			t.Errorf("column %d: OID %d, want %d", i, res.cols[i].TypeOID, wantOIDs[i])
		}
		if res.rows[0][i] != want[i] {
			t.Errorf("column %d = %#v, want %#v", i, res.rows[0][i], want[i])
		}
	}
}

func TestTextComparisonIsBinary(t *testing.T) {
	e := testEngine(t)
	s := openSession(t, e, nil)
	res := mustQuery(t, s, `SELECT 'a' = 'A', 'a' = 'a ', 'B' < 'a', count(*) FROM countries WHERE code = 'A'`)
	want := []any{false, false, true, int64(0)}
	for i := range want {
		if res.rows[0][i] != want[i] {
			t.Errorf("column %d = %#v, want %#v", i, res.rows[0][i], want[i])
		}
	}
}

func TestInformationSchema(t *testing.T) {
	e := testEngine(t)
	s := openSession(t, e, nil)
	res := mustQuery(t, s, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`)
	if len(res.rows) != 2 || res.rows[0][0] != "countries" || res.rows[1][0] != "events" || res.cols[0].Name != "table_name" {
		t.Errorf("tables = %+v", res)
	}
	res = mustQuery(t, s, `SELECT current_database()`)
	if res.rows[0][0] != "db" {
		t.Errorf("current_database = %v", res.rows)
	}
}

// TestInListParams checks that parameters of an IN list take the column's
// type (pgx refuses to send an int64 for a text parameter) and still select
// the right rows.
func TestInListParams(t *testing.T) {
	e := testEngine(t)
	s := openSession(t, e, nil)
	ctx := t.Context()
	stmts, err := s.Prepare(ctx, `SELECT id FROM events WHERE id IN ($1, $2, $3) ORDER BY id`, nil)
	if err != nil {
		t.Fatal(err)
	}
	st := stmts[0]
	if pt := st.ParamTypes(); len(pt) != 3 || pt[0] != sqlengine.Int8OID || pt[1] != sqlengine.Int8OID || pt[2] != sqlengine.Int8OID {
		t.Fatalf("param types = %v, want three int8", pt)
	}
	rows, err := st.Execute(ctx, []any{int64(9), int64(3), int64(-1)})
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []any
	for {
		r, err := rows.Next(ctx)
		if err != nil {
			break
		}
		got = append(got, r[0])
	}
	if len(got) != 2 || got[0] != int64(3) || got[1] != int64(9) {
		t.Errorf("rows = %v, want [3 9]", got)
	}
}

// TestCastParamTypes checks that $n::T describes the parameter as T, as
// asyncpg relies on, and that a date with a zone (pgjdbc's setDate) is
// accepted as timestamptz input.
func TestCastParamTypes(t *testing.T) {
	e := testEngine(t)
	s := openSession(t, e, nil)
	ctx := t.Context()
	stmts, err := s.Prepare(ctx, `SELECT $1::float8 * 2, $2::int4, $3::timestamptz`, nil)
	if err != nil {
		t.Fatal(err)
	}
	st := stmts[0]
	pt := st.ParamTypes()
	if len(pt) != 3 || pt[0] != sqlengine.Float8OID || pt[1] != sqlengine.Int4OID || pt[2] != sqlengine.TimestamptzOID {
		t.Fatalf("param types = %v, want float8, int4, timestamptz", pt)
	}
	rows, err := st.Execute(ctx, []any{1.25, int32(7), "2020-01-01 +00"})
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	r, err := rows.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if r[0] != 2.5 || r[1] != int32(7) {
		t.Errorf("row = %v", r)
	}
	if ts, ok := r[2].(time.Time); !ok || !ts.Equal(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("timestamptz = %v", r[2])
	}
}
