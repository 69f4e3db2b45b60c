package gmsengine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"runtime/debug"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/pqsql/pqsql/sqlengine"
	"github.com/pqsql/pqsql/tables"
	"github.com/pqsql/pqsql/tombstone"
)

var _ sql.DeletableTable = (*table)(nil)

// Deleter returns the RowDeleter of one DELETE statement. It is not a
// TruncateableTable on purpose: GMS would turn an unqualified DELETE into a
// truncate (see gms.md). The deleter registers with the session; the
// statement's result takes it over and completes it itself after a
// DELETE ... RETURNING, which GMS does not wrap in the iterator that calls
// StatementComplete.
func (t *table) Deleter(ctx *sql.Context) sql.RowDeleter {
	d := &rowDeleter{t: t, s: pgSession(ctx)}
	if d.s != nil {
		d.s.deleters = append(d.s.deleters, d)
	}
	return d
}

// rowDeleter collects the keys of the rows a DELETE matches. The rows are
// hidden when the statement completes: durably at once outside a
// transaction block, else at COMMIT (until then only this session's scans
// hide them).
type rowDeleter struct {
	t    *table
	s    *session
	keys []any
}

// StatementBegin starts collecting keys.
func (d *rowDeleter) StatementBegin(*sql.Context) { d.keys = d.keys[:0] }

// Delete records the key of one matched row; GMS passes whole rows. A row
// whose key is NULL cannot be tombstoned: the statement fails.
func (d *rowDeleter) Delete(_ *sql.Context, row sql.Row) error {
	tt := d.t.t
	k := tt.KeyColumn()
	if k < 0 || k >= len(row) {
		return fmt.Errorf("delete from %q: row of %d columns has no key column %d", tt.Name(), len(row), k)
	}
	if d.t.raw {
		return errRawDelete(d.t.name)
	}
	col := tt.Columns()[k]
	if row[k] == nil {
		return &sqlengine.Error{Code: sqlengine.CodeNotNullViolation,
			Message: fmt.Sprintf("cannot delete rows whose key column %q is NULL", col.Name),
			Detail:  fmt.Sprintf("Rows of table %q are deleted by their key; a row whose key is NULL has none.", tt.Name())}
	}
	v, err := keyValue(col.Type, row[k])
	if err != nil {
		return &sqlengine.Error{Code: sqlengine.CodeFeatureNotSupported,
			Message: fmt.Sprintf("cannot delete from table %q: %v", tt.Name(), err), Err: err}
	}
	d.keys = append(d.keys, v)
	return nil
}

// keyValue converts a GMS value of a key column of type typ to the value
// tables.Table.Key takes: GMS holds bool as int8 and uuid as text.
func keyValue(typ tables.Type, v any) (any, error) {
	switch typ.OID {
	case sqlengine.BoolOID:
		switch x := v.(type) {
		case bool:
			return x, nil
		case int8:
			return x != 0, nil
		}
	case sqlengine.UUIDOID:
		switch x := v.(type) {
		case [16]byte:
			return x, nil
		case string:
			u, err := parseUUID(x)
			if err != nil {
				return nil, err
			}
			return u, nil
		}
	}
	return v, nil
}

// DiscardChanges drops the collected keys after an error.
func (d *rowDeleter) DiscardChanges(*sql.Context, error) error {
	d.keys = nil
	return nil
}

// StatementComplete makes the DELETE take effect. GMS calls it even when the
// statement was cancelled (gms.md), so it checks the context first; the
// keys are dropped either way, so a second call does nothing.
func (d *rowDeleter) StatementComplete(ctx *sql.Context) error {
	keys := d.keys
	d.keys = nil
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(keys) == 0 {
		return nil
	}
	if d.s != nil && d.s.inTx {
		return d.s.addPending(d.t.t, keys)
	}
	actor, reason := "", ""
	if d.s != nil {
		actor, reason = d.s.info.User, d.s.erasureReason()
	}
	if d.s != nil {
		defer d.s.e.releaseAfterBulkDelete(len(keys))
	}
	return commitDelete(ctx, d.t.t, keys, actor, reason)
}

// Close releases the deleter.
func (d *rowDeleter) Close(*sql.Context) error { return nil }

// errRawDelete is the error for a DELETE from a raw view or the audit table.
func errRawDelete(name string) error {
	return sqlengine.Errorf(sqlengine.CodeFeatureNotSupported,
		"cannot delete from %q: it is a read-only view for administrators", name)
}

// erasureReasonParam is the setting whose value is recorded as the reason
// of the session's DELETEs.
const erasureReasonParam = "pqsql.erasure_reason"

// erasureReason returns the session's pqsql.erasure_reason, "" when unset.
func (s *session) erasureReason() string {
	v, _ := s.settings.get(erasureReasonParam)
	return v
}

// commitDelete durably deletes the rows with the given keys.
func commitDelete(ctx context.Context, t *tables.Table, keys []any, actor, reason string) error {
	if err := t.Err(); err != nil {
		return &sqlengine.Error{Code: sqlengine.CodeDataCorrupted,
			Message: fmt.Sprintf("table %q is unavailable: %v", t.Name(), err), Err: err}
	}
	if _, err := t.Delete(ctx, keys, actor, reason); err != nil {
		if errors.Is(err, tombstone.ErrUnsupportedKey) {
			return &sqlengine.Error{Code: sqlengine.CodeFeatureNotSupported,
				Message: fmt.Sprintf("cannot delete from table %q: %v", t.Name(), err), Err: err}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("delete from %q: %w", t.Name(), err)
	}
	return nil
}

// bulkDeleteKeys is the number of keys from which a DELETE counts as a
// bulk erasure (see releaseAfterBulkDelete).
const bulkDeleteKeys = 10_000

// releaseAfterBulkDelete returns the memory a DELETE of n keys freed to
// the operating system, in the background, when n makes it a bulk erasure:
// parsing and matching a hundred thousand pasted keys leaves hundreds of
// megabytes of garbage, which Go would otherwise keep mapped for a while,
// and a long-running server should not hold its peak of a rare burst
// (VACUUM, the usual next step, needs that memory most).
func (e *Engine) releaseAfterBulkDelete(n int) {
	if n < bulkDeleteKeys || !e.releasing.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer e.releasing.Store(false)
		debug.FreeOSMemory()
	}()
}

// addPending hides keys from this session's scans of t until the
// transaction block ends.
func (s *session) addPending(t *tables.Table, keys []any) error {
	tk := make([]tombstone.Key, 0, len(keys))
	for _, v := range keys {
		k, err := t.Key(v)
		if err != nil {
			return &sqlengine.Error{Code: sqlengine.CodeFeatureNotSupported,
				Message: fmt.Sprintf("cannot delete from table %q: %v", t.Name(), err), Err: err}
		}
		tk = append(tk, k)
	}
	if s.pending == nil {
		s.pending = map[*tables.Table]*tables.PendingDeletes{}
	}
	s.pending[t] = s.pending[t].With(tk...)
	return nil
}

// pendingFor returns the session's uncommitted deletes of t, nil for none.
func pendingFor(ctx *sql.Context, t *tables.Table) *tables.PendingDeletes {
	if s := pgSession(ctx); s != nil {
		return s.pending[t]
	}
	return nil
}

// commitPending makes the transaction block's deletes durable, one DELETE
// per table.
func (s *session) commitPending(ctx context.Context) error {
	for t, p := range s.pending {
		if err := commitDelete(ctx, t, p.Keys(), s.info.User, s.erasureReason()); err != nil {
			return err
		}
		s.e.releaseAfterBulkDelete(p.Len())
		delete(s.pending, t)
	}
	return nil
}

// clonePending copies the pending map (its sets are immutable) for a
// savepoint.
func clonePending(m map[*tables.Table]*tables.PendingDeletes) map[*tables.Table]*tables.PendingDeletes {
	return maps.Clone(m)
}
