// Command gendata writes pqsql's deterministic data sets as Parquet files:
//
//	go run ./bench/gendata -out DIR [-candidates 100000] [-events 0] [-alltypes]
//
// It writes DIR/candidates.parquet (row groups of 10,000 rows), with
// -alltypes DIR/alltypes.parquet, and with -events N > 0 DIR/events.parquet
// (row groups of -events-rowgroup rows). The same flags always give
// byte-identical files.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pqsql/pqsql/bench/datagen"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "gendata:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("gendata", flag.ContinueOnError)
	out := fs.String("out", "", "output directory (required)")
	candidates := fs.Int("candidates", 100_000, "rows of candidates.parquet; 0 to skip")
	candidatesRG := fs.Int("candidates-rowgroup", 10_000, "rows per row group of candidates.parquet")
	events := fs.Int64("events", 0, "rows of events.parquet; 0 to skip")
	eventsRG := fs.Int("events-rowgroup", 1_000_000, "rows per row group of events.parquet")
	allTypes := fs.Bool("alltypes", true, "write alltypes.parquet")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		fs.Usage()
		return fmt.Errorf("-out is required")
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", *out, err)
	}
	if *candidates > 0 {
		if err := datagen.WriteCandidates(filepath.Join(*out, "candidates.parquet"), *candidates, *candidatesRG); err != nil {
			return err
		}
	}
	if *allTypes {
		if err := datagen.WriteAllTypes(filepath.Join(*out, "alltypes.parquet")); err != nil {
			return err
		}
	}
	if *events > 0 {
		if err := datagen.WriteEvents(filepath.Join(*out, "events.parquet"), *events, *eventsRG); err != nil {
			return err
		}
	}
	return nil
}
