package gmsengine

import (
	"encoding/hex"
	"strconv"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/pqsql/pqsql/tables"
	"github.com/pqsql/pqsql/tombstone"
)

// auditTable is pqsql_tombstones, the administrators' view of every active
// tombstone of every table (those no VACUUM has applied yet):
//
//	table_name text, key_column text, key_value text, seq int8,
//	deleted_at timestamptz, actor text, reason text
//
// key_value is the key in PostgreSQL's text form of the key column's type.
// Each scan reads the tombstones current when it starts.
type auditTable struct {
	catalog *tables.Catalog
	db      string
}

var _ sql.DeletableTable = (*auditTable)(nil)

// auditColumns are pqsql_tombstones' columns.
var auditColumns = []struct {
	name string
	typ  sql.Type
}{
	{"table_name", textType}, {"key_column", textType}, {"key_value", textType},
	{"seq", types.Int64}, {"deleted_at", timestamptzType}, {"actor", textType}, {"reason", textType},
}

// Name returns pqsql_tombstones.
func (a *auditTable) Name() string { return auditTableName }

// String describes the table in plans.
func (a *auditTable) String() string { return auditTableName }

// Schema returns the audit columns.
func (a *auditTable) Schema(*sql.Context) sql.Schema {
	s := make(sql.Schema, len(auditColumns))
	for i, c := range auditColumns {
		s[i] = &sql.Column{Name: c.name, Type: c.typ, Source: auditTableName, DatabaseSource: a.db, Nullable: false}
	}
	return s
}

// Collation returns the binary collation.
func (a *auditTable) Collation() sql.CollationID { return sql.Collation_utf8mb4_0900_bin }

// Partitions returns the table's single partition.
func (a *auditTable) Partitions(*sql.Context) (sql.PartitionIter, error) {
	return sql.PartitionsToPartitionIter(auditPartition{}), nil
}

// PartitionRows returns one row per active tombstone, table by table in
// name order, each table's in the order they were appended. Unavailable
// tables contribute none.
func (a *auditTable) PartitionRows(*sql.Context, sql.Partition) (sql.RowIter, error) {
	var rows []sql.Row
	for _, t := range a.catalog.Tables() {
		for _, ts := range t.Tombstones() {
			rows = append(rows, sql.Row{
				t.Name(), ts.KeyColumn, keyText(ts.Key), int64(ts.Seq),
				ts.DeletedAt.UTC(), ts.Actor, ts.Reason,
			})
		}
	}
	return sql.RowsToRowIter(rows...), nil
}

// auditPartition is pqsql_tombstones' only partition.
type auditPartition struct{}

// Key identifies the partition.
func (auditPartition) Key() []byte { return []byte("pqsql_tombstones") }

// keyText renders a tombstone key as PostgreSQL's text output of the key
// column's type renders the value.
func keyText(k tombstone.Key) string {
	switch k.Kind() {
	case tombstone.KindInt:
		return strconv.FormatInt(k.Int(), 10)
	case tombstone.KindText:
		return k.Text()
	case tombstone.KindBytes:
		return `\x` + hex.EncodeToString(k.Bytes())
	case tombstone.KindUUID:
		u := k.UUID()
		return formatUUID(u[:])
	case tombstone.KindBool:
		if k.Bool() {
			return "true"
		}
		return "false"
	case tombstone.KindDate:
		return time.UnixMicro(k.Int()).UTC().Format("2006-01-02")
	case tombstone.KindTimestamp:
		return time.UnixMicro(k.Int()).UTC().Format("2006-01-02 15:04:05.999999")
	case tombstone.KindTimestampTZ:
		return time.UnixMicro(k.Int()).UTC().Format("2006-01-02 15:04:05.999999-07")
	}
	return k.String()
}

// Deleter exists so that a DELETE from pqsql_tombstones plans and is then
// refused with a clear error (checkPlan); it never deletes.
func (a *auditTable) Deleter(*sql.Context) sql.RowDeleter {
	return refusingDeleter{name: auditTableName}
}

// refusingDeleter fails every row.
type refusingDeleter struct{ name string }

func (refusingDeleter) StatementBegin(*sql.Context)              {}
func (refusingDeleter) DiscardChanges(*sql.Context, error) error { return nil }
func (refusingDeleter) StatementComplete(*sql.Context) error     { return nil }
func (refusingDeleter) Close(*sql.Context) error                 { return nil }
func (d refusingDeleter) Delete(*sql.Context, sql.Row) error     { return errRawDelete(d.name) }
