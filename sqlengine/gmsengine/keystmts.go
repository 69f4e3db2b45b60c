package gmsengine

import (
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/pqsql/pqsql/sqlengine/pgtranslate"
)

// maxKeyStmts bounds a session's cache of key-plan statements, and again
// that of their shapes.
const maxKeyStmts = 64

// keyStmtCache holds a session's statements that have a key plan, so that
// a point query sent again as text is neither parsed nor planned again.
//
// Most clients send a point query's text anew for each execution: psql and
// psycopg2 with the simple protocol, the key written into the text;
// node-postgres and JDBC (before it prepares) as an unnamed statement, the
// key a parameter. Parsing and planning cost several times what the lookup
// does. A key plan depends on nothing a later statement of the session can
// change but the search path and the table the name resolves to, which
// keyPlan.usable checks, so the statement made for one text serves the
// next ones:
//
//   - the same text, with the same declared parameter types, gets the same
//     statement (statements are not tied to one execution: a prepared
//     statement runs in any number of portals);
//   - a text that differs only in its key constants (and in white space)
//     gets a copy of the statement with its own keys. PostgreSQL's own
//     lexer (pg_query.Scan, a fraction of a parse) splits it into tokens;
//     they must be those of the cached text, constants aside, and each new
//     constant goes through keyArgOf as the parsed one would have.
type keyStmtCache struct {
	stmts  map[string]keyStmt
	shapes map[string]*keyShape
}

// keyStmt is a cached statement and the parameter types it was prepared
// with.
type keyStmt struct {
	paramTypes []uint32
	st         *statement
}

// keyShape is a cached statement whose key constants may vary: the
// constants' tokens are its slots.
type keyShape struct {
	keyStmt
	slots []keySlot
}

// keySlot is the token of one key constant, or of the LIMIT count.
type keySlot struct {
	// tok is the index of the constant's token, arg that of its keyArg,
	// -1 for the LIMIT count.
	tok, arg int
	// neg is set when a minus sign precedes the constant.
	neg bool
}

// get returns the cached statement for query and paramTypes, or one made
// from the statement of a query of the same shape, if it is still of use:
// its key plan still applies and the session is not in a failed
// transaction block (where Prepare must refuse it).
func (c *keyStmtCache) get(s *session, query string, paramTypes []uint32) *statement {
	if s.failed {
		return nil
	}
	if e, ok := c.stmts[query]; ok && slices.Equal(e.paramTypes, paramTypes) {
		if e.st.keyPlanUsable(s) {
			return e.st
		}
		delete(c.stmts, query)
	}
	if len(c.shapes) == 0 {
		return nil
	}
	scan, err := pg_query.Scan(query)
	if err != nil {
		return nil
	}
	first, last, ok := statementTokens(scan.Tokens)
	if !ok {
		return nil
	}
	key, ok := shapeKey(query, scan.Tokens[first:last+1])
	if !ok {
		return nil
	}
	sh := c.shapes[key]
	if sh == nil || !slices.Equal(sh.paramTypes, paramTypes) {
		return nil
	}
	if !sh.st.keyPlanUsable(s) {
		delete(c.shapes, key)
		return nil
	}
	return sh.derive(query, scan.Tokens)
}

// put caches st, prepared from query with paramTypes, if it has a key
// plan, and its shape if its key constants can vary. When the cache is
// full it starts over.
func (c *keyStmtCache) put(query string, paramTypes []uint32, st *statement) {
	if st.keyPlan == nil || st.needsGMS || st.multi || st.pg.Node == nil {
		return
	}
	if c.stmts == nil || len(c.stmts) >= maxKeyStmts {
		c.stmts = make(map[string]keyStmt)
	}
	e := keyStmt{paramTypes: slices.Clone(paramTypes), st: st}
	c.stmts[query] = e
	if slots, key, ok := shapeOf(query, st); ok {
		if c.shapes == nil || len(c.shapes) >= maxKeyStmts {
			c.shapes = make(map[string]*keyShape)
		}
		c.shapes[key] = &keyShape{keyStmt: e, slots: slots}
	}
}

// keyPlanUsable reports whether st, a cached statement, still runs by its
// key plan in s.
func (st *statement) keyPlanUsable(s *session) bool {
	return st.keyPlan != nil && !st.needsGMS && st.keyPlan.usable(s)
}

// constToken reports whether a token is a constant a key may be: an
// integer, a number too big for int4, or a string.
func constToken(t pg_query.Token) bool {
	return t == pg_query.Token_ICONST || t == pg_query.Token_FCONST || t == pg_query.Token_SCONST
}

// statementTokens returns the first and last token of the statement of
// tokens, a trailing semicolon left out; ok is false for none.
func statementTokens(tokens []*pg_query.ScanToken) (first, last int, ok bool) {
	last = len(tokens) - 1
	if last >= 0 && tokens[last].Token == pg_query.Token_ASCII_59 {
		last--
	}
	return 0, last, last >= 0
}

// shapeKey returns the text of a statement's tokens with each constant
// replaced by a mark of its kind: statements of one shape have the same
// key. Tokens are separated by NUL, which no query text holds.
func shapeKey(query string, tokens []*pg_query.ScanToken) (string, bool) {
	var b strings.Builder
	for _, t := range tokens {
		if t.Start < 0 || t.End < t.Start || int(t.End) > len(query) {
			return "", false
		}
		b.WriteByte(0)
		if constToken(t.Token) {
			b.WriteString(strconv.Itoa(int(t.Token)))
			continue
		}
		b.WriteString(query[t.Start:t.End])
	}
	return b.String(), true
}

// shapeOf returns the slots and shape key of st, prepared from query, if
// every constant of its text is one of its keys or its LIMIT count, each a
// plain number or string: other texts of its shape can then take its plan.
func shapeOf(query string, st *statement) (slots []keySlot, key string, ok bool) {
	// The constants' args, by location; a constant LIMIT count is "arg" -1.
	byLoc := make(map[int32]int)
	for i, a := range st.keyPlan.args {
		if a.loc >= 0 {
			byLoc[a.loc] = i
		}
	}
	if len(byLoc) == 0 {
		return nil, "", false
	}
	if loc := st.keyPlan.limitLoc; loc >= 0 {
		byLoc[loc] = -1
	}
	scan, err := pg_query.Scan(query)
	if err != nil {
		return nil, "", false
	}
	tokens := scan.Tokens
	first, last, ok := statementTokens(tokens)
	// The statement's text must be its tokens' span, as derive takes it.
	if !ok || int(tokens[first].Start) != st.pg.Offset || query[tokens[first].Start:tokens[last].End] != st.pg.SQL {
		return nil, "", false
	}
	for i, t := range tokens {
		if !constToken(t.Token) {
			continue
		}
		arg, found := byLoc[t.Start]
		neg := false
		if !found && i > 0 && tokens[i-1].Token == pg_query.Token_ASCII_45 {
			arg, found = byLoc[tokens[i-1].Start]
			neg = true
		}
		if !found {
			return nil, "", false // a constant that is no key
		}
		if _, ok := constNode(query, t, neg, 0); !ok {
			return nil, "", false
		}
		slots = append(slots, keySlot{tok: i, arg: arg, neg: neg})
	}
	if len(slots) != len(byLoc) {
		return nil, "", false
	}
	key, ok = shapeKey(query, tokens[first:last+1])
	return slots, key, ok
}

// constNode returns the parse tree node PostgreSQL's grammar makes of
// constant token t of query (negated when neg), at location loc; ok is
// false for a constant it does not handle: a string other than a plain
// quoted one (an escape string E'...', a Unicode one U&'...', or quoted
// parts on several lines, which the lexer joins).
func constNode(query string, t *pg_query.ScanToken, neg bool, loc int32) (*pg_query.Node, bool) {
	text := query[t.Start:t.End]
	switch t.Token {
	case pg_query.Token_ICONST:
		n, err := strconv.ParseInt(text, 10, 32)
		if err != nil {
			return nil, false
		}
		if neg {
			n = -n
		}
		return pg_query.MakeAConstIntNode(n, loc), true
	case pg_query.Token_FCONST:
		if neg {
			text = "-" + text
		}
		return &pg_query.Node{Node: &pg_query.Node_AConst{AConst: &pg_query.A_Const{
			Val: &pg_query.A_Const_Fval{Fval: &pg_query.Float{Fval: text}}, Location: loc}}}, true
	case pg_query.Token_SCONST:
		if neg || len(text) < 2 || text[0] != '\'' || text[len(text)-1] != '\'' {
			return nil, false
		}
		inner := text[1 : len(text)-1]
		if strings.Contains(strings.ReplaceAll(inner, "''", ""), "'") {
			return nil, false
		}
		return pg_query.MakeAConstStrNode(strings.ReplaceAll(inner, "''", "'"), loc), true
	}
	return nil, false
}

// derive returns a statement for query, of sh's shape with tokens: a copy
// of sh's statement with the keys of query's constants, or nil when one is
// not a key the plan can use (the query is then parsed and planned as any
// other). It is parsed only if it must go to GMS after all (see plan).
func (sh *keyShape) derive(query string, tokens []*pg_query.ScanToken) *statement {
	base := sh.st
	first, last, ok := statementTokens(tokens)
	if !ok {
		return nil
	}
	d := &statement{
		s:          base.s,
		pg:         pgtranslate.Statement{SQL: query[tokens[first].Start:tokens[last].End], Offset: int(tokens[first].Start), NumParams: base.pg.NumParams},
		unparsed:   query,
		charOffset: utf8.RuneCountInString(query[:tokens[first].Start]),
		kind:       base.kind,
		paramTypes: slices.Clone(base.paramTypes),
		planned:    true,
		columns:    base.columns,
		pgTypes:    base.pgTypes,
	}
	kp := *base.keyPlan
	kp.args = slices.Clone(kp.args)
	t := kp.table
	keyType := t.Columns()[t.KeyColumn()].Type
	for _, sl := range sh.slots {
		tok := tokens[sl.tok]
		loc := tok.Start
		if sl.neg {
			loc = tokens[sl.tok-1].Start
		}
		node, ok := constNode(query, tok, sl.neg, loc)
		if !ok {
			return nil
		}
		if sl.arg < 0 {
			limit, param, limitLoc, ok := d.limitOf(node)
			if !ok {
				return nil
			}
			kp.limit, kp.limitParam, kp.limitLoc = limit, param, limitLoc
			continue
		}
		arg, ok := d.keyArgOf(t, keyType, node)
		if !ok {
			return nil
		}
		kp.args[sl.arg] = arg
	}
	d.keyPlan = &kp
	return d
}
