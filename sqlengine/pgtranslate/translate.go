package pgtranslate

import (
	"fmt"
	"strconv"

	"github.com/dolthub/vitess/go/vt/sqlparser"
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/pqsql/pqsql/sqlengine"
)

// Translate converts one parsed statement into the vitess statement
// go-mysql-server executes. It handles queries (SELECT, VALUES, set operations,
// WITH) and DELETE (with RETURNING). Anything else, including the utility
// statements the engine runs itself, yields a *sqlengine.Error with SQLSTATE
// 0A000.
//
// Parameter $n becomes the bind variable v<n> (":v1"). Unaliased result
// columns carry PostgreSQL's column name (count, ?column?, ...) in
// AliasedExpr.InputExpression, which GMS uses as the column's name. Errors
// are *sqlengine.Error with positions counted in characters of the whole
// query string given to Parse.
func Translate(st Statement) (sqlparser.Statement, error) {
	if st.Node == nil || st.Node.Node == nil {
		return nil, sqlengine.Errorf(sqlengine.CodeFeatureNotSupported, "empty statement cannot be translated")
	}
	t := &translator{st: &st}
	switch n := st.Node.Node.(type) {
	case *pg_query.Node_SelectStmt:
		return t.selectStmt(n.SelectStmt)
	case *pg_query.Node_DeleteStmt:
		return t.deleteStmt(n.DeleteStmt)
	default:
		return nil, sqlengine.Errorf(sqlengine.CodeFeatureNotSupported, "%s is not supported", statementName(st.Node))
	}
}

// SQLSTATEs of PostgreSQL errors that sqlengine has no constant for.
const (
	codeInvalidRowCountInLimit  = "2201W"
	codeInvalidRowCountInOffset = "2201X"
	codeInvalidColumnReference  = "42P10"
	codeWindowingError          = "42P20"
)

// translator carries what converting one statement needs.
type translator struct {
	st *Statement
}

// unsupported returns the 0A000 error for a construct pqsql cannot run.
func (t *translator) unsupported(location int32, format string, args ...any) error {
	return &sqlengine.Error{
		Code:     sqlengine.CodeFeatureNotSupported,
		Message:  fmt.Sprintf(format, args...),
		Position: t.st.position(location),
	}
}

// errorAt returns an error with the given SQLSTATE and position.
func (t *translator) errorAt(code string, location int32, format string, args ...any) error {
	return &sqlengine.Error{Code: code, Message: fmt.Sprintf(format, args...), Position: t.st.position(location)}
}

// statementName names a statement kind the way PostgreSQL's command tags do.
func statementName(n *pg_query.Node) string {
	switch n.Node.(type) {
	case *pg_query.Node_InsertStmt:
		return "INSERT"
	case *pg_query.Node_UpdateStmt:
		return "UPDATE"
	case *pg_query.Node_MergeStmt:
		return "MERGE"
	case *pg_query.Node_CreateStmt, *pg_query.Node_CreateTableAsStmt:
		return "CREATE TABLE"
	case *pg_query.Node_ViewStmt:
		return "CREATE VIEW"
	case *pg_query.Node_IndexStmt:
		return "CREATE INDEX"
	case *pg_query.Node_CreateSchemaStmt:
		return "CREATE SCHEMA"
	case *pg_query.Node_CreatedbStmt:
		return "CREATE DATABASE"
	case *pg_query.Node_CreateFunctionStmt:
		return "CREATE FUNCTION"
	case *pg_query.Node_DropStmt:
		return "DROP"
	case *pg_query.Node_DropdbStmt:
		return "DROP DATABASE"
	case *pg_query.Node_AlterTableStmt:
		return "ALTER TABLE"
	case *pg_query.Node_RenameStmt:
		return "ALTER ... RENAME"
	case *pg_query.Node_TruncateStmt:
		return "TRUNCATE"
	case *pg_query.Node_GrantStmt:
		return "GRANT/REVOKE"
	case *pg_query.Node_CreateRoleStmt:
		return "CREATE ROLE"
	case *pg_query.Node_VariableSetStmt:
		return "SET"
	case *pg_query.Node_VariableShowStmt:
		return "SHOW"
	case *pg_query.Node_TransactionStmt:
		return "transaction control"
	case *pg_query.Node_DiscardStmt:
		return "DISCARD"
	case *pg_query.Node_DeallocateStmt:
		return "DEALLOCATE"
	case *pg_query.Node_PrepareStmt:
		return "PREPARE"
	case *pg_query.Node_ExecuteStmt:
		return "EXECUTE"
	case *pg_query.Node_VacuumStmt:
		return "VACUUM"
	case *pg_query.Node_CopyStmt:
		return "COPY"
	case *pg_query.Node_ExplainStmt:
		return "EXPLAIN"
	case *pg_query.Node_DeclareCursorStmt:
		return "DECLARE CURSOR"
	case *pg_query.Node_FetchStmt:
		return "FETCH"
	case *pg_query.Node_ClosePortalStmt:
		return "CLOSE"
	case *pg_query.Node_ListenStmt:
		return "LISTEN"
	case *pg_query.Node_NotifyStmt:
		return "NOTIFY"
	case *pg_query.Node_LockStmt:
		return "LOCK"
	case *pg_query.Node_DoStmt:
		return "DO"
	case *pg_query.Node_CallStmt:
		return "CALL"
	}
	return "statement " + nodeTypeName(n)
}

// deleteStmt converts DELETE FROM t [WHERE ...] [RETURNING ...].
func (t *translator) deleteStmt(d *pg_query.DeleteStmt) (sqlparser.Statement, error) {
	if d.WithClause != nil {
		return nil, t.unsupported(d.WithClause.Location, "WITH in DELETE is not supported")
	}
	if len(d.UsingClause) > 0 {
		return nil, t.unsupported(-1, "DELETE ... USING is not supported")
	}
	name, err := t.tableName(d.Relation)
	if err != nil {
		return nil, err
	}
	table := &sqlparser.AliasedTableExpr{Expr: name}
	if d.Relation.Alias != nil {
		table.As = sqlparser.NewTableIdent(d.Relation.Alias.Aliasname)
	}
	del := &sqlparser.Delete{TableExprs: sqlparser.TableExprs{table}}
	if d.WhereClause != nil {
		if cur, ok := d.WhereClause.Node.(*pg_query.Node_CurrentOfExpr); ok {
			return nil, t.unsupported(-1, "WHERE CURRENT OF %s is not supported", cur.CurrentOfExpr.CursorName)
		}
		where, err := t.expr(d.WhereClause)
		if err != nil {
			return nil, err
		}
		del.Where = &sqlparser.Where{Type: sqlparser.WhereStr, Expr: where}
	}
	// RETURNING lists the deleted rows like a SELECT's target list.
	for _, n := range d.ReturningList {
		e, err := t.selectExpr(n)
		if err != nil {
			return nil, err
		}
		del.Returning = append(del.Returning, e)
	}
	return del, nil
}

// tableName converts a relation reference, applying PostgreSQL's schemas:
// public is the database's own schema, pg_catalog and information_schema are
// served as databases of those names, and any other schema does not exist.
func (t *translator) tableName(rv *pg_query.RangeVar) (sqlparser.TableName, error) {
	name := sqlparser.TableName{Name: sqlparser.NewTableIdent(rv.Relname)}
	if rv.Catalogname != "" {
		return name, t.unsupported(rv.Location, "cross-database references are not implemented: \"%s.%s.%s\"", rv.Catalogname, rv.Schemaname, rv.Relname)
	}
	qualifier, ok := schemaQualifier(rv.Schemaname)
	if !ok {
		return name, t.errorAt(sqlengine.CodeUndefinedTable, rv.Location, "relation \"%s.%s\" does not exist", rv.Schemaname, rv.Relname)
	}
	name.DbQualifier = qualifier
	return name, nil
}

// schemaQualifier maps a PostgreSQL schema onto a database qualifier; ok is
// false for a schema that does not exist.
func schemaQualifier(name string) (q sqlparser.TableIdent, ok bool) {
	switch name {
	case "", "public":
		return sqlparser.TableIdent{}, true
	case "pg_catalog", "information_schema":
		return sqlparser.NewTableIdent(name), true
	}
	return sqlparser.TableIdent{}, false
}

// location returns a node's byte location in the query, or -1 when it has none.
func location(n *pg_query.Node) int32 {
	if n == nil {
		return -1
	}
	switch v := n.Node.(type) {
	case *pg_query.Node_ColumnRef:
		return v.ColumnRef.Location
	case *pg_query.Node_AConst:
		return v.AConst.Location
	case *pg_query.Node_FuncCall:
		return v.FuncCall.Location
	case *pg_query.Node_AExpr:
		return v.AExpr.Location
	case *pg_query.Node_TypeCast:
		return v.TypeCast.Location
	case *pg_query.Node_ResTarget:
		return v.ResTarget.Location
	case *pg_query.Node_SubLink:
		return v.SubLink.Location
	case *pg_query.Node_RangeVar:
		return v.RangeVar.Location
	case *pg_query.Node_ParamRef:
		return v.ParamRef.Location
	case *pg_query.Node_SortBy:
		return v.SortBy.Location
	case *pg_query.Node_BoolExpr:
		return v.BoolExpr.Location
	case *pg_query.Node_NullTest:
		return v.NullTest.Location
	case *pg_query.Node_CaseExpr:
		return v.CaseExpr.Location
	case *pg_query.Node_AArrayExpr:
		return v.AArrayExpr.Location
	case *pg_query.Node_RowExpr:
		return v.RowExpr.Location
	}
	return -1
}

// intLiteral returns a constant integer node's value.
func intLiteral(n *pg_query.Node) (int64, bool) {
	c := n.GetAConst()
	if c == nil || c.Isnull {
		return 0, false
	}
	if iv, ok := c.Val.(*pg_query.A_Const_Ival); ok {
		return int64(iv.Ival.Ival), true
	}
	if fv, ok := c.Val.(*pg_query.A_Const_Fval); ok {
		v, err := strconv.ParseInt(fv.Fval.Fval, 10, 64)
		return v, err == nil
	}
	return 0, false
}
