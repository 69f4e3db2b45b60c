package compact

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/rs/zerolog"

	"github.com/pqsql/pqsql/tables"
)

// testSecret is the audit secret of the tests.
var testSecret = []byte("test-audit-secret")

// row is one test row: id is the key.
type row struct {
	ID   int64
	Name string
}

// testSchema is the schema of the test files: a key, a text column, a
// nullable float and a nested list, with key-value metadata.
func testSchema() *arrow.Schema {
	md := arrow.NewMetadata([]string{"owner"}, []string{"pqsql-test"})
	return arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "name", Type: arrow.BinaryTypes.String},
		{Name: "score", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "tags", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true},
	}, &md)
}

// writeRows writes rows to path as Parquet in row groups of rgRows rows:
// score is id/2 (NULL for odd ids), tags ["t<id>", name].
func writeRows(t testing.TB, path string, rows []row, rgRows int) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	sc := testSchema()
	b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer b.Release()
	for _, r := range rows {
		b.Field(0).(*array.Int64Builder).Append(r.ID)
		b.Field(1).(*array.StringBuilder).Append(r.Name)
		if r.ID%2 == 0 {
			b.Field(2).(*array.Float64Builder).Append(float64(r.ID) / 2)
		} else {
			b.Field(2).AppendNull()
		}
		lb := b.Field(3).(*array.ListBuilder)
		lb.Append(true)
		vb := lb.ValueBuilder().(*array.StringBuilder)
		vb.Append(fmt.Sprintf("t%d", r.ID))
		vb.Append(r.Name)
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		t.Fatal(err)
	}
	props := parquet.NewWriterProperties(parquet.WithMaxRowGroupLength(int64(max(rgRows, 1))), parquet.WithCompression(compress.Codecs.Snappy))
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
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// rowsOf returns rows with ids from..to-1, named name<id>.
func rowsOf(from, to int64) []row {
	var out []row
	for id := from; id < to; id++ {
		out = append(out, row{ID: id, Name: fmt.Sprintf("name%d", id)})
	}
	return out
}

// openCat opens dir; the caller closes it.
func openCat(t testing.TB, dir string) *tables.Catalog {
	t.Helper()
	c, err := tables.Open(context.Background(), dir, tables.Options{Logger: zerolog.Nop()})
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	return c
}

// table returns the named table, available.
func table(t testing.TB, c *tables.Catalog, name string) *tables.Table {
	t.Helper()
	tbl := c.Table(name)
	if tbl == nil {
		t.Fatalf("table %s missing", name)
	}
	if err := tbl.Err(); err != nil {
		t.Fatalf("table %s unavailable: %v", name, err)
	}
	return tbl
}

// scanRows returns the rows of a scan, sorted by id then name.
func scanRows(t testing.TB, tbl *tables.Table, raw bool) []row {
	t.Helper()
	ctx := context.Background()
	s, err := tbl.Scan(ctx, tables.ScanOptions{Columns: []int{0, 1}, Raw: raw})
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	defer s.Close()
	var out []row
	for {
		b, err := s.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		ids := b.Record.Column(0).(*array.Int64)
		names := b.Record.Column(1).(*array.String)
		for i := range ids.Len() {
			out = append(out, row{ID: ids.Value(i), Name: names.Value(i)})
		}
		b.Record.Release()
	}
	sortRows(out)
	return out
}

func sortRows(rs []row) {
	slices.SortFunc(rs, func(a, b row) int {
		if c := a.ID - b.ID; c != 0 {
			if c < 0 {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
}

// deleteIDs deletes ids from tbl.
func deleteIDs(t testing.TB, tbl *tables.Table, ids ...int64) {
	t.Helper()
	keys := make([]any, len(ids))
	for i, id := range ids {
		keys[i] = id
	}
	if _, err := tbl.Delete(context.Background(), keys, "alice", "gdpr"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
}

// without returns rows minus those with one of ids.
func without(rows []row, ids ...int64) []row {
	out := slices.DeleteFunc(slices.Clone(rows), func(r row) bool { return slices.Contains(ids, r.ID) })
	sortRows(out)
	return out
}

// tempFiles lists the files under dirs whose name ends in ".tmp".
func tempFiles(t testing.TB, dirs ...string) []string {
	t.Helper()
	var out []string
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.HasSuffix(d.Name(), ".tmp") {
				out = append(out, p)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// vacuum runs Vacuum with the test secret, failing the test on error.
func vacuum(t testing.TB, tbl *tables.Table) Result {
	t.Helper()
	res, err := Vacuum(context.Background(), tbl, Options{Actor: "admin", AuditSecret: testSecret})
	if err != nil {
		t.Fatalf("Vacuum: %v", err)
	}
	return res
}

// errInjected is the error faultFS injects by default.
var errInjected = fmt.Errorf("injected fault: %w", syscall.EIO)

// faultFS fails operation number failAt (1-based) of the file system and
// of the VACUUM's hooks. With crash set every later operation fails too,
// as if the process had died there: nothing more reaches the disk, no
// cleanup runs.
type faultFS struct {
	inner  tables.FS
	failAt int
	crash  bool
	err    error
	// failWrite, if set, selects which operation kinds can fail.
	only func(op string) bool
	ops  int
	log  []string
}

func (f *faultFS) step(op string) error {
	if f.only != nil && !f.only(op) {
		if f.crash && f.failAt > 0 && f.ops >= f.failAt {
			return f.fault()
		}
		return nil
	}
	f.ops++
	f.log = append(f.log, op)
	if f.failAt > 0 && (f.ops == f.failAt || (f.crash && f.ops > f.failAt)) {
		return f.fault()
	}
	return nil
}

func (f *faultFS) fault() error {
	if f.err != nil {
		return f.err
	}
	return errInjected
}

func (f *faultFS) Create(name string) (tables.File, error) {
	if err := f.step("create " + filepath.Base(name)); err != nil {
		return nil, err
	}
	inner, err := f.inner.Create(name)
	if err != nil {
		return nil, err
	}
	return &faultFile{fs: f, inner: inner, name: filepath.Base(name)}, nil
}

func (f *faultFS) Rename(oldpath, newpath string) error {
	if err := f.step("rename " + filepath.Base(oldpath)); err != nil {
		return err
	}
	return f.inner.Rename(oldpath, newpath)
}

func (f *faultFS) Remove(name string) error {
	if err := f.step("remove " + filepath.Base(name)); err != nil {
		return err
	}
	return f.inner.Remove(name)
}

func (f *faultFS) SyncDir(dir string) error {
	if err := f.step("syncdir"); err != nil {
		return err
	}
	return f.inner.SyncDir(dir)
}

func (f *faultFS) hook(step string) error { return f.step("hook " + step) }

type faultFile struct {
	fs    *faultFS
	inner tables.File
	name  string
}

func (f *faultFile) Write(p []byte) (int, error) {
	if err := f.fs.step("write " + f.name); err != nil {
		return 0, err
	}
	return f.inner.Write(p)
}

func (f *faultFile) Sync() error {
	if err := f.fs.step("sync " + f.name); err != nil {
		return err
	}
	return f.inner.Sync()
}

func (f *faultFile) Close() error {
	if err := f.fs.step("close " + f.name); err != nil {
		_ = f.inner.Close() // the process would release the descriptor
		return err
	}
	return f.inner.Close()
}

// copyDir copies the regular files of src into dst recursively.
func copyDir(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// fileBytes returns the contents of every regular file under dir by path.
func fileBytes(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	out := make(map[string][]byte)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		out[p] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameBytes(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !bytes.Equal(v, b[k]) {
			return false
		}
	}
	return true
}
