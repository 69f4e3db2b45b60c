package integration

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/pqsql/pqsql/server"
)

// TestMD5Authentication configures password_method: md5, with a plaintext
// password and an MD5 hash, and connects with pgx and psql.
func TestMD5Authentication(t *testing.T) {
	dir := newDataDir(t)
	cfgPath := filepath.Join(dir, "pqsql.yaml")
	cfg, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	text := "password_method: md5\n" + strings.Replace(string(cfg), `password: "analyst-dev-pw"`,
		`password: "`+server.MD5Hash(analystUser, analystPassword)+`"`, 1)
	if !strings.Contains(text, "password: \"md5") {
		t.Fatalf("testdata/pqsql.yaml changed: analyst's password not found")
	}
	if err := os.WriteFile(cfgPath, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	p := startServerIn(t, dir)
	ctx := testCtx(t)
	for _, u := range []struct{ user, password string }{{analystUser, analystPassword}, {adminUser, adminPassword}} {
		conn := connect(t, p, u.user, u.password)
		var n int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM candidates WHERE city = 'Miami'").Scan(&n); err != nil || n == 0 {
			t.Errorf("%s: count %d, %v", u.user, n, err)
		}
		out, err := psql(t, p, u.user, u.password, "-c", "SELECT 1")
		if err != nil || out != "1\n" {
			t.Errorf("psql as %s: %q, %v", u.user, out, err)
		}
	}
	for _, user := range []string{analystUser, "nosuchuser"} {
		_, err := pgx.Connect(context.Background(), p.connString(user, "wrong-password"))
		if pe := pgError(t, err); pe.Code != "28P01" || pe.Message != `password authentication failed for user "`+user+`"` {
			t.Errorf("%s with a wrong password: %s %q", user, pe.Code, pe.Message)
		}
	}
}
