package pgcatalog

import (
	"strings"
	"testing"

	"github.com/pqsql/pqsql/sqlengine"
)

// postgresColumns are the column lists of some catalog relations as a
// PostgreSQL 15.18 server describes them (psql's \d: name, type, not null);
// information_schema's domains appear as their base types.
var postgresColumns = map[string]string{
	"pg_catalog.pg_class":        `oid oid not null, relname name not null, relnamespace oid not null, reltype oid not null, reloftype oid not null, relowner oid not null, relam oid not null, relfilenode oid not null, reltablespace oid not null, relpages integer not null, reltuples real not null, relallvisible integer not null, reltoastrelid oid not null, relhasindex boolean not null, relisshared boolean not null, relpersistence "char" not null, relkind "char" not null, relnatts smallint not null, relchecks smallint not null, relhasrules boolean not null, relhastriggers boolean not null, relhassubclass boolean not null, relrowsecurity boolean not null, relforcerowsecurity boolean not null, relispopulated boolean not null, relreplident "char" not null, relispartition boolean not null, relrewrite oid not null, relfrozenxid xid not null, relminmxid xid not null, relacl aclitem[], reloptions text[], relpartbound pg_node_tree`,
	"pg_catalog.pg_attribute":    `attrelid oid not null, attname name not null, atttypid oid not null, attstattarget integer not null, attlen smallint not null, attnum smallint not null, attndims integer not null, attcacheoff integer not null, atttypmod integer not null, attbyval boolean not null, attalign "char" not null, attstorage "char" not null, attcompression "char" not null, attnotnull boolean not null, atthasdef boolean not null, atthasmissing boolean not null, attidentity "char" not null, attgenerated "char" not null, attisdropped boolean not null, attislocal boolean not null, attinhcount integer not null, attcollation oid not null, attacl aclitem[], attoptions text[], attfdwoptions text[], attmissingval anyarray`,
	"pg_catalog.pg_index":        `indexrelid oid not null, indrelid oid not null, indnatts smallint not null, indnkeyatts smallint not null, indisunique boolean not null, indnullsnotdistinct boolean not null, indisprimary boolean not null, indisexclusion boolean not null, indimmediate boolean not null, indisclustered boolean not null, indisvalid boolean not null, indcheckxmin boolean not null, indisready boolean not null, indislive boolean not null, indisreplident boolean not null, indkey int2vector not null, indcollation oidvector not null, indclass oidvector not null, indoption int2vector not null, indexprs pg_node_tree, indpred pg_node_tree`,
	"pg_catalog.pg_namespace":    `oid oid not null, nspname name not null, nspowner oid not null, nspacl aclitem[]`,
	"pg_catalog.pg_type":         `oid oid not null, typname name not null, typnamespace oid not null, typowner oid not null, typlen smallint not null, typbyval boolean not null, typtype "char" not null, typcategory "char" not null, typispreferred boolean not null, typisdefined boolean not null, typdelim "char" not null, typrelid oid not null, typsubscript regproc not null, typelem oid not null, typarray oid not null, typinput regproc not null, typoutput regproc not null, typreceive regproc not null, typsend regproc not null, typmodin regproc not null, typmodout regproc not null, typanalyze regproc not null, typalign "char" not null, typstorage "char" not null, typnotnull boolean not null, typbasetype oid not null, typtypmod integer not null, typndims integer not null, typcollation oid not null, typdefaultbin pg_node_tree, typdefault text, typacl aclitem[]`,
	"pg_catalog.pg_constraint":   `oid oid not null, conname name not null, connamespace oid not null, contype "char" not null, condeferrable boolean not null, condeferred boolean not null, convalidated boolean not null, conrelid oid not null, contypid oid not null, conindid oid not null, conparentid oid not null, confrelid oid not null, confupdtype "char" not null, confdeltype "char" not null, confmatchtype "char" not null, conislocal boolean not null, coninhcount integer not null, connoinherit boolean not null, conkey smallint[], confkey smallint[], conpfeqop oid[], conppeqop oid[], conffeqop oid[], confdelsetcols smallint[], conexclop oid[], conbin pg_node_tree`,
	"pg_catalog.pg_roles":        `rolname name, rolsuper boolean, rolinherit boolean, rolcreaterole boolean, rolcreatedb boolean, rolcanlogin boolean, rolreplication boolean, rolconnlimit integer, rolpassword text, rolvaliduntil timestamp with time zone, rolbypassrls boolean, rolconfig text[], oid oid`,
	"pg_catalog.pg_settings":     `name text, setting text, unit text, category text, short_desc text, extra_desc text, context text, vartype text, source text, min_val text, max_val text, enumvals text[], boot_val text, reset_val text, sourcefile text, sourceline integer, pending_restart boolean`,
	"pg_catalog.pg_database":     `oid oid not null, datname name not null, datdba oid not null, encoding integer not null, datlocprovider "char" not null, datistemplate boolean not null, datallowconn boolean not null, datconnlimit integer not null, datfrozenxid xid not null, datminmxid xid not null, dattablespace oid not null, datcollate text not null, datctype text not null, daticulocale text, datcollversion text, datacl aclitem[]`,
	"pg_catalog.pg_proc":         `oid oid not null, proname name not null, pronamespace oid not null, proowner oid not null, prolang oid not null, procost real not null, prorows real not null, provariadic oid not null, prosupport regproc not null, prokind "char" not null, prosecdef boolean not null, proleakproof boolean not null, proisstrict boolean not null, proretset boolean not null, provolatile "char" not null, proparallel "char" not null, pronargs smallint not null, pronargdefaults smallint not null, prorettype oid not null, proargtypes oidvector not null, proallargtypes oid[], proargmodes "char"[], proargnames text[], proargdefaults pg_node_tree, protrftypes oid[], prosrc text not null, probin text, prosqlbody pg_node_tree, proconfig text[], proacl aclitem[]`,
	"information_schema.columns": `table_catalog name, table_schema name, table_name name, column_name name, ordinal_position integer, column_default character varying, is_nullable character varying(3), data_type character varying, character_maximum_length integer, character_octet_length integer, numeric_precision integer, numeric_precision_radix integer, numeric_scale integer, datetime_precision integer, interval_type character varying, interval_precision integer, character_set_catalog name, character_set_schema name, character_set_name name, collation_catalog name, collation_schema name, collation_name name, domain_catalog name, domain_schema name, domain_name name, udt_catalog name, udt_schema name, udt_name name, scope_catalog name, scope_schema name, scope_name name, maximum_cardinality integer, dtd_identifier name, is_self_referencing character varying(3), is_identity character varying(3), identity_generation character varying, identity_start character varying, identity_increment character varying, identity_maximum character varying, identity_minimum character varying, identity_cycle character varying(3), is_generated character varying, generation_expression character varying, is_updatable character varying(3)`,
	"information_schema.tables":  `table_catalog name, table_schema name, table_name name, table_type character varying, self_referencing_column_name name, reference_generation character varying, user_defined_type_catalog name, user_defined_type_schema name, user_defined_type_name name, is_insertable_into character varying(3), is_typed character varying(3), commit_action character varying`,
}

func TestColumnsMatchPostgres(t *testing.T) {
	for rel, want := range postgresColumns {
		schema, name, _ := strings.Cut(rel, ".")
		tab, ok := Lookup(schema, name)
		if !ok {
			t.Errorf("no relation %s", rel)
			continue
		}
		var got []string
		for _, c := range tab.Columns {
			s := c.Name + " " + FormatType(c.TypeOID, c.TypeModifier)
			if c.NotNull {
				s += " not null"
			}
			got = append(got, s)
		}
		if g := strings.Join(got, ", "); g != want {
			t.Errorf("%s columns:\n got %s\nwant %s", rel, g, want)
		}
	}
}

func TestRelationOIDsAndKinds(t *testing.T) {
	want := map[string]struct {
		oid  uint32
		kind byte
	}{
		"pg_catalog.pg_class": {1259, 'r'}, "pg_catalog.pg_attribute": {1249, 'r'},
		"pg_catalog.pg_type": {1247, 'r'}, "pg_catalog.pg_namespace": {2615, 'r'},
		"pg_catalog.pg_index": {2610, 'r'}, "pg_catalog.pg_roles": {12000, 'v'},
		"pg_catalog.pg_settings": {12104, 'v'}, "pg_catalog.pg_tables": {12033, 'v'},
		"information_schema.columns": {13295, 'v'}, "information_schema.tables": {13425, 'v'},
	}
	seen := map[string]bool{}
	for _, tab := range Tables() {
		key := tab.Schema + "." + tab.Name
		if seen[key] {
			t.Errorf("%s listed twice", key)
		}
		seen[key] = true
		if w, ok := want[key]; ok && (tab.OID != w.oid || tab.Kind != w.kind) {
			t.Errorf("%s: OID %d kind %c, want %d %c", key, tab.OID, tab.Kind, w.oid, w.kind)
		}
	}
	for _, rel := range []string{"pg_catalog.pg_description", "pg_catalog.pg_attrdef", "pg_catalog.pg_inherits",
		"pg_catalog.pg_policy", "pg_catalog.pg_statistic_ext", "pg_catalog.pg_publication",
		"pg_catalog.pg_publication_rel", "pg_catalog.pg_publication_namespace", "pg_catalog.pg_proc",
		"pg_catalog.pg_views", "pg_catalog.pg_matviews", "pg_catalog.pg_enum", "pg_catalog.pg_sequence",
		"pg_catalog.pg_trigger", "pg_catalog.pg_auth_members", "information_schema.views",
		"information_schema.routines", "pg_catalog.pg_am", "pg_catalog.pg_collation", "pg_catalog.pg_database"} {
		if !seen[rel] {
			t.Errorf("no relation %s", rel)
		}
	}
	// ResultColumn describes a column as PostgreSQL's RowDescription does.
	tab, _ := Lookup("pg_catalog", "pg_class")
	if got, want := tab.ResultColumn(1), (sqlengine.Column{Name: "relname", TypeOID: sqlengine.NameOID,
		TypeSize: 64, TypeModifier: -1, TableOID: 1259, AttrNum: 2}); got != want {
		t.Errorf("ResultColumn(1) = %+v, want %+v", got, want)
	}
}
