package pgcatalog

import (
	"fmt"
	"strconv"

	"github.com/pqsql/pqsql/sqlengine"
)

// information_schema's views, computed as PostgreSQL 15's definitions
// compute them for a superuser, except that pqsql's tables report
// is_insertable_into and is_updatable NO: they take no INSERT or UPDATE.

func schemataRows(m *model, r *rowMaker) [][]any {
	var out [][]any
	for _, n := range []uint32{InformationSchemaOID, PgCatalogOID, PgToastOID, PublicOID} {
		owner := m.owner
		if n == PublicOID {
			owner = "pg_database_owner"
		}
		out = append(out, r.row("catalog_name", m.in.Database, "schema_name", namespaceName(n), "schema_owner", owner))
	}
	return out
}

// tableLike reports whether c is a table or view (not an index).
func tableLike(c *relInfo) bool { return c.kind == 'r' || c.kind == 'v' }

func isTablesRows(m *model, r *rowMaker) [][]any {
	var out [][]any
	for _, c := range m.sorted(tableLike) {
		typ := "BASE TABLE"
		if c.kind == 'v' {
			typ = "VIEW"
		}
		out = append(out, r.row(
			"table_catalog", m.in.Database, "table_schema", namespaceName(c.namespace), "table_name", c.name,
			"table_type", typ, "is_insertable_into", "NO", "is_typed", "NO"))
	}
	return out
}

func yesNo(b bool) string {
	if b {
		return "YES"
	}
	return "NO"
}

func isColumnsRows(m *model, r *rowMaker) [][]any {
	var out [][]any
	for _, c := range m.sorted(tableLike) {
		for i, a := range c.atts {
			row := r.row(
				"table_catalog", m.in.Database, "table_schema", namespaceName(c.namespace), "table_name", c.name,
				"column_name", a.name, "ordinal_position", i+1, "is_nullable", yesNo(!a.notNull),
				"udt_catalog", m.in.Database, "udt_schema", SchemaPgCatalog,
				"dtd_identifier", strconv.Itoa(i+1), "is_self_referencing", "NO", "is_identity", "NO",
				"identity_cycle", "NO", "is_generated", "NEVER", "is_updatable", "NO")
			set := func(name string, v any) { row[r.idx[name]] = v }
			if t, ok := lookupType(a.typ); ok {
				set("udt_name", t.name)
				if t.isArray() {
					set("data_type", "ARRAY")
				} else {
					set("data_type", FormatTypeName(a.typ))
				}
			} else {
				set("data_type", "USER-DEFINED")
			}
			info := columnTypeInfo(a.typ, a.typmod)
			set("character_maximum_length", info.charMax)
			set("character_octet_length", info.octetLen)
			set("numeric_precision", info.precision)
			set("numeric_precision_radix", info.radix)
			set("numeric_scale", info.scale)
			set("datetime_precision", info.datetimePrecision)
			if a.collation != 0 && a.collation != DefaultCollationOID {
				set("collation_catalog", m.in.Database)
				set("collation_schema", SchemaPgCatalog)
				set("collation_name", collationName(a.collation))
			}
			out = append(out, row)
		}
	}
	return out
}

// collationName returns the name of a built-in collation.
func collationName(oid uint32) string {
	switch oid {
	case DefaultCollationOID:
		return "default"
	case CCollationOID:
		return "C"
	case 951:
		return "POSIX"
	}
	return strconv.FormatUint(uint64(oid), 10)
}

// typeInfo holds information_schema's size columns of a column type; nil
// fields are NULL.
type typeInfo struct {
	charMax, octetLen, precision, radix, scale, datetimePrecision any
}

// columnTypeInfo computes information_schema's _pg_char_max_length,
// _pg_char_octet_length, _pg_numeric_precision, _pg_numeric_precision_radix,
// _pg_numeric_scale and _pg_datetime_precision for a type and typmod (with a
// UTF8 database, whose characters take up to 4 bytes).
func columnTypeInfo(typ uint32, typmod int32) typeInfo {
	var ti typeInfo
	switch typ {
	case sqlengine.BPCharOID, sqlengine.VarcharOID:
		if typmod != -1 {
			ti.charMax = typmod - 4
			ti.octetLen = (typmod - 4) * 4
		} else {
			ti.octetLen = int32(1 << 30)
		}
	case sqlengine.TextOID:
		ti.octetLen = int32(1 << 30)
	case sqlengine.Int2OID:
		ti.precision, ti.radix, ti.scale = int32(16), int32(2), int32(0)
	case sqlengine.Int4OID:
		ti.precision, ti.radix, ti.scale = int32(32), int32(2), int32(0)
	case sqlengine.Int8OID:
		ti.precision, ti.radix, ti.scale = int32(64), int32(2), int32(0)
	case sqlengine.Float4OID:
		ti.precision, ti.radix = int32(24), int32(2)
	case sqlengine.Float8OID:
		ti.precision, ti.radix = int32(53), int32(2)
	case sqlengine.NumericOID:
		ti.radix = int32(10)
		if typmod != -1 {
			ti.precision = ((typmod - 4) >> 16) & 0xffff
			ti.scale = (typmod - 4) & 0xffff
		}
	case sqlengine.DateOID:
		ti.datetimePrecision = int32(0)
	case sqlengine.TimeOID, timetzOID, sqlengine.TimestampOID, sqlengine.TimestamptzOID:
		if typmod < 0 {
			ti.datetimePrecision = int32(6)
		} else {
			ti.datetimePrecision = typmod
		}
	case sqlengine.IntervalOID:
		if typmod < 0 || typmod&0xffff == 0xffff {
			ti.datetimePrecision = int32(6)
		} else {
			ti.datetimePrecision = typmod & 0xffff
		}
	}
	return ti
}

// userTables returns the user tables, by name.
func (m *model) userTables() []*relInfo {
	return m.sorted(func(c *relInfo) bool { return c.user && c.kind == 'r' })
}

func isTableConstraintsRows(m *model, r *rowMaker) [][]any {
	var out [][]any
	row := func(c *relInfo, name, typ string) []any {
		return r.row("constraint_catalog", m.in.Database, "constraint_schema", namespaceName(c.namespace),
			"constraint_name", name, "table_catalog", m.in.Database, "table_schema", namespaceName(c.namespace),
			"table_name", c.name, "constraint_type", typ, "is_deferrable", "NO", "initially_deferred", "NO",
			"enforced", "YES")
	}
	tabs := m.userTables()
	for _, c := range tabs {
		if c.index != 0 {
			out = append(out, row(c, m.byOID(c.index).name, "PRIMARY KEY"))
		}
	}
	// PostgreSQL shows each NOT NULL column as a CHECK constraint.
	for _, c := range tabs {
		for i, a := range c.atts {
			if a.notNull {
				out = append(out, row(c, fmt.Sprintf("%d_%d_%d_not_null", c.namespace, c.oid, i+1), "CHECK"))
			}
		}
	}
	return out
}

func isKeyColumnUsageRows(m *model, r *rowMaker) [][]any {
	var out [][]any
	for _, c := range m.userTables() {
		if c.index == 0 {
			continue
		}
		nsp := namespaceName(c.namespace)
		out = append(out, r.row(
			"constraint_catalog", m.in.Database, "constraint_schema", nsp, "constraint_name", m.byOID(c.index).name,
			"table_catalog", m.in.Database, "table_schema", nsp, "table_name", c.name,
			"column_name", c.atts[c.key-1].name, "ordinal_position", 1))
	}
	return out
}
