package tombstone

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"testing"

	"github.com/rs/zerolog"
)

// killHelperEnv names the log directory of the helper process of TestKill9.
const killHelperEnv = "PQSQL_TOMBSTONE_KILL_HELPER_DIR"

// killBatchKeys returns the keys the helper appends under seq: a size that
// varies up to a few hundred tombstones, so that kills land mid-write.
func killBatchKeys(seq uint64) []Key {
	n := 1 + int(seq*37%400)
	keys := make([]Key, n)
	for i := range keys {
		keys[i] = IntKey(int64(seq)*1000 + int64(i))
	}
	return keys
}

// TestKillHelper is the process TestKill9 kills: it appends batches forever,
// printing "acked SEQ" after each Append returns.
func TestKillHelper(t *testing.T) {
	dir := os.Getenv(killHelperEnv)
	if dir == "" {
		t.Skip("helper process of TestKill9")
	}
	ctx := context.Background()
	l, err := Open(ctx, dir, testTable, zerolog.Nop())
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	for {
		seq := l.NextSeq()
		got, err := l.Append(ctx, ts(killBatchKeys(seq)...))
		if err != nil || got != seq {
			fmt.Println("error", got, err)
			os.Exit(2)
		}
		fmt.Printf("acked %d\n", seq)
	}
}

// TestKill9 SIGKILLs a process appending to a log at a random moment and
// checks that every batch it acknowledged survives, whole, and that no batch
// is partly present. It repeats on the same log, so recovery of a torn tail
// is followed by further appends.
func TestKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(os.Getpid()), 7))
	acked := make(map[uint64]bool)
	for round := range 4 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillHelper$")
		cmd.Env = append(os.Environ(), killHelperEnv+"="+dir)
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Never leave the helper running, whatever happens below.
		defer func() { _ = cmd.Process.Kill() }()
		killAfter := 1 + rng.IntN(60)
		sc := bufio.NewScanner(out)
		killed := false
		for sc.Scan() {
			var seq uint64
			if _, err := fmt.Sscanf(sc.Text(), "acked %d", &seq); err != nil {
				t.Logf("helper: %s", sc.Text())
				continue
			}
			acked[seq] = true
			if killAfter--; killAfter == 0 && !killed {
				if err := cmd.Process.Kill(); err != nil { // SIGKILL
					t.Fatal(err)
				}
				killed = true
			}
		}
		// Lines written before the kill are acknowledgements too: the scan
		// above reads them all.
		_ = cmd.Wait()
		if !killed {
			t.Fatalf("round %d: helper exited before being killed", round)
		}

		l, err := Open(context.Background(), dir, testTable, zerolog.Nop())
		if err != nil {
			t.Fatalf("round %d: reopen: %v", round, err)
		}
		bySeq := make(map[uint64][]Key)
		for _, tb := range l.All() {
			bySeq[tb.Seq] = append(bySeq[tb.Seq], tb.Key)
		}
		for seq := range acked {
			if _, ok := bySeq[seq]; !ok {
				t.Fatalf("round %d: acknowledged batch %d lost", round, seq)
			}
		}
		for seq, keys := range bySeq {
			want := killBatchKeys(seq)
			if len(keys) != len(want) {
				t.Fatalf("round %d: batch %d has %d of %d tombstones", round, seq, len(keys), len(want))
			}
			for i := range keys {
				if keys[i] != want[i] {
					t.Fatalf("round %d: batch %d tombstone %d is %v, want %v", round, seq, i, keys[i], want[i])
				}
			}
		}
		t.Logf("round %d: %d acknowledged, %d batches in the log", round, len(acked), len(bySeq))
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
