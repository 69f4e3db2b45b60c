package integration

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pqsql/pqsql/bench/datagen"
)

// The client programs of integration/clients/ run real PostgreSQL drivers
// (pgjdbc, SQLAlchemy + psycopg2 + pandas, psycopg2, psycopg 3, asyncpg,
// node-postgres) against the binary. Each reads the connection from PGHOST,
// PGPORT, PGUSER, PGPASSWORD and PGDATABASE and the values it must see from
// the file named by PQSQL_EXPECT (written here from bench/datagen), and prints
// only "ok" (on failure: what failed, on stderr). make test-deps
// installs the drivers; a missing one skips its test.

// clientTimeout bounds one client program.
const clientTimeout = 90 * time.Second

// expectCandidateIDs are the candidates the programs look up one by one.
var expectCandidateIDs = []int{1, 7, 42, 999, 4242, 10000, 31337, 54321, 99999, 100000}

// clientExpectations returns the values the client programs check, as a flat
// map: a missing key stands for SQL NULL. Timestamps are microseconds since
// the Unix epoch (timestamp without time zone read as UTC), floats are
// shortest exact decimal strings with Infinity, -Infinity and NaN, bytea is
// hex and numeric is PostgreSQL's text form.
func clientExpectations() map[string]string {
	m := map[string]string{}
	var ids []string
	for _, i := range expectCandidateIDs {
		ids = append(ids, strconv.Itoa(i))
		c := datagen.Candidate(i)
		p := "cand." + strconv.Itoa(i) + "."
		m[p+"candidate_id"] = c.CandidateID
		m[p+"first_name"] = c.FirstName
		m[p+"last_name"] = c.LastName
		m[p+"email"] = c.Email
		m[p+"city"] = c.City
		m[p+"years_experience"] = strconv.Itoa(int(c.YearsExperience))
		if c.SalaryCents.Valid {
			m[p+"salary"] = expectCents(c.SalaryCents.V)
		}
		m[p+"created_at"] = strconv.FormatInt(c.CreatedAt.UnixMicro(), 10)
		if c.Score.Valid {
			m[p+"score"] = expectFloat(c.Score.V, 64)
		}
		if c.Notes.Valid {
			m[p+"notes"] = c.Notes.V
		}
	}
	m["cand.ids"] = strings.Join(ids, ",")

	// The five largest cities; the programs ask ORDER BY n DESC LIMIT 5, so
	// the fifth count must be unique for the answer to be determined.
	counts := map[string]int{}
	obrien, firstOBrien := 0, ""
	for i := 1; i <= 100000; i++ {
		c := datagen.Candidate(i)
		counts[c.City]++
		if c.LastName == "O'Brien" {
			if obrien == 0 {
				firstOBrien = c.CandidateID
			}
			obrien++
		}
	}
	m["obrien.count"] = strconv.Itoa(obrien)
	m["obrien.first"] = firstOBrien
	type cityCount struct {
		city string
		n    int
	}
	var cc []cityCount
	for c, n := range counts {
		cc = append(cc, cityCount{c, n})
	}
	sort.Slice(cc, func(i, j int) bool { return cc[i].n > cc[j].n || cc[i].n == cc[j].n && cc[i].city < cc[j].city })
	var top []string
	for i := 0; i < 5; i++ {
		top = append(top, cc[i].city+":"+strconv.Itoa(cc[i].n))
	}
	if cc[4].n == cc[5].n || cc[0].n == cc[1].n || cc[1].n == cc[2].n || cc[2].n == cc[3].n || cc[3].n == cc[4].n {
		panic("clients test: top city counts tie; the GROUP BY check needs a tie-breaker")
	}
	m["topcities"] = strings.Join(top, ",")
	m["cities"] = strconv.Itoa(len(counts))

	for _, r := range datagen.AllTypes() {
		p := "alltypes." + strconv.Itoa(int(r.ID)) + "."
		m[p+"id"] = strconv.Itoa(int(r.ID))
		if r.Int2.Valid {
			m[p+"c_int2"] = strconv.Itoa(int(r.Int2.V))
		}
		if r.Int4.Valid {
			m[p+"c_int4"] = strconv.Itoa(int(r.Int4.V))
		}
		if r.Int8.Valid {
			m[p+"c_int8"] = strconv.FormatInt(r.Int8.V, 10)
		}
		if r.Float4.Valid {
			m[p+"c_float4"] = expectFloat(float64(r.Float4.V), 32)
		}
		if r.Float8.Valid {
			m[p+"c_float8"] = expectFloat(r.Float8.V, 64)
		}
		if r.Bool.Valid {
			m[p+"c_bool"] = strconv.FormatBool(r.Bool.V)
		}
		if r.Text.Valid {
			m[p+"c_text"] = r.Text.V
		}
		if r.NumericCents.Valid {
			m[p+"c_numeric"] = expectCents(r.NumericCents.V)
		}
		if r.Date.Valid {
			m[p+"c_date"] = r.Date.V.Format("2006-01-02")
		}
		if r.Timestamptz.Valid {
			m[p+"c_timestamptz"] = strconv.FormatInt(r.Timestamptz.V.UnixMicro(), 10)
		}
		if r.Timestamp.Valid {
			m[p+"c_timestamp"] = strconv.FormatInt(r.Timestamp.V.UnixMicro(), 10)
		}
		if r.Bytea.Valid {
			m[p+"c_bytea"] = hex.EncodeToString(r.Bytea.V)
		}
		if r.UUID.Valid {
			u := hex.EncodeToString(r.UUID.V[:])
			m[p+"c_uuid"] = u[:8] + "-" + u[8:12] + "-" + u[12:16] + "-" + u[16:20] + "-" + u[20:]
		}
	}
	m["alltypes.count"] = strconv.Itoa(len(datagen.AllTypes()))
	return m
}

// expectCents formats hundredths as numeric(p,2) text: -1234 is "-12.34".
func expectCents(v int64) string {
	sign := ""
	u := uint64(v)
	if v < 0 {
		sign, u = "-", -uint64(v)
	}
	return fmt.Sprintf("%s%d.%02d", sign, u/100, u%100)
}

// expectFloat formats v as the shortest decimal that reads back as the same value
// of the given bit size, spelling the specials as Java, JavaScript and Python
// all parse them.
func expectFloat(v float64, bits int) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "Infinity"
	case math.IsInf(v, -1):
		return "-Infinity"
	}
	return strconv.FormatFloat(v, 'g', -1, bits)
}

// writeExpectations writes m to dir as expect.json and as expect.properties
// (for Java) and returns the two paths.
func writeExpectations(t *testing.T, dir string, m map[string]string) (jsonPath, propsPath string) {
	t.Helper()
	data, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	jsonPath = filepath.Join(dir, "expect.json")
	if err := os.WriteFile(jsonPath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte('=')
		for i, r := range m[k] {
			switch {
			case r == '\\':
				b.WriteString(`\\`)
			case r == '\n':
				b.WriteString(`\n`)
			case r == '\r':
				b.WriteString(`\r`)
			case r == '\t':
				b.WriteString(`\t`)
			case r == ' ' && i == 0:
				b.WriteString(`\ `)
			case r < 0x20 || r > 0x7e:
				// \uXXXX, as UTF-16 code units.
				for _, u := range utf16Units(r) {
					fmt.Fprintf(&b, `\u%04x`, u)
				}
			default:
				b.WriteRune(r)
			}
		}
		b.WriteByte('\n')
	}
	propsPath = filepath.Join(dir, "expect.properties")
	if err := os.WriteFile(propsPath, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return jsonPath, propsPath
}

func utf16Units(r rune) []uint16 {
	if r < 0x10000 {
		return []uint16{uint16(r)}
	}
	r -= 0x10000
	return []uint16{uint16(0xd800 + (r >> 10)), uint16(0xdc00 + (r & 0x3ff))}
}

// systemPython returns the Python 3 that has Debian's python3-* packages:
// /usr/bin/python3 rather than whatever python3 comes first on PATH.
func systemPython() string {
	if _, err := os.Stat("/usr/bin/python3"); err == nil {
		return "/usr/bin/python3"
	}
	if p, err := exec.LookPath("python3"); err == nil {
		return p
	}
	return ""
}

// pgJDBCJar is where Debian's libpostgresql-jdbc-java puts pgjdbc.
const pgJDBCJar = "/usr/share/java/postgresql.jar"

func TestClients(t *testing.T) {
	if testing.Short() {
		t.Skip("the client programs take about a minute; skipped with -short")
	}
	p := shared.get(t)
	clientsDir := filepath.Join(repoRoot, "integration", "clients")
	jsonPath, propsPath := writeExpectations(t, t.TempDir(), clientExpectations())
	python := systemPython()

	// needPython skips unless python can import every module.
	needPython := func(t *testing.T, modules, packages string) {
		t.Helper()
		if python == "" {
			t.Skip("python3 is not installed (make test-deps installs it)")
		}
		if out, err := exec.Command(python, "-c", "import "+modules).CombinedOutput(); err != nil {
			t.Skipf("%s cannot import %s (make test-deps installs %s): %s", python, modules, packages, bytes.TrimSpace(out))
		}
	}
	tests := []struct {
		name  string
		check func(t *testing.T) // skips when the client is not installed
		cmd   func() []string
		props bool // Java reads expect.properties
	}{
		{"jdbc", func(t *testing.T) {
			if _, err := exec.LookPath("java"); err != nil {
				t.Skip("java is not installed (make test-deps installs default-jdk-headless)")
			}
			if _, err := os.Stat(pgJDBCJar); err != nil {
				t.Skip("pgjdbc is not installed (make test-deps installs libpostgresql-jdbc-java)")
			}
		}, func() []string {
			return []string{"java", "-cp", pgJDBCJar, filepath.Join(clientsDir, "jdbc", "Main.java")}
		}, true},
		{"sqlalchemy", func(t *testing.T) {
			needPython(t, "sqlalchemy, pandas, psycopg2", "python3-sqlalchemy python3-pandas python3-psycopg2")
		}, func() []string { return []string{python, filepath.Join(clientsDir, "sqlalchemy_client.py")} }, false},
		{"psycopg2", func(t *testing.T) {
			needPython(t, "psycopg2", "python3-psycopg2")
		}, func() []string { return []string{python, filepath.Join(clientsDir, "psycopg2_client.py")} }, false},
		{"psycopg3", func(t *testing.T) {
			needPython(t, "psycopg", "python3-psycopg")
		}, func() []string { return []string{python, filepath.Join(clientsDir, "psycopg3_client.py")} }, false},
		{"asyncpg", func(t *testing.T) {
			needPython(t, "asyncpg", "python3-asyncpg")
		}, func() []string { return []string{python, filepath.Join(clientsDir, "asyncpg_client.py")} }, false},
		{"node-postgres", func(t *testing.T) {
			if _, err := exec.LookPath("node"); err != nil {
				t.Skip("node is not installed (make test-deps installs nodejs)")
			}
			if _, err := os.Stat(filepath.Join(clientsDir, "node_modules", "pg", "package.json")); err != nil {
				t.Skip("npm package pg is not installed (make test-deps runs npm ci in integration/clients)")
			}
		}, func() []string { return []string{"node", filepath.Join(clientsDir, "node_client.js")} }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.check(t)
			expect := jsonPath
			if tt.props {
				expect = propsPath
			}
			runClient(t, p, tt.cmd(), expect)
		})
	}
}

// runClient runs one client program against p and fails unless it exits 0
// having printed exactly "ok".
func runClient(t *testing.T, p *pqsqlProcess, argv []string, expect string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = filepath.Dir(argv[len(argv)-1])
	cmd.Env = append(cleanPGEnv(),
		"PGHOST=127.0.0.1",
		"PGPORT="+strconv.Itoa(p.port),
		"PGUSER="+analystUser,
		"PGPASSWORD="+analystPassword,
		"PGDATABASE=pqsql",
		"PQSQL_EXPECT="+expect,
		"TZ=UTC",
		"PYTHONDONTWRITEBYTECODE=1",
	)
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	elapsed := time.Since(start).Round(time.Millisecond)
	if ctx.Err() != nil {
		t.Fatalf("%s did not finish within %v; stdout:\n%s\nstderr:\n%s", strings.Join(argv, " "), clientTimeout, stdout.String(), stderr.String())
	}
	if err != nil || strings.TrimSpace(stdout.String()) != "ok" {
		t.Fatalf("%s: %v after %v\nstdout:\n%s\nstderr:\n%s", strings.Join(argv, " "), err, elapsed, stdout.String(), stderr.String())
	}
	t.Logf("%s: ok in %v", filepath.Base(argv[len(argv)-1]), elapsed)
}
