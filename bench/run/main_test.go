package main

import (
	"os"
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
