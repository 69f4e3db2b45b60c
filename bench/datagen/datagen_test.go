package datagen

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/rs/zerolog"

	"github.com/pqsql/pqsql/sqlengine"
	"github.com/pqsql/pqsql/tables"
)

// TestTestdataIsGenerated proves the committed test data comes from this
// generator: regenerating it gives byte-identical files.
func TestTestdataIsGenerated(t *testing.T) {
	dir := t.TempDir()
	if err := WriteCandidates(filepath.Join(dir, "candidates.parquet"), 100_000, 10_000); err != nil {
		t.Fatal(err)
	}
	if err := WriteAllTypes(filepath.Join(dir, "alltypes.parquet")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"candidates.parquet", "alltypes.parquet"} {
		want, err := os.ReadFile(filepath.Join("..", "..", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("regenerated %s (%d bytes) differs from testdata/%s (%d bytes); run make testdata", name, len(got), name, len(want))
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Errorf("output directory holds %d entries, want 2 (temporary files left behind?)", len(entries))
	}
}

func TestRowsArePureFunctions(t *testing.T) {
	for _, i := range []int{1, 7, 99_999, 1_000_000} {
		if a, b := Candidate(i), Candidate(i); !reflect.DeepEqual(a, b) {
			t.Errorf("Candidate(%d) differs between calls: %+v vs %+v", i, a, b)
		}
	}
	if got := Candidate(1).CandidateID; got != "CAND-000001" {
		t.Errorf("Candidate(1).CandidateID = %q", got)
	}
	if reflect.DeepEqual(Candidate(1), Candidate(2)) {
		t.Error("Candidate(1) == Candidate(2)")
	}
	for _, i := range []int64{1, 2, 10_000_000} {
		if a, b := Event(i), Event(i); !reflect.DeepEqual(a, b) {
			t.Errorf("Event(%d) differs between calls", i)
		}
	}
	if e := Event(5); e.ID != 5 || !strings.HasPrefix(e.UserID, "U") || len(e.UserID) != 9 {
		t.Errorf("Event(5) = %+v", e)
	}
	if !Event(100).TS.Before(Event(101).TS) {
		t.Error("event timestamps do not increase with id")
	}
}

func TestCandidatesDistribution(t *testing.T) {
	var linda, denver, lindaDenver, nullPhone, nullSalary, emptyNotes int
	for i := 1; i <= 100_000; i++ {
		c := Candidate(i)
		if c.FirstName == "Linda" {
			linda++
		}
		if c.City == "Denver" {
			denver++
			if c.FirstName == "Linda" {
				lindaDenver++
			}
		}
		if !c.Phone.Valid {
			nullPhone++
		}
		if !c.SalaryCents.Valid {
			nullSalary++
		}
		if c.Notes.Valid && c.Notes.V == "" {
			emptyNotes++
		}
		if c.CreatedAt.Location() != time.UTC || c.CreatedAt.Nanosecond()%1000 != 0 {
			t.Fatalf("candidate %d created_at %v is not UTC microseconds", i, c.CreatedAt)
		}
	}
	if linda == 0 || denver == 0 || lindaDenver == 0 || nullPhone == 0 || nullSalary == 0 || emptyNotes == 0 {
		t.Errorf("linda=%d denver=%d both=%d nullPhone=%d nullSalary=%d emptyNotes=%d: want all > 0",
			linda, denver, lindaDenver, nullPhone, nullSalary, emptyNotes)
	}
}

// openTable opens the single table of dir through package tables.
func openTable(t *testing.T, dir, name string) *tables.Table {
	t.Helper()
	var log bytes.Buffer
	c, err := tables.Open(context.Background(), dir, tables.Options{Logger: zerolog.New(&log), StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	tbl := c.Table(name)
	if tbl == nil {
		t.Fatalf("table %s not found; log:\n%s", name, log.String())
	}
	return tbl
}

// readAll scans every column of tbl into one record per batch.
func readAll(t *testing.T, tbl *tables.Table) []arrow.RecordBatch {
	t.Helper()
	cols := make([]int, len(tbl.Columns()))
	for i := range cols {
		cols[i] = i
	}
	ctx := context.Background()
	s, err := tbl.Scan(ctx, tables.ScanOptions{Columns: cols})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var out []arrow.RecordBatch
	for {
		b, err := s.Next(ctx)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b.Record)
	}
}

func TestEventsReadBack(t *testing.T) {
	dir := t.TempDir()
	if err := WriteEvents(filepath.Join(dir, "events.parquet"), 2500, 1000); err != nil {
		t.Fatal(err)
	}
	tbl := openTable(t, dir, "events")
	if tbl.RowCount() != 2500 || len(tbl.RowGroups()) != 3 || tbl.KeyColumn() != 0 {
		t.Fatalf("RowCount %d, %d row groups, key %d; want 2500, 3, 0", tbl.RowCount(), len(tbl.RowGroups()), tbl.KeyColumn())
	}
	wantTypes := []uint32{sqlengine.Int8OID, sqlengine.TextOID, sqlengine.TimestamptzOID, sqlengine.TextOID,
		sqlengine.Float8OID, sqlengine.Int4OID, sqlengine.TextOID, sqlengine.TextOID}
	for i, c := range tbl.Columns() {
		if c.Type.OID != wantTypes[i] || c.Nullable != (c.Name == "note") {
			t.Errorf("column %d = %+v", i, c)
		}
	}
	i := int64(1)
	for _, rec := range readAll(t, tbl) {
		for r := range int(rec.NumRows()) {
			want := Event(i)
			note := rec.Column(7).(*array.String)
			got := EventRow{
				ID:      rec.Column(0).(*array.Int64).Value(r),
				UserID:  rec.Column(1).(*array.String).Value(r),
				TS:      time.UnixMicro(int64(rec.Column(2).(*array.Timestamp).Value(r))).UTC(),
				Country: rec.Column(3).(*array.String).Value(r),
				Amount:  rec.Column(4).(*array.Float64).Value(r),
				Qty:     rec.Column(5).(*array.Int32).Value(r),
				Status:  rec.Column(6).(*array.String).Value(r),
			}
			if note.IsValid(r) {
				got.Note.V, got.Note.Valid = note.Value(r), true
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("row %d = %+v, want %+v", i, got, want)
			}
			i++
		}
	}
	if i != 2501 {
		t.Errorf("read %d rows", i-1)
	}
	if st := tbl.Stats(tbl.RowGroups()[1], 0); !st.HasMinMax || st.Min != int64(1001) || st.Max != int64(2000) {
		t.Errorf("id stats of row group 1 = %+v", st)
	}
}

func TestAllTypesReadBack(t *testing.T) {
	dir := t.TempDir()
	if err := WriteAllTypes(filepath.Join(dir, "alltypes.parquet")); err != nil {
		t.Fatal(err)
	}
	tbl := openTable(t, dir, "alltypes")
	cols := tbl.Columns()
	if len(cols) != len(AllTypesColumns) {
		t.Fatalf("%d columns, want %d", len(cols), len(AllTypesColumns))
	}
	oids := map[string]uint32{"int2": sqlengine.Int2OID, "int4": sqlengine.Int4OID, "int8": sqlengine.Int8OID,
		"float4": sqlengine.Float4OID, "float8": sqlengine.Float8OID, "bool": sqlengine.BoolOID, "text": sqlengine.TextOID,
		"numeric(10,2)": sqlengine.NumericOID, "date": sqlengine.DateOID, "timestamptz": sqlengine.TimestamptzOID,
		"timestamp": sqlengine.TimestampOID, "bytea": sqlengine.ByteaOID, "uuid": sqlengine.UUIDOID, "json": sqlengine.JSONOID}
	for i, c := range cols {
		if c.Name != AllTypesColumns[i][0] || c.Type.OID != oids[AllTypesColumns[i][1]] || c.Nullable != (i != 0) {
			t.Errorf("column %d = %+v, want %v", i, c, AllTypesColumns[i])
		}
	}
	recs := readAll(t, tbl)
	if len(recs) != 1 {
		t.Fatalf("%d batches, want 1", len(recs))
	}
	rec := recs[0]
	rows := AllTypes()
	if int(rec.NumRows()) != len(rows) {
		t.Fatalf("%d rows, want %d", rec.NumRows(), len(rows))
	}
	for c := 1; c < len(cols); c++ {
		if rec.Column(c).IsValid(1) {
			t.Errorf("column %s of row 2 is not NULL", cols[c].Name)
		}
	}
	for r, want := range rows {
		if got := rec.Column(0).(*array.Int32).Value(r); got != want.ID {
			t.Errorf("row %d id = %d, want %d", r, got, want.ID)
		}
		if f8 := rec.Column(5).(*array.Float64); want.Float8.Valid {
			g := f8.Value(r)
			if g != want.Float8.V && !(math.IsNaN(g) && math.IsNaN(want.Float8.V)) || math.Signbit(g) != math.Signbit(want.Float8.V) {
				t.Errorf("row %d float8 = %v, want %v", r, g, want.Float8.V)
			}
		}
		if text := rec.Column(7).(*array.String); want.Text.Valid != text.IsValid(r) || want.Text.Valid && text.Value(r) != want.Text.V {
			t.Errorf("row %d text = %q, want %+v", r, text.Value(r), want.Text)
		}
		if d := rec.Column(9).(*array.Date32); want.Date.Valid && !d.Value(r).ToTime().Equal(want.Date.V) {
			t.Errorf("row %d date = %v, want %v", r, d.Value(r).ToTime(), want.Date.V)
		}
		if ts := rec.Column(11).(*array.Timestamp); want.Timestamp.Valid && int64(ts.Value(r)) != want.Timestamp.V.UnixMicro() {
			t.Errorf("row %d timestamp = %d, want %v", r, ts.Value(r), want.Timestamp.V)
		}
		if b := rec.Column(12).(*array.Binary); want.Bytea.Valid && (!b.IsValid(r) || !bytes.Equal(b.Value(r), want.Bytea.V)) {
			t.Errorf("row %d bytea = %x, want %x", r, b.Value(r), want.Bytea.V)
		}
		if u := rec.Column(13).(*array.FixedSizeBinary); want.UUID.Valid && !bytes.Equal(u.Value(r), want.UUID.V[:]) {
			t.Errorf("row %d uuid = %x, want %x", r, u.Value(r), want.UUID.V)
		}
	}
	// Empty string and empty bytea stay distinct from NULL.
	if s := rec.Column(7).(*array.String); !s.IsValid(2) || s.Value(2) != "" {
		t.Error("row 3 text is not the empty string")
	}
	jsonCol := func(c, r int) string { return rec.Column(c).(*array.String).Value(r) }
	for _, tc := range []struct {
		col, row int
		want     string
	}{
		{15, 0, "[1,2,3]"}, {15, 2, "[]"}, {15, 3, "[null,5]"},
		{16, 0, `{"x":1,"label":"one"}`}, {16, 2, `{"x":null,"label":null}`}, {16, 3, `{"x":-1,"label":""}`},
		{14, 3, `{"nested": {"k": [true, null, "x\"y"]}}`},
	} {
		if got := jsonCol(tc.col, tc.row); got != tc.want {
			t.Errorf("%s row %d = %s, want %s", cols[tc.col].Name, tc.row+1, got, tc.want)
		}
	}
}

func TestCSV(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteCandidatesCSV(&buf, 3); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) < 3 || !strings.HasPrefix(lines[0], `"CAND-000001","`+Candidate(1).FirstName+`"`) {
		t.Fatalf("candidates CSV:\n%s", buf.String())
	}
	c := Candidate(1)
	if !strings.Contains(lines[0], ","+c.CreatedAt.Format("2006-01-02 15:04:05.999999")+"+00,") {
		t.Errorf("line 1 %q lacks created_at %v", lines[0], c.CreatedAt)
	}

	buf.Reset()
	if err := WriteEventsCSV(&buf, 2); err != nil {
		t.Fatal(err)
	}
	e := Event(1)
	wantPrefix := `1,"` + e.UserID + `",`
	if !strings.HasPrefix(buf.String(), wantPrefix) {
		t.Errorf("events CSV %q, want prefix %q", buf.String(), wantPrefix)
	}

	// Field-level formatting: NULL is empty, "" is quoted, quotes doubled.
	var out bytes.Buffer
	w := newCSVWriter(&out)
	w.text(`a "b"`)
	w.text("")
	w.null()
	w.cents(-5)
	w.cents(123456)
	w.float(0.1)
	if err := w.endRow(); err != nil {
		t.Fatal(err)
	}
	if err := w.flush(); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), `"a ""b""","",,-0.05,1234.56,0.1`+"\n"; got != want {
		t.Errorf("csv row = %q, want %q", got, want)
	}
}

func TestWriteRejectsBadArguments(t *testing.T) {
	dir := t.TempDir()
	if err := WriteCandidates(filepath.Join(dir, "c.parquet"), 10, 0); err == nil {
		t.Error("row group size 0 accepted")
	}
	if err := WriteEvents(filepath.Join(dir, "e.parquet"), -1, 10); err == nil {
		t.Error("negative row count accepted")
	}
	if err := WriteAllTypes(filepath.Join(dir, "missing", "a.parquet")); err == nil {
		t.Error("write into a missing directory succeeded")
	}
}

// TestCandidatesFile checks the committed candidates file as pqsql serves it:
// key column, row groups and the key's min/max used for pruning.
func TestCandidatesFile(t *testing.T) {
	tbl := openTable(t, filepath.Join("..", "..", "testdata"), "candidates")
	if tbl.RowCount() != 100_000 || len(tbl.RowGroups()) != 10 {
		t.Fatalf("RowCount %d in %d row groups, want 100000 in 10", tbl.RowCount(), len(tbl.RowGroups()))
	}
	if key := tbl.Columns()[tbl.KeyColumn()].Name; key != "candidate_id" {
		t.Errorf("key column = %s, want candidate_id", key)
	}
	st := tbl.Stats(tbl.RowGroups()[3], 0)
	if !st.HasMinMax || st.Min != "CAND-030001" || st.Max != "CAND-040000" || st.NullCount != 0 {
		t.Errorf("candidate_id stats of row group 3 = %+v", st)
	}
	salary := tbl.Columns()[tbl.Column("salary")]
	if salary.Type != (tables.Type{OID: sqlengine.NumericOID, Precision: 12, Scale: 2}) || !salary.Nullable {
		t.Errorf("salary column = %+v", salary)
	}
}
