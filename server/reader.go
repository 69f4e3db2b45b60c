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
}

// newConnReader reads c. gone is called once when reading fails (the
// client disconnected or the socket was closed).
func newConnReader(c net.Conn, shutdown <-chan struct{}, gone func(error)) *connReader {
	return &connReader{nc: c, shutdown: shutdown, gone: gone}
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
// until the returned stop is called (before the next Read).
func (r *connReader) watch() (stop func()) {
	w := &readWatcher{r: r, done: make(chan struct{})}
	w.timer = time.AfterFunc(watchDelay, w.run)
	return w.stop
}

// readWatcher is one statement's watch on the socket.
type readWatcher struct {
	r     *connReader
	timer *time.Timer
	done  chan struct{} // closed when run returns

	mu       sync.Mutex
	stopping bool
}

// run reads ahead until the client goes away, the read-ahead is full, or
// stop interrupts it with a read deadline.
func (w *readWatcher) run() {
	defer close(w.done)
	r := w.r
	buf := make([]byte, 16*1024)
	for {
		w.mu.Lock()
		stopping := w.stopping
		w.mu.Unlock()
		if stopping {
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
			w.mu.Lock()
			stopping = w.stopping
			w.mu.Unlock()
			// The deadline that stop or shutdown set is no client going away.
			if errors.Is(err, os.ErrDeadlineExceeded) && (stopping || r.shuttingDown()) {
				return
			}
			r.fail(err)
			return
		}
	}
}

// stop ends the watch and waits for the watcher, if it started, to return.
func (w *readWatcher) stop() {
	if w.timer.Stop() {
		return // the statement ended before watchDelay: nothing started
	}
	w.mu.Lock()
	w.stopping = true
	w.mu.Unlock()
	r := w.r
	r.nc.SetReadDeadline(time.Now())
	<-w.done
	// Keep the deadline when shutting down, so that the next read ends.
	if !r.shuttingDown() {
		r.nc.SetReadDeadline(time.Time{})
	}
}
