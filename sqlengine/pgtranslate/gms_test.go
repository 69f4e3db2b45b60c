package pgtranslate

import (
	"context"
	"fmt"
	"strings"
	"testing"

	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/memory"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/vt/sqlparser"
)

// gmsFixture is an in-memory GMS engine with small tables holding NULLs.
type gmsFixture struct {
	engine *sqle.Engine
	ctx    *sql.Context
}

func newGMSFixture(t *testing.T) *gmsFixture {
	t.Helper()
	db := memory.NewDatabase("db")
	pro := memory.NewDBProvider(db)
	ctx := sql.NewContext(context.Background(), sql.WithSession(memory.NewSession(sql.NewBaseSession(), pro)))
	ctx.SetCurrentDatabase("db")

	items := memory.NewTable(ctx, db, "items", sql.NewPrimaryKeySchema(sql.Schema{
		{Name: "id", Type: types.Int64, Source: "items", PrimaryKey: true},
		{Name: "key", Type: types.LongText, Source: "items", Nullable: true},
		{Name: "grp", Type: types.LongText, Source: "items", Nullable: true},
		{Name: "n", Type: types.Int64, Source: "items", Nullable: true},
		{Name: "flag", Type: types.Boolean, Source: "items", Nullable: true},
	}), db.GetForeignKeyCollection())
	db.AddTable("items", items)
	for _, r := range []sql.Row{
		{int64(1), "apple", "x", int64(10), int8(1)},
		{int64(2), "Banana", "x", nil, int8(0)},
		{int64(3), "cherry", "y", int64(30), nil},
		{int64(4), nil, "y", int64(5), int8(1)},
		{int64(5), "date", nil, int64(20), int8(0)},
	} {
		if err := items.Insert(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	groups := memory.NewTable(ctx, db, "groups", sql.NewPrimaryKeySchema(sql.Schema{
		{Name: "grp", Type: types.LongText, Source: "groups", PrimaryKey: true},
		{Name: "label", Type: types.LongText, Source: "groups", Nullable: true},
	}), db.GetForeignKeyCollection())
	db.AddTable("groups", groups)
	for _, r := range []sql.Row{{"x", "ex"}, {"z", "zed"}} {
		if err := groups.Insert(ctx, r); err != nil {
			t.Fatal(err)
		}
	}

	engine := sqle.NewDefault(pro)
	// Stand-in for the engine's pqsql_div: integer division suffices here.
	engine.Analyzer.Catalog.RegisterFunction(ctx, sql.Function2{
		Name: "pqsql_div",
		Fn:   func(_ *sql.Context, a, b sql.Expression) sql.Expression { return expression.NewIntDiv(a, b) },
	})
	// Stand-ins for the engine's arithmetic operators: GMS's own operators
	// compute the same values on these integers.
	for name, op := range map[string]func(a, b sql.Expression) sql.Expression{
		"pqsql_add": func(a, b sql.Expression) sql.Expression { return expression.NewPlus(a, b) },
		"pqsql_sub": func(a, b sql.Expression) sql.Expression { return expression.NewMinus(a, b) },
		"pqsql_mul": func(a, b sql.Expression) sql.Expression { return expression.NewMult(a, b) },
		"pqsql_mod": func(a, b sql.Expression) sql.Expression { return expression.NewMod(a, b) },
	} {
		engine.Analyzer.Catalog.RegisterFunction(ctx, sql.Function2{
			Name: name,
			Fn:   func(_ *sql.Context, a, b sql.Expression) sql.Expression { return op(a, b) },
		})
	}
	// Stand-ins for pqsql_greatest and pqsql_least: GMS's, on arguments
	// that each fall back to the others when NULL, which skips NULLs.
	for name, fn := range map[string]func(*sql.Context, ...sql.Expression) (sql.Expression, error){
		"pqsql_greatest": function.NewGreatest, "pqsql_least": function.NewLeast,
	} {
		engine.Analyzer.Catalog.RegisterFunction(ctx, sql.FunctionN{Name: name, Fn: func(ctx *sql.Context, args ...sql.Expression) (sql.Expression, error) {
			guarded := make([]sql.Expression, len(args))
			for i := range args {
				alternatives := append([]sql.Expression{args[i]}, args[:i]...)
				alternatives = append(alternatives, args[i+1:]...)
				c, err := function.NewCoalesce(ctx, alternatives...)
				if err != nil {
					return nil, err
				}
				guarded[i] = c
			}
			return fn(ctx, guarded...)
		}})
	}
	// Stand-in for pqsql_distinct_key: the identity, the key of all but intervals.
	engine.Analyzer.Catalog.RegisterFunction(ctx, sql.FunctionN{Name: "pqsql_distinct_key", Fn: func(_ *sql.Context, args ...sql.Expression) (sql.Expression, error) {
		return args[0], nil
	}})
	// Stand-in for pqsql_concat_ws: GMS's agrees on text.
	engine.Analyzer.Catalog.RegisterFunction(ctx, sql.FunctionN{Name: "pqsql_concat_ws", Fn: function.NewConcatWithSeparator})
	// Stand-in for pqsql_substring: GMS's agrees for starts of 1 or more.
	engine.Analyzer.Catalog.RegisterFunction(ctx, sql.FunctionN{Name: "pqsql_substring", Fn: function.NewSubstring})
	engine.Analyzer.Catalog.RegisterFunction(ctx, sql.Function1{
		Name: "pqsql_neg",
		Fn:   func(_ *sql.Context, a sql.Expression) sql.Expression { return expression.NewUnaryMinus(a) },
	})
	// Stand-in for pqsql_cast, enough for tests that look at names only.
	engine.Analyzer.Catalog.RegisterFunction(ctx, sql.FunctionN{
		Name: "pqsql_cast",
		Fn:   func(_ *sql.Context, args ...sql.Expression) (sql.Expression, error) { return args[0], nil },
	})
	// Stand-in for the table function pqsql_generate_series: GMS wraps a
	// scalar function as a one-row table, enough to check the AST's shape.
	engine.Analyzer.Catalog.RegisterFunction(ctx, sql.FunctionN{
		Name: "pqsql_generate_series",
		Fn:   func(_ *sql.Context, args ...sql.Expression) (sql.Expression, error) { return args[0], nil },
	})
	return &gmsFixture{engine: engine, ctx: ctx}
}

// query translates and runs one PostgreSQL statement, returning the column
// names and each row rendered as values joined by "|".
func (f *gmsFixture) query(t *testing.T, query string, bindings map[string]sqlparser.Expr) ([]string, []string) {
	t.Helper()
	stmts, err := Parse(query)
	if err != nil {
		t.Fatalf("Parse(%q): %v", query, err)
	}
	if len(stmts) != 1 {
		t.Fatalf("Parse(%q): %d statements", query, len(stmts))
	}
	ast, err := Translate(stmts[0])
	if err != nil {
		t.Fatalf("Translate(%q): %v", query, err)
	}
	if bindings != nil {
		// With bindings GMS looks the statement up among the session's
		// prepared statements, and would otherwise re-parse the text as MySQL.
		if _, err := f.engine.PrepareParsedQuery(f.ctx, stmts[0].SQL, stmts[0].SQL, ast); err != nil {
			t.Fatalf("PrepareParsedQuery(%q): %v", sqlparser.String(ast), err)
		}
	}
	schema, iter, _, err := f.engine.QueryWithBindings(f.ctx, stmts[0].SQL, ast, bindings, nil)
	if err != nil {
		t.Fatalf("GMS rejected %q as %q: %v", query, sqlparser.String(ast), err)
	}
	rows, err := sql.RowIterToRows(f.ctx, iter)
	if err != nil {
		t.Fatalf("GMS failed on %q as %q: %v", query, sqlparser.String(ast), err)
	}
	var names []string
	for _, c := range schema {
		names = append(names, c.Name)
	}
	var out []string
	for _, r := range rows {
		vals := make([]string, len(r))
		for i, v := range r {
			vals[i] = fmt.Sprint(v)
		}
		out = append(out, strings.Join(vals, "|"))
	}
	return names, out
}

func TestGMSExecution(t *testing.T) {
	f := newGMSFixture(t)
	cases := []struct {
		query string
		want  []string
	}{
		// PostgreSQL orders NULL last ascending, first descending.
		{`SELECT id, n FROM items ORDER BY n`, []string{"4|5", "1|10", "5|20", "3|30", "2|<nil>"}},
		{`SELECT id, n FROM items ORDER BY n DESC`, []string{"2|<nil>", "3|30", "5|20", "1|10", "4|5"}},
		{`SELECT id, n FROM items ORDER BY n ASC NULLS FIRST LIMIT 2`, []string{"2|<nil>", "4|5"}},
		{`SELECT id, n FROM items ORDER BY n DESC NULLS LAST LIMIT 2`, []string{"3|30", "5|20"}},
		{`SELECT id, n AS m FROM items ORDER BY m LIMIT 2 OFFSET 3`, []string{"3|30", "2|<nil>"}},
		{`SELECT id, n FROM items ORDER BY 2 DESC, 1 LIMIT 2`, []string{"2|<nil>", "3|30"}},
		{`SELECT n + 100 AS id FROM items ORDER BY id`, []string{"105", "110", "120", "130", "<nil>"}},
		{`SELECT id FROM items ORDER BY id LIMIT ALL`, []string{"1", "2", "3", "4", "5"}},
		{`SELECT id FROM items ORDER BY id OFFSET 3`, []string{"4", "5"}},
		{`SELECT id FROM items ORDER BY id FETCH FIRST 2 ROWS ONLY`, []string{"1", "2"}},
		// Reserved MySQL words as identifiers, quoted identifiers.
		{`SELECT "key", key FROM items WHERE key = 'apple'`, []string{"apple|apple"}},
		{`SELECT id FROM public.items WHERE key IS NULL`, []string{"4"}},
		// Predicates.
		{`SELECT id FROM items WHERE key ILIKE 'b%'`, []string{"2"}},
		{`SELECT id FROM items WHERE key NOT ILIKE '%A%' ORDER BY id`, []string{"3"}},
		{`SELECT id FROM items WHERE key LIKE 'B%'`, []string{"2"}},
		{`SELECT id FROM items WHERE key ~ '^[a-c]' ORDER BY id`, []string{"1", "3"}},
		{`SELECT id FROM items WHERE key ~* '^b'`, []string{"2"}},
		{`SELECT id FROM items WHERE key !~ 'a' ORDER BY id`, []string{"3"}},
		{`SELECT id FROM items WHERE n IS DISTINCT FROM 10 ORDER BY id`, []string{"2", "3", "4", "5"}},
		{`SELECT id FROM items WHERE n IS NOT DISTINCT FROM NULL`, []string{"2"}},
		{`SELECT id FROM items WHERE flag IS NOT TRUE ORDER BY id`, []string{"2", "3", "5"}},
		{`SELECT id FROM items WHERE flag IS UNKNOWN`, []string{"3"}},
		{`SELECT id FROM items WHERE n BETWEEN 5 AND 20 ORDER BY id`, []string{"1", "4", "5"}},
		{`SELECT id FROM items WHERE n BETWEEN SYMMETRIC 20 AND 5 ORDER BY id`, []string{"1", "4", "5"}},
		{`SELECT id FROM items WHERE n NOT BETWEEN SYMMETRIC 20 AND 5 ORDER BY id`, []string{"3"}},
		{`SELECT id FROM items WHERE id IN (1, 3) OR NOT (n < 25) ORDER BY id`, []string{"1", "3"}},
		{`SELECT id FROM items WHERE id = ANY (ARRAY[2, 4]) ORDER BY id`, []string{"2", "4"}},
		{`SELECT id FROM items WHERE grp IN (SELECT grp FROM groups) ORDER BY id`, []string{"1", "2"}},
		{`SELECT id FROM items i WHERE EXISTS (SELECT 1 FROM groups g WHERE g.grp = i.grp) ORDER BY id`, []string{"1", "2"}},
		// Expressions.
		{`SELECT 'a' || key || '!', -n % 7, 7 / 2, CASE WHEN n > 10 THEN 'big' ELSE 'small' END FROM items WHERE id = 3`, []string{"acherry!|-2|3|big"}},
		{`SELECT upper(key), length(key), substring(key from 2 for 3), position('an' in key), trim(both 'a' from key) FROM items WHERE id = 2`, []string{"BANANA|6|ana|2|Banan"}},
		{`SELECT coalesce(n, 0), nullif(n, 10), greatest(1, 3, 2) FROM items WHERE id <= 2 ORDER BY id`, []string{"10|<nil>|3", "0|<nil>|3"}},
		{`SELECT greatest(n, 15), least(n, NULL), concat(key, NULL, '!'), key || NULL FROM items WHERE id <= 2 ORDER BY id`, []string{"15|10|apple!|<nil>", "15|<nil>|Banana!|<nil>"}},
		// Aggregates.
		{`SELECT grp, count(*), sum(n), count(DISTINCT flag) FROM items GROUP BY grp ORDER BY grp`, []string{"x|2|10|2", "y|2|35|1", "<nil>|1|20|1"}},
		{`SELECT grp, count(*) FILTER (WHERE n > 6), max(n) FILTER (WHERE flag) FROM items GROUP BY 1 HAVING count(*) > 1 ORDER BY 1`, []string{"x|1|10", "y|1|5"}},
		{`SELECT string_agg(key, ', ' ORDER BY key DESC) FROM items WHERE grp = 'x'`, []string{"apple, Banana"}},
		{`SELECT bool_and(flag), bool_or(flag) FROM items WHERE grp = 'x'`, []string{"0|1"}},
		{`SELECT DISTINCT grp FROM items ORDER BY grp`, []string{"x", "y", "<nil>"}},
		// Joins.
		{`SELECT i.id, g.label FROM items i JOIN groups g ON g.grp = i.grp ORDER BY 1`, []string{"1|ex", "2|ex"}},
		{`SELECT i.id, g.label FROM items i LEFT JOIN groups g USING (grp) WHERE i.id < 4 ORDER BY 1`, []string{"1|ex", "2|ex", "3|<nil>"}},
		{`SELECT g.label, count(i.id) FROM items i RIGHT JOIN groups g ON g.grp = i.grp GROUP BY g.label ORDER BY 1`, []string{"ex|2", "zed|0"}},
		{`SELECT count(*) FROM items i FULL JOIN groups g ON g.grp = i.grp`, []string{"6"}},
		{`SELECT count(*) FROM items, groups`, []string{"10"}},
		{`SELECT count(*) FROM items CROSS JOIN groups`, []string{"10"}},
		{`SELECT label FROM items NATURAL JOIN groups WHERE id = 1`, []string{"ex"}},
		// Subqueries, CTEs, set operations, VALUES.
		{`SELECT (SELECT max(n) FROM items) AS m, s.c FROM (SELECT count(*) AS c FROM items) s`, []string{"30|5"}},
		{`SELECT x FROM (SELECT id FROM items WHERE id < 3) AS s(x) ORDER BY x`, []string{"1", "2"}},
		{`WITH big AS (SELECT id FROM items WHERE n > 10) SELECT count(*) FROM big`, []string{"2"}},
		{`WITH RECURSIVE r(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM r WHERE k < 4) SELECT sum(k) FROM r`, []string{"10"}},
		{`SELECT grp FROM items UNION SELECT grp FROM groups ORDER BY 1`, []string{"x", "y", "z", "<nil>"}},
		{`SELECT grp FROM items INTERSECT SELECT grp FROM groups`, []string{"x"}},
		{`SELECT grp FROM groups EXCEPT SELECT grp FROM items`, []string{"z"}},
		{`VALUES (2, 'b'), (1, 'a') ORDER BY 1`, []string{"1|a", "2|b"}},
		{`SELECT v.b FROM (VALUES (1, 'one'), (2, 'two')) AS v(a, b) WHERE v.a = 2`, []string{"two"}},
		{`SELECT 1 + 2 * 3, TRUE, NULL, 1.5, 3000000000, 99999999999999999999`, []string{"7|true|<nil>|1.5|3000000000|99999999999999999999"}},
		{`SELECT p, q FROM groups AS g(p, q) ORDER BY p DESC`, []string{"z|zed", "x|ex"}},
		{`WITH w(a) AS (SELECT 1 AS x, 2 AS y) SELECT a, y FROM w`, []string{"1|2"}},
		{`SELECT s.a, s.y FROM (SELECT 1 AS x, 2 AS y) AS s(a)`, []string{"1|2"}},
		{`SELECT v.a, v.column2 FROM (VALUES (1, 2)) AS v(a)`, []string{"1|2"}},
		{`SELECT id FROM items WHERE id IN (VALUES (2), (3)) ORDER BY id USING >`, []string{"3", "2"}},
		{`SELECT id, count(*) OVER () FROM items WHERE key LIKE 'a%' ESCAPE '!'`, []string{"1|1"}},
		// Window functions.
		{`SELECT id, row_number() OVER (ORDER BY n DESC) FROM items ORDER BY id`, []string{"1|4", "2|1", "3|2", "4|5", "5|3"}},
		{`SELECT id, sum(n) OVER (PARTITION BY grp ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) FROM items WHERE grp = 'y' ORDER BY id`, []string{"3|30", "4|35"}},
		{`SELECT id, rank() OVER w FROM items WINDOW w AS (ORDER BY grp) ORDER BY id`, []string{"1|1", "2|1", "3|3", "4|3", "5|5"}},
		{`SELECT id, count(*) OVER (ORDER BY n RANGE BETWEEN 10 PRECEDING AND CURRENT ROW) FROM items WHERE n IS NOT NULL ORDER BY id`, []string{"1|2", "3|2", "4|1", "5|2"}},
		{`SELECT id, lag(n) OVER (ORDER BY id), first_value(key) OVER (PARTITION BY grp ORDER BY key DESC) FROM items WHERE id < 4 ORDER BY id`, []string{"1|<nil>|apple", "2|10|apple", "3|<nil>|cherry"}},
		{`SELECT id, lag(n) OVER (ORDER BY id) AS l FROM items ORDER BY l, id`, []string{"5|5", "2|10", "4|30", "1|<nil>", "3|<nil>"}},
		{`SELECT id, lag(n) OVER (ORDER BY id) AS l FROM items ORDER BY 2 DESC, id`, []string{"1|<nil>", "3|<nil>", "4|30", "2|10", "5|5"}},
		{`SELECT id, sum(n) OVER (ORDER BY id) FROM items ORDER BY 2 DESC LIMIT 2`, []string{"5|65", "4|45"}}, // no NULLs: MySQL order is right
		{`SELECT id FROM items ORDER BY row_number() OVER (ORDER BY id DESC) LIMIT 2`, []string{"5", "4"}},
		{`SELECT id FROM items ORDER BY sum(id) OVER (ORDER BY id) DESC LIMIT 2`, []string{"5", "4"}},
		// More ordering: aggregates by alias, set operations nested.
		{`SELECT grp, sum(n) AS s FROM items GROUP BY grp ORDER BY s DESC`, []string{"y|35", "<nil>|20", "x|10"}},
		{`SELECT grp, max(n) FROM items GROUP BY grp ORDER BY max(n)`, []string{"x|10", "<nil>|20", "y|30"}},
		{`(SELECT 1 UNION SELECT 2) INTERSECT SELECT 2`, []string{"2"}},
		{`SELECT DISTINCT lower(grp) AS g FROM items ORDER BY g DESC`, []string{"<nil>", "y", "x"}},
		{`SELECT grp AS g, count(*) FROM items GROUP BY grp ORDER BY g`, []string{"x|2", "y|2", "<nil>|1"}},
		{`SELECT upper(grp) FROM items GROUP BY upper(grp) ORDER BY 1`, []string{"X", "Y", "<nil>"}},
		{`SELECT grp FROM items GROUP BY grp ORDER BY count(*) DESC, grp`, []string{"x", "y", "<nil>"}},
		{`SELECT id FROM items WHERE id < 3 UNION ALL (SELECT id FROM items WHERE id > 4 ORDER BY id LIMIT 1) ORDER BY 1 DESC`, []string{"5", "2", "1"}},
		{`WITH a AS (SELECT grp FROM items), b AS (SELECT grp FROM groups) SELECT count(*) FROM a JOIN b USING (grp)`, []string{"2"}},
		{`SELECT s.n + 1 FROM generate_series(41, 43) AS s(n)`, []string{"42"}},
		// DISTINCT ON keeps the first row of each group in ORDER BY order.
		{`SELECT DISTINCT ON (grp) grp, id FROM items ORDER BY grp, n DESC`, []string{"x|2", "y|3", "<nil>|5"}},
		{`SELECT DISTINCT ON (1) grp AS g, id FROM items ORDER BY g DESC NULLS LAST, id DESC`, []string{"y|4", "x|2", "<nil>|5"}},
		{`SELECT DISTINCT ON (grp) grp, count(*) AS c FROM items GROUP BY grp, flag ORDER BY grp, c DESC, flag LIMIT 2`, []string{"x|1", "y|1"}},
		{`SELECT DISTINCT ON (flag) id FROM items WHERE flag IS NOT NULL`, []string{"2", "1"}},
		{`SELECT id FROM items WHERE (grp, n) IN (('x', 10), ('y', 5)) ORDER BY id FETCH FIRST ROW ONLY`, []string{"1"}},
		{`SELECT id AS "select", "n" AS "Order" FROM ONLY items WHERE (id, grp) = (3, 'y')`, []string{"3|30"}},
		{`TABLE groups`, []string{"x|ex", "z|zed"}},
		{`SELECT 'it''s', E'tab\tend', 'x' AS "Mixed Case"`, []string{"it's|tab\tend|x"}},
	}
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			_, got := f.query(t, c.query, nil)
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("%s\n got: %q\nwant: %q", c.query, got, c.want)
			}
		})
	}
}

func TestGMSColumnNames(t *testing.T) {
	f := newGMSFixture(t)
	cases := []struct {
		query string
		want  []string
	}{
		{`SELECT id, i.key, count(*), count(n), 1, 2, n + 1, lower(key) AS "Low", n::text, 'x'::varchar(3) FROM items i GROUP BY id, i.key, n`,
			[]string{"id", "key", "count", "count", "?column?", "?column?", "?column?", "Low", "n", "varchar"}},
		{`SELECT s.count FROM (SELECT count(*) FROM items) s`, []string{"count"}},
		{`SELECT (SELECT max(n) FROM items), EXISTS (SELECT 1), CASE WHEN true THEN 1 END, coalesce(1, 2), current_date`,
			[]string{"max", "exists", "case", "coalesce", "current_date"}},
		{`VALUES (1, 2)`, []string{"column1", "column2"}},
		{`SELECT 1 AS x, 2 AS x, 3, 4, a.id, b.id FROM items a JOIN items b ON a.id = b.id WHERE a.id = 1`,
			[]string{"x", "x", "?column?", "?column?", "id", "id"}},
	}
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			names, _ := f.query(t, c.query, nil)
			if strings.Join(names, ",") != strings.Join(c.want, ",") {
				t.Errorf("%s\n got: %q\nwant: %q", c.query, names, c.want)
			}
		})
	}
}

func TestGMSDelete(t *testing.T) {
	f := newGMSFixture(t)
	f.query(t, `DELETE FROM items WHERE grp = 'x' AND n IS NULL`, nil)
	_, got := f.query(t, `SELECT id FROM items ORDER BY id`, nil)
	if want := []string{"1", "3", "4", "5"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("after DELETE: got %q, want %q", got, want)
	}
	f.query(t, `DELETE FROM public.items AS i WHERE i.id > $1`, map[string]sqlparser.Expr{"v1": sqlparser.NewIntVal([]byte("3"))})
	_, got = f.query(t, `SELECT id FROM items ORDER BY id`, nil)
	if want := []string{"1", "3"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("after DELETE with alias and parameter: got %q, want %q", got, want)
	}
}

func TestGMSParameters(t *testing.T) {
	f := newGMSFixture(t)
	_, got := f.query(t, `SELECT id FROM items WHERE n > $1 AND key <> $2 ORDER BY id LIMIT $3`, map[string]sqlparser.Expr{
		"v1": sqlparser.NewIntVal([]byte("5")),
		"v2": sqlparser.NewStrVal([]byte("date")),
		"v3": sqlparser.NewIntVal([]byte("1")),
	})
	if want := []string{"1"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("got %q, want %q", got, want)
	}
}
