package pgtranslate

import (
	"errors"
	"regexp"
	"testing"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/pqsql/pqsql/sqlengine"
)

func TestParseSplitsStatements(t *testing.T) {
	query := "  SELECT 1 ;\n\tSET x = 'a;b'; -- done\n SELECT $2, $1 FROM t WHERE a = $3;"
	stmts, err := Parse(query)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		sql       string
		offset    int
		numParams int
	}{
		{"SELECT 1", 2, 0},
		{"SET x = 'a;b'", 14, 0},
		{"-- done\n SELECT $2, $1 FROM t WHERE a = $3", 29, 3},
	}
	if len(stmts) != len(want) {
		t.Fatalf("got %d statements, want %d", len(stmts), len(want))
	}
	for i, w := range want {
		st := stmts[i]
		if st.SQL != w.sql || st.Offset != w.offset || st.NumParams != w.numParams {
			t.Errorf("statement %d: got %q at %d with %d params, want %q at %d with %d params",
				i, st.SQL, st.Offset, st.NumParams, w.sql, w.offset, w.numParams)
		}
		if query[st.Offset:st.Offset+len(st.SQL)] != st.SQL {
			t.Errorf("statement %d: Offset does not locate SQL in the query", i)
		}
	}
	if _, ok := stmts[1].Node.Node.(*pg_query.Node_VariableSetStmt); !ok {
		t.Errorf("statement 1: got node %T, want VariableSetStmt", stmts[1].Node.Node)
	}
}

func TestParseEmpty(t *testing.T) {
	for _, q := range []string{"", "   ", ";", " ; ;", "-- comment", "/* c */ ;"} {
		stmts, err := Parse(q)
		if err != nil || len(stmts) != 0 {
			t.Errorf("Parse(%q) = %d statements, %v; want none", q, len(stmts), err)
		}
	}
}

func TestParseSyntaxErrors(t *testing.T) {
	// Positions and messages as PostgreSQL 15 reports them (checked against a
	// real server): 1-based character offsets into the whole query.
	cases := []struct {
		query, msg string
		pos        int32
	}{
		{"selec 1", `syntax error at or near "selec"`, 1},
		{"select 1 2", `syntax error at or near "2"`, 10},
		{"select 1 from", "syntax error at end of input", 14},
		{"select é from", "syntax error at end of input", 14},
		{"select 'é' + from t", `syntax error at or near "from"`, 14},
		{"select 1; select 'abc", `unterminated quoted string at or near "'abc"`, 18},
		{`select "" from t`, `zero-length delimited identifier at or near """"`, 8},
		{"select 1 limit 1,2", "LIMIT #,# syntax is not supported", 10},
	}
	for _, c := range cases {
		_, err := Parse(c.query)
		var se *sqlengine.Error
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q): got %v, want *sqlengine.Error", c.query, err)
			continue
		}
		if se.Code != sqlengine.CodeSyntaxError || se.Message != c.msg || se.Position != c.pos {
			t.Errorf("Parse(%q): got %s %q at %d, want 42601 %q at %d", c.query, se.Code, se.Message, se.Position, c.msg, c.pos)
		}
	}
}

func TestTranslatePositionInLaterStatement(t *testing.T) {
	stmts, err := Parse("SELECT 'ü'; SELECT a FROM nosuch.t")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Translate(stmts[1])
	var se *sqlengine.Error
	if !errors.As(err, &se) || se.Code != sqlengine.CodeUndefinedTable || se.Position != 27 {
		t.Fatalf("got %#v, want 42P01 at character 27", err)
	}
}

func TestPqsqlFunctionsCoverEmittedNames(t *testing.T) {
	pqsqlNamePattern := regexp.MustCompile(`pqsql_[a-z_]+`)
	listed := map[string]bool{}
	for _, sig := range PqsqlFunctions() {
		for _, m := range pqsqlNamePattern.FindAllString(sig, -1) {
			listed[m] = true
		}
	}
	for _, name := range []string{
		"pqsql_cast", "pqsql_div", "pqsql_extract", "pqsql_current_user", "pqsql_session_user",
		"pqsql_current_database", "pqsql_current_schema", "pqsql_current_time", "pqsql_btrim",
		"pqsql_version", "pqsql_format_type", "pqsql_pg_get_expr", "pqsql_timezone",
		"pqsql_unnest", "pqsql_array", "pqsql_array_quote", "pqsql_array_wrap", "pqsql_array_any",
		"pqsql_array_subscript", "pqsql_record_field", "pqsql_array_to_string", "pqsql_array_upper",
		"pqsql_array_single", "pqsql_pg_expandarray", "pqsql_json_build_object",
	} {
		if !listed[name] {
			t.Errorf("PqsqlFunctions does not list %s", name)
		}
	}
}
