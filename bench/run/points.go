package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"
)

// Point lookups beyond Q3's one repeated id: every lookup timed, no warm-up.
const (
	// pointLookups is the number of lookups of each case on each system.
	pointLookups = 2000
	// pointSeed draws the prepared lookups' random ids, pointSeed+1 the
	// simple-protocol lookups', so that these do not find the rows the
	// prepared ones left in the caches.
	pointSeed = 4
	// pointSQL is the prepared point lookup.
	pointSQL = "SELECT * FROM events WHERE id = $1"
)

// pointCase is one series of point lookups.
type pointCase struct {
	// simple sends the id as a literal over the simple protocol; otherwise
	// the lookup is prepared (pgx's default mode: the statement cached,
	// Bind/Execute/Sync, binary results).
	simple bool
	// seed draws random ids; 0 repeats Q3's id.
	seed uint64
}

// pointCases are the series measured, in order.
var pointCases = []pointCase{
	{simple: false, seed: pointSeed},
	{simple: true},
	{simple: true, seed: pointSeed + 1},
}

// protocol names the case's protocol in the report.
func (c pointCase) protocol() string {
	if c.simple {
		return "simple, id as a literal"
	}
	return "prepared, id bound as $1"
}

// idsLabel describes the case's ids in the report.
func (c pointCase) idsLabel(rows int64) string {
	if c.seed == 0 {
		return fmt.Sprintf("id %d repeated (Q3's)", q3ID(rows))
	}
	return fmt.Sprintf("random, seed %d", c.seed)
}

// ids returns the case's ids: n random ids, or Q3's id n times.
func (c pointCase) ids(rows int64, n int) []int64 {
	if c.seed == 0 {
		ids := make([]int64, n)
		for i := range ids {
			ids[i] = q3ID(rows)
		}
		return ids
	}
	return pointIDs(c.seed, rows, n)
}

// statement returns the query and the arguments of runOnce that look up id.
func (c pointCase) statement(id int64) (string, []any) {
	if c.simple {
		return fmt.Sprintf("SELECT * FROM events WHERE id = %d", id), []any{pgx.QueryExecModeSimpleProtocol}
	}
	return pointSQL, []any{id}
}

// pointIDs returns n ids drawn uniformly, with replacement, from 1..rows;
// the same seed gives the same ids in the same order.
func pointIDs(seed uint64, rows int64, n int) []int64 {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = 1 + rng.Int64N(rows)
	}
	return ids
}

// latency summarizes a series of timed runs.
type latency struct {
	median, p99, mean time.Duration
}

// summarize returns the median, 99th percentile and mean of ds.
func summarize(ds []time.Duration) latency {
	if len(ds) == 0 {
		return latency{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	return latency{median: median(s), p99: percentile(s, 99), mean: sum / time.Duration(len(s))}
}

// percentile returns the p-th percentile of sorted by the nearest-rank
// method: the smallest value that at least p% of the values do not exceed.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	n := len(sorted)
	rank := int(math.Ceil(p * float64(n) / 100))
	return sorted[min(max(rank, 1), n)-1]
}

// pointResult is one case's lookups on both systems.
type pointResult struct {
	pointCase
	ids          string
	pg, pq       latency
	check        string
	pgErr, pqErr error
}

// timeLookups looks up each id of ids in turn on conn as c says, timing
// every lookup, and returns the times and "" or, for the first lookup that
// did not return exactly one row, what it returned.
func timeLookups(ctx context.Context, conn *pgx.Conn, c pointCase, ids []int64, timeout time.Duration) ([]time.Duration, string, error) {
	times := make([]time.Duration, 0, len(ids))
	bad := ""
	for i, id := range ids {
		sql, args := c.statement(id)
		d, n, err := timeOnce(ctx, conn, sql, timeout, args...)
		if err != nil {
			return nil, "", fmt.Errorf("lookup %d (id %d): %w", i+1, id, err)
		}
		if n != 1 && bad == "" {
			bad = fmt.Sprintf("lookup %d (id %d) returned %d rows", i+1, id, n)
		}
		times = append(times, d)
	}
	return times, bad, nil
}

// pointCheck is the check cell of a case: whether every lookup returned
// exactly one row on both systems.
func pointCheck(r pointResult, pgBad, pqBad string) string {
	switch {
	case r.pgErr != nil || (r.pqErr != nil && !isNotMeasured(r.pqErr)):
		return "error"
	case pgBad != "":
		return "MISMATCH: PostgreSQL " + pgBad
	case pqBad != "":
		return "MISMATCH: pqsql " + pqBad
	case isNotMeasured(r.pqErr):
		return "1 row each (PostgreSQL)"
	}
	return "1 row each"
}

// measurePoints times pointCases on PostgreSQL, then, unless pqConn is nil,
// on pqsql. A connection an error closed is opened again with its
// connection string for the next case.
func measurePoints(ctx context.Context, opts options, pgConn *pgx.Conn, pgConnString string, pqConn *pgx.Conn, pqConnString string, log zerolog.Logger) ([]pointResult, error) {
	var opened []*pgx.Conn
	defer func() {
		for _, c := range opened {
			c.Close(context.Background())
		}
	}()
	reopen := func(conn **pgx.Conn, connString, what string) error {
		if !(*conn).IsClosed() {
			return nil
		}
		c, err := pgx.Connect(ctx, connString)
		if err != nil {
			return fmt.Errorf("reconnect to %s: %w", what, err)
		}
		opened = append(opened, c)
		*conn = c
		return nil
	}
	var results []pointResult
	for _, c := range pointCases {
		ids := c.ids(opts.rows, pointLookups)
		r := pointResult{pointCase: c, ids: c.idsLabel(opts.rows)}
		log.Info().Str("protocol", c.protocol()).Str("ids", r.ids).Int("lookups", len(ids)).Msg("running point lookups")
		times, pgBad, err := timeLookups(ctx, pgConn, c, ids, opts.queryTimeout)
		r.pg, r.pgErr = summarize(times), err
		if err != nil {
			if err := reopen(&pgConn, pgConnString, "PostgreSQL"); err != nil {
				return nil, err
			}
		}
		pqBad := ""
		if pqConn != nil {
			times, pqBad, err = timeLookups(ctx, pqConn, c, ids, opts.queryTimeout)
			r.pq, r.pqErr = summarize(times), err
			if err != nil {
				if err := reopen(&pqConn, pqConnString, "pqsql"); err != nil {
					return nil, err
				}
			}
		} else {
			r.pqErr = errNotMeasured
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		r.check = pointCheck(r, pgBad, pqBad)
		log.Info().Str("protocol", c.protocol()).Str("ids", r.ids).
			Dur("postgres_median", r.pg.median).Dur("postgres_p99", r.pg.p99).Dur("postgres_mean", r.pg.mean).
			Dur("pqsql_median", r.pq.median).Dur("pqsql_p99", r.pq.p99).Dur("pqsql_mean", r.pq.mean).
			Str("check", r.check).AnErr("pg_error", r.pgErr).AnErr("pqsql_error", r.pqErr).Msg("done")
		results = append(results, r)
	}
	return results, nil
}

// writePoints writes the point lookups' table.
func (r *report) writePoints(b *strings.Builder) {
	if len(r.points) == 0 {
		return
	}
	fmt.Fprintf(b, "\n### Point queries\n\n")
	fmt.Fprintf(b, "Q3 repeats one id after a warm-up; here %s lookups per row and system, every lookup timed, with no warm-up: "+
		"the first lookups pay for cold caches on both sides (and a prepared series for preparing its statement). "+
		"Random ids are drawn uniformly, with replacement, from 1..%s with a fixed seed, the same ids in the same order on both systems; "+
		"the simple-protocol series uses another seed than the prepared one, so as not to find the rows that one left in the caches. "+
		"Prepared: `%s` in pgx's default mode (statement cached, Bind/Execute/Sync, binary results). "+
		"Simple: the id as a literal over the simple protocol (pgx.QueryExecModeSimpleProtocol, text results), as psql and psycopg2 send it. "+
		"The rows run in order, each first on PostgreSQL, then on pqsql, after Q1-Q7. "+
		"Median and p99 (nearest rank) show the usual lookup; the mean shows what the rare slow lookups, the cold ones first, add to the total. "+
		"The check is that every lookup returned exactly 1 row on both systems.\n\n",
		fmtCount(pointLookups), fmtCount(r.opts.rows), pointSQL)
	fmt.Fprintf(b, "| protocol | ids | PostgreSQL median | p99 | mean | pqsql median | p99 | mean | pqsql/PostgreSQL median | p99 | mean | check |\n")
	fmt.Fprintf(b, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
	for _, p := range r.points {
		pg := latencyCells(p.pg, p.pgErr, r.opts)
		pq := latencyCells(p.pq, p.pqErr, r.opts)
		ratio := [3]string{"-", "-", "-"}
		if p.pgErr == nil && p.pqErr == nil {
			ratio = [3]string{fmtRatio(p.pq.median, p.pg.median), fmtRatio(p.pq.p99, p.pg.p99), fmtRatio(p.pq.mean, p.pg.mean)}
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			p.protocol(), p.ids, pg[0], pg[1], pg[2], pq[0], pq[1], pq[2], ratio[0], ratio[1], ratio[2], cell(p.check))
	}
	b.WriteString("\n")
	for _, p := range r.points {
		if p.pgErr != nil {
			fmt.Fprintf(b, "- point lookups, %s, %s: PostgreSQL error: %s\n", p.protocol(), p.ids, oneLine(p.pgErr.Error()))
		}
		if p.pqErr != nil && !isNotMeasured(p.pqErr) {
			fmt.Fprintf(b, "- point lookups, %s, %s: pqsql error: %s\n", p.protocol(), p.ids, oneLine(p.pqErr.Error()))
		}
	}
}

// latencyCells are the median, p99 and mean cells of one system.
func latencyCells(l latency, err error, opts options) [3]string {
	switch {
	case isNotMeasured(err):
		return [3]string{"-", "-", "-"}
	case err != nil:
		c := errCell(err, opts)
		return [3]string{c, c, c}
	}
	return [3]string{fmtDur(l.median), fmtDur(l.p99), fmtDur(l.mean)}
}

func isNotMeasured(err error) bool {
	return errors.Is(err, errNotMeasured)
}
