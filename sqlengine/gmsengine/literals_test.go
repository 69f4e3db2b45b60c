package gmsengine

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/pqsql/pqsql/sqlengine"
)

func TestTypedLiterals(t *testing.T) {
	e := testEngine(t)
	s := openSession(t, e, nil)
	ids := func(q string) string {
		t.Helper()
		res := mustQuery(t, s, q)
		var out []any
		for _, r := range res.rows {
			out = append(out, r[0])
		}
		return fmt.Sprint(out)
	}
	cases := []struct{ q, want string }{
		// Row i (id i+1) is at 2024-01-01 00:00 UTC plus i hours.
		{`SELECT id FROM events WHERE tstz = '2024-01-01 03:00:00+01' ORDER BY id`, "[3]"},
		{`SELECT id FROM events WHERE '2024-01-01 03:00:00+01' = tstz ORDER BY id`, "[3]"},
		{`SELECT id FROM events WHERE tstz < '2024-01-01 00:30:00-01' ORDER BY id`, "[1 2]"},
		{`SELECT id FROM events WHERE tstz BETWEEN '2024-01-01 04:00+03' AND '2024-01-01T02:00:00Z' ORDER BY id`, "[2 3]"},
		{`SELECT id FROM events WHERE tstz IN ('2024-01-01 01:00+01', '2024-01-01 09:00+09') ORDER BY id`, "[1]"},
		// timestamp input ignores an offset.
		{`SELECT id FROM events WHERE ts = '2024-01-01 02:00:00+05' ORDER BY id`, "[3]"},
		{`SELECT count(*) FROM events WHERE day = '2024-01-02'`, "[24]"},
		// Row i's data is {byte(i), 0xff}.
		{`SELECT id FROM events WHERE data = '\x05FF' ORDER BY id`, "[6 262 518 774]"},
		{`SELECT id FROM events WHERE data = '\x05 ff' AND id < 100`, "[6]"},
		{`SELECT id FROM events WHERE data IN ('\005\377', 'x') AND id < 100`, "[6]"},
		// Other comparisons with a backslash string are text comparisons.
		{`SELECT id FROM events WHERE name IN ('a\b', 'name-9')`, "[9]"},
		{`SELECT id FROM events WHERE name <> 'a\b' AND id = 3`, "[3]"},
		{`SELECT id FROM events WHERE name BETWEEN 'name-9' AND 'name-9\' AND id < 10`, "[9]"},
		{`SELECT count(*) FROM events WHERE 'a\b' = 'a\b'`, "[1000]"},
		{`SELECT id FROM events WHERE data <> '\x05ff' AND id < 8 ORDER BY id`, "[1 2 3 4 5 7]"},
	}
	for _, c := range cases {
		if got := ids(c.q); got != c.want {
			t.Errorf("%s: got %s, want %s", c.q, got, c.want)
		}
	}
	mustQuery(t, s, `SET TimeZone = 'Europe/Paris'`)
	if got := ids(`SELECT id FROM events WHERE tstz = '2024-01-01 03:00:00' ORDER BY id`); got != "[3]" {
		t.Errorf("timestamptz literal without offset in Europe/Paris: got %s, want [3]", got)
	}

	// Bad literals fail the statement even when no row is compared.
	errs := []struct{ q, code string }{
		{`SELECT id FROM events WHERE tstz = 'x' AND false`, sqlengine.CodeInvalidDatetimeFormat},
		{`SELECT id FROM events WHERE day = '2024-02-30'`, sqlengine.CodeDatetimeFieldOverflow},
		{`SELECT id FROM events WHERE ts > '2024-13-01'`, sqlengine.CodeDatetimeFieldOverflow},
		{`SELECT id FROM events WHERE data = '\x0'`, sqlengine.CodeInvalidParameterValue},
		{`SELECT id FROM events WHERE data = '\x0g'`, sqlengine.CodeInvalidParameterValue},
		{`SELECT id FROM events WHERE data = '\q'`, sqlengine.CodeInvalidTextRepresentation},
	}
	for _, c := range errs {
		_, err := query(t.Context(), s, c.q)
		wantCode(t, err, c.code)
	}
}

func TestByteaInput(t *testing.T) {
	cases := []struct {
		in   string
		want []byte
		err  string
	}{
		{`\x`, []byte{}, ""},
		{`\x01 02` + "\n" + `Ab`, []byte{1, 2, 0xab}, ""},
		{`a\\b\101`, []byte(`a\bA`), ""},
		{`plain`, []byte("plain"), ""},
		{`\x010`, nil, "invalid hexadecimal data: odd number of digits"},
		{`\x0102z`, nil, `invalid hexadecimal digit: "z"`},
		{`\x0é`, nil, `invalid hexadecimal digit: "é"`},
		{`\400`, nil, "invalid input syntax for type bytea"},
		{`\`, nil, "invalid input syntax for type bytea"},
	}
	for _, c := range cases {
		got, err := byteaInput(c.in)
		if c.err != "" {
			var pe *sqlengine.Error
			if !errors.As(err, &pe) || pe.Message != c.err {
				t.Errorf("byteaInput(%q): error %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || !bytes.Equal(got, c.want) {
			t.Errorf("byteaInput(%q) = %x, %v; want %x", c.in, got, err, c.want)
		}
	}
}
