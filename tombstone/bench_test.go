package tombstone

import (
	"context"
	"fmt"
	"testing"
)

// benchLog returns a log holding n integer tombstones 0, 2, 4, ..., appended
// in batches of up to 100k.
func benchLog(b *testing.B, n int) *Log {
	b.Helper()
	l := openTest(b, b.TempDir())
	const batch = 100_000
	for start := 0; start < n; start += batch {
		recs := make([]Tombstone, 0, min(batch, n-start))
		for i := start; i < min(start+batch, n); i++ {
			recs = append(recs, Tombstone{KeyColumn: "id", Key: IntKey(int64(2 * i)), DeletedAt: testTime, Actor: "dpo"})
		}
		mustAppend(b, l, recs)
	}
	return l
}

// BenchmarkLookup measures one probe per row through a Snapshot, half of the
// probed keys being tombstoned.
func BenchmarkLookup(b *testing.B) {
	for _, n := range []int{1e3, 1e5, 1e6} {
		b.Run(fmt.Sprintf("tombstones=%d", n), func(b *testing.B) {
			l := benchLog(b, n)
			defer l.Close()
			snap := l.Snapshot()
			hidden := 0
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				if snap.Hidden(IntKey(int64(i%(2*n))), 0) {
					hidden++
				}
			}
			if hidden == 0 {
				b.Fatal("nothing hidden")
			}
		})
		b.Run(fmt.Sprintf("tombstones=%d/many", n), func(b *testing.B) {
			l := benchLog(b, n)
			defer l.Close()
			snap := l.Snapshot()
			// One op is one row, probed in batches of 1024 as a scan would.
			keys := make([]Key, 1024)
			hidden := make([]bool, len(keys))
			b.ResetTimer()
			for i := 0; i < b.N; i += len(keys) {
				for j := range keys {
					keys[j] = IntKey(int64((i + j) % (2 * n)))
				}
				snap.HiddenMany(keys, 0, hidden)
			}
		})
		b.Run(fmt.Sprintf("tombstones=%d/parallel", n), func(b *testing.B) {
			l := benchLog(b, n)
			defer l.Close()
			snap := l.Snapshot()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					snap.Hidden(IntKey(int64(i%(2*n))), 0)
					i++
				}
			})
		})
	}
}

// BenchmarkAppend measures one single-tombstone DELETE, fsync included.
func BenchmarkAppend(b *testing.B) {
	l := openTest(b, b.TempDir())
	defer l.Close()
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		if _, err := l.Append(ctx, ts(IntKey(int64(i)))); err != nil {
			b.Fatal(err)
		}
	}
}
