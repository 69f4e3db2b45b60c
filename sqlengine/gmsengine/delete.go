package gmsengine

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/pqsql/pqsql/sqlengine"
	"github.com/pqsql/pqsql/tables"
	"github.com/pqsql/pqsql/tombstone"
)

var _ sql.DeletableTable = (*table)(nil)

// Deleter returns the RowDeleter of one DELETE statement. It is not a
// TruncateableTable on purpose: GMS would turn an unqualified DELETE into a
// truncate (see gms.md).
func (t *table) Deleter(ctx *sql.Context) sql.RowDeleter {
	return &rowDeleter{t: t, s: pgSession(ctx)}
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

// Delete records the key of one matched row; GMS passes whole rows.
func (d *rowDeleter) Delete(_ *sql.Context, row sql.Row) error {
	k := d.t.t.KeyColumn()
	if k < 0 || k >= len(row) {
		return fmt.Errorf("delete from %q: row of %d columns has no key column %d", d.t.t.Name(), len(row), k)
	}
	d.keys = append(d.keys, row[k])
	return nil
}

// DiscardChanges drops the collected keys after an error.
func (d *rowDeleter) DiscardChanges(*sql.Context, error) error {
	d.keys = nil
	return nil
}

// StatementComplete makes the DELETE take effect. GMS calls it even when the
// statement was cancelled (gms.md), so it checks the context first.
func (d *rowDeleter) StatementComplete(ctx *sql.Context) error {
	if err := ctx.Err(); err != nil {
		d.keys = nil
		return err
	}
	keys := d.keys
	d.keys = nil
	if len(keys) == 0 {
		return nil
	}
	if d.s != nil && d.s.inTx {
		return d.s.addPending(d.t.t, keys)
	}
	return commitDelete(ctx, d.t.t, keys, d.actor())
}

// Close releases the deleter.
func (d *rowDeleter) Close(*sql.Context) error { return nil }

func (d *rowDeleter) actor() string {
	if d.s == nil {
		return ""
	}
	return d.s.info.User
}

// commitDelete durably deletes the rows with the given keys.
func commitDelete(ctx context.Context, t *tables.Table, keys []any, actor string) error {
	if err := t.Err(); err != nil {
		return &sqlengine.Error{Code: sqlengine.CodeDataCorrupted,
			Message: fmt.Sprintf("table %q is unavailable: %v", t.Name(), err), Err: err}
	}
	if _, err := t.Delete(ctx, keys, actor, ""); err != nil {
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
		if err := commitDelete(ctx, t, p.Keys(), s.info.User); err != nil {
			return err
		}
		delete(s.pending, t)
	}
	return nil
}

// clonePending copies the pending map (its sets are immutable) for a
// savepoint.
func clonePending(m map[*tables.Table]*tables.PendingDeletes) map[*tables.Table]*tables.PendingDeletes {
	return maps.Clone(m)
}
