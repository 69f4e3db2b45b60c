package tombstone

import (
	"slices"
	"testing"
)

// TestNumKeysIn checks the range query scans use to skip batches: every
// tombstoned key of the kind in the range, once, sorted, also right after
// an append; other kinds' keys never.
func TestNumKeysIn(t *testing.T) {
	l := openTest(t, t.TempDir())
	mustAppend(t, l, ts(IntKey(30), IntKey(10), IntKey(20), DateKey(15), TextKey("15")))
	snap := l.Snapshot()
	for _, tc := range []struct {
		lo, hi int64
		want   []int64
	}{
		{0, 100, []int64{10, 20, 30}},
		{10, 20, []int64{10, 20}},
		{11, 19, nil},
		{30, 30, []int64{30}},
		{31, 40, nil},
		{20, 10, nil},
	} {
		if got := snap.NumKeysIn(KindInt, tc.lo, tc.hi); !slices.Equal(got, tc.want) {
			t.Errorf("NumKeysIn(int, %d, %d) = %v, want %v", tc.lo, tc.hi, got, tc.want)
		}
	}
	if got := snap.NumKeysIn(KindDate, 0, 100); !slices.Equal(got, []int64{15}) {
		t.Errorf("NumKeysIn(date) = %v, want [15]", got)
	}
	if got := snap.NumKeysIn(KindText, 0, 100); got != nil {
		t.Errorf("NumKeysIn(text) = %v, want none", got)
	}
	// A later append shows at once, also to the older snapshot (a
	// superset, which Hidden then narrows down), and a key deleted again
	// is listed once.
	mustAppend(t, l, ts(IntKey(15), IntKey(10)))
	for _, s := range []Snapshot{snap, l.Snapshot()} {
		if got := s.NumKeysIn(KindInt, 0, 100); !slices.Equal(got, []int64{10, 15, 20, 30}) {
			t.Errorf("after the append: %v, want [10 15 20 30]", got)
		}
	}
	if snap.Hidden(IntKey(15), 0) {
		t.Errorf("the older snapshot hides a key deleted after it")
	}
}
