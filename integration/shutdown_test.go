package integration

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// runningQuery starts sql on its own connection and returns a channel that
// receives the value of its single int column, or the error.
func runningQuery(t *testing.T, p *pqsqlProcess, sql string) <-chan error {
	t.Helper()
	conn := connect(t, p, analystUser, analystPassword)
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		var n int
		err := conn.QueryRow(ctx, sql).Scan(&n)
		if err == nil && n != 42 {
			err = errors.New("wrong result")
		}
		done <- err
	}()
	// Give the server a moment to read the query, so that the session is
	// running a statement, not idle, when the signal arrives.
	time.Sleep(time.Second)
	return done
}

// waitExit waits for p to exit on its own (a second signal would end it at
// once) and returns its exit status.
func waitExit(t *testing.T, p *pqsqlProcess) int {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(time.Minute):
		t.Fatalf("pqsql did not exit within a minute of SIGTERM; output:\n%s", p.output.String())
	}
	return p.cmd.ProcessState.ExitCode()
}

// TestShutdownLetsStatementsFinish: SIGTERM waits for a running statement,
// which returns its result, and pqsql exits with status 0.
func TestShutdownLetsStatementsFinish(t *testing.T) {
	p, err := startPQSQL(newDataDir(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.kill()
	done := runningQuery(t, p, "SELECT 42 FROM (SELECT pg_sleep(3)) s")
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Errorf("running statement during shutdown: %v", err)
	}
	if code := waitExit(t, p); code != 0 {
		t.Errorf("exit status %d; output:\n%s", code, p.output.String())
	}
	// Nothing listens any more.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if c, err := pgx.Connect(ctx, p.connString(analystUser, analystPassword)); err == nil {
		c.Close(ctx)
		t.Error("connected after shutdown")
	}
}

// TestShutdownTimeout: a statement still running at --shutdown-timeout is
// cancelled, and pqsql still exits with status 0.
func TestShutdownTimeout(t *testing.T) {
	p, err := startPQSQL(newDataDir(t), "--shutdown-timeout", "1s")
	if err != nil {
		t.Fatal(err)
	}
	defer p.kill()
	done := runningQuery(t, p, "SELECT 42 FROM (SELECT pg_sleep(60)) s")
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err == nil {
		t.Error("the statement finished although the shutdown timeout had passed")
	}
	if code := waitExit(t, p); code != 0 {
		t.Errorf("exit status %d; output:\n%s", code, p.output.String())
	}
}
