package gmsengine

import (
	"context"
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/pqsql/pqsql/sqlengine"
	"github.com/pqsql/pqsql/sqlengine/pgtranslate"
)

// stmtKind says who runs a statement.
type stmtKind int

const (
	stmtGMS stmtKind = iota
	stmtSet
	stmtShow
	stmtTransaction
	stmtDiscard
	stmtDeallocate
	stmtCopy   // COPY, see copy.go
	stmtCursor // DECLARE, FETCH, MOVE, CLOSE; see cursor.go
	stmtVacuum // VACUUM, ANALYZE; see vacuum.go
)

func kindOfStatement(p pgtranslate.Statement) stmtKind {
	if p.Node == nil {
		return stmtGMS
	}
	switch p.Node.Node.(type) {
	case *pg_query.Node_VariableSetStmt:
		return stmtSet
	case *pg_query.Node_VariableShowStmt:
		return stmtShow
	case *pg_query.Node_TransactionStmt:
		return stmtTransaction
	case *pg_query.Node_DiscardStmt:
		return stmtDiscard
	case *pg_query.Node_DeallocateStmt:
		return stmtDeallocate
	case *pg_query.Node_CopyStmt:
		return stmtCopy
	case *pg_query.Node_DeclareCursorStmt, *pg_query.Node_FetchStmt, *pg_query.Node_ClosePortalStmt:
		return stmtCursor
	case *pg_query.Node_VacuumStmt:
		return stmtVacuum
	}
	return stmtGMS
}

// endsFailedTx reports whether a statement may run in a failed transaction
// block (it ends the block or rolls back to a savepoint).
func endsFailedTx(p pgtranslate.Statement) bool {
	ts := p.Node.GetTransactionStmt()
	if ts == nil {
		return false
	}
	switch ts.Kind {
	case pg_query.TransactionStmtKind_TRANS_STMT_COMMIT, pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK,
		pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK_TO:
		return true
	}
	return false
}

// execUtility runs a statement pqsql handles without GMS.
func (st *statement) execUtility(ctx context.Context) (*staticRows, error) {
	s := st.s
	n := st.pg.Node
	switch st.kind {
	case stmtSet:
		return s.execSet(n.GetVariableSetStmt())
	case stmtShow:
		return s.execShow(n.GetVariableShowStmt().GetName())
	case stmtTransaction:
		return s.execTransaction(ctx, n.GetTransactionStmt())
	case stmtDiscard:
		if s.inTx {
			return nil, sqlengine.Errorf(sqlengine.CodeActiveSQLTransaction, "DISCARD ALL cannot run inside a transaction block")
		}
		before := s.settings.reportedValues()
		s.settings.resetAll()
		s.reportChanges(before)
		tag := "DISCARD ALL"
		switch n.GetDiscardStmt().GetTarget() {
		case pg_query.DiscardMode_DISCARD_PLANS:
			tag = "DISCARD PLANS"
		case pg_query.DiscardMode_DISCARD_SEQUENCES:
			tag = "DISCARD SEQUENCES"
		case pg_query.DiscardMode_DISCARD_TEMP:
			tag = "DISCARD TEMP"
		}
		return &staticRows{tag: tag}, nil
	case stmtDeallocate:
		if n.GetDeallocateStmt().GetName() == "" {
			return &staticRows{tag: "DEALLOCATE ALL"}, nil
		}
		return &staticRows{tag: "DEALLOCATE"}, nil
	case stmtVacuum:
		return st.execVacuum(ctx, n.GetVacuumStmt())
	}
	return &staticRows{}, nil
}

// argText renders SET's value list as PostgreSQL's text form.
func argText(name string, args []*pg_query.Node) string {
	parts := make([]string, 0, len(args))
	for _, a := range args {
		var v string
		c := a.GetAConst()
		if tc := a.GetTypeCast(); tc != nil {
			c = tc.GetArg().GetAConst()
		}
		switch {
		case c == nil:
			v = pgtranslateDeparse(a)
		case c.GetSval() != nil:
			v = c.GetSval().GetSval()
		case c.GetIval() != nil:
			v = strconv.Itoa(int(c.GetIval().GetIval()))
		case c.GetFval() != nil:
			v = c.GetFval().GetFval()
		case c.GetBoolval() != nil:
			v = "off"
			if c.GetBoolval().GetBoolval() {
				v = "on"
			}
		}
		if strings.EqualFold(name, "search_path") && c != nil && c.GetSval() != nil && !isPlainIdent(v) {
			v = `"` + strings.ReplaceAll(v, `"`, `""`) + `"`
		}
		parts = append(parts, v)
	}
	return strings.Join(parts, ", ")
}

// pgtranslateDeparse is the text of a SET argument that is not a constant.
func pgtranslateDeparse(n *pg_query.Node) string {
	if cr := n.GetColumnRef(); cr != nil && len(cr.GetFields()) == 1 {
		return cr.GetFields()[0].GetString_().GetSval()
	}
	return ""
}

// isPlainIdent reports whether s needs no quoting as an identifier.
func isPlainIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if !(r >= 'a' && r <= 'z' || r == '_' || i > 0 && (r >= '0' && r <= '9' || r == '$')) {
			return false
		}
	}
	return true
}

func (s *session) execSet(vs *pg_query.VariableSetStmt) (*staticRows, error) {
	name := vs.GetName()
	tag := "SET"
	before := s.settings.reportedValues()
	defer s.reportChanges(before)
	switch vs.GetKind() {
	case pg_query.VariableSetKind_VAR_SET_MULTI:
		// SET TRANSACTION ... / SET SESSION CHARACTERISTICS: accepted, nothing to do.
		return &staticRows{tag: tag}, nil
	case pg_query.VariableSetKind_VAR_RESET_ALL:
		s.settings.resetAll()
		return &staticRows{tag: "RESET"}, nil
	case pg_query.VariableSetKind_VAR_RESET, pg_query.VariableSetKind_VAR_SET_DEFAULT:
		if vs.GetKind() == pg_query.VariableSetKind_VAR_RESET {
			tag = "RESET"
		}
		if _, err := s.checkSettable(name); err != nil {
			return nil, err
		}
		if vs.GetIsLocal() && s.inTx {
			d := s.settings.defaults[strings.ToLower(name)]
			s.settings.set(name, d, true)
		} else {
			s.settings.reset(name)
		}
		return &staticRows{tag: tag}, nil
	case pg_query.VariableSetKind_VAR_SET_CURRENT:
		return &staticRows{tag: tag}, nil
	}
	if _, err := s.checkSettable(name); err != nil {
		return nil, err
	}
	raw := argText(name, vs.GetArgs())
	v, err := validateSetting(name, raw)
	if err != nil {
		return nil, err
	}
	if vs.GetIsLocal() && !s.inTx {
		s.notice("WARNING", sqlengine.CodeNoActiveSQLTransaction, "SET LOCAL can only be used in transaction blocks")
		return &staticRows{tag: tag}, nil
	}
	s.settings.set(name, v, vs.GetIsLocal())
	return &staticRows{tag: tag}, nil
}

// checkSettable fails for unknown and read-only parameters.
func (s *session) checkSettable(name string) (*paramDef, error) {
	d, ok := lookupParam(name)
	if !ok {
		if isCustomParam(name) {
			return nil, nil
		}
		return nil, sqlengine.Errorf(sqlengine.CodeUndefinedObject, "unrecognized configuration parameter %q", strings.ToLower(name))
	}
	if d.readOnly {
		return nil, sqlengine.Errorf("55P02", "parameter %q cannot be changed", d.name)
	}
	return d, nil
}

func (s *session) execShow(name string) (*staticRows, error) {
	if strings.EqualFold(name, "all") {
		cols := []sqlengine.Column{textColumn("name"), textColumn("setting"), textColumn("description")}
		var rows [][]any
		for _, n := range s.sortedParamNames() {
			v, _ := s.settings.get(n)
			desc := ""
			if d, ok := lookupParam(n); ok {
				desc = d.desc
			}
			rows = append(rows, []any{n, v, desc})
		}
		return &staticRows{cols: cols, rows: rows, tag: "SHOW"}, nil
	}
	v, ok := s.settings.get(name)
	if !ok {
		return nil, sqlengine.Errorf(sqlengine.CodeUndefinedObject, "unrecognized configuration parameter %q", strings.ToLower(name))
	}
	return &staticRows{cols: []sqlengine.Column{textColumn(canonicalName(name))}, rows: [][]any{{v}}, tag: "SHOW"}, nil
}

func (s *session) execTransaction(ctx context.Context, ts *pg_query.TransactionStmt) (*staticRows, error) {
	switch ts.GetKind() {
	case pg_query.TransactionStmtKind_TRANS_STMT_BEGIN, pg_query.TransactionStmtKind_TRANS_STMT_START:
		tag := "BEGIN"
		if ts.GetKind() == pg_query.TransactionStmtKind_TRANS_STMT_START {
			tag = "START TRANSACTION"
		}
		if s.inTx {
			s.notice("WARNING", sqlengine.CodeActiveSQLTransaction, "there is already a transaction in progress")
			return &staticRows{tag: tag}, nil
		}
		s.beginTx()
		return &staticRows{tag: tag}, nil
	case pg_query.TransactionStmtKind_TRANS_STMT_COMMIT:
		if !s.inTx {
			s.notice("WARNING", sqlengine.CodeNoActiveSQLTransaction, "there is no transaction in progress")
			return &staticRows{tag: "COMMIT"}, nil
		}
		if s.failed {
			s.endTx(false)
			return &staticRows{tag: "ROLLBACK"}, nil
		}
		if err := s.commitPending(ctx); err != nil {
			// As in PostgreSQL, a failed COMMIT ends the block rolled back.
			s.endTx(false)
			if ctx.Err() != nil {
				return nil, canceledError(ctx.Err())
			}
			return nil, err
		}
		s.endTx(true)
		return &staticRows{tag: "COMMIT"}, nil
	case pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK:
		if !s.inTx {
			s.notice("WARNING", sqlengine.CodeNoActiveSQLTransaction, "there is no transaction in progress")
			return &staticRows{tag: "ROLLBACK"}, nil
		}
		s.endTx(false)
		return &staticRows{tag: "ROLLBACK"}, nil
	case pg_query.TransactionStmtKind_TRANS_STMT_SAVEPOINT:
		if !s.inTx {
			return nil, sqlengine.Errorf(sqlengine.CodeNoActiveSQLTransaction, "SAVEPOINT can only be used in transaction blocks")
		}
		s.savepoints = append(s.savepoints, savepoint{name: ts.GetSavepointName(), pending: clonePending(s.pending)})
		return &staticRows{tag: "SAVEPOINT"}, nil
	case pg_query.TransactionStmtKind_TRANS_STMT_RELEASE:
		if !s.inTx {
			return nil, sqlengine.Errorf(sqlengine.CodeNoActiveSQLTransaction, "RELEASE SAVEPOINT can only be used in transaction blocks")
		}
		i := s.findSavepoint(ts.GetSavepointName())
		if i < 0 {
			return nil, sqlengine.Errorf("3B001", "savepoint %q does not exist", ts.GetSavepointName())
		}
		s.savepoints = s.savepoints[:i]
		return &staticRows{tag: "RELEASE"}, nil
	case pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK_TO:
		if !s.inTx {
			return nil, sqlengine.Errorf(sqlengine.CodeNoActiveSQLTransaction, "ROLLBACK TO SAVEPOINT can only be used in transaction blocks")
		}
		i := s.findSavepoint(ts.GetSavepointName())
		if i < 0 {
			return nil, sqlengine.Errorf("3B001", "savepoint %q does not exist", ts.GetSavepointName())
		}
		s.savepoints = s.savepoints[:i+1]
		s.pending = clonePending(s.savepoints[i].pending)
		s.failed = false
		return &staticRows{tag: "ROLLBACK"}, nil
	}
	return nil, sqlengine.Errorf(sqlengine.CodeFeatureNotSupported, "prepared transactions are not supported")
}

func (s *session) findSavepoint(name string) int {
	for i := len(s.savepoints) - 1; i >= 0; i-- {
		if s.savepoints[i].name == name {
			return i
		}
	}
	return -1
}
