package integration

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pqsql/pqsql/bench/datagen"
	"github.com/pqsql/pqsql/tombstone"
)

// The writer of testdata/pqsql.yaml.
const (
	stewardUser     = "steward"
	stewardPassword = "steward-dev-pw"
)

// startKillable starts pqsql on dataDir for a test that kills or stops it
// itself; the process is killed when the test ends if it still runs.
func startKillable(t *testing.T, dataDir string) *pqsqlProcess {
	t.Helper()
	p, err := startPQSQL(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.kill)
	return p
}

// stopClean stops p with SIGTERM and fails the test unless it exits 0.
func stopClean(t *testing.T, p *pqsqlProcess) {
	t.Helper()
	code, err := p.stop()
	if err != nil || code != 0 {
		t.Fatalf("stop pqsql: status %d, %v; output:\n%s", code, err, p.output.String())
	}
}

// users are the three users of testdata/pqsql.yaml, one per role.
type users struct {
	admin, steward, analyst *pgx.Conn
}

func connectAll(t *testing.T, p *pqsqlProcess) users {
	t.Helper()
	return users{
		admin:   connect(t, p, adminUser, adminPassword),
		steward: connect(t, p, stewardUser, stewardPassword),
		analyst: connect(t, p, analystUser, analystPassword),
	}
}

// count runs a query returning one integer.
func count(t *testing.T, ctx context.Context, conn *pgx.Conn, sql string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := conn.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// execTag runs sql (extended protocol when args are given) and returns its
// command tag.
func execTag(ctx context.Context, conn *pgx.Conn, sql string, args ...any) (string, error) {
	tag, err := conn.Exec(ctx, sql, args...)
	return tag.String(), err
}

// mustTag runs sql and fails the test unless it answers tag.
func mustTag(t *testing.T, ctx context.Context, conn *pgx.Conn, tag, sql string, args ...any) {
	t.Helper()
	got, err := execTag(ctx, conn, sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	if got != tag {
		t.Fatalf("%s: tag %q, want %q", sql, got, tag)
	}
}

// wantCode fails the test unless err is a PostgreSQL error with code (and,
// when msg is not empty, that message).
func wantCode(t *testing.T, what string, err error, code, msg string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want %s", what, code)
		return
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		t.Errorf("%s: error %v (%T), want SQLSTATE %s", what, err, err, code)
		return
	}
	if pe.Code != code || (msg != "" && pe.Message != msg) {
		t.Errorf("%s: %s %q, want %s %q", what, pe.Code, pe.Message, code, msg)
	}
}

// TestDeleteDoneWhen is the acceptance scenario: a writer's DELETE is
// visible to everyone, only administrators see the deleted rows through
// __raw__, and all of it survives kill -9.
func TestDeleteDoneWhen(t *testing.T) {
	dir := newDataDir(t)
	p := startKillable(t, dir)
	ctx := testCtx(t)
	u := connectAll(t, p)

	mustTag(t, ctx, u.steward, "SET", "SET pqsql.erasure_reason = 'ticket 42: erasure request'")
	mustTag(t, ctx, u.steward, "DELETE 3", "DELETE FROM candidates WHERE candidate_id IN ('CAND-000001','CAND-000002','CAND-000003')")
	check := func(u users, stage string) {
		t.Helper()
		for name, c := range map[string]*pgx.Conn{"admin": u.admin, "steward": u.steward, "analyst": u.analyst} {
			if n := count(t, ctx, c, "SELECT count(*) FROM candidates"); n != candidateCount-3 {
				t.Errorf("%s: %s counts %d candidates, want %d", stage, name, n, candidateCount-3)
			}
			if n := count(t, ctx, c, "SELECT count(*) FROM candidates WHERE candidate_id IN ('CAND-000001', 'CAND-000004')"); n != 1 {
				t.Errorf("%s: %s sees %d of CAND-000001 and CAND-000004, want 1", stage, name, n)
			}
		}
		_, err := u.analyst.Exec(ctx, "SELECT count(*) FROM __raw__candidates")
		wantCode(t, stage+": analyst reads __raw__candidates", err, "42P01", `relation "__raw__candidates" does not exist`)
		if n := count(t, ctx, u.admin, "SELECT count(*) FROM __raw__candidates"); n != candidateCount {
			t.Errorf("%s: admin counts %d raw candidates, want %d", stage, n, candidateCount)
		}
		var actor, reason, key string
		if err := u.admin.QueryRow(ctx, "SELECT actor, reason, key_value FROM pqsql_tombstones WHERE table_name = 'candidates' ORDER BY key_value LIMIT 1").Scan(&actor, &reason, &key); err != nil {
			t.Fatalf("%s: pqsql_tombstones: %v", stage, err)
		}
		if actor != stewardUser || reason != "ticket 42: erasure request" || key != "CAND-000001" {
			t.Errorf("%s: tombstone actor %q reason %q key %q", stage, actor, reason, key)
		}
	}
	check(u, "before kill")

	p.kill()
	p = startKillable(t, dir)
	check(connectAll(t, p), "after kill -9 and restart")
	stopClean(t, p)
}

// TestDeleteStatements covers the forms of DELETE, their tags, parameters,
// RETURNING, roles and bad input.
func TestDeleteStatements(t *testing.T) {
	p := startServer(t)
	ctx := testCtx(t)
	u := connectAll(t, p)

	mustTag(t, ctx, u.steward, "DELETE 0", "DELETE FROM candidates WHERE candidate_id = 'nobody'")
	mustTag(t, ctx, u.steward, "DELETE 1", "DELETE FROM candidates WHERE candidate_id = $1", "CAND-000010")
	mustTag(t, ctx, u.steward, "DELETE 0", "DELETE FROM candidates WHERE candidate_id = $1", "CAND-000010")
	// Other columns, subqueries, expressions on timestamps.
	want := count(t, ctx, u.analyst, "SELECT count(*) FROM candidates WHERE city = 'Denver' AND years_experience > 30")
	mustTag(t, ctx, u.admin, fmt.Sprintf("DELETE %d", want), "DELETE FROM candidates WHERE city = 'Denver' AND years_experience > 30")
	old := count(t, ctx, u.analyst, "SELECT count(*) FROM candidates WHERE created_at < '2021-01-02'")
	if old == 0 {
		t.Fatal("no candidate created before 2021-01-02")
	}
	mustTag(t, ctx, u.steward, fmt.Sprintf("DELETE %d", old), "DELETE FROM candidates WHERE created_at < timestamptz '2021-01-02 00:00:00+00'")
	sub := count(t, ctx, u.analyst, "SELECT count(*) FROM candidates WHERE state = 'UT' AND years_experience = 3")
	mustTag(t, ctx, u.steward, fmt.Sprintf("DELETE %d", sub), "DELETE FROM candidates WHERE candidate_id IN (SELECT candidate_id FROM candidates WHERE state = 'UT' AND years_experience = 3)")
	if n := count(t, ctx, u.analyst, "SELECT count(*) FROM candidates WHERE city = 'Denver' AND years_experience > 30"); n != 0 {
		t.Errorf("%d matching rows left after DELETE", n)
	}

	// RETURNING returns the removed rows, and only once.
	rows, err := u.steward.Query(ctx, "DELETE FROM candidates WHERE candidate_id IN ($1, $2) RETURNING candidate_id, upper(city) AS city", "CAND-050020", "CAND-050021")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var id, city string
		if err := rows.Scan(&id, &city); err != nil {
			t.Fatal(err)
		}
		got = append(got, id+"/"+city)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if tag := rows.CommandTag().String(); tag != "DELETE 2" || len(got) != 2 || !strings.HasPrefix(got[0], "CAND-05002") {
		t.Errorf("RETURNING: tag %q rows %v", tag, got)
	}
	res, err := queryText(ctx, u.steward, "DELETE FROM candidates WHERE candidate_id = 'CAND-050020' RETURNING *")
	if err != nil || len(res) != 0 {
		t.Errorf("RETURNING of a deleted row: %v, %v", res, err)
	}

	// Readers may not delete; nothing changes.
	before := count(t, ctx, u.analyst, "SELECT count(*) FROM candidates")
	_, err = u.analyst.Exec(ctx, "DELETE FROM candidates WHERE candidate_id = 'CAND-000030'")
	wantCode(t, "reader DELETE", err, "42501", "permission denied for table candidates")
	_, err = u.analyst.Exec(ctx, "DELETE FROM candidates WHERE candidate_id = $1", "CAND-000030")
	wantCode(t, "reader DELETE with a parameter", err, "42501", "permission denied for table candidates")

	// Bad input.
	_, err = u.steward.Exec(ctx, "DELETE FROM nosuch WHERE id = 1")
	wantCode(t, "unknown table", err, "42P01", `relation "nosuch" does not exist`)
	_, err = u.steward.Exec(ctx, "DELETE FROM candidates WHERE nosuch = 1")
	wantCode(t, "unknown column", err, "42703", `column "nosuch" does not exist`)
	_, err = u.steward.Exec(ctx, "DELETE FROM alltypes WHERE id = 'abc'")
	wantCode(t, "text for an integer key", err, "22P02", `invalid input syntax for type integer: "abc"`)
	_, err = u.steward.Exec(ctx, "DELETE FROM alltypes WHERE id IN (1, '2x')")
	wantCode(t, "text for an integer key in IN", err, "22P02", `invalid input syntax for type integer: "2x"`)
	if n := count(t, ctx, u.analyst, "SELECT count(*) FROM candidates"); n != before {
		t.Errorf("failed DELETEs changed the count from %d to %d", before, n)
	}
	if n := count(t, ctx, u.analyst, "SELECT count(*) FROM alltypes"); n != 20 {
		t.Errorf("alltypes has %d rows after failed DELETEs, want 20", n)
	}

	// psql, and DELETE without WHERE.
	out, err := psql(t, p, stewardUser, stewardPassword, "-c", "DELETE FROM alltypes WHERE id = 1")
	if err != nil || strings.TrimSpace(out) != "DELETE 1" {
		t.Errorf("psql DELETE: %q, %v", out, err)
	}
	mustTag(t, ctx, u.steward, "DELETE 19", "DELETE FROM alltypes")
	if n := count(t, ctx, u.admin, "SELECT count(*) FROM __raw__alltypes"); n != 20 {
		t.Errorf("raw alltypes after DELETE of everything: %d rows, want 20", n)
	}
	mustTag(t, ctx, u.steward, "DELETE 0", "DELETE FROM alltypes")
}

// TestDeleteTransactions checks that a DELETE inside BEGIN is seen by its own
// session at once, by others only after COMMIT, and by nobody after ROLLBACK.
func TestDeleteTransactions(t *testing.T) {
	p := startServer(t)
	ctx := testCtx(t)
	u := connectAll(t, p)
	const q = "SELECT count(*) FROM candidates WHERE candidate_id IN ('CAND-000100', 'CAND-000101')"

	for _, end := range []string{"ROLLBACK", "COMMIT"} {
		mustTag(t, ctx, u.steward, "BEGIN", "BEGIN")
		mustTag(t, ctx, u.steward, "DELETE 2", "DELETE FROM candidates WHERE candidate_id IN ('CAND-000100', 'CAND-000101')")
		if n := count(t, ctx, u.steward, q); n != 0 {
			t.Errorf("own session sees %d of its deleted rows", n)
		}
		if n := count(t, ctx, u.analyst, q); n != 2 {
			t.Errorf("other session sees %d rows before %s, want 2", n, end)
		}
		mustTag(t, ctx, u.steward, end, end)
		want := int64(2)
		if end == "COMMIT" {
			want = 0
		}
		for name, c := range map[string]*pgx.Conn{"steward": u.steward, "analyst": u.analyst} {
			if n := count(t, ctx, c, q); n != want {
				t.Errorf("after %s %s sees %d rows, want %d", end, name, n, want)
			}
		}
	}
	if n := count(t, ctx, u.admin, "SELECT count(*) FROM pqsql_tombstones"); n != 2 {
		t.Errorf("%d tombstones, want the 2 committed", n)
	}
}

// TestDeleteThenNewFile checks that rows of a file added after a DELETE keep
// the deleted key visible, after pqsql_rescan() and after a restart.
func TestDeleteThenNewFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "events"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := datagen.WriteEvents(filepath.Join(dir, "events", "part-0.parquet"), 1000, 300); err != nil {
		t.Fatal(err)
	}
	config := "users:\n" +
		"  - {name: admin, password: admin-dev-pw, role: admin}\n" +
		"  - {name: steward, password: steward-dev-pw, role: writer}\n" +
		"  - {name: analyst, password: analyst-dev-pw, role: reader}\n" +
		"tables:\n  events: {key: id}\n"
	if err := os.WriteFile(filepath.Join(dir, "pqsql.yaml"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startKillable(t, dir)
	ctx := testCtx(t)
	u := connectAll(t, p)
	mustTag(t, ctx, u.steward, "DELETE 1", "DELETE FROM events WHERE id = 7")

	// Write the new file under an ignored temp name, then rename it in.
	tmp := filepath.Join(dir, "events", "part-1.parquet.tmp")
	if err := datagen.WriteEvents(tmp, 100, 300); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "events", "part-1.parquet")); err != nil {
		t.Fatal(err)
	}
	_, err := u.steward.Exec(ctx, "SELECT pqsql_rescan()")
	wantCode(t, "writer rescan", err, "42501", "")
	if n := count(t, ctx, u.admin, "SELECT pqsql_rescan()"); n != 1 {
		t.Errorf("pqsql_rescan() = %d, want 1 table", n)
	}
	verify := func(stage string) {
		t.Helper()
		c := u.analyst
		if n := count(t, ctx, c, "SELECT count(*) FROM events WHERE id = 7"); n != 1 {
			t.Errorf("%s: %d rows with id 7, want the new file's 1", stage, n)
		}
		if n := count(t, ctx, c, "SELECT count(*) FROM events"); n != 1099 {
			t.Errorf("%s: %d rows, want 1099", stage, n)
		}
	}
	verify("after rescan")
	stopClean(t, p)
	p = startKillable(t, dir)
	u = connectAll(t, p)
	verify("after restart")
	mustTag(t, ctx, u.steward, "DELETE 1", "DELETE FROM events WHERE id = 7")
	if n := count(t, ctx, u.analyst, "SELECT count(*) FROM events WHERE id IN (7, 8)"); n != 2 {
		t.Errorf("after the second DELETE: %d rows with id 7 or 8, want 2 (id 8 in both files)", n)
	}
	stopClean(t, p)
}

// TestDeleteConcurrentSessions runs 20 sessions deleting disjoint keys while
// counting; the final count is exact.
func TestDeleteConcurrentSessions(t *testing.T) {
	p := startServer(t)
	ctx := testCtx(t)
	const sessions, perSession = 20, 5
	conns := make([]*pgx.Conn, sessions)
	for i := range conns {
		conns[i] = connect(t, p, stewardUser, stewardPassword)
	}
	var wg sync.WaitGroup
	errs := make(chan error, sessions)
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range perSession {
				id := fmt.Sprintf("CAND-%06d", 1000+i*perSession+j)
				tag, err := c.Exec(ctx, "DELETE FROM candidates WHERE candidate_id = $1", id)
				if err != nil {
					errs <- fmt.Errorf("session %d: DELETE %s: %w", i, id, err)
					return
				}
				if tag.String() != "DELETE 1" {
					errs <- fmt.Errorf("session %d: DELETE %s: tag %q", i, id, tag)
					return
				}
				var n int64
				if err := c.QueryRow(ctx, "SELECT count(*) FROM candidates").Scan(&n); err != nil {
					errs <- fmt.Errorf("session %d: count: %w", i, err)
					return
				}
				if n > candidateCount-int64(j+1) || n < candidateCount-sessions*perSession {
					errs <- fmt.Errorf("session %d: count %d after its %d deletes", i, n, j+1)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	c := connect(t, p, adminUser, adminPassword)
	if n := count(t, ctx, c, "SELECT count(*) FROM candidates"); n != candidateCount-sessions*perSession {
		t.Errorf("final count %d, want %d", n, candidateCount-sessions*perSession)
	}
	if n := count(t, ctx, c, "SELECT count(*) FROM pqsql_tombstones"); n != sessions*perSession {
		t.Errorf("%d tombstones, want %d", n, sessions*perSession)
	}
}

// writeKeyTables writes keys.parquet (text key k) and blobs.parquet (bytea
// key b), each row numbered in n.
func writeKeyTables(t *testing.T, dir string, texts []string, blobs [][]byte) {
	t.Helper()
	write := func(name string, key arrow.DataType, appendKeys func(array.Builder)) {
		sch := arrow.NewSchema([]arrow.Field{{Name: "k", Type: key}, {Name: "n", Type: arrow.PrimitiveTypes.Int64}}, nil)
		b := array.NewRecordBuilder(memory.DefaultAllocator, sch)
		defer b.Release()
		appendKeys(b.Field(0))
		for i := 0; i < b.Field(0).Len(); i++ {
			b.Field(1).(*array.Int64Builder).Append(int64(i))
		}
		rec := b.NewRecordBatch()
		defer rec.Release()
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		w, err := pqarrow.NewFileWriter(sch, f, parquet.NewWriterProperties(), pqarrow.DefaultWriterProps())
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	write("keys.parquet", arrow.BinaryTypes.String, func(b array.Builder) {
		b.(*array.StringBuilder).AppendValues(texts, nil)
	})
	write("blobs.parquet", arrow.BinaryTypes.Binary, func(b array.Builder) {
		b.(*array.BinaryBuilder).AppendValues(blobs, nil)
	})
}

// TestDeleteKeyRoundTrip deletes keys with quotes, backslashes, emoji, NUL
// bytes and a megabyte of text, and reads them back exactly.
func TestDeleteKeyRoundTrip(t *testing.T) {
	big := strings.Repeat("é-0123456789-", 1<<20/14) + "end"
	texts := []string{`O'Brien "the" \x41\\`, "emoji 😀 🇺🇸 done", big, "plain", "O'Brien"}
	blobs := [][]byte{[]byte("a\x00b"), {0, 0, 0}, []byte(`back\slash'`), []byte("plain")}
	dir := t.TempDir()
	writeKeyTables(t, dir, texts, blobs)
	config := "users:\n" +
		"  - {name: admin, password: admin-dev-pw, role: admin}\n" +
		"  - {name: steward, password: steward-dev-pw, role: writer}\n" +
		"  - {name: analyst, password: analyst-dev-pw, role: reader}\n" +
		"tables:\n  keys: {key: k}\n  blobs: {key: k}\n"
	if err := os.WriteFile(filepath.Join(dir, "pqsql.yaml"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startKillable(t, dir)
	ctx := testCtx(t)
	u := connectAll(t, p)

	// A literal with doubled quotes and backslashes, as psql would send it.
	mustTag(t, ctx, u.steward, "DELETE 1", `DELETE FROM keys WHERE k = 'O''Brien "the" \x41\\'`)
	for _, k := range texts[1:3] {
		var got string
		if err := u.steward.QueryRow(ctx, "DELETE FROM keys WHERE k = $1 RETURNING k", k).Scan(&got); err != nil {
			t.Fatalf("DELETE of a %d-byte key: %v", len(k), err)
		}
		if got != k {
			t.Errorf("RETURNING gave %d bytes, want the %d-byte key", len(got), len(k))
		}
	}
	for _, b := range blobs[:3] {
		mustTag(t, ctx, u.steward, "DELETE 1", "DELETE FROM blobs WHERE k = $1", b)
	}
	verify := func(stage string, u users) {
		t.Helper()
		var left []string
		rows, err := u.analyst.Query(ctx, "SELECT k FROM keys ORDER BY k")
		if err != nil {
			t.Fatal(err)
		}
		left, err = pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(left, "|") != "O'Brien|plain" {
			t.Errorf("%s: keys left %q", stage, left)
		}
		if n := count(t, ctx, u.analyst, "SELECT count(*) FROM blobs WHERE k = $1", []byte("plain")); n != 1 {
			t.Errorf("%s: blob 'plain' gone", stage)
		}
		if n := count(t, ctx, u.analyst, "SELECT count(*) FROM blobs"); n != 1 {
			t.Errorf("%s: %d blobs left, want 1", stage, n)
		}
		rows, err = u.admin.Query(ctx, "SELECT key_value FROM pqsql_tombstones WHERE table_name = 'keys'")
		if err != nil {
			t.Fatal(err)
		}
		audit, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]bool{texts[0]: true, texts[1]: true, texts[2]: true}
		for _, k := range audit {
			if !want[k] {
				t.Errorf("%s: pqsql_tombstones has an unexpected %d-byte key", stage, len(k))
			}
			delete(want, k)
		}
		if len(want) != 0 {
			t.Errorf("%s: pqsql_tombstones lacks %d keys", stage, len(want))
		}
		rows, err = u.admin.Query(ctx, "SELECT k FROM __raw__blobs ORDER BY n")
		if err != nil {
			t.Fatal(err)
		}
		raw, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprintf("%q", raw) != fmt.Sprintf("%q", blobs) {
			t.Errorf("%s: __raw__blobs = %q, want %q", stage, raw, blobs)
		}
	}
	verify("running", u)
	p.kill()
	p = startKillable(t, dir)
	verify("after restart", connectAll(t, p))
	stopClean(t, p)
}

// smallDataDir returns a data directory with alltypes only (fast to start).
func smallDataDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	copyFile(t, filepath.Join(repoRoot, "testdata", "alltypes.parquet"), filepath.Join(dir, "alltypes.parquet"))
	copyFile(t, filepath.Join(repoRoot, "testdata", "pqsql.yaml"), filepath.Join(dir, "pqsql.yaml"))
	return dir
}

// tlogPath returns the tombstone log of table in dataDir.
func tlogPath(t *testing.T, dataDir, table string) string {
	t.Helper()
	name, err := tombstone.FileName(table)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dataDir, "_pqsql", name)
}

// TestTombstoneLogTornTail cuts the log at every byte of its last record:
// the last DELETE is then wholly absent (or, uncut, wholly there) and the
// server serves.
func TestTombstoneLogTornTail(t *testing.T) {
	dir := smallDataDir(t)
	log := tlogPath(t, dir, "alltypes")
	ctx := testCtx(t)
	p := startKillable(t, dir)
	mustTag(t, ctx, connect(t, p, stewardUser, stewardPassword), "DELETE 1", "DELETE FROM alltypes WHERE id = 1")
	stopClean(t, p)
	before, err := os.Stat(log)
	if err != nil {
		t.Fatal(err)
	}
	p = startKillable(t, dir)
	mustTag(t, ctx, connect(t, p, stewardUser, stewardPassword), "DELETE 3", "DELETE FROM alltypes WHERE id IN (2, 3, 4)")
	stopClean(t, p)
	full, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(full)) <= before.Size() {
		t.Fatalf("log did not grow: %d -> %d bytes", before.Size(), len(full))
	}
	for cut := before.Size(); cut <= int64(len(full)); cut++ {
		if err := os.WriteFile(log, full[:cut], 0o644); err != nil {
			t.Fatal(err)
		}
		p, err := startPQSQL(dir)
		if err != nil {
			t.Fatalf("cut at %d of %d bytes: %v", cut, len(full), err)
		}
		conn, err := pgx.Connect(ctx, p.connString(analystUser, analystPassword))
		if err != nil {
			p.kill()
			t.Fatalf("cut at %d: %v", cut, err)
		}
		var n int64
		err = conn.QueryRow(ctx, "SELECT count(*) FROM alltypes").Scan(&n)
		conn.Close(ctx)
		want := int64(19)
		if cut == int64(len(full)) {
			want = 16
		}
		if err != nil || n != want {
			t.Errorf("log cut at %d of %d bytes: count %d (%v), want %d", cut, len(full), n, err, want)
		}
		if code, err := p.stop(); err != nil || code != 0 {
			t.Fatalf("cut at %d: stop: %d, %v", cut, code, err)
		}
	}
}

// TestTombstoneLogCorruptMiddle flips a byte of a record followed by a valid
// one: that table answers XX001, the others serve.
func TestTombstoneLogCorruptMiddle(t *testing.T) {
	dir := newDataDir(t)
	log := tlogPath(t, dir, "alltypes")
	ctx := testCtx(t)
	p := startKillable(t, dir)
	c := connect(t, p, stewardUser, stewardPassword)
	for id := 1; id <= 3; id++ {
		mustTag(t, ctx, c, "DELETE 1", "DELETE FROM alltypes WHERE id = $1", id)
	}
	stopClean(t, p)
	data, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	// Records: header, file registrations, then the three batches; flip a
	// payload byte of the second batch.
	var starts []int
	for off := 0; off+8 <= len(data); {
		starts = append(starts, off)
		off += 8 + int(binary.LittleEndian.Uint32(data[off:]))
	}
	if len(starts) < 4 {
		t.Fatalf("log has %d records, want at least 4", len(starts))
	}
	data[starts[len(starts)-2]+8+3] ^= 0xff
	if err := os.WriteFile(log, data, 0o644); err != nil {
		t.Fatal(err)
	}
	p = startKillable(t, dir)
	u := connectAll(t, p)
	for name, q := range map[string]string{"SELECT": "SELECT count(*) FROM alltypes", "DELETE": "DELETE FROM alltypes WHERE id = 5"} {
		_, err := u.admin.Exec(ctx, q)
		wantCode(t, name+" from the corrupt table", err, "XX001", "")
	}
	if n := count(t, ctx, u.analyst, "SELECT count(*) FROM candidates"); n != candidateCount {
		t.Errorf("candidates next to the corrupt table: %d rows", n)
	}
	mustTag(t, ctx, u.steward, "DELETE 1", "DELETE FROM candidates WHERE candidate_id = 'CAND-000001'")
	stopClean(t, p)
}
