package server

import (
	"bytes"
	"context"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/pqsql/pqsql/sqlengine"
)

// copyTestColumns and copyTestRows are what the fake engine's "copy" and
// "binrows" statements return.
var (
	copyTestColumns = []sqlengine.Column{col("id", sqlengine.Int4OID), col("t", sqlengine.TextOID), col("b", sqlengine.ByteaOID)}
	copyTestRows    = [][]any{
		{int32(1), "plain", []byte{1, 2}},
		{int32(2), "tab\there\nnew\\line\r", nil},
		{nil, `q"u,o`, []byte{}},
		{int32(4), "", nil},
	}
)

// fakeCopyRows is a COPY TO STDOUT result of the fake engine.
type fakeCopyRows struct {
	*fakeRows
	format sqlengine.CopyFormat
}

func (r *fakeCopyRows) CopyFormat() sqlengine.CopyFormat { return r.format }

// fakeBinaryRows asks for binary format.
type fakeBinaryRows struct{ *fakeRows }

func (r *fakeBinaryRows) Binary() bool { return true }

func fakeCopy(st *fakeStmt, r *fakeRows) (sqlengine.Rows, error) {
	r.cols, r.rows = copyTestColumns, copyTestRows
	if st.words[0] == "binrows" {
		r.tag = "FETCH 4"
		return &fakeBinaryRows{r}, nil
	}
	r.tag = "COPY 4"
	f := sqlengine.CopyFormat{Format: st.arg(), Delimiter: '\t', Null: `\N`}
	switch st.arg() {
	case "csv":
		f = sqlengine.CopyFormat{Format: "csv", Delimiter: ',', Header: true, Quote: '"', Escape: '"', ForceQuote: []bool{false, false, true}}
	case "text":
		f.Header = true
	}
	return &fakeCopyRows{fakeRows: r, format: f}, nil
}

// Expected outputs, as PostgreSQL 15 writes these rows.
const (
	copyTestText = "id\tt\tb\n" +
		"1\tplain\t\\\\x0102\n" +
		"2\ttab\\there\\nnew\\\\line\\r\t\\N\n" +
		"\\N\tq\"u,o\t\\\\x\n" +
		"4\t\t\\N\n"
	copyTestCSV = "id,t,b\n" +
		"1,plain,\"\\x0102\"\n" +
		"2,\"tab\there\nnew\\line\r\",\n" +
		",\"q\"\"u,o\",\"\\x\"\n" +
		"4,\"\",\n"
)

func TestCopyToWithPgconn(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.connect(t)
	for _, tt := range []struct{ sql, want string }{
		{"copy text", copyTestText},
		{"copy csv", copyTestCSV},
	} {
		var buf bytes.Buffer
		tag, err := c.CopyTo(context.Background(), &buf, tt.sql)
		if err != nil {
			t.Fatalf("%s: %v", tt.sql, err)
		}
		if tag.String() != "COPY 4" || tag.RowsAffected() != 4 {
			t.Errorf("%s: tag %q", tt.sql, tag)
		}
		if buf.String() != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.sql, buf.String(), tt.want)
		}
	}
	// The connection is usable afterwards.
	if res, err := c.Exec(context.Background(), "gen 2").ReadAll(); err != nil || len(res) != 1 || len(res[0].Rows) != 2 {
		t.Errorf("query after COPY: %+v, %v", res, err)
	}
}

// copyBinaryWant is the binary COPY stream of copyTestRows, split into the
// CopyData messages PostgreSQL sends.
func copyBinaryWant() [][]byte {
	var msgs [][]byte
	msg := append([]byte(nil), copyBinarySignature[:]...)
	for _, row := range copyTestRows {
		msg = binary.BigEndian.AppendUint16(msg, 3)
		for i, v := range row {
			if v == nil {
				msg = binary.BigEndian.AppendUint32(msg, 0xffffffff)
				continue
			}
			var data []byte
			switch i {
			case 0:
				data = binary.BigEndian.AppendUint32(nil, uint32(v.(int32)))
			case 1:
				data = []byte(v.(string))
			case 2:
				data = v.([]byte)
			}
			msg = binary.BigEndian.AppendUint32(msg, uint32(len(data)))
			msg = append(msg, data...)
		}
		msgs = append(msgs, msg)
		msg = nil
	}
	return append(msgs, []byte{0xff, 0xff})
}

func TestCopyOutProtocol(t *testing.T) {
	ts := startServer(t, nil)
	rc := dialRaw(t, ts.addr)
	rc.login("alice", testPassword, nil)

	check := func(name string, overall byte, colFormat uint16, data [][]byte) {
		t.Helper()
		resp := rc.expect("CopyOutResponse")[0].(*pgproto3.CopyOutResponse)
		if resp.OverallFormat != overall || len(resp.ColumnFormatCodes) != 3 {
			t.Fatalf("%s: CopyOutResponse %+v", name, resp)
		}
		for _, f := range resp.ColumnFormatCodes {
			if f != colFormat {
				t.Errorf("%s: column formats %v", name, resp.ColumnFormatCodes)
			}
		}
		for i, want := range data {
			got := rc.expect("CopyData")[0].(*pgproto3.CopyData)
			if !bytes.Equal(got.Data, want) {
				t.Errorf("%s: CopyData %d = %q, want %q", name, i, got.Data, want)
			}
		}
		rc.expect("CopyDone")
		cc := rc.expect("CommandComplete")[0].(*pgproto3.CommandComplete)
		if string(cc.CommandTag) != "COPY 4" {
			t.Errorf("%s: tag %q", name, cc.CommandTag)
		}
	}
	var textLines [][]byte
	for _, l := range strings.SplitAfter(copyTestText, "\n") {
		if l != "" {
			textLines = append(textLines, []byte(l))
		}
	}

	// Simple query.
	rc.send(&pgproto3.Query{String: "copy text"})
	check("simple text", 0, 0, textLines)
	rc.expect("ReadyForQuery")
	rc.send(&pgproto3.Query{String: "copy binary"})
	check("simple binary", 1, 1, copyBinaryWant())
	rc.expect("ReadyForQuery")

	// Extended query: Describe says NoData, Execute streams the COPY and
	// ignores its row limit.
	rc.send(&pgproto3.Parse{Query: "copy text"}, &pgproto3.Bind{}, &pgproto3.Describe{ObjectType: 'P'},
		&pgproto3.Execute{MaxRows: 1}, &pgproto3.Sync{})
	rc.expect("ParseComplete", "BindComplete", "NoData")
	check("extended text", 0, 0, textLines)
	rc.expect("ReadyForQuery")
}

func TestBinaryRowsInSimpleQuery(t *testing.T) {
	ts := startServer(t, nil)
	rc := dialRaw(t, ts.addr)
	rc.login("alice", testPassword, nil)
	rc.send(&pgproto3.Query{String: "binrows"})
	rd := rc.expect("RowDescription")[0].(*pgproto3.RowDescription)
	for _, f := range rd.Fields {
		if f.Format != pgproto3.BinaryFormat {
			t.Errorf("field %s format %d, want binary", f.Name, f.Format)
		}
	}
	dr := rc.expect("DataRow")[0].(*pgproto3.DataRow)
	if !bytes.Equal(dr.Values[0], []byte{0, 0, 0, 1}) || string(dr.Values[1]) != "plain" || !bytes.Equal(dr.Values[2], []byte{1, 2}) {
		t.Errorf("DataRow %q", dr.Values)
	}
	rc.expect("DataRow", "DataRow", "DataRow", "CommandComplete", "ReadyForQuery")
}

func TestCopyEscaping(t *testing.T) {
	csv := sqlengine.CopyFormat{Format: "csv", Delimiter: ',', Quote: '"', Escape: '"'}
	tests := []struct {
		in, text, csv string
	}{
		{"plain", "plain", "plain"},
		{"a\tb", `a\tb`, "a\tb"},
		{"a\nb\rc", `a\nb\rc`, "\"a\nb\rc\""},
		{"\b\f\v\x01", `\b\f\v` + "\x01", "\b\f\v\x01"},
		{`back\slash`, `back\\slash`, `back\slash`},
		{"comma,", "comma,", `"comma,"`},
		{`say "hi"`, `say "hi"`, `"say ""hi"""`},
		{"", "", `""`},
		{`\.`, `\\.`, `"\."`},
	}
	for _, tt := range tests {
		if got := string(appendCopyText(nil, tt.in, '\t')); got != tt.text {
			t.Errorf("text(%q) = %q, want %q", tt.in, got, tt.text)
		}
		if got := string(appendCSV(nil, tt.in, csv, false, true)); got != tt.csv {
			t.Errorf("csv(%q) = %q, want %q", tt.in, got, tt.csv)
		}
	}
	if got := string(appendCopyText(nil, "a|b", '|')); got != `a\|b` {
		t.Errorf("text with delimiter | = %q", got)
	}
	if got := string(appendCSV(nil, `\.`, csv, false, false)); got != `\.` {
		t.Errorf(`csv \. in a multi-column row = %q`, got)
	}
	esc := sqlengine.CopyFormat{Format: "csv", Delimiter: ';', Quote: '\'', Escape: '\\', Null: "N"}
	for in, want := range map[string]string{"it's": `'it\'s'`, `a\b;`: `'a\\b;'`, "N": "'N'", "x": "'x'"} {
		if got := string(appendCSV(nil, in, esc, in == "x", false)); got != want {
			t.Errorf("csv(%q) with quote ' escape \\ = %q, want %q", in, got, want)
		}
	}
}

// CursorColumns makes the fake session have one BINARY cursor, "cur".
func (s *fakeSession) CursorColumns(name string) ([]sqlengine.Column, bool, bool) {
	if name != "cur" {
		return nil, false, false
	}
	return copyTestColumns, true, true
}

// NoteError counts the errors the server reported.
func (s *fakeSession) NoteError() { s.errorsNoted.Add(1) }

func TestDescribeCursorPortal(t *testing.T) {
	ts := startServer(t, nil)
	rc := dialRaw(t, ts.addr)
	rc.login("alice", testPassword, nil)
	rc.send(&pgproto3.Describe{ObjectType: 'P', Name: "cur"}, &pgproto3.Sync{})
	rd := rc.expect("RowDescription", "ReadyForQuery")[0].(*pgproto3.RowDescription)
	if len(rd.Fields) != 3 || string(rd.Fields[1].Name) != "t" || rd.Fields[1].Format != pgproto3.BinaryFormat {
		t.Errorf("RowDescription %+v", rd.Fields)
	}
	rc.send(&pgproto3.Describe{ObjectType: 'P', Name: "nope"}, &pgproto3.Sync{})
	e := rc.expect("ErrorResponse", "ReadyForQuery")[0].(*pgproto3.ErrorResponse)
	if e.Code != "34000" || e.Message != `portal "nope" does not exist` {
		t.Errorf("error %+v", e)
	}
	ts.engine.mu.Lock()
	sess := ts.engine.sessions[len(ts.engine.sessions)-1]
	ts.engine.mu.Unlock()
	if n := sess.errorsNoted.Load(); n != 1 {
		t.Errorf("session noted %d errors, want 1", n)
	}
}
