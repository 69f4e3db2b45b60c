package integration

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"
)

// TestCursorsWithPgx uses cursors the way psycopg's and Tableau's drivers
// do, over pgx's extended protocol: FETCH is described from its cursor.
func TestCursorsWithPgx(t *testing.T) {
	p := shared.get(t)
	ctx := testCtx(t)
	conn := connect(t, p, analystUser, analystPassword)

	_, err := conn.Exec(ctx, `DECLARE c CURSOR FOR SELECT candidate_id FROM candidates`)
	if pe := pgError(t, err); pe.Code != "25P01" || pe.Message != "DECLARE CURSOR can only be used in transaction blocks" {
		t.Errorf("DECLARE outside a block: %s %q", pe.Code, pe.Message)
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tag, err := tx.Exec(ctx, `DECLARE c NO SCROLL CURSOR WITHOUT HOLD FOR SELECT candidate_id, score FROM candidates ORDER BY candidate_id`)
	if err != nil || tag.String() != "DECLARE CURSOR" {
		t.Fatalf("DECLARE: %q, %v", tag, err)
	}
	fetch := func(sql string) (ids []string, tag string) {
		t.Helper()
		rows, err := tx.Query(ctx, sql)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		for rows.Next() {
			var id string
			var score *float64
			if err := rows.Scan(&id, &score); err != nil {
				t.Fatalf("%s: scan: %v", sql, err)
			}
			ids = append(ids, id)
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return ids, rows.CommandTag().String()
	}
	steps := []struct{ sql, ids, tag string }{
		{`FETCH 2 FROM c`, "[CAND-000001 CAND-000002]", "FETCH 2"},
		{`FETCH FORWARD 1 IN c`, "[CAND-000003]", "FETCH 1"},
		{`FETCH NEXT FROM c`, "[CAND-000004]", "FETCH 1"},
	}
	for _, st := range steps {
		if ids, tag := fetch(st.sql); fmt.Sprint(ids) != st.ids || tag != st.tag {
			t.Errorf("%s: %v %q, want %s %q", st.sql, ids, tag, st.ids, st.tag)
		}
	}
	if tag, err := tx.Exec(ctx, `MOVE FORWARD 99990 IN c`); err != nil || tag.String() != "MOVE 99990" {
		t.Errorf("MOVE: %q, %v", tag, err)
	}
	if ids, tag := fetch(`FETCH ALL FROM c`); len(ids) != 6 || ids[5] != "CAND-100000" || tag != "FETCH 6" {
		t.Errorf("FETCH ALL: %v %q", ids, tag)
	}
	if ids, tag := fetch(`FETCH c`); len(ids) != 0 || tag != "FETCH 0" {
		t.Errorf("FETCH past the end: %v %q", ids, tag)
	}
	if tag, err := tx.Exec(ctx, `CLOSE c`); err != nil || tag.String() != "CLOSE CURSOR" {
		t.Errorf("CLOSE: %q, %v", tag, err)
	}
	_, err = tx.Exec(ctx, `FETCH 1 FROM c`)
	if pe := pgError(t, err); pe.Code != "34000" || pe.Message != `cursor "c" does not exist` {
		t.Errorf("FETCH from a closed cursor: %s %q", pe.Code, pe.Message)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}

	// psycopg 3 binds a named cursor's parameters with the extended protocol.
	if tx, err = conn.Begin(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `DECLARE p CURSOR FOR SELECT candidate_id, score FROM candidates WHERE city = $1 AND years_experience > $2 ORDER BY candidate_id`, "Miami", 20); err != nil {
		t.Fatalf("DECLARE with parameters: %v", err)
	}
	if ids, tag := fetch(`FETCH 1 FROM p`); fmt.Sprint(ids) != "[CAND-000001]" || tag != "FETCH 1" {
		t.Errorf("FETCH from a cursor with parameters: %v %q", ids, tag)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestCursorsWithHoldInPsql declares cursors in psql's simple protocol:
// a WITH HOLD cursor survives COMMIT, the others end with the block.
func TestCursorsWithHoldInPsql(t *testing.T) {
	p := shared.get(t)
	script := strings.Join([]string{
		`BEGIN`,
		`DECLARE h CURSOR WITH HOLD FOR SELECT candidate_id FROM candidates ORDER BY candidate_id`,
		`DECLARE t CURSOR FOR SELECT 1`,
		`FETCH 2 h`,
		`COMMIT`,
		`FETCH 2 FROM h`,
		`CLOSE ALL`,
	}, ";\n") + ";\n"
	file := filepath.Join(t.TempDir(), "cursors.sql")
	if err := os.WriteFile(file, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := psql(t, p, analystUser, analystPassword, "-f", file)
	if err != nil {
		t.Fatal(err)
	}
	want := "BEGIN\nDECLARE CURSOR\nDECLARE CURSOR\nCAND-000001\nCAND-000002\nCOMMIT\nCAND-000003\nCAND-000004\nCLOSE CURSOR ALL\n"
	if out != want {
		t.Errorf("psql output:\n%s\nwant:\n%s", out, want)
	}
	_, err = psql(t, p, analystUser, analystPassword, "-c", `FETCH t`)
	if err == nil || !strings.Contains(err.Error(), `cursor "t" does not exist`) {
		t.Errorf("FETCH from a cursor of another session: %v", err)
	}
}

// TestBinaryCursor fetches from a BINARY cursor in the simple protocol: the
// rows come in binary format.
func TestBinaryCursor(t *testing.T) {
	p := shared.get(t)
	ctx := testCtx(t)
	conn := connect(t, p, analystUser, analystPassword)
	pc := conn.PgConn()
	results, err := pc.Exec(ctx, `BEGIN; DECLARE b BINARY CURSOR FOR SELECT years_experience, candidate_id FROM candidates ORDER BY candidate_id; FETCH 1 FROM b; COMMIT`).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 4 {
		t.Fatalf("%d results", len(results))
	}
	fetched := results[2]
	if fetched.CommandTag.String() != "FETCH 1" || len(fetched.Rows) != 1 {
		t.Fatalf("FETCH: %q %d rows", fetched.CommandTag, len(fetched.Rows))
	}
	for _, fd := range fetched.FieldDescriptions {
		if fd.Format != pgx.BinaryFormatCode {
			t.Errorf("column %s has format %d, want binary", fd.Name, fd.Format)
		}
	}
	// years_experience of CAND-000001 is 30.
	if got := fetched.Rows[0]; !bytes.Equal(got[0], []byte{0, 0, 0, 0, 0, 0, 0, 30}) && !bytes.Equal(got[0], []byte{0, 0, 0, 30}) && !bytes.Equal(got[0], []byte{0, 30}) || string(got[1]) != "CAND-000001" {
		t.Errorf("binary row %v", got)
	}
}

// TestCursorPsycopg3Flow replays how psycopg 3 runs a server-side cursor:
// DECLARE with bound parameters, Describe of the portal named like the
// cursor, then FETCH FORWARD through the extended protocol.
func TestCursorPsycopg3Flow(t *testing.T) {
	p := shared.get(t)
	conn := connect(t, p, analystUser, analystPassword)
	hc := hijack(t, conn)
	exchange := func(msgs ...pgproto3.FrontendMessage) string {
		t.Helper()
		for _, m := range msgs {
			hc.Frontend.Send(m)
		}
		if _, simple := msgs[0].(*pgproto3.Query); !simple {
			hc.Frontend.Send(&pgproto3.Sync{})
		}
		if err := hc.Frontend.Flush(); err != nil {
			t.Fatal(err)
		}
		var got []string
		for {
			msg, err := hc.Frontend.Receive()
			if err != nil {
				t.Fatal(err)
			}
			s := strings.TrimPrefix(fmt.Sprintf("%T", msg), "*pgproto3.")
			switch m := msg.(type) {
			case *pgproto3.RowDescription:
				for _, f := range m.Fields {
					s += fmt.Sprintf(" %s:%d:%d", f.Name, f.DataTypeOID, f.Format)
				}
			case *pgproto3.DataRow:
				s += fmt.Sprintf(" %q", m.Values)
			case *pgproto3.CommandComplete:
				s += " " + string(m.CommandTag)
			case *pgproto3.ErrorResponse:
				s += " " + m.Code + " " + m.Message
			case *pgproto3.ReadyForQuery:
				s += " " + string(m.TxStatus)
			}
			got = append(got, s)
			if _, ok := msg.(*pgproto3.ReadyForQuery); ok {
				return strings.Join(got, ", ")
			}
		}
	}
	steps := []struct {
		msgs []pgproto3.FrontendMessage
		want string
	}{
		{[]pgproto3.FrontendMessage{&pgproto3.Query{String: "BEGIN"}}, "CommandComplete BEGIN, ReadyForQuery T"},
		{[]pgproto3.FrontendMessage{
			&pgproto3.Parse{Query: `DECLARE "cur" CURSOR FOR SELECT candidate_id, years_experience FROM candidates WHERE city = $1 ORDER BY candidate_id`},
			&pgproto3.Bind{Parameters: [][]byte{[]byte("Miami")}},
			&pgproto3.Describe{ObjectType: 'P'},
			&pgproto3.Execute{},
		}, "ParseComplete, BindComplete, NoData, CommandComplete DECLARE CURSOR, ReadyForQuery T"},
		{[]pgproto3.FrontendMessage{&pgproto3.Describe{ObjectType: 'P', Name: "cur"}},
			"RowDescription candidate_id:25:0 years_experience:23:0, ReadyForQuery T"},
		{[]pgproto3.FrontendMessage{
			&pgproto3.Parse{Query: `FETCH FORWARD 2 FROM "cur"`},
			&pgproto3.Bind{},
			&pgproto3.Describe{ObjectType: 'P'},
			&pgproto3.Execute{},
		}, `ParseComplete, BindComplete, RowDescription candidate_id:25:0 years_experience:23:0, DataRow ["CAND-000001" "30"], DataRow ["CAND-000014" "10"], CommandComplete FETCH 2, ReadyForQuery T`},
		{[]pgproto3.FrontendMessage{&pgproto3.Describe{ObjectType: 'P', Name: "nosuch"}},
			`ErrorResponse 34000 portal "nosuch" does not exist, ReadyForQuery E`},
		{[]pgproto3.FrontendMessage{&pgproto3.Query{String: "ROLLBACK"}}, "CommandComplete ROLLBACK, ReadyForQuery I"},
	}
	for i, st := range steps {
		if got := exchange(st.msgs...); got != st.want {
			t.Errorf("step %d:\n got %s\nwant %s", i, got, st.want)
		}
	}
}

// TestScrollCursorDirections checks, through the wire, which fetch
// directions a cursor allows: a NO SCROLL cursor only moves forward (55000
// for FETCH PRIOR, BACKWARD and an ABSOLUTE position behind it, which also
// aborts the block), a SCROLL cursor moves both ways.
func TestScrollCursorDirections(t *testing.T) {
	p := shared.get(t)
	ctx := testCtx(t)
	conn := connect(t, p, analystUser, analystPassword)
	const query = `SELECT id FROM alltypes WHERE id <= 5 ORDER BY id`
	ids := func(sql string) string {
		t.Helper()
		rows, err := conn.Query(ctx, sql)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		vals, err := pgx.CollectRows(rows, pgx.RowTo[int32])
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return fmt.Sprint(vals)
	}
	for _, back := range []string{"FETCH PRIOR c", "FETCH BACKWARD 1 c", "FETCH ABSOLUTE 1 c", "MOVE RELATIVE -1 c"} {
		for _, q := range []string{"BEGIN", "DECLARE c NO SCROLL CURSOR FOR " + query} {
			if _, err := conn.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		if got := ids("FETCH 2 c"); got != "[1 2]" {
			t.Errorf("FETCH 2: %s", got)
		}
		_, err := conn.Exec(ctx, back)
		if pe := pgError(t, err); pe.Code != "55000" || pe.Message != "cursor can only scan forward" {
			t.Errorf("%s on a NO SCROLL cursor: %s %q", back, pe.Code, pe.Message)
		}
		if _, err := conn.Exec(ctx, "ROLLBACK"); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{"BEGIN", "DECLARE c SCROLL CURSOR FOR " + query} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	defer conn.Exec(ctx, "ROLLBACK")
	for _, c := range []struct{ sql, want string }{
		{"FETCH 3 c", "[1 2 3]"},
		{"FETCH PRIOR c", "[2]"},
		{"FETCH BACKWARD 5 c", "[1]"},
		{"FETCH ABSOLUTE -1 c", "[5]"},
		{"FETCH RELATIVE -2 c", "[3]"},
		{"FETCH BACKWARD ALL c", "[2 1]"},
		{"FETCH FORWARD 2 c", "[1 2]"},
	} {
		if got := ids(c.sql); got != c.want {
			t.Errorf("%s on a SCROLL cursor: %s, want %s", c.sql, got, c.want)
		}
	}
}
