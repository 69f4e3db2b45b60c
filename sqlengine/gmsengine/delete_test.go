package gmsengine

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/rs/zerolog"

	"github.com/pqsql/pqsql/sqlengine"
	"github.com/pqsql/pqsql/tables"
)

// openAs opens a session for user on database db.
func openAs(t *testing.T, e *Engine, user string) sqlengine.Session {
	t.Helper()
	s, err := e.NewSession(t.Context(), sqlengine.SessionInfo{User: user, Database: "db"})
	if err != nil {
		t.Fatalf("NewSession(%s): %v", user, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func count(t *testing.T, s sqlengine.Session, q string) int64 {
	t.Helper()
	return mustQuery(t, s, q).rows[0][0].(int64)
}

func TestDeleteAutocommit(t *testing.T) {
	e := testEngine(t)
	w := openAs(t, e, "wendy")
	r := openAs(t, e, "alice")
	if res := mustQuery(t, w, `DELETE FROM events WHERE id = 5`); res.tag != "DELETE 1" || res.cols != nil {
		t.Fatalf("DELETE: %+v", res)
	}
	if res := mustQuery(t, w, `DELETE FROM events WHERE id IN (5, 6)`); res.tag != "DELETE 1" {
		t.Errorf("second DELETE tag = %q", res.tag)
	}
	for _, s := range []sqlengine.Session{w, r} {
		if n := count(t, s, `SELECT count(*) FROM events`); n != eventRows-2 {
			t.Errorf("count(*) = %d, want %d", n, eventRows-2)
		}
		if n := count(t, s, `SELECT count(*) FROM events WHERE id BETWEEN 1 AND 10`); n != 8 {
			t.Errorf("count of ids 1..10 = %d, want 8", n)
		}
	}
	_, err := query(t.Context(), r, `DELETE FROM events WHERE id = 7`)
	if pe := wantCode(t, err, sqlengine.CodeInsufficientPrivilege); pe.Message != "permission denied for table events" {
		t.Errorf("message = %q", pe.Message)
	}
	if n := count(t, r, `SELECT count(*) FROM events WHERE id = 7`); n != 1 {
		t.Errorf("reader's DELETE removed the row")
	}
}

func TestDeleteInTransaction(t *testing.T) {
	e := testEngine(t)
	w := openAs(t, e, "wendy")
	other := openAs(t, e, "alice")
	mustQuery(t, w, `BEGIN`)
	if res := mustQuery(t, w, `DELETE FROM events WHERE id IN (6, 7)`); res.tag != "DELETE 2" {
		t.Fatalf("tag = %q", res.tag)
	}
	if n := count(t, w, `SELECT count(*) FROM events`); n != eventRows-2 {
		t.Errorf("own count inside the block = %d", n)
	}
	if n := count(t, other, `SELECT count(*) FROM events`); n != eventRows {
		t.Errorf("other session sees uncommitted DELETE: %d", n)
	}
	mustQuery(t, w, `ROLLBACK`)
	if n := count(t, w, `SELECT count(*) FROM events`); n != eventRows {
		t.Errorf("count after ROLLBACK = %d", n)
	}

	mustQuery(t, w, `BEGIN`)
	mustQuery(t, w, `DELETE FROM events WHERE id = 8`)
	mustQuery(t, w, `SAVEPOINT a`)
	mustQuery(t, w, `DELETE FROM events WHERE id = 9`)
	mustQuery(t, w, `ROLLBACK TO SAVEPOINT a`)
	if res := mustQuery(t, w, `COMMIT`); res.tag != "COMMIT" {
		t.Fatalf("COMMIT tag = %q", res.tag)
	}
	res := mustQuery(t, other, `SELECT id FROM events WHERE id IN (8, 9) ORDER BY id`)
	if len(res.rows) != 1 || res.rows[0][0] != int64(9) {
		t.Errorf("after COMMIT ids 8, 9 = %v, want only 9", res.rows)
	}

	// A failed block's DELETEs are dropped at COMMIT.
	mustQuery(t, w, `BEGIN`)
	mustQuery(t, w, `DELETE FROM events WHERE id = 10`)
	_, err := query(t.Context(), w, `SELECT 1/0`)
	wantCode(t, err, sqlengine.CodeDivisionByZero)
	if res := mustQuery(t, w, `COMMIT`); res.tag != "ROLLBACK" {
		t.Errorf("tag = %q", res.tag)
	}
	if n := count(t, other, `SELECT count(*) FROM events WHERE id = 10`); n != 1 {
		t.Errorf("DELETE of a failed block was committed")
	}
}

func TestDeleteReturningAndAudit(t *testing.T) {
	e := testEngine(t)
	w := openAs(t, e, "wendy")
	root := openAs(t, e, "root")
	mustQuery(t, w, `SET pqsql.erasure_reason = 'GDPR art. 17'`)
	res := mustQuery(t, w, `DELETE FROM events WHERE id IN (3, 4, 2000) RETURNING id, name AS n, upper(name)`)
	if res.tag != "DELETE 2" || len(res.cols) != 3 || res.cols[1].Name != "n" || res.cols[2].Name != "upper" {
		t.Fatalf("RETURNING: tag %q cols %+v", res.tag, res.cols)
	}
	if len(res.rows) != 2 || res.rows[0][0] != int64(3) || res.rows[1][1] != "name-4" || res.rows[1][2] != "NAME-4" {
		t.Errorf("RETURNING rows = %v", res.rows)
	}
	if res := mustQuery(t, w, `DELETE FROM events WHERE id = 3 RETURNING *`); res.tag != "DELETE 0" || len(res.rows) != 0 || len(res.cols) != len(eventsSchema.Fields()) {
		t.Errorf("RETURNING of an already deleted row: %+v", res)
	}
	if n := count(t, root, `SELECT count(*) FROM events`); n != eventRows-2 {
		t.Errorf("count = %d", n)
	}
	if n := count(t, root, `SELECT count(*) FROM __raw__events`); n != eventRows {
		t.Errorf("raw count = %d", n)
	}
	if n := count(t, root, `SELECT count(*) FROM "__RAW__Events" r WHERE r.id IN (3, 4)`); n != 2 {
		t.Errorf("raw rows of deleted ids = %d", n)
	}
	audit := mustQuery(t, root, `SELECT table_name, key_column, key_value, actor, reason FROM pqsql_tombstones ORDER BY key_value`)
	want := [][]any{{"events", "id", "3", "wendy", "GDPR art. 17"}, {"events", "id", "4", "wendy", "GDPR art. 17"}}
	if fmt.Sprint(audit.rows) != fmt.Sprint(want) {
		t.Errorf("pqsql_tombstones = %v, want %v", audit.rows, want)
	}
	for _, q := range []string{`DELETE FROM __raw__events WHERE id = 1`, `DELETE FROM pqsql_tombstones`} {
		_, err := query(t.Context(), root, q)
		wantCode(t, err, sqlengine.CodeFeatureNotSupported)
	}
}

func TestAdminTablesHidden(t *testing.T) {
	e := testEngine(t)
	for _, user := range []string{"alice", "wendy"} {
		s := openAs(t, e, user)
		for _, q := range []string{
			`SELECT count(*) FROM __raw__events`,
			`SELECT count(*) FROM "__RAW__events"`,
			`SELECT count(*) FROM public.__raw__events`,
			`SELECT * FROM events WHERE id IN (SELECT id FROM __raw__events)`,
			`WITH r AS (SELECT * FROM __raw__events) SELECT count(*) FROM r`,
			`SELECT count(*) FROM events e JOIN __raw__events r ON e.id = r.id`,
			`SELECT * FROM pqsql_tombstones`,
			`DELETE FROM __raw__events WHERE id = 1`,
		} {
			_, err := query(t.Context(), s, q)
			pe := wantCode(t, err, sqlengine.CodeUndefinedTable)
			if !strings.Contains(pe.Message, "does not exist") {
				t.Errorf("%s: %s", q, pe.Message)
			}
		}
		res := mustQuery(t, s, `SELECT count(*) FROM information_schema.tables WHERE table_name LIKE '%raw%' OR table_name LIKE 'pqsql%'`)
		if res.rows[0][0] != int64(0) {
			t.Errorf("%s sees admin tables in information_schema: %v", user, res.rows)
		}
		_, err := query(t.Context(), s, `SELECT pqsql_rescan()`)
		wantCode(t, err, sqlengine.CodeInsufficientPrivilege)
	}
	root := openAs(t, e, "root")
	if res := mustQuery(t, root, `SELECT pqsql_rescan()`); res.rows[0][0] != int32(2) {
		t.Errorf("pqsql_rescan() = %v, want 2", res.rows)
	}
}

func TestDeleteBadInput(t *testing.T) {
	e := testEngine(t)
	w := openAs(t, e, "wendy")
	_, err := query(t.Context(), w, `DELETE FROM events WHERE id = 'abc'`)
	if pe := wantCode(t, err, sqlengine.CodeInvalidTextRepresentation); pe.Message != `invalid input syntax for type bigint: "abc"` {
		t.Errorf("message = %q", pe.Message)
	}
	_, err = query(t.Context(), w, `DELETE FROM events WHERE id IN (1, 'x1')`)
	wantCode(t, err, sqlengine.CodeInvalidTextRepresentation)
	if res := mustQuery(t, w, `DELETE FROM events WHERE id = '7'`); res.tag != "DELETE 1" {
		t.Errorf("DELETE with a numeric string: %q", res.tag)
	}
	_, err = query(t.Context(), w, `DELETE FROM nosuch WHERE id = 1`)
	wantCode(t, err, sqlengine.CodeUndefinedTable)
	_, err = query(t.Context(), w, `DELETE FROM events WHERE nosuch = 1`)
	wantCode(t, err, sqlengine.CodeUndefinedColumn)
	if n := count(t, w, `SELECT count(*) FROM events`); n != eventRows-1 {
		t.Errorf("count = %d", n)
	}
}

func TestDeleteNullKey(t *testing.T) {
	dir := t.TempDir()
	sch := arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "v", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, sch)
	b.Field(0).(*array.StringBuilder).AppendValues([]string{"a", "", "c"}, []bool{true, false, true})
	b.Field(1).(*array.Int64Builder).AppendValues([]int64{1, 2, 3}, nil)
	writeParquet(t, filepath.Join(dir, "n.parquet"), b.NewRecordBatch())
	b.Release()
	cat, err := tables.Open(t.Context(), dir, tables.Options{KeyColumns: map[string]string{"n": "k"}, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cat.Close() })
	e, err := New(t.Context(), cat, Options{Database: "db", Roles: map[string]string{"wendy": RoleWriter}, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	w := openAs(t, e, "wendy")
	_, err = query(t.Context(), w, `DELETE FROM n WHERE v >= 1`)
	if pe := wantCode(t, err, sqlengine.CodeNotNullViolation); pe.Message != `cannot delete rows whose key column "k" is NULL` {
		t.Errorf("message = %q", pe.Message)
	}
	if n := count(t, w, `SELECT count(*) FROM n`); n != 3 {
		t.Errorf("failed DELETE removed rows: count = %d", n)
	}
	if got := cat.Table("n").Tombstones(); len(got) != 0 {
		t.Errorf("failed DELETE appended %d tombstones", len(got))
	}
	if res := mustQuery(t, w, `DELETE FROM n WHERE v = 3 RETURNING k`); res.tag != "DELETE 1" || res.rows[0][0] != "c" {
		t.Errorf("DELETE of a keyed row: %+v", res)
	}
}

// TestDeleteCanceledAppendsNothing checks the guard GMS needs: its editor
// iterator completes a statement even after a cancel.
func TestDeleteCanceledAppendsNothing(t *testing.T) {
	e := testEngine(t)
	w := openAs(t, e, "wendy")
	tt := e.catalog.Table("events")
	ctx, cancel := context.WithCancel(t.Context())
	sctx := sql.NewContext(ctx, sql.WithSession(w.(*session).gms))
	d := e.db.adapter(tt, false).Deleter(sctx)
	d.StatementBegin(sctx)
	row := make(sql.Row, len(tt.Columns()))
	row[tt.KeyColumn()] = int64(1)
	if err := d.Delete(sctx, row); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := d.StatementComplete(sctx); err == nil {
		t.Error("StatementComplete of a cancelled statement succeeded")
	}
	if n := len(tt.Tombstones()); n != 0 {
		t.Errorf("cancelled DELETE appended %d tombstones", n)
	}
	if n := count(t, w, `SELECT count(*) FROM events WHERE id = 1`); n != 1 {
		t.Errorf("cancelled DELETE hid the row")
	}
}
