package gmsengine

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/plan"
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/pqsql/pqsql/sqlengine"
	"github.com/pqsql/pqsql/tables"
	"github.com/pqsql/pqsql/tombstone"
)

// keyPlan runs the two statement shapes that dominate point access, by key,
// without GMS:
//
//	SELECT cols | * FROM t WHERE key = v      (or key IN (v, ...))
//	                       [ORDER BY cols] [LIMIT n | FETCH FIRST n ROWS ONLY]
//	DELETE FROM t WHERE key = v               (or key IN (v, ...)), no RETURNING
//
// where each v is a constant or a parameter. GMS analyzes every execution
// afresh (hundreds of microseconds) and evaluates IN lists row by row;
// this plan goes straight to the table's key index (tables.Table.LookupKeys,
// tables.Table.Delete), so a prepared point lookup costs microseconds.
//
// Such a statement is planned without GMS (planKeyStatement): the table is
// resolved by its exact name among the data tables, so __raw__ views and
// catalog relations never take this path, and the result is described as
// GMS would describe it. keyPlan hands the execution back to GMS whenever
// a value is not one it can use exactly (NULL aside, which matches
// nothing), or an ORDER BY has more than one row to sort: GMS then plans
// and answers as before, errors included.
type keyPlan struct {
	table *tables.Table
	// cols are the table columns a SELECT returns, in order, and names
	// their result column names.
	cols  []int
	names []string
	kinds []valueKind
	// del is set for a DELETE.
	del bool
	// args are the key values: a constant, or a parameter.
	args []keyArg
	// searchPath is the session's search_path when the plan was made: a
	// change can make the table name resolve elsewhere.
	searchPath string
	// limit is a SELECT's LIMIT (or FETCH FIRST) count, -1 for none, or
	// the parameter giving it when limitParam >= 0. limitLoc is the byte
	// offset of a constant count in the query text, -1 for the others.
	limit      int64
	limitParam int
	limitLoc   int32
	// ordered is set for a SELECT with an ORDER BY, of plain columns: the
	// plan answers only results of at most one row, which any order
	// sorts, and hands the others to GMS.
	ordered bool
}

// keyArg is one value of a key list.
type keyArg struct {
	// param is the 0-based parameter index, -1 for a constant.
	param int
	// key is the constant's key; null marks a NULL constant.
	key  tombstone.Key
	null bool
	// loc is the byte offset of a non-NULL constant in the query text (of
	// its minus sign, for a negative number), -1 for the others.
	loc int32
}

// planKeyAccess returns the key plan of the statement GMS planned as node,
// or nil when the statement is not of a shape keyPlan runs.
func (st *statement) planKeyAccess(ctx *sql.Context, node sql.Node) *keyPlan {
	var (
		rv      *pg_query.RangeVar
		where   *pg_query.Node
		targets []*pg_query.Node
		sorts   []*pg_query.Node
		// limitNode is a SELECT's LIMIT count.
		limitNode *pg_query.Node
		del       bool
	)
	switch {
	case st.pg.Node.GetSelectStmt() != nil:
		sel := st.pg.Node.GetSelectStmt()
		if len(sel.DistinctClause) > 0 || sel.IntoClause != nil || len(sel.GroupClause) > 0 ||
			sel.HavingClause != nil || len(sel.WindowClause) > 0 || len(sel.ValuesLists) > 0 ||
			sel.LimitOffset != nil || sel.LimitOption == pg_query.LimitOption_LIMIT_OPTION_WITH_TIES ||
			len(sel.LockingClause) > 0 || sel.WithClause != nil || sel.Op != pg_query.SetOperation_SETOP_NONE ||
			len(sel.FromClause) != 1 || sel.FromClause[0].GetRangeVar() == nil {
			return nil
		}
		rv, where, targets = sel.FromClause[0].GetRangeVar(), sel.WhereClause, sel.TargetList
		sorts, limitNode = sel.SortClause, sel.LimitCount
	case st.pg.Node.GetDeleteStmt() != nil:
		d := st.pg.Node.GetDeleteStmt()
		if len(d.UsingClause) > 0 || len(d.ReturningList) > 0 || d.WithClause != nil || d.Relation == nil {
			return nil
		}
		rv, where, del = d.Relation, d.WhereClause, true
	default:
		return nil
	}
	if where == nil || !rv.Inh || rv.Catalogname != "" {
		return nil
	}
	tt := st.keyPlanTable(ctx, node, rv, del)
	if tt == nil {
		return nil
	}
	qualifier := rv.Relname
	if rv.Alias != nil {
		if len(rv.Alias.Colnames) > 0 {
			return nil
		}
		qualifier = rv.Alias.Aliasname
	}
	columns := tt.Columns()
	// qualified reports whether fields, all but the last of a column
	// reference, name the table: "t", or "public"."t" when it has no alias
	// (the table is public's: see keyPlanTable), as Metabase writes them.
	qualified := func(fields []*pg_query.Node) bool {
		name := func(i int) string {
			if s := fields[i].GetString_(); s != nil {
				return s.Sval
			}
			return "\x00"
		}
		switch len(fields) {
		case 0:
			return true
		case 1:
			return name(0) == qualifier
		case 2:
			return rv.Alias == nil && name(0) == "public" && name(1) == rv.Relname
		}
		return false
	}
	colIndex := func(n *pg_query.Node) int {
		cr := n.GetColumnRef()
		if cr == nil || len(cr.Fields) == 0 || !qualified(cr.Fields[:len(cr.Fields)-1]) {
			return -1
		}
		f := cr.Fields[len(cr.Fields)-1:]
		name := f[0].GetString_()
		if name == nil {
			return -1
		}
		for i, c := range columns {
			if c.Name == name.Sval {
				return i
			}
		}
		return -1
	}
	kp := &keyPlan{table: tt, del: del, limit: -1, limitParam: -1, limitLoc: -1}
	kp.searchPath, _ = st.s.settings.get("search_path")
	if limitNode != nil {
		var ok bool
		if kp.limit, kp.limitParam, kp.limitLoc, ok = st.limitOf(limitNode); !ok {
			return nil
		}
	}
	if !del {
		for _, tg := range targets {
			rt := tg.GetResTarget()
			if rt == nil || rt.Val == nil {
				return nil
			}
			if cr := rt.Val.GetColumnRef(); cr != nil && len(cr.Fields) > 0 && cr.Fields[len(cr.Fields)-1].GetAStar() != nil {
				if !qualified(cr.Fields[:len(cr.Fields)-1]) {
					return nil
				}
				for i, c := range columns {
					kp.cols = append(kp.cols, i)
					kp.names = append(kp.names, c.Name)
				}
				continue
			}
			c := colIndex(rt.Val)
			if c < 0 {
				return nil
			}
			kp.cols = append(kp.cols, c)
			name := columns[c].Name
			if rt.Name != "" {
				name = rt.Name
			}
			kp.names = append(kp.names, name)
		}
		if len(kp.cols) == 0 || node != nil && len(kp.cols) != len(st.pgTypes) {
			return nil
		}
		for _, c := range kp.cols {
			kp.kinds = append(kp.kinds, kindOf(columns[c].Type))
		}
		// ORDER BY plain columns of the table, or output positions.
		for _, n := range sorts {
			sb := n.GetSortBy()
			if sb == nil || len(sb.UseOp) > 0 {
				return nil
			}
			if c := sb.Node.GetAConst(); c != nil && c.GetIval() != nil {
				if pos := c.GetIval().Ival; pos < 1 || int(pos) > len(kp.cols) {
					return nil
				}
			} else if colIndex(sb.Node) < 0 {
				return nil
			}
			kp.ordered = true
		}
	}
	// WHERE key = v, v = key or key IN (v, ...).
	ax := where.GetAExpr()
	if ax == nil || len(ax.Name) != 1 || ax.Name[0].GetString_() == nil {
		return nil
	}
	key := tt.KeyColumn()
	keyType := columns[key].Type
	var values []*pg_query.Node
	switch {
	case ax.Kind == pg_query.A_Expr_Kind_AEXPR_OP && ax.Name[0].GetString_().Sval == "=":
		switch {
		case colIndex(ax.Lexpr) == key:
			values = []*pg_query.Node{ax.Rexpr}
		case colIndex(ax.Rexpr) == key:
			values = []*pg_query.Node{ax.Lexpr}
		default:
			return nil
		}
	case ax.Kind == pg_query.A_Expr_Kind_AEXPR_IN && ax.Name[0].GetString_().Sval == "=":
		if colIndex(ax.Lexpr) != key || ax.Rexpr.GetList() == nil {
			return nil
		}
		values = ax.Rexpr.GetList().Items
	default:
		return nil
	}
	for _, v := range values {
		arg, ok := st.keyArgOf(tt, keyType, v)
		if !ok {
			return nil
		}
		kp.args = append(kp.args, arg)
	}
	return kp
}

// keyPlanTable returns the table a key plan reads: the one GMS resolved
// the name to in node, its plan of the statement (exactly one scan of a
// pqsql table, not a raw view); or, with node nil, the data table of that
// exact name (see planKeyStatement).
func (st *statement) keyPlanTable(ctx *sql.Context, node sql.Node, rv *pg_query.RangeVar, del bool) *tables.Table {
	if rv.Schemaname != "" && rv.Schemaname != "public" {
		return nil
	}
	if node == nil {
		// Unqualified pg_* names resolve to pg_catalog first.
		if strings.HasPrefix(rv.Relname, "pg_") {
			return nil
		}
		t := st.s.e.catalog.Table(rv.Relname)
		if t == nil || t.Err() != nil || t.Name() != rv.Relname {
			return nil
		}
		return t
	}
	var tbl *table
	count := 0
	inspectAll(ctx, node, func(n sql.Node) {
		if tn, ok := n.(sql.TableNode); ok {
			count++
			if t, ok := tn.UnderlyingTable().(*table); ok {
				tbl = t
			}
		}
		if _, ok := n.(*plan.TableAlias); ok {
			count-- // its child is counted
		}
	})
	if tbl == nil || count != 1 || tbl.raw || tbl.t.Err() != nil || rv.Relname != tbl.t.Name() {
		return nil
	}
	return tbl.t
}

// keyArgOf converts one value of the key list: an integer constant for an
// integer key, a string constant for a text key, or a parameter whose type
// is the key's own family.
func (st *statement) keyArgOf(t *tables.Table, keyType tables.Type, v *pg_query.Node) (keyArg, bool) {
	intKey := keyType.OID == sqlengine.Int2OID || keyType.OID == sqlengine.Int4OID || keyType.OID == sqlengine.Int8OID
	textKey := keyType.OID == sqlengine.TextOID
	if !intKey && !textKey {
		return keyArg{}, false
	}
	if p := v.GetParamRef(); p != nil {
		i := int(p.Number) - 1
		if i < 0 || i >= len(st.paramTypes) {
			return keyArg{}, false
		}
		if st.paramTypes[i] == 0 {
			// Unspecified: described as the key's type, as GMS's
			// inference would.
			st.paramTypes[i] = keyType.OID
		}
		switch st.paramTypes[i] {
		case sqlengine.Int2OID, sqlengine.Int4OID, sqlengine.Int8OID:
			if !intKey {
				return keyArg{}, false
			}
		case sqlengine.TextOID, sqlengine.VarcharOID:
			if !textKey {
				return keyArg{}, false
			}
		default:
			return keyArg{}, false
		}
		return keyArg{param: i, loc: -1}, true
	}
	c := v.GetAConst()
	if c == nil {
		return keyArg{}, false
	}
	if c.Isnull {
		return keyArg{param: -1, null: true, loc: -1}, true
	}
	var val any
	switch {
	case intKey && c.GetIval() != nil:
		val = int64(c.GetIval().Ival)
	case intKey && c.GetFval() != nil:
		// Integers beyond int4 arrive as Float nodes; only whole ones can
		// equal an integer key exactly.
		n, err := strconv.ParseInt(c.GetFval().Fval, 10, 64)
		if err != nil {
			return keyArg{}, false
		}
		val = n
	case textKey && c.GetSval() != nil:
		val = c.GetSval().Sval
	default:
		return keyArg{}, false
	}
	k, err := t.Key(val)
	if err != nil {
		return keyArg{}, false
	}
	return keyArg{param: -1, key: k, loc: c.Location}, true
}

// limitOf converts a SELECT's LIMIT count: a constant (NULL for none, as
// LIMIT ALL is), or a parameter of an integer type (described as int8 when
// unspecified, as PostgreSQL does). ok is false for any other count and
// for a negative constant, whose error GMS reports.
func (st *statement) limitOf(n *pg_query.Node) (limit int64, param int, loc int32, ok bool) {
	if p := n.GetParamRef(); p != nil {
		i := int(p.Number) - 1
		if i < 0 || i >= len(st.paramTypes) {
			return 0, 0, 0, false
		}
		if st.paramTypes[i] == 0 {
			st.paramTypes[i] = sqlengine.Int8OID
		}
		switch st.paramTypes[i] {
		case sqlengine.Int2OID, sqlengine.Int4OID, sqlengine.Int8OID:
			return 0, i, -1, true
		}
		return 0, 0, 0, false
	}
	c := n.GetAConst()
	switch {
	case c == nil:
		return 0, 0, 0, false
	case c.Isnull:
		return -1, -1, -1, true
	case c.GetIval() != nil:
		limit = int64(c.GetIval().Ival)
	case c.GetFval() != nil:
		var err error
		if limit, err = strconv.ParseInt(c.GetFval().Fval, 10, 64); err != nil {
			return 0, 0, 0, false
		}
	default:
		return 0, 0, 0, false
	}
	if limit < 0 {
		return 0, 0, 0, false
	}
	return limit, -1, c.Location, true
}

// limitFor returns the plan's row limit for params, -1 for none; ok is
// false when a parameter's value is not one the plan can use.
func (kp *keyPlan) limitFor(params []any) (limit int64, ok bool) {
	if kp.limitParam < 0 {
		return kp.limit, true
	}
	if kp.limitParam >= len(params) {
		return 0, false
	}
	switch v := params[kp.limitParam].(type) {
	case nil:
		return -1, true
	case int16:
		limit = int64(v)
	case int32:
		limit = int64(v)
	case int64:
		limit = v
	default:
		return 0, false
	}
	// A negative count is an error GMS reports.
	return limit, limit >= 0
}

// appendKeys appends the plan's key values for params, without NULLs, to
// keys. ok is false when a parameter value is not one the plan can use
// exactly.
func (kp *keyPlan) appendKeys(keys []tombstone.Key, params []any) (_ []tombstone.Key, ok bool) {
	for _, a := range kp.args {
		switch {
		case a.null:
			continue
		case a.param < 0:
			keys = append(keys, a.key)
			continue
		}
		if a.param >= len(params) {
			return nil, false
		}
		v := params[a.param]
		if v == nil {
			continue // key = NULL matches nothing
		}
		switch v.(type) {
		case int16, int32, int64, string:
		default:
			return nil, false
		}
		k, err := kp.table.Key(v)
		if err != nil {
			return nil, false
		}
		keys = append(keys, k)
	}
	return keys, true
}

// usable reports whether the plan still applies in the session: the table
// name still resolves to the same table.
func (kp *keyPlan) usable(s *session) bool {
	if path, _ := s.settings.get("search_path"); path != kp.searchPath {
		return false
	}
	return s.e.catalog.Table(kp.table.Name()) == kp.table && kp.table.Err() == nil
}

// execute runs the plan, or returns ok false to have GMS run the statement.
func (st *statement) executeKeyPlan(ctx context.Context, kp *keyPlan, params []any) (rows sqlengine.Rows, ok bool, err error) {
	s := st.s
	if !kp.usable(s) {
		return nil, false, nil
	}
	// A point lookup's key stays on the stack.
	var buf [4]tombstone.Key
	keys, ok := kp.appendKeys(buf[:0], params)
	if !ok {
		return nil, false, nil
	}
	if kp.del {
		if s.role == RoleReader {
			return nil, true, sqlengine.Errorf(sqlengine.CodeInsufficientPrivilege, "permission denied for table %s", kp.table.Name())
		}
		// deleteKeys lets its keys escape (through Scan and Delete): a
		// copy keeps buf on the stack for the SELECTs.
		n, err := st.deleteKeys(ctx, kp, slices.Clone(keys))
		if err != nil {
			return nil, true, err
		}
		return &staticRows{tag: "DELETE " + strconv.FormatInt(n, 10)}, true, nil
	}
	limit, ok := kp.limitFor(params)
	if !ok {
		return nil, false, nil
	}
	res := &keyRows{}
	res.rows = res.first[:0]
	if err := st.selectKeys(ctx, kp, keys, &res.rows); err != nil {
		return nil, true, err
	}
	if kp.ordered && len(res.rows) > 1 {
		return nil, false, nil // rows to sort: GMS's job
	}
	if limit >= 0 && int64(len(res.rows)) > limit {
		res.rows = res.rows[:limit]
	}
	res.cols, res.tag = st.columns, selectTag(len(res.rows))
	return res, true, nil
}

// keyRows is the result of a key plan's SELECT: staticRows with room for
// one row, so that a point lookup's result is one allocation, not two.
type keyRows struct {
	staticRows
	first [1][]any
}

// selectTag returns the command tag of a SELECT of n rows, without
// building a string for the counts of a point lookup.
func selectTag(n int) string {
	switch n {
	case 0:
		return "SELECT 0"
	case 1:
		return "SELECT 1"
	}
	return "SELECT " + strconv.Itoa(n)
}

// selectKeys appends to out the visible rows with one of keys, as
// canonical values: each value goes from the cached Arrow chunk straight to
// the value the server encodes (see directCanonical), without a record or
// a GMS row.
func (st *statement) selectKeys(ctx context.Context, kp *keyPlan, keys []tombstone.Key, out *[][]any) error {
	var (
		// valueErr is an error of fn's, mapped already.
		valueErr error
		// loc is the session's time zone, looked up only for a value
		// without a direct conversion.
		loc *time.Location
	)
	err := kp.table.LookupKeys(ctx, keys, kp.cols, st.s.pending[kp.table], func(r tables.KeyRow) error {
		vals := make([]any, len(kp.cols))
		for i := range vals {
			arr, row := r.Column(i)
			v, ok := directCanonical(arr, row, st.pgTypes[i])
			if !ok {
				if loc == nil {
					loc = st.s.settings.location()
				}
				b, err := boxValue(arr, kp.kinds[i], row)
				if err != nil {
					valueErr = st.keyPlanError(ctx, kp, err)
					return valueErr
				}
				if v, err = canonical(b, st.pgTypes[i], loc); err != nil {
					valueErr = st.mapError(err)
					return valueErr
				}
			}
			vals[i] = v
		}
		*out = append(*out, vals)
		return nil
	})
	switch {
	case valueErr != nil:
		return valueErr
	case err != nil:
		return st.keyPlanError(ctx, kp, err)
	}
	return nil
}

// deleteKeys deletes the rows with one of keys and returns how many
// visible rows it removed: durably at once outside a transaction block,
// else for this session until COMMIT, as the GMS path does.
func (st *statement) deleteKeys(ctx context.Context, kp *keyPlan, keys []tombstone.Key) (int64, error) {
	s := st.s
	if len(keys) == 0 {
		return 0, nil
	}
	vals := make([]any, len(keys))
	for i, k := range keys {
		vals[i] = k
	}
	if s.inTx {
		// Count what this session sees, then hide it for the session.
		sc, err := kp.table.Scan(ctx, tables.ScanOptions{Keys: keys, Pending: s.pending[kp.table]})
		if err != nil {
			return 0, st.keyPlanError(ctx, kp, err)
		}
		defer sc.Close()
		var n int64
		for {
			b, err := sc.Next(ctx)
			if err == io.EOF {
				break
			}
			if err != nil {
				return 0, st.keyPlanError(ctx, kp, err)
			}
			n += b.Record.NumRows()
			b.Record.Release()
		}
		if err := s.addPending(kp.table, vals); err != nil {
			return 0, err
		}
		return n, nil
	}
	if err := kp.table.Err(); err != nil {
		return 0, st.keyPlanError(ctx, kp, err)
	}
	res, err := kp.table.Delete(ctx, vals, s.info.User, s.erasureReason())
	if err != nil {
		return 0, st.keyPlanError(ctx, kp, err)
	}
	s.e.releaseAfterBulkDelete(len(vals))
	return res.RowsHidden, nil
}

// keyPlanError maps an error of a key plan's table access.
func (st *statement) keyPlanError(ctx context.Context, kp *keyPlan, err error) error {
	if ctx.Err() != nil {
		return canceledError(ctx.Err())
	}
	if kp.table.Err() != nil {
		return &sqlengine.Error{Code: sqlengine.CodeDataCorrupted,
			Message: fmt.Sprintf("table %q is unavailable: %v", kp.table.Name(), kp.table.Err()), Err: err}
	}
	if kp.del {
		return fmt.Errorf("delete from %q by key: %w", kp.table.Name(), err)
	}
	return fmt.Errorf("read %q by key: %w", kp.table.Name(), err)
}

// planKeyStatement makes the key plan of a statement of key plan shape
// without GMS: GMS's analysis costs far more than a point query, and than
// a DELETE of thousands of keys pasted into an IN list. It resolves the
// table by its exact name among the data tables (any other name, a
// __raw__ view say, goes to GMS) and describes the result columns as GMS
// would: names, types, and the table and attribute numbers of their
// origin. It reports whether it made a plan.
func (st *statement) planKeyStatement(ctx context.Context) bool {
	kp := st.planKeyAccess(nil, nil)
	if kp == nil {
		return false
	}
	if kp.del {
		st.keyPlan, st.columns, st.pgTypes = kp, nil, nil
		return true
	}
	a := st.s.e.db.adapter(kp.table, false)
	if a == nil {
		return false
	}
	sctx := st.s.newContext(ctx, st.pg.SQL)
	oid := st.s.e.db.tableOID(sctx, kp.table.Name())
	st.columns = make([]sqlengine.Column, len(kp.cols))
	st.pgTypes = make([]pgType, len(kp.cols))
	for i, c := range kp.cols {
		t := pgTypeOf(a.schema[c])
		st.pgTypes[i] = t
		st.columns[i] = sqlengine.Column{Name: kp.names[i], TypeOID: t.OID, TypeSize: t.Size, TypeModifier: t.Typmod,
			TableOID: oid, AttrNum: int16(c + 1)}
	}
	st.keyPlan = kp
	return true
}
