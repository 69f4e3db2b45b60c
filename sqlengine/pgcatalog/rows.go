package pgcatalog

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/pqsql/pqsql/sqlengine"
)

// rowFuncs returns the row functions of the relations that have rows, by
// "schema.name". The others are empty.
func rowFuncs() map[string]rowFunc {
	return map[string]rowFunc{
		"pg_catalog.pg_namespace":              namespaceRows,
		"pg_catalog.pg_class":                  classRows,
		"pg_catalog.pg_attribute":              attributeRows,
		"pg_catalog.pg_type":                   typeRows,
		"pg_catalog.pg_index":                  indexRows,
		"pg_catalog.pg_constraint":             constraintRows,
		"pg_catalog.pg_am":                     amRows,
		"pg_catalog.pg_database":               databaseRows,
		"pg_catalog.pg_roles":                  rolesRows,
		"pg_catalog.pg_user":                   userRows,
		"pg_catalog.pg_authid":                 authidRows,
		"pg_catalog.pg_collation":              collationRows,
		"pg_catalog.pg_settings":               settingsRows,
		"pg_catalog.pg_tables":                 tablesRows,
		"pg_catalog.pg_indexes":                indexesRows,
		"pg_catalog.pg_tablespace":             tablespaceRows,
		"information_schema.schemata":          schemataRows,
		"information_schema.tables":            isTablesRows,
		"information_schema.columns":           isColumnsRows,
		"information_schema.table_constraints": isTableConstraintsRows,
		"information_schema.key_column_usage":  isKeyColumnUsageRows,
	}
}

// schemaACL returns the privileges PostgreSQL shows for a schema everyone may use.
func schemaACL(owner string) string {
	o := aclName(owner)
	return "{" + o + "=UC/" + o + ",=U/" + o + "}"
}

// aclName quotes a role name as aclitem's output does.
func aclName(n string) string {
	for _, c := range n {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c > 127) {
			return `"` + strings.ReplaceAll(n, `"`, `""`) + `"`
		}
	}
	return n
}

func namespaceRows(m *model, r *rowMaker) [][]any {
	var out [][]any
	for _, n := range namespaces {
		owner, acl := OwnerOID, any(nil)
		switch n.oid {
		case PublicOID:
			owner, acl = DatabaseOwnerOID, schemaACL("pg_database_owner")
		case PgCatalogOID, InformationSchemaOID:
			acl = schemaACL(m.owner)
		}
		out = append(out, r.row("oid", int(n.oid), "nspname", n.name, "nspowner", int(owner), "nspacl", acl))
	}
	return out
}

// sharedCatalog reports whether name is a catalog shared by all databases (relisshared).
func sharedCatalog(name string) bool {
	switch name {
	case "pg_authid", "pg_auth_members", "pg_database", "pg_shdescription", "pg_tablespace":
		return true
	}
	return false
}

func classRows(m *model, r *rowMaker) [][]any {
	out := make([][]any, 0, len(m.rels))
	for _, c := range m.rels {
		am, filenode, pages, tuples := 0, 0, 0, float32(-1)
		replident, frozen, minmx := "n", "0", "0"
		switch c.kind {
		case 'r':
			am, filenode, replident, frozen, minmx = int(HeapAMOID), int(c.oid), "d", "724", "1"
			if c.user {
				tuples = float32(c.rowCount)
			}
		case 'i':
			am, filenode, pages, tuples = int(BtreeAMOID), int(c.oid), 1, float32(c.rowCount)
		}
		out = append(out, r.row(
			"oid", int(c.oid), "relname", c.name, "relnamespace", int(c.namespace), "reltype", 0,
			"reloftype", 0, "relowner", int(OwnerOID), "relam", am, "relfilenode", filenode,
			"reltablespace", 0, "relpages", pages, "reltuples", tuples, "relallvisible", 0,
			"reltoastrelid", 0, "relhasindex", c.index != 0, "relisshared", !c.user && sharedCatalog(c.name),
			"relpersistence", "p", "relkind", string(c.kind), "relnatts", len(c.atts), "relchecks", 0,
			"relhasrules", c.kind == 'v', "relhastriggers", false, "relhassubclass", false,
			"relrowsecurity", false, "relforcerowsecurity", false, "relispopulated", true,
			"relreplident", replident, "relispartition", false, "relrewrite", 0,
			"relfrozenxid", frozen, "relminmxid", minmx))
	}
	return out
}

func attributeRows(m *model, r *rowMaker) [][]any {
	var out [][]any
	for _, c := range m.rels {
		for i, a := range c.atts {
			t, ok := lookupType(a.typ)
			if !ok {
				t = &typeDef{len: -1, align: 'i', storage: 'x'}
			}
			// Arrays (int2vector included) of tables have one declared
			// dimension; view columns have none.
			ndims := 0
			if t.isArray() && c.kind == 'r' {
				ndims = 1
			}
			out = append(out, r.row(
				"attrelid", int(c.oid), "attname", a.name, "atttypid", int(a.typ), "attstattarget", -1,
				"attlen", int(t.len), "attnum", i+1, "attndims", ndims, "attcacheoff", -1,
				"atttypmod", int(a.typmod), "attbyval", t.byval, "attalign", string(t.align),
				"attstorage", string(t.storage), "attcompression", "", "attnotnull", a.notNull,
				"atthasdef", false, "atthasmissing", false, "attidentity", "", "attgenerated", "",
				"attisdropped", false, "attislocal", true, "attinhcount", 0, "attcollation", int(a.collation)))
		}
	}
	return out
}

func typeRows(m *model, r *rowMaker) [][]any {
	out := make([][]any, 0, len(builtinTypes))
	for i := range builtinTypes {
		t := &builtinTypes[i]
		out = append(out, r.row(
			"oid", int(t.oid), "typname", t.name, "typnamespace", int(PgCatalogOID), "typowner", int(OwnerOID),
			"typlen", int(t.len), "typbyval", t.byval, "typtype", string(t.typtype),
			"typcategory", string(t.category), "typispreferred", t.preferred, "typisdefined", true,
			"typdelim", string(t.delim), "typrelid", 0, "typsubscript", t.subscript,
			"typelem", int(t.elem), "typarray", int(t.array), "typinput", t.input, "typoutput", t.output,
			"typreceive", t.receive, "typsend", t.send, "typmodin", t.modin, "typmodout", t.modout,
			"typanalyze", t.analyze, "typalign", string(t.align), "typstorage", string(t.storage),
			"typnotnull", false, "typbasetype", 0, "typtypmod", -1, "typndims", 0,
			"typcollation", int(t.collation)))
	}
	return out
}

// btreeOpclass returns the default btree operator class of a key type, 0 if
// it has none.
func btreeOpclass(typ uint32) uint32 {
	switch typ {
	case sqlengine.BoolOID:
		return 10003
	case sqlengine.BPCharOID:
		return 10004
	case sqlengine.ByteaOID:
		return 10006
	case sqlengine.DateOID:
		return 3122
	case sqlengine.Float4OID:
		return 10012
	case sqlengine.Float8OID:
		return 3123
	case sqlengine.Int2OID:
		return 1979
	case sqlengine.Int4OID:
		return 1978
	case sqlengine.Int8OID:
		return 3124
	case sqlengine.IntervalOID:
		return 10022
	case sqlengine.NameOID:
		return 10028
	case sqlengine.NumericOID:
		return 3125
	case sqlengine.OIDOID:
		return 1981
	case sqlengine.TextOID, sqlengine.VarcharOID:
		return 3126
	case sqlengine.TimeOID:
		return 10038
	case sqlengine.TimestamptzOID:
		return 3127
	case sqlengine.TimestampOID:
		return 3128
	case sqlengine.UUIDOID:
		return 10065
	case sqlengine.JSONBOID:
		return 10088
	}
	return 0
}

// indexes returns the primary-key indexes.
func (m *model) indexes() []*relInfo {
	return m.sorted(func(c *relInfo) bool { return c.kind == 'i' })
}

func indexRows(m *model, r *rowMaker) [][]any {
	var out [][]any
	for _, ix := range m.indexes() {
		a := ix.atts[0]
		out = append(out, r.row(
			"indexrelid", int(ix.oid), "indrelid", int(ix.table), "indnatts", 1, "indnkeyatts", 1,
			"indisunique", true, "indnullsnotdistinct", false, "indisprimary", true,
			"indisexclusion", false, "indimmediate", true, "indisclustered", false, "indisvalid", true,
			"indcheckxmin", false, "indisready", true, "indislive", true, "indisreplident", false,
			"indkey", strconv.Itoa(ix.key), "indcollation", strconv.Itoa(int(a.collation)),
			"indclass", strconv.Itoa(int(btreeOpclass(a.typ))), "indoption", "0"))
	}
	return out
}

func constraintRows(m *model, r *rowMaker) [][]any {
	var out [][]any
	for _, ix := range m.indexes() {
		out = append(out, r.row(
			"oid", int(ConstraintOID(ix.table)), "conname", ix.name, "connamespace", int(ix.namespace),
			"contype", "p", "condeferrable", false, "condeferred", false, "convalidated", true,
			"conrelid", int(ix.table), "contypid", 0, "conindid", int(ix.oid), "conparentid", 0,
			"confrelid", 0, "confupdtype", " ", "confdeltype", " ", "confmatchtype", " ",
			"conislocal", true, "coninhcount", 0, "connoinherit", true,
			"conkey", "{"+strconv.Itoa(ix.key)+"}"))
	}
	return out
}

func amRows(_ *model, r *rowMaker) [][]any {
	return [][]any{
		r.row("oid", int(HeapAMOID), "amname", "heap", "amhandler", "heap_tableam_handler", "amtype", "t"),
		r.row("oid", int(BtreeAMOID), "amname", "btree", "amhandler", "bthandler", "amtype", "i"),
	}
}

func databaseRows(m *model, r *rowMaker) [][]any {
	return [][]any{r.row(
		"oid", int(DatabaseOID), "datname", m.in.Database, "datdba", int(OwnerOID), "encoding", UTF8Encoding,
		"datlocprovider", "c", "datistemplate", false, "datallowconn", true, "datconnlimit", -1,
		"datfrozenxid", "716", "datminmxid", "1", "dattablespace", int(DefaultTablespaceOID),
		"datcollate", "C.UTF-8", "datctype", "C.UTF-8")}
}

// role is a pg_authid entry.
type role struct {
	oid   uint32
	name  string
	super bool
	login bool
}

// roles returns the login roles and pg_database_owner, by OID.
func (m *model) roles() []role {
	out := []role{{oid: DatabaseOwnerOID, name: "pg_database_owner"}}
	seen := map[string]bool{}
	for _, u := range m.in.Users {
		if seen[u.Name] {
			continue
		}
		seen[u.Name] = true
		out = append(out, role{oid: m.in.UserOID(u.Name), name: u.Name, super: u.Superuser || u.Name == m.owner, login: true})
	}
	if len(m.in.Users) == 0 {
		out = append(out, role{oid: OwnerOID, name: m.owner, super: true, login: true})
	}
	slices.SortFunc(out, func(a, b role) int { return cmp.Compare(a.oid, b.oid) })
	return out
}

func rolesRows(m *model, r *rowMaker) [][]any {
	var out [][]any
	for _, ro := range m.roles() {
		out = append(out, r.row(
			"rolname", ro.name, "rolsuper", ro.super, "rolinherit", true, "rolcreaterole", ro.super,
			"rolcreatedb", ro.super, "rolcanlogin", ro.login, "rolreplication", ro.super,
			"rolconnlimit", -1, "rolpassword", "********", "rolbypassrls", ro.super, "oid", int(ro.oid)))
	}
	return out
}

func userRows(m *model, r *rowMaker) [][]any {
	var out [][]any
	for _, ro := range m.roles() {
		if !ro.login {
			continue
		}
		out = append(out, r.row(
			"usename", ro.name, "usesysid", int(ro.oid), "usecreatedb", ro.super, "usesuper", ro.super,
			"userepl", ro.super, "usebypassrls", ro.super, "passwd", "********"))
	}
	return out
}

func authidRows(m *model, r *rowMaker) [][]any {
	var out [][]any
	for _, ro := range m.roles() {
		out = append(out, r.row(
			"oid", int(ro.oid), "rolname", ro.name, "rolsuper", ro.super, "rolinherit", true,
			"rolcreaterole", ro.super, "rolcreatedb", ro.super, "rolcanlogin", ro.login,
			"rolreplication", ro.super, "rolbypassrls", ro.super, "rolconnlimit", -1))
	}
	return out
}

func collationRows(_ *model, r *rowMaker) [][]any {
	row := func(oid uint32, name, provider string, locale any) []any {
		return r.row("oid", int(oid), "collname", name, "collnamespace", int(PgCatalogOID),
			"collowner", int(OwnerOID), "collprovider", provider, "collisdeterministic", true,
			"collencoding", -1, "collcollate", locale, "collctype", locale)
	}
	return [][]any{
		row(DefaultCollationOID, "default", "d", nil),
		row(CCollationOID, "C", "c", "C"),
		row(951, "POSIX", "c", "POSIX"),
	}
}

func tablespaceRows(_ *model, r *rowMaker) [][]any {
	return [][]any{
		r.row("oid", int(DefaultTablespaceOID), "spcname", "pg_default", "spcowner", int(OwnerOID)),
		r.row("oid", 1664, "spcname", "pg_global", "spcowner", int(OwnerOID)),
	}
}

// nullIfEmpty returns nil for "", else s.
func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func settingsRows(m *model, r *rowMaker) [][]any {
	var out [][]any
	for _, d := range settingDefs {
		v, ok := d.fixed, d.fixed != ""
		if m.in.Settings != nil {
			if s, known := m.in.Settings(d.name); known {
				v, ok = s, true
			}
		}
		if !ok {
			continue
		}
		boot, source := d.boot, "default"
		if d.context == "internal" {
			boot = v
		} else if v != d.boot {
			source = "session"
		}
		out = append(out, r.row(
			"name", d.name, "setting", v, "unit", nullIfEmpty(d.unit), "category", d.category,
			"short_desc", d.short, "extra_desc", nullIfEmpty(d.extra), "context", d.context,
			"vartype", d.vartype, "source", source, "min_val", nullIfEmpty(d.min),
			"max_val", nullIfEmpty(d.max), "enumvals", nullIfEmpty(d.enumvals),
			"boot_val", boot, "reset_val", v, "pending_restart", false))
	}
	return out
}

func tablesRows(m *model, r *rowMaker) [][]any {
	var out [][]any
	for _, c := range m.sorted(func(c *relInfo) bool { return c.kind == 'r' }) {
		out = append(out, r.row(
			"schemaname", namespaceName(c.namespace), "tablename", c.name, "tableowner", m.owner,
			"hasindexes", c.index != 0, "hasrules", false, "hastriggers", false, "rowsecurity", false))
	}
	return out
}

// indexDef is pg_get_indexdef's answer for a primary-key index.
func (m *model) indexDef(ix *relInfo) string {
	t := m.byOID(ix.table)
	return "CREATE UNIQUE INDEX " + QuoteIdent(ix.name) + " ON " + QuoteIdent(namespaceName(t.namespace)) +
		"." + QuoteIdent(t.name) + " USING btree (" + QuoteIdent(ix.atts[0].name) + ")"
}

// IndexDef implements pg_get_indexdef(oid, column, pretty) for the
// primary-key indexes: with column 0 the whole definition, "CREATE UNIQUE
// INDEX t_pkey ON public.t USING btree (id)"; with column 1 the key column,
// "id"; with another column "". ok is false when oid is no index (NULL).
func (in *Input) IndexDef(oid uint32, column int) (def string, ok bool) {
	m := newModel(in)
	ix := m.byOID(oid)
	if ix == nil || ix.kind != 'i' {
		return "", false
	}
	switch column {
	case 0:
		return m.indexDef(ix), true
	case 1:
		return QuoteIdent(ix.atts[0].name), true
	}
	return "", true
}

// ConstraintDef implements pg_get_constraintdef(oid) for the primary-key
// constraints: "PRIMARY KEY (id)". ok is false when oid is no constraint.
func (in *Input) ConstraintDef(oid uint32) (def string, ok bool) {
	m := newModel(in)
	for _, ix := range m.indexes() {
		if ConstraintOID(ix.table) == oid {
			return "PRIMARY KEY (" + QuoteIdent(ix.atts[0].name) + ")", true
		}
	}
	return "", false
}

func indexesRows(m *model, r *rowMaker) [][]any {
	var out [][]any
	for _, ix := range m.indexes() {
		t := m.byOID(ix.table)
		out = append(out, r.row(
			"schemaname", namespaceName(ix.namespace), "tablename", t.name, "indexname", ix.name,
			"indexdef", m.indexDef(ix)))
	}
	return out
}
