package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pqsql/pqsql/sqlengine"
)

// fakeEngine is a tiny sqlengine.Engine for the server tests. Statements are
// separated by ';' and understood by their first word:
//
//	gen N            one int8 column "n" with rows 1..N, tag "SELECT N"
//	echo T1 T2 ...   parameters $1.. of the named types (int8, date, ...),
//	                 returned as one row with one column per parameter
//	value T          one row: the canonical sample value of type T
//	fail             42P01 relation "nosuch" does not exist, position 15
//	oops             a plain Go error (an internal error)
//	syntax           fails at Prepare with 42601
//	sleep            blocks until its context is cancelled (signals started)
//	block            blocks until release is closed (signals started)
//	notice           sends a notice, tag "DO"
//	settz ZONE       reports TimeZone=ZONE, tag "SET"
//	begin / commit   enter / leave a transaction block
//	panic            panics
//	ddl              no rows, tag "CREATE TABLE"
//	copy FORMAT      COPY TO STDOUT of copyTestRows in FORMAT (see copy_test.go)
//	binrows          copyTestRows as rows asking for binary format
type fakeEngine struct {
	// noPanic makes "panic" an ordinary error, so that fuzzing detects panics
	// of the server's own.
	noPanic  bool
	started  chan string // receives "sleep"/"block" when such a statement starts (if not full)
	release  chan struct{}
	closed   atomic.Int64 // sessions closed
	opened   atomic.Int64
	mu       sync.Mutex
	sessions []*fakeSession
}

func newFakeEngine() *fakeEngine {
	return &fakeEngine{started: make(chan string, 16), release: make(chan struct{})}
}

func (e *fakeEngine) NewSession(ctx context.Context, info sqlengine.SessionInfo) (sqlengine.Session, error) {
	if info.Database == "nosuchdb" {
		return nil, sqlengine.Errorf(sqlengine.CodeInvalidCatalogName, "database %q does not exist", info.Database)
	}
	e.opened.Add(1)
	tz := "UTC"
	if v, ok := info.StartupParams["TimeZone"]; ok {
		tz = v
	}
	s := &fakeSession{engine: e, info: info, tz: tz, tx: 'I'}
	e.mu.Lock()
	e.sessions = append(e.sessions, s)
	e.mu.Unlock()
	return s, nil
}

func (e *fakeEngine) Close() error { return nil }

func (e *fakeEngine) signal(what string) {
	select {
	case e.started <- what:
	default:
	}
}

type fakeSession struct {
	engine *fakeEngine
	info   sqlengine.SessionInfo
	tz     string
	tx     byte
	// errorsNoted counts NoteError calls (copy_test.go).
	errorsNoted atomic.Int64
}

func (s *fakeSession) ReportedParameters() []sqlengine.Parameter {
	return []sqlengine.Parameter{
		{Name: "application_name", Value: s.info.StartupParams["application_name"]},
		{Name: "client_encoding", Value: "UTF8"},
		{Name: "DateStyle", Value: "ISO, MDY"},
		{Name: "integer_datetimes", Value: "on"},
		{Name: "server_encoding", Value: "UTF8"},
		{Name: "server_version", Value: "15.18"},
		{Name: "standard_conforming_strings", Value: "on"},
		{Name: "TimeZone", Value: s.tz},
	}
}

func (s *fakeSession) Prepare(ctx context.Context, query string, paramTypes []uint32) ([]sqlengine.Statement, error) {
	var out []sqlengine.Statement
	for _, part := range strings.Split(query, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if strings.HasPrefix(part, "syntax") {
			return nil, &sqlengine.Error{Code: sqlengine.CodeSyntaxError, Message: `syntax error at or near "syntax"`, Position: 1}
		}
		st := &fakeStmt{sess: s, sql: part, words: strings.Fields(part)}
		st.words[0] = strings.ToLower(st.words[0])
		if st.words[0] == "echo" {
			var names []string
			for _, w := range st.words[1:] {
				if !strings.HasPrefix(w, "$") { // placeholders, for clients that need them
					names = append(names, w)
				}
			}
			for i, name := range names {
				oid := typeOIDs[name]
				if i < len(paramTypes) && paramTypes[i] != 0 {
					oid = paramTypes[i]
				}
				st.params = append(st.params, oid)
			}
		}
		out = append(out, st)
	}
	return out, nil
}

func (s *fakeSession) TxStatus() byte { return s.tx }

func (s *fakeSession) Close() error {
	s.engine.closed.Add(1)
	return nil
}

var typeOIDs = map[string]uint32{
	"bool": sqlengine.BoolOID, "bytea": sqlengine.ByteaOID, "int2": sqlengine.Int2OID,
	"int4": sqlengine.Int4OID, "int8": sqlengine.Int8OID, "text": sqlengine.TextOID,
	"oid": sqlengine.OIDOID, "float4": sqlengine.Float4OID, "float8": sqlengine.Float8OID,
	"varchar": sqlengine.VarcharOID, "date": sqlengine.DateOID, "timestamp": sqlengine.TimestampOID,
	"timestamptz": sqlengine.TimestamptzOID, "numeric": sqlengine.NumericOID, "uuid": sqlengine.UUIDOID,
	"json": sqlengine.JSONOID, "jsonb": sqlengine.JSONBOID, "interval": sqlengine.IntervalOID,
}

// sampleValues are the canonical values "value T" returns.
var sampleValues = map[string]any{
	"bool":        true,
	"bytea":       []byte{1, 2},
	"int2":        int16(-2),
	"int4":        int32(7),
	"int8":        int64(-9),
	"text":        "hé",
	"oid":         uint32(26),
	"float4":      float32(1.5),
	"float8":      0.1,
	"varchar":     "v",
	"date":        time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC),
	"timestamp":   time.Date(2024, 1, 2, 3, 4, 5, 123000000, time.UTC),
	"timestamptz": time.Date(2024, 1, 2, 3, 4, 5, 500000000, time.UTC),
	"numeric":     "-12345.678900",
	"uuid":        [16]byte{0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38, 0x0a, 0x11},
	"json":        `{"a":1}`,
	"interval":    "1 day",
}

type fakeStmt struct {
	sess   *fakeSession
	sql    string
	words  []string
	params []uint32
}

// arg returns the statement's first argument, "" when there is none.
func (st *fakeStmt) arg() string {
	if len(st.words) < 2 {
		return ""
	}
	return st.words[1]
}

func (st *fakeStmt) SQL() string          { return st.sql }
func (st *fakeStmt) ParamTypes() []uint32 { return st.params }

func col(name string, oid uint32) sqlengine.Column {
	return sqlengine.Column{Name: name, TypeOID: oid, TypeSize: -1, TypeModifier: -1}
}

func (st *fakeStmt) Columns() []sqlengine.Column {
	switch st.words[0] {
	case "gen":
		return []sqlengine.Column{{Name: "n", TypeOID: sqlengine.Int8OID, TypeSize: 8, TypeModifier: -1, TableOID: 16384, AttrNum: 1}}
	case "echo":
		cols := make([]sqlengine.Column, len(st.params))
		for i, oid := range st.params {
			cols[i] = col("p"+strconv.Itoa(i+1), oid)
		}
		return cols
	case "value":
		return []sqlengine.Column{col(st.arg(), typeOIDs[st.arg()])}
	case "sleep", "block":
		return []sqlengine.Column{col("x", sqlengine.Int4OID)}
	case "binrows":
		return copyTestColumns
	}
	return nil
}

func (st *fakeStmt) Execute(ctx context.Context, params []any) (sqlengine.Rows, error) {
	if len(params) != len(st.params) {
		return nil, fmt.Errorf("fake: %d params for %d", len(params), len(st.params))
	}
	r := &fakeRows{cols: st.Columns(), execCtx: ctx}
	client := st.sess.info.Client
	switch st.words[0] {
	case "gen":
		n, _ := strconv.Atoi(st.arg())
		n = min(max(n, 0), 10000)
		for i := 1; i <= n; i++ {
			r.rows = append(r.rows, []any{int64(i)})
		}
		r.tag = "SELECT " + strconv.Itoa(n)
	case "echo":
		r.rows = [][]any{params}
		r.tag = "SELECT 1"
	case "value":
		r.rows = [][]any{{sampleValues[st.arg()]}}
		r.tag = "SELECT 1"
	case "fail":
		return nil, &sqlengine.Error{Code: sqlengine.CodeUndefinedTable, Message: `relation "nosuch" does not exist`,
			Position: 15, Hint: "a hint", Detail: "a detail"}
	case "oops":
		return nil, errors.New("fake engine bug")
	case "sleep":
		st.sess.engine.signal("sleep")
		<-ctx.Done()
		return nil, fmt.Errorf("fake sleep: %w", ctx.Err())
	case "block":
		st.sess.engine.signal("block")
		<-st.sess.engine.release
		r.rows = [][]any{{int32(1)}}
		r.tag = "SELECT 1"
	case "notice":
		client.Notice(&sqlengine.Notice{Severity: "NOTICE", Code: "00000", Message: "hello", Detail: "d", Hint: "h"})
		r.tag = "DO"
	case "settz":
		st.sess.tz = st.arg()
		client.ParameterStatus("TimeZone", st.arg())
		r.tag = "SET"
	case "begin":
		st.sess.tx = 'T'
		r.tag = "BEGIN"
	case "commit", "rollback":
		st.sess.tx = 'I'
		r.tag = "COMMIT"
	case "panic":
		if st.sess.engine.noPanic {
			return nil, errors.New("fake: no panic")
		}
		panic("fake engine panic")
	case "ddl":
		r.tag = "CREATE TABLE"
	case "copy", "binrows":
		return fakeCopy(st, r)
	case "set":
		r.tag = "SET"
	default:
		return nil, sqlengine.Errorf(sqlengine.CodeSyntaxError, "fake: unknown statement %q", st.sql)
	}
	return r, nil
}

type fakeRows struct {
	// execCtx is the context of Execute: like go-mysql-server's iterators,
	// the rows stop working when it ends.
	execCtx context.Context
	cols    []sqlengine.Column
	rows    [][]any
	tag     string
	next    int
	closed  bool
}

func (r *fakeRows) Columns() []sqlengine.Column { return r.cols }

func (r *fakeRows) Next(ctx context.Context) ([]any, error) {
	if r.closed {
		return nil, errors.New("fake: rows closed")
	}
	if err := r.execCtx.Err(); err != nil {
		return nil, fmt.Errorf("fake rows: %w", err)
	}
	if r.next >= len(r.rows) {
		return nil, io.EOF
	}
	r.next++
	return r.rows[r.next-1], nil
}

func (r *fakeRows) Tag() string  { return r.tag }
func (r *fakeRows) Close() error { r.closed = true; return nil }
