package pgcatalog

import (
	"errors"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/pqsql/pqsql/sqlengine"
	"github.com/pqsql/pqsql/tables"
)

// fixture is a database like the one the client captures ran against: t as
// created there, and u with the other types pqsql serves.
func fixture() *Input {
	col := func(name string, oid uint32, nullable bool) tables.Column {
		return tables.Column{Name: name, Type: tables.Type{OID: oid}, Nullable: nullable}
	}
	num := func(name string, p, s int32) tables.Column {
		return tables.Column{Name: name, Type: tables.Type{OID: sqlengine.NumericOID, Precision: p, Scale: s}, Nullable: true}
	}
	oids := AssignOIDs([]string{"t", "u"})
	return &Input{
		Database: "demo",
		Users:    []User{{Name: "reader"}, {Name: "postgres", Superuser: true}},
		Relations: []Relation{
			{Name: "u", OID: oids["u"], KeyColumn: 0, RowCount: 7, Columns: []tables.Column{
				col("k", sqlengine.TextOID, true), col("s", sqlengine.Int2OID, true), col("r", sqlengine.Float4OID, true),
				col("j", sqlengine.JSONOID, true), col("g", sqlengine.UUIDOID, true), num("n", 0, 0),
				col("v", sqlengine.VarcharOID, true), num("n2", 5, 0), col("i8", sqlengine.Int8OID, false),
			}},
			{Name: "t", OID: 16384, KeyColumn: 0, RowCount: 2, Columns: []tables.Column{
				col("id", sqlengine.Int8OID, true), col("name", sqlengine.TextOID, true),
				col("price", sqlengine.Float8OID, true), col("qty", sqlengine.Int4OID, true),
				col("active", sqlengine.BoolOID, true), col("d", sqlengine.DateOID, true),
				col("ts", sqlengine.TimestampOID, true), col("tstz", sqlengine.TimestamptzOID, true),
				num("amount", 12, 2), col("payload", sqlengine.ByteaOID, true),
			}},
		},
		Settings: func(name string) (string, bool) {
			switch name {
			case "TimeZone":
				return "Europe/Paris", true
			case "DateStyle":
				return "ISO, MDY", true
			case "max_index_keys":
				return "", false
			}
			return "", false
		},
	}
}

// uOID is u's OID in the fixture.
var uOID = AssignOIDs([]string{"t", "u"})["u"]

// rowsOf returns the rows of schema.name for in that keep selects.
func rowsOf(t *testing.T, in *Input, schema, name string, keep func([]any) bool) [][]any {
	t.Helper()
	tab, ok := Lookup(schema, name)
	if !ok {
		t.Fatalf("no relation %s.%s", schema, name)
	}
	var out [][]any
	for _, r := range tab.Rows(in) {
		if keep == nil || keep(r) {
			out = append(out, r)
		}
	}
	return out
}

func assertRows(t *testing.T, what string, got, want [][]any) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d rows, want %d:\n%#v", what, len(got), len(want), got)
		return
	}
	for i := range got {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("%s row %d:\n got %#v\nwant %#v", what, i, got[i], want[i])
		}
	}
}

func TestPgClassRows(t *testing.T) {
	in := fixture()
	got := rowsOf(t, in, "pg_catalog", "pg_class", func(r []any) bool { return r[0].(uint32) >= FirstUserOID })
	rel := func(oid uint32, name string, am uint32, pages int32, tuples float32, hasIndex bool, kind string, natts int16, replident, frozen, minmx string) []any {
		return []any{oid, name, uint32(2200), uint32(0), uint32(0), uint32(10), am, oid, uint32(0),
			pages, tuples, int32(0), uint32(0), hasIndex, false, "p", kind, natts, int16(0),
			false, false, false, false, false, true, replident, false, uint32(0), frozen, minmx, nil, nil, nil}
	}
	want := [][]any{
		rel(16384, "t", 2, 0, 2, true, "r", 10, "d", "724", "1"),
		rel(16385, "t_pkey", 403, 1, 2, false, "i", 1, "n", "0", "0"),
		rel(uOID, "u", 2, 0, 7, true, "r", 9, "d", "724", "1"),
		rel(uOID+1, "u_pkey", 403, 1, 7, false, "i", 1, "n", "0", "0"),
	}
	assertRows(t, "pg_class", got, want)
	// The catalogs list themselves.
	got = rowsOf(t, in, "pg_catalog", "pg_class", func(r []any) bool { return r[1] == "pg_class" || r[1] == "columns" })
	if len(got) != 2 || got[0][0] != uint32(1259) || got[0][2] != PgCatalogOID || got[0][16] != "r" ||
		got[1][0] != uint32(13295) || got[1][2] != InformationSchemaOID || got[1][16] != "v" {
		t.Errorf("pg_class rows of pg_class and columns: %v", got)
	}
}

func TestPgAttributeRows(t *testing.T) {
	in := fixture()
	// Values as PostgreSQL 15 stores them for CREATE TABLE t (id bigint
	// PRIMARY KEY, ..., amount numeric(12,2), payload bytea).
	att := func(rel uint32, name string, typ uint32, length int16, num int16, typmod int32, byval bool, align, storage string, notNull bool, coll uint32) []any {
		return []any{rel, name, typ, int32(-1), length, num, int32(0), int32(-1), typmod, byval, align,
			storage, "", notNull, false, false, "", "", false, true, int32(0), coll, nil, nil, nil, nil}
	}
	want := [][]any{
		att(16384, "id", 20, 8, 1, -1, true, "d", "p", true, 0),
		att(16384, "name", 25, -1, 2, -1, false, "i", "x", false, 100),
		att(16384, "price", 701, 8, 3, -1, true, "d", "p", false, 0),
		att(16384, "qty", 23, 4, 4, -1, true, "i", "p", false, 0),
		att(16384, "active", 16, 1, 5, -1, true, "c", "p", false, 0),
		att(16384, "d", 1082, 4, 6, -1, true, "i", "p", false, 0),
		att(16384, "ts", 1114, 8, 7, -1, true, "d", "p", false, 0),
		att(16384, "tstz", 1184, 8, 8, -1, true, "d", "p", false, 0),
		att(16384, "amount", 1700, -1, 9, 786438, false, "i", "m", false, 0),
		att(16384, "payload", 17, -1, 10, -1, false, "i", "x", false, 0),
		att(16385, "id", 20, 8, 1, -1, true, "d", "p", false, 0),
	}
	got := rowsOf(t, in, "pg_catalog", "pg_attribute", func(r []any) bool { return r[0] == uint32(16384) || r[0] == uint32(16385) })
	assertRows(t, "pg_attribute of t", got, want)

	got = rowsOf(t, in, "pg_catalog", "pg_attribute", func(r []any) bool { return r[0] == uOID })
	if len(got) != 9 || got[0][1] != "k" || got[0][13] != true || got[5][8] != int32(-1) ||
		got[7][8] != int32(327684) || got[8][13] != true || got[3][21] != uint32(0) {
		t.Errorf("pg_attribute of u: %v", got)
	}
}

func TestPgIndexAndConstraintRows(t *testing.T) {
	in := fixture()
	idx := func(index, table uint32, coll, class string) []any {
		return []any{index, table, int16(1), int16(1), true, false, true, false, true, false, true, false,
			true, true, false, "1", coll, class, "0", nil, nil}
	}
	assertRows(t, "pg_index", rowsOf(t, in, "pg_catalog", "pg_index", nil), [][]any{
		idx(16385, 16384, "0", "3124"),
		idx(uOID+1, uOID, "100", "3126"),
	})
	con := func(oid uint32, name string, table uint32) []any {
		return []any{oid, name, uint32(2200), "p", false, false, true, table, uint32(0), table + 1,
			uint32(0), uint32(0), " ", " ", " ", true, int32(0), true, "{1}", nil, nil, nil, nil, nil, nil, nil}
	}
	assertRows(t, "pg_constraint", rowsOf(t, in, "pg_catalog", "pg_constraint", nil), [][]any{
		con(16386, "t_pkey", 16384),
		con(uOID+2, "u_pkey", uOID),
	})
	assertRows(t, "pg_indexes", rowsOf(t, in, "pg_catalog", "pg_indexes", nil), [][]any{
		{"public", "t", "t_pkey", nil, "CREATE UNIQUE INDEX t_pkey ON public.t USING btree (id)"},
		{"public", "u", "u_pkey", nil, "CREATE UNIQUE INDEX u_pkey ON public.u USING btree (k)"},
	})
	if def, ok := in.IndexDef(16385, 0); !ok || def != "CREATE UNIQUE INDEX t_pkey ON public.t USING btree (id)" {
		t.Errorf("IndexDef(16385) = %q, %v", def, ok)
	}
	if def, ok := in.IndexDef(16385, 1); !ok || def != "id" {
		t.Errorf("IndexDef(16385, 1) = %q, %v", def, ok)
	}
	if def, ok := in.ConstraintDef(16386); !ok || def != "PRIMARY KEY (id)" {
		t.Errorf("ConstraintDef(16386) = %q, %v", def, ok)
	}
	if _, ok := in.IndexDef(16384, 0); ok {
		t.Error("IndexDef of a table succeeded")
	}
}

func TestInformationSchemaColumns(t *testing.T) {
	in := fixture()
	// As PostgreSQL 15 shows u's columns, but is_updatable NO.
	col := func(name string, pos int32, nullable, dataType string, charMax, octet, prec, radix, scale, dtPrec any, udt string) []any {
		return []any{"demo", "public", "u", name, pos, nil, nullable, dataType, charMax, octet, prec, radix,
			scale, dtPrec, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, "demo", "pg_catalog", udt,
			nil, nil, nil, nil, strconv.Itoa(int(pos)), "NO", "NO", nil, nil, nil, nil, nil, "NO", "NEVER", nil, "NO"}
	}
	i32 := func(v int32) any { return v }
	want := [][]any{
		col("k", 1, "NO", "text", nil, i32(1073741824), nil, nil, nil, nil, "text"),
		col("s", 2, "YES", "smallint", nil, nil, i32(16), i32(2), i32(0), nil, "int2"),
		col("r", 3, "YES", "real", nil, nil, i32(24), i32(2), nil, nil, "float4"),
		col("j", 4, "YES", "json", nil, nil, nil, nil, nil, nil, "json"),
		col("g", 5, "YES", "uuid", nil, nil, nil, nil, nil, nil, "uuid"),
		col("n", 6, "YES", "numeric", nil, nil, nil, i32(10), nil, nil, "numeric"),
		col("v", 7, "YES", "character varying", nil, i32(1073741824), nil, nil, nil, nil, "varchar"),
		col("n2", 8, "YES", "numeric", nil, nil, i32(5), i32(10), i32(0), nil, "numeric"),
		col("i8", 9, "NO", "bigint", nil, nil, i32(64), i32(2), i32(0), nil, "int8"),
	}
	got := rowsOf(t, in, "information_schema", "columns", func(r []any) bool { return r[2] == "u" })
	assertRows(t, "information_schema.columns of u", got, want)

	got = rowsOf(t, in, "information_schema", "columns", func(r []any) bool { return r[2] == "t" && r[3] == "ts" })
	if len(got) != 1 || got[0][7] != "timestamp without time zone" || got[0][13] != int32(6) {
		t.Errorf("columns of t.ts: %v", got)
	}
	// Catalog columns of type name use collation C.
	got = rowsOf(t, in, "information_schema", "columns", func(r []any) bool { return r[2] == "pg_class" && r[3] == "relname" })
	if len(got) != 1 || got[0][7] != "name" || got[0][21] != "C" || got[0][20] != "pg_catalog" {
		t.Errorf("columns of pg_class.relname: %v", got)
	}
	got = rowsOf(t, in, "information_schema", "columns", func(r []any) bool { return r[2] == "pg_index" && r[3] == "indkey" })
	if len(got) != 1 || got[0][7] != "ARRAY" || got[0][27] != "int2vector" {
		t.Errorf("columns of pg_index.indkey: %v", got)
	}
}

func TestInformationSchemaTablesAndConstraints(t *testing.T) {
	in := fixture()
	got := rowsOf(t, in, "information_schema", "tables", func(r []any) bool { return r[1] == "public" || r[2] == "tables" })
	want := [][]any{
		{"demo", "information_schema", "tables", "VIEW", nil, nil, nil, nil, nil, "NO", "NO", nil},
		{"demo", "public", "t", "BASE TABLE", nil, nil, nil, nil, nil, "NO", "NO", nil},
		{"demo", "public", "u", "BASE TABLE", nil, nil, nil, nil, nil, "NO", "NO", nil},
	}
	assertRows(t, "information_schema.tables", got, want)

	tc := func(name, table, typ string) []any {
		return []any{"demo", "public", name, "demo", "public", table, typ, "NO", "NO", "YES", nil}
	}
	assertRows(t, "table_constraints", rowsOf(t, in, "information_schema", "table_constraints", nil), [][]any{
		tc("t_pkey", "t", "PRIMARY KEY"),
		tc("u_pkey", "u", "PRIMARY KEY"),
		tc("2200_16384_1_not_null", "t", "CHECK"),
		tc("2200_"+strconv.FormatUint(uint64(uOID), 10)+"_1_not_null", "u", "CHECK"),
		tc("2200_"+strconv.FormatUint(uint64(uOID), 10)+"_9_not_null", "u", "CHECK"),
	})
	assertRows(t, "key_column_usage", rowsOf(t, in, "information_schema", "key_column_usage", nil), [][]any{
		{"demo", "public", "t_pkey", "demo", "public", "t", "id", int32(1), nil},
		{"demo", "public", "u_pkey", "demo", "public", "u", "k", int32(1), nil},
	})
	assertRows(t, "schemata", rowsOf(t, in, "information_schema", "schemata", nil), [][]any{
		{"demo", "information_schema", "postgres", nil, nil, nil, nil},
		{"demo", "pg_catalog", "postgres", nil, nil, nil, nil},
		{"demo", "pg_toast", "postgres", nil, nil, nil, nil},
		{"demo", "public", "pg_database_owner", nil, nil, nil, nil},
	})
}

func TestSmallCatalogRows(t *testing.T) {
	in := fixture()
	assertRows(t, "pg_namespace", rowsOf(t, in, "pg_catalog", "pg_namespace", nil), [][]any{
		{uint32(11), "pg_catalog", uint32(10), "{postgres=UC/postgres,=U/postgres}"},
		{uint32(99), "pg_toast", uint32(10), nil},
		{uint32(2200), "public", uint32(6171), "{pg_database_owner=UC/pg_database_owner,=U/pg_database_owner}"},
		{uint32(13207), "information_schema", uint32(10), "{postgres=UC/postgres,=U/postgres}"},
	})
	assertRows(t, "pg_database", rowsOf(t, in, "pg_catalog", "pg_database", nil), [][]any{
		{uint32(5), "demo", uint32(10), int32(6), "c", false, true, int32(-1), "716", "1", uint32(1663),
			"C.UTF-8", "C.UTF-8", nil, nil, nil},
	})
	assertRows(t, "pg_am", rowsOf(t, in, "pg_catalog", "pg_am", nil), [][]any{
		{uint32(2), "heap", "heap_tableam_handler", "t"},
		{uint32(403), "btree", "bthandler", "i"},
	})
	readerOID := RoleOID("reader")
	assertRows(t, "pg_roles", rowsOf(t, in, "pg_catalog", "pg_roles", nil), [][]any{
		{"postgres", true, true, true, true, true, true, int32(-1), "********", nil, true, nil, uint32(10)},
		{"pg_database_owner", false, true, false, false, false, false, int32(-1), "********", nil, false, nil, uint32(6171)},
		{"reader", false, true, false, false, true, false, int32(-1), "********", nil, false, nil, readerOID},
	})
	assertRows(t, "pg_user", rowsOf(t, in, "pg_catalog", "pg_user", nil), [][]any{
		{"postgres", uint32(10), true, true, true, true, "********", nil, nil},
		{"reader", readerOID, false, false, false, false, "********", nil, nil},
	})
	assertRows(t, "pg_tables", rowsOf(t, in, "pg_catalog", "pg_tables", func(r []any) bool { return r[0] == "public" }), [][]any{
		{"public", "t", "postgres", nil, true, false, false, false},
		{"public", "u", "postgres", nil, true, false, false, false},
	})
	got := rowsOf(t, in, "pg_catalog", "pg_type", func(r []any) bool { return r[1] == "numeric" || r[1] == "_int4" })
	assertRows(t, "pg_type", got, [][]any{
		{uint32(1007), "_int4", uint32(11), uint32(10), int16(-1), false, "b", "A", false, true, ",", uint32(0),
			"array_subscript_handler", uint32(23), uint32(0), "array_in", "array_out", "array_recv", "array_send",
			"-", "-", "array_typanalyze", "i", "x", false, uint32(0), int32(-1), int32(0), uint32(0), nil, nil, nil},
		{uint32(1700), "numeric", uint32(11), uint32(10), int16(-1), false, "b", "N", false, true, ",", uint32(0),
			"-", uint32(0), uint32(1231), "numeric_in", "numeric_out", "numeric_recv", "numeric_send",
			"numerictypmodin", "numerictypmodout", "-", "i", "m", false, uint32(0), int32(-1), int32(0), uint32(0), nil, nil, nil},
	})
	for _, empty := range []string{"pg_description", "pg_attrdef", "pg_inherits", "pg_policy", "pg_proc", "pg_views"} {
		if rows := rowsOf(t, in, "pg_catalog", empty, nil); len(rows) != 0 {
			t.Errorf("%s has %d rows", empty, len(rows))
		}
	}
}

func TestPgSettingsRows(t *testing.T) {
	in := fixture()
	got := rowsOf(t, in, "pg_catalog", "pg_settings", func(r []any) bool {
		return r[0] == "TimeZone" || r[0] == "max_index_keys" || r[0] == "DateStyle"
	})
	assertRows(t, "pg_settings", got, [][]any{
		{"DateStyle", "ISO, MDY", nil, "Client Connection Defaults / Locale and Formatting",
			"Sets the display format for date and time values.", "Also controls interpretation of ambiguous date inputs.",
			"user", "string", "default", nil, nil, nil, "ISO, MDY", "ISO, MDY", nil, nil, false},
		{"TimeZone", "Europe/Paris", nil, "Client Connection Defaults / Locale and Formatting",
			"Sets the time zone for displaying and interpreting time stamps.", nil,
			"user", "string", "session", nil, nil, nil, "GMT", "Europe/Paris", nil, nil, false},
		{"max_index_keys", "32", nil, "Preset Options", "Shows the maximum number of index keys.", nil,
			"internal", "integer", "default", "32", "32", nil, "32", "32", nil, nil, false},
	})
	// Parameters neither fixed nor known to Settings are left out.
	if rows := rowsOf(t, in, "pg_catalog", "pg_settings", func(r []any) bool { return r[0] == "search_path" }); len(rows) != 0 {
		t.Errorf("search_path shown without a value: %v", rows)
	}
}

// canonicalKind returns the Go type canonical values of a column type have.
func canonicalKind(oid uint32) reflect.Type {
	switch oid {
	case sqlengine.BoolOID:
		return reflect.TypeFor[bool]()
	case sqlengine.Int2OID:
		return reflect.TypeFor[int16]()
	case sqlengine.Int4OID:
		return reflect.TypeFor[int32]()
	case sqlengine.Int8OID:
		return reflect.TypeFor[int64]()
	case sqlengine.OIDOID:
		return reflect.TypeFor[uint32]()
	case sqlengine.Float4OID:
		return reflect.TypeFor[float32]()
	case sqlengine.ByteaOID:
		return reflect.TypeFor[[]byte]()
	case sqlengine.TimestamptzOID:
		return reflect.TypeFor[time.Time]()
	}
	return reflect.TypeFor[string]()
}

// TestRowsAreWellFormed checks every relation's rows against its columns:
// length, NOT NULL, canonical Go types.
func TestRowsAreWellFormed(t *testing.T) {
	in := fixture()
	for _, tab := range Tables() {
		for i, c := range tab.Columns {
			if c.TypeSize != typeLen(c.TypeOID) || c.Name == "" {
				t.Errorf("%s.%s column %d: %+v", tab.Schema, tab.Name, i, c)
			}
		}
		for _, row := range tab.Rows(in) {
			if len(row) != len(tab.Columns) {
				t.Fatalf("%s.%s: row of %d values for %d columns", tab.Schema, tab.Name, len(row), len(tab.Columns))
			}
			for i, v := range row {
				c := tab.Columns[i]
				if v == nil {
					if c.NotNull {
						t.Errorf("%s.%s.%s is NULL in %v", tab.Schema, tab.Name, c.Name, row)
					}
					continue
				}
				if got, want := reflect.TypeOf(v), canonicalKind(c.TypeOID); got != want {
					t.Errorf("%s.%s.%s holds %v, want %v", tab.Schema, tab.Name, c.Name, got, want)
				}
			}
		}
	}
}

func TestRegclass(t *testing.T) {
	in := fixture()
	for name, want := range map[string]uint32{"t": 16384, "T": 16384, `"t"`: 16384, "public.t": 16384,
		" public . u ": uOID, "pg_class": 1259, "pg_catalog.pg_class": 1259, "information_schema.columns": 13295,
		"t_pkey": 16385, "demo.public.t": 16384, "16385": 16385, "999": 999} {
		got, err := in.RegclassIn(name)
		if err != nil || got != want {
			t.Errorf("RegclassIn(%q) = %d, %v; want %d", name, got, err, want)
		}
	}
	for name, code := range map[string]string{"nosuch": sqlengine.CodeUndefinedTable, `"T"`: sqlengine.CodeUndefinedTable,
		"columns": sqlengine.CodeUndefinedTable, "nosuch.t": sqlengine.CodeInvalidSchemaName,
		"other.public.t": sqlengine.CodeFeatureNotSupported, `"unterminated`: sqlengine.CodeInvalidTextRepresentation} {
		_, err := in.RegclassIn(name)
		var pe *sqlengine.Error
		if !errors.As(err, &pe) || pe.Code != code {
			t.Errorf("RegclassIn(%q) error = %v, want SQLSTATE %s", name, err, code)
		}
	}
	_, err := in.RegclassIn("nosuch")
	if err == nil || err.(*sqlengine.Error).Message != `relation "nosuch" does not exist` {
		t.Errorf("RegclassIn(nosuch) = %v", err)
	}
	for oid, want := range map[uint32]string{16384: "t", 16385: "t_pkey", 1259: "pg_class",
		13295: "information_schema.columns", 0: "-", 4242: "4242"} {
		if got := in.RegclassOut(oid); got != want {
			t.Errorf("RegclassOut(%d) = %q, want %q", oid, got, want)
		}
	}
	// A user table hidden by a catalog of the same name is shown qualified.
	in.Relations = append(in.Relations, Relation{Name: "pg_am", OID: 20000, KeyColumn: -1,
		Columns: []tables.Column{{Name: "Order", Type: tables.Type{OID: sqlengine.TextOID}}}})
	if got := in.RegclassOut(20000); got != "public.pg_am" {
		t.Errorf("RegclassOut(public.pg_am) = %q", got)
	}
	if v, ok := in.TableIsVisible(20000); v || !ok {
		t.Errorf("TableIsVisible(public.pg_am) = %v, %v", v, ok)
	}
	for oid, want := range map[uint32][2]bool{16384: {true, true}, 16385: {true, true}, 1259: {true, true},
		13295: {false, true}, 4242: {false, false}} {
		if v, ok := in.TableIsVisible(oid); v != want[0] || ok != want[1] {
			t.Errorf("TableIsVisible(%d) = %v, %v; want %v", oid, v, ok, want)
		}
	}
	for name, want := range map[string]uint32{"public": 2200, "pg_catalog": 11, "information_schema": 13207, "PUBLIC": 2200} {
		if got, err := RegnamespaceIn(name); err != nil || got != want {
			t.Errorf("RegnamespaceIn(%q) = %d, %v", name, got, err)
		}
	}
	if RegnamespaceOut(2200) != "public" || RegnamespaceOut(5) != "5" {
		t.Errorf("RegnamespaceOut(2200, 5) = %q, %q", RegnamespaceOut(2200), RegnamespaceOut(5))
	}
}

func TestUsers(t *testing.T) {
	in := fixture()
	if in.Owner() != "postgres" {
		t.Errorf("Owner() = %q", in.Owner())
	}
	for oid, want := range map[uint32]string{10: "postgres", 6171: "pg_database_owner",
		RoleOID("reader"): "reader", 77: "unknown (OID=77)"} {
		if got := in.GetUserByID(oid); got != want {
			t.Errorf("GetUserByID(%d) = %q, want %q", oid, got, want)
		}
	}
	if got := (&Input{}).Owner(); got != "postgres" {
		t.Errorf("Owner() with no users = %q", got)
	}
	if got := (&Input{Users: []User{{Name: "bob"}}}).Owner(); got != "bob" {
		t.Errorf("Owner() with one non-superuser = %q", got)
	}
}
