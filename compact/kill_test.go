package compact

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/rs/zerolog"

	"github.com/pqsql/pqsql/tables"
)

// killChildEnv names the data directory of the child process of
// TestVacuumKill9.
const killChildEnv = "PQSQL_COMPACT_KILL_CHILD"

// TestVacuumKill9 runs DELETEs and VACUUMs in a child process, kills it
// with SIGKILL at a random point, and checks after each restart that every
// acknowledged DELETE holds, every row not deleted is there exactly once,
// no temp file is left, and a VACUUM then erases the deleted rows.
func TestVacuumKill9(t *testing.T) {
	if dir := os.Getenv(killChildEnv); dir != "" {
		killChild(dir)
		return
	}
	if testing.Short() {
		t.Skip("kill test skipped in short mode")
	}
	dir := t.TempDir()
	writeRows(t, dir+"/t/a.parquet", rowsOf(0, 3000), 500)
	writeRows(t, dir+"/t/b.parquet", rowsOf(3000, 4000), 300)
	writeRows(t, dir+"/t/c.parquet", rowsOf(4000, 6000), 1000)
	all := rowsOf(0, 6000)
	acked := make(map[int64]bool)
	rng := rand.New(rand.NewPCG(7, 7))
	for round := range 12 {
		pending := runAndKill(t, dir, rng, acked)
		// Restart.
		c := openCat(t, dir)
		tbl := table(t, c, "t")
		if tmp := tempFiles(t, dir); len(tmp) != 0 {
			t.Errorf("round %d: temp files after restart: %q", round, tmp)
		}
		got := scanRows(t, tbl, false)
		seen := make(map[int64]int)
		for _, r := range got {
			seen[r.ID]++
		}
		for _, r := range all {
			switch {
			case acked[r.ID] && seen[r.ID] > 0:
				t.Fatalf("round %d: acknowledged DELETE of %d undone", round, r.ID)
			case !acked[r.ID] && !pending[r.ID] && seen[r.ID] != 1:
				t.Fatalf("round %d: live row %d seen %d times", round, r.ID, seen[r.ID])
			case seen[r.ID] > 1:
				t.Fatalf("round %d: row %d seen %d times", round, r.ID, seen[r.ID])
			}
			if pending[r.ID] && seen[r.ID] == 0 {
				acked[r.ID] = true // the in-flight DELETE was durable
			}
		}
		hiddenPending := 0
		for id := range pending {
			if seen[id] == 0 {
				hiddenPending++
			}
		}
		if hiddenPending != 0 && hiddenPending != len(pending) {
			t.Fatalf("round %d: DELETE in flight applied to %d of its %d keys", round, hiddenPending, len(pending))
		}
		vacuum(t, tbl)
		if raw := scanRows(t, tbl, true); !slices.Equal(raw, got) {
			t.Fatalf("round %d: after VACUUM %d raw rows, want %d", round, len(raw), len(got))
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// runAndKill starts the child on dir, kills it after a random number of its
// lines, and records the DELETEs it acknowledged. It returns the ids of a
// DELETE in flight at the kill.
func runAndKill(t *testing.T, dir string, rng *rand.Rand, acked map[int64]bool) map[int64]bool {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestVacuumKill9$")
	cmd.Env = append(os.Environ(), killChildEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pending := make(map[int64]bool)
	inVacuum := false
	handle := func(line string) {
		f := strings.Fields(line)
		if len(f) == 0 {
			return
		}
		switch f[0] {
		case "P":
			clear(pending)
			for _, s := range f[1:] {
				id, _ := strconv.ParseInt(s, 10, 64)
				pending[id] = true
			}
		case "D":
			for id := range pending {
				acked[id] = true
			}
			clear(pending)
		case "S":
			inVacuum = true
		case "V":
			inVacuum = false
		}
	}
	sc := bufio.NewScanner(out)
	for lines := 1 + rng.IntN(12); lines > 0 && sc.Scan(); lines-- {
		handle(sc.Text())
	}
	// Land anywhere inside the next step.
	time.Sleep(time.Duration(rng.IntN(3000)) * time.Microsecond)
	_ = cmd.Process.Signal(syscall.SIGKILL)
	// Lines written before the kill count too.
	for sc.Scan() {
		handle(sc.Text())
	}
	_ = cmd.Wait()
	if inVacuum {
		t.Log("killed during a VACUUM")
	}
	return pending
}

// killChild deletes rows and vacuums until killed, printing "P ids" before
// each DELETE, "D" once it is acknowledged, "S" before each VACUUM and "V"
// after it.
func killChild(dir string) {
	ctx := context.Background()
	fail := func(what string, err error) {
		fmt.Fprintln(os.Stderr, "child:", what+":", err)
		os.Exit(2)
	}
	c, err := tables.Open(ctx, dir, tables.Options{Logger: zerolog.Nop()})
	if err != nil {
		fail("open", err)
	}
	tbl := c.Table("t")
	rng := rand.New(rand.NewPCG(uint64(os.Getpid()), 1))
	for {
		live, err := liveIDs(ctx, tbl)
		if err != nil {
			fail("scan", err)
		}
		if len(live) < 10 {
			select {}
		}
		var ids []any
		var names []string
		for range 3 {
			id := live[rng.IntN(len(live))]
			ids = append(ids, id)
			names = append(names, strconv.FormatInt(id, 10))
		}
		fmt.Printf("P %s\n", strings.Join(names, " "))
		if _, err := tbl.Delete(ctx, ids, "child", ""); err != nil {
			fail("delete", err)
		}
		fmt.Println("D")
		if rng.IntN(2) == 0 {
			fmt.Println("S")
			if _, err := Vacuum(ctx, tbl, Options{AuditSecret: testSecret}); err != nil {
				fail("vacuum", err)
			}
			fmt.Println("V")
		}
	}
}

// liveIDs returns the key of every visible row of tbl.
func liveIDs(ctx context.Context, tbl *tables.Table) ([]int64, error) {
	s, err := tbl.Scan(ctx, tables.ScanOptions{Columns: []int{0}})
	if err != nil {
		return nil, err
	}
	defer s.Close()
	var ids []int64
	for {
		b, err := s.Next(ctx)
		if errors.Is(err, io.EOF) {
			return ids, nil
		}
		if err != nil {
			return nil, err
		}
		ids = append(ids, b.Record.Column(0).(*array.Int64).Int64Values()...)
		b.Record.Release()
	}
}
