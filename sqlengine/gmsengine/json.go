package gmsengine

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/pqsql/pqsql/sqlengine"
)

// jsonFuncs are PostgreSQL's json operators -> and ->> (pqsql_json_get,
// pqsql_json_get_text) and #> and #>> (pqsql_json_path, pqsql_json_path_text).
//
// Values of type json are text (jsonType), kept as the client wrote them;
// like PostgreSQL's json (not jsonb) operators these return a member's text
// exactly as it appears in the document, whitespace and all, and the last
// of duplicate keys.
func jsonFuncs() []*funcSpec {
	get := func(name string, asText bool) *funcSpec {
		typ := jsonType
		if asText {
			typ = textType
		}
		return &funcSpec{name: name, minArgs: 2, maxArgs: 2, typ: fixedType(typ),
			eval: func(ctx *sql.Context, f *pgFunc, v []any) (any, error) {
				doc, err := jsonDocument(v[0])
				if err != nil {
					return nil, err
				}
				// json -> integer indexes an array, json -> text names a key.
				step, err := jsonStep(v[1], types.IsInteger(f.args[1].Type(ctx)))
				if err != nil {
					return nil, err
				}
				return jsonResult(jsonMember(doc, step), asText), nil
			}}
	}
	path := func(name string, asText bool) *funcSpec {
		typ := jsonType
		if asText {
			typ = textType
		}
		return &funcSpec{name: name, minArgs: 2, maxArgs: 2, typ: fixedType(typ),
			eval: func(_ *sql.Context, _ *pgFunc, v []any) (any, error) {
				doc, err := jsonDocument(v[0])
				if err != nil {
					return nil, err
				}
				arr, err := arrayText(v[1])
				if err != nil {
					return nil, err
				}
				for _, e := range arr.elems {
					if e == nil {
						return nil, nil
					}
					doc = jsonMember(doc, jsonPathStep{key: *e, index: jsonPathIndex(*e)})
					if doc == "" {
						return nil, nil
					}
				}
				return jsonResult(doc, asText), nil
			}}
	}
	return []*funcSpec{
		get("pqsql_json_get", false), get("pqsql_json_get_text", true),
		path("pqsql_json_path", false), path("pqsql_json_path_text", true),
	}
}

// jsonDocument returns v's text, checked to be JSON as PostgreSQL's json
// input function checks it (22P02).
func jsonDocument(v any) (string, error) {
	s := textOf(v, time.UTC)
	if !json.Valid([]byte(s)) {
		return "", sqlengine.Errorf(sqlengine.CodeInvalidTextRepresentation, "invalid input syntax for type json")
	}
	return s, nil
}

// jsonPathStep is one step into a JSON value: an object key or, when index
// is set, an array subscript (0-based, negative counting from the end).
type jsonPathStep struct {
	key   string
	index *int
}

// jsonStep makes the step of -> and ->> from their right operand.
func jsonStep(v any, integer bool) (jsonPathStep, error) {
	if !integer {
		return jsonPathStep{key: textOf(v, time.UTC)}, nil
	}
	n, err := toInt64(v)
	if err != nil {
		return jsonPathStep{}, err
	}
	i := int(n)
	return jsonPathStep{index: &i}, nil
}

// jsonPathIndex reads a #> path element as a subscript, which it is when the
// value it applies to is an array and the element is an integer.
func jsonPathIndex(s string) *int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return nil
	}
	return &n
}

// jsonResult is the value of -> (the member's text) or ->> (a string
// member unescaped, JSON null as SQL NULL, other members as their text);
// a missing member is NULL.
func jsonResult(member string, asText bool) any {
	if member == "" {
		return nil
	}
	if !asText {
		return member
	}
	switch member[0] {
	case 'n':
		return nil
	case '"':
		var s string
		if err := json.Unmarshal([]byte(member), &s); err != nil {
			return member
		}
		return s
	}
	return member
}

// jsonMember returns the text of the member of the valid JSON document doc
// that step selects, or "" when there is none (doc is not an object, or not
// an array for a subscript, or has no such member). Keys of an array and
// subscripts of an object select nothing, except that a #> path element
// that is an integer may also be a key.
func jsonMember(doc string, step jsonPathStep) string {
	i := skipJSONSpace(doc, 0)
	if i >= len(doc) {
		return ""
	}
	switch doc[i] {
	case '{':
		found := ""
		for i = skipJSONSpace(doc, i+1); i < len(doc) && doc[i] != '}'; {
			keyEnd := skipJSONValue(doc, i)
			key := doc[i:keyEnd]
			i = skipJSONSpace(doc, keyEnd)
			i = skipJSONSpace(doc, i+1) // ':'
			valEnd := skipJSONValue(doc, i)
			if step.index == nil || step.key != "" {
				var k string
				if json.Unmarshal([]byte(key), &k) == nil && k == step.key {
					found = doc[i:valEnd] // the last of duplicate keys wins
				}
			}
			i = skipJSONSpace(doc, valEnd)
			if i < len(doc) && doc[i] == ',' {
				i = skipJSONSpace(doc, i+1)
			}
		}
		return found
	case '[':
		if step.index == nil {
			return ""
		}
		var elems []string
		for i = skipJSONSpace(doc, i+1); i < len(doc) && doc[i] != ']'; {
			end := skipJSONValue(doc, i)
			elems = append(elems, doc[i:end])
			i = skipJSONSpace(doc, end)
			if i < len(doc) && doc[i] == ',' {
				i = skipJSONSpace(doc, i+1)
			}
		}
		k := *step.index
		if k < 0 {
			k += len(elems)
		}
		if k < 0 || k >= len(elems) {
			return ""
		}
		return elems[k]
	}
	return ""
}

// skipJSONSpace returns the index of the first non-blank byte of s at or
// after i.
func skipJSONSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// skipJSONValue returns the index just past the valid JSON value that starts
// at s[i].
func skipJSONValue(s string, i int) int {
	depth := 0
	for i < len(s) {
		c := s[i]
		switch c {
		case '"':
			for i++; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' {
					i++
				}
			}
			i++
		case '{', '[':
			depth++
			i++
		case '}', ']':
			if depth == 0 {
				return i
			}
			depth--
			i++
		case ',', ' ', '\t', '\n', '\r', ':':
			if depth == 0 {
				return i
			}
			i++
		default:
			i++
		}
		if depth == 0 && (c == '"' || c == '}' || c == ']') {
			return i
		}
	}
	return i
}
