package gmsengine

import (
	"errors"
	"fmt"
	"io"
	"math"
	"testing"
)

// TestOuterColumnDoesNotPruneInnerTable checks that a correlated
// subquery's predicate on an outer column does not prune the inner table
// that has a column of the same name: the lookup must only use the scanned
// table's own columns.
func TestOuterColumnDoesNotPruneInnerTable(t *testing.T) {
	e, _, _ := joinEngine(t)
	s := openSession(t, e, nil)
	for _, tc := range []struct {
		q    string
		want string
	}{
		{`SELECT count(*) FROM events a WHERE EXISTS (SELECT 1 FROM events b WHERE a.id = 5 AND b.id = a.id + 500)`, "[[1]]"},
		{`SELECT a.id FROM events a WHERE a.id IN (5, 6) AND EXISTS (SELECT 1 FROM events b WHERE a.id = 5 AND b.id = 900)`, "[[5]]"},
		{`SELECT (SELECT count(*) FROM events b WHERE a.id = 7 AND b.id > 990) FROM events a WHERE a.id IN (7, 8) ORDER BY a.id`, "[[10] [0]]"},
		// The scanned table's own predicates still use the key index.
		{`SELECT count(*) FROM events a WHERE EXISTS (SELECT 1 FROM events b WHERE b.id = 5 AND b.id = a.id)`, "[[1]]"},
	} {
		res := mustQuery(t, s, tc.q)
		if got := fmt.Sprint(res.rows); got != tc.want {
			t.Errorf("%s\n rows = %v, want %s", tc.q, got, tc.want)
		}
	}
}

// TestPartitionsReleaseSnapshot checks that closing a table's partition
// iterator releases the snapshot its partitions read (so that files a
// VACUUM replaced go as soon as the scans opened from it end), while
// rows opened before keep reading.
func TestPartitionsReleaseSnapshot(t *testing.T) {
	e := vacuumEngine(t, vacuumSecret)
	root := openAs(t, e, "root")
	sctx := root.(*session).newContext(t.Context(), "")
	tbl := e.db.adapter(e.catalog.Table("events"), false)
	iter, err := tbl.Partitions(sctx)
	if err != nil {
		t.Fatal(err)
	}
	first, err := iter.Next(sctx)
	if err != nil {
		t.Fatal(err)
	}
	second, err := iter.Next(sctx)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := tbl.PartitionRows(sctx, first)
	if err != nil {
		t.Fatal(err)
	}
	if err := iter.Close(sctx); err != nil {
		t.Fatal(err)
	}
	// VACUUM replaces the files; the open rows still hold theirs.
	mustQuery(t, root, `DELETE FROM events WHERE id = 3`)
	mustQuery(t, root, `VACUUM events`)
	n := 0
	for {
		if _, err := rows.Next(sctx); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatalf("rows opened before VACUUM: %v", err)
			}
			break
		}
		n++
	}
	if n != rowGroupRows {
		t.Errorf("rows opened before VACUUM read %d rows, want %d", n, rowGroupRows)
	}
	_ = rows.Close(sctx)
	// With the rows closed nothing holds the old files any more, unless
	// the closed partitions kept their snapshot.
	if _, err := tbl.PartitionRows(sctx, second); err == nil {
		t.Errorf("PartitionRows of a replaced file after the partitions were closed succeeded: the snapshot was not released")
	}
}

// TestNegativeZeroKeepsSign checks that float -0 results keep their sign,
// as in PostgreSQL, although GMS's projection turns -0 into 0, and that
// statements sorting or grouping on such values still work.
func TestNegativeZeroKeepsSign(t *testing.T) {
	e := testEngine(t)
	s := openSession(t, e, nil)
	res := mustQuery(t, s, `SELECT -0.0::float8, -(0::float8), -(0::float4), 0::float8, 1.5::float8 LIMIT 1`)
	want := []bool{true, true, true, false, false}
	for i, v := range res.rows[0] {
		var neg bool
		switch f := v.(type) {
		case float64:
			neg = f == 0 && math.Signbit(f)
		case float32:
			neg = f == 0 && math.Signbit(float64(f))
		default:
			t.Fatalf("column %d = %T %v, want a float", i, v, v)
		}
		if neg != want[i] {
			t.Errorf("column %d = %v: negative zero %v, want %v", i, v, neg, want[i])
		}
	}
	for _, q := range []string{
		`SELECT -(id - id)::float8 AS z FROM events WHERE id < 4 ORDER BY z`,
		`SELECT DISTINCT -(id - id)::float8 FROM events WHERE id < 4`,
		`SELECT -(id - id)::float8 FROM events WHERE id < 3 UNION SELECT 0::float8`,
	} {
		if res := mustQuery(t, s, q); len(res.rows) == 0 {
			t.Errorf("%s: no rows", q)
		}
	}
}

// TestScanWithDeletedRowsAndFilter checks rows GMS reads from batches that
// carry deleted rows (tables.Batch.Rows), with and without a pushed-down
// filter on another column.
func TestScanWithDeletedRowsAndFilter(t *testing.T) {
	e := testEngine(t)
	w := openSessionAs(t, e, "wendy")
	mustQuery(t, w, `DELETE FROM events WHERE id IN (3, 4, 6, 9, 12, 40)`)
	deleted := map[int]bool{3: true, 4: true, 6: true, 9: true, 12: true, 40: true}
	var wantA, wantAll []any
	for i := 1; i <= 50; i++ {
		if deleted[i] {
			continue
		}
		wantAll = append(wantAll, int64(i))
		if g, ok := groupOf(i); ok && g == "a" {
			wantA = append(wantA, int64(i))
		}
	}
	column := func(q string) []any {
		var out []any
		for _, r := range mustQuery(t, w, q).rows {
			out = append(out, r[0])
		}
		return out
	}
	if got := column(`SELECT id FROM events WHERE grp = 'a' AND id <= 50 ORDER BY id`); fmt.Sprint(got) != fmt.Sprint(wantA) {
		t.Errorf("filtered: %v, want %v", got, wantA)
	}
	if got := column(`SELECT id FROM events WHERE id <= 50 ORDER BY id`); fmt.Sprint(got) != fmt.Sprint(wantAll) {
		t.Errorf("unfiltered: %v, want %v", got, wantAll)
	}
	if got := column(`SELECT count(*) FROM events WHERE name LIKE 'name-%'`); fmt.Sprint(got) != fmt.Sprint([]any{int64(eventRows - 6)}) {
		t.Errorf("count: %v, want %d", got, eventRows-6)
	}
}
