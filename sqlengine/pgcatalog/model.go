package pgcatalog

import (
	"cmp"
	"slices"

	"github.com/pqsql/pqsql/sqlengine"
)

// model is the set of relations an Input describes: the user tables, their
// primary-key indexes and the catalog relations, with their attributes.
type model struct {
	in    *Input
	owner string
	// rels holds every relation, sorted by OID.
	rels []*relInfo
}

// relInfo is one pg_class entry.
type relInfo struct {
	oid       uint32
	name      string
	namespace uint32
	kind      byte // 'r', 'v' or 'i'
	atts      []attInfo
	rowCount  int64
	// user is set for the tables of Input.Relations and their indexes.
	user bool
	// key is the 1-based attnum of the primary key (tables with a key, and
	// their indexes), 0 if none.
	key int
	// index is the OID of the primary-key index (tables), table the OID of
	// the indexed table (indexes).
	index, table uint32
}

// attInfo is one pg_attribute entry.
type attInfo struct {
	name      string
	typ       uint32
	typmod    int32
	notNull   bool
	collation uint32
}

// newModel gathers the relations of in.
func newModel(in *Input) *model {
	m := &model{in: in, owner: in.Owner()}
	for i := range in.Relations {
		r := &in.Relations[i]
		t := &relInfo{oid: relationOID(r), name: r.Name, namespace: PublicOID, kind: 'r',
			rowCount: r.RowCount, user: true}
		for j, c := range r.Columns {
			a := attInfo{name: c.Name, typ: c.Type.OID, typmod: -1, notNull: !c.Nullable || j == r.KeyColumn}
			if c.Type.OID == sqlengine.NumericOID && c.Type.Precision > 0 {
				a.typmod = (c.Type.Precision<<16 | c.Type.Scale&0xffff) + 4
			}
			if td, ok := lookupType(c.Type.OID); ok {
				a.collation = td.collation
			}
			t.atts = append(t.atts, a)
		}
		m.rels = append(m.rels, t)
		if r.KeyColumn >= 0 && r.KeyColumn < len(r.Columns) {
			t.key = r.KeyColumn + 1
			t.index = IndexOID(t.oid)
			ka := t.atts[r.KeyColumn]
			ka.notNull = false
			m.rels = append(m.rels, &relInfo{oid: t.index, name: pkeyName(r.Name), namespace: PublicOID,
				kind: 'i', atts: []attInfo{ka}, user: true, key: t.key, table: t.oid, rowCount: r.RowCount})
		}
	}
	for i := range catalogDefs {
		d := &catalogDefs[i]
		ns := PgCatalogOID
		if d.schema == SchemaInformationSchema {
			ns = InformationSchemaOID
		}
		t := &relInfo{oid: d.oid, name: d.name, namespace: ns, kind: d.kind}
		for _, c := range d.cols {
			t.atts = append(t.atts, attInfo{name: c.name, typ: c.typ, typmod: c.typmod, notNull: c.notNull, collation: c.collation})
		}
		m.rels = append(m.rels, t)
	}
	slices.SortFunc(m.rels, func(a, b *relInfo) int { return cmp.Compare(a.oid, b.oid) })
	return m
}

// relationOID returns r's OID.
func relationOID(r *Relation) uint32 {
	if r.OID != 0 {
		return r.OID
	}
	return TableOID(r.Name)
}

// pkeyName returns the name PostgreSQL gives table's primary-key index,
// NAME_pkey, shortening NAME so the result fits in 63 bytes.
func pkeyName(table string) string {
	const maxName = 63
	if len(table)+len("_pkey") > maxName {
		n := maxName - len("_pkey")
		// Do not cut a UTF-8 sequence.
		for n > 0 && table[n]&0xc0 == 0x80 {
			n--
		}
		table = table[:n]
	}
	return table + "_pkey"
}

// byOID returns the relation with OID oid.
func (m *model) byOID(oid uint32) *relInfo {
	i, ok := slices.BinarySearchFunc(m.rels, oid, func(r *relInfo, oid uint32) int { return cmp.Compare(r.oid, oid) })
	if !ok {
		return nil
	}
	return m.rels[i]
}

// sorted returns the relations for which keep is true, by schema name and name.
func (m *model) sorted(keep func(*relInfo) bool) []*relInfo {
	var out []*relInfo
	for _, r := range m.rels {
		if keep(r) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b *relInfo) int {
		return cmp.Or(cmp.Compare(namespaceName(a.namespace), namespaceName(b.namespace)), cmp.Compare(a.name, b.name))
	})
	return out
}

// namespaces lists the schemas: OID and name, in OID order.
var namespaces = []struct {
	oid  uint32
	name string
}{
	{PgCatalogOID, SchemaPgCatalog},
	{PgToastOID, SchemaPgToast},
	{PublicOID, SchemaPublic},
	{InformationSchemaOID, SchemaInformationSchema},
}

// namespaceName returns the name of schema oid, "" if none.
func namespaceName(oid uint32) string {
	for _, n := range namespaces {
		if n.oid == oid {
			return n.name
		}
	}
	return ""
}
