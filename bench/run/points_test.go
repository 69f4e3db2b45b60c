package main

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	var s []time.Duration
	for i := 1; i <= 2000; i++ {
		s = append(s, time.Duration(i))
	}
	for _, tt := range []struct {
		in   []time.Duration
		p    float64
		want time.Duration
	}{
		{nil, 99, 0},
		{[]time.Duration{7}, 99, 7},
		{[]time.Duration{7}, 0, 7},
		{[]time.Duration{1, 2, 3, 4}, 50, 2},
		{[]time.Duration{1, 2, 3, 4}, 75, 3},
		{[]time.Duration{1, 2, 3, 4}, 99, 4},
		{[]time.Duration{1, 2, 3, 4}, 100, 4},
		{s, 99, 1980}, // nearest rank: ceil(0.99*2000) = 1980
		{s[:100], 99, 99},
		{s[:101], 99, 100}, // ceil(99.99) = 100
	} {
		if got := percentile(tt.in, tt.p); got != tt.want {
			t.Errorf("percentile(%d values, %v) = %v, want %v", len(tt.in), tt.p, got, tt.want)
		}
	}
}

func TestSummarize(t *testing.T) {
	if got := summarize(nil); got != (latency{}) {
		t.Errorf("summarize(nil) = %+v", got)
	}
	// 99 fast lookups and one cold one: the median and p99 stay low, the
	// mean shows the cold lookup.
	ds := []time.Duration{1000 * time.Microsecond}
	for range 99 {
		ds = append(ds, 10*time.Microsecond)
	}
	in := slices.Clone(ds)
	got := summarize(ds)
	want := latency{median: 10 * time.Microsecond, p99: 10 * time.Microsecond, mean: (1000 + 99*10) * time.Microsecond / 100}
	if got != want {
		t.Errorf("summarize = %+v, want %+v", got, want)
	}
	if !slices.Equal(ds, in) {
		t.Error("summarize reordered its argument")
	}
}

func TestPointIDs(t *testing.T) {
	const rows = 1000
	a := pointIDs(pointSeed, rows, 2000)
	if len(a) != 2000 {
		t.Fatalf("%d ids, want 2000", len(a))
	}
	for _, id := range a {
		if id < 1 || id > rows {
			t.Fatalf("id %d outside 1..%d", id, rows)
		}
	}
	if b := pointIDs(pointSeed, rows, 2000); !slices.Equal(a, b) {
		t.Error("same seed, other ids")
	}
	if b := pointIDs(pointSeed+1, rows, 2000); slices.Equal(a, b) {
		t.Error("other seed, same ids")
	}
	if b := pointIDs(pointSeed, rows, 10); !slices.Equal(a[:10], b) {
		t.Errorf("first 10 ids %v, want %v", b, a[:10])
	}
	distinct := make(map[int64]bool)
	for _, id := range a {
		distinct[id] = true
	}
	if len(distinct) < rows/2 { // 2000 draws from 1000 cover ~865 ids
		t.Errorf("%d distinct ids of 1..%d", len(distinct), rows)
	}
}

func TestPointCases(t *testing.T) {
	const rows = 200_000
	prepared, same, random := pointCases[0], pointCases[1], pointCases[2]
	if sql, args := prepared.statement(42); sql != pointSQL || len(args) != 1 || args[0] != int64(42) {
		t.Errorf("prepared statement = %q %v", sql, args)
	}
	if sql, args := random.statement(42); sql != "SELECT * FROM events WHERE id = 42" || len(args) != 1 {
		t.Errorf("simple statement = %q %v", sql, args)
	}
	for _, id := range same.ids(rows, 5) {
		if id != q3ID(rows) {
			t.Errorf("repeated id %d, want Q3's %d", id, q3ID(rows))
		}
	}
	if sql, _ := same.statement(same.ids(rows, 1)[0]); sql != queries(rows)[2].sql {
		t.Errorf("repeated simple lookup %q, want Q3's %q", sql, queries(rows)[2].sql)
	}
	if a, b := prepared.ids(rows, 100), random.ids(rows, 100); slices.Equal(a, b) {
		t.Error("prepared and simple random lookups use the same ids")
	}
}

func TestWritePoints(t *testing.T) {
	r := &report{opts: options{rows: 200_000}}
	var empty strings.Builder
	r.writePoints(&empty)
	if empty.Len() != 0 {
		t.Errorf("no point results, wrote %q", empty.String())
	}
	us := time.Microsecond
	r.points = []pointResult{
		{pointCase: pointCases[0], ids: pointCases[0].idsLabel(200_000),
			pg: latency{20 * us, 40 * us, 25 * us}, pq: latency{50 * us, 200 * us, 80 * us}, check: "1 row each"},
		{pointCase: pointCases[1], ids: pointCases[1].idsLabel(200_000),
			pg: latency{20 * us, 40 * us, 25 * us}, pqErr: errors.New("boom\nagain"), check: "error"},
	}
	var b strings.Builder
	r.writePoints(&b)
	got := b.String()
	for _, want := range []string{
		"\n### Point queries\n\n",
		"2,000 lookups",
		"1..200,000",
		"| protocol | ids | PostgreSQL median | p99 | mean | pqsql median | p99 | mean | pqsql/PostgreSQL median | p99 | mean | check |\n" +
			"|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n",
		"| prepared, id bound as $1 | random, seed 4 | 20 µs | 40 µs | 25 µs | 50 µs | 200 µs | 80 µs | 2.50 | 5.00 | 3.20 | 1 row each |\n",
		"| simple, id as a literal | id 100000 repeated (Q3's) | 20 µs | 40 µs | 25 µs | error | error | error | - | - | - | error |\n",
		"- point lookups, simple, id as a literal, id 100000 repeated (Q3's): pqsql error: boom again\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("writePoints lacks %q in\n%s", want, got)
		}
	}
	if err := r.err(); err == nil || !strings.Contains(err.Error(), "point lookups") {
		t.Errorf("report.err() = %v, want the point lookups' error", err)
	}

	// -postgres-only: pqsql's cells are "-", and that is no error.
	r.points = []pointResult{{pointCase: pointCases[2], ids: pointCases[2].idsLabel(200_000),
		pg: latency{20 * us, 40 * us, 25 * us}, pqErr: errNotMeasured, check: pointCheck(pointResult{pqErr: errNotMeasured}, "", "")}}
	b.Reset()
	r.writePoints(&b)
	if want := "| simple, id as a literal | random, seed 5 | 20 µs | 40 µs | 25 µs | - | - | - | - | - | - | 1 row each (PostgreSQL) |\n"; !strings.Contains(b.String(), want) {
		t.Errorf("writePoints lacks %q in\n%s", want, b.String())
	}
	if strings.Contains(b.String(), "error") {
		t.Errorf("-postgres-only reported as an error:\n%s", b.String())
	}
	if err := r.err(); err != nil {
		t.Errorf("report.err() = %v with -postgres-only", err)
	}
}

func TestPointCheck(t *testing.T) {
	for _, tt := range []struct {
		r            pointResult
		pgBad, pqBad string
		want         string
	}{
		{pointResult{}, "", "", "1 row each"},
		{pointResult{}, "lookup 3 (id 7) returned 0 rows", "", "MISMATCH: PostgreSQL lookup 3 (id 7) returned 0 rows"},
		{pointResult{}, "", "lookup 1 (id 9) returned 2 rows", "MISMATCH: pqsql lookup 1 (id 9) returned 2 rows"},
		{pointResult{pgErr: errors.New("x")}, "", "", "error"},
		{pointResult{pqErr: errors.New("x")}, "", "", "error"},
	} {
		if got := pointCheck(tt.r, tt.pgBad, tt.pqBad); got != tt.want {
			t.Errorf("pointCheck(%v, %q, %q) = %q, want %q", tt.r, tt.pgBad, tt.pqBad, got, tt.want)
		}
	}
}
