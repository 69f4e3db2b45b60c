package compact

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/rs/zerolog"

	"github.com/pqsql/pqsql/tables"
)

// person is a row of the erasure test's table, keyed by text.
type person struct {
	key, email, note string
	ssn              int64
}

func personOf(i int) person {
	return person{
		key:   fmt.Sprintf("user-%03d-%08x", i, uint32(i)*2654435761),
		email: fmt.Sprintf("mail-%03d-%06x@example.org", i, i*7919),
		note:  fmt.Sprintf("note-%03d-%05x", i, i*104729),
		ssn:   7_340_000_000_000 + int64(i)*1_000_003,
	}
}

// writePeople writes people as Parquet (dictionary encoded, statistics, page
// index and a bloom filter on the key, so that every place a value can hide
// is exercised), one row group per rgRows rows.
func writePeople(t testing.TB, path string, people []person, rgRows int) {
	t.Helper()
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "key", Type: arrow.BinaryTypes.String},
		{Name: "email", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "ssn", Type: arrow.PrimitiveTypes.Int64},
		{Name: "notes", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer b.Release()
	for _, p := range people {
		b.Field(0).(*array.StringBuilder).Append(p.key)
		b.Field(1).(*array.StringBuilder).Append(p.email)
		b.Field(2).(*array.Int64Builder).Append(p.ssn)
		lb := b.Field(3).(*array.ListBuilder)
		lb.Append(true)
		lb.ValueBuilder().(*array.StringBuilder).Append(p.note)
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	props := parquet.NewWriterProperties(
		parquet.WithMaxRowGroupLength(int64(rgRows)),
		parquet.WithCompression(compress.Codecs.Snappy),
		parquet.WithPageIndexEnabled(true),
		parquet.WithBloomFilterEnabledFor("key", true),
	)
	fw, err := pqarrow.NewFileWriter(sc, f, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		t.Fatal(err)
	}
	if err := fw.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
}

// needles returns the byte strings that would betray p: its key, email and
// note as text, its ssn as 8 little-endian bytes.
func needles(p person) map[string][]byte {
	ssn := binary.LittleEndian.AppendUint64(nil, uint64(p.ssn))
	return map[string][]byte{"key " + p.key: []byte(p.key), "email " + p.email: []byte(p.email), "note " + p.note: []byte(p.note), fmt.Sprintf("ssn %d", p.ssn): ssn}
}

// haystacks returns every file under dirs raw, plus, for each Parquet file,
// every page (dictionary and data pages) decompressed.
func haystacks(t *testing.T, dirs ...string) map[string][]byte {
	t.Helper()
	out := make(map[string][]byte)
	for _, dir := range dirs {
		for path, data := range fileBytes(t, dir) {
			out[path] = data
			if !strings.HasSuffix(path, ".parquet") {
				continue
			}
			r, err := file.OpenParquetFile(path, false)
			if err != nil {
				t.Fatalf("open %s: %v", path, err)
			}
			for rg := range r.NumRowGroups() {
				rgr := r.RowGroup(rg)
				for col := range r.MetaData().NumColumns() {
					pr, err := rgr.GetColumnPageReader(col)
					if err != nil {
						t.Fatal(err)
					}
					n := 0
					for pr.Next() {
						out[fmt.Sprintf("%s rg %d col %d page %d", path, rg, col, n)] = bytes.Clone(pr.Page().Data())
						n++
					}
					if err := pr.Err(); err != nil {
						t.Fatal(err)
					}
				}
			}
			r.Close()
		}
	}
	return out
}

// find returns where each needle occurs in the haystacks.
func find(hay map[string][]byte, needle map[string][]byte) []string {
	var found []string
	for what, n := range needle {
		for where, h := range hay {
			if bytes.Contains(h, n) {
				found = append(found, what+" in "+where)
			}
		}
	}
	return found
}

// TestErasureProof deletes rows, including those holding the key column's
// minimum and maximum, VACUUMs, and searches every byte of the data
// directory and the state directory, raw and with every Parquet page
// decompressed, for any value of a deleted row.
func TestErasureProof(t *testing.T) {
	for _, layout := range []string{"dir", "file"} {
		t.Run(layout, func(t *testing.T) {
			dir := t.TempDir()
			var people []person
			for i := range 120 {
				people = append(people, personOf(i))
			}
			name := "people"
			if layout == "dir" {
				writePeople(t, filepath.Join(dir, "people", "a.parquet"), people[:70], 25)
				writePeople(t, filepath.Join(dir, "people", "b.parquet"), people[70:], 1000)
			} else {
				writePeople(t, filepath.Join(dir, "people.parquet"), people, 40)
			}
			c, err := tables.Open(context.Background(), dir, tables.Options{Logger: zerolog.Nop(), KeyColumns: map[string]string{name: "key"}})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			tbl := table(t, c, name)
			// 0 and 119 hold the key's min and max, and the extremes of ssn.
			victims := []int{0, 1, 33, 69, 70, 119}
			var keys []any
			needle := make(map[string][]byte)
			for _, v := range victims {
				keys = append(keys, people[v].key)
				for k, n := range needles(people[v]) {
					needle[k] = n
				}
			}
			if _, err := tbl.Delete(context.Background(), keys, "alice", "erasure request"); err != nil {
				t.Fatal(err)
			}
			// Positive control: before VACUUM the search finds every value,
			// in the data files and (the keys) in the tombstone log.
			before := find(haystacks(t, dir), needle)
			for k := range needle {
				if !strings.Contains(strings.Join(before, "\n"), k+" in ") {
					t.Errorf("control: %s not found before VACUUM", k)
				}
			}
			res := vacuum(t, tbl)
			if res.RowsRemoved != int64(len(victims)) {
				t.Errorf("RowsRemoved = %d", res.RowsRemoved)
			}
			waitRetired(t, tbl)
			if found := find(haystacks(t, dir), needle); len(found) > 0 {
				t.Errorf("deleted values survive VACUUM:\n%s", strings.Join(found, "\n"))
			}
			// Survivors are all still there, min/max statistics included.
			if got := tbl.RowCount(); got != int64(len(people)-len(victims)) {
				t.Errorf("RowCount = %d", got)
			}
			for _, rg := range tbl.RowGroups() {
				st := tbl.Stats(rg, tbl.KeyColumn())
				if !st.HasMinMax || st.Min.(string) == people[0].key || st.Max.(string) == people[119].key {
					t.Errorf("key statistics %+v", st)
				}
			}
			surv := needles(people[2])
			if found := find(haystacks(t, dir), surv); len(found) == 0 {
				t.Error("a surviving row's values are not found: the search is blind")
			}
			// The audit keeps a keyed hash, not the key.
			er, err := Erasures(tbl)
			if err != nil || len(er) != len(victims) {
				t.Fatalf("Erasures = %d, %v", len(er), err)
			}
		})
	}
}
