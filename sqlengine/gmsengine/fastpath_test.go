package gmsengine

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/pqsql/pqsql/sqlengine"
)

// usesKeyPlan reports whether q is prepared with a key plan.
func usesKeyPlan(t *testing.T, s sqlengine.Session, q string, paramTypes ...uint32) bool {
	t.Helper()
	stmts, err := s.Prepare(context.Background(), q, paramTypes)
	if err != nil {
		t.Fatalf("Prepare(%s): %v", q, err)
	}
	return len(stmts) == 1 && stmts[0].(*statement).keyPlan != nil
}

// TestKeyPlanShapes checks which statements take the key plan: only plain
// key lookups of data tables.
func TestKeyPlanShapes(t *testing.T) {
	e := testEngine(t)
	admin := openSessionAs(t, e, "root")
	for _, tc := range []struct {
		q    string
		want bool
	}{
		{`SELECT * FROM events WHERE id = 5`, true},
		{`SELECT name, id FROM public.events WHERE 5 = id`, true},
		{`SELECT e.name FROM events e WHERE e.id IN (1, 2, 3)`, true},
		{`SELECT events.* FROM events WHERE events.id = 10000000000`, true},
		{`SELECT * FROM countries WHERE code = 'a'`, true},
		{`DELETE FROM events WHERE id IN (1, 2)`, true},
		{`SELECT * FROM events WHERE id = 5 ORDER BY name`, true},
		{`SELECT * FROM events WHERE id = 5 ORDER BY 2 DESC NULLS LAST, events.id`, true},
		{`SELECT * FROM events WHERE id = 5 LIMIT 1`, true},
		{`SELECT * FROM events WHERE id = 5 LIMIT ALL`, true},
		{`SELECT * FROM events WHERE id = 5 FETCH FIRST 2 ROWS ONLY`, true},
		{`SELECT * FROM events WHERE id = 5 LIMIT -1`, false},
		{`SELECT * FROM events WHERE id = 5 LIMIT 1 OFFSET 1`, false},
		{`SELECT * FROM events WHERE id = 5 LIMIT 1.5`, false},
		{`SELECT * FROM events WHERE id = 5 ORDER BY id FETCH FIRST 1 ROWS WITH TIES`, false},
		{`SELECT * FROM events WHERE id = 5 ORDER BY lower(name)`, false},
		{`SELECT id FROM events WHERE id = 5 ORDER BY 2`, false},
		{`SELECT * FROM events WHERE id = 5 ORDER BY nosuch`, false},
		{`SELECT * FROM events WHERE id = 5 ORDER BY id USING <`, false},
		{`SELECT "public"."events"."id" AS "id", "public"."events".name FROM "public"."events" WHERE "public"."events"."id" = 5 LIMIT 1048575`, true},
		{`SELECT public.events.* FROM events WHERE public.events.id = 5`, true},
		{`SELECT public.events.id FROM events e WHERE e.id = 5`, false}, // an error in PostgreSQL
		{`SELECT other.events.id FROM events WHERE id = 5`, false},
		{`SELECT db.public.events.id FROM events WHERE id = 5`, false},
		{`SELECT * FROM events WHERE id = '5'`, false},
		{`SELECT * FROM events WHERE id = 5.0`, false},
		{`SELECT * FROM events WHERE name = 'x'`, false},
		{`SELECT id + 1 FROM events WHERE id = 5`, false},
		{`SELECT * FROM __raw__events WHERE id = 5`, false},
		{`SELECT * FROM events WHERE id = 5 AND true`, false},
		{`DELETE FROM events WHERE id = 5 RETURNING *`, false},
		{`SELECT * FROM events x WHERE events.id = 5`, false}, // an error in PostgreSQL too
	} {
		q := tc.q
		stmts, err := admin.Prepare(context.Background(), q, nil)
		got := err == nil && stmts[0].(*statement).keyPlan != nil
		if got != tc.want {
			t.Errorf("%s: key plan %v, want %v (err %v)", q, got, tc.want, err)
		}
	}
	if !usesKeyPlan(t, admin, `SELECT * FROM events WHERE id = $1`) {
		t.Errorf("a parameter of inferred type int8 does not take the key plan")
	}
	if usesKeyPlan(t, admin, `SELECT * FROM events WHERE id = $1`, sqlengine.Float8OID) {
		t.Errorf("a float8 parameter takes the key plan")
	}
}

// TestKeyPlanMatchesGMS runs key lookups through the key plan and the same
// query through GMS (the `AND true` defeats the key plan) and compares.
func TestKeyPlanMatchesGMS(t *testing.T) {
	e := testEngine(t)
	s := openSessionAs(t, e, "wendy")
	ctx := context.Background()
	same := func(when, q string, params ...any) {
		t.Helper()
		if !usesKeyPlan(t, s, q) {
			t.Fatalf("%s: no key plan", q)
		}
		got, err := query(ctx, s, q, params...)
		if err != nil {
			t.Fatalf("%s: %s: %v", when, q, err)
		}
		want, err := query(ctx, s, q+" AND true", params...)
		if err != nil {
			t.Fatalf("%s: %s AND true: %v", when, q, err)
		}
		if fmt.Sprint(got.rows) != fmt.Sprint(want.rows) || got.tag != want.tag || fmt.Sprint(got.cols) != fmt.Sprint(want.cols) {
			t.Errorf("%s: %s\n key plan %v %q %v\n GMS      %v %q %v", when, q, got.rows, got.tag, got.cols, want.rows, want.tag, want.cols)
		}
	}
	probe := func(when string) {
		same(when, `SELECT * FROM events WHERE id = 5`)
		same(when, `SELECT name, id, day, amount, tstz FROM events WHERE id IN (7, 5, 999, 12, 5)`)
		same(when, `SELECT * FROM events WHERE id = 123456`)
		same(when, `SELECT * FROM events WHERE id = NULL`)
		same(when, `SELECT id, grp FROM events WHERE id = $1`, int64(6))
		same(when, `SELECT id, grp FROM events WHERE id = $1`, nil)
		same(when, `SELECT id FROM events WHERE id IN ($1, $2)`, int64(6), int64(8))
		same(when, `SELECT * FROM countries WHERE code IN ('a', 'd', 'zz')`)
		same(when, `SELECT label FROM countries WHERE code = $1`, "b")
		same(when, `SELECT public.events.id, "public"."events".name AS n FROM public.events WHERE public.events.id IN (5, 7)`)
	}
	probe("before DELETE")
	res := mustQuery(t, s, `DELETE FROM events WHERE id IN (5, 6, 6, 999999)`)
	if res.tag != "DELETE 2" {
		t.Errorf("DELETE tag = %q, want DELETE 2", res.tag)
	}
	if res := mustQuery(t, s, `DELETE FROM events WHERE id = $1`, int64(5)); res.tag != "DELETE 0" {
		t.Errorf("second DELETE of 5: tag %q, want DELETE 0", res.tag)
	}
	probe("after DELETE")
	// In a transaction block the session sees its own deletes at once,
	// others at COMMIT; ROLLBACK discards them.
	other := openSessionAs(t, e, "alice")
	mustQuery(t, s, `BEGIN`)
	if res := mustQuery(t, s, `DELETE FROM events WHERE id IN (7, 8)`); res.tag != "DELETE 2" {
		t.Errorf("DELETE in block: tag %q", res.tag)
	}
	if res := mustQuery(t, s, `DELETE FROM events WHERE id = 7`); res.tag != "DELETE 0" {
		t.Errorf("DELETE again in block: tag %q, want DELETE 0", res.tag)
	}
	probe("in a transaction block")
	if res := mustQuery(t, other, `SELECT id FROM events WHERE id IN (7, 8)`); len(res.rows) != 2 {
		t.Errorf("other session sees %v before COMMIT, want 2 rows", res.rows)
	}
	mustQuery(t, s, `ROLLBACK`)
	if res := mustQuery(t, other, `SELECT id FROM events WHERE id IN (7, 8)`); len(res.rows) != 2 {
		t.Errorf("other session sees %v after ROLLBACK, want 2 rows", res.rows)
	}
	mustQuery(t, s, `BEGIN`)
	mustQuery(t, s, `DELETE FROM events WHERE id = 8`)
	mustQuery(t, s, `COMMIT`)
	if res := mustQuery(t, other, `SELECT id FROM events WHERE id IN (7, 8)`); fmt.Sprint(res.rows) != "[[7]]" {
		t.Errorf("other session sees %v after COMMIT, want [[7]]", res.rows)
	}
	// A reader may not DELETE, by key or otherwise.
	_, err := query(ctx, other, `DELETE FROM events WHERE id = 9`)
	wantCode(t, err, sqlengine.CodeInsufficientPrivilege)
	if res := mustQuery(t, other, `SELECT id FROM events WHERE id = 9`); len(res.rows) != 1 {
		t.Errorf("reader's refused DELETE removed the row")
	}
	// A parameter value that is not an exact key goes to GMS, which
	// answers as before.
	if res := mustQuery(t, s, `SELECT id FROM events WHERE id = $1`, "10"); fmt.Sprint(res.rows) != "[[10]]" {
		t.Errorf("text parameter: %v", res.rows)
	}
}

// TestKeyPlanFileGone checks that a prepared key plan reads the table's
// files as they are when it runs: after a rescan dropped the file it read
// (and cached), it finds nothing.
func TestKeyPlanFileGone(t *testing.T) {
	e := testEngine(t)
	s := openSessionAs(t, e, "root")
	ctx := context.Background()
	q := `SELECT label FROM countries WHERE code = 'a'`
	if !usesKeyPlan(t, s, q) {
		t.Fatalf("no key plan")
	}
	if res := mustQuery(t, s, q); fmt.Sprint(res.rows) != "[[Alpha]]" {
		t.Fatalf("rows = %v", res.rows)
	}
	stmts, err := s.Prepare(ctx, q, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(e.catalog.Table("countries").Files()[0]); err != nil {
		t.Fatal(err)
	}
	mustQuery(t, s, `SELECT pqsql_rescan()`)
	rows, err := stmts[0].Execute(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	if r, err := rows.Next(ctx); err != io.EOF {
		t.Errorf("after the file vanished: row %v, err %v; want none", r, err)
	}
}

// BenchmarkKeyPlanSelect measures a prepared key lookup's execution.
func BenchmarkKeyPlanSelect(b *testing.B) {
	s, ctx := benchSession(b)
	stmts, err := s.Prepare(ctx, `SELECT * FROM events WHERE id = $1`, nil)
	if err != nil {
		b.Fatal(err)
	}
	st := stmts[0]
	b.ReportAllocs()
	for b.Loop() {
		drain(b, ctx, st, []any{int64(555)})
	}
}

// benchSession opens a session of a test engine for a benchmark.
func benchSession(b *testing.B) (sqlengine.Session, context.Context) {
	e := testEngine(&testing.T{})
	s, err := e.NewSession(context.Background(), sqlengine.SessionInfo{User: "alice", Database: "db"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s, context.Background()
}

// drain executes st with params and reads its rows.
func drain(b *testing.B, ctx context.Context, st sqlengine.Statement, params []any) {
	rows, err := st.Execute(ctx, params)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	for {
		if _, err := rows.Next(ctx); err != nil {
			return
		}
	}
}

// TestKeyDeleteWithoutGMS checks DELETEs by key planned without GMS: a long
// IN list, parameters of unspecified type, and the cases GMS must answer.
func TestKeyDeleteWithoutGMS(t *testing.T) {
	e := testEngine(t)
	s := openSessionAs(t, e, "wendy")
	ctx := context.Background()
	var b strings.Builder
	b.WriteString("DELETE FROM events WHERE id IN (")
	for i := range 10000 {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%d", 1+i*7) // ids 1, 8, 15, ...; up to 1000 exist
	}
	b.WriteString(")")
	stmts, err := s.Prepare(ctx, b.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if st := stmts[0].(*statement); st.keyPlan == nil || st.parsed != nil {
		t.Errorf("long IN list: key plan %v, planned by GMS %v", st.keyPlan != nil, st.parsed != nil)
	}
	if res := mustQuery(t, s, b.String()); res.tag != "DELETE 143" {
		t.Errorf("long IN list: tag %q, want DELETE 143", res.tag)
	}
	stmts, err = s.Prepare(ctx, `DELETE FROM events WHERE id = $1`, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := stmts[0].ParamTypes(); len(got) != 1 || got[0] != sqlengine.Int8OID {
		t.Errorf("parameter types %v, want [int8]", got)
	}
	if res := mustQuery(t, s, `DELETE FROM events WHERE id = $1`, int64(2)); res.tag != "DELETE 1" {
		t.Errorf("parameter: tag %q", res.tag)
	}
	for _, tc := range []struct{ q, code string }{
		{`DELETE FROM events WHERE nosuch IN (1, 2)`, sqlengine.CodeUndefinedColumn},
		{`DELETE FROM events WHERE id IN ('x')`, sqlengine.CodeInvalidTextRepresentation},
		{`DELETE FROM nosuch WHERE id = 1`, sqlengine.CodeUndefinedTable},
		{`DELETE FROM __raw__events WHERE id = 1`, sqlengine.CodeUndefinedTable},
	} {
		_, err := query(ctx, s, tc.q)
		wantCode(t, err, tc.code)
	}
	if n := count(t, s, `SELECT count(*) FROM events`); n != eventRows-144 {
		t.Errorf("count after DELETEs = %d, want %d", n, eventRows-144)
	}
}

// BenchmarkKeyPlanSimpleQuery measures a point query sent as text, as the
// simple protocol (psql, psycopg2) sends it, with a new key each time.
func BenchmarkKeyPlanSimpleQuery(b *testing.B) {
	s, ctx := benchSession(b)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		// Another id each time, as a client writing its keys into the
		// text sends them.
		stmts, err := s.Prepare(ctx, `SELECT * FROM events WHERE id = `+strconv.Itoa(1+i%1000), nil)
		if err != nil {
			b.Fatal(err)
		}
		drain(b, ctx, stmts[0], nil)
	}
}

// TestKeyStmtCache checks that a key-plan query sent again as text reuses
// its statement, and that the reused statement still sees DELETEs, and is
// not reused where the first could be wrong.
func TestKeyStmtCache(t *testing.T) {
	e := testEngine(t)
	s := openSessionAs(t, e, "wendy")
	ctx := context.Background()
	prepare := func(q string, paramTypes ...uint32) *statement {
		t.Helper()
		stmts, err := s.Prepare(ctx, q, paramTypes)
		if err != nil {
			t.Fatalf("Prepare(%s): %v", q, err)
		}
		return stmts[0].(*statement)
	}
	const q = `SELECT id, name FROM events WHERE id = 42`
	first := prepare(q)
	if first.keyPlan == nil {
		t.Fatal("no key plan")
	}
	if prepare(q) != first {
		t.Error("the same text was parsed and planned again")
	}
	if res := mustQuery(t, s, q); len(res.rows) != 1 {
		t.Fatalf("before DELETE: %v", res.rows)
	}
	other := openSessionAs(t, e, "wendy")
	if res := mustQuery(t, other, `DELETE FROM events WHERE id = 42`); res.tag != "DELETE 1" {
		t.Fatalf("DELETE: %s", res.tag)
	}
	if res := mustQuery(t, s, q); len(res.rows) != 0 || prepare(q) != first {
		t.Errorf("after DELETE: rows %v, reused %v", res.rows, prepare(q) == first)
	}
	// A DELETE's statement is reused too, and counts what it hides each time.
	const del = `DELETE FROM events WHERE id IN (43, 44)`
	if res := mustQuery(t, s, del); res.tag != "DELETE 2" {
		t.Errorf("first DELETE: %s", res.tag)
	}
	if res := mustQuery(t, s, del); res.tag != "DELETE 0" {
		t.Errorf("DELETE again: %s", res.tag)
	}
	if prepare(q, sqlengine.Int8OID) == first {
		t.Error("a statement prepared without parameter types served one with")
	}
	mustQuery(t, s, `SET search_path TO pg_catalog, public`)
	if prepare(q) == first {
		t.Error("reused after search_path changed")
	}
	// In a failed transaction block Prepare refuses every statement.
	mustQuery(t, s, `BEGIN`)
	if _, err := query(ctx, s, `SELECT * FROM nosuch`); err == nil {
		t.Fatal("query of an unknown table succeeded")
	}
	_, err := s.Prepare(ctx, q, nil)
	wantCode(t, err, "25P02")
	mustQuery(t, s, `ROLLBACK`)
}

// TestKeyStmtShapes checks statements made from the cached statement of a
// query of the same shape: which texts get one, and that each answers as
// the text parsed anew does.
func TestKeyStmtShapes(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	for _, tc := range []struct {
		warm string
		q    string
		// derived says whether q is made from warm's statement.
		derived bool
	}{
		{`SELECT id, name FROM events WHERE id = 42`, `SELECT id, name FROM events WHERE id = 43`, true},
		{`SELECT id, name FROM events WHERE id = 42`, "SELECT id,name\n FROM events WHERE id=   44  ;", true},
		{`SELECT id, name FROM events WHERE id = 42`, `SELECT id, name FROM events WHERE id = 4.5`, false},
		{`SELECT id, name FROM events WHERE id = 42`, `SELECT id, name FROM events WHERE id = -45`, false},
		{`SELECT id, name FROM events WHERE id = 42`, `SELECT id, name FROM events WHERE id = 42 + 3`, false},
		{`SELECT id, name FROM events WHERE id = 42`, `SELECT id, name FROM events WHERE id = 46 -- comment`, false},
		{`SELECT id FROM events WHERE id = -5`, `SELECT id FROM events WHERE id = - 46`, true},
		{`SELECT * FROM events WHERE id IN (1, 2, 3)`, `SELECT * FROM events WHERE id IN (7, 8, 7)`, true},
		{`SELECT * FROM events WHERE id IN (1, 2, 3)`, `SELECT * FROM events WHERE id IN (7, 8)`, false},
		{`SELECT * FROM events WHERE id IN (1, NULL)`, `SELECT * FROM events WHERE id IN (9, NULL)`, true},
		{`SELECT * FROM events WHERE id = 10000000000`, `SELECT * FROM events WHERE id = 10000000047`, true},
		{`SELECT * FROM events WHERE id = 10000000000`, `SELECT * FROM events WHERE id = 1e3`, false},
		{`SELECT * FROM countries WHERE code = 'a'`, `SELECT * FROM countries WHERE code = 'b'`, true},
		{`SELECT * FROM countries WHERE code = 'a'`, `SELECT * FROM countries WHERE code = 'it''s'`, true},
		{`SELECT * FROM countries WHERE code = 'a'`, "SELECT * FROM countries WHERE code = 'd'\n''", false},
		{`SELECT * FROM countries WHERE code = 'a'`, "SELECT * FROM countries WHERE code = ''\n'd'", false},
		{`SELECT * FROM countries WHERE code = 'a'`, `SELECT * FROM countries WHERE code = E'\x64'`, false},
		{`SELECT * FROM countries WHERE code = 'a'`, `SELECT * FROM countries WHERE code = 7`, false},
		{`DELETE FROM events WHERE id IN (1, 2)`, `DELETE FROM events WHERE id IN (50, 51)`, true},
	} {
		s := openSessionAs(t, e, "wendy")
		fresh := openSessionAs(t, e, "wendy")
		mustQuery(t, s, tc.warm)
		stmts, err := s.Prepare(ctx, tc.q, nil)
		if err != nil {
			t.Fatalf("%s: %v", tc.q, err)
		}
		st := stmts[0].(*statement)
		if derived := st.unparsed != ""; derived != tc.derived {
			t.Errorf("%s after %s: derived %v, want %v", tc.q, tc.warm, derived, tc.derived)
		}
		if st.SQL() != strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(tc.q), ";")) {
			t.Errorf("%s: SQL() = %q", tc.q, st.SQL())
		}
		if strings.HasPrefix(tc.q, "DELETE") {
			// The fresh session would find the rows deleted.
			if res := mustQuery(t, s, tc.q); res.tag != "DELETE 2" {
				t.Errorf("%s: tag %s", tc.q, res.tag)
			}
			continue
		}
		got, want := mustQuery(t, s, tc.q), mustQuery(t, fresh, tc.q)
		if fmt.Sprint(got.rows) != fmt.Sprint(want.rows) || got.tag != want.tag || fmt.Sprint(got.cols) != fmt.Sprint(want.cols) {
			t.Errorf("%s after %s: got %v %s %v, want %v %s %v", tc.q, tc.warm, got.rows, got.tag, got.cols, want.rows, want.tag, want.cols)
		}
	}
}

// TestDerivedStatementParsesForGMS checks that a statement made from a
// shape, when it must go to GMS after all, runs its own text.
func TestDerivedStatementParsesForGMS(t *testing.T) {
	e := testEngine(t)
	s := openSessionAs(t, e, "wendy")
	ctx := context.Background()
	mustQuery(t, s, `SELECT id, name FROM events WHERE id = 42`)
	stmts, err := s.Prepare(ctx, `SELECT id, name FROM events WHERE id = 43`, nil)
	if err != nil {
		t.Fatal(err)
	}
	st := stmts[0].(*statement)
	if st.unparsed == "" {
		t.Fatal("not made from the shape")
	}
	rows, err := st.execGMS(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	r, err := rows.Next(ctx)
	if err != nil || fmt.Sprint(r[0]) != "43" {
		t.Errorf("GMS ran %v, %v; want the row of id 43", r, err)
	}
}

// TestKeyPlanLimitOrder checks key plans with LIMIT and ORDER BY against
// GMS running the same query (made to by a redundant AND true).
func TestKeyPlanLimitOrder(t *testing.T) {
	e := testEngine(t)
	s := openSessionAs(t, e, "wendy")
	ctx := context.Background()
	for _, tc := range []struct {
		q, gms string
		params []any
	}{
		{`SELECT * FROM events WHERE id = 5 LIMIT 1`, `SELECT * FROM events WHERE id = 5 AND true LIMIT 1`, nil},
		{`SELECT * FROM events WHERE id = 5 LIMIT 0`, `SELECT * FROM events WHERE id = 5 AND true LIMIT 0`, nil},
		{`SELECT id FROM events WHERE id IN (3, 4, 5) LIMIT 2`, `SELECT id FROM events WHERE id IN (3, 4, 5) AND true LIMIT 2`, nil},
		{`SELECT id FROM events WHERE id IN (3, 4, 5) LIMIT NULL`, `SELECT id FROM events WHERE id IN (3, 4, 5) AND true LIMIT NULL`, nil},
		{`SELECT id FROM events WHERE id IN (3, 4, 5) FETCH FIRST 1 ROW ONLY`, `SELECT id FROM events WHERE id IN (3, 4, 5) AND true FETCH FIRST 1 ROW ONLY`, nil},
		{`SELECT id, name FROM events WHERE id IN (3, 4, 5) ORDER BY id DESC`, `SELECT id, name FROM events WHERE id IN (3, 4, 5) AND true ORDER BY id DESC`, nil},
		{`SELECT id, name FROM events WHERE id IN (3, 999999) ORDER BY name`, `SELECT id, name FROM events WHERE id IN (3, 999999) AND true ORDER BY name`, nil},
		{`SELECT id FROM events WHERE id IN (3, 4, 5) ORDER BY 1 LIMIT 2`, `SELECT id FROM events WHERE id IN (3, 4, 5) AND true ORDER BY 1 LIMIT 2`, nil},
		{`SELECT id FROM events WHERE id = $1 LIMIT $2`, `SELECT id FROM events WHERE id = $1 AND true LIMIT $2`, []any{int64(7), int64(1)}},
		{`SELECT id FROM events WHERE id = $1 LIMIT $2`, `SELECT id FROM events WHERE id = $1 AND true LIMIT $2`, []any{int64(7), int64(0)}},
		// LIMIT NULL is no limit; GMS supports it only as a constant.
		{`SELECT id FROM events WHERE id = $1 LIMIT $2`, `SELECT id FROM events WHERE id = $1 AND true LIMIT NULL`, []any{int64(7), nil}},
	} {
		if !usesKeyPlan(t, s, tc.q) {
			t.Errorf("%s: no key plan", tc.q)
			continue
		}
		got, err := query(ctx, s, tc.q, tc.params...)
		if err != nil {
			t.Fatalf("%s: %v", tc.q, err)
		}
		gmsParams := tc.params
		if strings.HasSuffix(tc.gms, "LIMIT NULL") && len(tc.params) > 1 {
			gmsParams = tc.params[:1]
		}
		want, err := query(ctx, s, tc.gms, gmsParams...)
		if err != nil {
			t.Fatalf("%s: %v", tc.gms, err)
		}
		if fmt.Sprint(got.rows) != fmt.Sprint(want.rows) || got.tag != want.tag || fmt.Sprint(got.cols) != fmt.Sprint(want.cols) {
			t.Errorf("%s %v\n key plan %v %q %v\n GMS      %v %q %v", tc.q, tc.params, got.rows, got.tag, got.cols, want.rows, want.tag, want.cols)
		}
	}
	// A negative LIMIT parameter is GMS's to refuse, as PostgreSQL does.
	_, err := query(ctx, s, `SELECT id FROM events WHERE id = $1 LIMIT $2`, int64(7), int64(-1))
	_, gmsErr := query(ctx, s, `SELECT id FROM events WHERE id = $1 AND true LIMIT $2`, int64(7), int64(-1))
	if fmt.Sprint(err) != fmt.Sprint(gmsErr) {
		t.Errorf("negative LIMIT: error %v, GMS's %v", err, gmsErr)
	}
	// A text of the same shape takes the first one's plan with its own
	// LIMIT.
	mustQuery(t, s, `SELECT id FROM events WHERE id IN (3, 4, 5) LIMIT 2`)
	stmts, err := s.Prepare(ctx, `SELECT id FROM events WHERE id IN (3, 4, 6) LIMIT 1`, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st := stmts[0].(*statement); st.unparsed == "" || st.keyPlan.limit != 1 {
		t.Errorf("same shape: derived %v", st.unparsed != "")
	}
	if res := mustQuery(t, s, `SELECT id FROM events WHERE id IN (3, 4, 6) LIMIT 1`); fmt.Sprint(res.rows) != "[[3]]" {
		t.Errorf("same shape: rows %v", res.rows)
	}
}
