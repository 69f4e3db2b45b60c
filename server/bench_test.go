package server

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
)

// BenchmarkPreparedRoundTrip measures a prepared one-row query over
// loopback TCP as pgx runs it by default (Bind, Execute, Sync), with the
// fake engine: the server's own cost per query, plus the client's and the
// kernel's.
func BenchmarkPreparedRoundTrip(b *testing.B) {
	ts := startServer(b, nil)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, ts.connString("alice", testPassword))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	b.ReportAllocs()
	for b.Loop() {
		rows, err := conn.Query(ctx, "echo int8 text", int64(5000000), "x")
		if err != nil {
			b.Fatal(err)
		}
		for rows.Next() {
			_ = rows.RawValues()
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			b.Fatal(err)
		}
	}
}
