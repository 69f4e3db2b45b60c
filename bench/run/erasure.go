package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"
)

// pgCopy is the PostgreSQL table the erasure sections delete from: a copy of
// events made afresh for each fixture, so that events itself stays intact.
const pgCopy = "events_x"

// setupBatch is the number of ids one set-up DELETE of the tombstone and
// VACUUM sections deletes (see deleteAll).
const setupBatch = 100_000

// Seeds of the ids each section deletes; fixed, so that re-runs delete the
// same rows.
const (
	deleteSeed    = 1
	tombstoneSeed = 2
	vacuumSeed    = 3
)

// erasure runs the sections that delete rows. Each section works on a
// fixture: a fresh copy of the pqsql data directory served by its own pqsql
// process, and a fresh copy of the events table in PostgreSQL, so that the
// cached data and the PostgreSQL events table stay pristine.
type erasure struct {
	opts    options
	log     zerolog.Logger
	bin     string // pqsql binary
	cfgPath string // pqsql configuration (benchConfig)
	source  string // the cached data directory
	work    string // scratch directory for the copies
	pgConn  *pgx.Conn
}

// fixture is one section's copy of the data on both systems.
type fixture struct {
	dir     string
	pq      *pqsqlProcess
	writer  *pgx.Conn // pqsql, as the writer
	admin   *pgx.Conn // pqsql, as the administrator
	deleter *deleter  // on writer
}

// newFixture copies the data directory's Parquet files (not its state
// directory), starts pqsql on the copy, and replaces PostgreSQL's pgCopy
// with a copy of events with the same primary key. PostgreSQL is left
// durable (setDurable), as pqsql's DELETE is.
func (e *erasure) newFixture(ctx context.Context, name string) (_ *fixture, err error) {
	f := &fixture{dir: filepath.Join(e.work, name)}
	defer func() {
		if err != nil {
			f.close()
		}
	}()
	if err := os.MkdirAll(f.dir, 0o755); err != nil {
		return nil, err
	}
	for _, file := range []string{"events.parquet", "candidates.parquet"} {
		if err := copyFile(filepath.Join(f.dir, file), filepath.Join(e.source, file)); err != nil {
			return nil, err
		}
	}
	if f.pq, err = startPQSQL(ctx, e.bin, f.dir, e.cfgPath, e.log); err != nil {
		return nil, err
	}
	if f.writer, err = pgx.Connect(ctx, f.pq.connString(writerUser)); err != nil {
		return nil, fmt.Errorf("connect to pqsql as %s: %w", writerUser, err)
	}
	f.deleter = newDeleter(f.writer, "events", min(e.opts.deleteTimeout, e.opts.queryTimeout))
	if f.admin, err = pgx.Connect(ctx, f.pq.connString(adminUser)); err != nil {
		return nil, fmt.Errorf("connect to pqsql as %s: %w", adminUser, err)
	}

	start := time.Now()
	if err := setDurable(ctx, e.pgConn, false); err != nil {
		return nil, err
	}
	for _, sql := range []string{
		"DROP TABLE IF EXISTS " + pgCopy,
		"CREATE TABLE " + pgCopy + " AS SELECT * FROM events",
		"ALTER TABLE " + pgCopy + " ADD PRIMARY KEY (id)",
		"VACUUM (ANALYZE) " + pgCopy,
	} {
		if _, err := e.pgConn.Exec(ctx, sql); err != nil {
			return nil, fmt.Errorf("PostgreSQL: %s: %w", sql, err)
		}
	}
	if err := setDurable(ctx, e.pgConn, true); err != nil {
		return nil, err
	}
	e.log.Info().Str("fixture", name).Dur("postgres_copy", time.Since(start)).Msg("fixture ready")
	return f, nil
}

// close stops pqsql and removes the copy; PostgreSQL's copy stays until the
// next fixture replaces it.
func (f *fixture) close() {
	for _, c := range []*pgx.Conn{f.writer, f.admin} {
		if c != nil {
			c.Close(context.Background())
		}
	}
	if f.pq != nil {
		f.pq.stop()
	}
	os.RemoveAll(f.dir)
}

// copyFile copies src to a new file dst.
func copyFile(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s: %w", src, err)
	}
	return out.Close()
}

// idPicker draws distinct random ids from 1..rows, never the same one twice.
type idPicker struct {
	rng  *rand.Rand
	rows int64
	used map[int64]bool
}

func newIDPicker(seed uint64, rows int64) *idPicker {
	return &idPicker{rng: rand.New(rand.NewPCG(seed, 0x5eed)), rows: rows, used: make(map[int64]bool)}
}

// next returns n ids not returned before. It panics when fewer than n ids
// are left.
func (p *idPicker) next(n int) []int64 {
	if int64(len(p.used)+n) > p.rows {
		panic(fmt.Sprintf("idPicker: %d ids wanted, %d left", n, p.rows-int64(len(p.used))))
	}
	ids := make([]int64, 0, n)
	for len(ids) < n {
		id := 1 + p.rng.Int64N(p.rows)
		if !p.used[id] {
			p.used[id] = true
			ids = append(ids, id)
		}
	}
	return ids
}

// deleteSQL returns DELETE FROM table WHERE id IN ($1, ..., $n).
func deleteSQL(table string, n int) string {
	var b strings.Builder
	b.WriteString("DELETE FROM ")
	b.WriteString(table)
	b.WriteString(" WHERE id IN (")
	for i := 1; i <= n; i++ {
		if i > 1 {
			b.WriteString(", ")
		}
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(i))
	}
	b.WriteString(")")
	return b.String()
}

// int8OID is PostgreSQL's type OID of int8 (bigint).
const int8OID = 20

// deleter runs DELETE FROM table WHERE id IN ($1, ..., $n) on one
// connection as prepared statements whose parameters are declared int8 and
// sent in binary, one statement per n, prepared on first use. Declaring the
// types is what drivers such as JDBC do for setLong; pgx's default of
// taking them from the server's description does not work against pqsql,
// which describes the parameters of an IN list as text.
type deleter struct {
	conn     *pgx.Conn
	table    string
	timeout  time.Duration
	prepared map[int]string
}

func newDeleter(conn *pgx.Conn, table string, timeout time.Duration) *deleter {
	return &deleter{conn: conn, table: table, timeout: timeout, prepared: make(map[int]string)}
}

// delete deletes ids with one statement and checks that each id deleted
// one row. It returns the time of the statement alone, without preparing.
func (d *deleter) delete(ctx context.Context, ids []int64) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	name, ok := d.prepared[len(ids)]
	if !ok {
		name = fmt.Sprintf("bench_delete_%d", len(ids))
		oids := make([]uint32, len(ids))
		for i := range oids {
			oids[i] = int8OID
		}
		if _, err := d.conn.PgConn().Prepare(ctx, name, deleteSQL(d.table, len(ids)), oids); err != nil {
			return 0, err
		}
		d.prepared[len(ids)] = name
	}
	params := make([][]byte, len(ids))
	for i, id := range ids {
		params[i] = binary.BigEndian.AppendUint64(nil, uint64(id))
	}
	start := time.Now()
	tag, err := d.conn.PgConn().ExecPrepared(ctx, name, params, []int16{1}, nil).Close()
	took := time.Since(start)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return 0, fmt.Errorf("%w: more than %v", errTimeout, d.timeout)
		}
		return 0, err
	}
	if tag.RowsAffected() != int64(len(ids)) {
		return 0, fmt.Errorf("%s: %d rows deleted, want %d", tag, tag.RowsAffected(), len(ids))
	}
	return took, nil
}

// deleteAll deletes ids from pqsql's events (as the writer) and
// PostgreSQL's pgCopy, in the order given, batch ids per statement. This is
// set-up, not measured, setupBatch ids per statement: pqsql's DELETE costs
// mostly per statement, not per id. The ids go into the SQL text as constants, since
// pqsql skips row groups by the key's statistics and matches through a hash
// set only for constant IN lists (with parameters it scans the whole table
// and compares each row with every parameter, which would take hours for
// 10% of 10M rows); callers sort ids so that a batch spans few row groups.
func (e *erasure) deleteAll(ctx context.Context, f *fixture, ids []int64) error {
	for _, side := range []struct {
		name  string
		conn  *pgx.Conn
		table string
		took  time.Duration
	}{
		{"pqsql", f.writer, "events", 0},
		{"PostgreSQL", e.pgConn, pgCopy, 0},
	} {
		start := time.Now()
		for b := range slices.Chunk(ids, setupBatch) {
			if err := deleteLiteral(ctx, side.conn, side.table, b, e.opts.queryTimeout); err != nil {
				return fmt.Errorf("%s: %w", side.name, err)
			}
		}
		e.log.Info().Str("system", side.name).Int("rows", len(ids)).Int("batch", setupBatch).Dur("took", time.Since(start)).Msg("deleted")
	}
	return nil
}

// deleteLiteral deletes ids from table with one DELETE whose IN list holds
// the ids as constants, and checks that each id deleted one row.
func deleteLiteral(ctx context.Context, conn *pgx.Conn, table string, ids []int64, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var b strings.Builder
	b.WriteString("DELETE FROM ")
	b.WriteString(table)
	b.WriteString(" WHERE id IN (")
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(id, 10))
	}
	b.WriteString(")")
	tag, err := conn.Exec(ctx, b.String(), pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		return err
	}
	if tag.RowsAffected() != int64(len(ids)) {
		return fmt.Errorf("%s: %d rows deleted, want %d", tag, tag.RowsAffected(), len(ids))
	}
	return nil
}

// close deallocates the prepared statements.
func (d *deleter) close(ctx context.Context) error {
	for n, name := range d.prepared {
		if err := d.conn.PgConn().Deallocate(ctx, name); err != nil {
			return fmt.Errorf("deallocate %s: %w", name, err)
		}
		delete(d.prepared, n)
	}
	return nil
}

// errTimeout marks a DELETE of the delete section that took longer than
// -delete-timeout.
var errTimeout = errors.New("timeout")

// deleteResult is the DELETE latency with one IN list size.
type deleteResult struct {
	keys         int
	pg, pq       time.Duration // medians
	pgErr, pqErr error
}

// deleteKeys are the IN list sizes the DELETE section measures.
var deleteKeys = []int{1, 1000}

// measureDelete times DELETE ... WHERE id IN ($1, ...) with each of
// deleteKeys random ids: one warm-up run and opts.runs timed runs per size
// and system, every run with ids no earlier run deleted; both systems delete
// the same ids.
func (e *erasure) measureDelete(ctx context.Context) ([]deleteResult, error) {
	need := 0
	for _, n := range deleteKeys {
		need += n * (e.opts.runs + 1)
	}
	if int64(need) > e.opts.rows {
		return nil, fmt.Errorf("the DELETE section needs at least %d rows", need)
	}
	f, err := e.newFixture(ctx, "delete")
	if err != nil {
		return nil, err
	}
	defer f.close()
	pgDel := newDeleter(e.pgConn, pgCopy, min(e.opts.deleteTimeout, e.opts.queryTimeout))
	defer pgDel.close(ctx)
	picker := newIDPicker(deleteSeed, e.opts.rows)
	var results []deleteResult
	for _, n := range deleteKeys {
		batches := make([][]int64, e.opts.runs+1)
		for i := range batches {
			batches[i] = picker.next(n)
		}
		r := deleteResult{keys: n}
		// PostgreSQL first: a pqsql DELETE that times out may go on
		// running in the server until the fixture stops it.
		r.pg, r.pgErr = timeDeletes(ctx, pgDel, batches)
		r.pq, r.pqErr = timeDeletes(ctx, f.deleter, batches)
		if r.pqErr != nil && f.writer.IsClosed() {
			if f.writer, err = pgx.Connect(ctx, f.pq.connString(writerUser)); err != nil {
				return results, fmt.Errorf("reconnect to pqsql: %w", err)
			}
			f.deleter = newDeleter(f.writer, "events", f.deleter.timeout)
		}
		e.log.Info().Int("keys", n).Dur("postgres", r.pg).Dur("pqsql", r.pq).
			AnErr("pg_error", r.pgErr).AnErr("pqsql_error", r.pqErr).Msg("DELETE done")
		results = append(results, r)
	}
	return results, nil
}

// timeDeletes deletes each batch with one statement and returns the median
// time of all but the first (warm-up) one.
func timeDeletes(ctx context.Context, del *deleter, batches [][]int64) (time.Duration, error) {
	var times []time.Duration
	for i, ids := range batches {
		d, err := del.delete(ctx, ids)
		if err != nil {
			return 0, err
		}
		if i > 0 {
			times = append(times, d)
		}
	}
	return median(times), nil
}

// tombstoneQueries are the queries the tombstone section times, on pqsql's
// events; PostgreSQL runs them on pgCopy.
var tombstoneQueries = []query{
	{"Q2", "SELECT country, count(*), sum(amount) FROM events GROUP BY country"},
	{"Q5", "SELECT * FROM events"},
}

// tombstoneLevels are the numbers of deleted rows the tombstone section
// measures at; 0 is the base of the overheads.
var tombstoneLevels = []int{0, 1000, 100_000}

// tombstoneResult is one query's times with some rows deleted.
type tombstoneResult struct {
	query
	tombstones int
	pg, pq     time.Duration
	// pqRaw is pqsql's time for the query on __raw__events, run in
	// alternation with it: the same files read without tombstones.
	pqRaw        time.Duration
	rows         int64
	check        string
	pgErr, pqErr error
}

// measureTombstones times tombstoneQueries on both systems with
// tombstoneLevels rows deleted: random ids, deleted by deleteAll.
func (e *erasure) measureTombstones(ctx context.Context) ([]tombstoneResult, error) {
	f, err := e.newFixture(ctx, "tombstones")
	if err != nil {
		return nil, err
	}
	defer f.close()
	reader, err := pgx.Connect(ctx, f.pq.connString(readerUser))
	if err != nil {
		return nil, fmt.Errorf("connect to pqsql: %w", err)
	}
	defer reader.Close(context.Background())

	picker := newIDPicker(tombstoneSeed, e.opts.rows)
	var results []tombstoneResult
	deleted := 0
	for _, level := range tombstoneLevels {
		if int64(level) >= e.opts.rows {
			e.log.Warn().Int("tombstones", level).Msg("skipped: not fewer than -rows")
			continue
		}
		ids := picker.next(level - deleted)
		slices.Sort(ids)
		if err := e.deleteAll(ctx, f, ids); err != nil {
			return results, err
		}
		deleted = level
		for _, q := range tombstoneQueries {
			r := tombstoneResult{query: q, tombstones: level}
			pgSQL := strings.Replace(q.sql, "FROM events", "FROM "+pgCopy, 1)
			var pqRows, pgRows int64
			rawSQL := strings.Replace(q.sql, "FROM events", "FROM __raw__events", 1)
			r.pq, r.pqRaw, pqRows, r.pqErr = timeQueryPair(ctx, reader, q.sql, f.admin, rawSQL, e.opts.runs, e.opts.queryTimeout)
			r.pg, pgRows, r.pgErr = timeQuery(ctx, e.pgConn, pgSQL, e.opts.runs, e.opts.queryTimeout)
			r.rows = pgRows
			r.check = e.checkTombstones(ctx, reader, q, pgSQL, r, pqRows, pgRows, int64(level))
			e.log.Info().Str("query", q.name).Int("tombstones", level).Dur("postgres", r.pg).Dur("pqsql", r.pq).
				Str("check", r.check).AnErr("pg_error", r.pgErr).AnErr("pqsql_error", r.pqErr).Msg("done")
			results = append(results, r)
			if reader.IsClosed() || e.pgConn.IsClosed() {
				return results, errors.New("connection lost")
			}
		}
	}
	return results, nil
}

// checkTombstones compares the rows of a tombstone section query on both
// systems; Q5 must return the rows not deleted.
func (e *erasure) checkTombstones(ctx context.Context, pq *pgx.Conn, q query, pgSQL string, r tombstoneResult, pqRows, pgRows, deleted int64) string {
	if r.pgErr != nil || r.pqErr != nil {
		return "error"
	}
	if pqRows != pgRows {
		return fmt.Sprintf("MISMATCH: %d rows vs %d", pqRows, pgRows)
	}
	if q.name == "Q5" {
		if want := e.opts.rows - deleted; pgRows != want {
			return fmt.Sprintf("MISMATCH: %d rows, want %d", pgRows, want)
		}
		return "same row count"
	}
	ctx, cancel := context.WithTimeout(ctx, e.opts.queryTimeout)
	defer cancel()
	return compareRows(ctx, e.pgConn, pgSQL, pq, q.sql)
}

// vacuumResult is one VACUUM measurement.
type vacuumResult struct {
	name    string
	deleted int
	// pqsql's VACUUM events: time, peak RSS during it, Parquet bytes before
	// and after, and the error if it failed (then the section says n/a).
	pq                     time.Duration
	pqPeakRSS              int64
	pqRSSBefore            int64 // pqsql's RSS when its VACUUM started
	pqBytesBefore, pqBytes int64
	pqErr                  error
	pg                     time.Duration // VACUUM FULL
	pgBytesBefore, pgBytes int64
	pgErr                  error
	check                  string
}

// measureVacuum deletes 1,000 random rows, then every 10th row, each on a
// fresh fixture, and times pqsql's VACUUM events against PostgreSQL's
// VACUUM FULL on the same rows. A failing pqsql VACUUM (not wired yet, say)
// is recorded in the result, not returned.
func (e *erasure) measureVacuum(ctx context.Context) ([]vacuumResult, error) {
	scenarios := []struct {
		name string
		ids  func() []int64
	}{
		{"1,000 random rows", func() []int64 {
			ids := newIDPicker(vacuumSeed, e.opts.rows).next(min(1000, int(e.opts.rows)))
			slices.Sort(ids)
			return ids
		}},
		{"10% (every 10th id)", func() []int64 {
			ids := make([]int64, 0, e.opts.rows/10)
			for id := int64(10); id <= e.opts.rows; id += 10 {
				ids = append(ids, id)
			}
			return ids
		}},
	}
	var results []vacuumResult
	for i, sc := range scenarios {
		f, err := e.newFixture(ctx, fmt.Sprintf("vacuum-%d", i))
		if err != nil {
			return results, err
		}
		r, err := e.vacuumOnce(ctx, f, sc.name, sc.ids())
		f.close()
		if err != nil {
			return results, err
		}
		results = append(results, r)
	}
	return results, nil
}

// vacuumOnce deletes ids on both systems and vacuums both.
func (e *erasure) vacuumOnce(ctx context.Context, f *fixture, name string, ids []int64) (vacuumResult, error) {
	r := vacuumResult{name: name, deleted: len(ids)}
	if err := e.deleteAll(ctx, f, ids); err != nil {
		return r, err
	}
	var err error
	if r.pqBytesBefore, err = eventsBytes(f.dir); err != nil {
		return r, err
	}
	if err := e.pgConn.QueryRow(ctx, "SELECT pg_total_relation_size($1::regclass)", pgCopy).Scan(&r.pgBytesBefore); err != nil {
		return r, fmt.Errorf("PostgreSQL: table size: %w", err)
	}

	if err := resetPeakRSS(f.pq.pid()); err != nil {
		e.log.Warn().Err(err).Msg("cannot reset pqsql's peak RSS; VmHWM covers the whole process")
	}
	// The peak cannot be below the RSS the VACUUM starts with (what the
	// DELETEs left): logged to tell the two apart.
	r.pqRSSBefore, _ = procStatusKB(fmt.Sprintf("/proc/%d/status", f.pq.pid()), "VmRSS:")
	vctx, cancel := context.WithTimeout(ctx, e.opts.queryTimeout)
	start := time.Now()
	_, r.pqErr = f.admin.Exec(vctx, "VACUUM events")
	r.pq = time.Since(start)
	cancel()
	if r.pqErr == nil {
		if r.pqPeakRSS, err = vmHWM(f.pq.pid()); err != nil {
			e.log.Warn().Err(err).Msg("read pqsql's peak RSS")
		}
		if r.pqBytes, err = eventsBytes(f.dir); err != nil {
			return r, err
		}
	}

	vctx, cancel = context.WithTimeout(ctx, e.opts.queryTimeout)
	start = time.Now()
	_, r.pgErr = e.pgConn.Exec(vctx, "VACUUM FULL "+pgCopy)
	r.pg = time.Since(start)
	cancel()
	if r.pgErr == nil {
		if err := e.pgConn.QueryRow(ctx, "SELECT pg_total_relation_size($1::regclass)", pgCopy).Scan(&r.pgBytes); err != nil {
			return r, fmt.Errorf("PostgreSQL: table size: %w", err)
		}
	}
	r.check = e.checkVacuum(ctx, f, r)
	e.log.Info().Str("vacuum", name).Dur("postgres", r.pg).Dur("pqsql", r.pq).Int64("pqsql_peak_rss", r.pqPeakRSS).Int64("pqsql_rss_before", r.pqRSSBefore).
		Str("check", r.check).AnErr("pg_error", r.pgErr).AnErr("pqsql_error", r.pqErr).Msg("done")
	return r, nil
}

// checkVacuum compares count(*) after the VACUUMs with the rows left.
func (e *erasure) checkVacuum(ctx context.Context, f *fixture, r vacuumResult) string {
	want := e.opts.rows - int64(r.deleted)
	var pq, pg int64
	if err := f.writer.QueryRow(ctx, "SELECT count(*) FROM events").Scan(&pq); err != nil {
		return "error: " + err.Error()
	}
	if err := e.pgConn.QueryRow(ctx, "SELECT count(*) FROM "+pgCopy).Scan(&pg); err != nil {
		return "error: " + err.Error()
	}
	if pq != want || pg != want {
		return fmt.Sprintf("MISMATCH: count(*) %d vs %d, want %d", pq, pg, want)
	}
	return "same count(*)"
}

// eventsBytes returns the size of the events table's Parquet file in dir
// (a VACUUM rewrites events.parquet in place, by rename).
func eventsBytes(dir string) (int64, error) {
	fi, err := os.Stat(filepath.Join(dir, "events.parquet"))
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}
