package tombstone

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/rs/zerolog"
)

// writeLog writes content as the test table's log in a fresh directory.
func writeLog(t testing.TB, content []byte) string {
	t.Helper()
	dir := t.TempDir()
	name, _ := FileName(testTable)
	if err := os.WriteFile(filepath.Join(dir, name), content, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

func keysOf(l *Log) map[Key]uint64 {
	m := make(map[Key]uint64)
	for _, tb := range l.All() {
		m[tb.Key] = tb.Seq
	}
	return m
}

// twoBatchLog returns a log's bytes holding batch 1 {1,2} and batch 2
// {3,4,5}, and the size before batch 2.
func twoBatchLog(t testing.TB) (content []byte, sizeBefore int) {
	t.Helper()
	l := openTest(t, t.TempDir())
	mustAppend(t, l, ts(IntKey(1), IntKey(2)))
	sizeBefore = len(logBytes(t, l))
	mustAppend(t, l, ts(IntKey(3), TextKey("four 😀"), UUIDKey([16]byte{5})))
	_ = l.Close()
	return logBytes(t, l), sizeBefore
}

func TestTruncateAtEveryOffsetOfLastBatch(t *testing.T) {
	full, before := twoBatchLog(t)
	want := map[Key]uint64{IntKey(1): 1, IntKey(2): 1}
	for off := before; off < len(full); off++ {
		dir := writeLog(t, full[:off])
		l, err := Open(context.Background(), dir, testTable, zerolog.Nop())
		if err != nil {
			t.Fatalf("truncated at %d: Open: %v", off, err)
		}
		if got := keysOf(l); !reflect.DeepEqual(got, want) {
			t.Fatalf("truncated at %d: keys %v, want %v", off, got, want)
		}
		if fi, _ := os.Stat(l.Path()); fi.Size() != int64(before) {
			t.Fatalf("truncated at %d: file size %d after recovery, want %d", off, fi.Size(), before)
		}
		if l.NextSeq() != 2 {
			t.Fatalf("truncated at %d: NextSeq %d", off, l.NextSeq())
		}
		seq := mustAppend(t, l, ts(IntKey(6)))
		l = reopen(t, l)
		if got := keysOf(l); len(got) != 3 || got[IntKey(6)] != seq {
			t.Fatalf("truncated at %d: after append and reopen: %v", off, got)
		}
		_ = l.Close()
	}
	// The untruncated file has both batches.
	l, err := Open(context.Background(), writeLog(t, full), testTable, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	if len(keysOf(l)) != 5 {
		t.Fatalf("full log: %v", keysOf(l))
	}
	_ = l.Close()
}

func TestTornTails(t *testing.T) {
	full, before := twoBatchLog(t)
	zeroedLast := bytes.Clone(full)
	clear(zeroedLast[before+len(full[before:])/2:])
	zeroedMid := bytes.Clone(full)
	clear(zeroedMid[before+4 : before+12]) // CRC and payload start of the last batch
	garbage := make([]byte, 300)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range garbage {
		garbage[i] = byte(rng.Uint32())
	}
	for name, tc := range map[string]struct {
		content []byte
		keys    int
	}{
		"preallocated zeros": {append(bytes.Clone(full), make([]byte, 64<<10)...), 5},
		"zeroed half batch":  {zeroedLast, 2},
		"zeroed batch start": {zeroedMid, 2},
		"random garbage":     {append(bytes.Clone(full), garbage...), 5},
		"short frame header": {append(bytes.Clone(full), 1, 0, 0), 5},
	} {
		t.Run(name, func(t *testing.T) {
			l, err := Open(context.Background(), writeLog(t, tc.content), testTable, zerolog.Nop())
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer l.Close()
			if got := len(keysOf(l)); got != tc.keys {
				t.Fatalf("%d keys recovered, want %d", got, tc.keys)
			}
			mustAppend(t, l, ts(IntKey(99)))
		})
	}
}

func TestBitFlipIsCorruption(t *testing.T) {
	// Batches 1 and 2 followed by batch 3: any flipped bit in batch 1 or
	// batch 2 has good data after it.
	l := openTest(t, t.TempDir())
	hdrEnd := len(logBytes(t, l))
	mustAppend(t, l, ts(IntKey(1), TextKey("x")))
	mustAppend(t, l, ts(IntKey(2)))
	end := len(logBytes(t, l))
	mustAppend(t, l, ts(IntKey(3)))
	_ = l.Close()
	full := logBytes(t, l)
	for off := 0; off < end; off++ {
		bad := bytes.Clone(full)
		bad[off] ^= 1 << (off % 8)
		_, err := Open(context.Background(), writeLog(t, bad), testTable, zerolog.Nop())
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("bit flip at offset %d (header ends at %d): Open error %v, want ErrCorrupt", off, hdrEnd, err)
		}
	}
}

func TestCorruptFiles(t *testing.T) {
	full, _ := twoBatchLog(t)
	for name, content := range map[string][]byte{
		"empty":       {},
		"zeros":       make([]byte, 100),
		"no header":   full[len(full)-20:],
		"two headers": append(bytes.Clone(full[:len(full)]), full...),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Open(context.Background(), writeLog(t, content), testTable, zerolog.Nop()); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Open: %v, want ErrCorrupt", err)
			}
		})
	}
}

func TestMalformedRecordIsCorruption(t *testing.T) {
	// A record whose checksum matches but whose payload is not valid is never
	// a torn write, even at the end of the file.
	full, _ := twoBatchLog(t)
	for name, payload := range map[string][]byte{
		"future version": {2, recBatch, 3},
		"unknown type":   {formatVersion, 9, 3},
		"seq zero":       {formatVersion, recReserve, 0},
		"trailing bytes": {formatVersion, recReserve, 3, 0},
		"seq goes back":  {formatVersion, recReserve, 1},
	} {
		t.Run(name, func(t *testing.T) {
			content := bytes.Clone(full)
			content = append(content, rawFrame(payload)...)
			_, err := Open(context.Background(), writeLog(t, content), testTable, zerolog.Nop())
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Open: %v, want ErrCorrupt", err)
			}
		})
	}
}

func rawFrame(payload []byte) []byte {
	var hdr [frameHeaderLen]byte
	putFrameHeader(hdr[:], payload)
	return append(hdr[:], payload...)
}
