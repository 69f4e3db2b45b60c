package integration

import (
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/pqsql/pqsql/bench/datagen"
)

func TestPsqlQueries(t *testing.T) {
	p := shared.get(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"count", []string{"-c", "SELECT count(*) FROM candidates"}, "100000\n"},
		{"two statements in one message", []string{"-c", "SELECT 1; SELECT 2"}, "1\n2\n"},
		{"key lookup", []string{"-c", "SELECT candidate_id, years_experience FROM candidates WHERE candidate_id = 'CAND-000007'"},
			"CAND-000007|" + strconv.Itoa(int(datagen.Candidate(7).YearsExperience)) + "\n"},
		{"several -c", []string{"-c", "SELECT id FROM alltypes WHERE id < 3 ORDER BY id", "-c", "SELECT 'done'"}, "1\n2\ndone\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := psql(t, p, analystUser, analystPassword, tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			if out != tt.want {
				t.Errorf("psql %v printed %q, want %q", tt.args, out, tt.want)
			}
		})
	}
}

// TestPsqlAllTypes reads every type through psql (text format, as psql
// prints it) and compares with PostgreSQL's output for the same values.
func TestPsqlAllTypes(t *testing.T) {
	p := shared.get(t)
	const fieldSep, recordSep = "\x1f", "\x1e"
	out, err := psql(t, p, analystUser, analystPassword,
		"-F", fieldSep, "-R", recordSep, "-P", "null="+nullText,
		"-c", "SELECT "+strings.Join(allTypesColumns, ", ")+" FROM alltypes ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	var got [][]string
	for _, rec := range strings.Split(strings.TrimSuffix(out, "\n"), recordSep) {
		got = append(got, strings.Split(rec, fieldSep))
	}
	if !reflect.DeepEqual(got, allTypesGolden) {
		compareGolden(t, got)
	}
}
