package integration

import (
	"cmp"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pqsql/pqsql/bench/datagen"
)

// candidateCount is the number of rows of testdata/candidates.parquet.
const candidateCount = 100_000

// allCandidates returns datagen's candidates 1..candidateCount, the rows of
// testdata/candidates.parquet, to compute expected answers independently.
func allCandidates() []datagen.CandidateRow {
	rows := make([]datagen.CandidateRow, candidateCount)
	for i := range rows {
		rows[i] = datagen.Candidate(i + 1)
	}
	return rows
}

// float8Text formats f as PostgreSQL's float8out does for values between
// 1e-4 and 1e15 (shortest exact representation, no exponent).
func float8Text(f float64) string {
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// centsText formats hundredths as numeric with scale 2.
func centsText(c int64) string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	return fmt.Sprintf("%s%d.%02d", sign, c/100, c%100)
}

func TestAllTypesText(t *testing.T) {
	p := shared.get(t)
	conn := connect(t, p, analystUser, analystPassword)
	got, err := queryText(testCtx(t), conn, "SELECT "+strings.Join(allTypesColumns, ", ")+" FROM alltypes ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	compareGolden(t, got)

	// SELECT * gives the columns in file order.
	star, err := queryText(testCtx(t), conn, "SELECT * FROM alltypes ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	compareGolden(t, star)
}

func compareGolden(t *testing.T, got [][]string) {
	t.Helper()
	if len(got) != len(allTypesGolden) {
		t.Fatalf("got %d rows, want %d", len(got), len(allTypesGolden))
	}
	for i, want := range allTypesGolden {
		if len(got[i]) != len(want) {
			t.Errorf("row %d: %d columns, want %d", i+1, len(got[i]), len(want))
			continue
		}
		for j := range want {
			if got[i][j] != want[j] {
				t.Errorf("id %s, %s: got %q, want %q", want[0], allTypesColumns[j], got[i][j], want[j])
			}
		}
	}
}

func TestAllTypesNulls(t *testing.T) {
	p := shared.get(t)
	conn := connect(t, p, analystUser, analystPassword)
	// Row 2 is NULL in every column but the key.
	var where []string
	for _, c := range allTypesColumns[1:] {
		where = append(where, c+" IS NULL")
	}
	got, err := queryText(testCtx(t), conn, "SELECT id FROM alltypes WHERE "+strings.Join(where, " AND "))
	if err != nil {
		t.Fatal(err)
	}
	if want := [][]string{{"2"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("rows NULL in every column: got %v, want %v", got, want)
	}
	got, err = queryText(testCtx(t), conn, "SELECT count(*), count(c_text), count(c_int4) FROM alltypes")
	if err != nil {
		t.Fatal(err)
	}
	var texts, int4s int
	for _, r := range datagen.AllTypes() {
		if r.Text.Valid {
			texts++
		}
		if r.Int4.Valid {
			int4s++
		}
	}
	if want := [][]string{{"20", strconv.Itoa(texts), strconv.Itoa(int4s)}}; !reflect.DeepEqual(got, want) {
		t.Errorf("counts: got %v, want %v", got, want)
	}
}

func TestCandidateQueries(t *testing.T) {
	p := shared.get(t)
	conn := connect(t, p, analystUser, analystPassword)
	cands := allCandidates()

	type check struct {
		name string
		sql  string
		want [][]string
	}
	var checks []check

	checks = append(checks, check{"count", "SELECT count(*) FROM candidates", [][]string{{strconv.Itoa(candidateCount)}}})

	c42 := datagen.Candidate(42)
	checks = append(checks, check{"key lookup",
		"SELECT candidate_id, first_name, last_name, city, state, years_experience, status FROM candidates WHERE candidate_id = 'CAND-000042'",
		[][]string{{c42.CandidateID, c42.FirstName, c42.LastName, c42.City, c42.State, strconv.Itoa(int(c42.YearsExperience)), c42.Status}}})

	// Filter with AND, a range and a string comparison.
	n := 0
	for _, c := range cands {
		if c.City == "Denver" && c.YearsExperience >= 10 && c.YearsExperience < 20 && c.Status != "rejected" {
			n++
		}
	}
	checks = append(checks, check{"filter",
		"SELECT count(*) FROM candidates WHERE city = 'Denver' AND years_experience >= 10 AND years_experience < 20 AND status <> 'rejected'",
		[][]string{{strconv.Itoa(n)}}})

	// IN list and OR.
	var ids [][]string
	for _, c := range cands {
		if (c.State == "UT" || c.State == "MN") && c.FirstName == "Linda" && c.YearsExperience > 25 {
			ids = append(ids, []string{c.CandidateID})
		}
	}
	checks = append(checks, check{"in list",
		"SELECT candidate_id FROM candidates WHERE state IN ('UT', 'MN') AND first_name = 'Linda' AND years_experience > 25 ORDER BY candidate_id",
		ids})

	// Aggregates per group, including sum over a nullable numeric.
	type agg struct {
		count, salaries     int
		minY, maxY, sumY    int64
		salarySum           int64
		hasSalary, hasYears bool
	}
	byStatus := map[string]*agg{}
	for _, c := range cands {
		a := byStatus[c.Status]
		if a == nil {
			a = &agg{minY: 1 << 40, maxY: -1}
			byStatus[c.Status] = a
		}
		a.count++
		y := int64(c.YearsExperience)
		a.sumY += y
		a.minY, a.maxY = min(a.minY, y), max(a.maxY, y)
		if c.SalaryCents.Valid {
			a.salaries++
			a.salarySum += c.SalaryCents.V
		}
	}
	var aggRows [][]string
	for _, s := range slices.Sorted(maps.Keys(byStatus)) {
		a := byStatus[s]
		aggRows = append(aggRows, []string{s, strconv.Itoa(a.count), strconv.FormatInt(a.minY, 10), strconv.FormatInt(a.maxY, 10),
			strconv.FormatInt(a.sumY, 10), strconv.Itoa(a.salaries), centsText(a.salarySum)})
	}
	checks = append(checks, check{"group by aggregates",
		"SELECT status, count(*), min(years_experience), max(years_experience), sum(years_experience), count(salary), sum(salary) FROM candidates GROUP BY status ORDER BY status",
		aggRows})

	// ORDER BY a nullable column with NULLS FIRST / LAST, LIMIT and OFFSET.
	var boulder []datagen.CandidateRow
	for _, c := range cands {
		if c.City == "Boulder" && c.YearsExperience == 3 {
			boulder = append(boulder, c)
		}
	}
	scoreText := func(c datagen.CandidateRow) string {
		if !c.Score.Valid {
			return nullText
		}
		return float8Text(c.Score.V)
	}
	byScore := func(desc, nullsFirst bool) [][]string {
		s := slices.Clone(boulder)
		slices.SortStableFunc(s, func(a, b datagen.CandidateRow) int {
			if a.Score.Valid != b.Score.Valid {
				if !a.Score.Valid == nullsFirst {
					return -1
				}
				return 1
			}
			if a.Score.Valid {
				c := cmp.Compare(a.Score.V, b.Score.V)
				if desc {
					c = -c
				}
				if c != 0 {
					return c
				}
			}
			return strings.Compare(a.CandidateID, b.CandidateID)
		})
		var out [][]string
		for _, c := range s[2:min(len(s), 9)] { // OFFSET 2 LIMIT 7
			out = append(out, []string{c.CandidateID, scoreText(c)})
		}
		return out
	}
	const boulderSQL = "SELECT candidate_id, score FROM candidates WHERE city = 'Boulder' AND years_experience = 3 ORDER BY score "
	checks = append(checks,
		check{"order nulls first", boulderSQL + "NULLS FIRST, candidate_id LIMIT 7 OFFSET 2", byScore(false, true)},
		check{"order desc nulls last", boulderSQL + "DESC NULLS LAST, candidate_id LIMIT 7 OFFSET 2", byScore(true, false)},
		check{"order default (nulls last)", boulderSQL + "ASC, candidate_id LIMIT 7 OFFSET 2", byScore(false, false)},
		check{"order desc default (nulls first)", boulderSQL + "DESC, candidate_id LIMIT 7 OFFSET 2", byScore(true, true)},
	)

	checks = append(checks, check{"limit offset on key",
		"SELECT candidate_id FROM candidates ORDER BY candidate_id LIMIT 3 OFFSET 10",
		[][]string{{"CAND-000011"}, {"CAND-000012"}, {"CAND-000013"}}})

	// Self-join: candidates with the same name as candidate 1, in Denver.
	c1 := datagen.Candidate(1)
	var namesakes [][]string
	for _, c := range cands {
		if c.FirstName == c1.FirstName && c.LastName == c1.LastName && c.City == "Denver" {
			namesakes = append(namesakes, []string{c1.CandidateID, c.CandidateID, c.City})
		}
	}
	checks = append(checks, check{"self join",
		"SELECT a.candidate_id, b.candidate_id, b.city FROM (SELECT * FROM candidates WHERE candidate_id = 'CAND-000001') a " +
			"JOIN (SELECT * FROM candidates WHERE city = 'Denver') b ON a.first_name = b.first_name AND a.last_name = b.last_name " +
			"ORDER BY b.candidate_id",
		namesakes})

	// Join of two tables: candidates 1..30 to alltypes on years = id.
	texts := map[int32]string{}
	for _, r := range datagen.AllTypes() {
		if r.Text.Valid {
			texts[r.ID] = r.Text.V
		} else {
			texts[r.ID] = nullText
		}
	}
	var joined [][]string
	for _, c := range cands[:30] {
		if txt, ok := texts[c.YearsExperience]; ok {
			joined = append(joined, []string{c.CandidateID, strconv.Itoa(int(c.YearsExperience)), txt})
		}
	}
	checks = append(checks, check{"join two tables",
		"SELECT c.candidate_id, t.id, t.c_text FROM candidates c JOIN alltypes t ON t.id = c.years_experience " +
			"WHERE c.candidate_id <= 'CAND-000030' ORDER BY c.candidate_id",
		joined})

	// Self-join of alltypes on a nullable column: NULLs never match.
	var selfJoin [][]string
	rows := datagen.AllTypes()
	for _, a := range rows {
		for _, b := range rows {
			if a.Bool.Valid && b.Bool.Valid && a.Bool.V == b.Bool.V && a.ID < b.ID && a.ID <= 4 {
				selfJoin = append(selfJoin, []string{strconv.Itoa(int(a.ID)), strconv.Itoa(int(b.ID))})
			}
		}
	}
	checks = append(checks, check{"alltypes self join",
		"SELECT a.id, b.id FROM alltypes a JOIN alltypes b ON a.c_bool = b.c_bool WHERE a.id < b.id AND a.id <= 4 ORDER BY a.id, b.id",
		selfJoin})

	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			got, err := queryText(testCtx(t), conn, c.sql)
			if err != nil {
				t.Fatalf("%s: %v", c.sql, err)
			}
			if len(c.want) == 0 {
				t.Fatalf("test data gives no expected rows for %s; choose another filter", c.sql)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("%s:\n got %v\nwant %v", c.sql, got, c.want)
			}
		})
	}
}

// TestTopCities checks the README's example query against counts computed
// from the generator.
func TestTopCities(t *testing.T) {
	p := shared.get(t)
	conn := connect(t, p, analystUser, analystPassword)
	counts := map[string]int{}
	for _, c := range allCandidates() {
		counts[c.City]++
	}
	type cityCount struct {
		city  string
		count int
	}
	var all []cityCount
	for city, n := range counts {
		all = append(all, cityCount{city, n})
	}
	slices.SortFunc(all, func(a, b cityCount) int { return cmp.Compare(b.count, a.count) })
	if all[4].count == all[5].count {
		t.Fatalf("test data has a tie at the 5th place (%v, %v); the query's answer is not unique", all[4], all[5])
	}

	got, err := queryText(testCtx(t), conn, "SELECT city, count(*) FROM candidates GROUP BY city ORDER BY 2 DESC LIMIT 5")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 {
		t.Fatalf("got %d rows, want 5: %v", len(got), got)
	}
	for i, row := range got {
		want := all[i]
		// Cities with equal counts may come in either order.
		if row[1] != strconv.Itoa(want.count) || strconv.Itoa(counts[row[0]]) != row[1] {
			t.Errorf("row %d: got %v, want %s %d", i+1, row, want.city, want.count)
		}
	}
}

// TestPointQueriesAsText runs point queries as psql and psycopg2 send them,
// the key written into the text, many in one session: after the first, the
// server answers them from the first one's plan (only the key differs), so
// each must still get its own row, and a text that only looks alike its
// answer by the full parse.
func TestPointQueriesAsText(t *testing.T) {
	p := shared.get(t)
	rows := allCandidates()
	var script strings.Builder
	var want strings.Builder
	for _, n := range []int{1, 2, 99_999, 100_000, 12_345, 2} {
		r := rows[n-1]
		fmt.Fprintf(&script, "SELECT candidate_id, first_name, city FROM candidates WHERE candidate_id = '%s';\n", r.CandidateID)
		fmt.Fprintf(&want, "%s|%s|%s\n", r.CandidateID, r.FirstName, r.City)
	}
	// Alike but for the constant: no such key, a quote in it, a string
	// continued on the next line (the lexer joins the parts), an integer.
	script.WriteString("SELECT candidate_id, first_name, city FROM candidates WHERE candidate_id = 'CAND-1''0';\n")
	fmt.Fprintf(&script, "SELECT candidate_id, first_name, city FROM candidates WHERE candidate_id = 'CAND-'\n'000007';\n")
	r := rows[6]
	fmt.Fprintf(&want, "%s|%s|%s\n", r.CandidateID, r.FirstName, r.City)
	script.WriteString("SELECT candidate_id, first_name, city FROM candidates WHERE candidate_id IN ('CAND-000003', 'CAND-000004');\n")
	script.WriteString("SELECT candidate_id, first_name, city FROM candidates WHERE candidate_id IN ('CAND-000005', 'CAND-000003');\n")
	for _, n := range []int{3, 4, 3, 5} {
		r := rows[n-1]
		fmt.Fprintf(&want, "%s|%s|%s\n", r.CandidateID, r.FirstName, r.City)
	}
	file := filepath.Join(t.TempDir(), "points.sql")
	if err := os.WriteFile(file, []byte(script.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := psql(t, p, analystUser, analystPassword, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-f", file)
	if err != nil {
		t.Fatal(err)
	}
	if out != want.String() {
		t.Errorf("psql printed:\n%s\nwant:\n%s", out, want.String())
	}
}
