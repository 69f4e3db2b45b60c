package gmsengine

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/pqsql/pqsql/sqlengine"
	"github.com/pqsql/pqsql/sqlengine/pgcatalog"
)

// openSessionAs opens a session for user on database db.
func openSessionAs(t *testing.T, e *Engine, user string) sqlengine.Session {
	t.Helper()
	s, err := e.NewSession(context.Background(), sqlengine.SessionInfo{User: user, Database: "db", ProcessID: 7})
	if err != nil {
		t.Fatalf("NewSession(%s): %v", user, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// wantRows asserts a result's rows.
func wantRows(t *testing.T, q string, got *result, want [][]any) {
	t.Helper()
	if !reflect.DeepEqual(got.rows, want) {
		t.Errorf("%s\n got: %#v\nwant: %#v", q, got.rows, want)
	}
}

// tableOID returns the OID the catalogs give a table.
func tableOID(t *testing.T, s sqlengine.Session, name string) uint32 {
	t.Helper()
	res := mustQuery(t, s, fmt.Sprintf("SELECT '%s'::regclass::oid", name))
	oid, ok := res.rows[0][0].(uint32)
	if !ok || oid < 16384 {
		t.Fatalf("OID of %s = %#v", name, res.rows[0][0])
	}
	return oid
}

func TestCatalogPsqlListings(t *testing.T) {
	e := testEngine(t)
	s := openSession(t, e, nil)
	q := `SELECT n.nspname as "Schema",
  c.relname as "Name",
  CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'i' THEN 'index' WHEN 'S' THEN 'sequence' WHEN 't' THEN 'TOAST table' WHEN 'f' THEN 'foreign table' WHEN 'p' THEN 'partitioned table' WHEN 'I' THEN 'partitioned index' END as "Type",
  pg_catalog.pg_get_userbyid(c.relowner) as "Owner"
FROM pg_catalog.pg_class c
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
WHERE c.relkind IN ('r','p','')
      AND n.nspname <> 'pg_catalog'
      AND n.nspname !~ '^pg_toast'
      AND n.nspname <> 'information_schema'
  AND pg_catalog.pg_table_is_visible(c.oid)
ORDER BY 1,2`
	res := mustQuery(t, s, q)
	wantRows(t, `\dt`, res, [][]any{{"public", "countries", "table", "root"}, {"public", "events", "table", "root"}})
	wantOIDs := []uint32{sqlengine.NameOID, sqlengine.NameOID, sqlengine.TextOID, sqlengine.NameOID}
	for i, c := range res.cols {
		if c.TypeOID != wantOIDs[i] {
			t.Errorf(`\dt column %s: type %d, want %d`, c.Name, c.TypeOID, wantOIDs[i])
		}
	}

	wantRows(t, `\l`, mustQuery(t, s, `SELECT d.datname as "Name",
       pg_catalog.pg_get_userbyid(d.datdba) as "Owner",
       pg_catalog.pg_encoding_to_char(d.encoding) as "Encoding",
       CASE d.datlocprovider WHEN 'c' THEN 'libc' WHEN 'i' THEN 'icu' END AS "Locale Provider",
       pg_catalog.array_to_string(d.datacl, E'\n') AS "Access privileges"
FROM pg_catalog.pg_database d
ORDER BY 1`), [][]any{{"db", "root", "UTF8", "libc", nil}})

	wantRows(t, `\dn`, mustQuery(t, s, `SELECT n.nspname AS "Name",
  pg_catalog.pg_get_userbyid(n.nspowner) AS "Owner"
FROM pg_catalog.pg_namespace n
WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
ORDER BY 1`), [][]any{{"public", "pg_database_owner"}})

	wantRows(t, `\du`, mustQuery(t, s, `SELECT r.rolname, r.rolsuper, r.rolcanlogin,
  ARRAY(SELECT b.rolname
        FROM pg_catalog.pg_auth_members m
        JOIN pg_catalog.pg_roles b ON (m.roleid = b.oid)
        WHERE m.member = r.oid) as memberof
FROM pg_catalog.pg_roles r
WHERE r.rolname !~ '^pg_'
ORDER BY 1`), [][]any{{"alice", false, true, "{}"}, {"root", true, true, "{}"}, {"wendy", false, true, "{}"}})
}

// psqlDescribeQueries are the nine queries psql 15 sends for \d TABLE
// (captured from psql against PostgreSQL 15); %[1]d is the table's OID.
var psqlDescribeQueries = []string{
	`SELECT c.oid,
  n.nspname,
  c.relname
FROM pg_catalog.pg_class c
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relname OPERATOR(pg_catalog.~) '^(events)$' COLLATE pg_catalog.default
  AND pg_catalog.pg_table_is_visible(c.oid)
ORDER BY 2, 3`,
	`SELECT c.relchecks, c.relkind, c.relhasindex, c.relhasrules, c.relhastriggers, c.relrowsecurity, c.relforcerowsecurity, false AS relhasoids, c.relispartition, '', c.reltablespace, CASE WHEN c.reloftype = 0 THEN '' ELSE c.reloftype::pg_catalog.regtype::pg_catalog.text END, c.relpersistence, c.relreplident, am.amname
FROM pg_catalog.pg_class c
 LEFT JOIN pg_catalog.pg_class tc ON (c.reltoastrelid = tc.oid)
LEFT JOIN pg_catalog.pg_am am ON (c.relam = am.oid)
WHERE c.oid = '%[1]d'`,
	`SELECT a.attname,
  pg_catalog.format_type(a.atttypid, a.atttypmod),
  (SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid, true)
   FROM pg_catalog.pg_attrdef d
   WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum AND a.atthasdef),
  a.attnotnull,
  (SELECT c.collname FROM pg_catalog.pg_collation c, pg_catalog.pg_type t
   WHERE c.oid = a.attcollation AND t.oid = a.atttypid AND a.attcollation <> t.typcollation) AS attcollation,
  a.attidentity,
  a.attgenerated
FROM pg_catalog.pg_attribute a
WHERE a.attrelid = '%[1]d' AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum`,
	`SELECT c2.relname, i.indisprimary, i.indisunique, i.indisclustered, i.indisvalid, pg_catalog.pg_get_indexdef(i.indexrelid, 0, true),
  pg_catalog.pg_get_constraintdef(con.oid, true), contype, condeferrable, condeferred, i.indisreplident, c2.reltablespace
FROM pg_catalog.pg_class c, pg_catalog.pg_class c2, pg_catalog.pg_index i
  LEFT JOIN pg_catalog.pg_constraint con ON (conrelid = i.indrelid AND conindid = i.indexrelid AND contype IN ('p','u','x'))
WHERE c.oid = '%[1]d' AND c.oid = i.indrelid AND i.indexrelid = c2.oid
ORDER BY i.indisprimary DESC, c2.relname`,
	`SELECT pol.polname, pol.polpermissive,
  CASE WHEN pol.polroles = '{0}' THEN NULL ELSE pg_catalog.array_to_string(array(select rolname from pg_catalog.pg_roles where oid = any (pol.polroles) order by 1),',') END,
  pg_catalog.pg_get_expr(pol.polqual, pol.polrelid),
  pg_catalog.pg_get_expr(pol.polwithcheck, pol.polrelid),
  CASE pol.polcmd
    WHEN 'r' THEN 'SELECT'
    WHEN 'a' THEN 'INSERT'
    WHEN 'w' THEN 'UPDATE'
    WHEN 'd' THEN 'DELETE'
    END AS cmd
FROM pg_catalog.pg_policy pol
WHERE pol.polrelid = '%[1]d' ORDER BY 1`,
	`SELECT oid, stxrelid::pg_catalog.regclass, stxnamespace::pg_catalog.regnamespace::pg_catalog.text AS nsp, stxname,
pg_catalog.pg_get_statisticsobjdef_columns(oid) AS columns,
  'd' = any(stxkind) AS ndist_enabled,
  'f' = any(stxkind) AS deps_enabled,
  'm' = any(stxkind) AS mcv_enabled,
stxstattarget
FROM pg_catalog.pg_statistic_ext
WHERE stxrelid = '%[1]d'
ORDER BY nsp, stxname`,
	`SELECT pubname
     , NULL
     , NULL
FROM pg_catalog.pg_publication p
     JOIN pg_catalog.pg_publication_namespace pn ON p.oid = pn.pnpubid
     JOIN pg_catalog.pg_class pc ON pc.relnamespace = pn.pnnspid
WHERE pc.oid ='%[1]d' and pg_catalog.pg_relation_is_publishable('%[1]d')
UNION
SELECT pubname
     , pg_get_expr(pr.prqual, c.oid)
     , (CASE WHEN pr.prattrs IS NOT NULL THEN
         (SELECT string_agg(attname, ', ')
           FROM pg_catalog.generate_series(0, pg_catalog.array_upper(pr.prattrs::pg_catalog.int2[], 1)) s,
                pg_catalog.pg_attribute
          WHERE attrelid = pr.prrelid AND attnum = prattrs[s])
        ELSE NULL END) FROM pg_catalog.pg_publication p
     JOIN pg_catalog.pg_publication_rel pr ON p.oid = pr.prpubid
     JOIN pg_catalog.pg_class c ON c.oid = pr.prrelid
WHERE pr.prrelid = '%[1]d'
UNION
SELECT pubname
     , NULL
     , NULL
FROM pg_catalog.pg_publication p
WHERE p.puballtables AND pg_catalog.pg_relation_is_publishable('%[1]d')
ORDER BY 1`,
	`SELECT c.oid::pg_catalog.regclass
FROM pg_catalog.pg_class c, pg_catalog.pg_inherits i
WHERE c.oid = i.inhparent AND i.inhrelid = '%[1]d'
  AND c.relkind != 'p' AND c.relkind != 'I'
ORDER BY inhseqno`,
	`SELECT c.oid::pg_catalog.regclass, c.relkind, inhdetachpending, pg_catalog.pg_get_expr(c.relpartbound, c.oid)
FROM pg_catalog.pg_class c, pg_catalog.pg_inherits i
WHERE c.oid = i.inhrelid AND i.inhparent = '%[1]d'
ORDER BY pg_catalog.pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT', c.oid::pg_catalog.regclass::pg_catalog.text`,
}

func TestCatalogPsqlDescribe(t *testing.T) {
	e := testEngine(t)
	s := openSession(t, e, nil)
	oid := tableOID(t, s, "events")
	var results []*result
	for _, q := range psqlDescribeQueries {
		if strings.Contains(q, "%[1]d") {
			q = fmt.Sprintf(q, oid)
		}
		results = append(results, mustQuery(t, s, q))
	}
	wantRows(t, "table lookup", results[0], [][]any{{oid, "public", "events"}})
	if got := results[1].rows; len(got) != 1 || got[0][1] != "r" || got[0][2] != true || got[0][14] != "heap" {
		t.Errorf("relation flags = %#v", got)
	}
	cols := results[2].rows
	if len(cols) != 13 {
		t.Fatalf("columns = %#v", cols)
	}
	for i, want := range [][]any{
		{"id", "bigint", nil, true, nil, "", ""},
		{"name", "text", nil, false, nil, "", ""},
		{"amount", "numeric(10,2)", nil, false, nil, "", ""},
		{"tstz", "timestamp with time zone", nil, false, nil, "", ""},
	} {
		row := []int{0, 1, 8, 11}[i]
		if !reflect.DeepEqual(cols[row], want) {
			t.Errorf("column %d = %#v, want %#v", row, cols[row], want)
		}
	}
	wantRows(t, "indexes", results[3], [][]any{{"events_pkey", true, true, false, true,
		"CREATE UNIQUE INDEX events_pkey ON public.events USING btree (id)", "PRIMARY KEY (id)",
		"p", false, false, false, uint32(0)}})
	for i, r := range results[4:] {
		if len(r.rows) != 0 {
			t.Errorf("query %d: rows %#v, want none", i+5, r.rows)
		}
	}
}

func TestCatalogVisibility(t *testing.T) {
	e := testEngine(t)
	for _, c := range []struct {
		user string
		want [][]any
	}{
		{"alice", [][]any{{"countries"}, {"events"}}},
		{"root", [][]any{{"__raw__countries"}, {"__raw__events"}, {"countries"}, {"events"}, {"pqsql_erasures"}, {"pqsql_tombstones"}}},
	} {
		s := openSessionAs(t, e, c.user)
		for _, q := range []string{
			"SELECT relname FROM pg_class WHERE relnamespace = 2200 AND relkind = 'r' ORDER BY 1",
			"SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
		} {
			wantRows(t, c.user+": "+q, mustQuery(t, s, q), c.want)
		}
	}
	s := openSession(t, e, nil)
	if _, err := query(context.Background(), s, "SELECT '__raw__events'::regclass"); err == nil {
		t.Error("a reader resolved __raw__events through regclass")
	}
}

func TestCatalogInformationSchemaColumns(t *testing.T) {
	e := testEngine(t)
	s := openSession(t, e, nil)
	res := mustQuery(t, s, `SELECT column_name, data_type, is_nullable, ordinal_position, numeric_precision
FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'events' AND ordinal_position IN (1, 2, 4, 9)
ORDER BY ordinal_position`)
	wantRows(t, "information_schema.columns", res, [][]any{
		{"id", "bigint", "NO", int32(1), int32(64)},
		{"name", "text", "YES", int32(2), nil},
		{"small", "smallint", "YES", int32(4), int32(16)},
		{"amount", "numeric", "YES", int32(9), int32(10)},
	})
	if res.cols[0].TypeOID != sqlengine.NameOID || res.cols[1].TypeOID != sqlengine.VarcharOID {
		t.Errorf("column types = %d, %d; want name, varchar", res.cols[0].TypeOID, res.cols[1].TypeOID)
	}
}

func TestCatalogResultTypes(t *testing.T) {
	e := testEngine(t)
	s := openSession(t, e, nil)
	res := mustQuery(t, s, "SELECT c.relname, c.oid, c.relkind, i.indkey, i.indclass, c.relnatts FROM pg_catalog.pg_class c JOIN pg_index i ON i.indrelid = c.oid WHERE c.relname = 'events'")
	want := []uint32{sqlengine.NameOID, sqlengine.OIDOID, 18, 22, 30, sqlengine.Int2OID}
	for i, c := range res.cols {
		if c.TypeOID != want[i] {
			t.Errorf("column %s: type %d, want %d", c.Name, c.TypeOID, want[i])
		}
	}
	if len(res.rows) != 1 || res.rows[0][2] != "r" || res.rows[0][3] != "1" || res.rows[0][5] != int16(13) {
		t.Errorf("rows = %#v", res.rows)
	}
}

func TestCatalogJDBCMetadata(t *testing.T) {
	e := testEngine(t)
	s := openSession(t, e, nil)
	wantRows(t, "getSchemas", mustQuery(t, s, `SELECT nspname AS TABLE_SCHEM, NULL AS TABLE_CATALOG FROM pg_catalog.pg_namespace  WHERE nspname <> 'pg_toast' AND (nspname !~ '^pg_temp_'  OR nspname = (pg_catalog.current_schemas(true))[1]) AND (nspname !~ '^pg_toast_temp_'  OR nspname = replace((pg_catalog.current_schemas(true))[1], 'pg_temp_', 'pg_toast_temp_'))  ORDER BY TABLE_SCHEM`),
		[][]any{{"information_schema", nil}, {"pg_catalog", nil}, {"public", nil}})
	wantRows(t, "getPrimaryKeys", mustQuery(t, s, `SELECT        result.TABLE_CAT,        result.TABLE_SCHEM,        result.TABLE_NAME,        result.COLUMN_NAME,        result.KEY_SEQ,        result.PK_NAME FROM      (SELECT NULL AS TABLE_CAT, n.nspname AS TABLE_SCHEM,   ct.relname AS TABLE_NAME, a.attname AS COLUMN_NAME,   (information_schema._pg_expandarray(i.indkey)).n AS KEY_SEQ, ci.relname AS PK_NAME,   information_schema._pg_expandarray(i.indkey) AS KEYS, a.attnum AS A_ATTNUM FROM pg_catalog.pg_class ct   JOIN pg_catalog.pg_attribute a ON (ct.oid = a.attrelid)   JOIN pg_catalog.pg_namespace n ON (ct.relnamespace = n.oid)   JOIN pg_catalog.pg_index i ON ( a.attrelid = i.indrelid)   JOIN pg_catalog.pg_class ci ON (ci.oid = i.indexrelid) WHERE true  AND n.nspname = 'public' AND ct.relname = 'events' AND i.indisprimary  ) result where  result.A_ATTNUM = (result.KEYS).x  ORDER BY result.table_name, result.pk_name, result.key_seq`),
		[][]any{{nil, "public", "events", "id", int32(1), "events_pkey"}})
	wantRows(t, "getIndexInfo", mustQuery(t, s, `SELECT     tmp.TABLE_NAME,     tmp.NON_UNIQUE,     tmp.INDEX_NAME,     tmp.ORDINAL_POSITION,     trim(both '"' from pg_catalog.pg_get_indexdef(tmp.CI_OID, tmp.ORDINAL_POSITION, false)) AS COLUMN_NAME,   CASE tmp.AM_NAME     WHEN 'btree' THEN CASE tmp.I_INDOPTION[tmp.ORDINAL_POSITION - 1] & 1::smallint       WHEN 1 THEN 'D'       ELSE 'A'     END     ELSE NULL   END AS ASC_OR_DESC FROM (SELECT NULL AS TABLE_CAT, n.nspname AS TABLE_SCHEM,   ct.relname AS TABLE_NAME, NOT i.indisunique AS NON_UNIQUE,   NULL AS INDEX_QUALIFIER, ci.relname AS INDEX_NAME,   CASE i.indisclustered     WHEN true THEN 1    ELSE CASE am.amname       WHEN 'hash' THEN 2      ELSE 3    END   END AS TYPE,   (information_schema._pg_expandarray(i.indkey)).n AS ORDINAL_POSITION,   ci.reltuples AS CARDINALITY,   ci.relpages AS PAGES,   pg_catalog.pg_get_expr(i.indpred, i.indrelid) AS FILTER_CONDITION,   ci.oid AS CI_OID,   i.indoption AS I_INDOPTION,   am.amname AS AM_NAME FROM pg_catalog.pg_class ct   JOIN pg_catalog.pg_namespace n ON (ct.relnamespace = n.oid)   JOIN pg_catalog.pg_index i ON (ct.oid = i.indrelid)   JOIN pg_catalog.pg_class ci ON (ci.oid = i.indexrelid)   JOIN pg_catalog.pg_am am ON (ci.relam = am.oid) WHERE true  AND n.nspname = 'public' AND ct.relname = 'events') AS tmp ORDER BY NON_UNIQUE, TYPE, INDEX_NAME, ORDINAL_POSITION`),
		[][]any{{"events", false, "events_pkey", int32(1), "id", "A"}})
	wantRows(t, "max_index_keys", mustQuery(t, s, `SELECT setting FROM pg_catalog.pg_settings WHERE name='max_index_keys'`), [][]any{{"32"}})
}

func TestCatalogSQLAlchemyInspect(t *testing.T) {
	e := testEngine(t)
	s := openSession(t, e, nil)
	oid := tableOID(t, s, "events")
	wantRows(t, "get_table_names", mustQuery(t, s, `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind in ('r', 'p') ORDER BY 1`),
		[][]any{{"countries"}, {"events"}})
	res := mustQuery(t, s, fmt.Sprintf(`SELECT a.attname,
  pg_catalog.format_type(a.atttypid, a.atttypmod),
  (SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid) FROM pg_catalog.pg_attrdef d
   WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum AND a.atthasdef) AS DEFAULT,
  a.attnotnull, a.attrelid as table_oid, pgd.description as comment, a.attgenerated as generated,
  (SELECT json_build_object('always', a.attidentity = 'a', 'start', s.seqstart, 'increment', s.seqincrement,
        'minvalue', s.seqmin, 'maxvalue', s.seqmax, 'cache', s.seqcache, 'cycle', s.seqcycle)
    FROM pg_catalog.pg_sequence s JOIN pg_catalog.pg_class c on s.seqrelid = c."oid"
    WHERE c.relkind = 'S' AND a.attidentity != ''
    AND s.seqrelid = pg_catalog.pg_get_serial_sequence(a.attrelid::regclass::text, a.attname)::regclass::oid
  ) as identity_options
FROM pg_catalog.pg_attribute a
LEFT JOIN pg_catalog.pg_description pgd ON (pgd.objoid = a.attrelid AND pgd.objsubid = a.attnum)
WHERE a.attrelid = %d AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum`, oid))
	if len(res.rows) != 13 || !reflect.DeepEqual(res.rows[0], []any{"id", "bigint", nil, true, oid, nil, "", nil}) {
		t.Errorf("get_columns rows = %#v", res.rows)
	}
	wantRows(t, "get_pk_constraint", mustQuery(t, s, fmt.Sprintf(`SELECT a.attname
FROM pg_attribute a JOIN (
    SELECT unnest(ix.indkey) attnum, generate_subscripts(ix.indkey, 1) ord
    FROM pg_index ix
    WHERE ix.indrelid = %[1]d AND ix.indisprimary
    ) k ON a.attnum=k.attnum
WHERE a.attrelid = %[1]d
ORDER BY k.ord`, oid)), [][]any{{"id"}})
	wantRows(t, "pk name", mustQuery(t, s, fmt.Sprintf(`SELECT conname FROM pg_catalog.pg_constraint r WHERE r.conrelid = %d AND r.contype = 'p' ORDER BY 1`, oid)),
		[][]any{{"events_pkey"}})
}

func TestCatalogArrayFunctions(t *testing.T) {
	e := testEngine(t)
	s := openSession(t, e, nil)
	for _, c := range []struct {
		q    string
		want []any
	}{
		{`SELECT ARRAY[1, 2], ARRAY['a b', NULL, '']`, []any{"{1,2}", `{"a b",NULL,""}`}},
		{`SELECT 2 = ANY ('{1,2}'), 3 = ANY ('{1,2}'), 3 = ANY ('{1,NULL}'), 3 <> ALL ('{1,2}')`, []any{true, false, nil, true}},
		{`SELECT ('{a,b,c}'::text[])[2], ('{a,b}'::text[])[5], (current_schemas(true))[1]`, []any{"b", nil, "pg_catalog"}},
		{`SELECT array_to_string('{a,NULL,c}'::text[], '-'), array_to_string('{a,NULL,c}'::text[], '-', '*')`, []any{"a-c", "a-*-c"}},
		{`SELECT array_upper('{a,b,c}'::text[], 1), array_lower('{a}'::text[], 1), array_length('{}'::text[], 1), cardinality('{x,y}'::text[])`, []any{int32(3), int32(1), nil, int32(2)}},
		{`SELECT ARRAY(SELECT code FROM countries ORDER BY 1 DESC)`, []any{"{d,b,a}"}},
		{`SELECT json_build_object('a', 1, 'b', 'x"y', 'c', true, 'd', NULL)`, []any{`{"a" : 1, "b" : "x\"y", "c" : true, "d" : null}`}},
		{`SELECT sum(g), count(*) FROM generate_series(1, 10, 3) g`, []any{int64(22), int64(4)}},
	} {
		res := mustQuery(t, s, c.q)
		if len(res.rows) != 1 || !reflect.DeepEqual(res.rows[0], c.want) {
			t.Errorf("%s\n got: %#v\nwant: %#v", c.q, res.rows, c.want)
		}
	}
}

func TestCatalogColumnOrigins(t *testing.T) {
	e := testEngine(t)
	s := openSession(t, e, nil)
	oid := tableOID(t, s, "events")
	for _, c := range []struct {
		q    string
		want [][2]int64 // TableOID, AttrNum per column
	}{
		{"SELECT id, name, score FROM events WHERE id = 1", [][2]int64{{int64(oid), 1}, {int64(oid), 2}, {int64(oid), 6}}},
		// A renamed column keeps its origin (PostgreSQL 15 reports it so).
		{"SELECT e.grp, e.id + 1, e.name AS id, 1 AS x FROM events e WHERE id = 1 AND true", [][2]int64{{int64(oid), 3}, {0, 0}, {int64(oid), 2}, {0, 0}}},
		{"SELECT c.relname, c.relkind FROM pg_class c WHERE c.relname = 'events'", [][2]int64{{1259, 2}, {1259, 17}}},
		{"SELECT count(*) FROM events", [][2]int64{{0, 0}}},
	} {
		res := mustQuery(t, s, c.q)
		for i, col := range res.cols {
			if got := [2]int64{int64(col.TableOID), int64(col.AttrNum)}; got != c.want[i] {
				t.Errorf("%s: column %s origin = %v, want %v", c.q, col.Name, got, c.want[i])
			}
		}
	}
}

func TestCatalogRelationSizes(t *testing.T) {
	e := testEngine(t)
	s := openSession(t, e, nil)
	res := mustQuery(t, s, "SELECT pg_table_size('events'), pg_total_relation_size('events'::regclass), pg_relation_size('pg_class'), pg_table_size(1)")
	if n, ok := res.rows[0][0].(int64); !ok || n < 1000 {
		t.Errorf("pg_table_size('events') = %#v, want the size of its Parquet file", res.rows[0][0])
	}
	if res.rows[0][1] != res.rows[0][0] || res.rows[0][2] != int64(0) || res.rows[0][3] != nil {
		t.Errorf("sizes = %#v", res.rows[0])
	}
}

func TestCatalogRegCasts(t *testing.T) {
	e := testEngine(t)
	s := openSession(t, e, nil)
	oid := tableOID(t, s, "events")
	res := mustQuery(t, s, `SELECT 'events'::regclass, 'int4'::regtype, 'public'::regnamespace, 'pg_class'::regclass::oid,
  c.oid::regclass::text, 'integer'::regtype::oid FROM pg_class c WHERE c.oid = 'events'::regclass`)
	wantRows(t, "reg casts", res, [][]any{{"events", "integer", "public", uint32(1259), "events", uint32(23)}})
	for i, want := range []uint32{2205, 2206, 4089, sqlengine.OIDOID, sqlengine.TextOID, sqlengine.OIDOID} {
		if res.cols[i].TypeOID != want {
			t.Errorf("column %d: type %d, want %d", i, res.cols[i].TypeOID, want)
		}
	}
	wantRows(t, "regclass of an OID", mustQuery(t, s, fmt.Sprintf("SELECT %d::regclass::text", oid)), [][]any{{"events"}})
	_, err := query(context.Background(), s, "SELECT 'nosuch'::regclass")
	wantCode(t, err, sqlengine.CodeUndefinedTable)
}

func TestCatalogEveryRelation(t *testing.T) {
	e := testEngine(t)
	s := openSessionAs(t, e, "root")
	for _, ct := range pgcatalog.Tables() {
		q := fmt.Sprintf("SELECT * FROM %s.%s", ct.Schema, ct.Name)
		res, err := query(context.Background(), s, q)
		if err != nil {
			t.Errorf("%s: %v", q, err)
			continue
		}
		if len(res.cols) != len(ct.Columns) {
			t.Errorf("%s: %d columns, want %d", q, len(res.cols), len(ct.Columns))
			continue
		}
		for i, c := range res.cols {
			want := ct.ResultColumn(i)
			if c.Name != want.Name || c.TypeOID != want.TypeOID || c.TableOID != want.TableOID || c.AttrNum != want.AttrNum {
				t.Errorf("%s column %d = %+v, want %+v", q, i, c, want)
			}
		}
	}
}
