package pgcatalog

import (
	"errors"
	"math"
	"testing"

	"github.com/pqsql/pqsql/sqlengine"
)

// The expected values below are a PostgreSQL 15.18 server's answers.

func TestFormatType(t *testing.T) {
	tests := []struct {
		oid    uint32
		typmod int32
		want   string
	}{
		{16, -1, "boolean"}, {17, -1, "bytea"}, {18, -1, `"char"`}, {19, -1, "name"},
		{20, -1, "bigint"}, {21, -1, "smallint"}, {22, -1, "int2vector"}, {23, -1, "integer"},
		{23, 5, "integer"}, {25, -1, "text"}, {25, 5, "text(5)"}, {26, -1, "oid"},
		{30, 1, "oidvector(1)"}, {114, -1, "json"}, {700, -1, "real"}, {701, -1, "double precision"},
		{705, -1, "unknown"}, {1002, -1, `"char"[]`}, {1009, -1, "text[]"},
		{1014, -1, "bpchar[]"}, {1015, 24, "character varying(20)[]"},
		{1042, -1, "bpchar"}, {1042, 5, "character(1)"}, {1043, -1, "character varying"},
		{1043, 4, "character varying"}, {1043, 5, "character varying(1)"}, {1043, 24, "character varying(20)"},
		{1082, -1, "date"}, {1083, 2, "time(2) without time zone"}, {1114, -1, "timestamp without time zone"},
		{1114, 0, "timestamp(0) without time zone"}, {1114, 3, "timestamp(3) without time zone"},
		{1115, 3, "timestamp(3) without time zone[]"}, {1184, 6, "timestamp(6) with time zone"},
		{1185, -1, "timestamp with time zone[]"}, {1186, -1, "interval"}, {1186, -65536, "interval"},
		{1186, 2147418115, "interval(3)"}, {1186, 327679, "interval year"}, {1186, 67174399, "interval hour"},
		{1187, -1, "interval[]"}, {1231, 786434, "numeric(11,-2)[]"}, {1266, 2, "time(2) with time zone"},
		{1700, -1, "numeric"}, {1700, 2, "numeric"}, {1700, 4, "numeric(0,0)"}, {1700, 65540, "numeric(1,0)"},
		{1700, 327684, "numeric(5,0)"}, {1700, 786438, "numeric(12,2)"}, {1700, 786434, "numeric(11,-2)"},
		{1700, 983043, "numeric(14,-1)"}, {2277, -1, "anyarray"}, {2950, -1, "uuid"}, {2950, 7, "uuid(7)"},
		{3802, -1, "jsonb"}, {0, -1, "-"}, {999999, -1, "???"},
	}
	for _, tt := range tests {
		if got := FormatType(tt.oid, tt.typmod); got != tt.want {
			t.Errorf("FormatType(%d, %d) = %q, want %q", tt.oid, tt.typmod, got, tt.want)
		}
	}
	// Every built-in type has a name; format_type(oid, NULL) differs from a
	// typmod of -1 for bpchar only.
	for _, typ := range builtinTypes {
		if FormatType(typ.oid, -1) == "???" {
			t.Errorf("FormatType(%d) unknown", typ.oid)
		}
	}
	for oid, want := range map[uint32]string{1042: "character", 1014: "character[]", 0: "-",
		1043: "character varying", 1700: "numeric"} {
		if got := FormatTypeName(oid); got != want {
			t.Errorf("FormatTypeName(%d) = %q, want %q", oid, got, want)
		}
	}
}

func TestTypeIsVisible(t *testing.T) {
	if v, ok := TypeIsVisible(sqlengine.Int4OID); !v || !ok {
		t.Errorf("TypeIsVisible(int4) = %v, %v", v, ok)
	}
	if v, ok := TypeIsVisible(424242); v || ok {
		t.Errorf("TypeIsVisible(424242) = %v, %v", v, ok)
	}
}

func TestRegtype(t *testing.T) {
	tests := map[string]uint32{
		"integer": 23, "int": 23, "INT4": 23, "pg_catalog.int8": 20, "double precision": 701,
		"character varying(20)": 1043, "varchar": 1043, "numeric(12,2)": 1700, "decimal": 1700,
		"timestamp(3) with time zone": 1184, "timestamptz": 1184, "text[]": 1009, "int[]": 1007,
		`"char"`: 18, "char": 1042, "bool": 16, "uuid": 2950, "jsonb": 3802, "1700": 1700,
	}
	for in, want := range tests {
		got, err := RegtypeIn(in)
		if err != nil || got != want {
			t.Errorf("RegtypeIn(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	_, err := RegtypeIn("nosuch")
	var pe *sqlengine.Error
	if !errors.As(err, &pe) || pe.Code != sqlengine.CodeUndefinedObject || pe.Message != `type "nosuch" does not exist` {
		t.Errorf("RegtypeIn(nosuch) error = %v", err)
	}
	for oid, want := range map[uint32]string{23: "integer", 1042: "character", 1009: "text[]", 0: "-", 4242: "4242"} {
		if got := RegtypeOut(oid); got != want {
			t.Errorf("RegtypeOut(%d) = %q, want %q", oid, got, want)
		}
	}
}

func TestSizePretty(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{0, "0 bytes"}, {1, "1 bytes"}, {1023, "1023 bytes"}, {10239, "10239 bytes"}, {10240, "10 kB"},
		{10241, "10 kB"}, {16384, "16 kB"}, {20479, "20 kB"}, {20480, "20 kB"}, {1048575, "1024 kB"},
		{10485759, "10 MB"}, {10485760, "10 MB"}, {1073741824, "1024 MB"}, {109951162777600, "100 TB"},
		{1125899906842624, "1024 TB"}, {11529215046068469, "10 PB"}, {1152921504606846976, "1024 PB"},
		{math.MaxInt64, "8192 PB"}, {-1, "-1 bytes"}, {-1536, "-1536 bytes"}, {-10239, "-10239 bytes"},
		{-10240, "-10 kB"}, {-20481, "-20 kB"},
	}
	for _, tt := range tests {
		if got := SizePretty(tt.n); got != tt.want {
			t.Errorf("SizePretty(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

func TestEncodingToChar(t *testing.T) {
	for enc, want := range map[int32]string{-1: "", 0: "SQL_ASCII", 6: "UTF8", 8: "LATIN1", 24: "WIN1252",
		35: "SJIS", 41: "SHIFT_JIS_2004", 42: ""} {
		if got := EncodingToChar(enc); got != want {
			t.Errorf("EncodingToChar(%d) = %q, want %q", enc, got, want)
		}
	}
}

func TestQuoteIdent(t *testing.T) {
	for in, want := range map[string]string{"t": "t", "events_2024": "events_2024", "Events": `"Events"`,
		"order": `"order"`, "user": `"user"`, "key": "key", "status": "status", "my table": `"my table"`,
		`a"b`: `"a""b"`, "1x": `"1x"`, "": `""`, "_x$": `"_x$"`} {
		if got := QuoteIdent(in); got != want {
			t.Errorf("QuoteIdent(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTableOIDStable(t *testing.T) {
	// Fixed across runs and releases: clients and saved queries keep OIDs.
	for name, want := range map[string]uint32{"t": 2034463044, "events": 133449128} {
		if got := TableOID(name); got != want {
			t.Errorf("TableOID(%q) = %d, want %d", name, got, want)
		}
		if TableOID(name) != TableOID(name) {
			t.Errorf("TableOID(%q) not deterministic", name)
		}
	}
	for _, n := range []string{"", "a", "t", "events", "a very long table name indeed", "ünïcödé"} {
		oid := TableOID(n)
		if oid < FirstUserOID || oid >= 1<<31 || (oid-FirstUserOID)%4 != 0 {
			t.Errorf("TableOID(%q) = %d: outside the user range or off stride", n, oid)
		}
	}
	if IndexOID(16384) != 16385 || ConstraintOID(16384) != 16386 {
		t.Errorf("IndexOID/ConstraintOID(16384) = %d, %d", IndexOID(16384), ConstraintOID(16384))
	}
}

func TestAssignOIDsCollision(t *testing.T) {
	// t58883 and t136110 hash to the same slot; the name sorting first keeps it.
	if TableOID("t58883") != 1801560564 || TableOID("t136110") != 1801560564 {
		t.Fatalf("TableOID(t58883, t136110) = %d, %d", TableOID("t58883"), TableOID("t136110"))
	}
	want := map[string]uint32{"t136110": 1801560564, "t58883": 1801560568, "t": 2034463044}
	for _, names := range [][]string{{"t58883", "t136110", "t"}, {"t", "t136110", "t58883", "t"}} {
		got := AssignOIDs(names)
		if len(got) != len(want) {
			t.Errorf("AssignOIDs(%q) = %v, want %v", names, got, want)
		}
		for n, w := range want {
			if got[n] != w {
				t.Errorf("AssignOIDs(%q)[%s] = %d, want %d", names, n, got[n], w)
			}
		}
	}
	// A table alone keeps its preferred OID.
	if got := AssignOIDs([]string{"t58883"}); got["t58883"] != 1801560564 {
		t.Errorf("AssignOIDs(t58883) = %v", got)
	}
}
