package main

import (
	"strings"
	"testing"

	"github.com/pqsql/pqsql/server"
)

func TestParseConfigPasswordMethod(t *testing.T) {
	hash := server.MD5Hash("a", "pw")
	cfg, err := ParseConfig("c.yaml", []byte("password_method: md5\nusers:\n  - {name: a, password: \""+hash+"\", role: reader}\n  - {name: b, password: pw, role: reader}\n"))
	if err != nil {
		t.Fatalf("ParseConfig: %v", err)
	}
	if cfg.PasswordMethod != server.PasswordMD5 || cfg.Passwords()["a"] != hash {
		t.Errorf("PasswordMethod %q, passwords %v", cfg.PasswordMethod, cfg.Passwords())
	}
	for doc, want := range map[string]string{
		"password_method: password\nusers:\n  - {name: a, password: pw, role: reader}\n": `c.yaml:1: password_method must be "scram-sha-256" or "md5", not "password"`,
		"users:\n  - {name: a, password: \"" + hash + "\", role: reader}\n":              `c.yaml:2: user "a" has an MD5 password hash, which needs password_method: md5`,
	} {
		_, err := ParseConfig("c.yaml", []byte(doc))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseConfig(%q) = %v, want %s", doc, err, want)
		}
	}
}
