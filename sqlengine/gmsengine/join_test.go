package gmsengine

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/rs/zerolog"

	"github.com/pqsql/pqsql/tables"
)

const peopleRows = 1000

var peopleSchema = arrow.NewSchema([]arrow.Field{
	{Name: "person_id", Type: arrow.BinaryTypes.String},
	{Name: "status", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "score", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
}, nil)

// personID is the key of person i (1-based), in ascending order, so that
// every row group covers a distinct key range, as in candidates.parquet.
func personID(i int) string { return fmt.Sprintf("P-%04d", i) }

// peopleBatch builds persons [from, to), 1-based: every fifth is hired and
// person i scores i.
func peopleBatch(from, to int) arrow.RecordBatch {
	b := array.NewRecordBuilder(memory.DefaultAllocator, peopleSchema)
	defer b.Release()
	for i := from; i < to; i++ {
		b.Field(0).(*array.StringBuilder).Append(personID(i))
		status := "open"
		if i%5 == 0 {
			status = "hired"
		}
		b.Field(1).(*array.StringBuilder).Append(status)
		b.Field(2).(*array.Int64Builder).Append(int64(i))
	}
	return b.NewRecordBatch()
}

// joinEngine serves events (integer key id) and people (text key
// person_id), each 1000 rows in 10 row groups, and counts the row groups
// each table decodes.
func joinEngine(t *testing.T) (e *Engine, events, people *scanHooks) {
	t.Helper()
	dir := t.TempDir()
	var recs []arrow.RecordBatch
	for from := 0; from < eventRows; from += rowGroupRows {
		recs = append(recs, eventsBatch(from, from+rowGroupRows))
	}
	writeParquet(t, filepath.Join(dir, "events.parquet"), recs...)
	recs = nil
	for from := 1; from <= peopleRows; from += rowGroupRows {
		recs = append(recs, peopleBatch(from, from+rowGroupRows))
	}
	writeParquet(t, filepath.Join(dir, "people.parquet"), recs...)
	ctx := context.Background()
	cat, err := tables.Open(ctx, dir, tables.Options{
		KeyColumns: map[string]string{"events": "id", "people": "person_id"},
		Logger:     zerolog.Nop(),
	})
	if err != nil {
		t.Fatalf("tables.Open: %v", err)
	}
	e, err = New(ctx, cat, Options{Database: "db", Logger: zerolog.Nop()})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = e.Close() })
	events, people = &scanHooks{}, &scanHooks{}
	e.db.adapter(e.catalog.Table("events"), false).hooks = events
	e.db.adapter(e.catalog.Table("people"), false).hooks = people
	return e, events, people
}

// analyzedPlan returns the plan GMS executes for the single statement q.
func analyzedPlan(t *testing.T, s any, q string) (*sql.Context, sql.Node) {
	t.Helper()
	ss := s.(*session)
	stmts, err := ss.Prepare(context.Background(), q, nil)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	st := stmts[0].(*statement)
	sctx := ss.newContext(context.Background(), q)
	node, err := ss.e.gms.BoundQueryPlan(sctx, ss.nextKey(), st.parsed, nil)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return sctx, node
}

// inspectPlan calls f on every node of n, subqueries' plans included.
func inspectPlan(ctx *sql.Context, n sql.Node, f func(sql.Node)) { inspectAll(ctx, n, f) }

// joinOps lists the join operators of a plan.
func joinOps(ctx *sql.Context, n sql.Node) []plan.JoinType {
	var ops []plan.JoinType
	inspectPlan(ctx, n, func(n sql.Node) {
		if j, ok := n.(*plan.JoinNode); ok {
			ops = append(ops, j.Op)
		}
	})
	return ops
}

// prunedTables lists the pqsql tables of a plan read through a pruning
// lookup, as "table.column".
func prunedTables(ctx *sql.Context, n sql.Node) []string {
	var out []string
	inspectPlan(ctx, n, func(n sql.Node) {
		ita, ok := n.(*plan.IndexedTableAccess)
		if !ok {
			return
		}
		if pi, ok := ita.Index().(*pruneIndex); ok {
			out = append(out, pi.t.name+"."+pi.colName())
		}
	})
	return out
}

// TestJoinsOnKeyUseHashJoins checks that joins on the key column, which GMS
// used to run as nested loops decoding the inner table once per outer row,
// are hash joins that read each side once, and return the right rows.
func TestJoinsOnKeyUseHashJoins(t *testing.T) {
	e, events, people := joinEngine(t)
	s := openSession(t, e, nil)
	for _, tc := range []struct {
		name string
		q    string
		want [][]any
		// rowGroups bounds the row groups decoded: each side at most once.
		rowGroups int
	}{
		{"self join", `SELECT count(*) FROM people a JOIN people b ON b.person_id = a.person_id`,
			[][]any{{int64(1000)}}, 20},
		// Hired (every 5th) on one side, score > 500 on the other: 505..1000.
		{"self join, filters on both sides", `SELECT count(*) FROM people a JOIN people b ON b.person_id = a.person_id WHERE a.status = 'hired' AND b.score > 500`,
			[][]any{{int64(100)}}, 20},
		// Row i (0-based) has id i+1 and num 10*i: 10 < i < 500.
		{"integer key, filters on both sides", `SELECT count(*) FROM events a JOIN events b ON b.id = a.id WHERE a.num > 100 AND b.num < 5000`,
			[][]any{{int64(489)}}, 20},
		{"two tables", `SELECT count(*) FROM people p JOIN events e ON e.id = p.score WHERE p.status = 'hired' AND e.num < 5000`,
			[][]any{{int64(100)}}, 20},
		{"left join", `SELECT count(*), count(b.person_id) FROM people a LEFT JOIN people b ON b.person_id = a.person_id AND b.status = 'hired'`,
			[][]any{{int64(1000), int64(200)}}, 20},
		{"left join, filters on both sides", `SELECT count(*), count(b.person_id) FROM people a LEFT JOIN people b ON b.person_id = a.person_id AND b.status = 'hired' WHERE a.score > 10`,
			[][]any{{int64(990), int64(198)}}, 20},
		{"in subquery", `SELECT count(*) FROM people WHERE person_id IN (SELECT person_id FROM people WHERE status = 'hired')`,
			[][]any{{int64(200)}}, 20},
		{"not in subquery", `SELECT count(*) FROM people WHERE person_id NOT IN (SELECT person_id FROM people WHERE status = 'hired')`,
			[][]any{{int64(800)}}, 20},
		{"exists", `SELECT count(*) FROM people a WHERE EXISTS (SELECT 1 FROM people b WHERE b.person_id = a.person_id AND b.score <= 100)`,
			[][]any{{int64(100)}}, 20},
		{"not exists", `SELECT count(*) FROM people a WHERE NOT EXISTS (SELECT 1 FROM people b WHERE b.person_id = a.person_id AND b.status = 'hired')`,
			[][]any{{int64(800)}}, 20},
		{"values", `SELECT p.person_id, p.score FROM people p JOIN (VALUES ('P-0042'), ('P-0999'), ('none')) v(k) ON p.person_id = v.k ORDER BY 1`,
			[][]any{{"P-0042", int64(42)}, {"P-0999", int64(999)}}, 10},
		// The constant key prunes its side to one row group; GMS does not
		// carry it over to the other side, which is read once.
		{"key lookup in a join", `SELECT a.score, b.status FROM people a JOIN people b ON b.person_id = a.person_id WHERE a.person_id = 'P-0555'`,
			[][]any{{int64(555), "hired"}}, 11},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, node := analyzedPlan(t, s, tc.q)
			ops := joinOps(ctx, node)
			if len(ops) == 0 {
				t.Fatalf("no join in plan:\n%s", sql.DebugString(ctx, node))
			}
			for _, op := range ops {
				if !op.IsHash() {
					t.Errorf("join %s is not a hash join; plan:\n%s", op, sql.DebugString(ctx, node))
				}
			}
			events.rowGroups, people.rowGroups = 0, 0
			res := mustQuery(t, s, tc.q)
			if fmt.Sprint(res.rows) != fmt.Sprint(tc.want) {
				t.Errorf("rows = %v, want %v", res.rows, tc.want)
			}
			if n := events.rowGroups + people.rowGroups; n > tc.rowGroups {
				t.Errorf("decoded %d row groups, want at most %d", n, tc.rowGroups)
			}
		})
	}
}

// TestPruningOutsideJoins checks that constant predicates still prune row
// groups outside joins: in plain queries, derived tables and subqueries.
func TestPruningOutsideJoins(t *testing.T) {
	e, events, people := joinEngine(t)
	s := openSession(t, e, nil)
	for _, tc := range []struct {
		name      string
		q         string
		want      [][]any
		pruned    []string
		rowGroups int
	}{
		// (An extra predicate keeps the lookup in GMS: a plain key lookup
		// takes the key plan, see TestKeyPlanShapes.)
		{"text key", `SELECT score FROM people WHERE person_id = 'P-0042' AND score > 0`,
			[][]any{{int64(42)}}, []string{"people.person_id"}, 1},
		{"text key range", `SELECT count(*) FROM people WHERE person_id >= 'P-0950' AND person_id < 'P-0960'`,
			[][]any{{int64(10)}}, []string{"people.person_id"}, 1},
		{"derived table", `SELECT s FROM (SELECT score AS s FROM people WHERE person_id = 'P-0777') d`,
			[][]any{{int64(777)}}, []string{"people.person_id"}, 1},
		{"scalar subquery", `SELECT (SELECT name FROM events WHERE id = 555)`,
			[][]any{{"name-555"}}, []string{"events.id"}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, node := analyzedPlan(t, s, tc.q)
			if got := prunedTables(ctx, node); fmt.Sprint(got) != fmt.Sprint(tc.pruned) {
				t.Errorf("pruned tables = %v, want %v; plan:\n%s", got, tc.pruned, sql.DebugString(ctx, node))
			}
			events.rowGroups, people.rowGroups = 0, 0
			res := mustQuery(t, s, tc.q)
			if fmt.Sprint(res.rows) != fmt.Sprint(tc.want) {
				t.Errorf("rows = %v, want %v", res.rows, tc.want)
			}
			if n := events.rowGroups + people.rowGroups; n != tc.rowGroups {
				t.Errorf("decoded %d row groups, want %d", n, tc.rowGroups)
			}
		})
	}
}
