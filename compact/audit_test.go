package compact

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pqsql/pqsql/tombstone"
)

func TestKeyHash(t *testing.T) {
	k := tombstone.TextKey("alice@example.org")
	h := KeyHash(testSecret, k)
	if len(h) != 64 || h != KeyHash(testSecret, tombstone.TextKey("alice@example.org")) {
		t.Errorf("KeyHash = %q, not a stable hex SHA-256", h)
	}
	if h == KeyHash([]byte("other"), k) || h == KeyHash(testSecret, tombstone.BytesKey([]byte("alice@example.org"))) {
		t.Error("KeyHash ignores the secret or the key kind")
	}
	if strings.Contains(h, "alice") {
		t.Error("hash contains the key")
	}
}

// TestErasuresTornTail checks that a partial last audit line (a crash
// while appending) is ignored when read and cut off by the next append.
func TestErasuresTornTail(t *testing.T) {
	dir := t.TempDir()
	writeRows(t, filepath.Join(dir, "s.parquet"), rowsOf(0, 20), 8)
	c := openCat(t, dir)
	defer c.Close()
	tbl := table(t, c, "s")
	deleteIDs(t, tbl, 3)
	vacuum(t, tbl)
	path, err := auditPath(tbl)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(`{"table":"s","seq":9`); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if er, err := Erasures(tbl); err != nil || len(er) != 1 {
		t.Fatalf("Erasures with a torn tail = %d, %v", len(er), err)
	}
	deleteIDs(t, tbl, 4, 5)
	vacuum(t, tbl)
	er, err := Erasures(tbl)
	if err != nil || len(er) != 3 {
		t.Fatalf("Erasures = %d, %v", len(er), err)
	}
	for i, id := range []int64{3, 4, 5} {
		if er[i].KeyHash != KeyHash(testSecret, tombstone.IntKey(id)) || er[i].RowsRemoved != 1 {
			t.Errorf("erasure %d = %+v", i, er[i])
		}
	}
	// A line damaged in the middle is corruption.
	data, _ := os.ReadFile(path)
	if err := os.WriteFile(path, append([]byte("{bad\n"), data...), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Erasures(tbl); err == nil {
		t.Error("Erasures accepted a damaged line")
	}
}

// TestErasureEncoderMatchesJSON checks that the audit's encoder writes
// what encoding/json writes, byte for byte, for plain and awkward strings
// and times, repeated (cached) or not.
func TestErasureEncoderMatchesJSON(t *testing.T) {
	strs := []string{"", "events", "alice", `say "hi"`, `back\slash`, "<b>&amp;</b>", "tab\there\n",
		"naïve ünïcode", "emoji 🚀", "\u2028line\u2029sep", "bad utf8 \xff\xfe", "ctl \x00\x1f\x7f"}
	times := []time.Time{
		time.Date(2026, 11, 21, 23, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 21, 23, 0, 0, 123456000, time.UTC),
		time.Date(2026, 11, 21, 23, 0, 0, 100, time.UTC),
		time.UnixMicro(1700000000123456).UTC(),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("x", 3600+30*60)),
		time.Date(2026, 1, 2, 3, 4, 5, 6, time.Local),
	}
	var enc erasureEncoder
	var got []byte
	for i := range 400 {
		e := Erasure{
			Table: strs[i%len(strs)], Seq: uint64(i) << 40, KeyColumn: strs[(i/3)%len(strs)],
			KeyHash: strs[(i/5)%len(strs)], DeletedAt: times[(i/2)%len(times)],
			Actor: strs[(i/7)%len(strs)], Reason: strs[(i/11)%len(strs)],
			VacuumedAt: times[(i/13)%len(times)], VacuumedBy: strs[i%5], VacuumSeq: uint64(i) * 7,
			RowsRemoved: int64(i) - 200,
		}
		want, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, '\n')
		got, err = enc.append(got[:0], &e)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("entry %d:\ngot  %s\nwant %s", i, got, want)
		}
	}
	// Times MarshalJSON rejects fail the encoder too.
	bad := Erasure{DeletedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
	if _, err := json.Marshal(bad); err == nil {
		t.Fatal("encoding/json accepted year 10000")
	}
	if _, err := enc.append(nil, &bad); err == nil {
		t.Error("erasureEncoder accepted year 10000")
	}
}
