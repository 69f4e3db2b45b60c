package main

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	tests := []struct {
		in   []time.Duration
		want time.Duration
	}{
		{nil, 0},
		{[]time.Duration{3}, 3},
		{[]time.Duration{5, 1, 3}, 3},
		{[]time.Duration{4, 1, 3, 2}, 2}, // (2+3)/2 rounded down
		{[]time.Duration{10, 1, 7, 3, 9}, 7},
	}
	for _, tt := range tests {
		if got := median(tt.in); got != tt.want {
			t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestSameRow(t *testing.T) {
	tests := []struct {
		a, b []string
		want bool
	}{
		{[]string{"US", "10"}, []string{"US", "10"}, true},
		{[]string{"US", "10"}, []string{"DE", "10"}, false},
		{[]string{"50.123456789012345"}, []string{"50.12345678901234"}, true},
		{[]string{"50.1"}, []string{"50.2"}, false},
		{[]string{"NULL"}, []string{"0"}, false},
		{[]string{"a"}, []string{"a", "b"}, false},
	}
	for _, tt := range tests {
		if got := sameRow(tt.a, tt.b); got != tt.want {
			t.Errorf("sameRow(%v, %v) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestQueriesPointLookup(t *testing.T) {
	for _, tt := range []struct {
		rows int64
		want string
	}{
		{10_000_000, "id = 5000000"},
		{200_000, "id = 100000"},
		{20_000_000, "id = 5000000"},
	} {
		q := queries(tt.rows)
		if len(q) != 7 || q[2].name != "Q3" || !strings.HasSuffix(q[2].sql, tt.want) {
			t.Errorf("queries(%d)[2] = %+v, want ... %s", tt.rows, q[2], tt.want)
		}
	}
}

func TestProcStatusKB(t *testing.T) {
	path := t.TempDir() + "/status"
	if err := os.WriteFile(path, []byte("Name:\tpqsql\nVmPeak:\t  2000 kB\nVmHWM:\t  1536 kB\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := procStatusKB(path, "VmHWM:")
	if err != nil || got != 1536*1024 {
		t.Errorf("procStatusKB = %d, %v; want %d", got, err, 1536*1024)
	}
	if _, err := procStatusKB(path, "VmRSS:"); err == nil {
		t.Error("procStatusKB of a missing key succeeded")
	}
}

func TestParseSections(t *testing.T) {
	got, err := parseSections("queries, vacuum")
	if err != nil || len(got) != 2 || !got[secQueries] || !got[secVacuum] {
		t.Errorf("parseSections(queries, vacuum) = %v, %v", got, err)
	}
	got, err = parseSections(strings.Join(allSections, ","))
	if err != nil || len(got) != len(allSections) {
		t.Errorf("parseSections(all) = %v, %v", got, err)
	}
	for _, bad := range []string{"", ",", "queries,nosuch"} {
		if _, err := parseSections(bad); err == nil {
			t.Errorf("parseSections(%q) succeeded", bad)
		}
	}
}

func TestCommandLine(t *testing.T) {
	got := commandLine([]string{"-rows", "200000", "-out", "a b.md"})
	want := `go run -tags gms_pure_go ./bench/run -rows 200000 -out "a b.md"`
	if got != want {
		t.Errorf("commandLine = %s, want %s", got, want)
	}
}

func TestDeleteSQL(t *testing.T) {
	if got, want := deleteSQL("events", 3), "DELETE FROM events WHERE id IN ($1, $2, $3)"; got != want {
		t.Errorf("deleteSQL = %q, want %q", got, want)
	}
}

func TestIDPicker(t *testing.T) {
	const rows = 50
	p := newIDPicker(1, rows)
	seen := make(map[int64]bool)
	var all []int64
	for _, n := range []int{1, 10, 39} {
		for _, id := range p.next(n) {
			if id < 1 || id > rows || seen[id] {
				t.Fatalf("id %d out of range or repeated", id)
			}
			seen[id] = true
			all = append(all, id)
		}
	}
	if len(seen) != rows {
		t.Errorf("%d distinct ids, want %d", len(seen), rows)
	}
	q := newIDPicker(1, rows)
	if again := q.next(len(all)); !slices.Equal(again, all) {
		t.Errorf("same seed, other ids: %v vs %v", again, all)
	}
}

func TestMergeReports(t *testing.T) {
	prev := "# pqsql benchmarks\n\nold intro\n\n## Queries Q1-Q7\n\nold queries\n\n## VACUUM\n\nold vacuum\n\n## Setup\n\nobsolete\n"
	cur := "# pqsql benchmarks\n\nnew intro\n\n## DELETE\n\nnew delete\n\n## VACUUM\n\nnew vacuum\n"
	want := "# pqsql benchmarks\n\nnew intro\n\n## Queries Q1-Q7\n\nold queries\n\n## DELETE\n\nnew delete\n\n## VACUUM\n\nnew vacuum\n"
	if got := mergeReports(prev, cur); got != want {
		t.Errorf("mergeReports =\n%s\nwant\n%s", got, want)
	}
	if got := mergeReports("", cur); got != cur {
		t.Errorf("mergeReports with no old report =\n%s\nwant\n%s", got, cur)
	}
}

func TestFormatting(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 100000: "100,000", 10000000: "10,000,000", -1000: "-1,000"} {
		if got := fmtCount(n); got != want {
			t.Errorf("fmtCount(%d) = %s, want %s", n, got, want)
		}
	}
	if got := fmtOverhead(110, 100); got != "+10.0%" {
		t.Errorf("fmtOverhead(110, 100) = %s", got)
	}
	if got := fmtOverhead(95, 100); got != "-5.0%" {
		t.Errorf("fmtOverhead(95, 100) = %s", got)
	}
	if got := fmtOverhead(1, 0); got != "-" {
		t.Errorf("fmtOverhead(1, 0) = %s", got)
	}
	if got := cell("a|b\nc"); got != `a\|b c` {
		t.Errorf("cell = %q", got)
	}
}
