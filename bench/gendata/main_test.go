package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	if err := run([]string{"-out", dir, "-candidates", "50", "-candidates-rowgroup", "20", "-events", "30"}); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{"alltypes.parquet", "candidates.parquet", "events.parquet"}; !slices.Equal(names, want) {
		t.Errorf("wrote %v, want %v", names, want)
	}
	if err := run([]string{"-candidates", "1"}); err == nil {
		t.Error("run without -out succeeded")
	}
}
