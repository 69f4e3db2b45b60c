package pgtranslate

import (
	"testing"

	"github.com/dolthub/vitess/go/vt/sqlparser"
)

func TestTranslateArrays(t *testing.T) {
	cases := []struct{ pg, want string }{
		{`SELECT ARRAY[1, 'a', NULL]`,
			"select pqsql_array(1, 'a', null)"},
		{`SELECT 'd' = any(stxkind) FROM pg_statistic_ext`,
			"select pqsql_array_any('d', stxkind) from pg_statistic_ext"},
		{`SELECT 1 FROM t WHERE x <> ALL (a)`,
			"select 1 from t where not pqsql_array_any(x, a)"},
		{`SELECT indkey[0], (current_schemas(true))[1] FROM pg_index`,
			"select pqsql_array_subscript(indkey, 0), pqsql_array_subscript(pqsql_current_schemas(true), 1) from pg_index"},
		{`SELECT pr.prattrs::pg_catalog.int2[] FROM pg_publication_rel pr`,
			"select pqsql_cast(pr.prattrs, 'int2[]') from pg_publication_rel as pr"},
		{`SELECT array_to_string(datacl, E'\n'), array_upper(a, 1) FROM pg_database`,
			"select pqsql_array_to_string(datacl, '\\n'), pqsql_array_upper(a, 1) from pg_database"},
		{`SELECT ARRAY(SELECT b.rolname FROM pg_roles b WHERE b.oid = r.oid ORDER BY 1) FROM pg_roles r`,
			"select (select pqsql_array_wrap(group_concat(pqsql_array_quote(b.rolname) order by b.rolname is null asc, b.rolname asc separator ',')) from pg_roles as b where b.oid = r.oid) from pg_roles as r"},
		{`SELECT (information_schema._pg_expandarray(i.indkey)).n, information_schema._pg_expandarray(i.indkey) AS k FROM pg_index i`,
			"select pqsql_record_field(pqsql_pg_expandarray(i.indkey), 'n'), pqsql_pg_expandarray(i.indkey) as k from pg_index as i"},
		{`SELECT unnest(ix.indkey) attnum, generate_subscripts(ix.indkey, 1) ord FROM pg_index ix`,
			"select pqsql_array_single(ix.indkey) as attnum, pqsql_array_lower(ix.indkey, 1) as ord from pg_index as ix"},
		{`SELECT (r.keys).x FROM r`,
			"select pqsql_record_field(r.`keys`, 'x') from r"},
	}
	for _, c := range cases {
		got, err := translateOne(t, c.pg)
		if err != nil {
			t.Errorf("%s: %v", c.pg, err)
			continue
		}
		if s := sqlparser.String(got); s != c.want {
			t.Errorf("%s\n got: %s\nwant: %s", c.pg, s, c.want)
		}
	}
}

func TestTranslateArrayErrors(t *testing.T) {
	for _, q := range []string{
		`SELECT unnest(a) FROM t`,
		`SELECT ARRAY(SELECT count(*) FROM t)`,
		`SELECT (a).y FROM t`,
		`SELECT a::inet[] FROM t`,
	} {
		if _, err := translateOne(t, q); err == nil {
			t.Errorf("%s: translated, want an error", q)
		}
	}
}

func TestTranslateUnnestInFrom(t *testing.T) {
	got, err := translateOne(t, `SELECT array(SELECT 'toast.' || x FROM pg_catalog.unnest(tc.reloptions) x) FROM pg_class tc`)
	if err != nil {
		t.Fatal(err)
	}
	want := "select (select pqsql_array_wrap(group_concat(pqsql_array_quote(concat('toast.', x)) separator ',')) from (select * from pqsql_unnest(tc.reloptions)) as x (x)) from pg_class as tc"
	if s := sqlparser.String(got); s != want {
		t.Errorf("got:  %s\nwant: %s", s, want)
	}
}
