package gmsengine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/rs/zerolog"

	"github.com/pqsql/pqsql/compact"
	"github.com/pqsql/pqsql/sqlengine"
	"github.com/pqsql/pqsql/tables"
	"github.com/pqsql/pqsql/tombstone"
)

// vacuumSecret is the audit secret of vacuumEngine.
var vacuumSecret = []byte("0123456789abcdef-test-secret")

// vacuumEngine opens an engine on the test tables (events in two files)
// with the audit secret given.
func vacuumEngine(t *testing.T, secret []byte) *Engine {
	t.Helper()
	dir := t.TempDir()
	var recs []arrow.RecordBatch
	for from := 0; from < eventRows-rowGroupRows; from += rowGroupRows {
		recs = append(recs, eventsBatch(from, from+rowGroupRows))
	}
	if err := os.Mkdir(filepath.Join(dir, "events"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeParquet(t, filepath.Join(dir, "events", "part-1.parquet"), recs...)
	writeParquet(t, filepath.Join(dir, "events", "part-2.parquet"), eventsBatch(eventRows-rowGroupRows, eventRows))
	writeParquet(t, filepath.Join(dir, "countries.parquet"), countriesBatch())
	ctx := context.Background()
	cat, err := tables.Open(ctx, dir, tables.Options{
		KeyColumns: map[string]string{"events": "id", "countries": "code"},
		Logger:     zerolog.Nop(),
	})
	if err != nil {
		t.Fatalf("tables.Open: %v", err)
	}
	t.Cleanup(func() { _ = cat.Close() })
	e, err := New(ctx, cat, Options{
		Database:    "db",
		Roles:       map[string]string{"alice": RoleReader, "root": RoleAdmin, "wendy": RoleWriter},
		Logger:      zerolog.Nop(),
		AuditSecret: secret,
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

// openWithClient opens a session for user that records notices in c.
func openWithClient(t *testing.T, e *Engine, user string, c *fakeClient) sqlengine.Session {
	t.Helper()
	s, err := e.NewSession(t.Context(), sqlengine.SessionInfo{User: user, Database: "db", Client: c})
	if err != nil {
		t.Fatalf("NewSession(%s): %v", user, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestVacuumRemovesDeletedRows(t *testing.T) {
	e := vacuumEngine(t, vacuumSecret)
	w := openAs(t, e, "wendy")
	client := &fakeClient{}
	root := openWithClient(t, e, "root", client)
	mustQuery(t, w, `SET pqsql.erasure_reason = 'ticket 7'`)
	mustQuery(t, w, `DELETE FROM events WHERE id IN (3, 4, 950)`)
	if n := count(t, root, `SELECT count(*) FROM __raw__events`); n != eventRows {
		t.Fatalf("raw rows before VACUUM = %d, want %d", n, eventRows)
	}
	seqs := mustQuery(t, root, `SELECT DISTINCT seq FROM pqsql_tombstones`).rows
	if len(seqs) != 1 {
		t.Fatalf("tombstone sequence numbers: %v, want one", seqs)
	}

	if res := mustQuery(t, root, `VACUUM (VERBOSE) events`); res.tag != "VACUUM" || res.cols != nil {
		t.Fatalf("VACUUM: %+v", res)
	}
	for _, q := range []string{`SELECT count(*) FROM __raw__events`, `SELECT count(*) FROM events`} {
		if n := count(t, root, q); n != eventRows-3 {
			t.Errorf("%s = %d, want %d", q, n, eventRows-3)
		}
	}
	if n := count(t, root, `SELECT count(*) FROM pqsql_tombstones`); n != 0 {
		t.Errorf("%d tombstones after VACUUM, want 0", n)
	}
	tbl := e.catalog.Table("events")
	if files := tbl.Files(); len(files) != 1 {
		t.Errorf("files after VACUUM: %v, want one", files)
	}

	client.mu.Lock()
	notices := append([]*sqlengine.Notice(nil), client.notices...)
	client.mu.Unlock()
	if len(notices) != 2 {
		t.Fatalf("notices: %d, want 2: %+v", len(notices), notices)
	}
	if n := notices[0]; n.Severity != "INFO" || n.Message != `vacuuming "db.public.events"` {
		t.Errorf("first notice = %s %q", n.Severity, n.Message)
	}
	lines := strings.Split(notices[1].Message, "\n")
	want := []string{
		`finished vacuuming "db.public.events": files rewritten: 2`,
		`files: 2 before, 1 after`,
		`tuples: 3 removed, 997 remain`,
		`tombstones: 3 applied`,
	}
	if notices[1].Severity != "INFO" || len(lines) != 6 {
		t.Fatalf("second notice = %s %q", notices[1].Severity, notices[1].Message)
	}
	for i, w := range want {
		if lines[i] != w {
			t.Errorf("line %d = %q, want %q", i+1, lines[i], w)
		}
	}
	if !strings.HasPrefix(lines[4], "bytes: ") || !strings.HasPrefix(lines[5], "system usage: elapsed: ") {
		t.Errorf("last lines = %q", lines[4:])
	}

	// The audit: one row per erased key, its hash and no key.
	res := mustQuery(t, root, `SELECT table_name, seq, actor, reason, rows_removed, key_hash FROM pqsql_erasures ORDER BY seq, key_hash`)
	if len(res.rows) != 3 {
		t.Fatalf("pqsql_erasures: %v", res.rows)
	}
	hashes := map[string]bool{}
	for _, id := range []int64{3, 4, 950} {
		hashes[compact.KeyHash(vacuumSecret, tombstone.IntKey(id))] = true
	}
	for _, r := range res.rows {
		if r[0] != "events" || r[1] != seqs[0][0] || r[2] != "wendy" || r[3] != "ticket 7" || r[4] != int64(1) || !hashes[r[5].(string)] {
			t.Errorf("erasure row %v", r)
		}
	}
	if n := count(t, root, `SELECT count(*) FROM pqsql_erasures WHERE vacuumed_at >= deleted_at`); n != 3 {
		t.Errorf("%d rows with vacuumed_at >= deleted_at, want 3", n)
	}

	// A second VACUUM has nothing to do.
	client.mu.Lock()
	client.notices = nil
	client.mu.Unlock()
	mustQuery(t, root, `VACUUM VERBOSE events`)
	client.mu.Lock()
	defer client.mu.Unlock()
	if len(client.notices) != 2 || !strings.HasPrefix(client.notices[1].Message, `finished vacuuming "db.public.events": nothing to do`) ||
		!strings.Contains(client.notices[1].Message, "\ntuples: 0 removed, 997 remain\n") {
		t.Errorf("second VACUUM notices: %+v", client.notices)
	}
}

func TestVacuumForms(t *testing.T) {
	e := vacuumEngine(t, vacuumSecret)
	root := openAs(t, e, "root")
	w := openAs(t, e, "wendy")
	id := 0
	for _, c := range []struct{ q, tag string }{
		{`VACUUM`, "VACUUM"},
		{`VACUUM events, countries`, "VACUUM"},
		{`VACUUM FULL events`, "VACUUM"},
		{`VACUUM (FULL, VERBOSE false) public.events`, "VACUUM"},
		{`VACUUM (FREEZE, SKIP_LOCKED, INDEX_CLEANUP auto, PARALLEL 2) events`, "VACUUM"},
		{`VACUUM "EVENTS"`, "VACUUM"},
		{`VACUUM ANALYZE events`, "VACUUM"},
		{`VACUUM (ANALYZE) events (id, name)`, "VACUUM"},
		{`ANALYZE`, "ANALYZE"},
		{`ANALYZE VERBOSE events`, "ANALYZE"},
		{`ANALYZE events (grp)`, "ANALYZE"},
		{`VACUUM pg_class`, "VACUUM"},
	} {
		id++
		mustQuery(t, w, fmt.Sprintf(`DELETE FROM events WHERE id = %d`, id))
		res, err := query(t.Context(), root, c.q)
		if err != nil {
			t.Errorf("%s: %v", c.q, err)
			continue
		}
		if res.tag != c.tag {
			t.Errorf("%s: tag %q, want %q", c.q, res.tag, c.tag)
		}
	}
	// The eight VACUUMs of events applied the DELETEs before them; the
	// ANALYZEs and VACUUM pg_class did not.
	if n := count(t, root, `SELECT count(*) FROM __raw__events`); n != eventRows-8 {
		t.Errorf("raw rows = %d, want %d", n, eventRows-8)
	}
	if n := count(t, root, `SELECT count(*) FROM events`); n != eventRows-12 {
		t.Errorf("rows = %d, want %d", n, eventRows-12)
	}
	// ANALYZE may run in a transaction block.
	mustQuery(t, root, `BEGIN`)
	if res := mustQuery(t, root, `ANALYZE events`); res.tag != "ANALYZE" {
		t.Errorf("ANALYZE in a block: tag %q", res.tag)
	}
	mustQuery(t, root, `COMMIT`)
}

func TestVacuumErrors(t *testing.T) {
	e := vacuumEngine(t, vacuumSecret)
	root := openAs(t, e, "root")
	alice := openAs(t, e, "alice")
	wendy := openAs(t, e, "wendy")
	mustQuery(t, wendy, `DELETE FROM events WHERE id = 1`)
	for _, c := range []struct {
		s         sqlengine.Session
		q         string
		code, msg string
	}{
		{alice, `VACUUM events`, sqlengine.CodeInsufficientPrivilege, `permission denied to vacuum "events"`},
		{wendy, `VACUUM`, sqlengine.CodeInsufficientPrivilege, `permission denied to vacuum database "db"`},
		{wendy, `ANALYZE events`, sqlengine.CodeInsufficientPrivilege, `permission denied to analyze "events"`},
		{alice, `VACUUM nope`, sqlengine.CodeUndefinedTable, `relation "nope" does not exist`},
		{alice, `VACUUM __raw__events`, sqlengine.CodeUndefinedTable, `relation "__raw__events" does not exist`},
		{alice, `VACUUM pqsql_tombstones`, sqlengine.CodeUndefinedTable, `relation "pqsql_tombstones" does not exist`},
		{wendy, `VACUUM pqsql_erasures`, sqlengine.CodeUndefinedTable, `relation "pqsql_erasures" does not exist`},
		{root, `VACUUM nope`, sqlengine.CodeUndefinedTable, `relation "nope" does not exist`},
		{root, `VACUUM events, nope`, sqlengine.CodeUndefinedTable, `relation "nope" does not exist`},
		{root, `VACUUM other.events`, sqlengine.CodeUndefinedTable, `relation "other.events" does not exist`},
		{root, `VACUUM __raw__nope`, sqlengine.CodeUndefinedTable, `relation "__raw__nope" does not exist`},
		{root, `VACUUM __raw__events`, sqlengine.CodeFeatureNotSupported, `cannot vacuum "__raw__events": it is a read-only view for administrators`},
		{root, `VACUUM pqsql_tombstones`, sqlengine.CodeFeatureNotSupported, `cannot vacuum "pqsql_tombstones": it is a read-only view for administrators`},
		{root, `VACUUM pqsql_erasures`, sqlengine.CodeFeatureNotSupported, `cannot vacuum "pqsql_erasures": it is a read-only view for administrators`},
		{root, `VACUUM (FOO) events`, sqlengine.CodeSyntaxError, `unrecognized VACUUM option "foo"`},
		{root, `ANALYZE (FULL) events`, sqlengine.CodeSyntaxError, `unrecognized ANALYZE option "full"`},
		{root, `VACUUM (FULL 'maybe') events`, sqlengine.CodeSyntaxError, `full requires a Boolean value`},
		{root, `VACUUM events (id)`, sqlengine.CodeFeatureNotSupported, `ANALYZE option must be specified when a column list is provided`},
		{root, `VACUUM ANALYZE events (nope)`, sqlengine.CodeUndefinedColumn, `column "nope" of relation "events" does not exist`},
	} {
		_, err := query(t.Context(), c.s, c.q)
		if pe := wantCode(t, err, c.code); pe.Message != c.msg {
			t.Errorf("%s: message %q, want %q", c.q, pe.Message, c.msg)
		}
	}
	// Inside a transaction block, before any other check.
	for _, s := range []sqlengine.Session{root, alice} {
		mustQuery(t, s, `BEGIN`)
		_, err := query(t.Context(), s, `VACUUM nope`)
		if pe := wantCode(t, err, sqlengine.CodeActiveSQLTransaction); pe.Message != "VACUUM cannot run inside a transaction block" {
			t.Errorf("message %q", pe.Message)
		}
		mustQuery(t, s, `ROLLBACK`)
	}
	// A multi-statement query runs in an implicit transaction block.
	for _, q := range []string{`SELECT 1; VACUUM events`, `VACUUM events; SELECT 1`} {
		_, err := query(t.Context(), root, q)
		if pe := wantCode(t, err, sqlengine.CodeActiveSQLTransaction); pe.Message != "VACUUM cannot run inside a transaction block" {
			t.Errorf("%s: message %q", q, pe.Message)
		}
	}
	if res := mustQuery(t, root, `SELECT 1; ANALYZE events`); res.tag != "ANALYZE" {
		t.Errorf("ANALYZE in a multi-statement query: tag %q", res.tag)
	}
	if n := count(t, root, `SELECT count(*) FROM __raw__events`); n != eventRows {
		t.Errorf("a refused VACUUM removed rows: %d raw rows", n)
	}
}

func TestVacuumWithoutSecret(t *testing.T) {
	e := vacuumEngine(t, nil)
	root := openAs(t, e, "root")
	// Without tombstones there is nothing to record: files are merged.
	mustQuery(t, root, `VACUUM events`)
	if files := e.catalog.Table("events").Files(); len(files) != 1 {
		t.Errorf("files after VACUUM: %v", files)
	}
	mustQuery(t, openAs(t, e, "wendy"), `DELETE FROM events WHERE id = 1`)
	_, err := query(t.Context(), root, `VACUUM events`)
	pe := wantCode(t, err, sqlengine.CodeObjectNotInPrerequisiteState)
	if pe.Message != `cannot vacuum "events": no audit secret is configured` || !strings.Contains(pe.Hint, "audit_secret") {
		t.Errorf("error %q, hint %q", pe.Message, pe.Hint)
	}
	if n := count(t, root, `SELECT count(*) FROM __raw__events`); n != eventRows {
		t.Errorf("raw rows = %d after a failed VACUUM, want %d", n, eventRows)
	}
}

func TestErasuresTableHidden(t *testing.T) {
	e := vacuumEngine(t, vacuumSecret)
	root := openAs(t, e, "root")
	for _, user := range []string{"alice", "wendy"} {
		s := openAs(t, e, user)
		for _, q := range []string{
			`SELECT * FROM pqsql_erasures`,
			`SELECT count(*) FROM public.PQSQL_ERASURES`,
			`SELECT count(*) FROM events WHERE name IN (SELECT key_hash FROM pqsql_erasures)`,
		} {
			_, err := query(t.Context(), s, q)
			wantCode(t, err, sqlengine.CodeUndefinedTable)
		}
		res := mustQuery(t, s, `SELECT count(*) FROM information_schema.tables WHERE table_name = 'pqsql_erasures'`)
		if res.rows[0][0] != int64(0) {
			t.Errorf("%s: information_schema lists pqsql_erasures", user)
		}
	}
	res := mustQuery(t, root, `SELECT * FROM pqsql_erasures`)
	if len(res.cols) != 8 || res.cols[0].Name != "table_name" || res.cols[7].Name != "key_hash" || len(res.rows) != 0 {
		t.Errorf("pqsql_erasures: %+v", res)
	}
	_, err := query(t.Context(), root, `DELETE FROM pqsql_erasures`)
	wantCode(t, err, sqlengine.CodeFeatureNotSupported)
}

func TestVacuumCanceled(t *testing.T) {
	e := vacuumEngine(t, vacuumSecret)
	root := openAs(t, e, "root")
	mustQuery(t, openAs(t, e, "wendy"), `DELETE FROM events WHERE id = 1`)
	stmts, err := root.Prepare(t.Context(), `VACUUM events`, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = stmts[0].Execute(ctx, nil)
	wantCode(t, err, sqlengine.CodeQueryCanceled)
	if n := count(t, root, `SELECT count(*) FROM __raw__events`); n != eventRows {
		t.Errorf("raw rows = %d after a canceled VACUUM, want %d", n, eventRows)
	}
	if n := count(t, root, `SELECT count(*) FROM pqsql_tombstones`); n != 1 {
		t.Errorf("tombstones = %d after a canceled VACUUM, want 1", n)
	}
}
