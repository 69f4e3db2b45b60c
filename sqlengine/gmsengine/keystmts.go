package gmsengine

import "slices"

// maxKeyStmts bounds a session's cache of key-plan statements.
const maxKeyStmts = 64

// keyStmtCache holds a session's statements that have a key plan, by their
// query text and declared parameter types.
//
// Most clients send a point query's text anew for each execution: psql and
// psycopg2 with the simple protocol, node-postgres and JDBC (before it
// prepares) as an unnamed statement, with the key as a parameter. Parsing
// and planning it again cost several times what the lookup does. A key
// plan depends on nothing a later statement of the session can change but
// the search path and the table the name resolves to, which keyPlan.usable
// checks, so the statement made for the first text serves the next ones.
// Statements are not tied to one execution (a prepared statement runs in
// any number of portals), so handing out the same one again is safe.
type keyStmtCache struct {
	stmts map[string]keyStmt
}

// keyStmt is a cached statement and the parameter types it was prepared
// with.
type keyStmt struct {
	paramTypes []uint32
	st         *statement
}

// get returns the cached statement for query and paramTypes, if it is
// still of use: its key plan still applies and the session is not in a
// failed transaction block (where Prepare must refuse it).
func (c *keyStmtCache) get(s *session, query string, paramTypes []uint32) *statement {
	e, ok := c.stmts[query]
	if !ok || s.failed || !slices.Equal(e.paramTypes, paramTypes) {
		return nil
	}
	st := e.st
	if st.keyPlan == nil || st.needsGMS || !st.keyPlan.usable(s) {
		delete(c.stmts, query)
		return nil
	}
	return st
}

// put caches st, prepared from query with paramTypes, if it has a key
// plan. When the cache is full it starts over.
func (c *keyStmtCache) put(query string, paramTypes []uint32, st *statement) {
	if st.keyPlan == nil || st.needsGMS || st.multi {
		return
	}
	if c.stmts == nil || len(c.stmts) >= maxKeyStmts {
		c.stmts = make(map[string]keyStmt)
	}
	c.stmts[query] = keyStmt{paramTypes: slices.Clone(paramTypes), st: st}
}
