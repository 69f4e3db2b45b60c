package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"

	"github.com/pqsql/pqsql/bench/datagen"
)

// options are the command-line settings.
type options struct {
	rows         int64
	candidates   int
	rowGroupRows int
	runs         int
	queryTimeout time.Duration
	// deleteTimeout bounds each DELETE of the delete section.
	deleteTimeout time.Duration
	dataDir       string
	out           string
	pqsqlBin      string
	// postgresOnly skips pqsql, to check the PostgreSQL half on its own.
	postgresOnly bool
	// sections are the report sections to measure, from allSections.
	sections map[string]bool
	// command is the command line, for the report.
	command string
}

// The report's sections, in order: the -sections names.
const (
	secQueries    = "queries"
	secDelete     = "delete"
	secTombstones = "tombstones"
	secVacuum     = "vacuum"
)

var allSections = []string{secQueries, secDelete, secTombstones, secVacuum}

// parseSections parses the -sections flag: names from allSections,
// separated by commas.
func parseSections(s string) (map[string]bool, error) {
	m := make(map[string]bool)
	for name := range strings.SplitSeq(s, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if !slices.Contains(allSections, name) {
			return nil, fmt.Errorf("-sections: unknown section %q (want some of %s)", name, strings.Join(allSections, ","))
		}
		m[name] = true
	}
	if len(m) == 0 {
		return nil, errors.New("-sections: no section given")
	}
	return m, nil
}

// commandLine returns the benchmark's command line as a user would type it.
func commandLine(args []string) string {
	var b strings.Builder
	b.WriteString("go run -tags gms_pure_go ./bench/run")
	for _, a := range args {
		b.WriteByte(' ')
		if a == "" || strings.ContainsAny(a, " \t'\"`$\\") {
			a = strconv.Quote(a)
		}
		b.WriteString(a)
	}
	return b.String()
}

func main() {
	var opts options
	flag.Int64Var(&opts.rows, "rows", 10_000_000, "rows in the events table")
	flag.IntVar(&opts.candidates, "candidates", 100_000, "rows in the candidates table")
	flag.IntVar(&opts.rowGroupRows, "row-group-rows", 1_000_000, "rows per row group of events.parquet (candidates: 10,000, as in testdata)")
	flag.IntVar(&opts.runs, "runs", 5, "timed runs per query and system (after one warm-up run)")
	flag.DurationVar(&opts.queryTimeout, "query-timeout", 10*time.Minute, "limit on each run of a query; a query that exceeds it is reported as an error")
	flag.DurationVar(&opts.deleteTimeout, "delete-timeout", 2*time.Minute, "limit on each DELETE of the delete section; a size whose DELETE exceeds it is reported as a timeout and its other runs skipped")
	flag.StringVar(&opts.dataDir, "data", "", "cache directory for generated data (default REPO/bench/.data)")
	flag.StringVar(&opts.out, "out", "", "report file (default REPO/docs/BENCHMARKS.md; - for none)")
	flag.StringVar(&opts.pqsqlBin, "pqsql", "", "pqsql binary to benchmark (default: build ./cmd/pqsql)")
	flag.BoolVar(&opts.postgresOnly, "postgres-only", false, "measure PostgreSQL only (no pqsql; queries section only)")
	sections := flag.String("sections", strings.Join(allSections, ","), "comma-separated report sections to measure: "+strings.Join(allSections, ", "))
	flag.Parse()
	opts.command = commandLine(os.Args[1:])

	log := zerolog.New(zerolog.ConsoleWriter{Out: os.Stderr, TimeFormat: time.TimeOnly}).With().Timestamp().Logger()
	var err error
	if opts.sections, err = parseSections(*sections); err != nil {
		log.Error().Err(err).Msg("bad flags")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err = run(ctx, opts, log)
	stop()
	if err != nil {
		log.Error().Err(err).Msg("benchmark failed")
		os.Exit(1)
	}
}

// errNotMeasured marks pqsql's results with -postgres-only.
var errNotMeasured = errors.New("not measured (-postgres-only)")

// query is one benchmark query.
type query struct {
	name, sql string
}

// result is one query's measurements on both systems.
type result struct {
	query
	pg, pq       time.Duration // medians
	pgRows       int64
	pqRows       int64
	check        string
	pgErr, pqErr error
}

func run(ctx context.Context, opts options, log zerolog.Logger) error {
	if opts.rows < 1 || opts.candidates < 1 || opts.runs < 1 || opts.rowGroupRows < 1 || opts.queryTimeout <= 0 || opts.deleteTimeout <= 0 {
		return errors.New("-rows, -candidates, -runs, -row-group-rows, -query-timeout and -delete-timeout must be positive")
	}
	if opts.postgresOnly {
		for _, name := range allSections[1:] {
			if opts.sections[name] {
				log.Warn().Str("section", name).Msg("skipped: -postgres-only measures the queries section only")
				delete(opts.sections, name)
			}
		}
		if len(opts.sections) == 0 {
			return errors.New("nothing to measure")
		}
	}
	root, err := repoRoot()
	if err != nil {
		return err
	}
	if opts.dataDir == "" {
		opts.dataDir = filepath.Join(root, "bench", ".data")
	}
	defaultOut := filepath.Join(root, "docs", "BENCHMARKS.md")
	if opts.out == "" {
		opts.out = defaultOut
	}

	dataDir, err := ensureData(opts, log)
	if err != nil {
		return err
	}

	work, err := os.MkdirTemp("", "pqsql-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	bin := opts.pqsqlBin
	if bin == "" && !opts.postgresOnly {
		bin = filepath.Join(work, "pqsql")
		log.Info().Msg("building pqsql")
		build := exec.CommandContext(ctx, "go", "build", "-tags", "gms_pure_go", "-o", bin, "./cmd/pqsql")
		build.Dir = root
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("build pqsql: %w", err)
		}
	}
	cfgPath := filepath.Join(work, "pqsql.yaml")
	if err := os.WriteFile(cfgPath, []byte(benchConfig), 0o600); err != nil {
		return err
	}

	pg, err := startPostgres(ctx, log)
	if err != nil {
		return err
	}
	defer pg.stop()
	if err := loadPostgres(ctx, pg, opts, log); err != nil {
		return err
	}

	rep := &report{opts: opts, pgVersion: pg.version}
	if opts.sections[secQueries] {
		if err := runQueries(ctx, rep, pg, bin, dataDir, cfgPath, log); err != nil {
			return err
		}
	}
	if opts.sections[secDelete] || opts.sections[secTombstones] || opts.sections[secVacuum] {
		if err := runErasure(ctx, rep, pg, bin, dataDir, cfgPath, work, log); err != nil {
			return err
		}
	}

	text := rep.format()
	fmt.Print(text)
	if opts.postgresOnly && opts.out == defaultOut {
		opts.out = "-" // a partial report does not replace the real one
	}
	if opts.out != "-" {
		if err := writeReport(opts.out, text); err != nil {
			return err
		}
		log.Info().Str("file", opts.out).Msg("report written")
	}
	return rep.err()
}

// runQueries measures Q1-Q7 on both systems, pqsql serving the cached data
// directory as the reader.
func runQueries(ctx context.Context, rep *report, pg *postgres, bin, dataDir, cfgPath string, log zerolog.Logger) error {
	opts := rep.opts
	pgConn, err := pgx.Connect(ctx, pg.connString())
	if err != nil {
		return fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	defer func() { pgConn.Close(context.Background()) }()

	var (
		readies []time.Duration
		pq      *pqsqlProcess
		pqConn  *pgx.Conn
	)
	if !opts.postgresOnly {
		// Time to ready: the median of three starts; the last one stays up.
		for i := 0; i < 3; i++ {
			if pq != nil {
				pq.stop()
			}
			pq, err = startPQSQL(ctx, bin, dataDir, cfgPath, log)
			if err != nil {
				return err
			}
			readies = append(readies, pq.ready)
		}
		defer pq.stop()
		rep.ready = median(readies)
		log.Info().Dur("ready", rep.ready).Msg("pqsql ready")
		pqConn, err = pgx.Connect(ctx, pq.connString(readerUser))
		if err != nil {
			return fmt.Errorf("connect to pqsql: %w", err)
		}
		defer func() { pqConn.Close(context.Background()) }()
	}

	for _, q := range queries(opts.rows) {
		r := result{query: q}
		log.Info().Str("query", q.name).Str("sql", q.sql).Msg("running")
		// Both systems run the query in alternation, run by run.
		pgSide := &timedQuery{conn: pgConn, sql: q.sql}
		sides := []*timedQuery{pgSide}
		var pqSide *timedQuery
		if pq != nil {
			pqSide = &timedQuery{conn: pqConn, sql: q.sql}
			sides = append(sides, pqSide)
			if q.name == "Q5" {
				if err := resetPeakRSS(pq.pid()); err != nil {
					log.Warn().Err(err).Msg("cannot reset pqsql's peak RSS; VmHWM covers the whole run")
				}
			}
		}
		timeAlternating(ctx, sides, opts.runs, opts.queryTimeout)
		r.pg, r.pgRows, r.pgErr = pgSide.median, pgSide.rows, pgSide.err
		if r.pgErr != nil && pgConn.IsClosed() {
			if pgConn, err = pgx.Connect(ctx, pg.connString()); err != nil {
				return fmt.Errorf("reconnect to PostgreSQL: %w", err)
			}
		}
		if pq != nil {
			r.pq, r.pqRows, r.pqErr = pqSide.median, pqSide.rows, pqSide.err
			if r.pqErr != nil && pqConn.IsClosed() {
				if pqConn, err = pgx.Connect(ctx, pq.connString(readerUser)); err != nil {
					return fmt.Errorf("reconnect to pqsql: %w", err)
				}
			}
			if q.name == "Q5" {
				if rep.peakRSS, err = vmHWM(pq.pid()); err != nil {
					log.Warn().Err(err).Msg("read pqsql's peak RSS")
				}
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			cctx, ccancel := context.WithTimeout(ctx, opts.queryTimeout)
			r.check = compareResults(cctx, pgConn, pqConn, q, r)
			ccancel()
		} else {
			r.pqErr = errNotMeasured
			r.check = "-"
		}
		log.Info().Str("query", q.name).Dur("postgres", r.pg).Dur("pqsql", r.pq).Str("check", r.check).
			AnErr("pg_error", r.pgErr).AnErr("pqsql_error", r.pqErr).Msg("done")
		rep.queries = append(rep.queries, r)
	}
	pqConnString := ""
	if pq != nil {
		pqConnString = pq.connString(readerUser)
	}
	if rep.points, err = measurePoints(ctx, opts, pgConn, pg.connString(), pqConn, pqConnString, log); err != nil {
		return err
	}
	rep.ran = append(rep.ran, secQueries)
	return nil
}

// runErasure runs the DELETE, tombstone and VACUUM sections asked for. A
// section that fails is reported as failed and the others still run; only a
// lost PostgreSQL connection or an interruption ends the run.
func runErasure(ctx context.Context, rep *report, pg *postgres, bin, dataDir, cfgPath, work string, log zerolog.Logger) error {
	pgConn, err := pgx.Connect(ctx, pg.connString())
	if err != nil {
		return fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	defer pgConn.Close(context.Background())
	e := &erasure{opts: rep.opts, log: log, bin: bin, cfgPath: cfgPath, source: dataDir, work: work, pgConn: pgConn}
	sections := []struct {
		name string
		run  func() error
	}{
		{secDelete, func() (err error) { rep.deletes, err = e.measureDelete(ctx); return err }},
		{secTombstones, func() (err error) { rep.tombstones, err = e.measureTombstones(ctx); return err }},
		{secVacuum, func() (err error) { rep.vacuums, err = e.measureVacuum(ctx); return err }},
	}
	for _, sec := range sections {
		if !rep.opts.sections[sec.name] {
			continue
		}
		start := time.Now()
		log.Info().Str("section", sec.name).Msg("running")
		err := sec.run()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			log.Error().Str("section", sec.name).Err(err).Msg("section failed")
			rep.failed = append(rep.failed, sectionError{sec.name, err})
		}
		rep.ran = append(rep.ran, sec.name)
		log.Info().Str("section", sec.name).Dur("took", time.Since(start)).Msg("section done")
		if pgConn.IsClosed() {
			return errors.New("lost the PostgreSQL connection")
		}
	}
	// Leave the PostgreSQL copy behind no longer than needed.
	if _, err := pgConn.Exec(ctx, "DROP TABLE IF EXISTS "+pgCopy); err != nil {
		log.Warn().Err(err).Msg("drop PostgreSQL copy")
	}
	return nil
}

// q3ID is the id Q3 looks up in an events table of rows rows.
func q3ID(rows int64) int64 {
	id := int64(5_000_000)
	if rows < 2*id {
		id = rows / 2
	}
	return id
}

// queries returns Q1-Q7 for an events table of rows rows.
func queries(rows int64) []query {
	id := q3ID(rows)
	return []query{
		{"Q1", "SELECT count(*) FROM events"},
		{"Q2", "SELECT country, count(*), sum(amount) FROM events GROUP BY country"},
		{"Q3", fmt.Sprintf("SELECT * FROM events WHERE id = %d", id)},
		{"Q4", "SELECT * FROM events WHERE user_id = 'U00012345'"},
		{"Q5", "SELECT * FROM events"},
		{"Q6", "SELECT * FROM candidates WHERE city = 'Denver' AND first_name = 'Linda'"},
		{"Q7", "SELECT status, avg(score) FROM candidates GROUP BY status"},
	}
}

// candidatesRowGroupRows is the row group size of candidates.parquet, as in testdata/.
const candidatesRowGroupRows = 10_000

// The users of benchConfig: Q1-Q7 run as the reader, DELETEs as the writer
// and VACUUM as the administrator.
const (
	readerUser = "bench"
	writerUser = "bench_writer"
	adminUser  = "bench_admin"
)

// benchConfig is pqsql's configuration for the benchmark; each password is
// the user's name followed by "-pw" (see pqsqlProcess.connString).
const benchConfig = `database: pqsql
users:
  - {name: bench, password: bench-pw, role: reader}
  - {name: bench_writer, password: bench_writer-pw, role: writer}
  - {name: bench_admin, password: bench_admin-pw, role: admin}
tables:
  events: {key: id}
  candidates: {key: candidate_id}
# For VACUUM's erasure audit; a benchmark-only secret on loopback.
audit_secret: "707173716c2d62656e63682d61756469742d7365637265742d6e6f742d666f722d757365"
`

// repoRoot returns the main module's directory.
func repoRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("run the benchmark inside the pqsql module")
	}
	return filepath.Dir(gomod), nil
}

// ensureData generates the Parquet files into the cache once per size and
// returns the directory to serve.
func ensureData(opts options, log zerolog.Logger) (string, error) {
	dir := filepath.Join(opts.dataDir, fmt.Sprintf("events-%d-candidates-%d-rg-%d", opts.rows, opts.candidates, opts.rowGroupRows))
	done := filepath.Join(dir, ".complete")
	if _, err := os.Stat(done); err == nil {
		log.Info().Str("dir", dir).Msg("using cached data")
		return dir, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	start := time.Now()
	log.Info().Str("dir", dir).Int64("events", opts.rows).Int("candidates", opts.candidates).Msg("generating data")
	if err := datagen.WriteEvents(filepath.Join(dir, "events.parquet"), opts.rows, opts.rowGroupRows); err != nil {
		return "", fmt.Errorf("generate events: %w", err)
	}
	if err := datagen.WriteCandidates(filepath.Join(dir, "candidates.parquet"), opts.candidates, candidatesRowGroupRows); err != nil {
		return "", fmt.Errorf("generate candidates: %w", err)
	}
	if err := os.WriteFile(done, nil, 0o644); err != nil {
		return "", err
	}
	log.Info().Dur("took", time.Since(start)).Msg("data generated")
	return dir, nil
}

// loadPostgres creates the tables in PostgreSQL and copies the same rows in.
func loadPostgres(ctx context.Context, pg *postgres, opts options, log zerolog.Logger) error {
	conn, err := pgx.Connect(ctx, pg.connString())
	if err != nil {
		return fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	defer conn.Close(context.Background())
	load := func(table, ddl string, write func(io.Writer) error) error {
		start := time.Now()
		if _, err := conn.Exec(ctx, ddl); err != nil {
			return fmt.Errorf("create %s: %w", table, err)
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
		tag, err := conn.PgConn().CopyFrom(ctx, pr, "COPY "+table+" FROM STDIN (FORMAT csv)")
		pr.Close()
		if err != nil {
			return fmt.Errorf("copy %s: %w", table, err)
		}
		if _, err := conn.Exec(ctx, "VACUUM (ANALYZE) "+table); err != nil {
			return fmt.Errorf("vacuum analyze %s: %w", table, err)
		}
		log.Info().Str("table", table).Int64("rows", tag.RowsAffected()).Dur("took", time.Since(start)).Msg("loaded into PostgreSQL")
		return nil
	}
	if err := load("events", datagen.EventsCreateTable, func(w io.Writer) error {
		return datagen.WriteEventsCSV(w, opts.rows)
	}); err != nil {
		return err
	}
	return load("candidates", datagen.CandidatesCreateTable, func(w io.Writer) error {
		return datagen.WriteCandidatesCSV(w, opts.candidates)
	})
}

// timeQuery runs sql once to warm up, then at least runs times (see
// timeAlternating), reading and discarding every row; it returns the
// median time and the row count.
func timeQuery(ctx context.Context, conn *pgx.Conn, sql string, runs int, timeout time.Duration) (time.Duration, int64, error) {
	side := &timedQuery{conn: conn, sql: sql}
	timeAlternating(ctx, []*timedQuery{side}, runs, timeout)
	return side.median, side.rows, side.err
}

// timeQueryPair times sql on conn and other on otherConn in alternation
// (see timeAlternating) and returns both medians and sql's row count, or
// the first error either met.
func timeQueryPair(ctx context.Context, conn *pgx.Conn, sql string, otherConn *pgx.Conn, other string, runs int, timeout time.Duration) (a, b time.Duration, n int64, err error) {
	sa, sb := &timedQuery{conn: conn, sql: sql}, &timedQuery{conn: otherConn, sql: other}
	timeAlternating(ctx, []*timedQuery{sa, sb}, runs, timeout)
	switch {
	case sa.err != nil:
		return 0, 0, 0, sa.err
	case sb.err != nil:
		return 0, 0, 0, fmt.Errorf("%s: %w", other, sb.err)
	}
	return sa.median, sb.median, sa.rows, nil
}

// timedQuery is one query timeAlternating times, and what it measured.
type timedQuery struct {
	conn *pgx.Conn
	sql  string

	// median is the median time of the timed runs, rows the row count of
	// the last run, err the error that ended the query's runs.
	median time.Duration
	rows   int64
	err    error
}

// timeAlternating times the queries in alternation, run by run, each run
// starting with the next query in turn, after one warm-up run of each,
// reading and discarding every row. The ratio of two systems' times is
// then not biased by the machine's speed drifting over the measurement,
// which on a shared machine moves a query's time by tens of percent within
// minutes, nor by what one system's earlier queries left the machine doing.
//
// Each query runs at least runs timed runs. Fast queries run on until one
// of them has run shortRunsTime in all (at most maxShortRuns runs), so that
// a median is the steady latency of a repeated query, not that of the
// first runs after the warm-up, which the caches of the CPU, the kernel and
// both programs still slow down by tens of microseconds. A query whose run
// fails keeps its error and is not run again; the others go on. Each run
// may take at most timeout.
func timeAlternating(ctx context.Context, queries []*timedQuery, runs int, timeout time.Duration) {
	times := make([][]time.Duration, len(queries))
	totals := make([]time.Duration, len(queries))
	live := 0
	for _, q := range queries {
		if q.rows, q.err = runOnce(ctx, q.conn, q.sql, timeout); q.err == nil {
			live++
		}
	}
	done := func(i int) bool {
		if i < runs {
			return false
		}
		if i >= maxShortRuns {
			return true
		}
		for j, q := range queries {
			if q.err == nil && totals[j] >= shortRunsTime {
				return true
			}
		}
		return false
	}
	for i := 0; live > 0 && !done(i); i++ {
		for k := range queries {
			j := (i + k) % len(queries)
			q := queries[j]
			if q.err != nil {
				continue
			}
			var d time.Duration
			if d, q.rows, q.err = timeOnce(ctx, q.conn, q.sql, timeout); q.err != nil {
				live--
				continue
			}
			times[j] = append(times[j], d)
			totals[j] += d
		}
	}
	for j, q := range queries {
		if q.err == nil {
			q.median = median(times[j])
		}
	}
}

// A query faster than shortRunsTime/maxShortRuns runs maxShortRuns times;
// one slower than shortRunsTime/runs runs runs times.
const (
	shortRunsTime = time.Second
	maxShortRuns  = 1000
)

// timeOnce runs sql with args as runOnce does and returns the time it took
// and the row count.
func timeOnce(ctx context.Context, conn *pgx.Conn, sql string, timeout time.Duration, args ...any) (time.Duration, int64, error) {
	start := time.Now()
	n, err := runOnce(ctx, conn, sql, timeout, args...)
	return time.Since(start), n, err
}

// runOnce runs sql with args (as pgx's Query takes them: a leading
// pgx.QueryExecMode selects the protocol), reads and discards every row, and
// returns the row count.
func runOnce(ctx context.Context, conn *pgx.Conn, sql string, timeout time.Duration, args ...any) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	rows, err := conn.Query(ctx, sql, args...)
	if err != nil {
		return 0, err
	}
	var n int64
	for rows.Next() {
		_ = rows.RawValues()
		n++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	return n, nil
}

// maxCompareRows bounds the results compared value by value.
const maxCompareRows = 10_000

// compareResults checks that both systems return the same rows, in text
// format, ignoring order; floats may differ in the last digits.
func compareResults(ctx context.Context, pgConn, pqConn *pgx.Conn, q query, r result) string {
	if r.pgErr != nil || r.pqErr != nil {
		return "error"
	}
	if r.pgRows != r.pqRows {
		return fmt.Sprintf("MISMATCH: %d rows vs %d", r.pqRows, r.pgRows)
	}
	if r.pgRows > maxCompareRows {
		return "same row count"
	}
	return compareRows(ctx, pgConn, q.sql, pqConn, q.sql)
}

// compareRows compares the rows of pgSQL on PostgreSQL with those of pqSQL
// on pqsql, both sorted, which the caller knows to be as many: "same rows",
// or what differs.
func compareRows(ctx context.Context, pgConn *pgx.Conn, pgSQL string, pqConn *pgx.Conn, pqSQL string) string {
	want, err := textRows(ctx, pgConn, pgSQL)
	if err != nil {
		return "error: " + err.Error()
	}
	got, err := textRows(ctx, pqConn, pqSQL)
	if err != nil {
		return "error: " + err.Error()
	}
	for i := range want {
		if !sameRow(got[i], want[i]) {
			return fmt.Sprintf("MISMATCH: %v vs %v", got[i], want[i])
		}
	}
	return "same rows"
}

// textRows returns a query's rows in text format, sorted.
func textRows(ctx context.Context, conn *pgx.Conn, sql string) ([][]string, error) {
	results, err := conn.PgConn().Exec(ctx, sql).ReadAll()
	if err != nil {
		return nil, err
	}
	var rows [][]string
	for _, res := range results {
		for _, raw := range res.Rows {
			row := make([]string, len(raw))
			for i, v := range raw {
				if v == nil {
					row[i] = "NULL"
				} else {
					row[i] = string(v)
				}
			}
			rows = append(rows, row)
		}
	}
	slices.SortFunc(rows, func(a, b []string) int { return slices.Compare(a, b) })
	return rows, nil
}

func sameRow(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] == b[i] {
			continue
		}
		fa, errA := strconv.ParseFloat(a[i], 64)
		fb, errB := strconv.ParseFloat(b[i], 64)
		if errA != nil || errB != nil || math.Abs(fa-fb) > 1e-9*math.Max(math.Abs(fa), math.Abs(fb)) {
			return false
		}
	}
	return true
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// resetPeakRSS resets a process's peak resident set size (VmHWM).
func resetPeakRSS(pid int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

// vmHWM returns a process's peak resident set size in bytes.
func vmHWM(pid int) (int64, error) {
	return procStatusKB(fmt.Sprintf("/proc/%d/status", pid), "VmHWM:")
}

// procStatusKB reads a "Key:   123 kB" line of a /proc file, in bytes.
func procStatusKB(path, key string) (int64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, key); ok {
			f := strings.Fields(rest)
			if len(f) == 0 {
				break
			}
			kb, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				return 0, err
			}
			return kb * 1024, nil
		}
	}
	return 0, fmt.Errorf("%s: no %s line", path, key)
}

func fmtDur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
	}
}

// cpuModel returns the CPU's model name from /proc/cpuinfo.
func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for line := range strings.Lines(string(data)) {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

// memTotal returns the machine's memory from /proc/meminfo.
func memTotal() string {
	b, err := procStatusKB("/proc/meminfo", "MemTotal:")
	if err != nil {
		return "unknown"
	}
	return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30))
}

// syncBuffer is a bytes buffer safe for concurrent writes and reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
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

func (b *syncBuffer) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Reset()
}
