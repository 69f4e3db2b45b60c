package gmsengine

import (
	"context"
	"errors"
	"sync"
	"time"
)

// statementTimer enforces statement_timeout on the context a statement's
// rows are read with. Unlike context.WithTimeout it can be paused and
// restarted, because PostgreSQL measures the timeout per Execute message:
// a portal read in pages gets the whole timeout for each page (see
// sqlengine.ExecuteTimedRows).
type statementTimer struct {
	cancel context.CancelCauseFunc
	d      time.Duration

	mu    sync.Mutex
	timer *time.Timer // non-nil while the timeout runs
}

// newStatementTimer returns a context derived from parent that is canceled,
// with cause context.DeadlineExceeded, once the timer has run for d (never
// when d <= 0). The timer starts at once.
func newStatementTimer(parent context.Context, d time.Duration) (context.Context, *statementTimer) {
	ctx, cancel := context.WithCancelCause(parent)
	t := &statementTimer{cancel: cancel, d: d}
	t.start()
	return ctx, t
}

// start starts the timer unless it runs already.
func (t *statementTimer) start() {
	if t.d <= 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.timer == nil {
		t.timer = time.AfterFunc(t.d, func() { t.cancel(context.DeadlineExceeded) })
	}
}

// pause stops the timer; the next start gives the full timeout again.
func (t *statementTimer) pause() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.timer != nil {
		t.timer.Stop()
		t.timer = nil
	}
}

// stop ends the context.
func (t *statementTimer) stop() {
	t.pause()
	t.cancel(context.Canceled)
}

// cause translates a cancellation of ctx into context.DeadlineExceeded when
// the timer caused it. The engine's operators report a canceled context as
// context.Canceled whatever the cause, and canceledError needs the cause to
// tell a statement timeout from a cancel request.
func (t *statementTimer) cause(ctx context.Context, err error) error {
	if errors.Is(err, context.Canceled) && errors.Is(context.Cause(ctx), context.DeadlineExceeded) {
		return context.DeadlineExceeded
	}
	return err
}
