package gmsengine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/rs/zerolog"

	"github.com/pqsql/pqsql/sqlengine"
	"github.com/pqsql/pqsql/tables"
)

const (
	eventRows    = 1000
	rowGroupRows = 100
)

var eventsSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "grp", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "small", Type: arrow.PrimitiveTypes.Int16, Nullable: true},
	{Name: "num", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "score", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "f4", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
	{Name: "flag", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	{Name: "amount", Type: &arrow.Decimal128Type{Precision: 10, Scale: 2}, Nullable: true},
	{Name: "day", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
	{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Nullable: true},
	{Name: "tstz", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
	{Name: "data", Type: arrow.BinaryTypes.Binary, Nullable: true},
}, nil)

// baseTime is row 0's timestamp; row i is i hours later.
var baseTime = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// groupOf is row i's grp value; every 7th row has none.
func groupOf(i int) (string, bool) {
	if i%7 == 0 {
		return "", false
	}
	return []string{"a", "b", "c"}[i%3], true
}

// eventsBatch builds rows [from, to) of the events table.
func eventsBatch(from, to int) arrow.RecordBatch {
	b := array.NewRecordBuilder(memory.DefaultAllocator, eventsSchema)
	defer b.Release()
	for i := from; i < to; i++ {
		b.Field(0).(*array.Int64Builder).Append(int64(i + 1))
		b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("name-%d", i+1))
		if g, ok := groupOf(i + 1); ok {
			b.Field(2).(*array.StringBuilder).Append(g)
		} else {
			b.Field(2).(*array.StringBuilder).AppendNull()
		}
		b.Field(3).(*array.Int16Builder).Append(int16(i % 100))
		b.Field(4).(*array.Int32Builder).Append(int32(i * 10))
		b.Field(5).(*array.Float64Builder).Append(float64(i) + 0.5)
		b.Field(6).(*array.Float32Builder).Append(float32(i) / 4)
		b.Field(7).(*array.BooleanBuilder).Append(i%2 == 0)
		b.Field(8).(*array.Decimal128Builder).Append(decimal128.FromI64(int64(i*100 + 5)))
		day := baseTime.Add(time.Duration(i) * time.Hour)
		b.Field(9).(*array.Date32Builder).Append(arrow.Date32FromTime(day))
		b.Field(10).(*array.TimestampBuilder).Append(arrow.Timestamp(day.UnixMicro()))
		b.Field(11).(*array.TimestampBuilder).Append(arrow.Timestamp(day.UnixMicro()))
		b.Field(12).(*array.BinaryBuilder).Append([]byte{byte(i), 0xff})
	}
	return b.NewRecordBatch()
}

var countriesSchema = arrow.NewSchema([]arrow.Field{
	{Name: "code", Type: arrow.BinaryTypes.String},
	{Name: "label", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

func countriesBatch() arrow.RecordBatch {
	b := array.NewRecordBuilder(memory.DefaultAllocator, countriesSchema)
	defer b.Release()
	for _, c := range [][2]string{{"a", "Alpha"}, {"b", "Bravo"}, {"d", "Delta"}} {
		b.Field(0).(*array.StringBuilder).Append(c[0])
		b.Field(1).(*array.StringBuilder).Append(c[1])
	}
	return b.NewRecordBatch()
}

// writeParquet writes recs to path, one row group per record.
func writeParquet(t *testing.T, path string, recs ...arrow.RecordBatch) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	props := parquet.NewWriterProperties(parquet.WithMaxRowGroupLength(1<<30), parquet.WithStats(true))
	fw, err := pqarrow.NewFileWriter(recs[0].Schema(), f, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if err := fw.Write(r); err != nil {
			t.Fatal(err)
		}
		r.Release()
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
}

// testEngine writes the test tables and opens an engine on them.
func testEngine(t *testing.T) *Engine {
	t.Helper()
	dir := t.TempDir()
	var recs []arrow.RecordBatch
	for from := 0; from < eventRows; from += rowGroupRows {
		recs = append(recs, eventsBatch(from, from+rowGroupRows))
	}
	writeParquet(t, filepath.Join(dir, "events.parquet"), recs...)
	writeParquet(t, filepath.Join(dir, "countries.parquet"), countriesBatch())
	ctx := context.Background()
	cat, err := tables.Open(ctx, dir, tables.Options{
		KeyColumns: map[string]string{"events": "id", "countries": "code"},
		Logger:     zerolog.Nop(),
	})
	if err != nil {
		t.Fatalf("tables.Open: %v", err)
	}
	e, err := New(ctx, cat, Options{
		Database: "db",
		Roles:    map[string]string{"alice": RoleReader, "root": RoleAdmin, "wendy": RoleWriter},
		Logger:   zerolog.Nop(),
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

// fakeClient records what a session reports.
type fakeClient struct {
	mu      sync.Mutex
	notices []*sqlengine.Notice
	params  map[string]string
}

func (c *fakeClient) Notice(n *sqlengine.Notice) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.notices = append(c.notices, n)
}

func (c *fakeClient) ParameterStatus(name, value string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.params == nil {
		c.params = map[string]string{}
	}
	c.params[name] = value
}

// openSession opens a session for alice on database db.
func openSession(t *testing.T, e *Engine, client *fakeClient) sqlengine.Session {
	t.Helper()
	info := sqlengine.SessionInfo{User: "alice", Database: "db", ProcessID: 42, RemoteAddr: "127.0.0.1:5555"}
	if client != nil {
		info.Client = client
	}
	s, err := e.NewSession(context.Background(), info)
	if err != nil {
		t.Fatalf("NewSession: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// result is one statement's outcome.
type result struct {
	cols []sqlengine.Column
	rows [][]any
	tag  string
}

// query runs every statement of q in order and returns the last result.
func query(ctx context.Context, s sqlengine.Session, q string, params ...any) (*result, error) {
	stmts, err := s.Prepare(ctx, q, nil)
	if err != nil {
		return nil, err
	}
	var res *result
	for _, st := range stmts {
		var p []any
		if len(st.ParamTypes()) > 0 {
			p = params
		}
		rows, err := st.Execute(ctx, p)
		if err != nil {
			return nil, err
		}
		res = &result{cols: rows.Columns()}
		for {
			r, err := rows.Next(ctx)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				rows.Close()
				return nil, err
			}
			res.rows = append(res.rows, append([]any(nil), r...))
		}
		res.tag = rows.Tag()
		rows.Close()
	}
	return res, nil
}

// mustQuery is query that fails the test on error.
func mustQuery(t *testing.T, s sqlengine.Session, q string, params ...any) *result {
	t.Helper()
	res, err := query(context.Background(), s, q, params...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return res
}

// wantCode asserts that err is an *sqlengine.Error with the given SQLSTATE.
func wantCode(t *testing.T, err error, code string) *sqlengine.Error {
	t.Helper()
	var pe *sqlengine.Error
	if !errors.As(err, &pe) {
		t.Fatalf("error = %v (%T), want SQLSTATE %s", err, err, code)
	}
	if pe.Code != code {
		t.Fatalf("error = %v, want SQLSTATE %s", pe, code)
	}
	return pe
}
