package gmsengine

// This file holds VACUUM and ANALYZE, and the administrators' table
// pqsql_erasures.
//
// VACUUM runs package compact's physical compaction on the named tables
// (every table when none is named): the rows DELETEs hid are removed from
// the data files, the applied tombstones are dropped, and each erased key
// leaves an audit record holding only its HMAC under Options.AuditSecret.
// VACUUM FULL does the same work. ANALYZE is accepted and does nothing:
// pqsql keeps no planner statistics to refresh.
//
// As in PostgreSQL, the options are checked first (42601), then VACUUM is
// refused inside a transaction block, explicit or the implicit one of a
// multi-statement query (25001), then the relations are
// resolved (42P01), then the privilege is checked: only administrators may
// run either command (42501, where PostgreSQL would skip a table its user
// does not own with a WARNING). The administrators' views (__raw__t,
// pqsql_tombstones, pqsql_erasures) do not exist for other users, and are
// refused for administrators (0A000); catalog relations are skipped with
// PostgreSQL's WARNING.

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/pqsql/pqsql/compact"
	"github.com/pqsql/pqsql/sqlengine"
	"github.com/pqsql/pqsql/tables"
)

// erasuresTableName is the administrators' table listing the keys VACUUM
// erased.
const erasuresTableName = "pqsql_erasures"

// vacuumOptions are a VACUUM or ANALYZE statement's checked options.
type vacuumOptions struct {
	// vacuum is set for VACUUM, analyze for ANALYZE or VACUUM ANALYZE.
	vacuum, analyze bool
	verbose, full   bool
}

// cmd names the statement in messages: VACUUM or ANALYZE.
func (o vacuumOptions) cmd() string {
	if o.vacuum {
		return "VACUUM"
	}
	return "ANALYZE"
}

// verb is the statement's verb in PostgreSQL's messages: vacuum or analyze.
func (o vacuumOptions) verb() string { return strings.ToLower(o.cmd()) }

// vacuumTarget is one relation a VACUUM or ANALYZE names.
type vacuumTarget struct {
	// name is the relation's name, t its table unless skip is set.
	name string
	t    *tables.Table
	// skip, when set, is the WARNING the relation is skipped with (a
	// catalog relation).
	skip string
}

// execVacuum runs VACUUM or ANALYZE.
func (st *statement) execVacuum(ctx context.Context, vs *pg_query.VacuumStmt) (*staticRows, error) {
	s := st.s
	opts, err := st.vacuumOptions(vs)
	if err != nil {
		return nil, err
	}
	if opts.vacuum && (s.inTx || st.multi) {
		return nil, sqlengine.Errorf(sqlengine.CodeActiveSQLTransaction, "VACUUM cannot run inside a transaction block")
	}
	targets, err := st.vacuumTargets(ctx, vs, opts)
	if err != nil {
		return nil, err
	}
	if s.role != RoleAdmin {
		e := &sqlengine.Error{Code: sqlengine.CodeInsufficientPrivilege,
			Message: fmt.Sprintf("permission denied to %s database %q", opts.verb(), s.e.opts.Database),
			Hint:    "Only administrators may run " + opts.cmd() + "."}
		if len(vs.GetRels()) > 0 {
			e.Message = fmt.Sprintf("permission denied to %s %q", opts.verb(), targets[0].name)
		}
		return nil, e
	}
	if d := s.settings.statementTimeout(); d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	for _, tg := range targets {
		if tg.skip != "" {
			s.notice("WARNING", sqlengine.CodeWarning, tg.skip)
			continue
		}
		if opts.vacuum {
			if err := s.vacuumTable(ctx, tg.t, opts.verbose); err != nil {
				return nil, err
			}
		}
		if opts.analyze && opts.verbose {
			s.notice("INFO", sqlengine.CodeSuccessfulCompletion, fmt.Sprintf("analyzing \"%s.%s\"", gmsDatabase, tg.t.Name()))
		}
	}
	return &staticRows{tag: opts.cmd()}, nil
}

// vacuumOptions checks the statement's options as PostgreSQL 15's
// ExecVacuum does; the options pqsql has no use for are accepted.
func (st *statement) vacuumOptions(vs *pg_query.VacuumStmt) (vacuumOptions, error) {
	opts := vacuumOptions{vacuum: vs.GetIsVacuumcmd(), analyze: !vs.GetIsVacuumcmd()}
	for _, o := range vs.GetOptions() {
		d := o.GetDefElem()
		if d == nil {
			continue
		}
		name := d.GetDefname()
		var flag *bool
		switch name {
		case "verbose":
			flag = &opts.verbose
		case "skip_locked":
		case "analyze", "full", "freeze", "disable_page_skipping", "process_toast", "truncate":
			if !opts.vacuum {
				return opts, st.unrecognizedOption(opts, d)
			}
			switch name {
			case "analyze":
				flag = &opts.analyze
			case "full":
				flag = &opts.full
			}
		case "index_cleanup":
			if !opts.vacuum {
				return opts, st.unrecognizedOption(opts, d)
			}
			if s, err := defString(d); err == nil && strings.EqualFold(s, "auto") {
				continue
			}
		case "parallel":
			if !opts.vacuum {
				return opts, st.unrecognizedOption(opts, d)
			}
			if d.GetArg() == nil {
				return opts, &sqlengine.Error{Code: sqlengine.CodeSyntaxError,
					Message: "parallel option requires a value between 0 and 1024", Position: st.nodePosition(d.GetLocation())}
			}
			continue
		default:
			return opts, st.unrecognizedOption(opts, d)
		}
		b, err := defBool(d, name)
		if err != nil {
			return opts, err
		}
		if flag != nil {
			*flag = b
		}
	}
	for _, r := range vs.GetRels() {
		if len(r.GetVacuumRelation().GetVaCols()) > 0 && !opts.analyze {
			return opts, sqlengine.Errorf(sqlengine.CodeFeatureNotSupported, "ANALYZE option must be specified when a column list is provided")
		}
	}
	return opts, nil
}

// unrecognizedOption is PostgreSQL's error for an unknown option.
func (st *statement) unrecognizedOption(opts vacuumOptions, d *pg_query.DefElem) error {
	return &sqlengine.Error{Code: sqlengine.CodeSyntaxError,
		Message:  fmt.Sprintf("unrecognized %s option %q", opts.cmd(), d.GetDefname()),
		Position: st.nodePosition(d.GetLocation())}
}

// vacuumTargets resolves the relations the statement names, or lists every
// served table when it names none. Names resolve as in queries: exactly,
// else case-insensitively, in schema public.
func (st *statement) vacuumTargets(ctx context.Context, vs *pg_query.VacuumStmt, opts vacuumOptions) ([]vacuumTarget, error) {
	s := st.s
	d := s.e.db
	if len(vs.GetRels()) == 0 {
		var out []vacuumTarget
		for _, t := range d.catalog.Tables() {
			if strings.EqualFold(t.Name(), auditTableName) || strings.EqualFold(t.Name(), erasuresTableName) || d.adapter(t, false) == nil {
				continue
			}
			if err := t.Err(); err != nil {
				out = append(out, vacuumTarget{name: t.Name(), skip: fmt.Sprintf("skipping %q --- table is unavailable: %v", t.Name(), err)})
				continue
			}
			out = append(out, vacuumTarget{name: t.Name(), t: t})
		}
		return out, nil
	}
	admin := s.role == RoleAdmin
	out := make([]vacuumTarget, 0, len(vs.GetRels()))
	for _, r := range vs.GetRels() {
		vr := r.GetVacuumRelation()
		rv := vr.GetRelation()
		name, schema := rv.GetRelname(), rv.GetSchemaname()
		qualified := name
		if schema != "" {
			qualified = schema + "." + name
		}
		undefined := &sqlengine.Error{Code: sqlengine.CodeUndefinedTable,
			Message: fmt.Sprintf("relation %q does not exist", qualified), Position: st.nodePosition(rv.GetLocation())}
		if rv.GetCatalogname() != "" && rv.GetCatalogname() != s.e.opts.Database {
			return nil, &sqlengine.Error{Code: sqlengine.CodeFeatureNotSupported,
				Message:  fmt.Sprintf("cross-database references are not implemented: %s.%s", rv.GetCatalogname(), qualified),
				Position: st.nodePosition(rv.GetLocation())}
		}
		switch strings.ToLower(schema) {
		case "", gmsDatabase:
		case "pg_catalog", "information_schema":
			if !st.isCatalogRelation(ctx, schema, name) {
				return nil, undefined
			}
			out = append(out, vacuumTarget{name: name, skip: fmt.Sprintf("skipping %q --- cannot %s non-tables or special system tables", name, opts.verb())})
			continue
		default:
			return nil, undefined
		}
		lower := strings.ToLower(name)
		if lower == auditTableName || lower == erasuresTableName || strings.HasPrefix(lower, rawPrefix) {
			if !admin || strings.HasPrefix(lower, rawPrefix) && d.lookup(name[len(rawPrefix):]) == nil {
				return nil, undefined
			}
			e := &sqlengine.Error{Code: sqlengine.CodeFeatureNotSupported,
				Message:  fmt.Sprintf("cannot %s %q: it is a read-only view for administrators", opts.verb(), name),
				Position: st.nodePosition(rv.GetLocation())}
			if strings.HasPrefix(lower, rawPrefix) {
				e.Hint = fmt.Sprintf("%s the table itself: %s %s.", opts.cmd(), opts.cmd(), quoteIdent(d.lookup(name[len(rawPrefix):]).Name()))
			}
			return nil, e
		}
		t := d.lookup(name)
		if t == nil || d.adapter(t, false) == nil {
			if schema == "" && st.isCatalogRelation(ctx, "pg_catalog", name) {
				out = append(out, vacuumTarget{name: name, skip: fmt.Sprintf("skipping %q --- cannot %s non-tables or special system tables", name, opts.verb())})
				continue
			}
			return nil, undefined
		}
		for _, c := range vr.GetVaCols() {
			col := c.GetString_().GetSval()
			if !hasColumn(t, col) {
				return nil, sqlengine.Errorf(sqlengine.CodeUndefinedColumn, "column %q of relation %q does not exist", col, t.Name())
			}
		}
		if admin && opts.vacuum {
			if err := t.Err(); err != nil {
				return nil, &sqlengine.Error{Code: sqlengine.CodeDataCorrupted,
					Message: fmt.Sprintf("table %q is unavailable: %v", t.Name(), err), Err: err}
			}
		}
		out = append(out, vacuumTarget{name: t.Name(), t: t})
	}
	return out, nil
}

// isCatalogRelation reports whether schema.name is a relation of the
// catalogs the session can query.
func (st *statement) isCatalogRelation(ctx context.Context, schema, name string) bool {
	sctx := st.s.newContext(ctx, st.pg.SQL)
	db, err := st.s.e.gms.Analyzer.Catalog.Database(sctx, schema)
	if err != nil {
		return false
	}
	_, ok, err := db.GetTableInsensitive(sctx, name)
	return ok && err == nil
}

// hasColumn reports whether t has a column named name, matched as queries
// match column names: case-insensitively.
func hasColumn(t *tables.Table, name string) bool {
	for _, c := range t.Columns() {
		if strings.EqualFold(c.Name, name) {
			return true
		}
	}
	return false
}

// quoteIdent quotes an identifier when PostgreSQL would need it quoted.
func quoteIdent(s string) string {
	if isPlainIdent(s) {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// vacuumTable runs one table's VACUUM and reports it in INFO notices when
// verbose is set.
func (s *session) vacuumTable(ctx context.Context, t *tables.Table, verbose bool) error {
	secret := s.e.opts.AuditSecret
	if len(secret) == 0 && len(t.Tombstones()) > 0 {
		return &sqlengine.Error{Code: sqlengine.CodeObjectNotInPrerequisiteState,
			Message: fmt.Sprintf("cannot vacuum %q: no audit secret is configured", t.Name()),
			Detail:  "VACUUM records an HMAC of every key it erases, keyed by the audit secret.",
			Hint:    "Set audit_secret in the configuration file or PQSQL_AUDIT_SECRET, and restart pqsql."}
	}
	full := fmt.Sprintf("%s.%s.%s", s.e.opts.Database, gmsDatabase, t.Name())
	if verbose {
		s.notice("INFO", sqlengine.CodeSuccessfulCompletion, fmt.Sprintf("vacuuming %q", full))
	}
	res, err := compact.Vacuum(ctx, t, compact.Options{Actor: s.info.User, AuditSecret: secret, Logger: s.log})
	if err != nil {
		return vacuumError(ctx, t, err)
	}
	if verbose {
		s.notice("INFO", sqlengine.CodeSuccessfulCompletion, vacuumReport(full, res))
	}
	return nil
}

// vacuumReport is the INFO message of a finished VACUUM, in the manner of
// PostgreSQL 15's VACUUM VERBOSE: a first line naming the table, then one
// line per kind of figure.
func vacuumReport(full string, r compact.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "finished vacuuming %q: ", full)
	if r.Rewritten {
		fmt.Fprintf(&b, "files rewritten: %d", r.FilesBefore)
	} else {
		b.WriteString("nothing to do")
	}
	fmt.Fprintf(&b, "\nfiles: %d before, %d after", r.FilesBefore, r.FilesAfter)
	fmt.Fprintf(&b, "\ntuples: %d removed, %d remain", r.RowsRemoved, r.RowsRemaining)
	fmt.Fprintf(&b, "\ntombstones: %d applied", r.TombstonesApplied)
	after := strconv.FormatInt(r.BytesAfter, 10)
	if r.BytesAfter < 0 {
		after = "unknown"
	}
	fmt.Fprintf(&b, "\nbytes: %d before, %s after", r.BytesBefore, after)
	fmt.Fprintf(&b, "\nsystem usage: elapsed: %.2f s", r.Duration.Seconds())
	return b.String()
}

// vacuumError maps a failed compact.Vacuum to the client's error.
func vacuumError(ctx context.Context, t *tables.Table, err error) error {
	var ce *tables.CommitError
	switch {
	case errors.As(err, &ce):
		return &sqlengine.Error{Code: sqlengine.CodeInternalError,
			Message: fmt.Sprintf("VACUUM of %q committed but did not finish: %v", t.Name(), ce.Err),
			Hint:    "The table serves correct rows; restart pqsql to complete the VACUUM.", Err: err}
	case ctx.Err() != nil:
		return canceledError(ctx.Err())
	case errors.Is(err, tables.ErrVacuumConflict):
		return &sqlengine.Error{Code: sqlengine.CodeSerializationFailure,
			Message: fmt.Sprintf("could not vacuum %q: its files changed while VACUUM ran", t.Name()),
			Hint:    "Run VACUUM again.", Err: err}
	case t.Err() != nil:
		return &sqlengine.Error{Code: sqlengine.CodeDataCorrupted,
			Message: fmt.Sprintf("table %q is unavailable: %v", t.Name(), t.Err()), Err: err}
	}
	return &sqlengine.Error{Code: sqlengine.CodeInternalError,
		Message: fmt.Sprintf("could not vacuum %q: %v", t.Name(), err), Err: err}
}

// erasuresTable is pqsql_erasures, the administrators' view of the erasure
// audit of every table (compact.Erasures): one row per key a committed
// VACUUM physically removed, identified by its keyed hash only.
//
//	table_name text, seq int8, deleted_at timestamptz, vacuumed_at timestamptz,
//	actor text, reason text, rows_removed int8, key_hash text
//
// seq, deleted_at, actor and reason are the DELETE's. Each scan reads the
// audit files when it starts.
type erasuresTable struct {
	catalog *tables.Catalog
	db      string
}

var _ sql.DeletableTable = (*erasuresTable)(nil)

// erasuresColumns are pqsql_erasures' columns.
var erasuresColumns = []struct {
	name string
	typ  sql.Type
}{
	{"table_name", textType}, {"seq", types.Int64}, {"deleted_at", timestamptzType}, {"vacuumed_at", timestamptzType},
	{"actor", textType}, {"reason", textType}, {"rows_removed", types.Int64}, {"key_hash", textType},
}

// Name returns pqsql_erasures.
func (e *erasuresTable) Name() string { return erasuresTableName }

// String describes the table in plans.
func (e *erasuresTable) String() string { return erasuresTableName }

// Schema returns the audit columns.
func (e *erasuresTable) Schema(*sql.Context) sql.Schema {
	s := make(sql.Schema, len(erasuresColumns))
	for i, c := range erasuresColumns {
		s[i] = &sql.Column{Name: c.name, Type: c.typ, Source: erasuresTableName, DatabaseSource: e.db, Nullable: false}
	}
	return s
}

// Collation returns the binary collation.
func (e *erasuresTable) Collation() sql.CollationID { return sql.Collation_utf8mb4_0900_bin }

// Partitions returns the table's single partition.
func (e *erasuresTable) Partitions(*sql.Context) (sql.PartitionIter, error) {
	return sql.PartitionsToPartitionIter(erasuresPartition{}), nil
}

// PartitionRows returns one row per erased key, table by table in name
// order, each table's in the order they were erased. An audit file that
// cannot be read fails the scan rather than hiding records.
func (e *erasuresTable) PartitionRows(*sql.Context, sql.Partition) (sql.RowIter, error) {
	var rows []sql.Row
	for _, t := range e.catalog.Tables() {
		list, err := compact.Erasures(t)
		if err != nil {
			return nil, &sqlengine.Error{Code: sqlengine.CodeDataCorrupted,
				Message: fmt.Sprintf("erasure audit of table %q is unreadable: %v", t.Name(), err), Err: err}
		}
		for _, er := range list {
			rows = append(rows, sql.Row{
				t.Name(), int64(er.Seq), er.DeletedAt.UTC(), er.VacuumedAt.UTC(),
				er.Actor, er.Reason, er.RowsRemoved, er.KeyHash,
			})
		}
	}
	return sql.RowsToRowIter(rows...), nil
}

// Deleter exists so that a DELETE from pqsql_erasures plans and is then
// refused with a clear error (checkPlan); it never deletes.
func (e *erasuresTable) Deleter(*sql.Context) sql.RowDeleter {
	return refusingDeleter{name: erasuresTableName}
}

// erasuresPartition is pqsql_erasures' only partition.
type erasuresPartition struct{}

// Key identifies the partition.
func (erasuresPartition) Key() []byte { return []byte(erasuresTableName) }
