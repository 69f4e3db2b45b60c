package tombstone

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

const testTable = "users"

func openTest(t testing.TB, dir string) *Log {
	t.Helper()
	l, err := Open(context.Background(), dir, testTable, zerolog.Nop())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return l
}

func reopen(t testing.TB, l *Log) *Log {
	t.Helper()
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return openTest(t, l.dir)
}

var testTime = time.Date(2026, 11, 21, 20, 45, 1, 123456000, time.UTC)

func ts(keys ...Key) []Tombstone {
	out := make([]Tombstone, len(keys))
	for i, k := range keys {
		out[i] = Tombstone{KeyColumn: "id", Key: k, DeletedAt: testTime, Actor: "dpo", Reason: "gdpr art. 17"}
	}
	return out
}

func mustAppend(t testing.TB, l *Log, recs []Tombstone) uint64 {
	t.Helper()
	seq, err := l.Append(context.Background(), recs)
	if err != nil {
		t.Fatalf("Append: %v", err)
	}
	return seq
}

// awkwardKeys covers every kind, with the byte sequences most likely to
// break an encoding.
func awkwardKeys() []Key {
	big := strings.Repeat("x'\"\\\x00😀", 1<<20/10)
	return []Key{
		IntKey(0), IntKey(-1), IntKey(1 << 62), IntKey(-1 << 63),
		TextKey(""), TextKey("O'Brien"), TextKey(`"quoted"`), TextKey(`back\slash`),
		TextKey("nul\x00inside"), TextKey("emoji 😀🏳️‍🌈"), TextKey("\xff\xfe invalid utf8"),
		TextKey(big),
		BytesKey(nil), BytesKey([]byte{0, 0, 0}), BytesKey([]byte(big)),
		UUIDKey([16]byte{}), UUIDKey([16]byte{0xde, 0xad, 0xbe, 0xef, 15: 0xff}),
		BoolKey(true), BoolKey(false),
		DateKey(-86400e6), TimestampKey(1732221901123456), TimestampTZKey(-1),
	}
}

func TestRoundTripAllKinds(t *testing.T) {
	dir := t.TempDir()
	l := openTest(t, dir)
	keys := awkwardKeys()
	recs := ts(keys...)
	recs[1].Reason = ""
	recs[2].Actor = "user with 'quote' and \x00"
	recs[3].KeyColumn = "weird \"col\""
	seq := mustAppend(t, l, recs)
	if seq != 1 {
		t.Fatalf("first seq = %d, want 1", seq)
	}
	want := make([]Tombstone, len(recs))
	for i, r := range recs {
		r.Seq, r.Table = seq, testTable
		want[i] = r
	}
	check := func(l *Log) {
		t.Helper()
		got := l.All()
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("All() differs from what was appended")
		}
		for _, k := range keys {
			if s, ok := l.Lookup(k); !ok || s != seq {
				t.Errorf("Lookup(%.40v) = %d, %v", k, s, ok)
			}
		}
		if l.Len() != len(keys) {
			t.Errorf("Len = %d, want %d", l.Len(), len(keys))
		}
	}
	check(l)
	l = reopen(t, l)
	check(l)
	if got := l.NextSeq(); got != 2 {
		t.Errorf("NextSeq after reopen = %d, want 2", got)
	}
	_ = l.Close()
}

func TestLookupKeepsHighestSeq(t *testing.T) {
	l := openTest(t, t.TempDir())
	defer l.Close()
	k := TextKey("alice")
	s1 := mustAppend(t, l, ts(k))
	fileSeq, err := l.ReserveSeq(context.Background()) // a new file re-adds alice
	if err != nil {
		t.Fatal(err)
	}
	snapBetween := l.Snapshot()
	s3 := mustAppend(t, l, ts(k, k)) // deleted again; duplicate in one batch
	if !(s1 < fileSeq && fileSeq < s3) {
		t.Fatalf("seqs not increasing: %d %d %d", s1, fileSeq, s3)
	}
	if s, ok := l.Lookup(k); !ok || s != s3 {
		t.Fatalf("Lookup = %d, %v; want %d", s, ok, s3)
	}
	for _, tc := range []struct {
		snap    Snapshot
		fileSeq uint64
		want    bool
	}{
		{l.Snapshot(), 0, true},             // old file: hidden
		{l.Snapshot(), fileSeq, true},       // new file, deleted again at s3
		{l.Snapshot(), s3, false},           // a file registered after the last DELETE
		{snapBetween, 0, true},              // old file, hidden by s1
		{snapBetween, fileSeq, false},       // the snapshot predates s3
		{Snapshot{}, 0, false},              // zero snapshot hides nothing
		{l.Snapshot(), s1 - 1 + 100, false}, // far future file
		{snapBetween, s1 - 1, true},         // registered right before s1
		{snapBetween, s1, false},            // registered at s1: not hidden by s1
	} {
		if got := tc.snap.Hidden(k, tc.fileSeq); got != tc.want {
			t.Errorf("snapshot@%d Hidden(fileSeq=%d) = %v, want %v", tc.snap.Seq(), tc.fileSeq, got, tc.want)
		}
	}
	for _, tc := range []struct {
		snap    Snapshot
		fileSeq uint64
		want    uint64 // 0: not hidden
	}{
		{l.Snapshot(), 0, s1},       // old file: first hidden by s1
		{l.Snapshot(), fileSeq, s3}, // new file: hidden by s3 only
		{l.Snapshot(), s3, 0},       // registered after the last DELETE
		{snapBetween, 0, s1},        // old file, hidden by s1
		{snapBetween, fileSeq, 0},   // the snapshot predates s3
		{Snapshot{}, 0, 0},          // zero snapshot hides nothing
	} {
		got, ok := tc.snap.FirstAfter(k, tc.fileSeq)
		if ok != (tc.want != 0) || ok && got != tc.want {
			t.Errorf("snapshot@%d FirstAfter(fileSeq=%d) = %d, %v; want %d", tc.snap.Seq(), tc.fileSeq, got, ok, tc.want)
		}
		if ok != tc.snap.Hidden(k, tc.fileSeq) {
			t.Errorf("snapshot@%d FirstAfter(fileSeq=%d) disagrees with Hidden", tc.snap.Seq(), tc.fileSeq)
		}
	}
	if s, ok := snapBetween.Lookup(k); !ok || s != s1 {
		t.Errorf("old snapshot Lookup = %d, %v; want %d", s, ok, s1)
	}
	if !l.Hidden(k, fileSeq) || l.Hidden(k, s3) || l.Hidden(TextKey("bob"), 0) {
		t.Error("Log.Hidden wrong")
	}
	if got := l.Len(); got != 3 {
		t.Errorf("Len = %d, want 3 (duplicates are kept in the log)", got)
	}
}

func TestSeqMonotonicAcrossReopenAndDrop(t *testing.T) {
	dir := t.TempDir()
	l := openTest(t, dir)
	var last uint64
	step := func(seq uint64) {
		t.Helper()
		if seq <= last {
			t.Fatalf("seq %d after %d", seq, last)
		}
		last = seq
		if l.NextSeq() != seq+1 {
			t.Fatalf("NextSeq = %d after seq %d", l.NextSeq(), seq)
		}
	}
	for i := range 3 {
		step(mustAppend(t, l, ts(IntKey(int64(i)))))
	}
	r, err := l.ReserveSeq(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	step(r)
	l = reopen(t, l)
	if l.NextSeq() != last+1 {
		t.Fatalf("NextSeq after reopen = %d, want %d (a trailing reservation must persist)", l.NextSeq(), last+1)
	}
	if err := l.DropApplied(context.Background(), last, nil); err != nil {
		t.Fatal(err)
	}
	if l.Len() != 0 || l.NextSeq() != last+1 {
		t.Fatalf("after dropping all: Len %d NextSeq %d", l.Len(), l.NextSeq())
	}
	l = reopen(t, l)
	if l.NextSeq() != last+1 {
		t.Fatalf("NextSeq after drop+reopen = %d, want %d", l.NextSeq(), last+1)
	}
	step(mustAppend(t, l, ts(IntKey(9))))
	l = reopen(t, l)
	step(mustAppend(t, l, ts(IntKey(10))))
	_ = l.Close()
}

func TestDropApplied(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l := openTest(t, dir)
	s1 := mustAppend(t, l, ts(IntKey(1), IntKey(2)))
	s2 := mustAppend(t, l, ts(IntKey(3)))
	vacuumStart := l.Snapshot()
	s3 := mustAppend(t, l, ts(IntKey(1), IntKey(4))) // during the VACUUM
	// VACUUM applied s1 and s2 except key 2 (say, its file was skipped).
	var seen []uint64
	err := l.DropApplied(ctx, vacuumStart.Seq(), func(tb Tombstone) bool {
		seen = append(seen, tb.Seq)
		return tb.Key != IntKey(2)
	})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(seen, []uint64{s1, s1, s2}) {
		t.Errorf("applied called for seqs %v, want only those <= %d", seen, vacuumStart.Seq())
	}
	check := func(l *Log) {
		t.Helper()
		want := map[Key]uint64{IntKey(2): s1, IntKey(1): s3, IntKey(4): s3}
		got := make(map[Key]uint64)
		for _, tb := range l.All() {
			got[tb.Key] = tb.Seq
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("after DropApplied: %v, want %v", got, want)
		}
		if _, ok := l.Lookup(IntKey(3)); ok {
			t.Error("dropped key 3 still found")
		}
		if s, _ := l.Lookup(IntKey(1)); s != s3 {
			t.Errorf("key 1 seq = %d, want %d", s, s3)
		}
	}
	check(l)
	// A snapshot taken before the drop still hides what it hid.
	if !vacuumStart.Hidden(IntKey(3), 0) {
		t.Error("old snapshot lost a dropped tombstone")
	}
	l = reopen(t, l)
	check(l)
	// Running it again drops nothing and does not rewrite the file.
	fi1, _ := os.Stat(l.Path())
	if err := l.DropApplied(ctx, vacuumStart.Seq(), func(tb Tombstone) bool { return tb.Key != IntKey(2) }); err != nil {
		t.Fatal(err)
	}
	fi2, _ := os.Stat(l.Path())
	if !os.SameFile(fi1, fi2) {
		t.Error("a no-op DropApplied rewrote the file")
	}
	if err := l.DropApplied(ctx, l.NextSeq(), nil); err == nil {
		t.Error("DropApplied beyond the assigned sequence numbers accepted")
	}
	// Writable after the rewrite, and no temp file left.
	mustAppend(t, l, ts(IntKey(5)))
	l = reopen(t, l)
	if _, ok := l.Lookup(IntKey(5)); !ok {
		t.Error("append after DropApplied lost")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want just the log", len(entries))
	}
	_ = l.Close()
}

func TestAppendRejects(t *testing.T) {
	l := openTest(t, t.TempDir())
	ctx := context.Background()
	if seq, err := l.Append(ctx, nil); seq != 0 || err != nil {
		t.Errorf("empty Append = %d, %v", seq, err)
	}
	if _, err := l.Append(ctx, []Tombstone{{Key: Key{}}}); err == nil {
		t.Error("zero key accepted")
	}
	if _, err := l.Append(ctx, []Tombstone{{Table: "other", Key: IntKey(1)}}); err == nil {
		t.Error("tombstone for another table accepted")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := l.Append(cctx, ts(IntKey(1))); !errors.Is(err, context.Canceled) {
		t.Errorf("Append with cancelled ctx: %v", err)
	}
	if _, err := l.ReserveSeq(cctx); !errors.Is(err, context.Canceled) {
		t.Errorf("ReserveSeq with cancelled ctx: %v", err)
	}
	if l.Len() != 0 || l.NextSeq() != 1 {
		t.Errorf("rejected appends changed the log: Len %d NextSeq %d", l.Len(), l.NextSeq())
	}
	// DeletedAt defaults to now; Table is filled in.
	mustAppend(t, l, []Tombstone{{Key: IntKey(1)}})
	if got := l.All()[0]; got.DeletedAt.IsZero() || got.Table != testTable {
		t.Errorf("defaults not applied: %+v", got)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(ctx, ts(IntKey(2))); !errors.Is(err, ErrClosed) {
		t.Errorf("Append after Close: %v", err)
	}
	if _, ok := l.Lookup(IntKey(1)); !ok {
		t.Error("Lookup after Close lost the index")
	}
}

func TestOpenTwiceFails(t *testing.T) {
	dir := t.TempDir()
	l := openTest(t, dir)
	if l2, err := Open(context.Background(), dir, testTable, zerolog.Nop()); err == nil {
		_ = l2.Close()
		t.Fatal("a second Open of one log succeeded")
	}
	// Still locked after a rewrite.
	mustAppend(t, l, ts(IntKey(1)))
	mustAppend(t, l, ts(IntKey(2)))
	if err := l.DropApplied(context.Background(), 1, nil); err != nil {
		t.Fatal(err)
	}
	if l2, err := Open(context.Background(), dir, testTable, zerolog.Nop()); err == nil {
		_ = l2.Close()
		t.Fatal("a second Open after DropApplied succeeded")
	}
	l = reopen(t, l)
	_ = l.Close()
}

func TestOpenChecksTableName(t *testing.T) {
	dir := t.TempDir()
	l := openTest(t, dir)
	_ = l.Close()
	name, _ := FileName("other")
	if err := os.Rename(l.Path(), filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
	_, err := Open(context.Background(), dir, "other", zerolog.Nop())
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("opening another table's log: %v", err)
	}
}

func TestManyTables(t *testing.T) {
	dir := t.TempDir()
	var logs []*Log
	for _, table := range []string{"a", "A", "a/b", "😀", "x y"} {
		l, err := Open(context.Background(), dir, table, zerolog.Nop())
		if err != nil {
			t.Fatal(err)
		}
		mustAppend(t, l, ts(TextKey(table)))
		logs = append(logs, l)
	}
	for _, l := range logs {
		_ = l.Close()
		l2, err := Open(context.Background(), dir, l.Table(), zerolog.Nop())
		if err != nil {
			t.Fatal(err)
		}
		if all := l2.All(); len(all) != 1 || all[0].Key != TextKey(l.Table()) {
			t.Errorf("table %q: %v", l.Table(), all)
		}
		_ = l2.Close()
	}
}

// logBytes returns the log's file content.
func logBytes(t testing.TB, l *Log) []byte {
	t.Helper()
	b, err := os.ReadFile(l.Path())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTornTailWarns(t *testing.T) {
	dir := t.TempDir()
	l := openTest(t, dir)
	mustAppend(t, l, ts(IntKey(1)))
	_ = l.Close()
	f, err := os.OpenFile(l.Path(), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.Write([]byte{42, 0, 0, 0, 1, 2})
	_ = f.Close()
	var buf bytes.Buffer
	l2, err := Open(context.Background(), dir, testTable, zerolog.New(&buf))
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	if !strings.Contains(buf.String(), `"level":"warn"`) || !strings.Contains(buf.String(), `"dropped_bytes":6`) {
		t.Errorf("no warning logged: %s", buf.String())
	}
	if strings.Contains(buf.String(), "int:1") {
		t.Error("key value logged")
	}
}

// TestRange checks that Range yields the tombstones up to a sequence
// number in log order, the same as All, and that what it yields is fixed
// when it is called: later appends and drops do not change it.
func TestRange(t *testing.T) {
	l := openTest(t, t.TempDir())
	defer l.Close()
	s1 := mustAppend(t, l, ts(IntKey(1), IntKey(2)))
	s2 := mustAppend(t, l, ts(TextKey("a")))
	r := l.Range(s2)
	mustAppend(t, l, ts(IntKey(3))) // above s2: never yielded
	if err := l.DropApplied(context.Background(), s1, nil); err != nil {
		t.Fatal(err)
	}
	for range 2 { // a Seq can be walked more than once
		var got []Key
		for tb := range r {
			if tb.Table != l.Table() || tb.Actor != "dpo" || !tb.DeletedAt.Equal(testTime) {
				t.Fatalf("tombstone %+v", tb)
			}
			got = append(got, tb.Key)
		}
		if want := []Key{IntKey(1), IntKey(2), TextKey("a")}; !slices.Equal(got, want) {
			t.Fatalf("Range(%d) = %v, want %v", s2, got, want)
		}
	}
	n := 0
	for range l.Range(s1) {
		n++
	}
	if n != 0 {
		t.Fatalf("Range(%d) after DropApplied yields %d tombstones", s1, n)
	}
}
