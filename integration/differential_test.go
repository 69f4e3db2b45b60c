package integration

// TestDifferential runs the statements of differential_queries.sql on pqsql
// and on a throwaway PostgreSQL 15 loaded with the same rows, and compares the
// answers: column names, type OIDs, command tags and every value's text (in
// order when the statement has a top-level ORDER BY, as a multiset otherwise),
// or the SQLSTATE when a statement fails. The corpus runs twice: through the
// simple query protocol and through the extended protocol (text results).

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/pqsql/pqsql/bench/datagen"
)

// knownDifferences are corpus statements whose pqsql answer differs from
// PostgreSQL's today, each with the reason. They still run and are reported
// with t.Log, but do not fail the test; a statement listed here that matches
// in both protocols fails it, so that the list stays truthful. Remove entries
// as the engine improves.
var knownDifferences = map[string]string{
	`SELECT cbrt(27::float8)`: "cbrt(27) is exactly 3 (Go's math.Cbrt), PostgreSQL's libm cbrt gives 3.0000000000000004",
}

// differentialCorpus is the file of statements, beside this test.
const differentialCorpus = "differential_queries.sql"

// diffQueryTimeout bounds one statement on one server.
const diffQueryTimeout = 30 * time.Second

func TestDifferential(t *testing.T) {
	if testing.Short() {
		t.Skip("differential test against PostgreSQL skipped in -short mode")
	}
	corpus := readDiffCorpus(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	pg := startDiffPostgres(t, ctx)
	loadDiffPostgres(t, ctx, pg)
	p := shared.get(t)

	type outcome struct {
		mismatch []string // one description per protocol that mismatched
		details  []string // the same without the protocol
		// pqsqlTime is pqsql's time for the statement in both protocols.
		pqsqlTime time.Duration
	}
	outcomes := make([]outcome, len(corpus))
	for _, mode := range []diffMode{diffSimple, diffExtended} {
		pgConn := diffConnect(t, ctx, pg.connString())
		pqConn := diffConnect(t, ctx, p.connString(analystUser, analystPassword))
		for i, q := range corpus {
			var want, got diffResult
			var wg sync.WaitGroup
			wg.Go(func() { want = runDiff(ctx, &pgConn, pg.connString(), mode, q) })
			wg.Go(func() {
				start := time.Now()
				got = runDiff(ctx, &pqConn, p.connString(analystUser, analystPassword), mode, q)
				outcomes[i].pqsqlTime += time.Since(start)
			})
			wg.Wait()
			if d := compareDiff(q, want, got); d != "" {
				if mode == diffExtended && slices.Contains(outcomes[i].details, d) {
					outcomes[i].mismatch[0] = "[simple and extended]" + strings.TrimPrefix(outcomes[i].mismatch[0], "[simple]")
				} else {
					outcomes[i].mismatch = append(outcomes[i].mismatch, fmt.Sprintf("[%s] %s", mode, d))
					outcomes[i].details = append(outcomes[i].details, d)
				}
			}
		}
		pgConn.Close(context.Background())
		pqConn.Close(context.Background())
	}

	inCorpus := map[string]bool{}
	matched, unexpected, known, fixed := 0, 0, 0, 0
	for i, q := range corpus {
		inCorpus[q] = true
		reason, isKnown := knownDifferences[q]
		switch {
		case len(outcomes[i].mismatch) == 0 && !isKnown:
			matched++
		case len(outcomes[i].mismatch) == 0:
			fixed++
			t.Errorf("knownDifferences lists a statement that now matches PostgreSQL; remove it:\n  %s\n  (was: %s)", q, reason)
		case isKnown:
			known++
			t.Logf("known difference (%s):\n  %s\n%s", reason, q, strings.Join(outcomes[i].mismatch, "\n"))
		default:
			unexpected++
			t.Errorf("pqsql and PostgreSQL disagree:\n  %s\n%s", q, strings.Join(outcomes[i].mismatch, "\n"))
		}
	}
	for q := range knownDifferences {
		if !inCorpus[q] {
			t.Errorf("knownDifferences lists a statement that is not in %s: %s", differentialCorpus, q)
		}
	}
	slowest := make([]int, len(corpus))
	for i := range slowest {
		slowest[i] = i
	}
	slices.SortFunc(slowest, func(a, b int) int { return cmp.Compare(outcomes[b].pqsqlTime, outcomes[a].pqsqlTime) })
	for _, i := range slowest[:5] {
		t.Logf("slow on pqsql: %v for %s", outcomes[i].pqsqlTime.Round(time.Millisecond), corpus[i])
	}
	t.Logf("differential: %d statements, %d match, %d known differences, %d unexpected differences, %d known differences now match",
		len(corpus), matched, known, unexpected, fixed)
}

// readDiffCorpus returns the statements of differentialCorpus.
func readDiffCorpus(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(differentialCorpus)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	seen := map[string]bool{}
	for line := range strings.SplitSeq(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "--") {
			continue
		}
		line = strings.TrimSpace(strings.TrimSuffix(line, ";"))
		if seen[line] {
			t.Fatalf("%s: duplicate statement %s", differentialCorpus, line)
		}
		seen[line] = true
		out = append(out, line)
	}
	if len(out) < 150 {
		t.Fatalf("%s holds %d statements, want at least 150", differentialCorpus, len(out))
	}
	return out
}

// diffMode is the protocol a corpus run uses.
type diffMode string

const (
	diffSimple   diffMode = "simple"
	diffExtended diffMode = "extended"
)

// diffResult is one server's answer to a statement.
type diffResult struct {
	names []string
	oids  []uint32
	rows  [][]string
	tag   string
	// sqlstate and message are set when the statement failed.
	sqlstate, message string
}

func (r diffResult) String() string {
	if r.sqlstate != "" {
		return fmt.Sprintf("ERROR %s: %s", r.sqlstate, r.message)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s; columns", r.tag)
	for i, n := range r.names {
		fmt.Fprintf(&b, " %s:%d", n, r.oids[i])
	}
	const maxRows = 4
	for i, row := range r.rows {
		if i == maxRows {
			fmt.Fprintf(&b, "\n      ... %d rows in all", len(r.rows))
			break
		}
		fmt.Fprintf(&b, "\n      %s", strings.Join(quoteRow(row), " | "))
	}
	return b.String()
}

func quoteRow(row []string) []string {
	out := make([]string, len(row))
	for i, v := range row {
		if v == nullText {
			out[i] = v
		} else {
			out[i] = strconv.Quote(v)
		}
	}
	return out
}

// diffConnect opens a connection that the caller closes.
func diffConnect(t *testing.T, ctx context.Context, connString string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(ctx, connString)
	if err != nil {
		t.Fatalf("connect %s: %v", connString, err)
	}
	return conn
}

// runDiff runs q on *conn with the mode's protocol. When the connection
// breaks (a timeout, a crash), it reconnects for the next statement.
func runDiff(ctx context.Context, conn **pgx.Conn, connString string, mode diffMode, q string) diffResult {
	qctx, cancel := context.WithTimeout(ctx, diffQueryTimeout)
	defer cancel()
	var res *pgconn.Result
	var fields []pgconn.FieldDescription
	if mode == diffSimple {
		mrr := (*conn).PgConn().Exec(qctx, q)
		var results []*pgconn.Result
		for mrr.NextResult() {
			rr := mrr.ResultReader()
			r := rr.Read()
			// Result.FieldDescriptions stays empty without rows; the
			// reader keeps the row description.
			fields = rr.FieldDescriptions()
			results = append(results, r)
		}
		err := mrr.Close()
		switch {
		case err != nil:
			res = &pgconn.Result{Err: err}
		case len(results) != 1:
			res = &pgconn.Result{Err: fmt.Errorf("%d results, want 1", len(results))}
		default:
			res = results[0]
		}
	} else {
		rr := (*conn).PgConn().ExecParams(qctx, q, nil, nil, nil, nil)
		res = rr.Read()
		fields = rr.FieldDescriptions()
	}
	if res.Err != nil {
		r := diffResult{sqlstate: "(no SQLSTATE)", message: res.Err.Error()}
		var pe *pgconn.PgError
		if errors.As(res.Err, &pe) {
			r.sqlstate, r.message = pe.Code, pe.Message
		}
		if (*conn).IsClosed() {
			if c, err := pgx.Connect(ctx, connString); err == nil {
				*conn = c
			}
		}
		return r
	}
	r := diffResult{tag: res.CommandTag.String()}
	for _, fd := range fields {
		r.names = append(r.names, fd.Name)
		r.oids = append(r.oids, fd.DataTypeOID)
	}
	for _, row := range res.Rows {
		out := make([]string, len(row))
		for i, v := range row {
			if v == nil {
				out[i] = nullText
			} else {
				out[i] = string(v)
			}
		}
		r.rows = append(r.rows, out)
	}
	return r
}

// compareDiff returns "" when got (pqsql) matches want (PostgreSQL) for q,
// or a description of the difference with both answers.
func compareDiff(q string, want, got diffResult) string {
	describe := func(what string) string {
		return fmt.Sprintf("%s\n    PostgreSQL: %s\n    pqsql:      %s", what, want, got)
	}
	if want.sqlstate != "" || got.sqlstate != "" {
		if want.sqlstate == got.sqlstate {
			return ""
		}
		return describe("different outcome")
	}
	if !slices.Equal(want.names, got.names) {
		return describe("different column names")
	}
	if !slices.Equal(want.oids, got.oids) {
		return describe("different column types")
	}
	if want.tag != got.tag {
		return describe("different command tags")
	}
	wantRows, gotRows := want.rows, got.rows
	ordered := hasTopLevelOrderBy(q)
	if !ordered {
		wantRows, gotRows = sortedRows(wantRows), sortedRows(gotRows)
	}
	for i := 0; i < len(wantRows) || i < len(gotRows); i++ {
		if i >= len(wantRows) || i >= len(gotRows) || !slices.Equal(wantRows[i], gotRows[i]) {
			order := "in order"
			if !ordered {
				order = "as multisets"
			}
			first := fmt.Sprintf("rows differ %s (%d vs %d rows); first difference at row %d", order, len(wantRows), len(gotRows), i+1)
			if i < len(wantRows) {
				first += "\n    PostgreSQL row: " + strings.Join(quoteRow(wantRows[i]), " | ")
			}
			if i < len(gotRows) {
				first += "\n    pqsql row:      " + strings.Join(quoteRow(gotRows[i]), " | ")
			}
			return describe(first)
		}
	}
	return ""
}

func sortedRows(rows [][]string) [][]string {
	out := slices.Clone(rows)
	slices.SortFunc(out, func(a, b []string) int { return slices.Compare(a, b) })
	return out
}

// hasTopLevelOrderBy reports whether q has ORDER BY outside parentheses and
// string literals: the corpus promises that such an ORDER BY is total.
func hasTopLevelOrderBy(q string) bool {
	depth := 0
	for i := 0; i < len(q); i++ {
		switch c := q[i]; {
		case c == '\'':
			for i++; i < len(q) && q[i] != '\''; i++ {
			}
		case c == '(':
			depth++
		case c == ')':
			depth--
		case depth == 0 && (c == 'O' || c == 'o') && (i == 0 || !isIdentByte(q[i-1])):
			rest := strings.Fields(strings.ToUpper(q[i:min(len(q), i+20)]))
			if len(rest) >= 2 && rest[0] == "ORDER" && strings.HasPrefix(rest[1], "BY") {
				return true
			}
		}
	}
	return false
}

func isIdentByte(c byte) bool {
	return c == '_' || c < 128 && (unicode.IsLetter(rune(c)) || unicode.IsDigit(rune(c)))
}

// diffPostgres is a throwaway PostgreSQL server in a temporary directory,
// started as bench/run does.
type diffPostgres struct {
	dir    string
	port   int
	cmd    *exec.Cmd
	output *syncBuffer
	exited chan struct{}
	cred   *syscall.Credential
}

// diffPGBin returns the directory holding initdb and postgres, or "".
func diffPGBin() string {
	var dirs []string
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		dirs = append(dirs, strings.TrimSpace(string(out)))
	}
	dirs = append(dirs, "/usr/lib/postgresql/15/bin")
	if initdb, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(initdb); err == nil {
			dirs = append(dirs, filepath.Dir(real))
		}
		dirs = append(dirs, filepath.Dir(initdb))
	}
	for _, dir := range dirs {
		if diffExecutable(filepath.Join(dir, "initdb")) && diffExecutable(filepath.Join(dir, "postgres")) {
			return dir
		}
	}
	return ""
}

func diffExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// startDiffPostgres initialises and starts PostgreSQL with TimeZone UTC, C
// collation and UTF-8 character classes; it stops it when the test ends. It
// skips the test when the server binaries are not installed.
func startDiffPostgres(t *testing.T, ctx context.Context) *diffPostgres {
	t.Helper()
	bin := diffPGBin()
	if bin == "" {
		t.Skip("PostgreSQL server binaries (initdb, postgres) not found: install the Debian package postgresql-15")
	}
	version, err := exec.Command(filepath.Join(bin, "postgres"), "--version").Output()
	if err != nil {
		t.Fatalf("postgres --version: %v", err)
	}
	if !strings.Contains(string(version), " 15.") {
		t.Logf("the corpus is meant for PostgreSQL 15, found %s", strings.TrimSpace(string(version)))
	}
	pg := &diffPostgres{output: &syncBuffer{}}
	pg.dir, err = os.MkdirTemp("", "pqsql-diff-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pg.stop)
	if os.Geteuid() == 0 {
		// PostgreSQL refuses to run as root.
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skipf("running as root and PostgreSQL needs an unprivileged user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(pg.dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		pg.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	dataDir := filepath.Join(pg.dir, "data")
	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), "-D", dataDir, "-U", "postgres",
		"-A", "trust", "-E", "UTF8", "--locale=C", "--lc-ctype=C.UTF-8", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: pg.cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		// Older glibc spell the locale C.utf8 only; retry with plain C.
		initdb = exec.CommandContext(ctx, filepath.Join(bin, "initdb"), "-D", dataDir, "-U", "postgres",
			"-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")
		initdb.SysProcAttr = &syscall.SysProcAttr{Credential: pg.cred}
		if out2, err2 := initdb.CombinedOutput(); err2 != nil {
			t.Fatalf("initdb: %v\n%s\n%v\n%s", err, out, err2, out2)
		}
	}
	for attempt := 0; ; attempt++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		pg.port = ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		err = pg.start(ctx, bin, dataDir)
		if err == nil {
			return pg
		}
		if attempt == 4 || !strings.Contains(pg.output.String(), "already in use") {
			t.Fatal(err)
		}
	}
}

func (pg *diffPostgres) start(ctx context.Context, bin, dataDir string) error {
	pg.cmd = exec.Command(filepath.Join(bin, "postgres"), "-D", dataDir,
		"-c", "listen_addresses=127.0.0.1",
		"-p", strconv.Itoa(pg.port),
		"-c", "unix_socket_directories="+pg.dir,
		"-c", "TimeZone=UTC",
		"-c", "fsync=off",
		"-c", "synchronous_commit=off",
		"-c", "full_page_writes=off",
	)
	pg.cmd.Stdout, pg.cmd.Stderr = pg.output, pg.output
	pg.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: pg.cred, Setpgid: true}
	if err := pg.cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	exited := make(chan struct{})
	pg.exited = exited
	go func() {
		pg.cmd.Wait()
		close(exited)
	}()
	deadline := time.Now().Add(60 * time.Second)
	for {
		conn, err := pgx.Connect(ctx, pg.connString())
		if err == nil {
			conn.Close(ctx)
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("postgres exited during start-up:\n%s", pg.output.String())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres not ready after a minute: %v\n%s", err, pg.output.String())
		}
	}
}

func (pg *diffPostgres) connString() string {
	return fmt.Sprintf("host=127.0.0.1 port=%d user=postgres dbname=postgres sslmode=disable", pg.port)
}

// stop shuts the server down (fast, then immediate, then kill) and removes
// its directory.
func (pg *diffPostgres) stop() {
	if pg.cmd != nil && pg.cmd.Process != nil && pg.exited != nil {
		select {
		case <-pg.exited:
		default:
			pg.cmd.Process.Signal(syscall.SIGINT)
			select {
			case <-pg.exited:
			case <-time.After(30 * time.Second):
				pg.cmd.Process.Signal(syscall.SIGQUIT)
				select {
				case <-pg.exited:
				case <-time.After(10 * time.Second):
					syscall.Kill(-pg.cmd.Process.Pid, syscall.SIGKILL)
					<-pg.exited
				}
			}
		}
	}
	if pg.dir != "" {
		os.RemoveAll(pg.dir)
	}
}

// allTypesCreateTable is alltypes in PostgreSQL, with the types pqsql serves
// (c_list and c_struct are json there).
const allTypesCreateTable = `CREATE TABLE alltypes (
    id integer PRIMARY KEY,
    c_int2 smallint,
    c_int4 integer,
    c_int8 bigint,
    c_float4 real,
    c_float8 double precision,
    c_bool boolean,
    c_text text,
    c_numeric numeric(10,2),
    c_date date,
    c_timestamptz timestamp with time zone,
    c_timestamp timestamp without time zone,
    c_bytea bytea,
    c_uuid uuid,
    c_json json,
    c_list json,
    c_struct json
)`

// loadDiffPostgres creates candidates and alltypes in PostgreSQL and copies
// the rows of testdata's Parquet files in: candidates from datagen's CSV,
// alltypes from allTypesGolden (PostgreSQL's own text of datagen.AllTypes).
func loadDiffPostgres(t *testing.T, ctx context.Context, pg *diffPostgres) {
	t.Helper()
	conn := diffConnect(t, ctx, pg.connString())
	defer conn.Close(context.Background())
	copyIn := func(table, ddl, options string, write func(io.Writer) error) {
		if _, err := conn.Exec(ctx, ddl); err != nil {
			t.Fatalf("create %s: %v", table, err)
		}
		pr, pw := io.Pipe()
		go func() {
			bw := bufio.NewWriterSize(pw, 1<<20)
			err := write(bw)
			if err == nil {
				err = bw.Flush()
			}
			pw.CloseWithError(err)
		}()
		_, err := conn.PgConn().CopyFrom(ctx, pr, "COPY "+table+" FROM STDIN "+options)
		pr.Close()
		if err != nil {
			t.Fatalf("copy %s: %v", table, err)
		}
		if _, err := conn.Exec(ctx, "ANALYZE "+table); err != nil {
			t.Fatalf("analyze %s: %v", table, err)
		}
	}
	copyIn("candidates", datagen.CandidatesCreateTable, "(FORMAT csv)", func(w io.Writer) error {
		return datagen.WriteCandidatesCSV(w, candidateCount)
	})
	if len(allTypesGolden) != len(datagen.AllTypes()) {
		t.Fatalf("allTypesGolden has %d rows, datagen.AllTypes %d", len(allTypesGolden), len(datagen.AllTypes()))
	}
	copyIn("alltypes", allTypesCreateTable, "", func(w io.Writer) error {
		escape := strings.NewReplacer(`\`, `\\`, "\n", `\n`, "\r", `\r`, "\t", `\t`)
		for _, row := range allTypesGolden {
			fields := make([]string, len(row))
			for i, v := range row {
				if v == nullText {
					fields[i] = `\N`
				} else {
					fields[i] = escape.Replace(v)
				}
			}
			if _, err := io.WriteString(w, strings.Join(fields, "\t")+"\n"); err != nil {
				return err
			}
		}
		return nil
	})
}
