package gmsengine

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
)

// setColumnOrigins fills the TableOID and AttrNum of the result columns
// that are plain columns of a user table or catalog relation, as
// PostgreSQL's RowDescription reports them (pgjdbc's ResultSetMetaData
// reads them): a column of the plan's outermost projection that is a bare
// column reference, renamed or not, traced through its table id to the
// table it reads.
// Every other column keeps zeros.
func (st *statement) setColumnOrigins(ctx *sql.Context, node sql.Node) {
	var proj *plan.Project
	transform.Inspect(node, func(n sql.Node) bool {
		if proj != nil {
			return false
		}
		switch v := n.(type) {
		case *plan.Project:
			proj = v
			return false
		case *plan.SubqueryAlias, *plan.SetOp, *plan.GroupBy, *plan.Window:
			return false
		}
		return true
	})
	var (
		tablesByID map[sql.TableId]sql.Table
		refs       []columnRef
	)
	switch {
	case proj != nil:
		tablesByID = planTables(proj.Child)
		for _, e := range proj.Projections {
			var ref columnRef
			// A renamed column keeps its origin, as in PostgreSQL.
			if a, ok := e.(*expression.Alias); ok {
				e = a.Child
			}
			if gf, ok := e.(*expression.GetField); ok {
				ref = columnRef{id: gf.TableId(), name: gf.Name(), ok: true}
			}
			refs = append(refs, ref)
		}
	default:
		// A scan of one table, projected by the table itself.
		n := node
		for {
			if _, ok := n.(sql.TableNode); ok {
				break
			}
			switch n.(type) {
			case *plan.GroupBy, *plan.Window, *plan.SubqueryAlias:
				return
			}
			ch := n.Children()
			if len(ch) != 1 {
				break
			}
			n = ch[0]
		}
		tn, ok := n.(sql.TableNode)
		idn, ok2 := n.(plan.TableIdNode)
		if !ok || !ok2 {
			return
		}
		tablesByID = map[sql.TableId]sql.Table{idn.Id(): tn.UnderlyingTable()}
		for _, c := range tn.Schema(ctx) {
			refs = append(refs, columnRef{id: idn.Id(), name: c.Name, ok: true})
		}
	}
	if len(refs) != len(st.columns) {
		return
	}
	var oids map[string]uint32
	for i, ref := range refs {
		if !ref.ok {
			continue
		}
		switch t := tablesByID[ref.id].(type) {
		case *table:
			idx := t.schema.IndexOfColName(ref.name)
			if idx < 0 {
				continue
			}
			if oids == nil {
				oids = map[string]uint32{}
				for _, r := range st.s.e.db.visibleRelations(ctx) {
					oids[r.Name] = r.OID
				}
			}
			st.columns[i].TableOID, st.columns[i].AttrNum = oids[t.name], int16(idx+1)
		case *catalogTable:
			if idx := t.schema.IndexOfColName(ref.name); idx >= 0 {
				st.columns[i].TableOID, st.columns[i].AttrNum = t.ct.OID, int16(idx+1)
			}
		}
	}
}

// planTables maps the table ids of the tables a plan reads (directly, not
// through subqueries) to the tables.
func planTables(node sql.Node) map[sql.TableId]sql.Table {
	out := map[sql.TableId]sql.Table{}
	transform.Inspect(node, func(n sql.Node) bool {
		switch v := n.(type) {
		case *plan.SubqueryAlias:
			return false
		case *plan.TableAlias:
			if t := aliasedTable(v.Child); t != nil {
				out[v.Id()] = t
			}
			return false
		case plan.TableIdNode:
			if tn, ok := v.(sql.TableNode); ok {
				out[v.Id()] = tn.UnderlyingTable()
			}
		}
		return true
	})
	return out
}

// aliasedTable returns the table a table alias reads, nil for others.
func aliasedTable(n sql.Node) sql.Table {
	if tn, ok := n.(sql.TableNode); ok {
		return tn.UnderlyingTable()
	}
	return nil
}

// columnRef is a result column that reads column name of table id.
type columnRef struct {
	id   sql.TableId
	name string
	ok   bool
}
