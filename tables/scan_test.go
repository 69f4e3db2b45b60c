package tables

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

var statsSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "day", Type: arrow.FixedWidthTypes.Date32},
	{Name: "at", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
	{Name: "score", Type: arrow.PrimitiveTypes.Float32},
	{Name: "ok", Type: arrow.FixedWidthTypes.Boolean},
	{Name: "small", Type: arrow.PrimitiveTypes.Uint32},
	{Name: "price", Type: &arrow.Decimal128Type{Precision: 9, Scale: 2}, Nullable: true},
}, nil)

// statsRows builds rows [from, to) of statsSchema: id = i, name = "n<i>" or
// NULL every third row, day = i days, at = i seconds, score = i/2,
// ok = i is even, small = 4e9 + i, price = i cents.
func statsRows(from, to int) arrow.RecordBatch {
	b := array.NewRecordBuilder(memory.DefaultAllocator, statsSchema)
	defer b.Release()
	for i := from; i < to; i++ {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		if i%3 == 0 {
			b.Field(1).AppendNull()
		} else {
			b.Field(1).(*array.StringBuilder).Append("n" + strconv.Itoa(i))
		}
		b.Field(2).(*array.Date32Builder).Append(arrow.Date32(i))
		b.Field(3).(*array.TimestampBuilder).Append(arrow.Timestamp(int64(i) * 1e6))
		b.Field(4).(*array.Float32Builder).Append(float32(i) / 2)
		b.Field(5).(*array.BooleanBuilder).Append(i%2 == 0)
		b.Field(6).(*array.Uint32Builder).Append(uint32(4e9) + uint32(i))
		b.Field(7).AppendNull()
	}
	return b.NewRecordBatch()
}

// writeStatsFile writes a file of statsSchema with row groups [0,10),
// [10,25), [25,30).
func writeStatsFile(t *testing.T, path string) {
	recs := []arrow.RecordBatch{statsRows(0, 10), statsRows(10, 25), statsRows(25, 30)}
	for _, r := range recs {
		defer r.Release()
	}
	writeFile(t, path, recs)
}

func TestStats(t *testing.T) {
	dir := t.TempDir()
	writeStatsFile(t, filepath.Join(dir, "s.parquet"))
	c, _ := openCatalog(t, dir, nil)
	tbl := c.Table("s")
	rgs := tbl.RowGroups()
	if want := []RowGroup{{0, 0, 10}, {0, 1, 15}, {0, 2, 5}}; !slices.Equal(rgs, want) {
		t.Fatalf("RowGroups = %v, want %v", rgs, want)
	}
	if tbl.RowCount() != 30 {
		t.Errorf("RowCount = %d, want 30", tbl.RowCount())
	}
	day := func(d int) time.Time { return time.Date(1970, 1, 1+d, 0, 0, 0, 0, time.UTC) }
	sec := func(s int64) time.Time { return time.Unix(s, 0).UTC() }
	rg := rgs[1] // rows 10..24
	for col, want := range []Stats{
		{HasMinMax: true, Min: int64(10), Max: int64(24), NullCount: 0},
		{HasMinMax: true, Min: "n10", Max: "n23", NullCount: 5},
		{HasMinMax: true, Min: day(10), Max: day(24), NullCount: 0},
		{HasMinMax: true, Min: sec(10), Max: sec(24), NullCount: 0},
		{HasMinMax: true, Min: float64(5), Max: float64(12), NullCount: 0},
		{HasMinMax: true, Min: false, Max: true, NullCount: 0},
		{HasMinMax: true, Min: int64(4e9 + 10), Max: int64(4e9 + 24), NullCount: 0},
		{HasMinMax: false, NullCount: 15},
	} {
		got := tbl.Stats(rg, col)
		if got.HasMinMax != want.HasMinMax || got.NullCount != want.NullCount || !equalValue(got.Min, want.Min) || !equalValue(got.Max, want.Max) {
			t.Errorf("Stats(%v, %s) = %+v, want %+v", rg, tbl.Columns()[col].Name, got, want)
		}
	}
	if got := tbl.Stats(RowGroup{File: 0, Index: 9}, 0); got.HasMinMax {
		t.Errorf("Stats of unknown row group = %+v, want zero", got)
	}
	if got := tbl.Stats(rg, 99); got.HasMinMax {
		t.Errorf("Stats of unknown column = %+v, want zero", got)
	}
}

func equalValue(a, b any) bool {
	if at, ok := a.(time.Time); ok {
		bt, ok := b.(time.Time)
		return ok && at.Equal(bt) && at.Location() == time.UTC
	}
	return a == b
}

func TestScanProjectionAndRowGroups(t *testing.T) {
	dir := t.TempDir()
	writeStatsFile(t, filepath.Join(dir, "s.parquet"))
	writeStatsFile(t, filepath.Join(dir, "multi", "a.parquet"))
	writeStatsFile(t, filepath.Join(dir, "multi", "b.parquet"))
	c, _ := openCatalog(t, dir, nil)

	tbl := c.Table("s")
	// Columns in a chosen order, one repeated; row groups out of file order.
	batches := scanAll(t, tbl, ScanOptions{Columns: []int{1, 0, 1}, RowGroups: []RowGroup{{File: 0, Index: 2}, {File: 0, Index: 0}}})
	if len(batches) != 2 {
		t.Fatalf("%d batches, want 2", len(batches))
	}
	if batches[0].RowGroup != (RowGroup{0, 2, 5}) || batches[1].RowGroup != (RowGroup{0, 0, 10}) {
		t.Errorf("batch row groups = %v, %v", batches[0].RowGroup, batches[1].RowGroup)
	}
	for _, b := range batches {
		if b.Record.NumCols() != 3 {
			t.Fatalf("batch has %d columns, want 3", b.Record.NumCols())
		}
		if got := b.Record.Schema().Field(0).Name + "," + b.Record.Schema().Field(1).Name; got != "name,id" {
			t.Errorf("batch columns = %s, want name,id", got)
		}
	}
	ids := columnStrings(batches, 1)
	wantIDs := []string{"25", "26", "27", "28", "29", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}
	if !slices.Equal(ids, wantIDs) {
		t.Errorf("ids = %v, want %v", ids, wantIDs)
	}
	names := columnStrings(batches, 0)
	if names[0] != "n25" || names[2] != "(null)" || !slices.Equal(names, columnStrings(batches, 2)) {
		t.Errorf("names = %v", names)
	}

	multi := c.Table("multi")
	batches = scanAll(t, multi, ScanOptions{Columns: []int{0}, RowGroups: []RowGroup{{File: 1, Index: 1}}})
	if got := columnStrings(batches, 0); len(got) != 15 || got[0] != "10" || batches[0].RowGroup != (RowGroup{1, 1, 15}) {
		t.Errorf("multi file 1 row group 1: ids %v, row group %v", got, batches[0].RowGroup)
	}
	// All row groups of both files when RowGroups is nil.
	if got := len(columnStrings(scanAll(t, multi, ScanOptions{Columns: []int{0}}), 0)); got != 60 {
		t.Errorf("full scan of multi read %d rows, want 60", got)
	}

	if _, err := tbl.Scan(context.Background(), ScanOptions{Columns: []int{8}}); err == nil {
		t.Error("Scan with column 8 of 8 succeeded")
	}
	if _, err := tbl.Scan(context.Background(), ScanOptions{RowGroups: []RowGroup{{File: 0, Index: 3}}}); err == nil {
		t.Error("Scan of row group 3 of 3 succeeded")
	}
}

// bigFile writes n rows of (id int64, label string) in row groups of rgRows.
func bigFile(t testing.TB, path string, n, rgRows int) {
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "label", Type: arrow.BinaryTypes.String},
	}, nil)
	var recs []arrow.RecordBatch
	for from := 0; from < n; from += rgRows {
		b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
		for i := from; i < min(n, from+rgRows); i++ {
			b.Field(0).(*array.Int64Builder).Append(int64(i))
			b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("label-%d", i))
		}
		recs = append(recs, b.NewRecordBatch())
		b.Release()
	}
	writeFile(t, path, recs)
	for _, r := range recs {
		r.Release()
	}
}

func TestScanBatchesAndCount(t *testing.T) {
	dir := t.TempDir()
	bigFile(t, filepath.Join(dir, "big.parquet"), 150_000, 100_000)
	c, _ := openCatalog(t, dir, nil)
	tbl := c.Table("big")

	// Zero columns: batches carry only row counts, split at 64K rows.
	var counts []int64
	for _, b := range scanAll(t, tbl, ScanOptions{}) {
		if b.Record.NumCols() != 0 {
			t.Errorf("count-only batch has %d columns", b.Record.NumCols())
		}
		counts = append(counts, b.Record.NumRows())
	}
	if want := []int64{65536, 100000 - 65536, 50000}; !slices.Equal(counts, want) {
		t.Errorf("count-only batch sizes = %v, want %v", counts, want)
	}

	// Decoded batches are at most 64K rows, stay valid after the scan moves
	// on, and cover every row once in order.
	batches := scanAll(t, tbl, ScanOptions{Columns: []int{1, 0}})
	var next int64
	for _, b := range batches {
		if b.Record.NumRows() > maxBatchRows {
			t.Errorf("batch of %d rows", b.Record.NumRows())
		}
		ids := b.Record.Column(1).(*array.Int64)
		labels := b.Record.Column(0).(*array.String)
		for i := range ids.Len() {
			if ids.Value(i) != next || labels.Value(i) != fmt.Sprintf("label-%d", next) {
				t.Fatalf("row %d = (%d, %q)", next, ids.Value(i), labels.Value(i))
			}
			next++
		}
	}
	if next != 150_000 {
		t.Errorf("read %d rows, want 150000", next)
	}
}

func TestScanCloseAndCancel(t *testing.T) {
	dir := t.TempDir()
	bigFile(t, filepath.Join(dir, "big.parquet"), 50_000, 1_000)
	c, _ := openCatalog(t, dir, nil)
	tbl := c.Table("big")

	t.Run("close", func(t *testing.T) {
		ctx := context.Background()
		s, err := tbl.Scan(ctx, ScanOptions{Columns: []int{0}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Next(ctx); err != nil {
			t.Fatal(err)
		}
		// Close returns only after the producer goroutine has returned.
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		select {
		case <-s.(*scanner).done:
		default:
			t.Fatal("producer goroutine still running after Close")
		}
		if err := s.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		if _, err := s.Next(ctx); err == nil {
			t.Error("Next after Close succeeded")
		}
	})

	t.Run("cancel", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		s, err := tbl.Scan(ctx, ScanOptions{Columns: []int{0, 1}})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, err := s.Next(ctx); err != nil {
			t.Fatal(err)
		}
		cancel()
		// The producer stops on its own, without Close.
		<-s.(*scanner).done
		var got error
		for got == nil {
			_, got = s.Next(context.Background())
		}
		if !errors.Is(got, context.Canceled) {
			t.Errorf("Next after cancel = %v, want context.Canceled", got)
		}
	})

	t.Run("next context", func(t *testing.T) {
		s, err := tbl.Scan(context.Background(), ScanOptions{Columns: []int{0}})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		// A done ctx may still race with a ready batch; drain until it wins.
		for {
			_, err := s.Next(ctx)
			if errors.Is(err, context.Canceled) {
				break
			}
			if err != nil {
				t.Fatalf("Next = %v, want context.Canceled", err)
			}
		}
	})

	t.Run("abandoned", func(t *testing.T) {
		// A consumer that stops reading and closes must not leave the
		// producer blocked on a full channel.
		for range 20 {
			s, err := tbl.Scan(context.Background(), ScanOptions{Columns: []int{1}})
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			<-s.(*scanner).done
		}
	})
}

func TestConcurrentScans(t *testing.T) {
	dir := t.TempDir()
	bigFile(t, filepath.Join(dir, "big.parquet"), 20_000, 2_000)
	c, _ := openCatalog(t, dir, nil)
	tbl := c.Table("big")
	var wg sync.WaitGroup
	sums := make([]int64, 4)
	for w := range sums {
		wg.Go(func() {
			ctx := context.Background()
			s, err := tbl.Scan(ctx, ScanOptions{Columns: []int{0, 1}})
			if err != nil {
				t.Error(err)
				return
			}
			defer s.Close()
			for {
				b, err := s.Next(ctx)
				if err == io.EOF {
					return
				}
				if err != nil {
					t.Error(err)
					return
				}
				for _, v := range b.Record.Column(0).(*array.Int64).Int64Values() {
					sums[w] += v
				}
			}
		})
	}
	wg.Wait()
	for w, s := range sums {
		if s != 20_000*19_999/2 {
			t.Errorf("scan %d summed ids to %d", w, s)
		}
	}
}

// BenchmarkScan measures decoding every column of a 200,000-row file.
func BenchmarkScan(b *testing.B) {
	dir := b.TempDir()
	bigFile(b, filepath.Join(dir, "big.parquet"), 200_000, 50_000)
	c, err := Open(context.Background(), dir, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	tbl := c.Table("big")
	ctx := context.Background()
	for b.Loop() {
		s, err := tbl.Scan(ctx, ScanOptions{Columns: []int{0, 1}})
		if err != nil {
			b.Fatal(err)
		}
		var rows int64
		for {
			batch, err := s.Next(ctx)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			rows += batch.Record.NumRows()
		}
		s.Close()
		if rows != 200_000 {
			b.Fatalf("read %d rows", rows)
		}
	}
}
