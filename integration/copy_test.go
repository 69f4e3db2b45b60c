package integration

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"
)

// copyNotesCSV is \copy of candidates whose notes need CSV quoting, as
// PostgreSQL 15 writes it.
const copyNotesCSV = "candidate_id,first_name,score,notes\n" +
	"CAND-000007,Michelle,19.51,\"Prefers remote, open to hybrid\"\n" +
	"CAND-000023,Seán,34.04,\"Prefers remote, open to hybrid\"\n" +
	"CAND-000031,Sandra,9.35,\"Two interviews scheduled:\nTue 10:00, Thu 14:00\"\n" +
	"CAND-000094,Joshua,37.74,\"Strong \"\"culture add\"\" per panel\"\n"

const copyNotesQuery = `SELECT candidate_id, first_name, score, notes FROM candidates
	WHERE notes LIKE '%,%' OR notes LIKE '%"%' ORDER BY candidate_id LIMIT 4`

func TestPsqlCopyToFile(t *testing.T) {
	p := startServer(t)
	dir := t.TempDir()
	csvFile := filepath.Join(dir, "notes.csv")
	textFile := filepath.Join(dir, "notes.txt")
	// psql's \copy runs COPY ... TO STDOUT and writes what it receives.
	if _, err := psql(t, p, analystUser, analystPassword, "-c",
		`\copy (`+copyNotesQuery+`) to '`+csvFile+`' csv header`); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(csvFile); err != nil || string(got) != copyNotesCSV {
		t.Errorf("\\copy csv header wrote %q (%v), want %q", got, err, copyNotesCSV)
	}
	if _, err := psql(t, p, analystUser, analystPassword, "-c",
		`\copy candidates (candidate_id, notes, score) to '`+textFile+`'`); err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(textFile)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSuffix(text, []byte("\n")), []byte("\n"))
	if len(lines) != 100000 {
		t.Fatalf("\\copy candidates wrote %d lines, want 100000", len(lines))
	}
	for i, want := range map[int]string{
		0:  "CAND-000001\t\\N\t\\N",
		1:  "CAND-000002\tFollow up next week\t39.72",
		30: "CAND-000031\tTwo interviews scheduled:\\nTue 10:00, Thu 14:00\t9.35",
	} {
		if string(lines[i]) != want {
			t.Errorf("line %d = %q, want %q", i+1, lines[i], want)
		}
	}
	// psql reports the COPY's tag.
	out, err := psql(t, p, analystUser, analystPassword, "-c", `\copy (SELECT 1) to '`+textFile+`'`)
	if err != nil || out != "COPY 1\n" {
		t.Errorf("psql output %q, %v", out, err)
	}
}

func TestCopyToWithPgconn(t *testing.T) {
	p := shared.get(t)
	ctx := testCtx(t)
	conn := connect(t, p, analystUser, analystPassword)
	tests := []struct{ sql, want, tag string }{
		{`COPY (` + copyNotesQuery + `) TO STDOUT WITH (FORMAT csv, HEADER true)`, copyNotesCSV, "COPY 4"},
		{`COPY (SELECT id, c_int2, c_bool, c_text, c_numeric, c_date, c_timestamptz, c_bytea, c_uuid, c_json FROM alltypes WHERE id <= 2 ORDER BY id) TO STDOUT`,
			"1\t100\tt\thello\t12.34\t2024-02-29\t2024-02-29 12:34:56.789012+00\t\\\\x010203\t123e4567-e89b-12d3-a456-426614174000\t{\"a\": 1}\n" +
				"2\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\n", "COPY 2"},
		{`COPY (SELECT id, c_text, c_json FROM alltypes WHERE id IN (1, 2, 10) ORDER BY id) TO STDOUT CSV HEADER NULL 'NULL' FORCE QUOTE c_text`,
			"id,c_text,c_json\n1,\"hello\",\"{\"\"a\"\": 1}\"\n2,NULL,NULL\n10,\"NULL\",NULL\n", "COPY 3"},
		{`COPY (SELECT id FROM alltypes WHERE false) TO STDOUT (FORMAT binary)`,
			"PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff", "COPY 0"},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		tag, err := conn.PgConn().CopyTo(ctx, &buf, tt.sql)
		if err != nil {
			t.Fatalf("%s: %v", tt.sql, err)
		}
		if buf.String() != tt.want || tag.String() != tt.tag {
			t.Errorf("%s:\n got %q, %q\nwant %q, %q", tt.sql, buf.String(), tag, tt.want, tt.tag)
		}
	}
}

func TestCopyErrors(t *testing.T) {
	p := shared.get(t)
	ctx := testCtx(t)
	tests := []struct {
		user, password, sql, code, msg string
	}{
		{analystUser, analystPassword, `COPY __raw__candidates TO STDOUT`, "42P01", `relation "__raw__candidates" does not exist`},
		{analystUser, analystPassword, `COPY (SELECT * FROM __raw__candidates) TO STDOUT`, "42P01", `relation "__raw__candidates" does not exist`},
		{analystUser, analystPassword, `COPY candidates FROM STDIN`, "0A000", "COPY FROM is not supported: pqsql tables are read-only"},
		{analystUser, analystPassword, `COPY candidates TO '/tmp/x.csv'`, "42501",
			"must be superuser or have privileges of the pg_write_server_files role to COPY to a file"},
		{adminUser, adminPassword, `COPY candidates TO '/tmp/x.csv'`, "0A000", "COPY to a file is not supported"},
		{analystUser, analystPassword, `COPY candidates (nope) TO STDOUT`, "42703", `column "nope" of relation "candidates" does not exist`},
		{analystUser, analystPassword, `COPY candidates TO STDOUT (FORMAT csv, DELIMITER 'ab')`, "0A000", "COPY delimiter must be a single one-byte character"},
	}
	for _, tt := range tests {
		conn := connect(t, p, tt.user, tt.password)
		var buf bytes.Buffer
		_, err := conn.PgConn().CopyTo(ctx, &buf, tt.sql)
		if pe := pgError(t, err); pe.Code != tt.code || pe.Message != tt.msg {
			t.Errorf("%s: %s %q, want %s %q", tt.sql, pe.Code, pe.Message, tt.code, tt.msg)
		}
		if buf.Len() != 0 {
			t.Errorf("%s: copied %q", tt.sql, buf.Bytes())
		}
	}
	// The admin may read the raw table.
	conn := connect(t, p, adminUser, adminPassword)
	var buf bytes.Buffer
	if tag, err := conn.PgConn().CopyTo(ctx, &buf, `COPY (SELECT count(*) FROM __raw__candidates) TO STDOUT`); err != nil || tag.String() != "COPY 1" {
		t.Errorf("admin COPY of __raw__candidates: %v %q", err, tag)
	}
}

// TestCopyExtendedProtocol runs COPY through Parse/Bind/Execute, which
// PostgreSQL allows: Describe answers NoData, Execute streams the COPY.
func TestCopyExtendedProtocol(t *testing.T) {
	p := shared.get(t)
	conn := connect(t, p, analystUser, analystPassword)
	hc := hijack(t, conn)
	fe := hc.Frontend
	fe.Send(&pgproto3.Parse{Query: `COPY (SELECT candidate_id, score FROM candidates ORDER BY candidate_id LIMIT 2) TO STDOUT (FORMAT csv)`})
	fe.Send(&pgproto3.Bind{})
	fe.Send(&pgproto3.Describe{ObjectType: 'P'})
	fe.Send(&pgproto3.Execute{})
	fe.Send(&pgproto3.Sync{})
	if err := fe.Flush(); err != nil {
		t.Fatal(err)
	}
	var got []string
	var data bytes.Buffer
	for {
		msg, err := fe.Receive()
		if err != nil {
			t.Fatal(err)
		}
		switch m := msg.(type) {
		case *pgproto3.CopyOutResponse:
			got = append(got, "CopyOutResponse")
			if m.OverallFormat != 0 || len(m.ColumnFormatCodes) != 2 || m.ColumnFormatCodes[0] != 0 {
				t.Errorf("CopyOutResponse %+v", m)
			}
		case *pgproto3.CopyData:
			got = append(got, "CopyData")
			data.Write(m.Data)
		case *pgproto3.CommandComplete:
			got = append(got, "CommandComplete "+string(m.CommandTag))
		case *pgproto3.ErrorResponse:
			t.Fatalf("error: %+v", m)
		default:
			got = append(got, strings.TrimPrefix(fmt.Sprintf("%T", msg), "*pgproto3."))
		}
		if _, ok := msg.(*pgproto3.ReadyForQuery); ok {
			break
		}
	}
	want := "[ParseComplete BindComplete NoData CopyOutResponse CopyData CopyData CopyDone CommandComplete COPY 2 ReadyForQuery]"
	if s := fmt.Sprint(got); s != want {
		t.Errorf("messages %s, want %s", s, want)
	}
	if data.String() != "CAND-000001,\nCAND-000002,39.72\n" {
		t.Errorf("data %q", data.String())
	}
}
