package main

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/pqsql/pqsql/server"
)

const goodConfig = `# pqsql configuration
database: hr
max_connections: 7
users:
  - {name: admin,   password: "admin-dev-pw", role: admin}
  - name: steward
    password: steward-dev-pw
    role: writer
  - {name: analyst, password: "s3cret", role: reader}
tables:
  candidates: {key: candidate_id}
  events:
    key: id
`

func TestParseConfigGood(t *testing.T) {
	cfg, err := ParseConfig("pqsql.yaml", []byte(goodConfig))
	if err != nil {
		t.Fatalf("ParseConfig: %v", err)
	}
	want := &Config{
		Path:           "pqsql.yaml",
		Database:       "hr",
		MaxConnections: 7,
		Users: []User{
			{Name: "admin", Password: "admin-dev-pw", Role: RoleAdmin, Line: 5},
			{Name: "steward", Password: "steward-dev-pw", Role: RoleWriter, Line: 6},
			{Name: "analyst", Password: "s3cret", Role: RoleReader, Line: 9},
		},
		Tables: map[string]TableConfig{"candidates": {Key: "candidate_id"}, "events": {Key: "id"}},
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("ParseConfig =\n%+v\nwant\n%+v", cfg, want)
	}
	if got, want := cfg.Roles(), map[string]string{"admin": "admin", "steward": "writer", "analyst": "reader"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Roles() = %v, want %v", got, want)
	}
	if got, want := cfg.Passwords(), map[string]string{"admin": "admin-dev-pw", "steward": "steward-dev-pw", "analyst": "s3cret"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Passwords() = %v, want %v", got, want)
	}
	if got, want := cfg.KeyColumns(), map[string]string{"candidates": "candidate_id", "events": "id"}; !reflect.DeepEqual(got, want) {
		t.Errorf("KeyColumns() = %v, want %v", got, want)
	}
	if got, want := cfg.SamplePasswordUsers(), []string{"admin", "steward"}; !reflect.DeepEqual(got, want) {
		t.Errorf("SamplePasswordUsers() = %v, want %v", got, want)
	}
}

func TestParseConfigDefaults(t *testing.T) {
	cfg, err := ParseConfig("c.yaml", []byte("users:\n  - {name: a, password: pw, role: reader}\n"))
	if err != nil {
		t.Fatalf("ParseConfig: %v", err)
	}
	if cfg.Database != "pqsql" || cfg.MaxConnections != 100 || len(cfg.Tables) != 0 {
		t.Errorf("defaults: database %q, max_connections %d, tables %v; want pqsql, 100, none",
			cfg.Database, cfg.MaxConnections, cfg.Tables)
	}
}

// TestShippedConfig checks testdata/pqsql.yaml, the file the README shows.
func TestShippedConfig(t *testing.T) {
	cfg, err := LoadConfig(filepath.Join("..", "..", "testdata", "pqsql.yaml"))
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	if got, want := cfg.Roles(), map[string]string{"admin": "admin", "steward": "writer", "analyst": "reader"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Roles() = %v, want %v", got, want)
	}
	if got, want := cfg.Passwords(), map[string]string{"admin": "admin-dev-pw", "steward": "steward-dev-pw", "analyst": "analyst-dev-pw"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Passwords() = %v, want %v", got, want)
	}
	if got, want := cfg.KeyColumns(), map[string]string{"candidates": "candidate_id"}; !reflect.DeepEqual(got, want) {
		t.Errorf("KeyColumns() = %v, want %v", got, want)
	}
	if cfg.Database != "pqsql" {
		t.Errorf("Database = %q, want pqsql", cfg.Database)
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		line int
		msg  string // substring of the message
	}{
		{"empty file", "", 0, "empty"},
		{"only a comment", "# nothing\n", 0, "empty"},
		{"unknown top-level key", "database: x\nport: 5433\nusers: []\n", 2, `unknown key "port"`},
		{"unknown user key", "users:\n  - name: a\n    password: p\n    role: reader\n    group: x\n", 5, `unknown key "group"`},
		{"unknown table key", "users:\n  - {name: a, password: p, role: reader}\ntables:\n  t:\n    key: id\n    sort: id\n", 6, `unknown key "sort"`},
		{"bad role", "users:\n  - {name: a, password: p, role: reader}\n  - name: b\n    password: p\n    role: superuser\n", 5, `role "superuser" is not one of reader, writer, admin`},
		{"missing role", "users:\n  - {name: a, password: p}\n", 2, `user "a" has no role`},
		{"missing password", "users:\n  - {name: a, password: p, role: reader}\n  - {name: b, role: reader}\n", 3, `user "b" has no password`},
		{"empty password", "users:\n  - name: a\n    password: \"\"\n    role: reader\n", 3, `user "a" has no password`},
		{"missing name", "users:\n  - {name: a, password: p, role: reader}\n  - {password: p, role: reader}\n", 3, "user has no name"},
		{"duplicate user", "users:\n  - {name: a, password: p, role: reader}\n  - {name: b, password: p, role: reader}\n  - {name: a, password: q, role: admin}\n", 4, `duplicate user "a" (first defined on line 2)`},
		{"no users", "database: x\n", 0, "no users"},
		{"empty users", "database: x\nusers: []\n", 2, "no users"},
		{"users not a list", "users:\n  a: b\n", 2, "cannot unmarshal"},
		{"bad max_connections", "max_connections: 0\nusers:\n  - {name: a, password: p, role: reader}\n", 1, "max_connections must be at least 1"},
		{"cache_size without unit", "cache_size: 512\nusers:\n  - {name: a, password: p, role: reader}\n", 1, `cache_size: invalid size "512": the unit must be kB, MB, GB or TB`},
		{"cache_size negative", "cache_size: -5MB\nusers:\n  - {name: a, password: p, role: reader}\n", 1, `cache_size: invalid size "-5MB"`},
		{"max_connections not a number", "max_connections: lots\nusers:\n  - {name: a, password: p, role: reader}\n", 1, "cannot unmarshal"},
		{"empty database", "database: \"\"\nusers:\n  - {name: a, password: p, role: reader}\n", 1, "database must not be empty"},
		{"table without key", "users:\n  - {name: a, password: p, role: reader}\ntables:\n  events: {}\n", 4, `table "events" has no key column`},
		{"malformed verifier", "users:\n  - name: a\n    password: \"SCRAM-SHA-256$4096:xx\"\n    role: reader\n", 3, "malformed SCRAM-SHA-256 verifier"},
		{"yaml syntax error", "users:\n  - {name: a, password: p, role: reader}\n bad: [\n", 2, "did not find expected key"},
		{"duplicate key", "database: a\ndatabase: b\nusers:\n  - {name: a, password: p, role: reader}\n", 2, "already defined"},
		{"two documents", "users:\n  - {name: a, password: p, role: reader}\n---\nusers: []\n", 3, "only one YAML document"},
		{"not a mapping", "- a\n- b\n", 1, "cannot unmarshal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ParseConfig("pqsql.yaml", []byte(tt.doc))
			if err == nil {
				t.Fatalf("ParseConfig succeeded with %+v, want an error", cfg)
			}
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v (%T) is not a *ConfigError", err, err)
			}
			if ce.Line != tt.line {
				t.Errorf("line = %d, want %d (error: %v)", ce.Line, tt.line, err)
			}
			if !strings.Contains(ce.Msg, tt.msg) {
				t.Errorf("message %q does not contain %q", ce.Msg, tt.msg)
			}
			prefix := "pqsql.yaml: "
			if tt.line > 0 {
				prefix = fmt.Sprintf("pqsql.yaml:%d: ", tt.line)
			}
			if !strings.HasPrefix(err.Error(), prefix) {
				t.Errorf("Error() = %q, want prefix %q", err.Error(), prefix)
			}
		})
	}
}

// testVerifier builds a verifier the way PostgreSQL does, independently of
// the server package.
func testVerifier(t *testing.T, password string) string {
	t.Helper()
	salt := []byte("0123456789abcdef")
	salted, err := pbkdf2.Key(sha256.New, password, salt, 4096, sha256.Size)
	if err != nil {
		t.Fatal(err)
	}
	h := func(key []byte, msg string) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(msg))
		return m.Sum(nil)
	}
	stored := sha256.Sum256(h(salted, "Client Key"))
	serverKey := h(salted, "Server Key")
	b64 := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("SCRAM-SHA-256$4096:%s$%s:%s", b64(salt), b64(stored[:]), b64(serverKey))
}

func TestCheckListen(t *testing.T) {
	sample := testVerifier(t, "analyst-dev-pw")
	private := testVerifier(t, "a much better password")
	tests := []struct {
		name     string
		password string
		addr     string
		refuse   bool
	}{
		{"sample plaintext on loopback", "analyst-dev-pw", "127.0.0.1:5433", false},
		{"sample plaintext on localhost", "analyst-dev-pw", "localhost:5433", false},
		{"sample plaintext on ::1", "analyst-dev-pw", "[::1]:5433", false},
		{"sample plaintext on all interfaces", "analyst-dev-pw", "0.0.0.0:5433", true},
		{"sample plaintext on empty host", "analyst-dev-pw", ":5433", true},
		{"other user's sample password", "admin-dev-pw", "10.1.2.3:5433", true},
		{"sample verifier on all interfaces", sample, "0.0.0.0:5433", true},
		{"private plaintext on all interfaces", "a much better password", "0.0.0.0:5433", false},
		{"private verifier on all interfaces", private, "[::]:5433", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := fmt.Sprintf("users:\n  - name: analyst\n    password: %q\n    role: reader\n", tt.password)
			cfg, err := ParseConfig("pqsql.yaml", []byte(doc))
			if err != nil {
				t.Fatalf("ParseConfig: %v", err)
			}
			err = cfg.CheckListen(tt.addr)
			if tt.refuse {
				if err == nil || !strings.Contains(err.Error(), "analyst") {
					t.Errorf("CheckListen(%s) = %v, want a refusal naming analyst", tt.addr, err)
				}
			} else if err != nil {
				t.Errorf("CheckListen(%s) = %v, want nil", tt.addr, err)
			}
		})
	}
}

func TestLoadConfigMissingFile(t *testing.T) {
	_, err := LoadConfig(filepath.Join(t.TempDir(), "none.yaml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("LoadConfig of a missing file = %v, want os.ErrNotExist", err)
	}
}

func TestResolveConfigPath(t *testing.T) {
	dir := t.TempDir()
	if _, err := resolveConfigPath("", dir); err == nil || !strings.Contains(err.Error(), "no configuration") {
		t.Errorf("resolveConfigPath without a file = %v, want a no-configuration error", err)
	}
	if got, err := resolveConfigPath("/etc/x.yaml", dir); err != nil || got != "/etc/x.yaml" {
		t.Errorf("resolveConfigPath(given) = %q, %v", got, err)
	}
	def := filepath.Join(dir, "pqsql.yaml")
	if err := os.WriteFile(def, []byte("users: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := resolveConfigPath("", dir); err != nil || got != def {
		t.Errorf("resolveConfigPath = %q, %v; want %q", got, err, def)
	}
}

func TestReadPassword(t *testing.T) {
	got, err := readPassword(strings.NewReader("hunter2\nignored\n"), new(strings.Builder))
	if err != nil || got != "hunter2" {
		t.Errorf("readPassword = %q, %v; want hunter2", got, err)
	}
	got, err = readPassword(strings.NewReader("no newline"), new(strings.Builder))
	if err != nil || got != "no newline" {
		t.Errorf("readPassword = %q, %v; want %q", got, err, "no newline")
	}
	if _, err := readPassword(strings.NewReader("\n"), new(strings.Builder)); err == nil {
		t.Error("readPassword of an empty line succeeded, want an error")
	}
}

func TestVersionCommand(t *testing.T) {
	var out, errOut strings.Builder
	if code := run(t.Context(), []string{"version"}, strings.NewReader(""), &out, &errOut); code != 0 {
		t.Fatalf("pqsql version exited %d: %s", code, errOut.String())
	}
	if !strings.HasPrefix(out.String(), "pqsql ") || !strings.Contains(out.String(), runtime.Version()) {
		t.Errorf("pqsql version printed %q", out.String())
	}
}

func TestServeRefusals(t *testing.T) {
	dir := t.TempDir()
	var out, errOut strings.Builder
	code := run(t.Context(), []string{"serve", "--data", dir}, strings.NewReader(""), &out, &errOut)
	if code == 0 || !strings.Contains(errOut.String(), "no configuration") {
		t.Errorf("serve without config: exit %d, stderr %q", code, errOut.String())
	}

	cfg := filepath.Join(dir, "pqsql.yaml")
	if err := os.WriteFile(cfg, []byte("users:\n  - {name: a, password: analyst-dev-pw, role: reader}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	errOut.Reset()
	code = run(t.Context(), []string{"serve", "--data", dir, "--listen", "0.0.0.0:0"}, strings.NewReader(""), &out, &errOut)
	if code == 0 || !strings.Contains(errOut.String(), "refusing to listen on non-loopback address") {
		t.Errorf("serve with sample passwords on 0.0.0.0: exit %d, stderr %q", code, errOut.String())
	}

	errOut.Reset()
	code = run(t.Context(), []string{"serve", "--data", dir, "--log-format", "xml"}, strings.NewReader(""), &out, &errOut)
	if code == 0 || !strings.Contains(errOut.String(), "--log-format") {
		t.Errorf("serve with a bad log format: exit %d, stderr %q", code, errOut.String())
	}

	errOut.Reset()
	code = run(t.Context(), []string{"serve", "--data", dir, "--tls-cert", "x.pem"}, strings.NewReader(""), &out, &errOut)
	if code == 0 || !strings.Contains(errOut.String(), "--tls-key") {
		t.Errorf("serve with only --tls-cert: exit %d, stderr %q", code, errOut.String())
	}
}

func TestCheckListenMD5(t *testing.T) {
	for _, tt := range []struct {
		password string
		refuse   bool
	}{
		{"analyst-dev-pw", true},
		{"admin-dev-pw", true},
		{"a much better password", false},
	} {
		doc := fmt.Sprintf("password_method: md5\nusers:\n  - {name: analyst, password: %q, role: reader}\n",
			server.MD5Hash("analyst", tt.password))
		cfg, err := ParseConfig("pqsql.yaml", []byte(doc))
		if err != nil {
			t.Fatalf("ParseConfig: %v", err)
		}
		if err := cfg.CheckListen("0.0.0.0:5433"); (err != nil) != tt.refuse {
			t.Errorf("MD5 hash of %q: CheckListen = %v, want refusal %v", tt.password, err, tt.refuse)
		}
	}
}

func TestCacheSize(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  int64
	}{
		{"512MB", 512 << 20},
		{"2GB", 2 << 30},
		{"64kB", 64 << 10},
		{" 1TB ", 1 << 40},
		{"0", -1}, // no cache
	} {
		cfg, err := ParseConfig("t.yaml", []byte("cache_size: \""+tc.value+"\"\nusers:\n  - {name: a, password: p, role: reader}\n"))
		if err != nil {
			t.Errorf("cache_size %q: %v", tc.value, err)
			continue
		}
		if cfg.CacheBytes != tc.want {
			t.Errorf("cache_size %q = %d bytes, want %d", tc.value, cfg.CacheBytes, tc.want)
		}
	}
	cfg, err := ParseConfig("t.yaml", []byte("users:\n  - {name: a, password: p, role: reader}\n"))
	if err != nil || cfg.CacheBytes != 0 {
		t.Errorf("default cache_size: %d, %v; want 0 (the tables default)", cfg.CacheBytes, err)
	}
}
