package pgcatalog

import (
	"strconv"

	"github.com/pqsql/pqsql/sqlengine"
	"github.com/pqsql/pqsql/tables"
)

// Schema names and OIDs, as in PostgreSQL 15.
const (
	SchemaPgCatalog         = "pg_catalog"
	SchemaPublic            = "public"
	SchemaInformationSchema = "information_schema"
	SchemaPgToast           = "pg_toast"

	PgCatalogOID         uint32 = 11
	PublicOID            uint32 = 2200
	InformationSchemaOID uint32 = 13207
	PgToastOID           uint32 = 99
)

// OIDs of other built-in objects the catalogs refer to.
const (
	// OwnerOID is the OID of the role that owns the database and every
	// table: PostgreSQL's bootstrap superuser (see Input.Owner).
	OwnerOID uint32 = 10
	// DatabaseOwnerOID is the predefined role pg_database_owner, which owns
	// the public schema.
	DatabaseOwnerOID uint32 = 6171
	// DatabaseOID is the OID of the one database pqsql serves.
	DatabaseOID uint32 = 5
	// HeapAMOID and BtreeAMOID are the heap table and btree index access methods.
	HeapAMOID  uint32 = 2
	BtreeAMOID uint32 = 403
	// DefaultTablespaceOID is pg_default.
	DefaultTablespaceOID uint32 = 1663
	// DefaultCollationOID and CCollationOID are the collations "default" and "C".
	DefaultCollationOID uint32 = 100
	CCollationOID       uint32 = 950
)

// Relation is a table pqsql serves.
type Relation struct {
	Name string
	// OID is the table's OID; see AssignOIDs. Zero means TableOID(Name).
	OID     uint32
	Columns []tables.Column
	// KeyColumn is the index in Columns of the key column, which becomes the
	// primary key; -1 means none.
	KeyColumn int
	// RowCount is the number of visible rows, shown as reltuples.
	RowCount int64
}

// User is a role that can log in.
type User struct {
	Name      string
	Superuser bool
}

// Input is what the catalogs are generated from.
type Input struct {
	// Database is the name of the database the session is connected to.
	Database string
	// Users are the roles that can log in. The first superuser (else the
	// first user) owns the database and its tables; see Owner.
	Users []User
	// Relations are the tables, in any order.
	Relations []Relation
	// Settings returns a session's run-time parameter by its canonical name
	// (as in SHOW), for pg_settings. Nil, or false, means unknown.
	Settings func(name string) (string, bool)
}

// Column describes one column of a catalog relation.
type Column struct {
	Name string
	// TypeOID is the column's type; for information_schema's domains
	// (sql_identifier, cardinal_number, yes_or_no, ...) it is the domain's
	// base type (name, int4, varchar), which is what PostgreSQL reports in
	// RowDescription.
	TypeOID uint32
	// TypeSize is pg_type.typlen of TypeOID.
	TypeSize int16
	// TypeModifier is the typmod, -1 when none (yes_or_no is varchar(3): 7).
	TypeModifier int32
	// NotNull is pg_attribute.attnotnull: the column never holds NULL.
	NotNull bool
	// Collation is pg_attribute.attcollation: 950 ("C") for name and text
	// columns of the system catalogs, 0 for types without collation.
	Collation uint32
}

// CatalogTable is one catalog relation: a pg_catalog table or view, or an
// information_schema view.
type CatalogTable struct {
	// Schema is "pg_catalog" or "information_schema".
	Schema string
	Name   string
	// OID is the relation's OID in PostgreSQL 15 (pg_class is 1259).
	OID uint32
	// Kind is pg_class.relkind: 'r' for a table, 'v' for a view.
	Kind byte
	// Columns are PostgreSQL 15's columns, in order.
	Columns []Column
	// Rows returns the relation's rows for in, one canonical value (see
	// package sqlengine) or nil per column.
	Rows func(in *Input) [][]any
}

// ResultColumn returns the description of column i as a result column of
// "SELECT * FROM" the relation.
func (t *CatalogTable) ResultColumn(i int) sqlengine.Column {
	c := t.Columns[i]
	return sqlengine.Column{Name: c.Name, TypeOID: c.TypeOID, TypeSize: c.TypeSize,
		TypeModifier: c.TypeModifier, TableOID: t.OID, AttrNum: int16(i + 1)}
}

// relDef and colDef hold the column lists of defs.go.
type relDef struct {
	schema, name string
	oid          uint32
	kind         byte
	cols         []colDef
}

type colDef struct {
	name      string
	typ       uint32
	typmod    int32
	notNull   bool
	collation uint32
}

// Tables returns every catalog relation, pg_catalog's first, each time a new
// slice the caller may keep.
func Tables() []CatalogTable {
	rows := rowFuncs()
	out := make([]CatalogTable, 0, len(catalogDefs))
	for _, d := range catalogDefs {
		t := CatalogTable{Schema: d.schema, Name: d.name, OID: d.oid, Kind: d.kind,
			Columns: make([]Column, len(d.cols))}
		for i, c := range d.cols {
			t.Columns[i] = Column{Name: c.name, TypeOID: c.typ, TypeSize: typeLen(c.typ),
				TypeModifier: c.typmod, NotNull: c.notNull, Collation: c.collation}
		}
		if f := rows[d.schema+"."+d.name]; f != nil {
			t.Rows = bindRows(&t, f)
		} else {
			t.Rows = func(*Input) [][]any { return nil }
		}
		out = append(out, t)
	}
	return out
}

// Lookup returns the catalog relation schema.name.
func Lookup(schema, name string) (CatalogTable, bool) {
	for _, t := range Tables() {
		if t.Schema == schema && t.Name == name {
			return t, true
		}
	}
	return CatalogTable{}, false
}

// rowFunc computes a relation's rows; r builds rows with the relation's columns.
type rowFunc func(m *model, r *rowMaker) [][]any

// bindRows turns a rowFunc into CatalogTable.Rows.
func bindRows(t *CatalogTable, f rowFunc) func(*Input) [][]any {
	r := newRowMaker(t.Schema+"."+t.Name, t.Columns)
	return func(in *Input) [][]any {
		return f(newModel(in), r)
	}
}

// rowMaker builds rows of one relation by column name.
type rowMaker struct {
	rel  string
	cols []Column
	idx  map[string]int
}

func newRowMaker(rel string, cols []Column) *rowMaker {
	r := &rowMaker{rel: rel, cols: cols, idx: make(map[string]int, len(cols))}
	for i, c := range cols {
		r.idx[c.Name] = i
	}
	return r
}

// row returns a row from alternating column names and values; columns not
// named are NULL. A Go int becomes the column's integer type (int16, int32,
// int64, uint32 for oid, float32 for float4, a string for xid).
func (r *rowMaker) row(kv ...any) []any {
	out := make([]any, len(r.cols))
	for i := 0; i+1 < len(kv); i += 2 {
		name := kv[i].(string)
		j, ok := r.idx[name]
		if !ok {
			panic("pgcatalog: " + r.rel + " has no column " + name)
		}
		v := kv[i+1]
		if n, ok := v.(int); ok {
			v = intValue(r.cols[j].TypeOID, n)
		}
		out[j] = v
	}
	return out
}

// intValue converts n to the canonical value of type typ.
func intValue(typ uint32, n int) any {
	switch typ {
	case sqlengine.Int2OID:
		return int16(n)
	case sqlengine.Int4OID:
		return int32(n)
	case sqlengine.Int8OID:
		return int64(n)
	case sqlengine.OIDOID:
		return uint32(n)
	case sqlengine.Float4OID:
		return float32(n)
	case sqlengine.Float8OID:
		return float64(n)
	}
	return strconv.Itoa(n)
}
