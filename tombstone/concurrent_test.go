package tombstone

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
)

// TestConcurrentAppendLookup runs appenders and readers together (meant for
// -race): a reader must never see part of a batch, neither through one
// Snapshot nor through successive Lookups, and a tombstone once visible
// stays visible.
func TestConcurrentAppendLookup(t *testing.T) {
	const (
		appenders   = 4
		batches     = 25 // per appender
		batchSize   = 50
		readers     = 4
		totalBatchs = appenders * batches
	)
	l := openTest(t, t.TempDir())
	defer l.Close()
	ctx := context.Background()
	key := func(batch, i int) Key { return IntKey(int64(batch*batchSize + i)) }

	var done atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan string, readers)
	for r := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for iter := 0; ; iter++ {
				finished := done.Load()
				b := (iter*7 + r) % totalBatchs
				first, last := key(b, 0), key(b, batchSize-1)
				// Successive lookups: once the batch's first key is
				// visible its last must be too; a batch published entry by
				// entry, in order, would show a window where it is not.
				sFirst, okFirst := l.Lookup(first)
				sLast, okLast := l.Lookup(last)
				if okFirst && (!okLast || sFirst != sLast) {
					errs <- "Lookup saw the start of a batch without its end"
					return
				}
				snap := l.Snapshot()
				n := 0
				var seq uint64
				for i := range batchSize {
					if s, ok := snap.Lookup(key(b, i)); ok {
						if n > 0 && s != seq {
							errs <- "one batch under two sequence numbers"
							return
						}
						seq = s
						n++
					}
				}
				if n != 0 && n != batchSize {
					errs <- "Snapshot saw part of a batch"
					return
				}
				if n == batchSize && seq > snap.Seq() {
					errs <- "Snapshot saw a batch newer than itself"
					return
				}
				if finished {
					return
				}
			}
		}()
	}
	var awg sync.WaitGroup
	for a := range appenders {
		awg.Add(1)
		go func() {
			defer awg.Done()
			for i := range batches {
				b := a*batches + i
				recs := make([]Tombstone, batchSize)
				for j := range recs {
					recs[j] = Tombstone{KeyColumn: "id", Key: key(b, j), DeletedAt: testTime}
				}
				if _, err := l.Append(ctx, recs); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	awg.Wait()
	done.Store(true)
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if l.Len() != totalBatchs*batchSize || l.NextSeq() != totalBatchs+1 {
		t.Errorf("Len %d NextSeq %d", l.Len(), l.NextSeq())
	}
	// Every batch got its own sequence number.
	seqs := make(map[uint64]int)
	for _, tb := range l.All() {
		seqs[tb.Seq]++
	}
	for s, n := range seqs {
		if n != batchSize {
			t.Errorf("seq %d holds %d tombstones", s, n)
		}
	}
}
