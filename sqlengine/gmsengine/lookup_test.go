package gmsengine

import (
	"errors"
	"fmt"
	"io"
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
