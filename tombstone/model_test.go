package tombstone

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
)

// modelRow is one tombstone of the reference model.
type modelRow struct {
	seq uint64
	key Key
}

// modelHidden is the definition the index must implement: a row of a file
// registered at fileSeq is hidden iff some tombstone of its key has a
// greater sequence number.
func modelHidden(rows []modelRow, k Key, fileSeq uint64) (hidden bool, maxSeq uint64) {
	for _, r := range rows {
		if r.key == k {
			maxSeq = max(maxSeq, r.seq)
			if r.seq > fileSeq {
				hidden = true
			}
		}
	}
	return hidden, maxSeq
}

// TestRandomizedModel runs random appends, reservations, VACUUM drops,
// snapshots and reopens against an in-memory model, checking every probe
// (current and through old snapshots) for every key and file seq.
func TestRandomizedModel(t *testing.T) {
	ctx := context.Background()
	universe := []Key{TextKey("a"), TextKey("b"), TextKey(""), BytesKey([]byte("a")), BoolKey(true)}
	for i := range 8 {
		universe = append(universe, IntKey(int64(i)), DateKey(int64(i)))
	}
	type savedSnap struct {
		snap Snapshot
		rows []modelRow
	}
	for seed := range uint64(5) {
		rng := rand.New(rand.NewPCG(seed, 99))
		dir := t.TempDir()
		l := openTest(t, dir)
		var (
			rows  []modelRow
			next  = uint64(1)
			snaps []savedSnap
		)
		check := func(step int, op string) {
			t.Helper()
			hidden := make([]bool, len(universe))
			for fileSeq := uint64(0); fileSeq <= next; fileSeq++ {
				l.Snapshot().HiddenMany(universe, fileSeq, hidden)
				for i, k := range universe {
					want, wantMax := modelHidden(rows, k, fileSeq)
					if got := l.Hidden(k, fileSeq); got != want || hidden[i] != want {
						t.Fatalf("seed %d step %d (%s): Hidden(%v, %d) = %v, HiddenMany %v, want %v", seed, step, op, k, fileSeq, got, hidden[i], want)
					}
					gotMax, ok := l.Lookup(k)
					if gotMax != wantMax || ok != (wantMax != 0) {
						t.Fatalf("seed %d step %d (%s): Lookup(%v) = %d, %v; want %d", seed, step, op, k, gotMax, ok, wantMax)
					}
				}
				for _, s := range snaps {
					for _, k := range universe {
						want, _ := modelHidden(s.rows, k, fileSeq)
						if got := s.snap.Hidden(k, fileSeq); got != want {
							t.Fatalf("seed %d step %d (%s): snapshot@%d Hidden(%v, %d) = %v, want %v", seed, step, op, s.snap.Seq(), k, fileSeq, got, want)
						}
					}
				}
			}
			if l.NextSeq() != next {
				t.Fatalf("seed %d step %d (%s): NextSeq %d, want %d", seed, step, op, l.NextSeq(), next)
			}
			if l.Len() != len(rows) {
				t.Fatalf("seed %d step %d (%s): Len %d, want %d", seed, step, op, l.Len(), len(rows))
			}
		}
		for step := range 60 {
			var op string
			switch p := rng.IntN(100); {
			case p < 45:
				op = "append"
				var keys []Key
				for range 1 + rng.IntN(4) {
					keys = append(keys, universe[rng.IntN(len(universe))])
				}
				seq := mustAppend(t, l, ts(keys...))
				if seq != next {
					t.Fatalf("append got seq %d, want %d", seq, next)
				}
				for _, k := range keys {
					rows = append(rows, modelRow{seq, k})
				}
				next++
			case p < 60:
				op = "reserve"
				seq, err := l.ReserveSeq(ctx)
				if err != nil || seq != next {
					t.Fatalf("ReserveSeq = %d, %v; want %d", seq, err, next)
				}
				next++
			case p < 70:
				op = "snapshot"
				snaps = append(snaps, savedSnap{l.Snapshot(), slices.Clone(rows)})
			case p < 85:
				op = "drop"
				upTo := rng.Uint64N(next)
				skip := universe[rng.IntN(len(universe))]
				if err := l.DropApplied(ctx, upTo, func(tb Tombstone) bool { return tb.Key != skip }); err != nil {
					t.Fatal(err)
				}
				rows = slices.DeleteFunc(rows, func(r modelRow) bool { return r.seq <= upTo && r.key != skip })
			default:
				op = "reopen"
				l = reopen(t, l)
			}
			check(step, op)
		}
		_ = l.Close()
	}
}
