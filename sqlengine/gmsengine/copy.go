package gmsengine

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/pqsql/pqsql/sqlengine"
)

// execCopy runs COPY ... TO STDOUT. The rows come from a query planned like
// any SELECT (so access rules apply unchanged); the server formats them as
// COPY data following the returned rows' CopyFormat.
func (st *statement) execCopy(ctx context.Context) (sqlengine.Rows, error) {
	cs := st.pg.Node.GetCopyStmt()
	if cs.GetFilename() != "" || cs.GetIsProgram() {
		return nil, st.copyFileError(cs)
	}
	if cs.GetIsFrom() {
		return nil, sqlengine.Errorf(sqlengine.CodeFeatureNotSupported, "COPY FROM is not supported: pqsql tables are read-only")
	}
	if cs.GetWhereClause() != nil {
		return nil, sqlengine.Errorf(sqlengine.CodeFeatureNotSupported, "WHERE clause not allowed with COPY TO")
	}
	var query *pg_query.Node
	var names []string // the table's columns, for a relation
	if rel := cs.GetRelation(); rel != nil {
		// Plan SELECT * first: it resolves the table as any query does and
		// names its columns.
		all := &statement{s: st.s, pg: st.pg, charOffset: st.charOffset, kind: stmtGMS}
		all.pg.Node, all.pg.NumParams = selectFrom(rel, nil), 0
		if err := all.plan(ctx); err != nil {
			return nil, err
		}
		for _, c := range all.columns {
			names = append(names, c.Name)
		}
	}
	f, forceQuote, err := st.copyOptions(cs.GetOptions())
	if err != nil {
		return nil, err
	}
	var rows sqlengine.Rows
	if rel := cs.GetRelation(); rel != nil {
		cols := names
		if len(cs.GetAttlist()) > 0 {
			cols = cols[:0:0]
			for _, a := range cs.GetAttlist() {
				name := a.GetString_().GetSval()
				if err := checkCopyColumn(rel.GetRelname(), names, name); err != nil {
					return nil, err
				}
				for _, c := range cols {
					if c == name {
						return nil, sqlengine.Errorf("42701", "column %q specified more than once", name)
					}
				}
				cols = append(cols, name)
			}
		}
		if forceQuote != nil {
			for _, name := range forceQuote {
				if err := checkCopyColumn(rel.GetRelname(), names, name); err != nil {
					return nil, err
				}
				if !containsString(cols, name) {
					return nil, sqlengine.Errorf("42P10", "FORCE_QUOTE column %q not referenced by COPY", name)
				}
			}
		}
		query = selectFrom(rel, cols)
		if rows, err = st.copySubquery(ctx, query); err != nil {
			return nil, err
		}
	} else {
		query = cs.GetQuery()
		if query.GetSelectStmt() == nil && len(returningList(query)) == 0 {
			return nil, sqlengine.Errorf(sqlengine.CodeFeatureNotSupported, "COPY query must have a RETURNING clause")
		}
		if rows, err = st.copySubquery(ctx, query); err != nil {
			return nil, err
		}
		if forceQuote != nil {
			var names []string
			for _, c := range rows.Columns() {
				names = append(names, c.Name)
			}
			for _, name := range forceQuote {
				if !containsString(names, name) {
					rows.Close()
					return nil, sqlengine.Errorf(sqlengine.CodeUndefinedColumn, "column %q does not exist", name)
				}
			}
		}
	}
	cols := rows.Columns()
	if forceQuote != nil {
		f.ForceQuote = make([]bool, len(cols))
		for i, c := range cols {
			f.ForceQuote[i] = len(forceQuote) == 0 || containsString(forceQuote, c.Name)
		}
	}
	return &copyRows{Rows: rows, format: f}, nil
}

// copyFileError is PostgreSQL's answer to COPY to or from a server file or
// program: only superusers may, and pqsql lets no one.
func (st *statement) copyFileError(cs *pg_query.CopyStmt) error {
	dir, what := "to", "file"
	if cs.GetIsFrom() {
		dir = "from"
	}
	if cs.GetIsProgram() {
		what = "program"
	}
	if st.s.role != RoleAdmin {
		role := "pg_write_server_files"
		switch {
		case cs.GetIsProgram():
			role = "pg_execute_server_program"
		case cs.GetIsFrom():
			role = "pg_read_server_files"
		}
		return &sqlengine.Error{Code: sqlengine.CodeInsufficientPrivilege,
			Message: fmt.Sprintf("must be superuser or have privileges of the %s role to COPY %s a %s", role, dir, what),
			Hint:    "Anyone can COPY to stdout or from stdin. psql's \\copy command also works for anyone."}
	}
	return sqlengine.Errorf(sqlengine.CodeFeatureNotSupported, "COPY %s a %s is not supported", dir, what)
}

// copySubquery plans and runs query as a SELECT of the session.
func (st *statement) copySubquery(ctx context.Context, query *pg_query.Node) (sqlengine.Rows, error) {
	inner := &statement{s: st.s, pg: st.pg, charOffset: st.charOffset, kind: stmtGMS}
	inner.pg.Node = query
	inner.pg.NumParams = 0
	return inner.execGMS(ctx, nil)
}

// selectFrom builds SELECT cols FROM rel (all columns when cols is nil).
func selectFrom(rel *pg_query.RangeVar, cols []string) *pg_query.Node {
	var targets []*pg_query.Node
	if cols == nil {
		targets = append(targets, resTarget(&pg_query.Node{Node: &pg_query.Node_AStar{AStar: &pg_query.A_Star{}}}, rel.GetLocation()))
	}
	for _, c := range cols {
		targets = append(targets, resTarget(pg_query.MakeStrNode(c), rel.GetLocation()))
	}
	return &pg_query.Node{Node: &pg_query.Node_SelectStmt{SelectStmt: &pg_query.SelectStmt{
		TargetList:  targets,
		FromClause:  []*pg_query.Node{{Node: &pg_query.Node_RangeVar{RangeVar: rel}}},
		Op:          pg_query.SetOperation_SETOP_NONE,
		LimitOption: pg_query.LimitOption_LIMIT_OPTION_DEFAULT,
	}}}
}

func resTarget(field *pg_query.Node, location int32) *pg_query.Node {
	ref := &pg_query.Node{Node: &pg_query.Node_ColumnRef{ColumnRef: &pg_query.ColumnRef{
		Fields: []*pg_query.Node{field}, Location: location}}}
	return &pg_query.Node{Node: &pg_query.Node_ResTarget{ResTarget: &pg_query.ResTarget{Val: ref, Location: location}}}
}

func checkCopyColumn(table string, names []string, name string) error {
	if !containsString(names, name) {
		return sqlengine.Errorf(sqlengine.CodeUndefinedColumn, "column %q of relation %q does not exist", name, table)
	}
	return nil
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// copyOptions checks COPY TO's options as PostgreSQL 15's ProcessCopyOptions
// does. forceQuote is nil without FORCE_QUOTE, empty for FORCE_QUOTE *.
func (st *statement) copyOptions(opts []*pg_query.Node) (f sqlengine.CopyFormat, forceQuote []string, err error) {
	var format, delim, null, quote, escape *string
	var header, forceAll bool
	seen := map[string]bool{}
	for _, o := range opts {
		d := o.GetDefElem()
		if d == nil {
			continue
		}
		name := d.GetDefname()
		if seen[name] {
			return f, nil, &sqlengine.Error{Code: sqlengine.CodeSyntaxError, Message: "conflicting or redundant options",
				Position: st.nodePosition(d.GetLocation())}
		}
		seen[name] = true
		switch name {
		case "format":
			v, err := defString(d)
			if err != nil {
				return f, nil, err
			}
			switch v {
			case "text", "csv", "binary":
			default:
				return f, nil, &sqlengine.Error{Code: sqlengine.CodeInvalidParameterValue,
					Message: fmt.Sprintf("COPY format %q not recognized", v), Position: st.nodePosition(d.GetLocation())}
			}
			format = &v
		case "freeze":
			if _, err := defBool(d, name); err != nil {
				return f, nil, err
			}
		case "delimiter", "null", "quote", "escape", "encoding":
			v, err := defString(d)
			if err != nil {
				return f, nil, err
			}
			switch name {
			case "delimiter":
				delim = &v
			case "null":
				null = &v
			case "quote":
				quote = &v
			case "escape":
				escape = &v
			case "encoding":
				if n := strings.ToLower(strings.NewReplacer("-", "", "_", "").Replace(v)); n != "utf8" && n != "unicode" {
					return f, nil, sqlengine.Errorf(sqlengine.CodeFeatureNotSupported, "COPY encoding %q is not supported: pqsql writes UTF8", v)
				}
			}
		case "header":
			if s := d.GetArg().GetString_(); s != nil && strings.EqualFold(s.GetSval(), "match") {
				return f, nil, &sqlengine.Error{Code: sqlengine.CodeFeatureNotSupported,
					Message: `cannot use "match" with HEADER in COPY TO`, Position: st.nodePosition(d.GetLocation())}
			}
			b, err := defBool(d, name)
			if err != nil {
				return f, nil, &sqlengine.Error{Code: sqlengine.CodeSyntaxError,
					Message: `header requires a Boolean value or "match"`, Position: st.nodePosition(d.GetLocation())}
			}
			header = b
		case "force_quote":
			if d.GetArg().GetAStar() != nil {
				forceAll = true
				break
			}
			list := d.GetArg().GetList()
			if list == nil {
				return f, nil, &sqlengine.Error{Code: sqlengine.CodeSyntaxError,
					Message: fmt.Sprintf("argument to option %q must be a list of column names", name), Position: st.nodePosition(d.GetLocation())}
			}
			forceQuote = []string{}
			for _, item := range list.GetItems() {
				forceQuote = append(forceQuote, item.GetString_().GetSval())
			}
		case "force_not_null", "force_null", "convert_selectively":
			// Checked below, after the format is known.
		default:
			return f, nil, &sqlengine.Error{Code: sqlengine.CodeSyntaxError,
				Message: fmt.Sprintf("option %q not recognized", name), Position: st.nodePosition(d.GetLocation())}
		}
	}
	if forceAll {
		forceQuote = []string{}
	}
	f.Format = "text"
	if format != nil {
		f.Format = *format
	}
	csv, bin := f.Format == "csv", f.Format == "binary"
	notSupported := func(msg string) error { return sqlengine.Errorf(sqlengine.CodeFeatureNotSupported, "%s", msg) }
	invalid := func(msg string) error { return sqlengine.Errorf(sqlengine.CodeInvalidParameterValue, "%s", msg) }
	if bin && delim != nil {
		return f, nil, sqlengine.Errorf(sqlengine.CodeSyntaxError, "cannot specify DELIMITER in BINARY mode")
	}
	if bin && null != nil {
		return f, nil, sqlengine.Errorf(sqlengine.CodeSyntaxError, "cannot specify NULL in BINARY mode")
	}
	d, n := "\t", `\N`
	if csv {
		d, n = ",", ""
	}
	if delim != nil {
		d = *delim
	}
	if null != nil {
		n = *null
	}
	q, e := `"`, ""
	if quote != nil {
		q = *quote
	}
	if escape != nil {
		e = *escape
	} else {
		e = q
	}
	switch {
	case len(d) != 1:
		return f, nil, notSupported("COPY delimiter must be a single one-byte character")
	case d == "\r" || d == "\n":
		return f, nil, invalid("COPY delimiter cannot be newline or carriage return")
	case strings.ContainsAny(n, "\r\n"):
		return f, nil, invalid("COPY null representation cannot use newline or carriage return")
	case !csv && strings.Contains(`\.abcdefghijklmnopqrstuvwxyz0123456789`, d):
		return f, nil, invalid(fmt.Sprintf("COPY delimiter cannot be %q", d))
	case bin && header:
		return f, nil, notSupported("cannot specify HEADER in BINARY mode")
	case !csv && quote != nil:
		return f, nil, notSupported("COPY quote available only in CSV mode")
	case csv && len(q) != 1:
		return f, nil, notSupported("COPY quote must be a single one-byte character")
	case csv && d[0] == q[0]:
		return f, nil, invalid("COPY delimiter and quote must be different")
	case !csv && escape != nil:
		return f, nil, notSupported("COPY escape available only in CSV mode")
	case csv && len(e) != 1:
		return f, nil, notSupported("COPY escape must be a single one-byte character")
	case !csv && forceQuote != nil:
		return f, nil, notSupported("COPY force quote available only in CSV mode")
	case !csv && seen["force_not_null"]:
		return f, nil, notSupported("COPY force not null available only in CSV mode")
	case seen["force_not_null"]:
		return f, nil, notSupported("COPY force not null only available using COPY FROM")
	case !csv && seen["force_null"]:
		return f, nil, notSupported("COPY force null available only in CSV mode")
	case seen["force_null"]:
		return f, nil, notSupported("COPY force null only available using COPY FROM")
	case strings.Contains(n, d):
		return f, nil, invalid("COPY delimiter must not appear in the NULL specification")
	case csv && strings.Contains(n, q):
		return f, nil, invalid("CSV quote character must not appear in the NULL specification")
	}
	f.Delimiter, f.Null, f.Header = d[0], n, header
	if csv {
		f.Quote, f.Escape = q[0], e[0]
	}
	return f, forceQuote, nil
}

// defString is defGetString: the option's value as text.
func defString(d *pg_query.DefElem) (string, error) {
	a := d.GetArg()
	switch {
	case a == nil:
		return "", sqlengine.Errorf(sqlengine.CodeSyntaxError, "%s requires a parameter", d.GetDefname())
	case a.GetString_() != nil:
		return a.GetString_().GetSval(), nil
	case a.GetInteger() != nil:
		return strconv.Itoa(int(a.GetInteger().GetIval())), nil
	case a.GetFloat() != nil:
		return a.GetFloat().GetFval(), nil
	case a.GetBoolean() != nil:
		if a.GetBoolean().GetBoolval() {
			return "true", nil
		}
		return "false", nil
	}
	return "", sqlengine.Errorf(sqlengine.CodeSyntaxError, "%s requires a parameter", d.GetDefname())
}

// defBool is defGetBoolean.
func defBool(d *pg_query.DefElem, name string) (bool, error) {
	a := d.GetArg()
	if a == nil {
		return true, nil
	}
	if b := a.GetBoolean(); b != nil {
		return b.GetBoolval(), nil
	}
	if i := a.GetInteger(); i != nil {
		switch i.GetIval() {
		case 0:
			return false, nil
		case 1:
			return true, nil
		}
	} else if s, err := defString(d); err == nil {
		switch strings.ToLower(s) {
		case "true", "on":
			return true, nil
		case "false", "off":
			return false, nil
		}
	}
	return false, sqlengine.Errorf(sqlengine.CodeSyntaxError, "%s requires a Boolean value", name)
}

// position converts a parse tree location into an error position.
func (st *statement) nodePosition(location int32) int32 {
	if location < 0 {
		return 0
	}
	return int32(st.charOffset) + int32(len([]rune(st.pg.SQL[:min(max(int(location)-st.pg.Offset, 0), len(st.pg.SQL))]))) + 1
}

// copyRows is the result of COPY ... TO STDOUT.
type copyRows struct {
	sqlengine.Rows
	format sqlengine.CopyFormat
}

var _ sqlengine.CopyOutRows = (*copyRows)(nil)

// CopyFormat returns the checked COPY options.
func (r *copyRows) CopyFormat() sqlengine.CopyFormat { return r.format }

// Tag returns "COPY n".
func (r *copyRows) Tag() string {
	tag := r.Rows.Tag()
	return "COPY " + tag[strings.LastIndexByte(tag, ' ')+1:]
}

// returningList returns the RETURNING list of a data-modifying statement.
func returningList(n *pg_query.Node) []*pg_query.Node {
	switch {
	case n.GetDeleteStmt() != nil:
		return n.GetDeleteStmt().GetReturningList()
	case n.GetUpdateStmt() != nil:
		return n.GetUpdateStmt().GetReturningList()
	case n.GetInsertStmt() != nil:
		return n.GetInsertStmt().GetReturningList()
	}
	return nil
}
