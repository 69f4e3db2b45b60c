package integration

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Users and passwords of testdata/pqsql.yaml.
const (
	analystUser     = "analyst"
	analystPassword = "analyst-dev-pw"
	adminUser       = "admin"
	adminPassword   = "admin-dev-pw"
)

// Paths set once by TestMain.
var (
	// pqsqlBin is the pqsql binary built for this run.
	pqsqlBin string
	// repoRoot is the module's root directory.
	repoRoot string
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		fmt.Fprintf(os.Stderr, "integration: go env GOMOD: %v\n", err)
		return 1
	}
	repoRoot = filepath.Dir(strings.TrimSpace(string(gomod)))
	for _, name := range []string{"candidates.parquet", "alltypes.parquet", "pqsql.yaml"} {
		if _, err := os.Stat(filepath.Join(repoRoot, "testdata", name)); err != nil {
			fmt.Fprintf(os.Stderr, "integration: testdata/%s is missing (make testdata generates the Parquet files): %v\n", name, err)
			return 1
		}
	}
	tmp, err := os.MkdirTemp("", "pqsql-integration-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "integration: %v\n", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	pqsqlBin = filepath.Join(tmp, "pqsql")
	build := exec.Command("go", "build", "-tags", "gms_pure_go", "-o", pqsqlBin, "./cmd/pqsql")
	build.Dir = repoRoot
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "integration: build pqsql: %v\n", err)
		return 1
	}
	code := m.Run()
	shared.stop()
	return code
}

// syncBuffer is a bytes.Buffer safe for the process's output goroutines and
// the test reading it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// pqsqlProcess is a running pqsql serve.
type pqsqlProcess struct {
	dataDir string
	port    int
	cmd     *exec.Cmd
	output  *syncBuffer
	// exited is closed when the process has exited; err is Wait's result then.
	exited chan struct{}
	err    error
}

// newDataDir returns a fresh temporary data directory holding copies of the
// Parquet files of testdata/ and its pqsql.yaml.
func newDataDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(repoRoot, "testdata")
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Type().IsRegular() && (strings.HasSuffix(e.Name(), ".parquet") || e.Name() == "pqsql.yaml") {
			copyFile(t, filepath.Join(src, e.Name()), filepath.Join(dir, e.Name()))
		}
	}
	return dir
}

func copyFile(t testing.TB, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// readyTimeout bounds how long pqsql may take to start answering.
const readyTimeout = 90 * time.Second

// startPQSQL starts pqsql serve on dataDir at a free loopback port and waits
// until it accepts a connection. It retries with another port when the port
// was taken in between.
func startPQSQL(dataDir string, extraArgs ...string) (*pqsqlProcess, error) {
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		p := &pqsqlProcess{dataDir: dataDir, port: port, output: &syncBuffer{}, exited: make(chan struct{})}
		args := append([]string{"serve", "--data", dataDir, "--listen", "127.0.0.1:" + strconv.Itoa(port)}, extraArgs...)
		p.cmd = exec.Command(pqsqlBin, args...)
		p.cmd.Env = cleanEnv()
		p.cmd.Stdout, p.cmd.Stderr = p.output, p.output
		if err := p.cmd.Start(); err != nil {
			return nil, err
		}
		go func() {
			p.err = p.cmd.Wait()
			close(p.exited)
		}()
		err = p.waitReady(readyTimeout)
		if err == nil {
			return p, nil
		}
		p.kill()
		lastErr = err
		if !strings.Contains(p.output.String(), "address already in use") {
			break
		}
	}
	return nil, lastErr
}

// cleanEnv is the test's environment without PQSQL_* variables, so that only
// the flags the test passes apply.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PQSQL_") {
			env = append(env, kv)
		}
	}
	return env
}

// waitReady connects until a connection succeeds, the process exits or the
// timeout passes.
func (p *pqsqlProcess) waitReady(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		connCtx, connCancel := context.WithTimeout(ctx, 5*time.Second)
		conn, err := pgx.Connect(connCtx, p.connString(analystUser, analystPassword))
		connCancel()
		if err == nil {
			conn.Close(ctx)
			return nil
		}
		select {
		case <-p.exited:
			return fmt.Errorf("pqsql exited before accepting connections (%v); output:\n%s", p.err, p.output.String())
		case <-ctx.Done():
			return fmt.Errorf("pqsql not ready after %v (last error: %v); output:\n%s", timeout, err, p.output.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// connString returns a libpq connection string for user.
func (p *pqsqlProcess) connString(user, password string) string {
	return fmt.Sprintf("host=127.0.0.1 port=%d user=%s password=%s dbname=pqsql connect_timeout=10",
		p.port, quoteConnValue(user), quoteConnValue(password))
}

// quoteConnValue quotes a value for a libpq keyword/value connection string.
func quoteConnValue(v string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}

// stop sends SIGTERM and waits for the exit; it kills the process after a minute.
// It returns the process's exit code.
func (p *pqsqlProcess) stop() (int, error) {
	select {
	case <-p.exited:
	default:
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
			return -1, err
		}
		select {
		case <-p.exited:
		case <-time.After(time.Minute):
			p.kill()
			return -1, fmt.Errorf("pqsql did not exit within a minute of SIGTERM; output:\n%s", p.output.String())
		}
	}
	return p.cmd.ProcessState.ExitCode(), nil
}

func (p *pqsqlProcess) kill() {
	select {
	case <-p.exited:
	default:
		p.cmd.Process.Kill()
		<-p.exited
	}
}

// startServer starts pqsql on a fresh copy of testdata and stops it when the
// test ends.
func startServer(t testing.TB, extraArgs ...string) *pqsqlProcess {
	t.Helper()
	return startServerIn(t, newDataDir(t), extraArgs...)
}

// startServerIn starts pqsql on dataDir and stops it when the test ends.
func startServerIn(t testing.TB, dataDir string, extraArgs ...string) *pqsqlProcess {
	t.Helper()
	p, err := startPQSQL(dataDir, extraArgs...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if code, err := p.stop(); err != nil {
			t.Errorf("stop pqsql: %v", err)
		} else if code != 0 {
			t.Errorf("pqsql exited with status %d after SIGTERM; output:\n%s", code, p.output.String())
		}
	})
	return p
}

// sharedServer is one pqsql process for the read-only tests, started by the
// first test that needs it and stopped by TestMain.
type sharedServer struct {
	once sync.Once
	dir  string
	proc *pqsqlProcess
	err  error
}

var shared sharedServer

// get returns the shared server, starting it on first use.
func (s *sharedServer) get(t testing.TB) *pqsqlProcess {
	t.Helper()
	s.once.Do(func() {
		s.dir, s.err = os.MkdirTemp("", "pqsql-shared-")
		if s.err != nil {
			return
		}
		src := filepath.Join(repoRoot, "testdata")
		entries, err := os.ReadDir(src)
		if err != nil {
			s.err = err
			return
		}
		for _, e := range entries {
			if e.Type().IsRegular() && (strings.HasSuffix(e.Name(), ".parquet") || e.Name() == "pqsql.yaml") {
				if s.err = copyPlain(filepath.Join(src, e.Name()), filepath.Join(s.dir, e.Name())); s.err != nil {
					return
				}
			}
		}
		s.proc, s.err = startPQSQL(s.dir)
	})
	if s.err != nil {
		t.Fatalf("shared pqsql: %v", s.err)
	}
	return s.proc
}

func (s *sharedServer) stop() {
	if s.proc != nil {
		if code, err := s.proc.stop(); err != nil || code != 0 {
			fmt.Fprintf(os.Stderr, "integration: shared pqsql stopped with status %d, %v; output:\n%s\n", code, err, s.proc.output.String())
		}
	}
	if s.dir != "" {
		os.RemoveAll(s.dir)
	}
}

func copyPlain(from, to string) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, data, 0o644)
}

// connect opens a pgx connection as user and closes it when the test ends.
func connect(t testing.TB, p *pqsqlProcess, user, password string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, p.connString(user, password))
	if err != nil {
		t.Fatalf("connect as %s: %v", user, err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// hijack takes conn's network connection over for raw protocol messages,
// closing it when the test ends; reads and writes fail after a minute, a
// safety net against hangs.
func hijack(t testing.TB, conn *pgx.Conn) *pgconn.HijackedConn {
	t.Helper()
	hc, err := conn.PgConn().Hijack()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hc.Conn.Close() })
	hc.Conn.SetDeadline(time.Now().Add(time.Minute))
	return hc
}

// testCtx returns a context that ends with the test or after two minutes.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// queryText runs sql with the simple query protocol, so every value comes back
// in PostgreSQL's text format, and returns the rows with NULL as "<NULL>".
func queryText(ctx context.Context, conn *pgx.Conn, sql string) ([][]string, error) {
	rr := conn.PgConn().Exec(ctx, sql)
	results, err := rr.ReadAll()
	if err != nil {
		return nil, err
	}
	if len(results) != 1 {
		return nil, fmt.Errorf("%d results, want 1", len(results))
	}
	var rows [][]string
	for _, r := range results[0].Rows {
		row := make([]string, len(r))
		for i, v := range r {
			if v == nil {
				row[i] = nullText
			} else {
				row[i] = string(v)
			}
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// nullText stands for SQL NULL in text rows.
const nullText = "<NULL>"

// pgError returns err as a *pgconn.PgError, failing the test otherwise.
func pgError(t testing.TB, err error) *pgconn.PgError {
	t.Helper()
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T) is not a PostgreSQL error", err, err)
	}
	return pe
}

// psql runs the psql client against p with args and returns its standard
// output, and an error with its standard error when it fails. It skips the
// test when psql is not installed.
func psql(t testing.TB, p *pqsqlProcess, user, password string, args ...string) (string, error) {
	t.Helper()
	stdout, stderr, code := psqlRun(t, p, user, password, args...)
	if code != 0 {
		return stdout, fmt.Errorf("psql %s: exit status %d; stderr:\n%s", strings.Join(args, " "), code, stderr)
	}
	return stdout, nil
}

// psqlRun runs psql against p with args and returns its standard output,
// standard error and exit status. It skips the test when psql is not
// installed.
func psqlRun(t testing.TB, p *pqsqlProcess, user, password string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	path, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("psql is not installed (make test installs postgresql-client)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	full := append([]string{"-X", "-A", "-t", "-v", "ON_ERROR_STOP=1",
		"-h", "127.0.0.1", "-p", strconv.Itoa(p.port), "-U", user, "-d", "pqsql"}, args...)
	cmd := exec.CommandContext(ctx, path, full...)
	cmd.Env = append(cleanPGEnv(), "PGPASSWORD="+password, "PGCONNECT_TIMEOUT=10")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatalf("psql %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), errOut.String(), code
}

// cleanPGEnv is the environment without libpq's PG* variables.
func cleanPGEnv() []string {
	var env []string
	for _, kv := range cleanEnv() {
		if !strings.HasPrefix(kv, "PG") {
			env = append(env, kv)
		}
	}
	return env
}
