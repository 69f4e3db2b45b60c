package integration

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// writeSelfSignedCert writes a certificate for 127.0.0.1 and its key as PEM
// files in dir.
func writeSelfSignedCert(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "pqsql integration test"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func TestTLS(t *testing.T) {
	certFile, keyFile := writeSelfSignedCert(t, t.TempDir())
	p := startServer(t, "--tls-cert", certFile, "--tls-key", keyFile)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, p.connString(analystUser, analystPassword)+" sslmode=require")
	if err != nil {
		t.Fatalf("connect with sslmode=require: %v", err)
	}
	defer conn.Close(context.Background())
	if _, ok := conn.PgConn().Conn().(*tls.Conn); !ok {
		t.Errorf("connection is %T, not TLS", conn.PgConn().Conn())
	}
	var n int64
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM alltypes").Scan(&n); err != nil || n != 20 {
		t.Errorf("count over TLS: %d, %v", n, err)
	}
}

// writeCA writes, as PEM files in dir, a certificate authority and a server
// certificate it signed for localhost and 127.0.0.1 with the server's key,
// as a deployment with sslmode=verify-full clients has them.
func writeCA(t *testing.T, dir string) (caFile, certFile, keyFile string) {
	t.Helper()
	writePEM := func(name, typ string, der []byte) string {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "pqsql integration test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return writePEM("ca.pem", "CERTIFICATE", caDER), writePEM("server.pem", "CERTIFICATE", der),
		writePEM("server.key", "EC PRIVATE KEY", keyDER)
}

// TestTLSJDBC connects pgjdbc with sslmode=verify-full, its default
// SSLSocketFactory and the CA given as sslrootcert, by host name and by
// address; a CA that did not sign the server's certificate must make the
// handshake fail.
func TestTLSJDBC(t *testing.T) {
	if testing.Short() {
		t.Skip("starting the JVM takes seconds; skipped with -short")
	}
	if _, err := exec.LookPath("java"); err != nil {
		t.Skip("java is not installed (make test-deps installs default-jdk-headless)")
	}
	if _, err := os.Stat(pgJDBCJar); err != nil {
		t.Skip("pgjdbc is not installed (make test-deps installs libpostgresql-jdbc-java)")
	}
	dir := t.TempDir()
	caFile, certFile, keyFile := writeCA(t, dir)
	otherDir := filepath.Join(dir, "other")
	if err := os.Mkdir(otherDir, 0o700); err != nil {
		t.Fatal(err)
	}
	otherCA, _, _ := writeCA(t, otherDir)
	p := startServer(t, "--tls-cert", certFile, "--tls-key", keyFile)
	program := filepath.Join(repoRoot, "integration", "clients", "jdbctls", "TLSCheck.java")
	for _, c := range []struct{ host, rootCert, mode string }{
		{"localhost", caFile, "connect"},
		{"127.0.0.1", caFile, "connect"},
		{"localhost", otherCA, "reject"},
	} {
		url := fmt.Sprintf("jdbc:postgresql://%s:%d/pqsql?sslmode=verify-full&sslrootcert=%s", c.host, p.port, c.rootCert)
		ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
		cmd := exec.CommandContext(ctx, "java", "-cp", pgJDBCJar, program, url, c.mode)
		cmd.Dir = dir // no ~/.postgresql client certificate is looked up by accident
		cmd.Env = append(cleanPGEnv(), "PGUSER="+analystUser, "PGPASSWORD="+analystPassword, "HOME="+dir)
		cmd.WaitDelay = 5 * time.Second
		out, err := cmd.CombinedOutput()
		cancel()
		if err != nil || strings.TrimSpace(string(out)) != "ok" {
			t.Errorf("pgjdbc %s with sslrootcert %s (%s): %v\n%s", c.host, filepath.Base(filepath.Dir(c.rootCert)), c.mode, err, out)
		}
	}
}
