package server

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/rs/zerolog"
	"github.com/xdg-go/scram"

	"github.com/pqsql/pqsql/sqlengine"
)

const testPassword = "s3cret"

type testServer struct {
	srv    *Server
	engine *fakeEngine
	addr   string
	served chan error
}

// startServer runs a server with a fake engine on a loopback port, with user
// "alice" (plaintext password) and "bob" (SCRAM verifier), both testPassword.
func startServer(t testing.TB, mutate func(*Config)) *testServer {
	t.Helper()
	verifier, err := SCRAMVerifier(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	eng := newFakeEngine()
	cfg := Config{
		Engine: eng,
		Users:  map[string]string{"alice": testPassword, "bob": verifier},
		Logger: zerolog.Nop(),
	}
	if mutate != nil {
		mutate(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{srv: srv, engine: eng, addr: ln.Addr().String(), served: make(chan error, 1)}
	go func() { ts.served <- srv.Serve(context.Background(), ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		<-ts.served
	})
	return ts
}

func (ts *testServer) connString(user, password string) string {
	host, port, _ := net.SplitHostPort(ts.addr)
	return fmt.Sprintf("postgres://%s:%s@%s:%s/db?sslmode=disable", user, password, host, port)
}

func (ts *testServer) connect(t testing.TB) *pgconn.PgConn {
	t.Helper()
	c, err := pgconn.Connect(context.Background(), ts.connString("alice", testPassword))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func pgCode(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}

func TestSimpleQuery(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.connect(t)
	ctx := context.Background()

	results, err := c.Exec(ctx, "gen 2; ddl; gen 0").ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 3 {
		t.Fatalf("got %d results, want 3", len(results))
	}
	if got := results[0].CommandTag.String(); got != "SELECT 2" {
		t.Errorf("tag = %q", got)
	}
	if got := string(results[0].Rows[1][0]); got != "2" {
		t.Errorf("row 2 = %q, want 2", got)
	}
	if fd := results[0].FieldDescriptions[0]; fd.Name != "n" || fd.DataTypeOID != sqlengine.Int8OID || fd.TableOID != 16384 || fd.TableAttributeNumber != 1 || fd.Format != 0 {
		t.Errorf("field = %+v", fd)
	}
	if results[1].FieldDescriptions != nil || results[1].CommandTag.String() != "CREATE TABLE" {
		t.Errorf("ddl result = %+v", results[1])
	}
	if results[2].CommandTag.String() != "SELECT 0" || len(results[2].Rows) != 0 {
		t.Errorf("gen 0 result = %+v", results[2])
	}

	// An error stops the rest of the message.
	results, err = c.Exec(ctx, "gen 1; fail; gen 3").ReadAll()
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		t.Fatalf("err = %v, want PgError", err)
	}
	if pgErr.Code != "42P01" || pgErr.Message != `relation "nosuch" does not exist` || pgErr.Position != 15 ||
		pgErr.Severity != "ERROR" || pgErr.SeverityUnlocalized != "ERROR" || pgErr.Detail != "a detail" || pgErr.Hint != "a hint" {
		t.Errorf("error = %+v", pgErr)
	}
	if len(results) != 1 || results[0].CommandTag.String() != "SELECT 1" {
		t.Errorf("results before error = %d", len(results))
	}

	// A plain Go error is an internal error.
	_, err = c.Exec(ctx, "oops").ReadAll()
	if pgCode(err) != "XX000" || !strings.Contains(err.Error(), "fake engine bug") {
		t.Errorf("oops: %v", err)
	}
	// Prepare errors carry their position.
	_, err = c.Exec(ctx, "syntax").ReadAll()
	if !errors.As(err, &pgErr) || pgErr.Code != "42601" || pgErr.Position != 1 {
		t.Errorf("syntax: %v", err)
	}
	// The connection still works.
	if _, err := c.Exec(ctx, "gen 1").ReadAll(); err != nil {
		t.Errorf("after errors: %v", err)
	}
}

// rawConn is a client speaking the protocol message by message.
type rawConn struct {
	t  testing.TB
	nc net.Conn
	fe *pgproto3.Frontend
}

func dialRaw(t testing.TB, addr string) *rawConn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	nc.SetDeadline(time.Now().Add(30 * time.Second)) // a safety net against hangs, not an assertion
	t.Cleanup(func() { nc.Close() })
	return &rawConn{t: t, nc: nc, fe: pgproto3.NewFrontend(nc, nc)}
}

func (rc *rawConn) send(msgs ...pgproto3.FrontendMessage) {
	rc.t.Helper()
	for _, m := range msgs {
		rc.fe.Send(m)
	}
	if err := rc.fe.Flush(); err != nil {
		rc.t.Fatalf("send: %v", err)
	}
}

func (rc *rawConn) receive() pgproto3.BackendMessage {
	rc.t.Helper()
	msg, err := rc.fe.Receive()
	if err != nil {
		rc.t.Fatalf("receive: %v", err)
	}
	// Receive reuses its messages: keep a copy.
	enc, err := msg.Encode(nil)
	if err != nil {
		rc.t.Fatal(err)
	}
	cp := reflect.New(reflect.TypeOf(msg).Elem()).Interface().(pgproto3.BackendMessage)
	if err := cp.Decode(enc[5:]); err != nil {
		rc.t.Fatal(err)
	}
	return cp
}

// expect receives len(types) messages and checks their types, returning them.
func (rc *rawConn) expect(types ...string) []pgproto3.BackendMessage {
	rc.t.Helper()
	var out []pgproto3.BackendMessage
	for i, want := range types {
		msg := rc.receive()
		got := fmt.Sprintf("%T", msg)
		got = strings.TrimPrefix(got, "*pgproto3.")
		if got != want {
			rc.t.Fatalf("message %d: got %s %+v, want %s", i, got, msg, want)
		}
		out = append(out, msg)
	}
	return out
}

// login does the startup and SCRAM exchange and reads until ReadyForQuery.
func (rc *rawConn) login(user, password string, extra map[string]string) []pgproto3.BackendMessage {
	rc.t.Helper()
	params := map[string]string{"user": user, "database": "db"}
	for k, v := range extra {
		params[k] = v
	}
	rc.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersionNumber, Parameters: params})
	sasl := rc.expect("AuthenticationSASL")[0].(*pgproto3.AuthenticationSASL)
	if len(sasl.AuthMechanisms) != 1 || sasl.AuthMechanisms[0] != "SCRAM-SHA-256" {
		rc.t.Fatalf("mechanisms = %v", sasl.AuthMechanisms)
	}
	client, err := scram.SHA256.NewClient("", password, "")
	if err != nil {
		rc.t.Fatal(err)
	}
	conv := client.NewConversation()
	first, _ := conv.Step("")
	rc.send(&pgproto3.SASLInitialResponse{AuthMechanism: "SCRAM-SHA-256", Data: []byte(first)})
	cont := rc.expect("AuthenticationSASLContinue")[0].(*pgproto3.AuthenticationSASLContinue)
	final, err := conv.Step(string(cont.Data))
	if err != nil {
		rc.t.Fatal(err)
	}
	rc.send(&pgproto3.SASLResponse{Data: []byte(final)})
	fin := rc.expect("AuthenticationSASLFinal")[0].(*pgproto3.AuthenticationSASLFinal)
	if _, err := conv.Step(string(fin.Data)); err != nil || !conv.Valid() {
		rc.t.Fatalf("server signature invalid: %v", err)
	}
	var out []pgproto3.BackendMessage
	for {
		msg := rc.receive()
		out = append(out, msg)
		if _, ok := msg.(*pgproto3.ReadyForQuery); ok {
			return out
		}
	}
}

func TestStartupSequence(t *testing.T) {
	ts := startServer(t, nil)
	rc := dialRaw(t, ts.addr)
	msgs := rc.login("alice", testPassword, map[string]string{
		"application_name": "app", "client_encoding": "'utf-8'", "extra_float_digits": "3", "DateStyle": "ISO",
	})
	var got []string
	for _, m := range msgs {
		switch m := m.(type) {
		case *pgproto3.ParameterStatus:
			got = append(got, m.Name+"="+m.Value)
		case *pgproto3.BackendKeyData:
			if m.ProcessID == 0 || len(m.SecretKey) != 4 {
				t.Errorf("BackendKeyData = %+v", m)
			}
			got = append(got, "BackendKeyData")
		case *pgproto3.ReadyForQuery:
			got = append(got, "ReadyForQuery "+string(m.TxStatus))
		default:
			got = append(got, fmt.Sprintf("%T", m))
		}
	}
	want := []string{"*pgproto3.AuthenticationOk", "application_name=app", "client_encoding=UTF8", "DateStyle=ISO, MDY",
		"integer_datetimes=on", "server_encoding=UTF8", "server_version=15.18", "standard_conforming_strings=on",
		"TimeZone=UTC", "BackendKeyData", "ReadyForQuery I"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("startup messages:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	rc.send(&pgproto3.Terminate{})
	if _, err := rc.fe.Receive(); err == nil {
		t.Error("connection still open after Terminate")
	}
	// Terminate closes the session (eventually: the server closes it after the socket).
	waitFor(t, func() bool { return ts.engine.closed.Load() == 1 })
}

// waitFor polls cond; it fails only if cond never holds (no timing assertion).
func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	for i := 0; i < 2000; i++ {
		if cond() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("condition never held")
}

func TestAuthentication(t *testing.T) {
	ts := startServer(t, nil)
	ctx := context.Background()
	for _, user := range []string{"alice", "bob"} {
		c, err := pgconn.Connect(ctx, ts.connString(user, testPassword))
		if err != nil {
			t.Fatalf("%s: %v", user, err)
		}
		c.Close(ctx)
	}
	for _, tc := range []struct{ user, password string }{{"alice", "wrong"}, {"bob", "wrong"}, {"mallory", testPassword}} {
		_, err := pgconn.Connect(ctx, ts.connString(tc.user, tc.password))
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "28P01" || pgErr.Severity != "FATAL" ||
			pgErr.Message != fmt.Sprintf("password authentication failed for user %q", tc.user) {
			t.Errorf("%s/%s: err = %v", tc.user, tc.password, err)
		}
	}
	// Missing user name.
	rc := dialRaw(t, ts.addr)
	rc.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersionNumber, Parameters: map[string]string{"database": "x"}})
	if e := rc.expect("ErrorResponse")[0].(*pgproto3.ErrorResponse); e.Code != "28000" || e.Severity != "FATAL" {
		t.Errorf("missing user: %+v", e)
	}
	// A protocol violation during authentication: one FATAL, then the end.
	rc = dialRaw(t, ts.addr)
	rc.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersionNumber, Parameters: map[string]string{"user": "alice"}})
	rc.expect("AuthenticationSASL")
	rc.send(&pgproto3.Query{String: "gen 1"})
	if e := rc.expect("ErrorResponse")[0].(*pgproto3.ErrorResponse); e.Code != "08P01" || e.Severity != "FATAL" {
		t.Errorf("query during auth: %+v", e)
	}
	if msg, err := rc.fe.Receive(); err == nil {
		t.Errorf("got %T after FATAL", msg)
	}
	// The engine refusing the database.
	_, err := pgconn.Connect(ctx, strings.Replace(ts.connString("alice", testPassword), "/db?", "/nosuchdb?", 1))
	if pgCode(err) != "3D000" {
		t.Errorf("nosuchdb: %v", err)
	}
}

func TestSCRAMVerifierFormat(t *testing.T) {
	v, err := SCRAMVerifier("pw")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(v, "SCRAM-SHA-256$4096:") || strings.Count(v, "$") != 2 {
		t.Fatalf("verifier = %q", v)
	}
	// A verifier made by PostgreSQL 15 for password "pw" (SELECT rolpassword).
	const pgVerifier = "SCRAM-SHA-256$4096:prPvCnKUAb8swcJtkVDGWw==$YK5z+GS9VIpH0/Vj4hV+z5CORmIgu1zwowazRHBebV0=:Ewy0vPOoBLpJ8Rr7TgZ/Cpn7YyceD/p/843wvH7Hgkg="
	creds, err := credentialsFor(pgVerifier)
	if err != nil {
		t.Fatal(err)
	}
	got, err := deriveCredentials("pw", []byte(creds.Salt), creds.Iters)
	if err != nil {
		t.Fatal(err)
	}
	if got.verifier() != pgVerifier {
		t.Errorf("derived %q, want %q", got.verifier(), pgVerifier)
	}
	if _, err := credentialsFor("SCRAM-SHA-256$x"); err == nil {
		t.Error("malformed verifier accepted")
	}
}

func selfSignedTLS(t testing.TB) *tls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
}

func TestTLS(t *testing.T) {
	for _, cleartext := range []bool{false, true} {
		t.Run(fmt.Sprintf("cleartext=%v", cleartext), func(t *testing.T) {
			ts := startServer(t, func(c *Config) {
				c.TLSConfig = selfSignedTLS(t)
				c.CleartextOverTLS = cleartext
			})
			ctx := context.Background()
			connStr := strings.Replace(ts.connString("bob", testPassword), "sslmode=disable", "sslmode=require", 1)
			c, err := pgconn.Connect(ctx, connStr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close(ctx)
			if _, ok := c.Conn().(*tls.Conn); !ok {
				t.Errorf("connection is %T, not TLS", c.Conn())
			}
			if _, err := c.Exec(ctx, "gen 1").ReadAll(); err != nil {
				t.Error(err)
			}
			bad := strings.Replace(connStr, testPassword, "nope", 1)
			if _, err := pgconn.Connect(ctx, bad); pgCode(err) != "28P01" {
				t.Errorf("wrong password over TLS: %v", err)
			}
		})
	}
}

func TestSSLAndGSSRequestsWithoutTLS(t *testing.T) {
	ts := startServer(t, nil)
	rc := dialRaw(t, ts.addr)
	for _, req := range [][]byte{
		{0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f}, // SSLRequest
		{0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x30}, // GSSENCRequest
	} {
		if _, err := rc.nc.Write(req); err != nil {
			t.Fatal(err)
		}
		var answer [1]byte
		if _, err := rc.nc.Read(answer[:]); err != nil || answer[0] != 'N' {
			t.Fatalf("answer = %q, %v", answer[0], err)
		}
	}
	// The same socket then starts up normally.
	rc.login("alice", testPassword, nil)
}

func TestExtendedQueryWithPgx(t *testing.T) {
	ts := startServer(t, nil)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, ts.connString("alice", testPassword))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)

	day := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	ts0 := time.Date(2024, 3, 1, 12, 30, 45, 123456000, time.UTC)
	u := [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	var (
		gotInt8  int64
		gotDate  time.Time
		gotText  string
		gotTS    time.Time
		gotNum   pgtype.Numeric
		gotUUID  [16]byte
		gotBytes []byte
		gotF8    float64
		gotBool  bool
	)
	// pgx caches the statement: Parse+Describe, then Bind with binary params and results.
	for i := 0; i < 3; i++ {
		err = conn.QueryRow(ctx, "echo int8 date text timestamp numeric uuid bytea float8 bool",
			int64(-42-i), day, "hé", ts0, "12.50", u, []byte{0, 255}, 2.5, true).
			Scan(&gotInt8, &gotDate, &gotText, &gotTS, &gotNum, &gotUUID, &gotBytes, &gotF8, &gotBool)
		if err != nil {
			t.Fatal(err)
		}
		if gotInt8 != int64(-42-i) || !gotDate.Equal(day) || gotText != "hé" || !gotTS.Equal(ts0) || gotUUID != u ||
			string(gotBytes) != "\x00\xff" || gotF8 != 2.5 || !gotBool {
			t.Errorf("round trip %d: %v %v %q %v %x %x %v %v", i, gotInt8, gotDate, gotText, gotTS, gotUUID, gotBytes, gotF8, gotBool)
		}
		if v, _ := gotNum.Value(); v != "12.50" {
			t.Errorf("numeric = %v", v)
		}
	}
	// The simple protocol, text params interpolated client-side, is not used by the fake; the
	// exec mode with text parameters (node-postgres style) is.
	var s string
	err = conn.QueryRow(ctx, "echo int4", pgx.QueryExecModeExec, int32(7)).Scan(&s)
	if err == nil {
		t.Logf("scan int into string: %q", s)
	}
	var n int32
	if err := conn.QueryRow(ctx, "echo int4", pgx.QueryExecModeExec, int32(7)).Scan(&n); err != nil || n != 7 {
		t.Errorf("exec mode: %v %v", n, err)
	}
}

func TestExtendedProtocolPgconn(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.connect(t)
	ctx := context.Background()

	sd, err := c.Prepare(ctx, "s1", "echo int8 text", []uint32{0, sqlengine.VarcharOID})
	if err != nil {
		t.Fatal(err)
	}
	if len(sd.ParamOIDs) != 2 || sd.ParamOIDs[0] != sqlengine.Int8OID || sd.ParamOIDs[1] != sqlengine.VarcharOID {
		t.Errorf("param OIDs = %v", sd.ParamOIDs)
	}
	if len(sd.Fields) != 2 || sd.Fields[0].Name != "p1" {
		t.Errorf("fields = %+v", sd.Fields)
	}
	// Text params, mixed result formats; reuse the statement.
	for _, v := range []string{"5", " -7 "} {
		res := c.ExecPrepared(ctx, "s1", [][]byte{[]byte(v), []byte("x")}, nil, []int16{1, 0}).Read()
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		want := make([]byte, 8)
		n := int64(5)
		if v != "5" {
			n = -7
		}
		binary.BigEndian.PutUint64(want, uint64(n))
		if string(res.Rows[0][0]) != string(want) || string(res.Rows[0][1]) != "x" {
			t.Errorf("row = %x %q", res.Rows[0][0], res.Rows[0][1])
		}
		if res.FieldDescriptions[0].Format != 1 || res.FieldDescriptions[1].Format != 0 {
			t.Errorf("formats = %+v", res.FieldDescriptions)
		}
	}
	// Binary int2 for an int8 parameter (psycopg 3) is widened.
	res := c.ExecPrepared(ctx, "s1", [][]byte{{0xff, 0xfe}, nil}, []int16{1, 0}, []int16{0}).Read()
	if res.Err != nil || string(res.Rows[0][0]) != "-2" || res.Rows[0][1] != nil {
		t.Errorf("widened: %v %q", res.Err, res.Rows)
	}
	// Bad text input.
	res = c.ExecPrepared(ctx, "s1", [][]byte{[]byte("abc"), nil}, nil, nil).Read()
	if pgErr, ok := res.Err.(*pgconn.PgError); !ok || pgErr.Code != "22P02" || pgErr.Message != `invalid input syntax for type bigint: "abc"` {
		t.Errorf("bad input: %v", res.Err)
	}
	// Wrong number of params.
	res = c.ExecPrepared(ctx, "s1", [][]byte{[]byte("1")}, nil, nil).Read()
	if pgErr, ok := res.Err.(*pgconn.PgError); !ok || pgErr.Code != "08P01" ||
		pgErr.Message != `bind message supplies 1 parameters, but prepared statement "s1" requires 2` {
		t.Errorf("param count: %v", res.Err)
	}
	// Unknown statement.
	res = c.ExecPrepared(ctx, "nope", nil, nil, nil).Read()
	if pgErr, ok := res.Err.(*pgconn.PgError); !ok || pgErr.Code != "26000" || pgErr.Message != `prepared statement "nope" does not exist` {
		t.Errorf("unknown statement: %v", res.Err)
	}
	// Several statements cannot be prepared.
	if _, err := c.Prepare(ctx, "", "gen 1; gen 2", nil); pgCode(err) != "42601" ||
		!strings.Contains(err.Error(), "cannot insert multiple commands into a prepared statement") {
		t.Errorf("multi: %v", err)
	}
	// Statements without rows describe as NoData.
	sd, err = c.Prepare(ctx, "", "ddl", nil)
	if err != nil || len(sd.Fields) != 0 {
		t.Errorf("ddl describe: %v %+v", err, sd)
	}
	res = c.ExecParams(ctx, "ddl", nil, nil, nil, nil).Read()
	if res.Err != nil || res.CommandTag.String() != "CREATE TABLE" {
		t.Errorf("ddl: %v %v", res.Err, res.CommandTag)
	}
	// Named statements survive errors and Sync.
	if err := c.Deallocate(ctx, "s1"); err != nil {
		t.Error(err)
	}
	res = c.ExecPrepared(ctx, "s1", nil, nil, nil).Read()
	if pgCode(res.Err) != "26000" {
		t.Errorf("after close: %v", res.Err)
	}
}

func TestPortalSuspendedAndErrors(t *testing.T) {
	ts := startServer(t, nil)
	rc := dialRaw(t, ts.addr)
	rc.login("alice", testPassword, nil)

	// A named portal inside a transaction, fetched one row at a time (JDBC setFetchSize).
	rc.send(
		&pgproto3.Parse{Query: "begin"}, &pgproto3.Bind{}, &pgproto3.Execute{},
		&pgproto3.Parse{Query: "gen 2"}, &pgproto3.Bind{DestinationPortal: "C_2"},
		&pgproto3.Describe{ObjectType: 'P', Name: "C_2"}, &pgproto3.Execute{Portal: "C_2", MaxRows: 1}, &pgproto3.Sync{})
	msgs := rc.expect("ParseComplete", "BindComplete", "CommandComplete", "ParseComplete", "BindComplete",
		"RowDescription", "DataRow", "PortalSuspended", "ReadyForQuery")
	if rfq := msgs[8].(*pgproto3.ReadyForQuery); rfq.TxStatus != 'T' {
		t.Errorf("tx status = %c", rfq.TxStatus)
	}
	rc.send(&pgproto3.Execute{Portal: "C_2", MaxRows: 1}, &pgproto3.Sync{})
	msgs = rc.expect("DataRow", "PortalSuspended", "ReadyForQuery")
	if v := string(msgs[0].(*pgproto3.DataRow).Values[0]); v != "2" {
		t.Errorf("second row = %q", v)
	}
	rc.send(&pgproto3.Execute{Portal: "C_2", MaxRows: 1}, &pgproto3.Sync{})
	msgs = rc.expect("CommandComplete", "ReadyForQuery")
	if tag := string(msgs[0].(*pgproto3.CommandComplete).CommandTag); tag != "SELECT 0" {
		t.Errorf("final tag = %q", tag)
	}
	rc.send(&pgproto3.Close{ObjectType: 'P', Name: "C_2"}, &pgproto3.Parse{Name: "S_3", Query: "commit"},
		&pgproto3.Bind{PreparedStatement: "S_3"}, &pgproto3.Execute{MaxRows: 1}, &pgproto3.Sync{})
	msgs = rc.expect("CloseComplete", "ParseComplete", "BindComplete", "CommandComplete", "ReadyForQuery")
	if rfq := msgs[4].(*pgproto3.ReadyForQuery); rfq.TxStatus != 'I' {
		t.Errorf("tx status after commit = %c", rfq.TxStatus)
	}

	// Describe S: ParameterDescription then RowDescription or NoData.
	rc.send(&pgproto3.Parse{Name: "d", Query: "echo int4 date"}, &pgproto3.Describe{ObjectType: 'S', Name: "d"},
		&pgproto3.Parse{Name: "n", Query: "ddl"}, &pgproto3.Describe{ObjectType: 'S', Name: "n"}, &pgproto3.Flush{})
	msgs = rc.expect("ParseComplete", "ParameterDescription", "RowDescription", "ParseComplete", "ParameterDescription", "NoData")
	if pd := msgs[1].(*pgproto3.ParameterDescription); fmt.Sprint(pd.ParameterOIDs) != "[23 1082]" {
		t.Errorf("parameter OIDs = %v", pd.ParameterOIDs)
	}
	// Describe P with the portal's formats.
	rc.send(&pgproto3.Bind{PreparedStatement: "d", ParameterFormatCodes: []int16{0},
		Parameters: [][]byte{[]byte("3"), []byte("2024-01-02")}, ResultFormatCodes: []int16{1}},
		&pgproto3.Describe{ObjectType: 'P'}, &pgproto3.Execute{}, &pgproto3.Sync{})
	msgs = rc.expect("BindComplete", "RowDescription", "DataRow", "CommandComplete", "ReadyForQuery")
	rd := msgs[1].(*pgproto3.RowDescription)
	if rd.Fields[0].Format != 1 || rd.Fields[1].Format != 1 {
		t.Errorf("portal formats = %+v", rd.Fields)
	}
	if row := msgs[2].(*pgproto3.DataRow); fmt.Sprintf("%x", row.Values) != "[00000003 0000223f]" {
		t.Errorf("binary row = %x", row.Values)
	}

	// After an error, messages are skipped until Sync.
	rc.send(&pgproto3.Bind{PreparedStatement: "missing"}, &pgproto3.Execute{}, &pgproto3.Parse{Name: "skipped", Query: "gen 1"},
		&pgproto3.Query{String: "gen 1"}, &pgproto3.Sync{}, &pgproto3.Describe{ObjectType: 'S', Name: "skipped"}, &pgproto3.Sync{})
	msgs = rc.expect("ErrorResponse", "ReadyForQuery", "ErrorResponse", "ReadyForQuery")
	if e := msgs[0].(*pgproto3.ErrorResponse); e.Code != "26000" {
		t.Errorf("first error = %+v", e)
	}
	if e := msgs[2].(*pgproto3.ErrorResponse); e.Code != "26000" || e.Message != `prepared statement "skipped" does not exist` {
		t.Errorf("second error = %+v", e)
	}
	// Unknown portal; unnamed portal dropped at Sync outside a transaction.
	rc.send(&pgproto3.Bind{PreparedStatement: "d", Parameters: [][]byte{[]byte("1"), []byte("2024-01-02")}}, &pgproto3.Sync{},
		&pgproto3.Execute{}, &pgproto3.Sync{})
	msgs = rc.expect("BindComplete", "ReadyForQuery", "ErrorResponse", "ReadyForQuery")
	if e := msgs[2].(*pgproto3.ErrorResponse); e.Code != "34000" || e.Message != `portal "" does not exist` {
		t.Errorf("portal error = %+v", e)
	}
	// A finished query portal yields no more rows; a finished command cannot run again.
	rc.send(&pgproto3.Parse{Query: "gen 1"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Execute{},
		&pgproto3.Parse{Query: "ddl"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Execute{}, &pgproto3.Sync{})
	msgs = rc.expect("ParseComplete", "BindComplete", "DataRow", "CommandComplete", "CommandComplete",
		"ParseComplete", "BindComplete", "CommandComplete", "ErrorResponse", "ReadyForQuery")
	if tag := string(msgs[4].(*pgproto3.CommandComplete).CommandTag); tag != "SELECT 0" {
		t.Errorf("second execute tag = %q", tag)
	}
	if e := msgs[8].(*pgproto3.ErrorResponse); e.Code != "55000" || e.Message != `portal "" cannot be run` {
		t.Errorf("second execute of a command: %+v", e)
	}
	// Result and parameter format errors, as PostgreSQL words them.
	rc.send(&pgproto3.Parse{Query: "echo int4"}, &pgproto3.Bind{ParameterFormatCodes: []int16{2}, Parameters: [][]byte{[]byte("1")}}, &pgproto3.Sync{},
		&pgproto3.Bind{ParameterFormatCodes: []int16{0, 0}, Parameters: [][]byte{[]byte("1")}}, &pgproto3.Sync{},
		&pgproto3.Bind{Parameters: [][]byte{[]byte("1")}, ResultFormatCodes: []int16{0, 1}}, &pgproto3.Sync{})
	msgs = rc.expect("ParseComplete", "ErrorResponse", "ReadyForQuery", "ErrorResponse", "ReadyForQuery", "ErrorResponse", "ReadyForQuery")
	for i, want := range map[int]string{
		1: "22023 unsupported format code: 2",
		3: "08P01 bind message has 2 parameter formats but 1 parameters",
		5: "08P01 bind message has 2 result formats but query has 1 columns",
	} {
		if e := msgs[i].(*pgproto3.ErrorResponse); e.Code+" "+e.Message != want {
			t.Errorf("got %s %s, want %s", e.Code, e.Message, want)
		}
	}
	// Empty query through the extended protocol.
	rc.send(&pgproto3.Parse{Query: " ; "}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{})
	rc.expect("ParseComplete", "BindComplete", "EmptyQueryResponse", "ReadyForQuery")
	// Empty simple query.
	rc.send(&pgproto3.Query{String: ";"})
	rc.expect("EmptyQueryResponse", "ReadyForQuery")
}

func TestNoticesAndParameterStatus(t *testing.T) {
	ts := startServer(t, nil)
	rc := dialRaw(t, ts.addr)
	rc.login("alice", testPassword, nil)
	rc.send(&pgproto3.Query{String: "notice; settz Asia/Kolkata; value timestamptz"})
	msgs := rc.expect("NoticeResponse", "CommandComplete", "CommandComplete", "RowDescription", "DataRow",
		"CommandComplete", "ParameterStatus", "ReadyForQuery")
	n := msgs[0].(*pgproto3.NoticeResponse)
	if n.Severity != "NOTICE" || n.SeverityUnlocalized != "NOTICE" || n.Code != "00000" || n.Message != "hello" || n.Detail != "d" || n.Hint != "h" {
		t.Errorf("notice = %+v", n)
	}
	enc, _ := n.Encode(nil)
	if want := "N\x00\x00\x00\x29SNOTICE\x00VNOTICE\x00C00000\x00Mhello\x00Dd\x00Hh\x00\x00"; string(enc) != want {
		t.Errorf("notice bytes = %q, want %q", enc, want)
	}
	if v := string(msgs[4].(*pgproto3.DataRow).Values[0]); v != "2024-01-02 08:34:05.5+05:30" {
		t.Errorf("timestamptz in Asia/Kolkata = %q", v)
	}
	if ps := msgs[6].(*pgproto3.ParameterStatus); ps.Name != "TimeZone" || ps.Value != "Asia/Kolkata" {
		t.Errorf("parameter status = %+v", ps)
	}
}

func TestProtocolViolationsCloseOnlyThatConnection(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.MaxMessageSize = 1024 })
	cases := map[string][]byte{
		"unknown type":   {'!', 0, 0, 0, 4},
		"oversized":      {'Q', 0, 0, 0x10, 0},
		"bad length":     {'Q', 0, 0, 0, 2},
		"malformed bind": {'B', 0, 0, 0, 6, 'x', 'y'},
		"password":       {'p', 0, 0, 0, 5, 0},
	}
	for name, raw := range cases {
		t.Run(name, func(t *testing.T) {
			rc := dialRaw(t, ts.addr)
			rc.login("alice", testPassword, nil)
			if _, err := rc.nc.Write(raw); err != nil {
				t.Fatal(err)
			}
			e := rc.expect("ErrorResponse")[0].(*pgproto3.ErrorResponse)
			if e.Severity != "FATAL" || e.Code != "08P01" {
				t.Errorf("error = %+v", e)
			}
			if _, err := rc.fe.Receive(); err == nil {
				t.Error("connection not closed")
			}
			ts.connect(t) // others are still served
		})
	}
}

func TestCancelRequest(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.connect(t)
	ctx := context.Background()
	done := make(chan error, 1)
	go func() {
		_, err := c.Exec(ctx, "sleep").ReadAll()
		done <- err
	}()
	<-ts.engine.started
	// A cancel with the wrong key is ignored: the statement keeps running.
	wrong := dialRaw(t, ts.addr)
	wrong.send(&pgproto3.CancelRequest{ProcessID: c.PID(), SecretKey: []byte{0, 0, 0, 0}})
	if _, err := wrong.fe.Receive(); err == nil {
		t.Error("cancel connection not closed")
	}
	select {
	case err := <-done:
		t.Fatalf("statement ended by a wrong cancel key: %v", err)
	default:
	}
	if err := c.CancelRequest(ctx); err != nil {
		t.Fatal(err)
	}
	err := <-done
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "57014" || pgErr.Message != "canceling statement due to user request" {
		t.Errorf("err = %v", err)
	}
	if _, err := c.Exec(ctx, "gen 1").ReadAll(); err != nil {
		t.Errorf("after cancel: %v", err)
	}

	// The same through the extended protocol, where the statement runs in
	// its portal's context (pgjdbc's setQueryTimeout).
	go func() {
		done <- c.ExecParams(ctx, "sleep", nil, nil, nil, nil).Read().Err
	}()
	<-ts.engine.started
	if err := c.CancelRequest(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; pgCode(err) != "57014" {
		t.Errorf("extended: err = %v", err)
	}
}

func TestClientDisconnectCancelsStatement(t *testing.T) {
	ts := startServer(t, nil)
	rc := dialRaw(t, ts.addr)
	rc.login("alice", testPassword, nil)
	rc.send(&pgproto3.Query{String: "sleep"})
	<-ts.engine.started
	rc.nc.Close()
	// The sleeping statement only returns when its context is cancelled.
	waitFor(t, func() bool { return ts.engine.closed.Load() == 1 })
}

// TestWatchClockStopsWhenIdle checks that the clock that starts socket
// watches ticks only while the server has connections, and that a
// statement watched over the extended protocol still learns that its
// client went away.
func TestWatchClockStopsWhenIdle(t *testing.T) {
	ts := startServer(t, nil)
	clockRunning := func() bool {
		c := &ts.srv.watchClock
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.stop != nil
	}
	if clockRunning() {
		t.Fatal("watch clock runs before any connection")
	}
	rc := dialRaw(t, ts.addr)
	rc.login("alice", testPassword, nil)
	if !clockRunning() {
		t.Fatal("watch clock idle with a connection open")
	}
	rc.send(&pgproto3.Parse{Query: "sleep"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{})
	<-ts.engine.started
	rc.nc.Close()
	waitFor(t, func() bool { return ts.engine.closed.Load() == 1 })
	waitFor(t, func() bool { return !clockRunning() })
}

func TestConnectionLimit(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.MaxConnections = 1 })
	c := ts.connect(t)
	_, err := pgconn.Connect(context.Background(), ts.connString("alice", testPassword))
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "53300" || pgErr.Message != "sorry, too many clients already" || pgErr.Severity != "FATAL" {
		t.Fatalf("err = %v", err)
	}
	c.Close(context.Background())
	waitFor(t, func() bool { return ts.srv.active.Load() == 0 })
	ts.connect(t)
}

func TestPanicClosesOnlyThatConnection(t *testing.T) {
	ts := startServer(t, nil)
	rc := dialRaw(t, ts.addr)
	rc.login("alice", testPassword, nil)
	rc.send(&pgproto3.Query{String: "panic"})
	e := rc.expect("ErrorResponse")[0].(*pgproto3.ErrorResponse)
	if e.Code != "XX000" || e.Severity != "FATAL" {
		t.Errorf("error = %+v", e)
	}
	if _, err := rc.fe.Receive(); err == nil {
		t.Error("connection not closed")
	}
	c := ts.connect(t)
	if _, err := c.Exec(context.Background(), "gen 1").ReadAll(); err != nil {
		t.Error(err)
	}
}

func TestShutdown(t *testing.T) {
	ts := startServer(t, nil)
	idle := dialRaw(t, ts.addr)
	idle.login("alice", testPassword, nil)
	busy := dialRaw(t, ts.addr)
	busy.login("alice", testPassword, nil)
	busy.send(&pgproto3.Query{String: "block"})
	<-ts.engine.started

	shutdownDone := make(chan error, 1)
	go func() { shutdownDone <- ts.srv.Shutdown(context.Background()) }()

	// The idle session is terminated.
	e := idle.expect("ErrorResponse")[0].(*pgproto3.ErrorResponse)
	if e.Code != "57P01" || e.Severity != "FATAL" || e.Message != "terminating connection due to administrator command" {
		t.Errorf("idle: %+v", e)
	}
	// The running statement finishes, then its session is terminated.
	select {
	case err := <-shutdownDone:
		t.Fatalf("Shutdown returned while a statement runs: %v", err)
	default:
	}
	close(ts.engine.release)
	busy.expect("RowDescription", "DataRow", "CommandComplete", "ReadyForQuery")
	if e := busy.expect("ErrorResponse")[0].(*pgproto3.ErrorResponse); e.Code != "57P01" {
		t.Errorf("busy: %+v", e)
	}
	if err := <-shutdownDone; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if err := <-ts.served; !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve: %v", err)
	}
	ts.served <- ErrServerClosed // for the cleanup
	if _, err := net.Dial("tcp", ts.addr); err == nil {
		t.Error("still accepting connections")
	}
}

func TestShutdownCancelsStatementsWhenContextEnds(t *testing.T) {
	ts := startServer(t, nil)
	busy := dialRaw(t, ts.addr)
	busy.login("alice", testPassword, nil)
	busy.send(&pgproto3.Query{String: "sleep"})
	<-ts.engine.started
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := ts.srv.Shutdown(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Shutdown = %v", err)
	}
	e := busy.expect("ErrorResponse")[0].(*pgproto3.ErrorResponse)
	if e.Code != "57P01" || e.Severity != "FATAL" {
		t.Errorf("busy: %+v", e)
	}
}

func TestCleartextNeverOfferedWithoutTLS(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.CleartextOverTLS = true })
	rc := dialRaw(t, ts.addr)
	rc.login("alice", testPassword, nil) // fails unless SCRAM is offered
}

func TestTLSAdvertisesOnlySCRAMSHA256(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.TLSConfig = selfSignedTLS(t) })
	rc := dialRaw(t, ts.addr)
	if _, err := rc.nc.Write([]byte{0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f}); err != nil {
		t.Fatal(err)
	}
	var answer [1]byte
	if _, err := rc.nc.Read(answer[:]); err != nil || answer[0] != 'S' {
		t.Fatalf("answer = %q, %v", answer[0], err)
	}
	tc := tls.Client(rc.nc, &tls.Config{InsecureSkipVerify: true})
	rc.nc, rc.fe = tc, pgproto3.NewFrontend(tc, tc)
	rc.login("bob", testPassword, nil) // checks the mechanism list is exactly SCRAM-SHA-256
}

func TestNegotiateProtocolVersion(t *testing.T) {
	ts := startServer(t, nil)
	rc := dialRaw(t, ts.addr)
	rc.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersionNumber,
		Parameters: map[string]string{"user": "alice", "_pq_.something": "x"}})
	npv := rc.expect("NegotiateProtocolVersion")[0].(*pgproto3.NegotiateProtocolVersion)
	if npv.NewestMinorProtocol != 0 || fmt.Sprint(npv.UnrecognizedOptions) != "[_pq_.something]" {
		t.Errorf("NegotiateProtocolVersion = %+v", npv)
	}
	rc.expect("AuthenticationSASL")
}

func TestServeContextEndsConnections(t *testing.T) {
	eng := newFakeEngine()
	srv, err := New(Config{Engine: eng, Users: map[string]string{"alice": testPassword}, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	rc := dialRaw(t, ln.Addr().String())
	rc.login("alice", testPassword, nil)
	rc.send(&pgproto3.Query{String: "sleep"})
	<-eng.started
	cancel()
	if err := <-served; !errors.Is(err, context.Canceled) {
		t.Errorf("Serve = %v", err)
	}
	// The running statement is cancelled and the connection closed.
	waitFor(t, func() bool { return eng.closed.Load() == 1 })
	if err := srv.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown = %v", err)
	}
}

// TestMessagesSentDuringLongStatement checks that what a client sends
// while a statement runs long (which the watcher reads ahead to learn
// whether the client went away) is served in order afterwards.
func TestMessagesSentDuringLongStatement(t *testing.T) {
	ts := startServer(t, nil)
	rc := dialRaw(t, ts.addr)
	rc.login("alice", testPassword, nil)
	rc.send(&pgproto3.Query{String: "block"})
	<-ts.engine.started
	// Past watchDelay the watcher reads; the next query arrives meanwhile.
	time.Sleep(3 * watchDelay)
	rc.send(&pgproto3.Query{String: "gen 2"}, &pgproto3.Query{String: "gen 1"})
	time.Sleep(3 * watchDelay)
	close(ts.engine.release)
	rc.expect("RowDescription", "DataRow", "CommandComplete", "ReadyForQuery")
	rc.expect("RowDescription", "DataRow", "DataRow", "CommandComplete", "ReadyForQuery")
	rc.expect("RowDescription", "DataRow", "CommandComplete", "ReadyForQuery")
}
