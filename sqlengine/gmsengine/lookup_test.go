package gmsengine

import (
	"fmt"
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
