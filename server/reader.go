package server

import (
	"errors"
	"net"
	"os"
	"sync"
	"time"
)

// errShutdown is what the reader returns when the server shuts down while
// the session waits for its next message.
var errShutdown = errors.New("server shutting down")

// watchDelay is how long a statement runs before the connection starts
// watching the socket for the client going away.
const watchDelay = 20 * time.Millisecond

// watchTick is how often the watch clock looks for statements running
// past watchDelay. Learning that a client went away a tenth of a second
// later costs nothing (PostgreSQL does not look at all by default), and a
// server with idle connections wakes up only ten times a second for it.
const watchTick = 100 * time.Millisecond

// maxReadAhead bounds what the watcher reads ahead of the protocol decoder
// while a statement runs: a client pipelining more than that is still
// there, and stays unwatched until the statement ends.
const maxReadAhead = 1 << 20

// connReader reads the client's socket for the protocol decoder.
//
// It reads on the connection's own goroutine: handing every read over from
// a reading goroutine would cost each message a goroutine switch, a large
// part of a point query's latency. Two things need reads the connection's
// goroutine cannot make while it runs a statement, and get them otherwise:
//
//   - A statement that runs longer than watchDelay gets a watcher (watch),
//     a goroutine that reads ahead so that the connection learns that the
//     client went away (gone is called, which cancels the statement). What
//     it reads is kept for the decoder.
//   - Shutdown wakes a session blocked waiting for its next message with a
//     read deadline (the server sets it; see serveConn); an idle session
//     then ends, and one running a statement ends after it.
//
// Read and watch are called from the connection's goroutine only.
type connReader struct {
	nc       net.Conn
	shutdown <-chan struct{}
	gone     func(error)

	mu sync.Mutex
	// pending holds bytes the watcher read ahead, not yet consumed.
	pending []byte
	// err is the read error that ended reading; sticky.
	err error

	// watcher is the watch of the running statement (see watch), started
	// by clock.
	watcher readWatcher
	clock   *watchClock
}

// newConnReader reads c. gone is called once when reading fails (the
// client disconnected or the socket was closed).
func newConnReader(c net.Conn, shutdown <-chan struct{}, clock *watchClock, gone func(error)) *connReader {
	r := &connReader{nc: c, shutdown: shutdown, gone: gone, clock: clock}
	r.watcher.r = r
	r.watcher.stopFn = r.watcher.stop
	clock.add(&r.watcher)
	return r
}

// Read implements io.Reader for the protocol decoder.
func (r *connReader) Read(p []byte) (int, error) {
	r.mu.Lock()
	if len(r.pending) > 0 {
		n := copy(p, r.pending)
		r.pending = r.pending[n:]
		if len(r.pending) == 0 {
			r.pending = nil
		}
		r.mu.Unlock()
		return n, nil
	}
	err := r.err
	r.mu.Unlock()
	if err != nil {
		return 0, err
	}
	if r.shuttingDown() {
		return 0, errShutdown
	}
	n, err := r.nc.Read(p)
	if err != nil && n == 0 {
		if errors.Is(err, os.ErrDeadlineExceeded) && r.shuttingDown() {
			return 0, errShutdown
		}
		r.fail(err)
	}
	return n, err
}

// shuttingDown reports whether the server is shutting down.
func (r *connReader) shuttingDown() bool {
	select {
	case <-r.shutdown:
		return true
	default:
		return false
	}
}

// fail records the error that ended reading and reports the client gone.
func (r *connReader) fail(err error) {
	r.mu.Lock()
	first := r.err == nil
	if first {
		r.err = err
	}
	r.mu.Unlock()
	if first {
		r.gone(err)
	}
}

// readFailed reports whether the reader stopped because the socket failed,
// as opposed to the protocol decoder rejecting the bytes it got.
func (r *connReader) readFailed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err != nil
}

// watch watches the socket while a statement runs, from watchDelay on,
// until stop is called (before the next Read). Arming costs a clock read
// and a lock: a statement's own timer would cost most point queries a
// wake-up of the runtime's network poller, to set and again to stop it.
// The reader's watchClock starts the watcher of a statement found running
// past watchDelay.
func (r *connReader) watch() (stop func()) {
	w := &r.watcher
	w.mu.Lock()
	w.armedAt = time.Now()
	w.mu.Unlock()
	return w.stopFn
}

// close stops the reader's watch clock from looking at it.
func (r *connReader) close() {
	r.clock.remove(&r.watcher)
}

// readWatcher watches the socket for a running statement; a connReader
// has one, used by one statement at a time.
type readWatcher struct {
	r *connReader
	// stopFn is stop, made once.
	stopFn func()

	mu sync.Mutex
	// armedAt is when the running statement started, zero when none runs
	// or the watcher started.
	armedAt time.Time
	// done is closed when the started watcher returns; nil when none started.
	done chan struct{}
	// stopping tells the watcher that stop interrupted its read.
	stopping bool
}

// startIfDue starts the watcher if the statement has run for watchDelay
// by now.
func (w *readWatcher) startIfDue(now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.armedAt.IsZero() || now.Sub(w.armedAt) < watchDelay {
		return
	}
	w.armedAt = time.Time{}
	w.stopping = false
	w.done = make(chan struct{})
	go w.run(w.done)
}

// isStopping reports whether stop interrupted the watcher.
func (w *readWatcher) isStopping() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stopping
}

// run reads ahead until the client goes away, the read-ahead is full, or
// stop interrupts it with a read deadline.
func (w *readWatcher) run(done chan struct{}) {
	defer close(done)
	r := w.r
	buf := make([]byte, 16*1024)
	for {
		if w.isStopping() {
			return
		}
		n, err := r.nc.Read(buf)
		if n > 0 {
			r.mu.Lock()
			r.pending = append(r.pending, buf[:n]...)
			full := len(r.pending) >= maxReadAhead
			r.mu.Unlock()
			if full {
				return
			}
		}
		if err != nil {
			// The deadline that stop or shutdown set is no client going away.
			if errors.Is(err, os.ErrDeadlineExceeded) && (w.isStopping() || r.shuttingDown()) {
				return
			}
			r.fail(err)
			return
		}
	}
}

// stop ends the watch and waits for the watcher, if it started, to return.
func (w *readWatcher) stop() {
	w.mu.Lock()
	w.armedAt = time.Time{}
	done := w.done
	w.done = nil
	w.stopping = done != nil
	w.mu.Unlock()
	if done == nil {
		return // the statement ended before watchDelay: nothing started
	}
	r := w.r
	r.nc.SetReadDeadline(time.Now())
	<-done
	// Keep the deadline when shutting down, so that the next read ends.
	if !r.shuttingDown() {
		r.nc.SetReadDeadline(time.Time{})
	}
}

// watchClock starts the watchers of statements that run past watchDelay:
// one goroutine for the whole server ticks while it has connections.
type watchClock struct {
	mu       sync.Mutex
	watchers map[*readWatcher]struct{}
	// stop ends the ticking goroutine; nil when none runs.
	stop chan struct{}
}

// add makes the clock look at w, starting the clock if it was idle.
func (c *watchClock) add(w *readWatcher) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.watchers == nil {
		c.watchers = make(map[*readWatcher]struct{})
	}
	c.watchers[w] = struct{}{}
	if c.stop == nil {
		c.stop = make(chan struct{})
		go c.tick(c.stop)
	}
}

// remove stops looking at w, and stops the clock when no watcher is left.
func (c *watchClock) remove(w *readWatcher) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.watchers, w)
	if len(c.watchers) == 0 && c.stop != nil {
		close(c.stop)
		c.stop = nil
	}
}

// tick checks the watchers every watchTick until stop is closed: a
// watcher starts between watchDelay and watchDelay + watchTick after its
// statement.
func (c *watchClock) tick(stop chan struct{}) {
	t := time.NewTicker(watchTick)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			c.mu.Lock()
			for w := range c.watchers {
				w.startIfDue(now)
			}
			c.mu.Unlock()
		}
	}
}
