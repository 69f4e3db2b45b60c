package pgtranslate

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"github.com/pganalyze/pg_query_go/v6/parser"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/pqsql/pqsql/sqlengine"
)

// Statement is one statement of a query string.
type Statement struct {
	// SQL is this statement's own text, trimmed of surrounding white space.
	SQL string
	// Offset is the byte offset of SQL within the whole query, for error positions.
	Offset int
	// Node is the statement's parse tree. The engine inspects it for the utility
	// statements it handles itself (VariableSetStmt, VariableShowStmt,
	// TransactionStmt, DiscardStmt, DeallocateStmt, VacuumStmt, CopyStmt, ...).
	Node *pg_query.Node
	// NumParams is the highest $n the statement references.
	NumParams int

	// query is the whole query string the statement came from. Node locations
	// are byte offsets into it, and PostgreSQL reports error positions in
	// characters of the whole query.
	query string
}

// Parse splits query into statements and parses each with PostgreSQL's grammar.
// A syntax error is returned as a *sqlengine.Error with SQLSTATE 42601,
// PostgreSQL's message and the 1-based character position of the error. A query
// holding only white space, comments and semicolons yields no statements.
func Parse(query string) ([]Statement, error) {
	tree, err := pg_query.Parse(query)
	if err != nil {
		return nil, syntaxError(query, err)
	}
	stmts := make([]Statement, 0, len(tree.Stmts))
	for _, raw := range tree.Stmts {
		if raw.Stmt == nil || raw.Stmt.Node == nil {
			continue
		}
		start := int(raw.StmtLocation)
		end := len(query)
		if raw.StmtLen > 0 {
			end = start + int(raw.StmtLen)
		}
		if start < 0 || start > end || end > len(query) {
			return nil, fmt.Errorf("parse query: statement bounds %d..%d outside query of %d bytes", start, end, len(query))
		}
		text := query[start:end]
		trimmed := strings.TrimLeft(text, " \t\r\n\f\v")
		start += len(text) - len(trimmed)
		trimmed = strings.TrimRight(trimmed, " \t\r\n\f\v")
		st := Statement{SQL: trimmed, Offset: start, Node: raw.Stmt, query: query}
		// Every parameter reference is a $n token, so text without '$' needs
		// no walk over the tree.
		if strings.IndexByte(trimmed, '$') >= 0 {
			st.NumParams = maxParam(raw.Stmt.ProtoReflect())
		}
		stmts = append(stmts, st)
	}
	return stmts, nil
}

// syntaxError converts a pg_query parse failure into PostgreSQL's ErrorResponse.
func syntaxError(query string, err error) error {
	var pe *parser.Error
	if !errors.As(err, &pe) {
		return &sqlengine.Error{Code: sqlengine.CodeSyntaxError, Message: err.Error(), Err: err}
	}
	// The grammar reports nearly everything as a syntax error; window frame
	// mistakes are the exception.
	code := sqlengine.CodeSyntaxError
	if strings.HasPrefix(pe.Message, "frame ") {
		code = codeWindowingError
	}
	// libpg_query runs with a UTF-8 database encoding, so its cursor position
	// is already a 1-based character offset, as PostgreSQL reports it.
	pos := pe.Cursorpos
	if n := utf8.RuneCountInString(query); pos > n+1 {
		pos = n + 1
	}
	return &sqlengine.Error{Code: code, Message: pe.Message, Position: int32(pos), Err: err}
}

// maxParam returns the highest ParamRef number in the tree rooted at m.
func maxParam(m protoreflect.Message) int {
	if p, ok := m.Interface().(*pg_query.ParamRef); ok {
		return int(p.Number)
	}
	highest := 0
	visit := func(v protoreflect.Message) {
		if n := maxParam(v); n > highest {
			highest = n
		}
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.Message() == nil {
			return true
		}
		switch {
		case fd.IsList():
			list := v.List()
			for i := 0; i < list.Len(); i++ {
				visit(list.Get(i).Message())
			}
		case fd.IsMap():
		default:
			visit(v.Message())
		}
		return true
	})
	return highest
}

// position converts a byte location in the statement's query into PostgreSQL's
// 1-based character position, or 0 when the location is unknown.
func (st *Statement) position(location int32) int32 {
	if location < 0 {
		return 0
	}
	query := st.query
	if query == "" {
		// A Statement built by hand: locations are relative to nothing we know
		// better than the statement itself placed at Offset.
		query = strings.Repeat(" ", st.Offset) + st.SQL
	}
	if int(location) > len(query) {
		return 0
	}
	return int32(utf8.RuneCountInString(query[:location])) + 1
}
