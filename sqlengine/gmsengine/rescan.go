package gmsengine

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/pqsql/pqsql/sqlengine"
)

// adminFuncs are the functions only administrators may call.
//
// pqsql_rescan() runs tables.Catalog.Rescan: data files added, replaced or
// removed since start-up (or the last rescan) and new tables are picked up
// while the server runs. It returns the number of tables in the catalog.
// Tables that could not be rescanned are reported in a WARNING notice and
// keep serving their previous files.
func adminFuncs() []*funcSpec {
	return []*funcSpec{
		{name: "pqsql_rescan", typ: fixedType(types.Int32), nonDeterministic: true, eval: evalRescan},
	}
}

func evalRescan(ctx *sql.Context, _ *pgFunc, _ []any) (any, error) {
	s := pgSession(ctx)
	if s == nil || s.role != RoleAdmin {
		return nil, sqlengine.Errorf(sqlengine.CodeInsufficientPrivilege, "permission denied for function pqsql_rescan")
	}
	if err := s.e.catalog.Rescan(ctx); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		s.log.Warn().Err(err).Msg("rescan: some tables were not rescanned")
		s.notice("WARNING", sqlengine.CodeWarning, "some tables were not rescanned: "+err.Error())
	}
	return int32(len(s.e.catalog.Tables())), nil
}
