package integration

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestErrors(t *testing.T) {
	p := shared.get(t)
	tests := []struct {
		name     string
		user     string
		password string
		sql      string
		code     string
		message  string // exact, when not empty
		position int32
	}{
		{"unknown table", analystUser, analystPassword, "SELECT * FROM nosuch", "42P01", `relation "nosuch" does not exist`, 15},
		{"unknown column", analystUser, analystPassword, "SELECT nosuch FROM candidates", "42703", `column "nosuch" does not exist`, 8},
		{"syntax error", analystUser, analystPassword, "SELEC 1", "42601", `syntax error at or near "SELEC"`, 1},
		{"syntax error at end", analystUser, analystPassword, "SELECT 1 FROM candidates WHERE", "42601", "syntax error at end of input", 31},
		{"unsupported statement", adminUser, adminPassword, "CREATE TABLE t (a int)", "0A000", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn := connect(t, p, tt.user, tt.password)
			ctx := testCtx(t)
			// The simple and the extended protocol report the same error.
			for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeCacheStatement} {
				_, err := conn.Exec(ctx, tt.sql, mode)
				if err == nil {
					t.Fatalf("%s (mode %v) succeeded, want SQLSTATE %s", tt.sql, mode, tt.code)
				}
				pe := pgError(t, err)
				if pe.Code != tt.code {
					t.Errorf("%s (mode %v): SQLSTATE %s (%s), want %s", tt.sql, mode, pe.Code, pe.Message, tt.code)
				}
				if pe.Severity != "ERROR" {
					t.Errorf("%s: severity %q, want ERROR", tt.sql, pe.Severity)
				}
				if tt.message != "" && pe.Message != tt.message {
					t.Errorf("%s: message %q, want %q", tt.sql, pe.Message, tt.message)
				}
				if tt.position != 0 && pe.Position != tt.position {
					t.Errorf("%s: position %d, want %d", tt.sql, pe.Position, tt.position)
				}
			}
			// The session goes on after an error.
			var one int
			if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
				t.Errorf("SELECT 1 after the error: %d, %v", one, err)
			}
		})
	}
}

func TestWrongPassword(t *testing.T) {
	p := shared.get(t)
	for _, user := range []string{analystUser, "nosuchuser"} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		conn, err := pgx.Connect(ctx, p.connString(user, "wrong-password"))
		cancel()
		if err == nil {
			conn.Close(context.Background())
			t.Fatalf("connect as %s with a wrong password succeeded", user)
		}
		pe := pgError(t, err)
		if pe.Code != "28P01" || pe.Severity != "FATAL" {
			t.Errorf("user %s: %s %s, want FATAL 28P01", user, pe.Severity, pe.Code)
		}
		// The message is the same for unknown users, so it reveals nothing.
		if want := `password authentication failed for user "` + user + `"`; pe.Message != want {
			t.Errorf("message %q, want %q", pe.Message, want)
		}
	}
}

func TestPsqlErrors(t *testing.T) {
	p := shared.get(t)
	_, err := psql(t, p, analystUser, analystPassword, "-c", "SELECT * FROM nosuch")
	if err == nil {
		t.Fatal("psql succeeded on an unknown table")
	}
	msg := err.Error()
	for _, want := range []string{
		`ERROR:  relation "nosuch" does not exist`,
		"LINE 1: SELECT * FROM nosuch",
		"                      ^", // the caret under position 15
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("psql stderr lacks %q:\n%s", want, msg)
		}
	}

	_, err = psql(t, p, analystUser, "wrong-password", "-c", "SELECT 1")
	if err == nil || !strings.Contains(err.Error(), `password authentication failed for user "analyst"`) {
		t.Errorf("psql with a wrong password: %v", err)
	}
}
