package server

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"

	"github.com/rs/zerolog"

	"github.com/pqsql/pqsql/sqlengine"
)

// Password methods for Config.PasswordMethod.
const (
	PasswordSCRAM = "scram-sha-256"
	PasswordMD5   = "md5"
)

// Defaults for Config fields left zero.
const (
	DefaultMaxConnections = 100
	DefaultMaxMessageSize = 64 << 20
)

// Config configures a Server.
type Config struct {
	// Engine runs the SQL. Required.
	Engine sqlengine.Engine
	// Users maps user names to passwords: either plaintext, or a SCRAM-SHA-256
	// verifier in PostgreSQL's format
	// "SCRAM-SHA-256$<iterations>:<b64 salt>$<b64 StoredKey>:<b64 ServerKey>"
	// (see SCRAMVerifier), or, for PasswordMethod "md5", PostgreSQL's MD5
	// hash "md5" + hex(md5(password + user name)) (see MD5Hash).
	Users map[string]string
	// PasswordMethod is how clients prove their password, as in pg_hba.conf:
	// "scram-sha-256" (the default when empty) or "md5". As in PostgreSQL,
	// "md5" still uses SCRAM-SHA-256 for users whose password is stored as a
	// SCRAM verifier.
	PasswordMethod string
	// TLSConfig enables TLS: SSLRequest is answered with 'S' and a handshake.
	// When nil, SSLRequest is answered with 'N'.
	TLSConfig *tls.Config
	// CleartextOverTLS makes TLS connections authenticate with a cleartext
	// password instead of SCRAM-SHA-256. Cleartext is never offered without TLS.
	CleartextOverTLS bool
	// MaxConnections limits concurrent sessions (DefaultMaxConnections if 0).
	// Further clients get FATAL 53300 "sorry, too many clients already".
	MaxConnections int
	// MaxMessageSize limits the size of a client message body
	// (DefaultMaxMessageSize if 0). A bigger message ends the connection with
	// FATAL 08P01.
	MaxMessageSize int
	// Logger receives connection-level events and internal errors.
	Logger zerolog.Logger
}

// Server serves the PostgreSQL wire protocol (version 3.0) on top of an
// sqlengine.Engine. Create one with New, run it with Serve and stop it with
// Shutdown.
type Server struct {
	cfg   Config
	log   zerolog.Logger
	users map[string]storedCredentials
	// mockSecret derives fake SCRAM credentials for unknown users, so that they
	// fail exactly like a wrong password does.
	mockSecret [32]byte

	nextPID atomic.Uint32
	active  atomic.Int64 // sessions counted against MaxConnections

	mu        sync.Mutex
	conns     map[uint32]*conn // by process ID
	listeners map[net.Listener]struct{}
	closing   bool
	// shutdown is closed when Shutdown starts: idle sessions end.
	shutdown chan struct{}
	// abort is closed when Shutdown's context is done: running statements are
	// cancelled and sockets closed.
	abort chan struct{}
	wg    sync.WaitGroup
	// watchClock starts watching the sockets of long statements.
	watchClock watchClock
}

// ErrServerClosed is returned by Serve after Shutdown.
var ErrServerClosed = errors.New("server: closed")

// New checks cfg and computes each user's SCRAM credentials.
func New(cfg Config) (*Server, error) {
	if cfg.Engine == nil {
		return nil, errors.New("server: Config.Engine is nil")
	}
	if cfg.MaxConnections <= 0 {
		cfg.MaxConnections = DefaultMaxConnections
	}
	if cfg.MaxMessageSize <= 0 {
		cfg.MaxMessageSize = DefaultMaxMessageSize
	}
	s := &Server{
		cfg:       cfg,
		log:       cfg.Logger,
		users:     make(map[string]storedCredentials, len(cfg.Users)),
		conns:     make(map[uint32]*conn),
		listeners: make(map[net.Listener]struct{}),
		shutdown:  make(chan struct{}),
		abort:     make(chan struct{}),
	}
	if _, err := rand.Read(s.mockSecret[:]); err != nil {
		return nil, fmt.Errorf("server: generate secret: %w", err)
	}
	var pid [4]byte
	if _, err := rand.Read(pid[:]); err != nil {
		return nil, fmt.Errorf("server: generate process ID: %w", err)
	}
	// Start somewhere random below 2^30 so PIDs look like PIDs and stay unique.
	s.nextPID.Store(binary.BigEndian.Uint32(pid[:])%(1<<30) + 1000)
	switch cfg.PasswordMethod {
	case "":
		cfg.PasswordMethod = PasswordSCRAM
	case PasswordSCRAM, PasswordMD5:
	default:
		return nil, fmt.Errorf("server: unknown PasswordMethod %q (want %q or %q)", cfg.PasswordMethod, PasswordSCRAM, PasswordMD5)
	}
	s.cfg.PasswordMethod = cfg.PasswordMethod
	for user, password := range cfg.Users {
		creds, err := userCredentials(user, password, cfg.PasswordMethod)
		if err != nil {
			return nil, fmt.Errorf("server: password of user %q: %w", user, err)
		}
		s.users[user] = creds
	}
	return s, nil
}

// Serve accepts connections on ln and serves each in its own goroutine. It
// returns ErrServerClosed after Shutdown, ctx.Err() when ctx is done (which
// also ends every connection it accepted), or the listener's error.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return ErrServerClosed
	}
	s.listeners[ln] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, ln)
		s.mu.Unlock()
	}()

	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()

	for {
		nc, err := ln.Accept()
		if err != nil {
			s.mu.Lock()
			closing := s.closing
			s.mu.Unlock()
			switch {
			case closing:
				return ErrServerClosed
			case ctx.Err() != nil:
				return ctx.Err()
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("server: accept: %w", err)
		}
		s.mu.Lock()
		if s.closing {
			s.mu.Unlock()
			nc.Close()
			return ErrServerClosed
		}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			s.serveConn(ctx, nc)
		}()
	}
}

// Shutdown stops accepting connections and ends every session: idle sessions
// at once, with FATAL 57P01; sessions running a statement once it finishes.
// When ctx is done first, running statements are cancelled and their
// connections closed. Shutdown returns when all connections are gone, with
// ctx.Err() if it had to cancel statements.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if !s.closing {
		s.closing = true
		close(s.shutdown)
		for ln := range s.listeners {
			ln.Close()
		}
	}
	s.mu.Unlock()

	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	s.mu.Lock()
	select {
	case <-s.abort:
	default:
		close(s.abort)
	}
	s.mu.Unlock()
	<-done
	return ctx.Err()
}

// register gives c a process ID no live connection uses and makes it
// reachable by CancelRequest.
func (s *Server) register(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		pid := s.nextPID.Add(1)
		if _, taken := s.conns[pid]; !taken && pid != 0 {
			c.pid = pid
			s.conns[pid] = c
			return
		}
	}
}

func (s *Server) unregister(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conns[c.pid] == c {
		delete(s.conns, c.pid)
	}
}

// cancelRequest cancels the statement running on the connection with the
// given process ID if the secret key matches. Mismatches are ignored silently,
// as PostgreSQL does.
func (s *Server) cancelRequest(pid uint32, secret []byte) {
	s.mu.Lock()
	c := s.conns[pid]
	s.mu.Unlock()
	if c == nil || subtle.ConstantTimeCompare(c.secret[:], secret) != 1 {
		s.log.Debug().Uint32("pid", pid).Msg("ignoring cancel request with unknown process ID or key")
		return
	}
	c.cancelStatement()
}

// SCRAMVerifier returns a SCRAM-SHA-256 verifier for password in PostgreSQL's
// format, with a random salt and 4096 iterations, for use in Config.Users.
func SCRAMVerifier(password string) (string, error) {
	creds, err := newSCRAMCredentials(password)
	if err != nil {
		return "", fmt.Errorf("make SCRAM verifier: %w", err)
	}
	return creds.verifier(), nil
}
