package tables

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

var idNameSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

func tableNames(c *Catalog) []string {
	var names []string
	for _, t := range c.Tables() {
		names = append(names, t.Name())
	}
	return names
}

func TestOpenDiscovery(t *testing.T) {
	dir := t.TempDir()
	rec := recordFromJSON(t, idNameSchema, `[{"id": 1, "name": "a"}, {"id": 2, "name": null}]`)
	other := recordFromJSON(t, arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Float64}}, nil), `[{"x": 1.5}]`)

	writeFile(t, filepath.Join(dir, "single.parquet"), []arrow.RecordBatch{rec})
	writeFile(t, filepath.Join(dir, "Multi", "part-2.parquet"), []arrow.RecordBatch{rec})
	writeFile(t, filepath.Join(dir, "Multi", "part-1.parquet"), []arrow.RecordBatch{rec, rec})
	writeFile(t, filepath.Join(dir, "Multi", "nested", "ignored.parquet"), []arrow.RecordBatch{other})
	writeFile(t, filepath.Join(dir, "Multi", ".hidden.parquet"), []arrow.RecordBatch{other})
	writeFile(t, filepath.Join(dir, "Multi", "_meta.parquet"), []arrow.RecordBatch{other})
	writeFile(t, filepath.Join(dir, "mixed", "a.parquet"), []arrow.RecordBatch{rec})
	writeFile(t, filepath.Join(dir, "mixed", "b.parquet"), []arrow.RecordBatch{other})
	writeFile(t, filepath.Join(dir, ".hidden.parquet"), []arrow.RecordBatch{rec})
	writeFile(t, filepath.Join(dir, "_private.parquet"), []arrow.RecordBatch{rec})
	writeFile(t, filepath.Join(dir, "inflight.parquet.tmp"), []arrow.RecordBatch{rec})
	writeFile(t, filepath.Join(dir, "_staging", "x.parquet"), []arrow.RecordBatch{rec})
	if err := os.WriteFile(filepath.Join(dir, "corrupt.parquet"), []byte("PAR1 this is not parquet PAR1"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "README.txt"), []byte("hi"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}

	c, log := openCatalog(t, dir, nil)
	if got, want := tableNames(c), []string{"Multi", "single"}; !slices.Equal(got, want) {
		t.Fatalf("tables = %v, want %v; log:\n%s", got, want, log)
	}
	if c.Table("multi") != nil {
		t.Error(`Table("multi") found a table; names must match exactly`)
	}
	multi := c.Table("Multi")
	wantFiles := []string{filepath.Join(dir, "Multi", "part-1.parquet"), filepath.Join(dir, "Multi", "part-2.parquet")}
	if !slices.Equal(multi.Files(), wantFiles) {
		t.Errorf("Multi files = %v, want %v", multi.Files(), wantFiles)
	}
	if got := multi.RowCount(); got != 6 {
		t.Errorf("Multi RowCount = %d, want 6", got)
	}
	wantRGs := []RowGroup{{File: 0, Index: 0, NumRows: 2}, {File: 0, Index: 1, NumRows: 2}, {File: 1, Index: 0, NumRows: 2}}
	if got := multi.RowGroups(); !slices.Equal(got, wantRGs) {
		t.Errorf("Multi RowGroups = %v, want %v", got, wantRGs)
	}
	logText := log.String()
	for _, want := range []string{
		`"level":"warn"`,
		filepath.Join(dir, "mixed", "b.parquet"),
		filepath.Join(dir, "corrupt.parquet"),
		`"table":"empty"`,
	} {
		if !strings.Contains(logText, want) {
			t.Errorf("log lacks %q:\n%s", want, logText)
		}
	}
	for _, unwanted := range []string{"hidden", "_private", "inflight", "README", "_staging"} {
		if strings.Contains(logText, unwanted) {
			t.Errorf("log mentions ignored entry %q:\n%s", unwanted, logText)
		}
	}
}

func TestKeyColumn(t *testing.T) {
	dir := t.TempDir()
	noID := arrow.NewSchema([]arrow.Field{
		{Name: "code", Type: arrow.BinaryTypes.String},
		{Name: "ID", Type: arrow.PrimitiveTypes.Int32},
	}, nil)
	writeFile(t, filepath.Join(dir, "withid.parquet"), []arrow.RecordBatch{recordFromJSON(t, idNameSchema, `[{"id": 1, "name": "a"}]`)})
	writeFile(t, filepath.Join(dir, "noid.parquet"), []arrow.RecordBatch{recordFromJSON(t, noID, `[{"code": "x", "ID": 1}]`)})
	writeFile(t, filepath.Join(dir, "configured.parquet"), []arrow.RecordBatch{recordFromJSON(t, idNameSchema, `[{"id": 1, "name": "a"}]`)})
	writeFile(t, filepath.Join(dir, "badkey.parquet"), []arrow.RecordBatch{recordFromJSON(t, idNameSchema, `[{"id": 1, "name": "a"}]`)})

	c, log := openCatalog(t, dir, map[string]string{"configured": "name", "badkey": "nope"})
	if got, want := tableNames(c), []string{"configured", "noid", "withid"}; !slices.Equal(got, want) {
		t.Fatalf("tables = %v, want %v", got, want)
	}
	for name, want := range map[string]int{"withid": 0, "noid": 0, "configured": 1} {
		if got := c.Table(name).KeyColumn(); got != want {
			t.Errorf("%s KeyColumn = %d, want %d", name, got, want)
		}
	}
	if !strings.Contains(log.String(), `"table":"badkey"`) || !strings.Contains(log.String(), `nope`) {
		t.Errorf("log does not name the skipped table and its unknown key column:\n%s", log)
	}
	tbl := c.Table("noid")
	if got := tbl.Column("ID"); got != 1 {
		t.Errorf(`Column("ID") = %d, want 1`, got)
	}
	if got := tbl.Column("id"); got != -1 {
		t.Errorf(`Column("id") = %d, want -1 (exact match)`, got)
	}
}

func TestNullabilityAcrossFiles(t *testing.T) {
	dir := t.TempDir()
	required := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "name", Type: arrow.BinaryTypes.String},
	}, nil)
	writeFile(t, filepath.Join(dir, "t", "1.parquet"), []arrow.RecordBatch{recordFromJSON(t, required, `[{"id": 1, "name": "a"}]`)})
	writeFile(t, filepath.Join(dir, "t", "2.parquet"), []arrow.RecordBatch{recordFromJSON(t, idNameSchema, `[{"id": 2, "name": null}]`)})
	c, log := openCatalog(t, dir, nil)
	tbl := c.Table("t")
	if tbl == nil {
		t.Fatalf("table t skipped:\n%s", log)
	}
	cols := tbl.Columns()
	if cols[0].Nullable || !cols[1].Nullable {
		t.Errorf("columns = %+v, want id NOT NULL and name nullable", cols)
	}
	if got := columnStrings(scanAll(t, tbl, ScanOptions{Columns: []int{1}}), 0); !slices.Equal(got, []string{"a", "(null)"}) {
		t.Errorf("names = %v", got)
	}
}
