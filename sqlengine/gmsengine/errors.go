package gmsengine

import (
	"context"
	"errors"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer/analyzererrors"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/vt/sqlparser"

	"github.com/pqsql/pqsql/sqlengine"
)

// errorPattern maps a GMS error message to a PostgreSQL error.
type errorPattern struct {
	re   *regexp.Regexp
	code string
	// format builds the message from the submatches.
	format func(m []string) (msg, ident string)
}

var errorPatterns = []errorPattern{
	{regexp.MustCompile(`^table not found: (.+)$`), sqlengine.CodeUndefinedTable,
		func(m []string) (string, string) { return `relation "` + m[1] + `" does not exist`, m[1] }},
	{regexp.MustCompile(`^column "(.+)" could not be found in any table in scope$`), sqlengine.CodeUndefinedColumn,
		func(m []string) (string, string) { return columnMissing(m[1]) }},
	{regexp.MustCompile(`^table "(.+)" does not have column "(.+)"$`), sqlengine.CodeUndefinedColumn,
		func(m []string) (string, string) { return columnMissing(m[1] + "." + m[2]) }},
	{regexp.MustCompile(`^Unknown column '(.+)' in '.*'$`), sqlengine.CodeUndefinedColumn,
		func(m []string) (string, string) { return columnMissing(m[1]) }},
	{regexp.MustCompile(`^ambiguous column (?:or alias )?name "([^"]+)"`), sqlengine.CodeAmbiguousColumn,
		func(m []string) (string, string) { return `column reference "` + m[1] + `" is ambiguous`, m[1] }},
	{regexp.MustCompile(`^Column "(.+)" in order clause is ambiguous$`), sqlengine.CodeAmbiguousColumn,
		func(m []string) (string, string) { return `column reference "` + m[1] + `" is ambiguous`, m[1] }},
	{regexp.MustCompile(`^function: '(.+)' not found$`), sqlengine.CodeUndefinedFunction,
		func(m []string) (string, string) {
			name := strings.TrimPrefix(m[1], "pqsql_")
			return "function " + name + "%ARGS% does not exist", name
		}},
	{regexp.MustCompile(`(?s)nonaggregated column '([^']+)'`), sqlengine.CodeGroupingError,
		func(m []string) (string, string) {
			return `column "` + m[1] + `" must appear in the GROUP BY clause or be used in an aggregate function`, lastPart(m[1])
		}},
	{regexp.MustCompile(`^Not unique table/alias: (.+)$`), "42712",
		func(m []string) (string, string) { return `table name "` + m[1] + `" specified more than once`, "" }},
	{regexp.MustCompile(`(?i)division by zero`), sqlengine.CodeDivisionByZero,
		func(m []string) (string, string) { return "division by zero", "" }},
	{regexp.MustCompile(`^Incorrect datetime value: '(.*)'$`), sqlengine.CodeInvalidDatetimeFormat,
		func(m []string) (string, string) {
			return `invalid input syntax for type timestamp: "` + m[1] + `"`, ""
		}},
	{regexp.MustCompile(`^error: '(.*)' is not a valid value for '(.+)'$`), sqlengine.CodeInvalidTextRepresentation,
		func(m []string) (string, string) {
			return `invalid input syntax for type ` + pgTypeWord(m[2]) + `: "` + m[1] + `"`, ""
		}},
	{regexp.MustCompile(`^(.+) out of range for (.+)$`), sqlengine.CodeNumericValueOutOfRange,
		func(m []string) (string, string) { return pgTypeWord(m[2]) + " out of range", "" }},
	{regexp.MustCompile(`^function '(.+)' expected (.+) arguments, (.+) received$`), sqlengine.CodeUndefinedFunction,
		func(m []string) (string, string) {
			name := strings.TrimPrefix(m[1], "pqsql_")
			return "function " + name + " does not exist", name
		}},
}

func columnMissing(name string) (string, string) {
	if strings.Contains(name, ".") {
		return "column " + name + " does not exist", name
	}
	return `column "` + name + `" does not exist`, name
}

func lastPart(s string) string {
	if i := strings.LastIndexByte(s, '.'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// pgTypeWord names a GMS type as PostgreSQL would in a message.
func pgTypeWord(t string) string {
	switch strings.ToLower(t) {
	case "int", "int32", "integer":
		return "integer"
	case "smallint", "int16":
		return "smallint"
	case "bigint", "int64":
		return "bigint"
	case "double", "float64":
		return "double precision"
	case "float", "float32":
		return "real"
	}
	if strings.HasPrefix(strings.ToLower(t), "decimal") {
		return "numeric"
	}
	return strings.ToLower(t)
}

// mapError converts an error from planning or execution to a PostgreSQL
// error, with a position when it names an identifier of the statement.
func (st *statement) mapError(err error) error {
	if err == nil {
		return nil
	}
	var pe *sqlengine.Error
	if errors.As(err, &pe) {
		return pe
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return canceledError(err)
	}
	msg := err.Error()
	for _, p := range errorPatterns {
		m := p.re.FindStringSubmatch(msg)
		if m == nil {
			continue
		}
		text, ident := p.format(m)
		if strings.Contains(text, "%ARGS%") {
			text = strings.Replace(text, "%ARGS%", st.callSignature(ident), 1)
		}
		out := &sqlengine.Error{Code: p.code, Message: text, Err: err}
		if p.code == sqlengine.CodeUndefinedFunction {
			out.Hint = "No function matches the given name and argument types. You might need to add explicit type casts."
		}
		if ident != "" {
			out.Position = st.position(ident)
		}
		return out
	}
	switch {
	case sql.ErrInvalidValue.Is(err), sql.ErrInvalidValueType.Is(err), types.ErrConvertingToTime.Is(err):
		return &sqlengine.Error{Code: sqlengine.CodeInvalidTextRepresentation, Message: msg, Err: err}
	case analyzererrors.ErrValidationGroupBy.Is(err):
		return &sqlengine.Error{Code: sqlengine.CodeGroupingError, Message: msg, Err: err}
	}
	// Unmapped errors reach the client as XX000 with GMS's message; log them
	// so the mapping can be extended.
	st.s.log.Warn().Err(err).Str("sql", st.pg.SQL).Msg("unmapped engine error")
	return &sqlengine.Error{Code: sqlengine.CodeInternalError, Message: msg, Err: err}
}

// position returns the 1-based character position of ident's first
// case-insensitive occurrence in the statement, in the whole query, or 0.
func (st *statement) position(ident string) int32 {
	text := st.pg.SQL
	i := strings.Index(strings.ToLower(text), strings.ToLower(ident))
	if i < 0 {
		if j := strings.LastIndexByte(ident, '.'); j >= 0 {
			return st.position(ident[j+1:])
		}
		return 0
	}
	return int32(st.charOffset + utf8.RuneCountInString(text[:i]) + 1)
}

// callSignature renders the argument types of the first call of function
// name in the statement, as PostgreSQL names them in "function f(integer,
// unknown) does not exist", or "" when an argument's type is not evident.
func (st *statement) callSignature(name string) string {
	var call *sqlparser.FuncExpr
	_ = sqlparser.Walk(func(n sqlparser.SQLNode) (bool, error) {
		if f, ok := n.(*sqlparser.FuncExpr); ok && f != nil && call == nil && strings.EqualFold(f.Name.String(), name) {
			call = f
			return false, nil
		}
		return true, nil
	}, st.parsed)
	if call == nil {
		return ""
	}
	names := make([]string, 0, len(call.Exprs))
	for _, se := range call.Exprs {
		ae, ok := se.(*sqlparser.AliasedExpr)
		if !ok {
			return ""
		}
		t := literalTypeName(ae.Expr)
		if t == "" {
			return ""
		}
		names = append(names, t)
	}
	return "(" + strings.Join(names, ", ") + ")"
}

// literalTypeName is the PostgreSQL type of a constant argument, "" if unknown.
func literalTypeName(e sqlparser.Expr) string {
	switch x := e.(type) {
	case *sqlparser.SQLVal:
		switch x.Type {
		case sqlparser.IntVal:
			if n, err := strconv.ParseInt(string(x.Val), 10, 64); err == nil && n >= math.MinInt32 && n <= math.MaxInt32 {
				return "integer"
			}
			return "bigint"
		case sqlparser.FloatVal:
			return "numeric"
		case sqlparser.StrVal:
			return "unknown"
		}
	case *sqlparser.NullVal:
		return "unknown"
	case sqlparser.BoolVal:
		return "boolean"
	case *sqlparser.FuncExpr:
		if strings.EqualFold(x.Name.String(), "pqsql_cast") && len(x.Exprs) >= 2 {
			if ae, ok := x.Exprs[1].(*sqlparser.AliasedExpr); ok {
				if v, ok := ae.Expr.(*sqlparser.SQLVal); ok {
					if n, ok := typeNames[castOIDs[string(v.Val)]]; ok {
						return n
					}
				}
			}
		}
	}
	return ""
}
