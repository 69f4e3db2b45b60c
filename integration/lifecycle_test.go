package integration

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pqsql/pqsql/bench/datagen"
)

// runPQSQL runs the pqsql binary to completion and returns its exit code and
// combined output.
func runPQSQL(t *testing.T, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, pqsqlBin, args...)
	cmd.Env = cleanEnv()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("pqsql %v did not exit within a minute; output:\n%s", args, out.String())
	}
	if err != nil && cmd.ProcessState == nil {
		t.Fatalf("run pqsql %v: %v", args, err)
	}
	return cmd.ProcessState.ExitCode(), out.String()
}

func TestConcurrentSessions(t *testing.T) {
	p := shared.get(t)
	const sessions, perSession = 20, 5
	var wg sync.WaitGroup
	errs := make(chan error, sessions*perSession)
	for s := 0; s < sessions; s++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			conn, err := pgx.Connect(ctx, p.connString(analystUser, analystPassword))
			if err != nil {
				errs <- fmt.Errorf("session %d: connect: %w", s, err)
				return
			}
			defer conn.Close(context.Background())
			for q := 0; q < perSession; q++ {
				i := 1 + s*997 + q*13
				want := datagen.Candidate(i)
				var id, city string
				var years int32
				err := conn.QueryRow(ctx, "SELECT candidate_id, city, years_experience FROM candidates WHERE candidate_id = $1",
					want.CandidateID).Scan(&id, &city, &years)
				if err != nil {
					errs <- fmt.Errorf("session %d: lookup %s: %w", s, want.CandidateID, err)
					continue
				}
				if id != want.CandidateID || city != want.City || years != want.YearsExperience {
					errs <- fmt.Errorf("session %d: got %s %s %d, want %s %s %d", s, id, city, years,
						want.CandidateID, want.City, want.YearsExperience)
				}
				var n int64
				if err := conn.QueryRow(ctx, "SELECT count(*) FROM alltypes WHERE id <= $1", int32(q+1)).Scan(&n); err != nil {
					errs <- fmt.Errorf("session %d: count: %w", s, err)
				} else if n != int64(q+1) {
					errs <- fmt.Errorf("session %d: count(*) where id <= %d = %d", s, q+1, n)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestRestart stops pqsql with SIGTERM (exit status 0) and starts it again on
// the same data: the answers stay the same.
func TestRestart(t *testing.T) {
	dir := newDataDir(t)
	const query = "SELECT status, count(*), min(candidate_id), max(candidate_id) FROM candidates GROUP BY status ORDER BY status"
	var answers [2][][]string
	for round := range answers {
		p, err := startPQSQL(dir)
		if err != nil {
			t.Fatal(err)
		}
		conn := connect(t, p, analystUser, analystPassword)
		answers[round], err = queryText(testCtx(t), conn, query)
		conn.Close(context.Background())
		code, stopErr := p.stop()
		if err != nil {
			t.Fatal(err)
		}
		if stopErr != nil {
			t.Fatal(stopErr)
		}
		if code != 0 {
			t.Fatalf("round %d: exit status %d after SIGTERM; output:\n%s", round, code, p.output.String())
		}
		if !strings.Contains(p.output.String(), `"listening"`) {
			t.Errorf("round %d: no \"listening\" log line:\n%s", round, p.output.String())
		}
	}
	if len(answers[0]) == 0 || !reflect.DeepEqual(answers[0], answers[1]) {
		t.Errorf("answers differ across a restart:\n%v\n%v", answers[0], answers[1])
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name   string
		config string
		want   string
	}{
		{"bad role", "users:\n  - name: analyst\n    password: analyst-dev-pw\n    role: superuser\n",
			`pqsql.yaml:4: user "analyst": role "superuser" is not one of reader, writer, admin`},
		{"unknown key", "users:\n  - {name: analyst, password: analyst-dev-pw, role: reader}\nlisten: 0.0.0.0:5433\n",
			`pqsql.yaml:3: unknown key "listen"`},
		{"duplicate user", "users:\n  - {name: a, password: p, role: reader}\n  - {name: a, password: q, role: reader}\n",
			`pqsql.yaml:3: duplicate user "a" (first defined on line 2)`},
		{"missing password", "users:\n  - {name: a, role: reader}\n", `pqsql.yaml:2: user "a" has no password`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "pqsql.yaml"), []byte(tt.config), 0o600); err != nil {
				t.Fatal(err)
			}
			code, out := runPQSQL(t, "serve", "--data", dir, "--listen", "127.0.0.1:0")
			if code == 0 {
				t.Fatalf("pqsql started with a bad config; output:\n%s", out)
			}
			if !strings.Contains(out, tt.want) {
				t.Errorf("output lacks %q:\n%s", tt.want, out)
			}
		})
	}

	t.Run("no config", func(t *testing.T) {
		code, out := runPQSQL(t, "serve", "--data", t.TempDir(), "--listen", "127.0.0.1:0")
		if code == 0 || !strings.Contains(out, "no configuration") {
			t.Errorf("exit %d, output:\n%s", code, out)
		}
	})
}

// TestNonLoopbackRefusal: the sample passwords must not leave the machine.
func TestNonLoopbackRefusal(t *testing.T) {
	dir := t.TempDir()
	copyFile(t, filepath.Join(repoRoot, "testdata", "pqsql.yaml"), filepath.Join(dir, "pqsql.yaml"))
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	code, out := runPQSQL(t, "serve", "--data", dir, "--listen", "0.0.0.0:"+strconv.Itoa(port))
	if code == 0 {
		t.Fatalf("pqsql listened on 0.0.0.0 with the sample passwords; output:\n%s", out)
	}
	for _, want := range []string{"refusing to listen on non-loopback address 0.0.0.0:" + strconv.Itoa(port), "admin, analyst, steward"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestEnvironment: PQSQL_DATA and PQSQL_CONFIG stand in for the flags.
func TestEnvironment(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(t.TempDir(), "other.yaml")
	if err := os.WriteFile(cfg, []byte("users:\n  - {name: a, password: p, role: chief}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(pqsqlBin, "serve", "--listen", "127.0.0.1:0")
	cmd.Env = append(cleanEnv(), "PQSQL_DATA="+dir, "PQSQL_CONFIG="+cfg)
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("pqsql started with a bad config from PQSQL_CONFIG:\n%s", out)
	}
	if want := cfg + `:2: user "a": role "chief"`; !strings.Contains(string(out), want) {
		t.Errorf("output lacks %q:\n%s", want, out)
	}
}

// TestDirectoryTableAndCorruptFile serves a table made of a directory of two
// files next to a corrupt file, which is skipped while the others serve.
func TestDirectoryTableAndCorruptFile(t *testing.T) {
	dir := t.TempDir()
	copyFile(t, filepath.Join(repoRoot, "testdata", "alltypes.parquet"), filepath.Join(dir, "alltypes.parquet"))
	if err := os.Mkdir(filepath.Join(dir, "events"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := datagen.WriteEvents(filepath.Join(dir, "events", "part-0.parquet"), 1000, 300); err != nil {
		t.Fatal(err)
	}
	if err := datagen.WriteEvents(filepath.Join(dir, "events", "part-1.parquet"), 500, 300); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "broken.parquet"), []byte("PAR1 this is not a parquet file PAR1"), 0o644); err != nil {
		t.Fatal(err)
	}
	config := "users:\n  - {name: analyst, password: analyst-dev-pw, role: reader}\ntables:\n  events: {key: id}\n"
	if err := os.WriteFile(filepath.Join(dir, "pqsql.yaml"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startServerIn(t, dir)
	conn := connect(t, p, analystUser, analystPassword)
	ctx := testCtx(t)

	var want float64
	for i := int64(1); i <= 1000; i++ {
		want += datagen.Event(i).Amount
	}
	for i := int64(1); i <= 500; i++ {
		want += datagen.Event(i).Amount
	}
	var n int64
	var sum float64
	if err := conn.QueryRow(ctx, "SELECT count(*), sum(amount) FROM events").Scan(&n, &sum); err != nil {
		t.Fatal(err)
	}
	if n != 1500 || !closeEnough(sum, want) {
		t.Errorf("events: count %d, sum %v; want 1500, %v", n, sum, want)
	}
	got, err := queryText(ctx, conn, "SELECT count(*) FROM events WHERE id = 7")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, [][]string{{"2"}}) {
		t.Errorf("rows with id 7 in the two files: %v, want 2", got)
	}

	if _, err := conn.Exec(ctx, "SELECT * FROM broken"); err == nil {
		t.Error("the corrupt file is served as a table")
	} else if pe := pgError(t, err); pe.Code != "42P01" {
		t.Errorf("SELECT from the corrupt table: %s %s, want 42P01", pe.Code, pe.Message)
	}
	got, err = queryText(ctx, conn, "SELECT count(*) FROM alltypes")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, [][]string{{"20"}}) {
		t.Errorf("alltypes next to the corrupt file: %v", got)
	}
	if !strings.Contains(p.output.String(), "broken") {
		t.Errorf("no log line names the skipped file:\n%s", p.output.String())
	}
}

// closeEnough compares sums of floats, which depend on the order of addition.
func closeEnough(a, b float64) bool {
	return math.Abs(a-b) <= 1e-9*max(1, math.Abs(a), math.Abs(b))
}

// TestPasswdVerifier: a verifier printed by pqsql passwd logs the user in
// with the password it was made from, and only with it.
func TestPasswdVerifier(t *testing.T) {
	const password = "correct horse battery staple"
	cmd := exec.Command(pqsqlBin, "passwd")
	cmd.Env = cleanEnv()
	cmd.Stdin = strings.NewReader(password + "\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pqsql passwd: %v", err)
	}
	verifier := strings.TrimSpace(string(out))
	if !strings.HasPrefix(verifier, "SCRAM-SHA-256$") || strings.Contains(verifier, password) {
		t.Fatalf("pqsql passwd printed %q", verifier)
	}

	dir := t.TempDir()
	copyFile(t, filepath.Join(repoRoot, "testdata", "alltypes.parquet"), filepath.Join(dir, "alltypes.parquet"))
	config := fmt.Sprintf("users:\n  - {name: analyst, password: %q, role: reader}\n  - {name: bob, password: %q, role: reader}\n",
		analystPassword, verifier)
	if err := os.WriteFile(filepath.Join(dir, "pqsql.yaml"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startServerIn(t, dir)
	conn := connect(t, p, "bob", password)
	var n int64
	if err := conn.QueryRow(testCtx(t), "SELECT count(*) FROM alltypes").Scan(&n); err != nil || n != 20 {
		t.Errorf("count as bob: %d, %v", n, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if c, err := pgx.Connect(ctx, p.connString("bob", "wrong")); err == nil {
		c.Close(ctx)
		t.Error("bob logged in with a wrong password")
	} else if pe := pgError(t, err); pe.Code != "28P01" {
		t.Errorf("wrong password: %s %s, want 28P01", pe.Code, pe.Message)
	}
}
