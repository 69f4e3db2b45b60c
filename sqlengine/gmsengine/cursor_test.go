package gmsengine

import (
	"fmt"
	"testing"

	"github.com/pqsql/pqsql/sqlengine"
)

// ids returns the first column of res's rows.
func ids(res *result) string {
	var out []any
	for _, r := range res.rows {
		out = append(out, r[0])
	}
	return fmt.Sprint(out)
}

func TestCursorFetchMoveClose(t *testing.T) {
	e := testEngine(t)
	s := openSession(t, e, nil)
	_, err := query(t.Context(), s, `DECLARE c CURSOR FOR SELECT id FROM events`)
	if pe := wantCode(t, err, "25P01"); pe.Message != "DECLARE CURSOR can only be used in transaction blocks" {
		t.Errorf("message %q", pe.Message)
	}
	mustQuery(t, s, `BEGIN`)
	if res := mustQuery(t, s, `DECLARE c NO SCROLL CURSOR FOR SELECT id, name FROM events WHERE id <= 10 ORDER BY id`); res.tag != "DECLARE CURSOR" {
		t.Errorf("DECLARE tag %q", res.tag)
	}
	steps := []struct{ sql, tag, ids string }{
		{`FETCH 2 FROM c`, "FETCH 2", "[1 2]"},
		{`FETCH NEXT c`, "FETCH 1", "[3]"},
		{`FETCH FORWARD 2 IN c`, "FETCH 2", "[4 5]"},
		{`MOVE 2 c`, "MOVE 2", "[]"},
		{`FETCH 0 FROM c`, "FETCH 1", "[7]"},
		{`FETCH ABSOLUTE 9 c`, "FETCH 1", "[9]"},
		{`FETCH ALL c`, "FETCH 1", "[10]"},
		{`FETCH c`, "FETCH 0", "[]"},
	}
	for _, st := range steps {
		res := mustQuery(t, s, st.sql)
		if res.tag != st.tag || ids(res) != st.ids {
			t.Errorf("%s: tag %q rows %s, want %q %s", st.sql, res.tag, ids(res), st.tag, st.ids)
		}
	}
	stmts, err := s.Prepare(t.Context(), `FETCH 1 FROM c`, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cols := stmts[0].Columns(); len(cols) != 2 || cols[1].Name != "name" || cols[1].TypeOID != sqlengine.TextOID {
		t.Errorf("FETCH columns %+v", cols)
	}
	_, err = query(t.Context(), s, `FETCH PRIOR c`)
	if pe := wantCode(t, err, "55000"); pe.Message != "cursor can only scan forward" {
		t.Errorf("message %q", pe.Message)
	}
	mustQuery(t, s, `ROLLBACK`)
	_, err = query(t.Context(), s, `FETCH c`)
	if pe := wantCode(t, err, "34000"); pe.Message != `cursor "c" does not exist` {
		t.Errorf("message %q", pe.Message)
	}
}

func TestCursorScrollAndHold(t *testing.T) {
	e := testEngine(t)
	s := openSession(t, e, nil)
	mustQuery(t, s, `BEGIN`)
	mustQuery(t, s, `DECLARE s SCROLL CURSOR FOR SELECT id FROM events WHERE id <= 5 ORDER BY id`)
	mustQuery(t, s, `DECLARE h CURSOR WITH HOLD FOR SELECT id FROM events WHERE id <= 3 ORDER BY id`)
	mustQuery(t, s, `DECLARE gone CURSOR FOR SELECT 1`)
	steps := []struct{ sql, tag, ids string }{
		{`FETCH ALL s`, "FETCH 5", "[1 2 3 4 5]"},
		{`FETCH BACKWARD 2 s`, "FETCH 2", "[5 4]"},
		{`FETCH LAST s`, "FETCH 1", "[5]"},
		{`FETCH FIRST s`, "FETCH 1", "[1]"},
		{`FETCH RELATIVE 2 s`, "FETCH 1", "[3]"},
		{`FETCH h`, "FETCH 1", "[1]"},
		{`COMMIT`, "COMMIT", "[]"},
		{`FETCH ALL h`, "FETCH 2", "[2 3]"},
		{`CLOSE h`, "CLOSE CURSOR", "[]"},
	}
	for _, st := range steps {
		res := mustQuery(t, s, st.sql)
		if res.tag != st.tag || ids(res) != st.ids {
			t.Errorf("%s: tag %q rows %s, want %q %s", st.sql, res.tag, ids(res), st.tag, st.ids)
		}
	}
	for _, name := range []string{"s", "gone", "h"} {
		_, err := query(t.Context(), s, `FETCH `+name)
		wantCode(t, err, "34000")
	}
	// A WITH HOLD cursor declared in a block that rolls back is gone too.
	mustQuery(t, s, `BEGIN`)
	mustQuery(t, s, `DECLARE h2 CURSOR WITH HOLD FOR SELECT 1`)
	mustQuery(t, s, `ROLLBACK`)
	_, err := query(t.Context(), s, `CLOSE h2`)
	wantCode(t, err, "34000")
	// Outside a block WITH HOLD works, and CLOSE ALL ends every cursor.
	mustQuery(t, s, `DECLARE a CURSOR WITH HOLD FOR SELECT id FROM events ORDER BY id`)
	if res := mustQuery(t, s, `FETCH 2 a`); ids(res) != "[1 2]" {
		t.Errorf("FETCH 2 a = %s", ids(res))
	}
	if res := mustQuery(t, s, `CLOSE ALL`); res.tag != "CLOSE CURSOR ALL" {
		t.Errorf("CLOSE ALL tag %q", res.tag)
	}
	_, err = query(t.Context(), s, `FETCH a`)
	wantCode(t, err, "34000")
}

func TestCursorBinaryAndAccess(t *testing.T) {
	e := testEngine(t)
	s := openSession(t, e, nil)
	mustQuery(t, s, `BEGIN`)
	mustQuery(t, s, `DECLARE b BINARY CURSOR FOR SELECT id FROM events WHERE id = 1`)
	stmts, err := s.Prepare(t.Context(), `FETCH b`, nil)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := stmts[0].Execute(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if br, ok := rows.(sqlengine.BinaryRows); !ok || !br.Binary() {
		t.Errorf("FETCH from a BINARY cursor: rows %T not binary", rows)
	}
	rows.Close()
	_, err = query(t.Context(), s, `DECLARE r CURSOR FOR SELECT * FROM __raw__events`)
	wantCode(t, err, "42P01")
	// The error failed the block.
	_, err = query(t.Context(), s, `FETCH b`)
	wantCode(t, err, "25P02")
	mustQuery(t, s, `ROLLBACK`)
}

func TestCursorClosedUnderSuspendedFetch(t *testing.T) {
	e := testEngine(t)
	s := openSession(t, e, nil)
	mustQuery(t, s, `BEGIN`)
	mustQuery(t, s, `DECLARE c CURSOR FOR SELECT id FROM events ORDER BY id`)
	stmts, err := s.Prepare(t.Context(), `FETCH ALL FROM c`, nil)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := stmts[0].Execute(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	if row, err := rows.Next(t.Context()); err != nil || row[0] != int64(1) {
		t.Fatalf("first row %v, %v", row, err)
	}
	mustQuery(t, s, `CLOSE c`)
	_, err = rows.Next(t.Context())
	wantCode(t, err, "34000")
}
