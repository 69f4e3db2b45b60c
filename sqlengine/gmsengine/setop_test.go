package gmsengine

import (
	"fmt"
	"testing"

	"github.com/pqsql/pqsql/sqlengine"
)

// TestSetOpTypes checks PostgreSQL's result types of set operations and
// recursive CTEs, where GMS widens to int8, text or timestamp.
func TestSetOpTypes(t *testing.T) {
	e := testEngine(t)
	s := openSession(t, e, nil)
	for _, tc := range []struct {
		q    string
		oids []uint32
		rows string
	}{
		{`SELECT small FROM events WHERE id = 2 UNION SELECT num FROM events WHERE id = 3 ORDER BY 1`,
			[]uint32{sqlengine.Int4OID}, "[[1] [20]]"},
		{`SELECT x FROM (SELECT small AS x FROM events WHERE id = 2 UNION SELECT num FROM events WHERE id = 3) s ORDER BY x`,
			[]uint32{sqlengine.Int4OID}, "[[1] [20]]"},
		{`SELECT 1.5 UNION SELECT 2 ORDER BY 1`, []uint32{sqlengine.NumericOID}, "[[1.5] [2]]"},
		{`SELECT NULL UNION SELECT 1`, []uint32{sqlengine.Int4OID}, "[[<nil>] [1]]"},
		{`WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT n FROM r ORDER BY n`,
			[]uint32{sqlengine.Int4OID}, "[[1] [2] [3]]"},
		{`WITH RECURSIVE f(n, fact) AS (SELECT 1, 1::int8 UNION ALL SELECT n + 1, fact * (n + 1) FROM f WHERE n < 4) SELECT n, fact FROM f ORDER BY n`,
			[]uint32{sqlengine.Int4OID, sqlengine.Int8OID}, "[[1 1] [2 2] [3 6] [4 24]]"},
		{`WITH RECURSIVE d(dt) AS (SELECT date '2024-01-01' UNION ALL SELECT x.dt + 7 FROM d x WHERE x.dt < date '2024-01-10') SELECT count(*) FROM d`,
			[]uint32{sqlengine.Int8OID}, "[[3]]"},
	} {
		res := mustQuery(t, s, tc.q)
		var oids []uint32
		for _, c := range res.cols {
			oids = append(oids, c.TypeOID)
		}
		if fmt.Sprint(oids) != fmt.Sprint(tc.oids) {
			t.Errorf("%s: types %v, want %v", tc.q, oids, tc.oids)
		}
		if got := fmt.Sprint(res.rows); got != tc.rows {
			t.Errorf("%s: rows %s, want %s", tc.q, got, tc.rows)
		}
	}
	// The recursive term keeps the date type: date + integer is a date.
	res := mustQuery(t, s, `WITH RECURSIVE d(dt) AS (SELECT date '2024-01-01' UNION ALL SELECT (dt + 7)::date FROM d WHERE dt < date '2024-01-10') SELECT dt FROM d ORDER BY dt`)
	if res.cols[0].TypeOID != sqlengine.DateOID || len(res.rows) != 3 {
		t.Errorf("recursive date CTE: type %d, rows %v", res.cols[0].TypeOID, res.rows)
	}
}
