package pgcatalog

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pqsql/pqsql/sqlengine"
)

// Owner returns the name of the role that owns the database, its schemas
// and tables (OID OwnerOID): the first superuser of Users, else the first
// user, else "postgres".
func (in *Input) Owner() string {
	for _, u := range in.Users {
		if u.Superuser {
			return u.Name
		}
	}
	if len(in.Users) > 0 {
		return in.Users[0].Name
	}
	return "postgres"
}

// UserOID returns the OID of the role name: OwnerOID for the owner,
// RoleOID(name) for the others.
func (in *Input) UserOID(name string) uint32 {
	if name == in.Owner() {
		return OwnerOID
	}
	return RoleOID(name)
}

// roleName returns the name of the role with OID oid, including the
// predefined pg_database_owner.
func (in *Input) roleName(oid uint32) (string, bool) {
	switch oid {
	case OwnerOID:
		return in.Owner(), true
	case DatabaseOwnerOID:
		return "pg_database_owner", true
	}
	for _, u := range in.Users {
		if in.UserOID(u.Name) == oid {
			return u.Name, true
		}
	}
	return "", false
}

// GetUserByID implements pg_get_userbyid: the role's name, or
// "unknown (OID=n)" as PostgreSQL answers for an OID that is no role.
func (in *Input) GetUserByID(oid uint32) string {
	if n, ok := in.roleName(oid); ok {
		return n
	}
	return fmt.Sprintf("unknown (OID=%d)", oid)
}

// TableIsVisible implements pg_table_is_visible: whether the relation with
// OID oid is found by its bare name through the search path (pg_catalog,
// then public). ok is false when no relation has that OID, for which
// PostgreSQL returns NULL.
func (in *Input) TableIsVisible(oid uint32) (visible, ok bool) {
	m := newModel(in)
	r := m.byOID(oid)
	if r == nil {
		return false, false
	}
	return m.visible(r), true
}

// visible reports whether r is the first relation its name finds through
// the search path.
func (m *model) visible(r *relInfo) bool {
	switch r.namespace {
	case PgCatalogOID:
		return true
	case PublicOID:
		return m.find(PgCatalogOID, r.name) == nil
	}
	return false
}

// find returns the relation name in schema nsp.
func (m *model) find(nsp uint32, name string) *relInfo {
	for _, r := range m.rels {
		if r.namespace == nsp && r.name == name {
			return r
		}
	}
	return nil
}

// RegclassIn implements regclass's input ('t'::regclass): the OID of a
// relation named as SQL names it, "t", "public.t", "\"My Table\"" or
// "pg_catalog.pg_class", unqualified names being looked up in pg_catalog
// then public; a number is taken as the OID itself. An unknown relation is
// error 42P01, an unknown schema 3F000.
func (in *Input) RegclassIn(name string) (uint32, error) {
	s := strings.TrimSpace(name)
	if n, err := strconv.ParseUint(s, 10, 32); err == nil {
		return uint32(n), nil
	}
	parts, err := splitQualifiedName(s)
	if err != nil {
		return 0, err
	}
	m := newModel(in)
	notFound := sqlengine.Errorf(sqlengine.CodeUndefinedTable, "relation \"%s\" does not exist", s)
	switch len(parts) {
	case 1:
		for _, nsp := range []uint32{PgCatalogOID, PublicOID} {
			if r := m.find(nsp, parts[0]); r != nil {
				return r.oid, nil
			}
		}
		return 0, notFound
	case 2:
		nsp, err := RegnamespaceIn(quoteParts(parts[:1]))
		if err != nil {
			return 0, err
		}
		if r := m.find(nsp, parts[1]); r != nil {
			return r.oid, nil
		}
		return 0, notFound
	case 3:
		if parts[0] != in.Database {
			return 0, sqlengine.Errorf(sqlengine.CodeFeatureNotSupported,
				"cross-database references are not implemented: %s", s)
		}
		return in.RegclassIn(quoteParts(parts[1:]))
	}
	return 0, sqlengine.Errorf(sqlengine.CodeSyntaxError, "improper relation name (too many dotted names): %s", s)
}

// quoteParts joins identifiers into a qualified name.
func quoteParts(parts []string) string {
	q := make([]string, len(parts))
	for i, p := range parts {
		q[i] = QuoteIdent(p)
	}
	return strings.Join(q, ".")
}

// RegclassOut implements regclass's output (oid::regclass::text): the
// relation's name, qualified with its schema when it is not visible, quoted
// as needed; the number for an unknown OID, "-" for 0.
func (in *Input) RegclassOut(oid uint32) string {
	if oid == 0 {
		return "-"
	}
	m := newModel(in)
	r := m.byOID(oid)
	if r == nil {
		return strconv.FormatUint(uint64(oid), 10)
	}
	if m.visible(r) {
		return QuoteIdent(r.name)
	}
	return QuoteIdent(namespaceName(r.namespace)) + "." + QuoteIdent(r.name)
}

// RegnamespaceIn implements regnamespace's input: the OID of a schema
// name; a number is taken as the OID. An unknown schema is error 3F000.
func RegnamespaceIn(name string) (uint32, error) {
	s := strings.TrimSpace(name)
	if n, err := strconv.ParseUint(s, 10, 32); err == nil {
		return uint32(n), nil
	}
	parts, err := splitQualifiedName(s)
	if err != nil {
		return 0, err
	}
	if len(parts) != 1 {
		return 0, sqlengine.Errorf(sqlengine.CodeSyntaxError, "invalid name syntax")
	}
	for _, n := range namespaces {
		if n.name == parts[0] {
			return n.oid, nil
		}
	}
	return 0, sqlengine.Errorf(sqlengine.CodeInvalidSchemaName, "schema \"%s\" does not exist", parts[0])
}

// RegnamespaceOut implements regnamespace's output: the schema's name,
// quoted as needed, or the number for an unknown OID, "-" for 0.
func RegnamespaceOut(oid uint32) string {
	if oid == 0 {
		return "-"
	}
	if n := namespaceName(oid); n != "" {
		return QuoteIdent(n)
	}
	return strconv.FormatUint(uint64(oid), 10)
}

// splitQualifiedName splits a possibly qualified, possibly quoted name into
// its identifiers, folding unquoted ones to lower case.
func splitQualifiedName(s string) ([]string, error) {
	invalid := sqlengine.Errorf(sqlengine.CodeInvalidTextRepresentation, "invalid name syntax")
	var parts []string
	for {
		if s == "" {
			return nil, invalid
		}
		var part string
		if s[0] == '"' {
			var b strings.Builder
			i := 1
			for {
				j := strings.IndexByte(s[i:], '"')
				if j < 0 {
					return nil, sqlengine.Errorf(sqlengine.CodeInvalidTextRepresentation, "invalid name syntax")
				}
				b.WriteString(s[i : i+j])
				i += j + 1
				if i < len(s) && s[i] == '"' {
					b.WriteByte('"')
					i++
					continue
				}
				break
			}
			part, s = b.String(), s[i:]
			if part == "" {
				return nil, invalid
			}
		} else {
			j := strings.IndexByte(s, '.')
			if j < 0 {
				j = len(s)
			}
			part, s = strings.TrimSpace(s[:j]), s[j:]
			if part == "" || strings.ContainsAny(part, " \"") {
				return nil, invalid
			}
			part = downcase(part)
		}
		parts = append(parts, part)
		s = strings.TrimSpace(s)
		if s == "" {
			return parts, nil
		}
		if s[0] != '.' {
			return nil, invalid
		}
		s = strings.TrimSpace(s[1:])
	}
}

// downcase folds ASCII letters to lower case, as PostgreSQL does with
// unquoted identifiers.
func downcase(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, s)
}

// QuoteIdent implements quote_ident: s in double quotes (doubling inner
// ones) unless it is a lower-case identifier that is not a reserved key word.
func QuoteIdent(s string) string {
	safe := s != "" && (s[0] >= 'a' && s[0] <= 'z' || s[0] == '_')
	for i := 0; safe && i < len(s); i++ {
		c := s[i]
		safe = c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_'
	}
	if safe && !isReservedKeyword(s) {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// isReservedKeyword reports whether s is a PostgreSQL 15 key word that
// quote_ident quotes (every category but unreserved).
func isReservedKeyword(s string) bool {
	switch s {
	case "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "authorization",
		"between", "bigint", "binary", "bit", "boolean", "both", "case", "cast", "char", "character",
		"check", "coalesce", "collate", "collation", "column", "concurrently", "constraint", "create",
		"cross", "current_catalog", "current_date", "current_role", "current_schema", "current_time",
		"current_timestamp", "current_user", "dec", "decimal", "default", "deferrable", "desc", "distinct",
		"do", "else", "end", "except", "exists", "extract", "false", "fetch", "float", "for", "foreign",
		"freeze", "from", "full", "grant", "greatest", "group", "grouping", "having", "ilike", "in",
		"initially", "inner", "inout", "int", "integer", "intersect", "interval", "into", "is", "isnull",
		"join", "lateral", "leading", "least", "left", "like", "limit", "localtime", "localtimestamp",
		"national", "natural", "nchar", "none", "normalize", "not", "notnull", "null", "nullif", "numeric",
		"offset", "on", "only", "or", "order", "out", "outer", "overlaps", "overlay", "placing",
		"position", "precision", "primary", "real", "references", "returning", "right", "row", "select",
		"session_user", "setof", "similar", "smallint", "some", "substring", "symmetric", "table",
		"tablesample", "then", "time", "timestamp", "to", "trailing", "treat", "trim", "true", "union",
		"unique", "user", "using", "values", "varchar", "variadic", "verbose", "when", "where", "window",
		"with", "xmlattributes", "xmlconcat", "xmlelement", "xmlexists", "xmlforest", "xmlnamespaces",
		"xmlparse", "xmlpi", "xmlroot", "xmlserialize", "xmltable":
		return true
	}
	return false
}

// encodingNames are PostgreSQL's encoding names by encoding number.
var encodingNames = [...]string{
	"SQL_ASCII", "EUC_JP", "EUC_CN", "EUC_KR", "EUC_TW", "EUC_JIS_2004", "UTF8", "MULE_INTERNAL",
	"LATIN1", "LATIN2", "LATIN3", "LATIN4", "LATIN5", "LATIN6", "LATIN7", "LATIN8", "LATIN9", "LATIN10",
	"WIN1256", "WIN1258", "WIN866", "WIN874", "KOI8R", "WIN1251", "WIN1252", "ISO_8859_5", "ISO_8859_6",
	"ISO_8859_7", "ISO_8859_8", "WIN1250", "WIN1253", "WIN1254", "WIN1255", "WIN1257", "KOI8U", "SJIS",
	"BIG5", "GBK", "UHC", "GB18030", "JOHAB", "SHIFT_JIS_2004",
}

// UTF8Encoding is the encoding number of UTF8, pg_database.encoding.
const UTF8Encoding = 6

// EncodingToChar implements pg_encoding_to_char: the name of an encoding
// number, "" for an invalid one.
func EncodingToChar(enc int32) string {
	if enc < 0 || int(enc) >= len(encodingNames) {
		return ""
	}
	return encodingNames[enc]
}

// SizePretty implements pg_size_pretty(bigint): bytes, kB, MB, GB, TB or PB
// with PostgreSQL 15's limits and half-up rounding ("10 kB", "1024 TB").
func SizePretty(size int64) string {
	units := [...]struct {
		name  string
		limit int64
		round bool
		bits  int
	}{
		{"bytes", 10 * 1024, false, 0},
		{"kB", 20*1024 - 1, true, 10},
		{"MB", 20*1024 - 1, true, 20},
		{"GB", 20*1024 - 1, true, 30},
		{"TB", 20*1024 - 1, true, 40},
		{"PB", 20*1024 - 1, true, 50},
	}
	abs := func(v int64) int64 {
		if v < 0 {
			return -v
		}
		return v
	}
	for i, u := range units {
		if i == len(units)-1 || abs(size) < u.limit {
			if u.round {
				if size < 0 {
					size = (size - 1) / 2
				} else {
					size = (size + 1) / 2
				}
			}
			return strconv.FormatInt(size, 10) + " " + u.name
		}
		next := units[i+1]
		bits := next.bits - u.bits
		if next.round {
			bits--
		}
		if u.round {
			bits++
		}
		size /= int64(1) << bits
	}
	panic("unreachable")
}
