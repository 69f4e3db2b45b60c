package gmsengine

import (
	"testing"

	"github.com/pqsql/pqsql/sqlengine"
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
