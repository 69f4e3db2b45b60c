package pgtranslate

import "testing"

func BenchmarkParseTranslate(b *testing.B) {
	const query = `SELECT grp, count(*), sum(n) FILTER (WHERE flag), string_agg(key, ',' ORDER BY key)
FROM items i LEFT JOIN groups g USING (grp)
WHERE n BETWEEN $1 AND $2 AND key ILIKE $3 AND id IN (1, 2, 3, 4, 5, 6, 7, 8)
GROUP BY grp HAVING count(*) > 1 ORDER BY 2 DESC, grp LIMIT 10`
	for b.Loop() {
		stmts, err := Parse(query)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Translate(stmts[0]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMaxParam(b *testing.B) {
	stmts, err := Parse(`SELECT grp, count(*), sum(n) FILTER (WHERE flag), string_agg(key, ',' ORDER BY key)
FROM items i LEFT JOIN groups g USING (grp)
WHERE n BETWEEN $1 AND $2 AND key ILIKE $3 AND id IN (1, 2, 3, 4, 5, 6, 7, 8)
GROUP BY grp HAVING count(*) > 1 ORDER BY 2 DESC, grp LIMIT 10`)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if n := maxParam(stmts[0].Node.ProtoReflect()); n != 3 {
			b.Fatal(n)
		}
	}
}
