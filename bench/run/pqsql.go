package main

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"
)

// pqsqlProcess is a running pqsql serve.
type pqsqlProcess struct {
	cmd    *exec.Cmd
	port   int
	output *syncBuffer
	exited chan struct{}
	// ready is the time from process start to the first successful connection.
	ready time.Duration
}

// startPQSQL starts pqsql serve on dataDir at a free loopback port and waits
// until a connection succeeds.
func startPQSQL(ctx context.Context, bin, dataDir, cfgPath string, log zerolog.Logger) (*pqsqlProcess, error) {
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		p := &pqsqlProcess{port: port, output: &syncBuffer{}, exited: make(chan struct{})}
		p.cmd = exec.Command(bin, "serve", "--data", dataDir, "--config", cfgPath,
			"--listen", "127.0.0.1:"+strconv.Itoa(port), "--log-level", "warn")
		p.cmd.Stdout, p.cmd.Stderr = p.output, p.output
		start := time.Now()
		if err := p.cmd.Start(); err != nil {
			return nil, fmt.Errorf("start pqsql: %w", err)
		}
		go func() {
			p.cmd.Wait()
			close(p.exited)
		}()
		if lastErr = p.waitReady(ctx, start); lastErr == nil {
			log.Info().Int("port", port).Dur("ready", p.ready).Msg("pqsql started")
			return p, nil
		}
		p.stop()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	return nil, lastErr
}

func (p *pqsqlProcess) waitReady(ctx context.Context, start time.Time) error {
	deadline := start.Add(5 * time.Minute)
	for {
		connCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		conn, err := pgx.Connect(connCtx, p.connString(readerUser))
		cancel()
		if err == nil {
			p.ready = time.Since(start)
			conn.Close(ctx)
			return nil
		}
		select {
		case <-p.exited:
			return fmt.Errorf("pqsql exited during start-up:\n%s", p.output.String())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pqsql not ready after 5 minutes (%v):\n%s", err, p.output.String())
		}
	}
}

// connString returns the connection string for user, one of the users of
// benchConfig, whose password is the name followed by "-pw".
func (p *pqsqlProcess) connString(user string) string {
	return fmt.Sprintf("host=127.0.0.1 port=%d user=%s password=%s-pw dbname=pqsql", p.port, user, user)
}

func (p *pqsqlProcess) pid() int { return p.cmd.Process.Pid }

// stop sends SIGTERM, waits up to a minute, then kills the process.
func (p *pqsqlProcess) stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(time.Minute):
		p.cmd.Process.Kill()
		<-p.exited
	}
}
