package main

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseAuditSecret(t *testing.T) {
	raw := []byte("0123456789abcdef0123456789abcdef")
	for _, tt := range []struct {
		name, in string
		want     []byte
		err      string
	}{
		{"hex", hex.EncodeToString(raw), raw, ""},
		{"upper-case hex", strings.ToUpper(hex.EncodeToString(raw)), raw, ""},
		{"base64", base64.StdEncoding.EncodeToString(raw[:17]), raw[:17], ""},
		{"unpadded base64", base64.RawStdEncoding.EncodeToString(raw[:17]), raw[:17], ""},
		{"url-safe base64", base64.URLEncoding.EncodeToString([]byte{0xfb, 0xff, 0xfe, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}),
			[]byte{0xfb, 0xff, 0xfe, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, ""},
		{"surrounding space", " " + hex.EncodeToString(raw) + "\n", raw, ""},
		{"16 bytes of hex", hex.EncodeToString(raw[:16]), raw[:16], ""},
		{"15 bytes of hex", hex.EncodeToString(raw[:15]), nil, "15 bytes long, it must be at least 16"},
		{"short base64", base64.StdEncoding.EncodeToString(raw[:8]), nil, "8 bytes long"},
		{"empty", "", nil, "empty"},
		{"neither", "not a secret!", nil, "neither hex nor base64"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAuditSecret(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParseAuditSecret(%q) = %x, %v; want an error containing %q", tt.in, got, err, tt.err)
				}
				return
			}
			if err != nil || !bytes.Equal(got, tt.want) {
				t.Fatalf("ParseAuditSecret(%q) = %x, %v; want %x", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestConfigAuditSecret(t *testing.T) {
	const users = "users:\n  - {name: a, password: a-private-password, role: admin}\n"
	cfg, err := ParseConfig("pqsql.yaml", []byte(users))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.AuditSecret != nil {
		t.Errorf("AuditSecret = %x without audit_secret, want nil", cfg.AuditSecret)
	}

	secret := strings.Repeat("ab", 32)
	cfg, err = ParseConfig("pqsql.yaml", []byte(users+"audit_secret: "+secret+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(cfg.AuditSecret) != secret {
		t.Errorf("AuditSecret = %x, want %s", cfg.AuditSecret, secret)
	}
	if err := cfg.CheckListen("0.0.0.0:5433"); err != nil {
		t.Errorf("CheckListen with a private secret: %v", err)
	}

	// The environment wins; an empty variable changes nothing.
	if err := cfg.SetAuditSecretFromEnv(""); err != nil || hex.EncodeToString(cfg.AuditSecret) != secret {
		t.Errorf("SetAuditSecretFromEnv(\"\") = %v, secret %x", err, cfg.AuditSecret)
	}
	other := strings.Repeat("cd", 16)
	if err := cfg.SetAuditSecretFromEnv(other); err != nil || hex.EncodeToString(cfg.AuditSecret) != other {
		t.Errorf("SetAuditSecretFromEnv = %v, secret %x, want %s", err, cfg.AuditSecret, other)
	}
	if err := cfg.SetAuditSecretFromEnv("abcd"); err == nil || !strings.Contains(err.Error(), AuditSecretEnv) {
		t.Errorf("SetAuditSecretFromEnv(short) = %v, want an error naming %s", err, AuditSecretEnv)
	}

	// Errors name the line.
	for _, tt := range []struct{ doc, want string }{
		{users + "audit_secret: abcd\n", "pqsql.yaml:3: audit_secret: the secret is 2 bytes long"},
		{users + "audit_secret: \"\"\n", "pqsql.yaml:3: audit_secret: the secret is empty"},
		{users + "audit_secret: [1, 2]\n", "pqsql.yaml:3:"},
	} {
		_, err := ParseConfig("pqsql.yaml", []byte(tt.doc))
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("ParseConfig(%q) = %v, want %q...", tt.doc, err, tt.want)
		}
	}

	// The sample secret is refused on non-loopback addresses, like the
	// sample passwords, however it is given.
	cfg, err = ParseConfig("pqsql.yaml", []byte(users+"audit_secret: "+sampleAuditSecret+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.HasSampleAuditSecret() {
		t.Error("HasSampleAuditSecret = false for the sample secret")
	}
	if err := cfg.CheckListen("127.0.0.1:5433"); err != nil {
		t.Errorf("CheckListen(loopback) with the sample secret: %v", err)
	}
	if err := cfg.CheckListen("0.0.0.0:5433"); err == nil || !strings.Contains(err.Error(), "audit_secret is the sample secret") {
		t.Errorf("CheckListen(0.0.0.0) with the sample secret = %v", err)
	}
	sample, _ := hex.DecodeString(sampleAuditSecret)
	cfg.AuditSecret = nil
	if err := cfg.SetAuditSecretFromEnv(base64.StdEncoding.EncodeToString(sample)); err != nil || !cfg.HasSampleAuditSecret() {
		t.Errorf("sample secret in base64 from the environment: %v, sample %v", err, cfg.HasSampleAuditSecret())
	}
}

// TestShippedAuditSecret checks testdata/pqsql.yaml's development secret:
// set, and refused together with the sample passwords off loopback.
func TestShippedAuditSecret(t *testing.T) {
	cfg, err := LoadConfig(filepath.Join("..", "..", "testdata", "pqsql.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.HasSampleAuditSecret() || len(cfg.AuditSecret) < MinAuditSecretBytes {
		t.Errorf("shipped audit secret %x is not the sample secret", cfg.AuditSecret)
	}
	err = cfg.CheckListen("0.0.0.0:5433")
	if err == nil || !strings.Contains(err.Error(), "admin, analyst, steward") || !strings.Contains(err.Error(), "audit_secret is the sample secret") {
		t.Errorf("CheckListen(0.0.0.0) = %v", err)
	}
}
