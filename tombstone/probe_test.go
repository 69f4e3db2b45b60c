package tombstone

import (
	"context"
	"math/rand/v2"
	"testing"
)

// TestProbeMany checks ProbeMany against Hidden, FirstAfter and Lookup for
// keys deleted once, several times, never, and for snapshots taken between
// DELETEs and file registrations.
func TestProbeMany(t *testing.T) {
	l := openTest(t, t.TempDir())
	defer l.Close()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	const nkeys = 40
	keys := make([]Key, nkeys)
	for i := range keys {
		keys[i] = IntKey(int64(i))
	}
	var snaps []Snapshot
	for range 30 {
		if rng.IntN(3) == 0 {
			if _, err := l.ReserveSeq(ctx); err != nil {
				t.Fatal(err)
			}
		} else {
			var batch []Key
			for range 1 + rng.IntN(5) {
				batch = append(batch, keys[rng.IntN(nkeys)])
			}
			mustAppend(t, l, ts(batch...))
		}
		snaps = append(snaps, l.Snapshot())
	}
	hidden := make([]bool, nkeys)
	by := make([]uint64, nkeys)
	for _, s := range snaps {
		for fileSeq := uint64(0); fileSeq <= s.Seq()+1; fileSeq++ {
			n := s.ProbeMany(keys, fileSeq, hidden, by)
			count := 0
			for i, k := range keys {
				want := s.Hidden(k, fileSeq)
				if hidden[i] != want {
					t.Fatalf("snapshot %d fileSeq %d key %v: hidden %v, want %v", s.Seq(), fileSeq, k, hidden[i], want)
				}
				var wantBy uint64
				if want {
					count++
					wantBy, _ = s.FirstAfter(k, fileSeq)
				} else if seq, ok := s.Lookup(k); ok {
					wantBy = seq
				}
				if by[i] != wantBy {
					t.Fatalf("snapshot %d fileSeq %d key %v: by %d, want %d", s.Seq(), fileSeq, k, by[i], wantBy)
				}
			}
			if n != count {
				t.Fatalf("ProbeMany = %d, want %d", n, count)
			}
		}
	}
}
