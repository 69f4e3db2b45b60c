package integration

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
)

func TestStatementTimeout(t *testing.T) {
	p := shared.get(t)
	ctx := testCtx(t)
	conn := connect(t, p, analystUser, analystPassword)
	for _, setting := range []string{"100", "'100ms'", "'0.1s'"} {
		if _, err := conn.Exec(ctx, "SET statement_timeout = "+setting); err != nil {
			t.Fatalf("SET statement_timeout = %s: %v", setting, err)
		}
		_, err := conn.Exec(ctx, "SELECT pg_sleep(30)")
		if pe := pgError(t, err); pe.Code != "57014" || pe.Message != "canceling statement due to statement timeout" {
			t.Errorf("statement_timeout = %s: %s %q", setting, pe.Code, pe.Message)
		}
	}
	// The timeout applies to COPY and to each FETCH too.
	_, err := conn.PgConn().Exec(ctx, "COPY (SELECT pg_sleep(30)) TO STDOUT").ReadAll()
	if pe := pgError(t, err); pe.Code != "57014" {
		t.Errorf("COPY: %v", err)
	}
	if _, err := conn.Exec(ctx, "SET statement_timeout = '1s'"); err != nil {
		t.Fatal(err)
	}
	var v string
	if err := conn.QueryRow(ctx, "SHOW statement_timeout").Scan(&v); err != nil || v != "1s" {
		t.Errorf("SHOW statement_timeout = %q, %v", v, err)
	}
	// A cursor's query outlives DECLARE's timeout; the FETCH has its own.
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "DECLARE c CURSOR FOR SELECT candidate_id, pg_sleep(0.3) FROM (SELECT candidate_id FROM candidates ORDER BY candidate_id LIMIT 20) s"); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "FETCH 1 FROM c"); err != nil {
		t.Errorf("FETCH 1 within the timeout: %v", err)
	}
	_, err = tx.Exec(ctx, "FETCH ALL FROM c")
	if pe := pgError(t, err); pe.Code != "57014" || pe.Message != "canceling statement due to statement timeout" {
		t.Errorf("FETCH ALL beyond the timeout: %s %q", pe.Code, pe.Message)
	}
	tx.Rollback(ctx)
	// 0 disables the timeout.
	if _, err := conn.Exec(ctx, "SET statement_timeout = 0"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "SELECT pg_sleep(0.2)"); err != nil {
		t.Errorf("statement_timeout = 0: %v", err)
	}
}

// TestJDBCCancelFlow replays wire-jdbc-cancel.log: a query sent with
// Parse/Bind/Describe/Execute/Sync is cancelled by a CancelRequest on a new
// connection.
func TestJDBCCancelFlow(t *testing.T) {
	p := shared.get(t)
	conn := connect(t, p, analystUser, analystPassword)
	hc := hijack(t, conn)
	fe := hc.Frontend
	fe.Send(&pgproto3.Parse{Query: "SELECT pg_sleep(30)"})
	fe.Send(&pgproto3.Bind{})
	fe.Send(&pgproto3.Describe{ObjectType: 'P'})
	fe.Send(&pgproto3.Execute{})
	fe.Send(&pgproto3.Sync{})
	if err := fe.Flush(); err != nil {
		t.Fatal(err)
	}
	// Cancel as JDBC's setQueryTimeout does, from another connection. A
	// CancelRequest arriving before the query starts is ignored, so repeat
	// it until the answer comes.
	done := make(chan struct{})
	cancelled := make(chan struct{})
	go func() {
		defer close(cancelled)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				cancelRequest(p, hc.PID, hc.SecretKey)
			}
		}
	}()
	defer func() { close(done); <-cancelled }()
	got := receiveUntilReady(t, fe)
	want := "[ParseComplete BindComplete RowDescription ErrorResponse 57014 canceling statement due to user request ReadyForQuery I]"
	if fmt.Sprint(got) != want {
		t.Errorf("messages %v\nwant %s", got, want)
	}
}

// cancelRequest sends a CancelRequest on a new connection, as clients do.
// Failures show as the statement not being cancelled.
func cancelRequest(p *pqsqlProcess, pid uint32, key []byte) {
	nc, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p.port)))
	if err != nil {
		return
	}
	defer nc.Close()
	fe := pgproto3.NewFrontend(nc, nc)
	fe.Send(&pgproto3.CancelRequest{ProcessID: pid, SecretKey: key})
	if err := fe.Flush(); err != nil {
		return
	}
	// The server closes the connection without answering.
	nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	var b [1]byte
	nc.Read(b[:])
}

// TestStatementTimeoutPerExecute reads a portal in pages, as JDBC's
// setFetchSize does: in PostgreSQL statement_timeout limits each Execute
// message, so pages that each take less than the timeout all arrive even
// though the whole read, with the client's pauses between pages, takes
// longer; a page that takes longer is canceled.
func TestStatementTimeoutPerExecute(t *testing.T) {
	p := shared.get(t)
	ctx := testCtx(t)
	conn := connect(t, p, analystUser, analystPassword)
	for _, q := range []string{"SET statement_timeout = '1s'", "BEGIN"} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	hc := hijack(t, conn)
	fe := hc.Frontend
	// Each row takes 0.3s: a page of 2 rows fits in the timeout, the
	// 8 rows do not.
	const query = "SELECT n, pg_sleep(0.3) FROM generate_series(1, 8) AS g(n)"
	// exchange sends msgs and a Sync, and returns the names of the answers.
	exchange := func(msgs ...pgproto3.FrontendMessage) []string {
		t.Helper()
		for _, m := range msgs {
			fe.Send(m)
		}
		fe.Send(&pgproto3.Sync{})
		if err := fe.Flush(); err != nil {
			t.Fatal(err)
		}
		return receiveUntilReady(t, fe)
	}
	if got, want := fmt.Sprint(exchange(&pgproto3.Parse{Query: query}, &pgproto3.Bind{})), "[ParseComplete BindComplete ReadyForQuery T]"; got != want {
		t.Fatalf("Parse/Bind: %s, want %s", got, want)
	}
	for page := range 3 {
		got := fmt.Sprint(exchange(&pgproto3.Execute{MaxRows: 2}))
		if want := "[DataRow DataRow PortalSuspended ReadyForQuery T]"; got != want {
			t.Fatalf("page %d: %s, want %s", page+1, got, want)
		}
		time.Sleep(500 * time.Millisecond) // the client's own time does not count
	}
	// The last page, 2 rows and the end, also fits; a whole read would not.
	if got, want := fmt.Sprint(exchange(&pgproto3.Execute{})), "[DataRow DataRow CommandComplete ReadyForQuery T]"; got != want {
		t.Errorf("last page: %s, want %s", got, want)
	}
	got := exchange(&pgproto3.Parse{Query: query}, &pgproto3.Bind{}, &pgproto3.Execute{MaxRows: 5})
	if want := "ErrorResponse 57014 canceling statement due to statement timeout"; !slices.Contains(got, want) {
		t.Errorf("a page of 5 rows: %v, want %s", got, want)
	}
}

// receiveUntilReady reads messages up to ReadyForQuery and returns their
// names, errors with their code and message, ReadyForQuery with its status.
func receiveUntilReady(t *testing.T, fe *pgproto3.Frontend) []string {
	t.Helper()
	var got []string
	for {
		msg, err := fe.Receive()
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimPrefix(fmt.Sprintf("%T", msg), "*pgproto3.")
		switch m := msg.(type) {
		case *pgproto3.ErrorResponse:
			name += " " + m.Code + " " + m.Message
		case *pgproto3.ReadyForQuery:
			name += " " + string(m.TxStatus)
			return append(got, name)
		}
		got = append(got, name)
	}
}
