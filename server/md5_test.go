package server

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/rs/zerolog"
)

// withMD5 configures md5 authentication; carol has an MD5 hash.
func withMD5(c *Config) {
	c.PasswordMethod = PasswordMD5
	c.Users["carol"] = MD5Hash("carol", testPassword)
}

func TestMD5Hash(t *testing.T) {
	// PostgreSQL: SELECT 'md5' || md5('s3cret' || 'carol')
	sum := md5.Sum([]byte("s3cretcarol"))
	if got, want := MD5Hash("carol", "s3cret"), "md5"+hex.EncodeToString(sum[:]); got != want {
		t.Errorf("MD5Hash = %q, want %q", got, want)
	}
	if !isMD5Hash(MD5Hash("x", "y")) || isMD5Hash("md5xyz") || isMD5Hash("plain-password-of-35-characters-xxx") {
		t.Error("isMD5Hash misclassifies")
	}
}

func TestMD5Authentication(t *testing.T) {
	ts := startServer(t, withMD5)
	ctx := context.Background()
	// alice: plaintext, carol: MD5 hash, bob: SCRAM verifier (still SCRAM,
	// as in PostgreSQL).
	for _, user := range []string{"alice", "carol", "bob"} {
		c, err := pgconn.Connect(ctx, ts.connString(user, testPassword))
		if err != nil {
			t.Fatalf("%s: %v", user, err)
		}
		if _, err := c.Exec(ctx, "gen 1").ReadAll(); err != nil {
			t.Errorf("%s: %v", user, err)
		}
		c.Close(ctx)
	}
	for _, user := range []string{"alice", "carol", "nobody"} {
		_, err := pgconn.Connect(ctx, ts.connString(user, "wrong"))
		if pgCode(err) != "28P01" || !strings.Contains(err.Error(), `password authentication failed for user "`+user+`"`) {
			t.Errorf("%s with a wrong password: %v", user, err)
		}
	}

	// The exchange on the wire.
	for _, tt := range []struct {
		user, password string
		ok             bool
	}{{"alice", testPassword, true}, {"carol", testPassword, true}, {"alice", "wrong", false}, {"nobody", testPassword, false}} {
		rc := dialRaw(t, ts.addr)
		rc.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersionNumber,
			Parameters: map[string]string{"user": tt.user, "database": "db"}})
		req := rc.expect("AuthenticationMD5Password")[0].(*pgproto3.AuthenticationMD5Password)
		inner := MD5Hash(tt.user, tt.password)[3:]
		sum := md5.Sum(append([]byte(inner), req.Salt[:]...))
		rc.send(&pgproto3.PasswordMessage{Password: "md5" + hex.EncodeToString(sum[:])})
		if tt.ok {
			rc.expect("AuthenticationOk")
			continue
		}
		e := rc.expect("ErrorResponse")[0].(*pgproto3.ErrorResponse)
		if e.Code != "28P01" || e.Severity != "FATAL" {
			t.Errorf("%s/%s: %+v", tt.user, tt.password, e)
		}
	}
}

func TestMD5WithCleartextOverTLS(t *testing.T) {
	ts := startServer(t, func(c *Config) {
		withMD5(c)
		c.TLSConfig = selfSignedTLS(t)
		c.CleartextOverTLS = true
	})
	ctx := context.Background()
	connStr := strings.Replace(ts.connString("carol", testPassword), "sslmode=disable", "sslmode=require", 1)
	c, err := pgconn.Connect(ctx, connStr)
	if err != nil {
		t.Fatal(err)
	}
	c.Close(ctx)
	if _, err := pgconn.Connect(ctx, strings.Replace(connStr, testPassword, "nope", 1)); pgCode(err) != "28P01" {
		t.Errorf("wrong password: %v", err)
	}
}

func TestPasswordMethodConfig(t *testing.T) {
	eng := newFakeEngine()
	hash := MD5Hash("carol", testPassword)
	for _, cfg := range []Config{
		{Engine: eng, Users: map[string]string{"carol": hash}},
		{Engine: eng, Users: map[string]string{"carol": hash}, PasswordMethod: PasswordSCRAM},
		{Engine: eng, Users: map[string]string{"carol": "pw"}, PasswordMethod: "password"},
	} {
		cfg.Logger = zerolog.Nop()
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) succeeded", cfg.Users)
		}
	}
}
