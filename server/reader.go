package server

import (
	"errors"
	"net"
)

// errShutdown is returned by a connReader that was waiting for the client when
// the server began shutting down: the session is idle and can be terminated.
var errShutdown = errors.New("server shutting down")

// readChunk is one Read from the client: data, or the error that ended reading.
type readChunk struct {
	data []byte
	err  error
}

// connReader reads the client's socket in its own goroutine, so that the
// connection learns that the client went away even while a statement runs
// (and can cancel it), and so that an idle session can be woken up when the
// server shuts down. It buffers at most a few chunks ahead of the protocol.
type connReader struct {
	chunks   chan readChunk
	free     chan []byte // buffers the reading goroutine may fill
	shutdown <-chan struct{}
	buf      []byte // the chunk being consumed, returned to free when done
	cur      []byte // its unread part
	err      error
}

// Read-ahead: readBuffers buffers of readBufferSize bytes each.
const (
	readBuffers    = 4
	readBufferSize = 16 * 1024
)

// newConnReader starts reading c. gone is called once when reading fails
// (the client disconnected or the socket was closed).
// The reading goroutine ends when reading fails or done is closed.
func newConnReader(c net.Conn, shutdown, done <-chan struct{}, gone func(error)) *connReader {
	r := &connReader{
		chunks:   make(chan readChunk, readBuffers),
		free:     make(chan []byte, readBuffers),
		shutdown: shutdown,
	}
	for range readBuffers {
		r.free <- make([]byte, readBufferSize)
	}
	go func() {
		for {
			var buf []byte
			select {
			case buf = <-r.free:
			case <-done:
				return
			}
			n, err := c.Read(buf)
			if n > 0 {
				select {
				case r.chunks <- readChunk{data: buf[:n]}:
				case <-done:
					return
				}
			} else {
				r.free <- buf // unused; free has room for it
			}
			if err != nil {
				gone(err)
				select {
				case r.chunks <- readChunk{err: err}:
				case <-done:
				}
				return
			}
		}
	}()
	return r
}

// Read implements io.Reader for the protocol decoder.
func (r *connReader) Read(p []byte) (int, error) {
	if len(r.cur) == 0 {
		if r.buf != nil {
			r.free <- r.buf[:cap(r.buf)] // never blocks: free holds every buffer
			r.buf = nil
		}
		if r.err != nil {
			return 0, r.err
		}
		var c readChunk
		select {
		case c = <-r.chunks:
		case <-r.shutdown:
			// Prefer data the client already sent over shutting down.
			select {
			case c = <-r.chunks:
			default:
				return 0, errShutdown
			}
		}
		if c.err != nil {
			r.err = c.err
			return 0, r.err
		}
		r.buf, r.cur = c.data, c.data
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}

// readFailed reports whether the reader stopped because the socket failed,
// as opposed to the protocol decoder rejecting the bytes it got.
func (r *connReader) readFailed() bool { return r.err != nil }
