package integration

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pqsql/pqsql/compact"
	"github.com/pqsql/pqsql/tombstone"
)

// sampleAuditSecret returns the audit secret of testdata/pqsql.yaml.
func sampleAuditSecret(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "testdata", "pqsql.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^audit_secret:\s*"([0-9a-f]+)"`).FindSubmatch(data)
	if m == nil {
		t.Fatal("testdata/pqsql.yaml has no hex audit_secret")
	}
	secret, err := hex.DecodeString(string(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

// filesHolding returns the files under dir whose raw bytes contain any of
// needles, with the needles found.
func filesHolding(t *testing.T, dir string, needles []string) map[string][]string {
	t.Helper()
	found := map[string][]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, n := range needles {
			if bytes.Contains(data, []byte(n)) {
				found[path] = append(found[path], n)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// parquetValuesHolding decodes every Parquet file under dir and returns the
// files with a text or binary value containing any of needles, with the
// needles found.
func parquetValuesHolding(t *testing.T, dir string, needles []string) map[string][]string {
	t.Helper()
	found := map[string][]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".parquet") {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		tbl, err := pqarrow.ReadTable(context.Background(), f, parquet.NewReaderProperties(memory.DefaultAllocator),
			pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
		if err != nil {
			return fmt.Errorf("read %s: %w", path, err)
		}
		defer tbl.Release()
		seen := map[string]bool{}
		for i := 0; i < int(tbl.NumCols()); i++ {
			for _, chunk := range tbl.Column(i).Data().Chunks() {
				var value func(int) []byte
				switch a := chunk.(type) {
				case *array.String:
					value = func(j int) []byte { return []byte(a.Value(j)) }
				case *array.LargeString:
					value = func(j int) []byte { return []byte(a.Value(j)) }
				case *array.Binary:
					value = a.Value
				case *array.LargeBinary:
					value = a.Value
				default:
					continue
				}
				for j := 0; j < chunk.Len(); j++ {
					if chunk.IsNull(j) {
						continue
					}
					v := value(j)
					for _, n := range needles {
						if !seen[n] && bytes.Contains(v, []byte(n)) {
							seen[n] = true
							found[path] = append(found[path], n)
						}
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// connectNotices opens a pgx connection as user that collects notices.
func connectNotices(t *testing.T, p *pqsqlProcess, user, password string) (*pgx.Conn, func() []*pgconn.Notice) {
	t.Helper()
	cfg, err := pgx.ParseConfig(p.connString(user, password))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var notices []*pgconn.Notice
	cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) {
		mu.Lock()
		defer mu.Unlock()
		notices = append(notices, n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("connect as %s: %v", user, err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn, func() []*pgconn.Notice {
		mu.Lock()
		defer mu.Unlock()
		out := notices
		notices = nil
		return out
	}
}

// erasedIDs are the candidates TestVacuumDoneWhen erases.
var erasedIDs = []string{"CAND-000001", "CAND-000002", "CAND-000003"}

// TestVacuumDoneWhen is the acceptance scenario: a writer deletes three
// candidates, an administrator runs VACUUM, and afterwards no file of the
// data directory holds a byte of those keys or of the rows' other unique
// values, the raw view shows what the table shows, and pqsql_erasures
// records each erasure by its keyed hash only; all of it survives a
// restart. SELECTs running during the VACUUM see the right counts.
func TestVacuumDoneWhen(t *testing.T) {
	dir := newDataDir(t)
	p := startKillable(t, dir)
	ctx := testCtx(t)
	u := connectAll(t, p)
	secret := sampleAuditSecret(t)

	mustTag(t, ctx, u.steward, "SET", "SET pqsql.erasure_reason = 'ticket 42: erasure request'")
	mustTag(t, ctx, u.steward, "DELETE 3", "DELETE FROM candidates WHERE candidate_id IN ('CAND-000001','CAND-000002','CAND-000003')")

	// The erased rows' values that no other row has: they must vanish too.
	needles := slices.Clone(erasedIDs)
	values, err := queryText(ctx, u.admin, `SELECT email, phone FROM __raw__candidates WHERE candidate_id IN ('CAND-000001','CAND-000002','CAND-000003')`)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range values {
		for _, v := range r {
			if v != nullText && count(t, ctx, u.admin, "SELECT count(*) FROM __raw__candidates WHERE email = $1 OR phone = $1", v) == 1 {
				needles = append(needles, v)
			}
		}
	}
	if len(needles) < len(erasedIDs)+3 {
		t.Fatalf("only %d unique values of the erased rows: %v", len(needles), needles)
	}
	// Positive controls: before VACUUM the keys are in the tombstone log and
	// the erased values in the data file.
	if got := filesHolding(t, filepath.Join(dir, "_pqsql"), erasedIDs); len(got) == 0 {
		t.Fatalf("no state file holds the deleted keys before VACUUM")
	}
	if got := parquetValuesHolding(t, dir, needles); len(got[filepath.Join(dir, "candidates.parquet")]) != len(needles) {
		t.Fatalf("candidates.parquet holds %v of %v before VACUUM", got, needles)
	}

	// VACUUM, with readers counting all along.
	done := make(chan error, 1)
	go func() {
		_, err := execTag(ctx, u.admin, "VACUUM candidates")
		done <- err
	}()
	readers := connectAll(t, p)
	selects := 0
	for running := true; running; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("VACUUM candidates: %v", err)
			}
			running = false
		default:
		}
		if n := count(t, ctx, readers.analyst, "SELECT count(*) FROM candidates"); n != candidateCount-3 {
			t.Errorf("during VACUUM: analyst counts %d candidates, want %d", n, candidateCount-3)
		}
		if n := count(t, ctx, readers.analyst, "SELECT count(*) FROM candidates WHERE candidate_id IN ('CAND-000001', 'CAND-000004')"); n != 1 {
			t.Errorf("during VACUUM: analyst sees %d of CAND-000001 and CAND-000004, want 1", n)
		}
		if n := count(t, ctx, readers.admin, "SELECT count(*) FROM __raw__candidates"); n != candidateCount && n != candidateCount-3 {
			t.Errorf("during VACUUM: admin counts %d raw candidates, want %d or %d", n, candidateCount, candidateCount-3)
		}
		selects++
	}
	t.Logf("%d rounds of SELECTs ran during VACUUM", selects)

	check := func(u users, stage string) {
		t.Helper()
		raw := count(t, ctx, u.admin, "SELECT count(*) FROM __raw__candidates")
		for name, c := range map[string]*pgx.Conn{"admin": u.admin, "steward": u.steward, "analyst": u.analyst} {
			if n := count(t, ctx, c, "SELECT count(*) FROM candidates"); n != candidateCount-3 || n != raw {
				t.Errorf("%s: %s counts %d candidates, %d raw, want %d", stage, name, n, raw, candidateCount-3)
			}
		}
		if n := count(t, ctx, u.admin, "SELECT count(*) FROM pqsql_tombstones"); n != 0 {
			t.Errorf("%s: %d tombstones left", stage, n)
		}
		if got := filesHolding(t, dir, needles); len(got) > 0 {
			t.Errorf("%s: files still hold erased bytes: %v", stage, got)
		}
		if got := parquetValuesHolding(t, dir, needles); len(got) > 0 {
			t.Errorf("%s: Parquet values still hold erased values: %v", stage, got)
		}
		want := map[string]bool{}
		for _, id := range erasedIDs {
			want[compact.KeyHash(secret, tombstone.TextKey(id))] = true
		}
		rows, err := queryText(ctx, u.admin, "SELECT * FROM pqsql_erasures")
		if err != nil {
			t.Fatalf("%s: pqsql_erasures: %v", stage, err)
		}
		if len(rows) != 3 {
			t.Fatalf("%s: pqsql_erasures has %d rows, want 3: %v", stage, len(rows), rows)
		}
		for _, r := range rows {
			// table_name, seq, deleted_at, vacuumed_at, actor, reason, rows_removed, key_hash
			if r[0] != "candidates" || r[4] != stewardUser || r[5] != "ticket 42: erasure request" || r[6] != "1" || !want[r[7]] {
				t.Errorf("%s: erasure row %q", stage, r)
			}
			delete(want, r[7])
			if joined := strings.Join(r, "|"); strings.Contains(joined, "CAND-") {
				t.Errorf("%s: erasure row holds a raw key: %q", stage, r)
			}
		}
		if n := count(t, ctx, u.admin, "SELECT count(*) FROM pqsql_erasures WHERE vacuumed_at >= deleted_at AND seq > 0"); n != 3 {
			t.Errorf("%s: %d erasure rows with a sequence number and vacuumed_at >= deleted_at, want 3", stage, n)
		}
		_, err = u.analyst.Exec(ctx, "SELECT count(*) FROM pqsql_erasures")
		wantCode(t, stage+": analyst reads pqsql_erasures", err, "42P01", `relation "pqsql_erasures" does not exist`)
		_, err = u.steward.Exec(ctx, "SELECT count(*) FROM pqsql_erasures")
		wantCode(t, stage+": steward reads pqsql_erasures", err, "42P01", `relation "pqsql_erasures" does not exist`)
	}
	check(u, "after VACUUM")

	// A second VACUUM has nothing to do and leaves the file as it is.
	before, err := os.ReadFile(filepath.Join(dir, "candidates.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	admin, notices := connectNotices(t, p, adminUser, adminPassword)
	mustTag(t, ctx, admin, "VACUUM", "VACUUM VERBOSE candidates")
	ns := notices()
	if len(ns) != 2 || ns[0].Severity != "INFO" || ns[0].Message != `vacuuming "pqsql.public.candidates"` ||
		!strings.HasPrefix(ns[1].Message, `finished vacuuming "pqsql.public.candidates": nothing to do`) ||
		!strings.Contains(ns[1].Message, fmt.Sprintf("\ntuples: 0 removed, %d remain\n", candidateCount-3)) {
		t.Errorf("second VACUUM VERBOSE notices: %+v", ns)
	}
	after, err := os.ReadFile(filepath.Join(dir, "candidates.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Errorf("a VACUUM with nothing to do rewrote candidates.parquet")
	}

	p.kill()
	p = startKillable(t, dir)
	check(connectAll(t, p), "after kill -9 and restart")
	stopClean(t, p)
	p = startKillable(t, dir)
	check(connectAll(t, p), "after a clean restart")
	stopClean(t, p)
}

// TestVacuumStatements covers VACUUM's refusals and errors, its forms,
// VERBOSE through psql, and a server without an audit secret.
func TestVacuumStatements(t *testing.T) {
	dir := smallDataDir(t)
	p := startKillable(t, dir)
	ctx := testCtx(t)
	u := connectAll(t, p)
	mustTag(t, ctx, u.steward, "DELETE 1", "DELETE FROM alltypes WHERE id = 1")

	for _, c := range []struct {
		who       string
		conn      *pgx.Conn
		sql       string
		code, msg string
	}{
		{"analyst", u.analyst, "VACUUM alltypes", "42501", `permission denied to vacuum "alltypes"`},
		{"analyst", u.analyst, "VACUUM FULL alltypes", "42501", `permission denied to vacuum "alltypes"`},
		{"steward", u.steward, "VACUUM", "42501", `permission denied to vacuum database "pqsql"`},
		{"steward", u.steward, "ANALYZE alltypes", "42501", `permission denied to analyze "alltypes"`},
		{"analyst", u.analyst, "VACUUM __raw__alltypes", "42P01", `relation "__raw__alltypes" does not exist`},
		{"analyst", u.analyst, "VACUUM pqsql_tombstones", "42P01", `relation "pqsql_tombstones" does not exist`},
		{"steward", u.steward, "VACUUM pqsql_erasures", "42P01", `relation "pqsql_erasures" does not exist`},
		{"admin", u.admin, "VACUUM nope", "42P01", `relation "nope" does not exist`},
		{"admin", u.admin, "VACUUM alltypes, nope", "42P01", `relation "nope" does not exist`},
		{"admin", u.admin, "VACUUM __raw__alltypes", "0A000", `cannot vacuum "__raw__alltypes": it is a read-only view for administrators`},
		{"admin", u.admin, "VACUUM pqsql_erasures", "0A000", `cannot vacuum "pqsql_erasures": it is a read-only view for administrators`},
		{"admin", u.admin, "VACUUM (FOO) alltypes", "42601", `unrecognized VACUUM option "foo"`},
	} {
		_, err := c.conn.Exec(ctx, c.sql)
		wantCode(t, c.who+": "+c.sql, err, c.code, c.msg)
	}
	for _, c := range []*pgx.Conn{u.admin, u.analyst} {
		mustTag(t, ctx, c, "BEGIN", "BEGIN")
		_, err := c.Exec(ctx, "VACUUM alltypes")
		wantCode(t, "VACUUM in a transaction block", err, "25001", "VACUUM cannot run inside a transaction block")
		mustTag(t, ctx, c, "ROLLBACK", "ROLLBACK")
	}
	if n := count(t, ctx, u.admin, "SELECT count(*) FROM __raw__alltypes"); n != 20 {
		t.Fatalf("refused VACUUMs changed the table: %d raw rows, want 20", n)
	}

	// psql: a failed VACUUM is an error, and ON_ERROR_STOP makes psql fail.
	for _, c := range []struct{ user, password, sql, want string }{
		{adminUser, adminPassword, "VACUUM nope", `ERROR:  relation "nope" does not exist`},
		{analystUser, analystPassword, "VACUUM alltypes", `ERROR:  permission denied to vacuum "alltypes"`},
		{adminUser, adminPassword, "SELECT 1; VACUUM alltypes", `ERROR:  VACUUM cannot run inside a transaction block`},
	} {
		_, stderr, code := psqlRun(t, p, c.user, c.password, "-c", c.sql)
		if code == 0 || !strings.Contains(stderr, c.want) {
			t.Errorf("psql -c %q as %s: exit %d, stderr %q", c.sql, c.user, code, stderr)
		}
	}

	// VACUUM VERBOSE through psql: INFO lines as PostgreSQL prints them.
	stdout, stderr, code := psqlRun(t, p, adminUser, adminPassword, "-c", "VACUUM (VERBOSE) alltypes")
	if code != 0 {
		t.Fatalf("psql VACUUM (VERBOSE): exit %d, stderr %q", code, stderr)
	}
	for _, want := range []string{
		"INFO:  vacuuming \"pqsql.public.alltypes\"\n",
		"INFO:  finished vacuuming \"pqsql.public.alltypes\": files rewritten: 1\n",
		"\nfiles: 1 before, 1 after\n",
		"\ntuples: 1 removed, 19 remain\n",
		"\ntombstones: 1 applied\n",
		"\nsystem usage: elapsed: ",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("VACUUM (VERBOSE) stderr lacks %q:\n%s", want, stderr)
		}
	}
	if !regexp.MustCompile(`\nbytes: \d+ before, \d+ after\n`).MatchString(stderr) {
		t.Errorf("VACUUM (VERBOSE) stderr lacks the bytes line:\n%s", stderr)
	}
	if strings.TrimSpace(stdout) != "VACUUM" && strings.TrimSpace(stdout) != "" {
		t.Errorf("VACUUM (VERBOSE) stdout %q", stdout)
	}
	if n := count(t, ctx, u.admin, "SELECT count(*) FROM __raw__alltypes"); n != 19 {
		t.Errorf("after VACUUM: %d raw rows, want 19", n)
	}

	// The other forms.
	for _, c := range []struct{ sql, tag string }{
		{"VACUUM", "VACUUM"},
		{"VACUUM FULL alltypes", "VACUUM"},
		{"VACUUM (FULL, VERBOSE) alltypes", "VACUUM"},
		{"VACUUM VERBOSE alltypes", "VACUUM"},
		{"VACUUM ANALYZE alltypes", "VACUUM"},
		{"ANALYZE", "ANALYZE"},
		{"ANALYZE alltypes", "ANALYZE"},
	} {
		mustTag(t, ctx, u.admin, c.tag, c.sql)
	}
	if n := count(t, ctx, u.admin, "SELECT count(*) FROM pqsql_erasures"); n != 1 {
		t.Errorf("pqsql_erasures: %d rows, want 1", n)
	}
	stopClean(t, p)

	// Without an audit secret, VACUUM of a table with deleted rows fails
	// and changes nothing.
	cfgPath := filepath.Join(dir, "pqsql.yaml")
	cfg, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	noSecret := regexp.MustCompile(`(?m)^audit_secret:.*\n`).ReplaceAll(cfg, nil)
	if bytes.Equal(noSecret, cfg) {
		t.Fatal("testdata/pqsql.yaml has no audit_secret line")
	}
	if err := os.WriteFile(cfgPath, noSecret, 0o600); err != nil {
		t.Fatal(err)
	}
	p = startKillable(t, dir)
	u = connectAll(t, p)
	mustTag(t, ctx, u.steward, "DELETE 1", "DELETE FROM alltypes WHERE id = 2")
	_, err = u.admin.Exec(ctx, "VACUUM alltypes")
	wantCode(t, "VACUUM without a secret", err, "55000", `cannot vacuum "alltypes": no audit secret is configured`)
	if _, stderr, code := psqlRun(t, p, adminUser, adminPassword, "-c", "VACUUM alltypes"); code == 0 || !strings.Contains(stderr, "no audit secret") {
		t.Errorf("psql VACUUM without a secret: exit %d, stderr %q", code, stderr)
	}
	if n := count(t, ctx, u.admin, "SELECT count(*) FROM __raw__alltypes"); n != 19 {
		t.Errorf("after a failed VACUUM: %d raw rows, want 19", n)
	}
	if n := count(t, ctx, u.admin, "SELECT count(*) FROM pqsql_tombstones"); n != 1 {
		t.Errorf("after a failed VACUUM: %d tombstones, want 1", n)
	}
	stopClean(t, p)
}

// TestVacuumConcurrentDelete runs DELETEs while a VACUUM runs: each stays
// hidden, either applied by that VACUUM or left as a tombstone for the next
// one; a VACUUM of every table then applies them all, and a restart keeps
// the result.
func TestVacuumConcurrentDelete(t *testing.T) {
	dir := newDataDir(t)
	p := startKillable(t, dir)
	ctx := testCtx(t)
	u := connectAll(t, p)
	mustTag(t, ctx, u.steward, "DELETE 1", "DELETE FROM candidates WHERE candidate_id = 'CAND-000010'")
	mustTag(t, ctx, u.steward, "DELETE 1", "DELETE FROM alltypes WHERE id = 3")
	deleted := []string{"CAND-000010"}

	done := make(chan error, 1)
	go func() {
		_, err := execTag(ctx, u.admin, "VACUUM candidates")
		done <- err
	}()
	for running := true; running; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("VACUUM candidates: %v", err)
			}
			running = false
		default:
		}
		id := fmt.Sprintf("CAND-%06d", 100+len(deleted))
		mustTag(t, ctx, u.steward, "DELETE 1", "DELETE FROM candidates WHERE candidate_id = $1", id)
		deleted = append(deleted, id)
	}
	t.Logf("%d DELETEs ran during VACUUM", len(deleted)-1)

	hidden := func(u users, stage string) {
		t.Helper()
		in := "'" + strings.Join(deleted, "', '") + "'"
		if n := count(t, ctx, u.analyst, "SELECT count(*) FROM candidates WHERE candidate_id IN ("+in+")"); n != 0 {
			t.Errorf("%s: %d deleted candidates visible", stage, n)
		}
		if n := count(t, ctx, u.analyst, "SELECT count(*) FROM candidates"); n != candidateCount-int64(len(deleted)) {
			t.Errorf("%s: %d candidates, want %d", stage, n, candidateCount-int64(len(deleted)))
		}
	}
	hidden(u, "after the first VACUUM")
	pending := count(t, ctx, u.admin, "SELECT count(*) FROM pqsql_tombstones WHERE table_name = 'candidates'")
	erased := count(t, ctx, u.admin, "SELECT count(*) FROM pqsql_erasures WHERE table_name = 'candidates'")
	if pending+erased != int64(len(deleted)) || erased < 1 {
		t.Errorf("after the first VACUUM: %d tombstones and %d erasures, want %d in all, at least 1 erased", pending, erased, len(deleted))
	}
	if n := count(t, ctx, u.admin, "SELECT count(*) FROM __raw__candidates"); n != candidateCount-erased {
		t.Errorf("after the first VACUUM: %d raw candidates, want %d", n, candidateCount-erased)
	}

	// VACUUM of every table.
	mustTag(t, ctx, u.admin, "VACUUM", "VACUUM")
	final := func(u users, stage string) {
		t.Helper()
		hidden(u, stage)
		if n := count(t, ctx, u.admin, "SELECT count(*) FROM __raw__candidates"); n != candidateCount-int64(len(deleted)) {
			t.Errorf("%s: %d raw candidates, want %d", stage, n, candidateCount-int64(len(deleted)))
		}
		if n := count(t, ctx, u.admin, "SELECT count(*) FROM __raw__alltypes"); n != 19 {
			t.Errorf("%s: %d raw alltypes rows, want 19", stage, n)
		}
		if n := count(t, ctx, u.admin, "SELECT count(*) FROM pqsql_tombstones"); n != 0 {
			t.Errorf("%s: %d tombstones, want 0", stage, n)
		}
		if n := count(t, ctx, u.admin, "SELECT count(*) FROM pqsql_erasures"); n != int64(len(deleted))+1 {
			t.Errorf("%s: %d erasures, want %d", stage, n, len(deleted)+1)
		}
		if got := filesHolding(t, dir, deleted); len(got) > 0 {
			t.Errorf("%s: files still hold deleted keys: %v", stage, got)
		}
	}
	final(u, "after VACUUM of every table")
	p.kill()
	p = startKillable(t, dir)
	final(connectAll(t, p), "after kill -9 and restart")
	stopClean(t, p)
}
