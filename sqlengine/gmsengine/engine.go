package gmsengine

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/rs/zerolog"

	"github.com/pqsql/pqsql/sqlengine"
	"github.com/pqsql/pqsql/tables"
)

// DefaultDatabase is the database name used when Options.Database is empty.
const DefaultDatabase = "pqsql"

// Version is pqsql's version as shown by version().
const Version = "0.1.0"

// serverVersion is the PostgreSQL version pqsql reports to clients.
const (
	serverVersion    = "15.18"
	serverVersionNum = "150018"
)

// gmsDatabase is the name of the GMS database holding the tables. It is the
// PostgreSQL schema name, not the database name clients connect to: GMS's
// information_schema reports a database as TABLE_SCHEMA, where PostgreSQL
// clients look for 'public'.
const gmsDatabase = "public"

// Role names accepted in Options.Roles.
const (
	RoleReader = "reader"
	RoleWriter = "writer"
	RoleAdmin  = "admin"
)

// Options configures New.
type Options struct {
	// Database is the database name clients connect to (default "pqsql").
	Database string
	// Roles maps a user name to its role: "reader", "writer" or "admin".
	// A nil map admits every user as a reader.
	Roles map[string]string
	// Logger receives the engine's log lines.
	Logger zerolog.Logger
	// AuditSecret keys the hashes VACUUM's erasure audit keeps of erased
	// keys (compact.Options.AuditSecret). Without it, VACUUM of a table
	// with tombstones fails.
	AuditSecret []byte
}

// Engine is the GMS implementation of sqlengine.Engine.
type Engine struct {
	opts    Options
	catalog *tables.Catalog
	db      *database
	gms     *sqle.Engine
	log     zerolog.Logger
	// started is when the engine was created (pg_postmaster_start_time).
	started time.Time
	// nextConnID numbers GMS sessions.
	nextConnID atomic.Uint32
	// releasing is set while memory is being returned to the operating
	// system after a bulk DELETE (releaseAfterBulkDelete).
	releasing atomic.Bool
}

var _ sqlengine.Engine = (*Engine)(nil)

// New returns an engine serving catalog's tables as database opts.Database.
func New(ctx context.Context, catalog *tables.Catalog, opts Options) (*Engine, error) {
	if catalog == nil {
		return nil, fmt.Errorf("gmsengine: creating engine: nil catalog")
	}
	if opts.Database == "" {
		opts.Database = DefaultDatabase
	}
	db := &database{name: gmsDatabase, catalog: catalog, adapters: map[adapterKey]*table{}, log: opts.Logger}
	pro := &provider{db: db, functions: newFunctionRegistry()}
	// typedLiterals also runs first of all, before GMS simplifies filters
	// away ('x' AND false): PostgreSQL rejects a bad literal regardless
	// (see init in literals.go for its second registration).
	a := analyzer.NewBuilder(pro).
		AddPreAnalyzeRule(typedLiteralsRule, typedLiterals).
		AddPostAnalyzeRule(floatSemanticsRule, floatSemantics).
		AddPostAnalyzeRule(setOpTypesRule, setOpTypes).
		Build()
	a.Coster = joinCoster{a.Coster}
	gms := sqle.New(a, &sqle.Config{})
	e := &Engine{opts: opts, catalog: catalog, db: db, gms: gms, log: opts.Logger, started: time.Now().UTC()}
	installCatalogs(e, pro, a)
	return e, nil
}

// Close releases the engine.
func (e *Engine) Close() error {
	if err := e.gms.Close(); err != nil {
		return fmt.Errorf("gmsengine: closing engine: %w", err)
	}
	return nil
}

// NewSession opens a session for an authenticated user.
func (e *Engine) NewSession(ctx context.Context, info sqlengine.SessionInfo) (sqlengine.Session, error) {
	if info.Database == "" {
		info.Database = info.User
	}
	if info.Database != e.opts.Database {
		return nil, sqlengine.Errorf(sqlengine.CodeInvalidCatalogName, "database %q does not exist", info.Database)
	}
	role := RoleReader
	if e.opts.Roles != nil {
		r, ok := e.opts.Roles[info.User]
		if !ok {
			return nil, sqlengine.Errorf(sqlengine.CodeInvalidAuthorization, "role %q does not exist", info.User)
		}
		role = r
	}
	return newSession(ctx, e, info, role)
}

// dataLength is the total size of a table's files, for sql.StatisticsTable.
func dataLength(t *tables.Table) uint64 {
	var n uint64
	for _, f := range t.Files() {
		if fi, err := os.Stat(f); err == nil {
			n += uint64(fi.Size())
		}
	}
	return n
}

// provider is the sql.DatabaseProvider holding pqsql's single database. It
// also provides the pqsql_* functions.
type provider struct {
	db        *database
	functions map[string]sql.Function
	// catalogs are pg_catalog and information_schema (pgcatalog_db.go).
	catalogs []*catalogDB
}

var (
	_ sql.DatabaseProvider = (*provider)(nil)
	_ sql.FunctionProvider = (*provider)(nil)
)

// Database returns the database named name.
func (p *provider) Database(_ *sql.Context, name string) (sql.Database, error) {
	if strings.EqualFold(name, p.db.name) {
		return p.db, nil
	}
	if db, ok := p.catalogDatabase(name); ok {
		return db, nil
	}
	return nil, sql.ErrDatabaseNotFound.New(name)
}

// HasDatabase reports whether name is the database.
func (p *provider) HasDatabase(_ *sql.Context, name string) bool {
	_, catalog := p.catalogDatabase(name)
	return strings.EqualFold(name, p.db.name) || catalog
}

// AllDatabases returns the one database.
func (p *provider) AllDatabases(*sql.Context) []sql.Database { return []sql.Database{p.db} }

// Function returns the pqsql_* function named name.
func (p *provider) Function(_ *sql.Context, name string) (sql.Function, bool) {
	f, ok := p.functions[strings.ToLower(name)]
	return f, ok
}

// Names of the administrator-only tables. They are resolved by name for
// sessions of role admin only and never listed: for every other session they
// do not exist by any path (queries, subqueries, prepared statements,
// information_schema), because every path resolves names through
// database.GetTableInsensitive with the session's context. Discovery never
// serves a data table whose name starts with '_', so rawPrefix cannot shadow
// one.
const (
	// rawPrefix starts the name of a table's raw view, which includes the
	// rows hidden by DELETEs: __raw__t for table t.
	rawPrefix = "__raw__"
	// auditTableName is the table listing every active tombstone.
	auditTableName = "pqsql_tombstones"
)

// database is the sql.Database whose tables are the catalog's tables. It
// looks tables up in the catalog on every call, so that tables a rescan adds
// appear without a restart.
type database struct {
	name    string
	catalog *tables.Catalog
	log     zerolog.Logger

	mu sync.Mutex
	// adapters caches each table's GMS adapters: the plain one and the raw one.
	adapters map[adapterKey]*table
	// pgCatalog resolves names that are no table (catalogFallback).
	pgCatalog *catalogDB
}

// adapterKey identifies one GMS adapter of a catalog table.
type adapterKey struct {
	t   *tables.Table
	raw bool
}

var _ sql.Database = (*database)(nil)

// Name returns the database name.
func (d *database) Name() string { return d.name }

// adapter returns the GMS table for t (its raw view when raw is set), or nil
// when its columns cannot be represented.
func (d *database) adapter(t *tables.Table, raw bool) *table {
	d.mu.Lock()
	defer d.mu.Unlock()
	k := adapterKey{t: t, raw: raw}
	if a, ok := d.adapters[k]; ok {
		return a
	}
	a, err := newTable(t, d.name, raw)
	if err != nil {
		if !raw {
			d.log.Warn().Err(err).Str("table", t.Name()).Msg("table not served")
		}
		a = nil
	}
	d.adapters[k] = a
	return a
}

// lookup returns the catalog table named name: the exact name when it
// exists, else a case-insensitive match.
func (d *database) lookup(name string) *tables.Table {
	if t := d.catalog.Table(name); t != nil {
		return t
	}
	for _, c := range d.catalog.Tables() {
		if strings.EqualFold(c.Name(), name) {
			return c
		}
	}
	return nil
}

// isAdmin reports whether ctx belongs to a session of role admin.
func isAdmin(ctx *sql.Context) bool {
	if ctx == nil {
		return false
	}
	s := pgSession(ctx)
	return s != nil && s.role == RoleAdmin
}

// GetTableInsensitive returns the table named tblName: the exact name when
// it exists, else a case-insensitive match. The raw views (__raw__t) and the
// audit table (pqsql_tombstones) exist for administrators only.
func (d *database) GetTableInsensitive(ctx *sql.Context, tblName string) (sql.Table, bool, error) {
	lower := strings.ToLower(tblName)
	switch {
	case lower == auditTableName:
		if !isAdmin(ctx) {
			return nil, false, nil
		}
		return &auditTable{catalog: d.catalog, db: d.name}, true, nil
	case lower == erasuresTableName:
		if !isAdmin(ctx) {
			return nil, false, nil
		}
		return &erasuresTable{catalog: d.catalog, db: d.name}, true, nil
	case strings.HasPrefix(lower, rawPrefix):
		if !isAdmin(ctx) {
			return nil, false, nil
		}
		t := d.lookup(tblName[len(rawPrefix):])
		if t == nil {
			return nil, false, nil
		}
		if a := d.adapter(t, true); a != nil {
			return a, true, nil
		}
		return nil, false, nil
	}
	t := d.lookup(tblName)
	if t == nil {
		return d.catalogFallback(ctx, tblName)
	}
	a := d.adapter(t, false)
	if a == nil {
		return nil, false, nil
	}
	return a, true, nil
}

// GetTableNames returns every served table's name. The administrator-only
// tables are never listed.
func (d *database) GetTableNames(*sql.Context) ([]string, error) {
	var names []string
	for _, t := range d.catalog.Tables() {
		if strings.EqualFold(t.Name(), auditTableName) || strings.EqualFold(t.Name(), erasuresTableName) {
			continue
		}
		if d.adapter(t, false) != nil {
			names = append(names, t.Name())
		}
	}
	return names, nil
}
