package datagen

import (
	"database/sql"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// eventsStream separates the events' random streams from the candidates'.
const eventsStream = 2 << 62

// EventRow is one row of the events table.
type EventRow struct {
	ID      int64     // int8 NOT NULL, key, 1..N
	UserID  string    // text NOT NULL, "U00012345"
	TS      time.Time // timestamptz NOT NULL, UTC, microseconds, increasing with ID
	Country string    // text NOT NULL, ISO 3166 alpha-2
	Amount  float64   // float8 NOT NULL, whole cents
	Qty     int32     // int4 NOT NULL, 1..10
	Status  string    // text NOT NULL
	Note    sql.Null[string]
}

// EventsCreateTable is the PostgreSQL definition of the events table, for
// loading WriteEventsCSV's output with COPY events FROM STDIN (FORMAT csv).
const EventsCreateTable = `CREATE TABLE events (
    id bigint PRIMARY KEY,
    user_id text NOT NULL,
    ts timestamp with time zone NOT NULL,
    country text NOT NULL,
    amount double precision NOT NULL,
    qty integer NOT NULL,
    status text NOT NULL,
    note text
)`

var (
	eventCountries = weighted{
		{"US", 30}, {"GB", 8}, {"DE", 8}, {"FR", 6}, {"IN", 10}, {"BR", 6}, {"JP", 5}, {"CA", 5},
		{"AU", 4}, {"ES", 4}, {"IT", 3}, {"NL", 3}, {"SE", 2}, {"MX", 4}, {"KR", 2},
	}
	eventStatuses = weighted{{"completed", 70}, {"pending", 15}, {"failed", 10}, {"refunded", 5}}
	eventNotes    = []string{"gift", "express shipping", "coupon applied", "repeat customer", `said "thanks!"`, "back-order"}
	eventsEpoch   = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
)

// Event returns event i (1-based: its id is i). It is a pure function of i.
// Timestamps are about three seconds apart and increase with i, so row groups
// of a file written in id order have disjoint ts ranges.
func Event(i int64) EventRow {
	r := rowRand(eventsStream, uint64(i))
	ev := EventRow{
		ID:      i,
		UserID:  fmt.Sprintf("U%08d", 1+r.IntN(1_000_000)),
		TS:      eventsEpoch.Add(time.Duration(3*i)*time.Second + time.Duration(r.Int64N(3_000_000))*time.Microsecond),
		Country: eventCountries.pick(r),
		Amount:  math.Round(r.Float64()*50000) / 100,
		Qty:     int32(1 + r.IntN(10)),
		Status:  eventStatuses.pick(r),
	}
	if r.IntN(10) == 0 {
		ev.Note = sql.Null[string]{V: eventNotes[r.IntN(len(eventNotes))], Valid: true}
	}
	return ev
}

// eventsSchema is the Arrow schema of the events file.
func eventsSchema() *arrow.Schema {
	return arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "user_id", Type: arrow.BinaryTypes.String},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
		{Name: "country", Type: arrow.BinaryTypes.String},
		{Name: "amount", Type: arrow.PrimitiveTypes.Float64},
		{Name: "qty", Type: arrow.PrimitiveTypes.Int32},
		{Name: "status", Type: arrow.BinaryTypes.String},
		{Name: "note", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
}

// WriteEvents writes events 1..n to path as Parquet (snappy) in row groups of
// rowGroupRows rows, atomically. Memory is bounded by one row group's
// encoded pages, whatever n is.
func WriteEvents(path string, n int64, rowGroupRows int) error {
	return writeParquet(path, eventsSchema(), 1, n, rowGroupRows, func(b *array.RecordBuilder, from, to int64) {
		for i := from; i < to; i++ {
			ev := Event(i)
			b.Field(0).(*array.Int64Builder).Append(ev.ID)
			b.Field(1).(*array.StringBuilder).Append(ev.UserID)
			b.Field(2).(*array.TimestampBuilder).Append(arrow.Timestamp(ev.TS.UnixMicro()))
			b.Field(3).(*array.StringBuilder).Append(ev.Country)
			b.Field(4).(*array.Float64Builder).Append(ev.Amount)
			b.Field(5).(*array.Int32Builder).Append(ev.Qty)
			b.Field(6).(*array.StringBuilder).Append(ev.Status)
			appendNullString(b.Field(7).(*array.StringBuilder), ev.Note)
		}
	})
}

// WriteEventsCSV writes events 1..n to w in PostgreSQL COPY CSV format (no
// header), columns in EventsCreateTable's order.
func WriteEventsCSV(w io.Writer, n int64) error {
	c := newCSVWriter(w)
	for i := int64(1); i <= n; i++ {
		ev := Event(i)
		c.int(ev.ID)
		c.text(ev.UserID)
		c.timestamptz(ev.TS)
		c.text(ev.Country)
		c.float(ev.Amount)
		c.int(int64(ev.Qty))
		c.text(ev.Status)
		nullText(c, ev.Note)
		if err := c.endRow(); err != nil {
			return fmt.Errorf("write events CSV: %w", err)
		}
	}
	if err := c.flush(); err != nil {
		return fmt.Errorf("write events CSV: %w", err)
	}
	return nil
}
