package gmsengine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pqsql/pqsql/sqlengine"
)

func TestSetShow(t *testing.T) {
	e := testEngine(t)
	client := &fakeClient{}
	s := openSession(t, e, client)
	params := map[string]string{}
	for _, p := range s.ReportedParameters() {
		params[p.Name] = p.Value
	}
	for name, want := range map[string]string{"server_version": "15.18", "TimeZone": "UTC", "DateStyle": "ISO, MDY",
		"client_encoding": "UTF8", "is_superuser": "off", "session_authorization": "alice", "integer_datetimes": "on"} {
		if params[name] != want {
			t.Errorf("reported %s = %q, want %q", name, params[name], want)
		}
	}
	res := mustQuery(t, s, `SET TimeZone = 'Europe/Paris'`)
	if res.tag != "SET" || res.cols != nil {
		t.Errorf("SET: %+v", res)
	}
	if client.params["TimeZone"] != "Europe/Paris" {
		t.Errorf("ParameterStatus TimeZone = %q", client.params["TimeZone"])
	}
	res = mustQuery(t, s, `SHOW timezone`)
	if res.tag != "SHOW" || res.cols[0].Name != "TimeZone" || res.rows[0][0] != "Europe/Paris" {
		t.Errorf("SHOW: %+v", res)
	}
	_, err := query(t.Context(), s, `SET TimeZone = 'Nowhere/Special'`)
	if pe := wantCode(t, err, sqlengine.CodeInvalidParameterValue); pe.Message != `invalid value for parameter "TimeZone": "Nowhere/Special"` {
		t.Errorf("message = %q", pe.Message)
	}
	_, err = query(t.Context(), s, `SET no_such_thing = 1`)
	if pe := wantCode(t, err, sqlengine.CodeUndefinedObject); pe.Message != `unrecognized configuration parameter "no_such_thing"` {
		t.Errorf("message = %q", pe.Message)
	}
	mustQuery(t, s, `SET pqsql.flavour TO 'mint'`)
	if res := mustQuery(t, s, `SHOW pqsql.flavour`); res.rows[0][0] != "mint" {
		t.Errorf("custom parameter = %v", res.rows)
	}
	if res := mustQuery(t, s, `SHOW TRANSACTION ISOLATION LEVEL`); res.cols[0].Name != "transaction_isolation" || res.rows[0][0] != "read committed" {
		t.Errorf("isolation = %+v", res)
	}
	mustQuery(t, s, `SET statement_timeout = 5000`)
	if res := mustQuery(t, s, `SHOW statement_timeout`); res.rows[0][0] != "5s" {
		t.Errorf("statement_timeout = %v", res.rows)
	}
	if res := mustQuery(t, s, `SELECT current_setting('TimeZone')`); res.rows[0][0] != "Europe/Paris" {
		t.Errorf("current_setting = %v", res.rows)
	}
	mustQuery(t, s, `SET DateStyle = 'german'`)
	if res := mustQuery(t, s, `SHOW DateStyle`); res.rows[0][0] != "German, DMY" {
		t.Errorf("DateStyle = %v", res.rows)
	}
	mustQuery(t, s, `SET search_path = public, "$user", "My Schema"`)
	if res := mustQuery(t, s, `SHOW search_path`); res.rows[0][0] != `public, "$user", "My Schema"` {
		t.Errorf("search_path = %v", res.rows)
	}
	mustQuery(t, s, `RESET ALL`)
	if res := mustQuery(t, s, `SHOW TimeZone`); res.rows[0][0] != "UTC" {
		t.Errorf("after RESET ALL TimeZone = %v", res.rows)
	}
	if res := mustQuery(t, s, `SHOW ALL`); len(res.cols) != 3 || len(res.rows) < 20 {
		t.Errorf("SHOW ALL: %d cols, %d rows", len(res.cols), len(res.rows))
	}
}

func TestStartupParams(t *testing.T) {
	e := testEngine(t)
	s, err := e.NewSession(t.Context(), sqlengine.SessionInfo{User: "root", Database: "db",
		StartupParams: map[string]string{"application_name": "psql", "TimeZone": "Asia/Tokyo", "extra_float_digits": "3", "options": "-c x"}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := map[string]string{}
	for _, p := range s.ReportedParameters() {
		got[p.Name] = p.Value
	}
	if got["application_name"] != "psql" || got["TimeZone"] != "Asia/Tokyo" || got["is_superuser"] != "on" {
		t.Errorf("reported = %v", got)
	}
	// Forms real drivers send: asyncpg quotes the encoding, pgjdbc sends
	// POSIX zones; a zone pqsql cannot read is ignored, not fatal.
	for _, tz := range []string{"GMT+01:00", "Not/AZone"} {
		s2, err := e.NewSession(t.Context(), sqlengine.SessionInfo{User: "alice", Database: "db",
			StartupParams: map[string]string{"client_encoding": "'utf-8'", "TimeZone": tz, "DateStyle": "ISO"}})
		if err != nil {
			t.Fatalf("TimeZone %s: %v", tz, err)
		}
		got := map[string]string{}
		for _, p := range s2.ReportedParameters() {
			got[p.Name] = p.Value
		}
		wantTZ := tz
		if tz == "Not/AZone" {
			wantTZ = "UTC"
		}
		if got["client_encoding"] != "UTF8" || got["TimeZone"] != wantTZ || got["DateStyle"] != "ISO, MDY" {
			t.Errorf("reported = %v", got)
		}
		s2.Close()
	}
	if loc, err := loadLocation("GMT+01:00"); err != nil || offsetOf(loc) != -3600 {
		t.Errorf("GMT+01:00 = %v, %v; POSIX offsets count west", loc, err)
	}
	_, err = e.NewSession(t.Context(), sqlengine.SessionInfo{User: "alice", Database: "other"})
	if pe := wantCode(t, err, sqlengine.CodeInvalidCatalogName); pe.Message != `database "other" does not exist` {
		t.Errorf("message = %q", pe.Message)
	}
	_, err = e.NewSession(t.Context(), sqlengine.SessionInfo{User: "mallory", Database: "db"})
	wantCode(t, err, sqlengine.CodeInvalidAuthorization)
}

func TestTransactions(t *testing.T) {
	e := testEngine(t)
	client := &fakeClient{}
	s := openSession(t, e, client)
	if res := mustQuery(t, s, `COMMIT`); res.tag != "COMMIT" {
		t.Errorf("tag = %q", res.tag)
	}
	if len(client.notices) != 1 || client.notices[0].Code != sqlengine.CodeNoActiveSQLTransaction ||
		client.notices[0].Message != "there is no transaction in progress" || client.notices[0].Severity != "WARNING" {
		t.Fatalf("notices = %+v", client.notices)
	}
	mustQuery(t, s, `BEGIN`)
	if s.TxStatus() != 'T' {
		t.Fatalf("status = %c", s.TxStatus())
	}
	mustQuery(t, s, `BEGIN`)
	if len(client.notices) != 2 || client.notices[1].Code != sqlengine.CodeActiveSQLTransaction {
		t.Fatalf("notices = %+v", client.notices)
	}
	mustQuery(t, s, `SET LOCAL TimeZone = 'Asia/Tokyo'`)
	mustQuery(t, s, `SAVEPOINT sp1`)
	_, err := query(t.Context(), s, `SELECT nope FROM events`)
	wantCode(t, err, sqlengine.CodeUndefinedColumn)
	if s.TxStatus() != 'E' {
		t.Fatalf("status after error = %c", s.TxStatus())
	}
	_, err = query(t.Context(), s, `SELECT 1`)
	if pe := wantCode(t, err, sqlengine.CodeInFailedSQLTransaction); pe.Message != "current transaction is aborted, commands ignored until end of transaction block" {
		t.Errorf("message = %q", pe.Message)
	}
	if res := mustQuery(t, s, `ROLLBACK TO SAVEPOINT sp1`); res.tag != "ROLLBACK" || s.TxStatus() != 'T' {
		t.Fatalf("rollback to: %+v %c", res, s.TxStatus())
	}
	_, err = query(t.Context(), s, `SELECT 1/0`)
	wantCode(t, err, sqlengine.CodeDivisionByZero)
	if res := mustQuery(t, s, `COMMIT`); res.tag != "ROLLBACK" || s.TxStatus() != 'I' {
		t.Fatalf("commit of failed tx: %+v %c", res, s.TxStatus())
	}
	if res := mustQuery(t, s, `SHOW TimeZone`); res.rows[0][0] != "UTC" {
		t.Errorf("SET LOCAL survived the transaction: %v", res.rows)
	}
	if res := mustQuery(t, s, `START TRANSACTION`); res.tag != "START TRANSACTION" {
		t.Errorf("tag = %q", res.tag)
	}
	mustQuery(t, s, `SET TimeZone = 'Asia/Tokyo'`)
	if res := mustQuery(t, s, `ABORT`); res.tag != "ROLLBACK" {
		t.Errorf("tag = %q", res.tag)
	}
	if res := mustQuery(t, s, `SHOW TimeZone`); res.rows[0][0] != "UTC" {
		t.Errorf("SET survived ROLLBACK: %v", res.rows)
	}
	if res := mustQuery(t, s, `DISCARD ALL`); res.tag != "DISCARD ALL" {
		t.Errorf("tag = %q", res.tag)
	}
	if res := mustQuery(t, s, `DEALLOCATE ALL`); res.tag != "DEALLOCATE ALL" {
		t.Errorf("tag = %q", res.tag)
	}
}

func TestErrors(t *testing.T) {
	e := testEngine(t)
	s := openSession(t, e, nil)
	cases := []struct {
		sql, code, msg string
		pos            int32
	}{
		{`SELECT * FROM missing`, sqlengine.CodeUndefinedTable, `relation "missing" does not exist`, 15},
		{`SELECT nope FROM events`, sqlengine.CodeUndefinedColumn, `column "nope" does not exist`, 8},
		{`SELECT 1/0`, sqlengine.CodeDivisionByZero, "division by zero", 0},
		{`SELECT no_such_fn(1, 'a')`, sqlengine.CodeUndefinedFunction, "function no_such_fn(integer, unknown) does not exist", 8},
		{`SET extra_float_digits = 5`, sqlengine.CodeInvalidParameterValue, `5 is outside the valid range for parameter "extra_float_digits" (-15 .. 3)`, 0},
		{`SET standard_conforming_strings = maybe`, sqlengine.CodeInvalidParameterValue, `parameter "standard_conforming_strings" requires a Boolean value`, 0},
		{`SET server_version = '1'`, "55P02", `parameter "server_version" cannot be changed`, 0},
		{`SAVEPOINT x`, sqlengine.CodeNoActiveSQLTransaction, "SAVEPOINT can only be used in transaction blocks", 0},
		{`SELECT 12.345::numeric(3,2)`, sqlengine.CodeNumericValueOutOfRange, "numeric field overflow", 0},
		{`SELECT '99999999999'::int4`, sqlengine.CodeNumericValueOutOfRange, `value "99999999999" is out of range for type integer`, 0},
		{`SELECT grp, name FROM events GROUP BY grp`, sqlengine.CodeGroupingError, "", 0},
		{`SELECT code FROM events e JOIN countries c ON true JOIN countries d ON true`, sqlengine.CodeAmbiguousColumn, "", 0},
		{`SELECT 'abc'::int4`, sqlengine.CodeInvalidTextRepresentation, `invalid input syntax for type integer: "abc"`, 0},
	}
	for _, c := range cases {
		_, err := query(t.Context(), s, c.sql)
		pe := wantCode(t, err, c.code)
		if c.msg != "" && pe.Message != c.msg {
			t.Errorf("%s: message %q, want %q", c.sql, pe.Message, c.msg)
		}
		if c.pos != 0 && pe.Position != c.pos {
			t.Errorf("%s: position %d, want %d", c.sql, pe.Position, c.pos)
		}
	}
}

func TestFunctions(t *testing.T) {
	e := testEngine(t)
	s := openSession(t, e, nil)
	res := mustQuery(t, s, `SELECT version(), current_database(), current_user, current_schema(), pg_backend_pid(), 7/2, 7.0/2, 1 + 1`)
	row := res.rows[0]
	if v := row[0].(string); !strings.HasPrefix(v, "PostgreSQL 15.") || !strings.Contains(v, "pqsql") {
		t.Errorf("version = %q", v)
	}
	if row[1] != "db" || row[2] != "alice" || row[3] != "public" || row[4] != int32(42) {
		t.Errorf("row = %v", row)
	}
	if row[5] != int32(3) || row[6] != "3.5000000000000000" {
		t.Errorf("division = %#v, %#v", row[5], row[6])
	}
	wantNames := []string{"version", "current_database", "current_user", "current_schema", "pg_backend_pid", "?column?", "?column?", "?column?"}
	for i, c := range res.cols {
		if c.Name != wantNames[i] {
			t.Errorf("column %d name %q, want %q", i, c.Name, wantNames[i])
		}
	}
	res = mustQuery(t, s, `SELECT date_trunc('month', ts), extract(year FROM day), date_part('hour', ts), '12.345'::numeric(5,2), 'true'::bool FROM events WHERE id = 30`)
	row = res.rows[0]
	if got, ok := row[0].(time.Time); !ok || !got.Equal(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("date_trunc = %v", row[0])
	}
	if row[1] != "2024" || row[2] != float64(5) || row[3] != "12.35" || row[4] != true {
		t.Errorf("row = %#v", row)
	}
}

func TestCancelMidScan(t *testing.T) {
	e := testEngine(t)
	s := openSession(t, e, nil)
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(t.Context())
	stmts, err := s.Prepare(ctx, `SELECT id, name FROM events`, nil)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := stmts[0].Execute(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rows.Next(ctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	var nextErr error
	for i := 0; i < 2*eventRows; i++ {
		if _, nextErr = rows.Next(ctx); nextErr != nil {
			break
		}
	}
	if errors.Is(nextErr, io.EOF) {
		t.Fatal("scan finished despite cancellation")
	}
	pe := wantCode(t, nextErr, sqlengine.CodeQueryCanceled)
	if pe.Message != "canceling statement due to user request" {
		t.Errorf("message = %q", pe.Message)
	}
	rows.Close()
	// Every goroutine the statement started must end once it is closed.
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after the cancelled scan, %d before", n, before)
	}
	// The session still works.
	if res := mustQuery(t, s, `SELECT count(*) FROM events WHERE id < 10`); res.rows[0][0] != int64(9) {
		t.Errorf("after cancel: %v", res.rows)
	}
}

func TestConcurrentSessions(t *testing.T) {
	e := testEngine(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := e.NewSession(context.Background(), sqlengine.SessionInfo{User: "alice", Database: "db", ProcessID: uint32(g)})
			if err != nil {
				errs <- err
				return
			}
			defer s.Close()
			for i := 0; i < 5; i++ {
				id := int64(g*100 + i + 1)
				res, err := query(context.Background(), s, `SELECT name FROM events WHERE id = $1`, id)
				if err != nil {
					errs <- err
					return
				}
				if len(res.rows) != 1 || res.rows[0][0] != fmt.Sprintf("name-%d", id) {
					errs <- fmt.Errorf("id %d: rows %v", id, res.rows)
					return
				}
				res, err = query(context.Background(), s, `SELECT grp, count(*) FROM events GROUP BY grp`)
				if err != nil || len(res.rows) != 4 {
					errs <- fmt.Errorf("group by: %v %v", err, res)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestParamTypes(t *testing.T) {
	e := testEngine(t)
	s := openSession(t, e, nil)
	ctx := t.Context()
	stmts, err := s.Prepare(ctx, `SELECT id FROM events WHERE name = $1 OR num > $2 OR $3 IS NULL`, []uint32{0, 0, sqlengine.Int4OID, sqlengine.TextOID})
	if err != nil {
		t.Fatal(err)
	}
	want := []uint32{sqlengine.TextOID, sqlengine.Int4OID, sqlengine.Int4OID, sqlengine.TextOID}
	got := stmts[0].ParamTypes()
	if len(got) != len(want) {
		t.Fatalf("param types = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("param %d type %d, want %d", i+1, got[i], want[i])
		}
	}
	stmts, err = s.Prepare(ctx, `SELECT id FROM events ORDER BY id LIMIT $1 OFFSET $2`, nil)
	if err != nil {
		t.Fatal(err)
	}
	if pt := stmts[0].ParamTypes(); pt[0] != sqlengine.Int8OID || pt[1] != sqlengine.Int8OID {
		t.Errorf("LIMIT/OFFSET param types = %v", pt)
	}
	lim, err := stmts[0].Execute(ctx, []any{int64(2), int64(10)})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := lim.Next(ctx); err != nil || r[0] != int64(11) {
		t.Errorf("LIMIT row = %v, %v", r, err)
	}
	lim.Close()
	stmts, err = s.Prepare(ctx, `SELECT $1::int4 + 1 AS n, $2 AS t, $3::numeric AS d, $4::timestamptz AS ts`, nil)
	if err != nil {
		t.Fatal(err)
	}
	cols := stmts[0].Columns()
	if cols[1].TypeOID != sqlengine.TextOID || cols[2].TypeOID != sqlengine.NumericOID || cols[3].TypeOID != sqlengine.TimestamptzOID {
		t.Errorf("columns = %+v", cols)
	}
	at := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	rows, err := stmts[0].Execute(ctx, []any{"41", "hello", "1.50", at})
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	r, err := rows.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := toInt64(r[0]); n != 42 || r[1] != "hello" || r[2] != "1.50" || !r[3].(time.Time).Equal(at) {
		t.Errorf("row = %#v", r)
	}
}

func TestDivision(t *testing.T) {
	e := testEngine(t)
	s := openSession(t, e, nil)
	res := mustQuery(t, s, `SELECT -7/2, 7.0/2, 1.0/3, 7/2.0::float8, num/10 FROM events WHERE id = 3`)
	want := []any{int32(-3), "3.5000000000000000", "0.33333333333333333333", 3.5, int32(2)}
	for i := range want {
		if res.rows[0][i] != want[i] {
			t.Errorf("column %d = %#v, want %#v", i, res.rows[0][i], want[i])
		}
	}
	for _, q := range []string{`SELECT 1.5/0`, `SELECT 1/0.0::float8`, `SELECT id/0 FROM events`} {
		_, err := query(t.Context(), s, q)
		if pe := wantCode(t, err, sqlengine.CodeDivisionByZero); pe.Message != "division by zero" {
			t.Errorf("%s: message %q", q, pe.Message)
		}
	}
}

func TestRollbackReportsParameters(t *testing.T) {
	e := testEngine(t)
	client := &fakeClient{}
	s := openSession(t, e, client)
	mustQuery(t, s, `BEGIN`)
	mustQuery(t, s, `SET application_name = 'inside'`)
	if client.params["application_name"] != "inside" {
		t.Fatalf("params = %v", client.params)
	}
	_, err := query(t.Context(), s, `SELECT * FROM missing`)
	wantCode(t, err, sqlengine.CodeUndefinedTable)
	// Parse of another statement in the failed block is refused.
	_, err = s.Prepare(t.Context(), `SELECT 1`, nil)
	wantCode(t, err, sqlengine.CodeInFailedSQLTransaction)
	mustQuery(t, s, `ROLLBACK`)
	if client.params["application_name"] != "" || s.TxStatus() != 'I' {
		t.Errorf("after rollback: params %v status %c", client.params, s.TxStatus())
	}
}

func TestMultiStatementQuery(t *testing.T) {
	e := testEngine(t)
	s := openSession(t, e, nil)
	stmts, err := s.Prepare(t.Context(), `SET TimeZone = 'Asia/Tokyo'; SELECT current_setting('TimeZone') AS tz; ;`, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(stmts) != 2 {
		t.Fatalf("%d statements", len(stmts))
	}
	res, err := query(t.Context(), s, `SET TimeZone = 'Asia/Tokyo'; SELECT current_setting('TimeZone') AS tz`)
	if err != nil {
		t.Fatal(err)
	}
	if res.rows[0][0] != "Asia/Tokyo" || res.cols[0].Name != "tz" {
		t.Errorf("result = %+v", res)
	}
	if stmts, err := s.Prepare(t.Context(), ` ; -- nothing`, nil); err != nil || len(stmts) != 0 {
		t.Errorf("empty query: %v, %v", stmts, err)
	}
}

func offsetOf(loc *time.Location) int {
	_, off := time.Date(2024, 1, 1, 0, 0, 0, 0, loc).Zone()
	return off
}

func TestCatalogFunctions(t *testing.T) {
	e := testEngine(t)
	s := openSession(t, e, nil)
	res := mustQuery(t, s, `SELECT format_type(1700, 655366), format_type(1043, 14), format_type(20, NULL), pg_get_userbyid(10),
		has_table_privilege('events', 'SELECT'), obj_description(1, 'pg_class'), pg_table_is_visible('events'::regclass),
		to_char(ts, 'YYYY-MM-DD HH24:MI:SS Dy'), to_timestamp(0), ts AT TIME ZONE 'Asia/Tokyo'
		FROM events WHERE id = 2`)
	want := []any{"numeric(10,2)", "character varying(10)", "bigint", "root", true, nil, true,
		"2024-01-01 01:00:00 Mon", time.Unix(0, 0).UTC(), time.Date(2023, 12, 31, 16, 0, 0, 0, time.UTC)}
	for i := range want {
		got := res.rows[0][i]
		if wt, ok := want[i].(time.Time); ok {
			if gt, ok := got.(time.Time); !ok || !gt.Equal(wt) {
				t.Errorf("column %d = %#v, want %v", i, got, wt)
			}
			continue
		}
		if got != want[i] {
			t.Errorf("column %d = %#v, want %#v", i, got, want[i])
		}
	}
}
