package gmsengine

import (
	"context"
	"fmt"
	"testing"
	"time"
	"os"
	"path/filepath"
	"github.com/rs/zerolog"
	"github.com/pqsql/pqsql/tables"

	"github.com/dolthub/go-mysql-server/sql"
)

func explorePlan(t *testing.T, s any, q string) string {
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
	return sql.DebugString(sctx, node)
}

func TestZZExplore(t *testing.T) {
	e := testEngine(t)
	hooks := &scanHooks{}
	e.db.adapter(e.catalog.Table("events"), false).hooks = hooks
	s := openSession(t, e, nil)
	for _, q := range []string{
		`SELECT count(*) FROM events a JOIN events b ON b.id = a.id`,
		`SELECT count(*) FROM events a JOIN events b ON b.name = a.name`,
		`SELECT count(*) FROM events a LEFT JOIN events b ON b.id = a.id`,
		`SELECT count(*) FROM events a WHERE a.id IN (SELECT b.id FROM events b WHERE b.num > 5)`,
		`SELECT count(*) FROM events a WHERE EXISTS (SELECT 1 FROM events b WHERE b.id = a.id)`,
		`SELECT count(*) FROM events a JOIN (VALUES (5), (600)) v(x) ON a.id = v.x`,
		`SELECT count(*) FROM events a JOIN events b ON b.id = a.id WHERE a.num > 100 AND b.num < 5000`,
	} {
		hooks.rowGroups = 0
		start := time.Now()
		res := mustQuery(t, s, q)
		fmt.Printf("=== %s\n%v rows=%v rg=%d %v\n%s\n", q, res.rows, len(res.rows), hooks.rowGroups, time.Since(start), explorePlan(t, s, q))
	}
}

func TestZZCandidates(t *testing.T) {
	dir := t.TempDir()
	b, _ := os.ReadFile("../../testdata/candidates.parquet")
	os.WriteFile(filepath.Join(dir, "candidates.parquet"), b, 0o644)
	b, _ = os.ReadFile("../../testdata/alltypes.parquet")
	os.WriteFile(filepath.Join(dir, "alltypes.parquet"), b, 0o644)
	ctx := context.Background()
	cat, err := tables.Open(ctx, dir, tables.Options{KeyColumns: map[string]string{"candidates": "candidate_id"}, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(ctx, cat, Options{Database: "db", Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	s := openSession(t, e, nil)
	for _, q := range []string{
		`SELECT count(*) FROM candidates a JOIN candidates b ON b.candidate_id = a.candidate_id`,
		`SELECT count(*) FROM (SELECT * FROM candidates WHERE years_experience > 5) a JOIN (SELECT * FROM candidates WHERE salary > 50000) b ON b.candidate_id = a.candidate_id`,
	} {
		fmt.Printf("=== %s\n%s\n", q, explorePlan(t, s, q))
	}
	for _, q := range []string{
		`SELECT count(*) FROM candidates a JOIN candidates b ON b.candidate_id = a.candidate_id`,
		`SELECT count(*) FROM (SELECT * FROM candidates WHERE years_experience > 5) a JOIN (SELECT * FROM candidates WHERE salary > 50000) b ON b.candidate_id = a.candidate_id`,
		`SELECT count(*) FROM candidates a JOIN candidates b ON b.candidate_id = a.candidate_id WHERE a.years_experience > 5 AND b.salary > 50000`,
	} {
		c2, cancel := context.WithTimeout(ctx, 25*time.Second)
		start := time.Now()
		res, err := query(c2, s, q)
		cancel()
		fmt.Println(q, res, err, time.Since(start))
	}
}
