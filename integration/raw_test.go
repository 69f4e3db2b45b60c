package integration

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// rawBypasses are the ways a non-administrator might try to reach the
// administrators' tables. Each must fail with 42P01.
var rawBypasses = []string{
	`SELECT count(*) FROM __raw__candidates`,
	`SELECT count(*) FROM __RAW__CANDIDATES`,
	`SELECT count(*) FROM "__raw__candidates"`,
	`SELECT count(*) FROM "__RAW__candidates"`,
	`SELECT count(*) FROM "__Raw__Candidates"`,
	`SELECT count(*) FROM public.__raw__candidates`,
	`SELECT count(*) FROM "public"."__raw__candidates"`,
	`SELECT * FROM __raw__alltypes`,
	`SELECT count(*) FROM candidates WHERE candidate_id IN (SELECT candidate_id FROM __raw__candidates)`,
	`SELECT EXISTS (SELECT 1 FROM __raw__candidates)`,
	`SELECT count(*) FROM (SELECT * FROM __raw__candidates) s`,
	`WITH r AS (SELECT * FROM __raw__candidates) SELECT count(*) FROM r`,
	`SELECT count(*) FROM candidates c JOIN __raw__candidates r ON c.candidate_id = r.candidate_id`,
	`SELECT count(*) FROM candidates c LEFT JOIN __raw__candidates r ON c.candidate_id = r.candidate_id`,
	`SELECT candidate_id FROM candidates UNION ALL SELECT candidate_id FROM __raw__candidates`,
	`DELETE FROM __raw__candidates WHERE candidate_id = 'CAND-000001'`,
	`DELETE FROM candidates WHERE candidate_id IN (SELECT candidate_id FROM __raw__candidates)`,
	`SELECT * FROM pqsql_tombstones`,
	`SELECT count(*) FROM PQSQL_TOMBSTONES`,
	`SELECT count(*) FROM public.pqsql_tombstones`,
	`SELECT count(*) FROM candidates WHERE candidate_id IN (SELECT key_value FROM pqsql_tombstones)`,
}

// TestRawTablesHidden checks that __raw__ tables and pqsql_tombstones do not
// exist for readers and writers by any path, and work for administrators.
func TestRawTablesHidden(t *testing.T) {
	p := startServer(t)
	ctx := testCtx(t)
	u := connectAll(t, p)
	mustTag(t, ctx, u.steward, "DELETE 1", "DELETE FROM candidates WHERE candidate_id = 'CAND-000001'")

	for _, who := range []struct {
		name string
		conn *pgx.Conn
	}{{analystUser, u.analyst}, {stewardUser, u.steward}} {
		pc := who.conn.PgConn()
		for _, q := range rawBypasses {
			// Simple protocol.
			_, err := pc.Exec(ctx, q).ReadAll()
			wantUndefined(t, who.name+": "+q, err)
			// Extended protocol: a named prepared statement.
			_, err = pc.Prepare(ctx, "bypass", q, nil)
			wantUndefined(t, who.name+": prepare "+q, err)
		}
		_, err := pc.Prepare(ctx, "bypass", "SELECT count(*) FROM __raw__candidates WHERE candidate_id = $1", nil)
		wantUndefined(t, who.name+": prepare with a parameter", err)
		if err == nil {
			res := pc.ExecPrepared(ctx, "bypass", [][]byte{[]byte("CAND-000001")}, nil, nil).Read()
			if res.Err == nil || len(res.Rows) > 0 {
				t.Errorf("%s: executing a prepared raw query gave %v, %v", who.name, res.Rows, res.Err)
			}
		}
		// COPY: fails as the query does, or is not supported; never sends data.
		for _, q := range []string{`COPY (SELECT * FROM __raw__candidates) TO STDOUT`, `COPY __raw__candidates TO STDOUT`, `COPY (SELECT * FROM pqsql_tombstones) TO STDOUT`} {
			var buf bytes.Buffer
			_, err := pc.CopyTo(ctx, &buf, q)
			var pe *pgconn.PgError
			if !errors.As(err, &pe) || (pe.Code != "42P01" && pe.Code != "0A000") || buf.Len() > 0 {
				t.Errorf("%s: %s: %v, %d bytes of data", who.name, q, err, buf.Len())
			}
		}
		// Listings.
		for _, q := range []string{
			`SELECT table_name FROM information_schema.tables`,
			`SELECT table_name FROM information_schema.columns`,
		} {
			rows, err := queryText(ctx, who.conn, q)
			if err != nil {
				t.Errorf("%s: %s: %v", who.name, q, err)
				continue
			}
			for _, r := range rows {
				if isAdminTable(r[0]) {
					t.Errorf("%s: %s lists %s", who.name, q, r[0])
				}
			}
		}
		// pg_catalog may not be served yet; if it is, it must not list them.
		if rows, err := queryText(ctx, who.conn, `SELECT relname FROM pg_catalog.pg_class`); err == nil {
			for _, r := range rows {
				if isAdminTable(r[0]) {
					t.Errorf("%s: pg_class lists %s", who.name, r[0])
				}
			}
		}
		_, err = pc.Exec(ctx, `SELECT pqsql_rescan()`).ReadAll()
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "42501" {
			t.Errorf("%s: pqsql_rescan(): %v, want 42501", who.name, err)
		}
	}

	// psql, as a reader.
	_, err := psql(t, p, analystUser, analystPassword, "-c", "SELECT count(*) FROM __raw__candidates")
	if err == nil || !strings.Contains(err.Error(), `relation "__raw__candidates" does not exist`) {
		t.Errorf("psql as analyst: %v", err)
	}
	if out, err := psql(t, p, analystUser, analystPassword, "-c", `\dt`); err == nil && strings.Contains(out, "__raw__") {
		t.Errorf("psql \\dt as analyst lists raw tables:\n%s", out)
	}

	// Administrators see the raw rows and the audit table, and cannot
	// delete from either.
	if n := count(t, ctx, u.admin, "SELECT count(*) FROM __raw__candidates"); n != candidateCount {
		t.Errorf("admin: %d raw candidates, want %d", n, candidateCount)
	}
	if n := count(t, ctx, u.admin, "SELECT count(*) FROM __raw__candidates r WHERE r.candidate_id = 'CAND-000001'"); n != 1 {
		t.Errorf("admin: deleted row not in __raw__candidates")
	}
	out, err := psql(t, p, adminUser, adminPassword, "-c", "SELECT table_name, key_column, key_value, actor FROM pqsql_tombstones")
	if err != nil || strings.TrimSpace(out) != "candidates|candidate_id|CAND-000001|steward" {
		t.Errorf("psql pqsql_tombstones as admin: %q, %v", out, err)
	}
	for _, q := range []string{`DELETE FROM __raw__candidates WHERE candidate_id = 'CAND-000002'`, `DELETE FROM pqsql_tombstones`} {
		_, err := u.admin.Exec(ctx, q)
		wantCode(t, "admin: "+q, err, "0A000", "")
	}
	if n := count(t, ctx, u.admin, "SELECT count(*) FROM candidates"); n != candidateCount-1 {
		t.Errorf("admin: %d candidates, want %d", n, candidateCount-1)
	}
}

// isAdminTable reports whether a listed table name is one of the
// administrators' tables.
func isAdminTable(name string) bool {
	l := strings.ToLower(name)
	return strings.HasPrefix(l, "__raw__") || l == "pqsql_tombstones"
}

// wantUndefined fails the test unless err is 42P01 naming a relation that
// does not exist.
func wantUndefined(t *testing.T, what string, err error) {
	t.Helper()
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		t.Errorf("%s: %v, want 42P01", what, err)
		return
	}
	if pe.Code != "42P01" || !strings.HasPrefix(pe.Message, `relation "`) || !strings.HasSuffix(pe.Message, `" does not exist`) {
		t.Errorf("%s: %s %q, want 42P01 relation ... does not exist", what, pe.Code, pe.Message)
	}
}
