package pgcatalog

import (
	"strconv"
	"strings"
	"sync"

	"github.com/pqsql/pqsql/sqlengine"
)

// typeDef is one pg_type row (the columns that vary between built-in types).
type typeDef struct {
	oid                          uint32
	name                         string
	len                          int16
	byval                        bool
	typtype, category            byte
	preferred                    bool
	delim                        byte
	elem, array                  uint32
	input, output, receive, send string
	modin, modout, analyze       string
	align, storage               byte
	collation                    uint32
	subscript                    string
	display                      string // format_type(oid, NULL)
}

// isArray reports whether the type is an array type (what information_schema
// calls ARRAY): it has an element type and variable length.
func (t *typeDef) isArray() bool { return t.elem != 0 && t.len == -1 }

// trueArray reports whether the type is a true array type, which format_type
// renders as its element type followed by [] (int2vector and oidvector are
// not: their storage is plain).
func (t *typeDef) trueArray() bool { return t.isArray() && t.storage != 'p' }

// typeIndex maps OIDs to builtinTypes; built once, never modified.
var typeIndex = sync.OnceValue(func() map[uint32]*typeDef {
	m := make(map[uint32]*typeDef, len(builtinTypes))
	for i := range builtinTypes {
		m[builtinTypes[i].oid] = &builtinTypes[i]
	}
	return m
})

// lookupType returns the built-in type with OID oid.
func lookupType(oid uint32) (*typeDef, bool) {
	t, ok := typeIndex()[oid]
	return t, ok
}

// typeLen returns pg_type.typlen of oid, -1 when unknown.
func typeLen(oid uint32) int16 {
	if t, ok := lookupType(oid); ok {
		return t.len
	}
	return -1
}

// TypeIsVisible implements pg_type_is_visible: every type pqsql knows lives
// in pg_catalog, which is always searched. ok is false for an unknown OID,
// for which PostgreSQL returns NULL.
func TypeIsVisible(oid uint32) (visible, ok bool) {
	_, ok = lookupType(oid)
	return ok, ok
}

// FormatType implements format_type(oid, typmod) with a non-NULL typmod:
// "integer", "numeric(12,2)", "character varying(20)", "timestamp(3) with
// time zone", "text[]". A typmod of -1 means none; it differs from a NULL
// typmod (FormatTypeName) only for bpchar ("bpchar" rather than
// "character"). OID 0 gives "-" and an unknown OID "???", as in PostgreSQL.
// An invalid interval typmod, an error in PostgreSQL, gives "interval".
func FormatType(oid uint32, typmod int32) string {
	return formatType(oid, typmod, true)
}

// FormatTypeName implements format_type(oid, NULL): the type's SQL name
// without a modifier, as in "character" or "timestamp without time zone".
// It is also regtype's output for known types.
func FormatTypeName(oid uint32) string {
	return formatType(oid, -1, false)
}

func formatType(oid uint32, typmod int32, typmodGiven bool) string {
	if oid == 0 {
		return "-"
	}
	t, ok := lookupType(oid)
	if !ok {
		return "???"
	}
	suffix := ""
	if t.trueArray() {
		if et, ok := lookupType(t.elem); ok {
			t, suffix = et, "[]"
		}
	}
	withTypmod := typmodGiven && typmod >= 0
	var s string
	switch t.oid {
	case sqlengine.BPCharOID:
		switch {
		case withTypmod:
			s = "character" + charTypmod(typmod)
		case typmodGiven:
			// bpchar without a typmod is not CHARACTER, which means CHARACTER(1).
			s = "bpchar"
		default:
			s = "character"
		}
	case sqlengine.VarcharOID:
		s = "character varying"
		if withTypmod {
			s += charTypmod(typmod)
		}
	case sqlengine.NumericOID:
		s = "numeric"
		if withTypmod && typmod >= 4 {
			tmp := typmod - 4
			s += "(" + strconv.Itoa(int((tmp>>16)&0xffff)) + "," + strconv.Itoa(int(((tmp&0x7ff)^1024)-1024)) + ")"
		}
	case sqlengine.TimeOID, sqlengine.TimestampOID, timetzOID, sqlengine.TimestamptzOID:
		base, zone := "time", " without time zone"
		if t.oid == sqlengine.TimestampOID || t.oid == sqlengine.TimestamptzOID {
			base = "timestamp"
		}
		if t.oid == timetzOID || t.oid == sqlengine.TimestamptzOID {
			zone = " with time zone"
		}
		s = base
		if withTypmod {
			s += "(" + strconv.Itoa(int(typmod)) + ")"
		}
		s += zone
	case sqlengine.IntervalOID:
		s = "interval"
		if withTypmod {
			s += intervalTypmod(typmod)
		}
	default:
		s = t.display
		if withTypmod && t.modout == "-" && isScalarDisplay(t) {
			// Types without a typmod output function show the number.
			s += "(" + strconv.Itoa(int(typmod)) + ")"
		}
	}
	return s + suffix
}

// isScalarDisplay reports whether format_type prints t through its generic
// path (the SQL-standard names such as integer ignore a typmod).
func isScalarDisplay(t *typeDef) bool {
	switch t.oid {
	case sqlengine.BoolOID, sqlengine.Float4OID, sqlengine.Float8OID,
		sqlengine.Int2OID, sqlengine.Int4OID, sqlengine.Int8OID:
		return false
	}
	return true
}

const timetzOID uint32 = 1266

// charTypmod is bpchar's and varchar's typmod output.
func charTypmod(typmod int32) string {
	if typmod > 4 {
		return "(" + strconv.Itoa(int(typmod-4)) + ")"
	}
	return ""
}

// Interval typmod fields, as in PostgreSQL's datetime.h.
const (
	intervalMonth  = 1 << 1
	intervalYear   = 1 << 2
	intervalDay    = 1 << 3
	intervalHour   = 1 << 10
	intervalMinute = 1 << 11
	intervalSecond = 1 << 12
	intervalFull   = 0x7fff
)

// intervalTypmod is interval's typmod output (intervaltypmodout).
func intervalTypmod(typmod int32) string {
	fields := (typmod >> 16) & 0x7fff
	precision := typmod & 0xffff
	var f string
	switch fields {
	case intervalYear:
		f = " year"
	case intervalMonth:
		f = " month"
	case intervalDay:
		f = " day"
	case intervalHour:
		f = " hour"
	case intervalMinute:
		f = " minute"
	case intervalSecond:
		f = " second"
	case intervalYear | intervalMonth:
		f = " year to month"
	case intervalDay | intervalHour:
		f = " day to hour"
	case intervalDay | intervalHour | intervalMinute:
		f = " day to minute"
	case intervalDay | intervalHour | intervalMinute | intervalSecond:
		f = " day to second"
	case intervalHour | intervalMinute:
		f = " hour to minute"
	case intervalHour | intervalMinute | intervalSecond:
		f = " hour to second"
	case intervalMinute | intervalSecond:
		f = " minute to second"
	case intervalFull:
	default:
		return ""
	}
	if precision != 0xffff {
		f += "(" + strconv.Itoa(int(precision)) + ")"
	}
	return f
}

// typeAliases are the type names regtype's input accepts besides pg_type's
// names and format_type's output.
var typeAliases = map[string]uint32{
	"int": sqlengine.Int4OID, "integer": sqlengine.Int4OID, "smallint": sqlengine.Int2OID,
	"bigint": sqlengine.Int8OID, "real": sqlengine.Float4OID, "float": sqlengine.Float8OID,
	"double precision": sqlengine.Float8OID, "boolean": sqlengine.BoolOID,
	"decimal": sqlengine.NumericOID, "dec": sqlengine.NumericOID,
	"char": sqlengine.BPCharOID, "character": sqlengine.BPCharOID,
	"varchar": sqlengine.VarcharOID, "character varying": sqlengine.VarcharOID,
	"char varying": sqlengine.VarcharOID,
	"time":         sqlengine.TimeOID, "time without time zone": sqlengine.TimeOID,
	"time with time zone": timetzOID,
	"timestamp":           sqlengine.TimestampOID, "timestamp without time zone": sqlengine.TimestampOID,
	"timestamp with time zone": sqlengine.TimestamptzOID,
}

// RegtypeIn implements regtype's input: the OID of a type name as SQL
// writes it ("integer", "int4", "character varying(20)", "text[]",
// "pg_catalog.numeric", "\"char\"", or a number). A type modifier is
// ignored, as in PostgreSQL. An unknown name is error 42704.
func RegtypeIn(name string) (uint32, error) {
	s := strings.TrimSpace(name)
	if n, err := strconv.ParseUint(s, 10, 32); err == nil {
		return uint32(n), nil
	}
	dims := 0
	for strings.HasSuffix(s, "[]") {
		s = strings.TrimSpace(strings.TrimSuffix(s, "[]"))
		dims++
	}
	s = strings.TrimPrefix(s, "pg_catalog.")
	var oid uint32
	if strings.HasPrefix(s, `"`) && strings.HasSuffix(s, `"`) && len(s) >= 2 {
		// A quoted name is a pg_type name, case and all.
		oid = typeByName(strings.ReplaceAll(s[1:len(s)-1], `""`, `"`))
	} else {
		// Drop a modifier such as (12,2) and normalize spacing and case.
		if i := strings.IndexByte(s, '('); i >= 0 {
			if j := strings.IndexByte(s[i:], ')'); j >= 0 {
				s = s[:i] + " " + s[i+j+1:]
			}
		}
		s = strings.Join(strings.Fields(strings.ToLower(s)), " ")
		if a, ok := typeAliases[s]; ok {
			oid = a
		} else {
			oid = typeByName(s)
		}
	}
	for ; oid != 0 && dims > 0; dims-- {
		t, _ := lookupType(oid)
		oid = t.array
	}
	if oid == 0 {
		return 0, sqlengine.Errorf(sqlengine.CodeUndefinedObject, "type \"%s\" does not exist", strings.TrimSpace(name))
	}
	return oid, nil
}

// typeByName returns the OID of the built-in type with pg_type name n, 0 if none.
func typeByName(n string) uint32 {
	for i := range builtinTypes {
		if builtinTypes[i].name == n {
			return builtinTypes[i].oid
		}
	}
	return 0
}

// RegtypeOut implements regtype's output: format_type(oid, NULL) for a known
// type, the number otherwise ("0" shows as "-").
func RegtypeOut(oid uint32) string {
	if _, ok := lookupType(oid); ok || oid == 0 {
		return FormatTypeName(oid)
	}
	return strconv.FormatUint(uint64(oid), 10)
}
