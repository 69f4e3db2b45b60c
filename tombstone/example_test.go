package tombstone_test

import (
	"context"
	"fmt"
	"os"

	"github.com/pqsql/pqsql/tombstone"
	"github.com/rs/zerolog"
)

// A DELETE, a scan and a VACUUM, as the engine and packages tables and
// compact drive them.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "tombstones")
	defer os.RemoveAll(dir)

	tlog, err := tombstone.Open(ctx, dir, "users", zerolog.Nop())
	if err != nil {
		panic(err)
	}
	defer tlog.Close()

	// tables registers the files it finds.
	oldFile, _ := tlog.ReserveSeq(ctx)

	// DELETE FROM users WHERE id IN (7, 9): "DELETE 2" is sent after Append.
	seq, _ := tlog.Append(ctx, []tombstone.Tombstone{
		{KeyColumn: "id", Key: tombstone.IntKey(7), Actor: "dpo", Reason: "erasure request"},
		{KeyColumn: "id", Key: tombstone.IntKey(9), Actor: "dpo", Reason: "erasure request"},
	})

	// A file that appears later keeps its rows, even with a deleted key.
	newFile, _ := tlog.ReserveSeq(ctx)

	snap := tlog.Snapshot()
	fmt.Println(snap.Hidden(tombstone.IntKey(7), oldFile), snap.Hidden(tombstone.IntKey(8), oldFile))
	fmt.Println(snap.Hidden(tombstone.IntKey(7), newFile))

	// VACUUM rewrote the old file without rows 7 and 9, then:
	if err := tlog.DropApplied(ctx, seq, nil); err != nil {
		panic(err)
	}
	fmt.Println(tlog.Len(), tlog.NextSeq())
	// Output:
	// true false
	// false
	// 0 4
}
