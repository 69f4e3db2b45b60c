package gmsengine

import (
	"sort"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"

	"github.com/pqsql/pqsql/sqlengine"
	"github.com/pqsql/pqsql/sqlengine/pgcatalog"
	"github.com/pqsql/pqsql/tables"
)

// catalogDB is a GMS database serving one schema of package pgcatalog's
// relations: pg_catalog or PostgreSQL's information_schema (which replaces
// GMS's MySQL one). Its tables compute their rows per scan from the current
// tables and the scanning session, so they always agree with what the session
// can query.
type catalogDB struct {
	name   string
	e      *Engine
	tables map[string]*catalogTable
	names  []string
}

var _ sql.Database = (*catalogDB)(nil)

// newCatalogDB returns the database of pgcatalog's relations in schema.
func newCatalogDB(e *Engine, schema string) *catalogDB {
	db := &catalogDB{name: schema, e: e, tables: map[string]*catalogTable{}}
	for _, ct := range pgcatalog.Tables() {
		if ct.Schema != schema {
			continue
		}
		db.tables[ct.Name] = newCatalogTable(db, ct)
		db.names = append(db.names, ct.Name)
	}
	return db
}

// Name returns the schema name.
func (db *catalogDB) Name() string { return db.name }

// GetTableInsensitive returns the catalog relation named name.
func (db *catalogDB) GetTableInsensitive(_ *sql.Context, name string) (sql.Table, bool, error) {
	if t, ok := db.tables[name]; ok {
		return t, true, nil
	}
	if t, ok := db.tables[strings.ToLower(name)]; ok {
		return t, true, nil
	}
	return nil, false, nil
}

// GetTableNames returns the relations' names.
func (db *catalogDB) GetTableNames(*sql.Context) ([]string, error) {
	return append([]string(nil), db.names...), nil
}

// catalogTable is one pgcatalog relation as a GMS table.
type catalogTable struct {
	db     *catalogDB
	ct     pgcatalog.CatalogTable
	schema sql.Schema
}

var _ sql.Table = (*catalogTable)(nil)

func newCatalogTable(db *catalogDB, ct pgcatalog.CatalogTable) *catalogTable {
	schema := make(sql.Schema, len(ct.Columns))
	for i, c := range ct.Columns {
		schema[i] = &sql.Column{
			Name:           c.Name,
			Type:           catalogColumnType(c.TypeOID),
			Nullable:       !c.NotNull,
			Source:         ct.Name,
			DatabaseSource: db.name,
		}
	}
	return &catalogTable{db: db, ct: ct, schema: schema}
}

// Name returns the relation's name.
func (t *catalogTable) Name() string { return t.ct.Name }

// String describes the table in plans.
func (t *catalogTable) String() string { return t.ct.Schema + "." + t.ct.Name }

// Schema returns PostgreSQL 15's columns of the relation.
func (t *catalogTable) Schema(*sql.Context) sql.Schema { return t.schema }

// Collation returns the binary collation (PostgreSQL's "C").
func (t *catalogTable) Collation() sql.CollationID { return sql.Collation_utf8mb4_0900_bin }

// Partitions returns the single partition.
func (t *catalogTable) Partitions(*sql.Context) (sql.PartitionIter, error) {
	return sql.PartitionsToPartitionIter(catalogPartition{}), nil
}

// PartitionRows computes the relation's rows for the session.
func (t *catalogTable) PartitionRows(ctx *sql.Context, _ sql.Partition) (sql.RowIter, error) {
	in := t.db.e.catalogInput(ctx)
	src := t.ct.Rows(in)
	rows := make([]sql.Row, len(src))
	for i, r := range src {
		row := make(sql.Row, len(r))
		for j, v := range r {
			row[j] = catalogGMSValue(v)
		}
		rows[i] = row
	}
	return sql.RowsToRowIter(rows...), nil
}

// catalogPartition is a catalog table's only partition.
type catalogPartition struct{}

// Key identifies the partition.
func (catalogPartition) Key() []byte { return []byte("catalog") }

// catalogGMSValue converts a pgcatalog value to its GMS representation.
func catalogGMSValue(v any) any {
	if b, ok := v.(bool); ok {
		if b {
			return int8(1)
		}
		return int8(0)
	}
	return v
}

// catalogTextOIDs are the PostgreSQL types held as text in GMS whose result
// columns still report their own type: each is marked by a GMS VARCHAR of
// its own length, catalogMarkerBase plus its index here. The list only
// grows at its end, so that markers keep their meaning.
var catalogTextOIDs = [...]uint32{
	sqlengine.NameOID, 18 /* "char" */, 22 /* int2vector */, 30 /* oidvector */, 24, /* regproc */
	28 /* xid */, 194 /* pg_node_tree */, 869 /* inet */, sqlengine.VarcharOID, 2206, /* regtype */
	2277 /* anyarray */, 1002 /* "char"[] */, 1005 /* int2[] */, 1007 /* int4[] */, 1016, /* int8[] */
	1009 /* text[] */, 1015 /* varchar[] */, 1003 /* name[] */, 1028 /* oid[] */, 1034, /* aclitem[] */
	1000 /* bool[] */, 1021 /* float4[] */, 1022, /* float8[] */
	2205 /* regclass */, 4089, /* regnamespace */
}

// catalogMarkerBase is the VARCHAR length of the first marker type; GMS's
// VARCHAR holds up to 16383 characters in utf8mb4, and no query declares
// lengths this close to the limit.
const catalogMarkerBase = 16300

// catalogColumnType returns the GMS type of a catalog column of PostgreSQL
// type oid.
func catalogColumnType(oid uint32) sql.Type {
	switch oid {
	case sqlengine.BoolOID:
		return types.Boolean
	case sqlengine.Int2OID:
		return types.Int16
	case sqlengine.Int4OID:
		return types.Int32
	case sqlengine.Int8OID:
		return types.Int64
	case sqlengine.Float4OID:
		return types.Float32
	case sqlengine.Float8OID:
		return types.Float64
	case sqlengine.OIDOID:
		return oidType
	case sqlengine.TimestamptzOID:
		return timestamptzType
	case sqlengine.ByteaOID:
		return types.LongBlob
	case sqlengine.TextOID:
		return textType
	}
	if t := markedTextType(oid); t != nil {
		return t
	}
	return textType
}

// markedTextType returns the marker type of a text-held type, nil for none.
func markedTextType(oid uint32) sql.Type {
	for i, o := range catalogTextOIDs {
		if o == oid {
			return types.MustCreateString(sqltypes.VarChar, int64(catalogMarkerBase+i), sql.Collation_utf8mb4_0900_bin)
		}
	}
	return nil
}

// catalogPGType maps a marker type to the PostgreSQL type it stands for.
func catalogPGType(t sql.Type) (pgType, bool) {
	if t == nil {
		return pgType{}, false
	}
	st, ok := t.(sql.StringType)
	if !ok || t.Type() != sqltypes.VarChar {
		return pgType{}, false
	}
	i := int(st.MaxCharacterLength()) - catalogMarkerBase
	if i < 0 || i >= len(catalogTextOIDs) {
		return pgType{}, false
	}
	p := pgType{OID: catalogTextOIDs[i], Size: -1, Typmod: -1, Scale: -1}
	switch p.OID {
	case sqlengine.NameOID:
		p.Size = 64
	case 18:
		p.Size = 1
	case 24, 28, 2205, 2206, 4089:
		p.Size = 4
	}
	return p, true
}

// catalogInput returns what the catalogs show the session of ctx: its
// database, the users, the relations it may query and its settings.
func (e *Engine) catalogInput(ctx *sql.Context) *pgcatalog.Input {
	in := &pgcatalog.Input{Database: e.opts.Database}
	s := pgSession(ctx)
	if e.opts.Roles != nil {
		names := make([]string, 0, len(e.opts.Roles))
		for n := range e.opts.Roles {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			in.Users = append(in.Users, pgcatalog.User{Name: n, Superuser: e.opts.Roles[n] == RoleAdmin})
		}
	} else if s != nil {
		in.Users = []pgcatalog.User{{Name: s.info.User}}
	}
	if s != nil {
		in.Settings = s.settings.get
	}
	in.Relations = e.db.visibleRelations(ctx)
	return in
}

// visibleRelations returns the tables the session of ctx may query, as the
// catalogs show them. Every name goes through GetTableInsensitive, so the
// catalogs apply the same visibility rules as queries: the raw views and the
// audit table appear for administrators only.
// tableOID returns the OID visibleRelations gives table name.
func (d *database) tableOID(ctx *sql.Context, name string) uint32 {
	return pgcatalog.AssignOIDs(d.relationNames(ctx))[name]
}

// relationNames returns the names of the relations the session sees.
func (d *database) relationNames(ctx *sql.Context) []string {
	names, err := d.GetTableNames(ctx)
	if err != nil {
		return nil
	}
	if isAdmin(ctx) {
		n := len(names)
		for _, name := range names[:n] {
			names = append(names, rawPrefix+name)
		}
		names = append(names, auditTableName, erasuresTableName)
	}
	return names
}

func (d *database) visibleRelations(ctx *sql.Context) []pgcatalog.Relation {
	names := d.relationNames(ctx)
	oids := pgcatalog.AssignOIDs(names)
	rels := make([]pgcatalog.Relation, 0, len(names))
	for _, name := range names {
		st, ok, err := d.GetTableInsensitive(ctx, name)
		if err != nil || !ok {
			continue
		}
		rel := pgcatalog.Relation{Name: st.Name(), OID: oids[name], KeyColumn: -1}
		if tb, ok := st.(*table); ok {
			rel.Columns = tb.t.Columns()
			rel.KeyColumn = tb.t.KeyColumn()
			rel.RowCount = tb.t.RowCount()
			if tb.raw {
				rel.RowCount = tb.t.RawRowCount()
			}
		} else {
			for _, c := range st.Schema(ctx) {
				p := pgTypeOf(c)
				rel.Columns = append(rel.Columns, tables.Column{Name: c.Name, Type: tables.Type{OID: p.OID}, Nullable: c.Nullable})
			}
		}
		rels = append(rels, rel)
	}
	return rels
}

// catalogDatabase returns pg_catalog or information_schema by name.
func (p *provider) catalogDatabase(name string) (sql.Database, bool) {
	for _, db := range p.catalogs {
		if strings.EqualFold(db.name, name) {
			return db, true
		}
	}
	return nil, false
}

// installCatalogs adds pg_catalog and PostgreSQL's information_schema to
// the engine: the provider serves them as databases, PostgreSQL's
// information_schema replaces GMS's MySQL one, and user-database lookups of
// names that are no user table fall back to pg_catalog (see
// database.catalogFallback).
func installCatalogs(e *Engine, pro *provider, a *analyzer.Analyzer) {
	pg := newCatalogDB(e, pgcatalog.SchemaPgCatalog)
	is := newCatalogDB(e, pgcatalog.SchemaInformationSchema)
	pro.catalogs = []*catalogDB{pg, is}
	e.db.pgCatalog = pg
	a.Catalog.InfoSchema = is
}

// catalogFallback resolves an unqualified name that is no user table: like
// PostgreSQL, which always searches pg_catalog, it finds the pg_catalog
// relation of that name.
func (d *database) catalogFallback(ctx *sql.Context, name string) (sql.Table, bool, error) {
	if d.pgCatalog == nil {
		return nil, false, nil
	}
	return d.pgCatalog.GetTableInsensitive(ctx, name)
}
