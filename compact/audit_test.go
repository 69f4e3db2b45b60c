package compact

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

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
