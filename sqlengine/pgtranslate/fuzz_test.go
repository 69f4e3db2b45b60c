package pgtranslate

import "testing"

// FuzzParseTranslate checks that no query makes Parse or Translate panic.
func FuzzParseTranslate(f *testing.F) {
	for _, seed := range []string{
		`SELECT a, count(*) FILTER (WHERE b) FROM t GROUP BY 1 ORDER BY 2 DESC NULLS LAST LIMIT $1`,
		`WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT * FROM r`,
		`SELECT x::numeric(10,2), 'a' || b, c ~* 'x', d IS DISTINCT FROM e FROM s.t AS u(x)`,
		`SELECT * FROM a NATURAL FULL JOIN (b JOIN c USING (x)) WHERE EXISTS (SELECT 1) AND y = ANY (ARRAY[1])`,
		`VALUES (1), (2) EXCEPT SELECT 3; DELETE FROM t WHERE id IN (SELECT 1)`,
		`SELECT sum(a) OVER w, string_agg(b, ',' ORDER BY c) FROM generate_series(1, 3) g WINDOW w AS (ROWS 2 PRECEDING)`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, query string) {
		stmts, err := Parse(query)
		if err != nil {
			return
		}
		for _, st := range stmts {
			_, _ = Translate(st)
		}
	})
}
