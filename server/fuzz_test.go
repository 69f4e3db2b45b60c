package server

import (
	"context"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/rs/zerolog"
)

// panicDetector is a log writer that notices the server recovering a panic.
type panicDetector struct{ panics atomic.Int64 }

func (d *panicDetector) Write(p []byte) (int, error) {
	if strings.Contains(string(p), "connection panicked") {
		d.panics.Add(1)
	}
	return len(p), nil
}

func encodeAll(msgs ...pgproto3.FrontendMessage) []byte {
	var out []byte
	for _, m := range msgs {
		var err error
		out, err = m.Encode(out)
		if err != nil {
			panic(err)
		}
	}
	return out
}

// FuzzServerMessages sends arbitrary bytes after a valid startup and checks
// that the server neither panics nor hangs, and still serves new clients.
func FuzzServerMessages(f *testing.F) {
	f.Add(encodeAll(&pgproto3.Query{String: "gen 2; notice; settz Asia/Kolkata; value timestamptz"}))
	f.Add(encodeAll(&pgproto3.Parse{Name: "s", Query: "echo int8 numeric date"},
		&pgproto3.Describe{ObjectType: 'S', Name: "s"},
		&pgproto3.Bind{PreparedStatement: "s", ParameterFormatCodes: []int16{1},
			Parameters:        [][]byte{{0, 0, 0, 0, 0, 0, 0, 1}, {0, 1, 0, 0, 0, 0, 0, 0, 0, 1}, {0, 0, 0, 1}},
			ResultFormatCodes: []int16{1}},
		&pgproto3.Execute{MaxRows: 1}, &pgproto3.Sync{}))
	f.Add(encodeAll(&pgproto3.Parse{Query: "gen 3"}, &pgproto3.Bind{DestinationPortal: "p"},
		&pgproto3.Execute{Portal: "p", MaxRows: 1}, &pgproto3.Flush{}, &pgproto3.Execute{Portal: "p"},
		&pgproto3.Close{ObjectType: 'P', Name: "p"}, &pgproto3.Sync{}))
	f.Add([]byte{'B', 0, 0, 0, 6, 'x', 'y'})
	f.Add([]byte{'Q', 0x7f, 0xff, 0xff, 0xff})
	f.Add([]byte{'X', 0, 0, 0, 4})

	detector := &panicDetector{}
	eng := newFakeEngine()
	eng.noPanic = true
	close(eng.release)
	srv, err := New(Config{Engine: eng, Users: map[string]string{"alice": testPassword},
		Logger: zerolog.New(zerolog.MultiLevelWriter(detector, os.Stderr)).Level(zerolog.ErrorLevel), MaxMessageSize: 1 << 20})
	if err != nil {
		f.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		f.Fatal(err)
	}
	go srv.Serve(context.Background(), ln)
	defer srv.Shutdown(context.Background())
	addr := ln.Addr().String()

	f.Fuzz(func(t *testing.T, data []byte) {
		rc := dialRaw(t, addr)
		rc.login("alice", testPassword, nil)
		if _, err := rc.nc.Write(data); err != nil {
			return // the server already closed the connection: fine
		}
		rc.nc.(*net.TCPConn).CloseWrite()
		// The server must finish with this connection: drain until it closes.
		// The deadline set by dialRaw turns a hang into a failure.
		rc.nc.SetReadDeadline(time.Now().Add(20 * time.Second))
		buf := make([]byte, 64*1024)
		for {
			if _, err := rc.nc.Read(buf); err != nil {
				if ne, ok := err.(net.Error); ok && ne.Timeout() {
					t.Fatal("server did not finish the connection")
				}
				break
			}
		}
		if n := detector.panics.Load(); n != 0 {
			t.Fatalf("server recovered %d panics", n)
		}
		ok := dialRaw(t, addr)
		ok.login("alice", testPassword, nil)
		ok.send(&pgproto3.Query{String: "gen 1"})
		ok.expect("RowDescription", "DataRow", "CommandComplete", "ReadyForQuery")
	})
}
