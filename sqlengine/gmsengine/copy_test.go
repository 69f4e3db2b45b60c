package gmsengine

import (
	"context"
	"fmt"
	"testing"

	"github.com/pqsql/pqsql/sqlengine"
)

// copySession opens a session for user, who must be one of testEngine's roles.
func copySession(t *testing.T, e *Engine, user string) sqlengine.Session {
	t.Helper()
	s, err := e.NewSession(context.Background(), sqlengine.SessionInfo{User: user, Database: "db"})
	if err != nil {
		t.Fatalf("NewSession(%s): %v", user, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// execOne prepares and executes a single statement.
func execOne(t *testing.T, s sqlengine.Session, q string) (sqlengine.Rows, error) {
	t.Helper()
	stmts, err := s.Prepare(context.Background(), q, nil)
	if err != nil {
		return nil, err
	}
	if len(stmts) != 1 {
		t.Fatalf("%s: %d statements", q, len(stmts))
	}
	return stmts[0].Execute(context.Background(), nil)
}

func TestCopyToStdout(t *testing.T) {
	e := testEngine(t)
	s := openSession(t, e, nil)
	tests := []struct {
		sql      string
		cols     []string
		rows     int
		first    string
		format   sqlengine.CopyFormat
		forceAll bool
	}{
		{sql: `COPY countries TO STDOUT`, cols: []string{"code", "label"}, rows: 3, first: "[a Alpha]",
			format: sqlengine.CopyFormat{Format: "text", Delimiter: '\t', Null: `\N`}},
		{sql: `COPY countries (label) TO STDOUT WITH (FORMAT csv, HEADER, FORCE_QUOTE (label))`, cols: []string{"label"}, rows: 3, first: "[Alpha]",
			format: sqlengine.CopyFormat{Format: "csv", Delimiter: ',', Null: "", Header: true, Quote: '"', Escape: '"', ForceQuote: []bool{true}}},
		{sql: `COPY (SELECT id, name FROM events WHERE id <= 5 ORDER BY id) TO STDOUT CSV HEADER DELIMITER ';' NULL 'x' FORCE QUOTE *`,
			cols: []string{"id", "name"}, rows: 5, first: "[1 name-1]",
			format: sqlengine.CopyFormat{Format: "csv", Delimiter: ';', Null: "x", Header: true, Quote: '"', Escape: '"', ForceQuote: []bool{true, true}}},
		{sql: `COPY (SELECT 1 AS a) TO STDOUT (FORMAT binary)`, cols: []string{"a"}, rows: 1, first: "[1]",
			format: sqlengine.CopyFormat{Format: "binary", Delimiter: '\t', Null: `\N`}},
		{sql: `COPY countries TO STDOUT (FORMAT csv, QUOTE '''', ESCAPE '\')`, cols: []string{"code", "label"}, rows: 3, first: "[a Alpha]",
			format: sqlengine.CopyFormat{Format: "csv", Delimiter: ',', Quote: '\'', Escape: '\\'}},
	}
	for _, tt := range tests {
		rows, err := execOne(t, s, tt.sql)
		if err != nil {
			t.Fatalf("%s: %v", tt.sql, err)
		}
		co, ok := rows.(sqlengine.CopyOutRows)
		if !ok {
			t.Fatalf("%s: rows %T are not CopyOutRows", tt.sql, rows)
		}
		if got := co.CopyFormat(); fmt.Sprint(got) != fmt.Sprint(tt.format) {
			t.Errorf("%s: format %+v, want %+v", tt.sql, got, tt.format)
		}
		var names []string
		for _, c := range rows.Columns() {
			names = append(names, c.Name)
		}
		if fmt.Sprint(names) != fmt.Sprint(tt.cols) {
			t.Errorf("%s: columns %v, want %v", tt.sql, names, tt.cols)
		}
		var n int
		for {
			row, err := rows.Next(context.Background())
			if err != nil {
				break
			}
			if n == 0 && fmt.Sprint(row) != tt.first {
				t.Errorf("%s: first row %v, want %s", tt.sql, row, tt.first)
			}
			n++
		}
		if n != tt.rows || rows.Tag() != fmt.Sprintf("COPY %d", tt.rows) {
			t.Errorf("%s: %d rows, tag %q; want %d", tt.sql, n, rows.Tag(), tt.rows)
		}
		rows.Close()
	}
}

func TestCopyErrors(t *testing.T) {
	e := testEngine(t)
	reader := copySession(t, e, "alice")
	admin := copySession(t, e, "root")
	tests := []struct {
		s    sqlengine.Session
		sql  string
		code string
		msg  string
	}{
		{reader, `COPY __raw__events TO STDOUT`, "42P01", `relation "__raw__events" does not exist`},
		{reader, `COPY (SELECT * FROM __raw__events) TO STDOUT`, "42P01", `relation "__raw__events" does not exist`},
		{reader, `COPY nosuch TO STDOUT`, "42P01", `relation "nosuch" does not exist`},
		{reader, `COPY events TO '/tmp/x'`, "42501", "must be superuser or have privileges of the pg_write_server_files role to COPY to a file"},
		{admin, `COPY events TO '/tmp/x'`, "0A000", "COPY to a file is not supported"},
		{reader, `COPY events FROM STDIN`, "0A000", "COPY FROM is not supported: pqsql tables are read-only"},
		{reader, `COPY events (id, nope) TO STDOUT`, "42703", `column "nope" of relation "events" does not exist`},
		{reader, `COPY events (id, id) TO STDOUT`, "42701", `column "id" specified more than once`},
		{reader, `COPY events (id) TO STDOUT (FORMAT csv, FORCE_QUOTE (name))`, "42P10", `FORCE_QUOTE column "name" not referenced by COPY`},
		{reader, `COPY events TO STDOUT (FORMAT xml)`, "22023", `COPY format "xml" not recognized`},
		{reader, `COPY events TO STDOUT (FORMAT csv, FORMAT text)`, "42601", "conflicting or redundant options"},
		{reader, `COPY events TO STDOUT (DELIMITER 'ab')`, "0A000", "COPY delimiter must be a single one-byte character"},
		{reader, `COPY events TO STDOUT (FORMAT csv, DELIMITER '"')`, "22023", "COPY delimiter and quote must be different"},
		{reader, `COPY events TO STDOUT (QUOTE '"')`, "0A000", "COPY quote available only in CSV mode"},
		{reader, `COPY events TO STDOUT (FORMAT binary, HEADER)`, "0A000", "cannot specify HEADER in BINARY mode"},
		{reader, `COPY events TO STDOUT (HEADER match)`, "0A000", `cannot use "match" with HEADER in COPY TO`},
		{reader, `COPY events TO STDOUT (bogus 1)`, "42601", `option "bogus" not recognized`},
		{reader, `COPY (DELETE FROM events) TO STDOUT`, "0A000", "COPY query must have a RETURNING clause"},
	}
	for _, tt := range tests {
		_, err := execOne(t, tt.s, tt.sql)
		pe := wantCode(t, err, tt.code)
		if pe.Message != tt.msg {
			t.Errorf("%s: message %q, want %q", tt.sql, pe.Message, tt.msg)
		}
	}
}
