package datagen

import (
	"database/sql"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// seed is the fixed first PCG seed of every generator; the row index is the second.
const seed = 0x9e3779b97f4a7c15

// candidatesStream separates the candidates' random streams from the events'.
const candidatesStream = 1 << 62

// CandidateRow is one row of the candidates table. Nullable columns use sql.Null.
type CandidateRow struct {
	CandidateID     string // text NOT NULL, key: "CAND-000001"
	FirstName       string // text NOT NULL
	LastName        string // text NOT NULL
	Email           string // text NOT NULL
	Phone           sql.Null[string]
	City            string // text NOT NULL
	State           string // text NOT NULL, two-letter code
	YearsExperience int32  // int4 NOT NULL
	// SalaryCents is numeric(12,2) in hundredths: 8512345 is 85123.45.
	SalaryCents sql.Null[int64]
	Status      string    // text NOT NULL
	Source      string    // text NOT NULL
	CreatedAt   time.Time // timestamptz NOT NULL, UTC, microseconds
	Score       sql.Null[float64]
	LinkedInURL sql.Null[string]
	Notes       sql.Null[string]
}

// CandidatesCreateTable is the PostgreSQL definition of the candidates table,
// for loading WriteCandidatesCSV's output with COPY candidates FROM STDIN (FORMAT csv).
const CandidatesCreateTable = `CREATE TABLE candidates (
    candidate_id text PRIMARY KEY,
    first_name text NOT NULL,
    last_name text NOT NULL,
    email text NOT NULL,
    phone text,
    city text NOT NULL,
    state text NOT NULL,
    years_experience integer NOT NULL,
    salary numeric(12,2),
    status text NOT NULL,
    source text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    score double precision,
    linkedin_url text,
    notes text
)`

var (
	firstNames = []string{
		"James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda",
		"David", "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica",
		"Thomas", "Sarah", "Charles", "Karen", "Christopher", "Lisa", "Daniel", "Nancy",
		"Matthew", "Betty", "Anthony", "Margaret", "Mark", "Sandra", "Donald", "Ashley",
		"Steven", "Kimberly", "Paul", "Emily", "Andrew", "Donna", "Joshua", "Michelle",
		"Kevin", "Amanda", "Brian", "Melissa", "Priya", "Wei", "Fatima", "José", "Zoë", "Seán",
	}
	lastNames = []string{
		"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
		"Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas",
		"Taylor", "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White",
		"Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young",
		"Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
		"Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Patel", "Chen", "O'Brien", "Müller",
	}
	// cities are (city, state, area code).
	cities = []struct{ name, state, area string }{
		{"Denver", "CO", "303"}, {"Boulder", "CO", "720"}, {"Austin", "TX", "512"},
		{"Dallas", "TX", "214"}, {"Houston", "TX", "713"}, {"Seattle", "WA", "206"},
		{"Portland", "OR", "503"}, {"San Francisco", "CA", "415"}, {"Los Angeles", "CA", "213"},
		{"San Diego", "CA", "619"}, {"New York", "NY", "212"}, {"Brooklyn", "NY", "718"},
		{"Boston", "MA", "617"}, {"Chicago", "IL", "312"}, {"Atlanta", "GA", "404"},
		{"Miami", "FL", "305"}, {"Phoenix", "AZ", "602"}, {"Minneapolis", "MN", "612"},
		{"Raleigh", "NC", "919"}, {"Salt Lake City", "UT", "801"}, {"Nashville", "TN", "615"},
		{"Pittsburgh", "PA", "412"}, {"Philadelphia", "PA", "215"}, {"Detroit", "MI", "313"},
		{"Columbus", "OH", "614"},
	}
	// candidateStatuses are weighted: new, screening, interview, offer, hired, rejected.
	candidateStatuses = weighted{
		{"new", 25}, {"screening", 25}, {"interview", 20}, {"offer", 8}, {"hired", 7}, {"rejected", 15},
	}
	candidateSources = weighted{
		{"linkedin", 30}, {"referral", 20}, {"indeed", 15}, {"company_website", 15},
		{"agency", 10}, {"career_fair", 5}, {"github", 5},
	}
	emailDomains   = []string{"example.com", "example.org", "example.net", "mail.example.com"}
	candidateNotes = []string{
		`Strong "culture add" per panel`,
		"Prefers remote, open to hybrid",
		"Relocating from O'Hare area",
		`Asked about 401(k) match; salary expectations \ flexible`,
		"Bilingual (English/Español)",
		"Follow up next week",
		"Two interviews scheduled:\nTue 10:00, Thu 14:00",
		"Great portfolio 🚀",
		"", // empty, not NULL
	}
	// asciiFold maps the accented letters of the name lists for e-mail addresses.
	asciiFold = strings.NewReplacer("é", "e", "ë", "e", "á", "a", "ü", "u", "'", "")
	// candidatesEpoch is the earliest created_at.
	candidatesEpoch = time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)
)

// weighted is a list of values with integer weights.
type weighted []struct {
	value  string
	weight int
}

// pick returns a value with probability proportional to its weight.
func (w weighted) pick(r *rand.Rand) string {
	total := 0
	for _, e := range w {
		total += e.weight
	}
	n := r.IntN(total)
	for _, e := range w {
		if n < e.weight {
			return e.value
		}
		n -= e.weight
	}
	return w[len(w)-1].value
}

// rowRand returns the random source of row i of a stream.
func rowRand(stream uint64, i uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, stream^i))
}

// Candidate returns candidate i (1-based: Candidate(1) is CAND-000001). It is
// a pure function of i.
func Candidate(i int) CandidateRow {
	r := rowRand(candidatesStream, uint64(i))
	first := firstNames[r.IntN(len(firstNames))]
	last := lastNames[r.IntN(len(lastNames))]
	city := cities[r.IntN(len(cities))]
	years := int32(r.IntN(26) + r.IntN(11)) // 0..35, mostly mid-career
	row := CandidateRow{
		CandidateID:     fmt.Sprintf("CAND-%06d", i),
		FirstName:       first,
		LastName:        last,
		Email:           strings.ToLower(asciiFold.Replace(first+"."+last)) + fmt.Sprintf("%d@%s", r.IntN(1000), emailDomains[r.IntN(len(emailDomains))]),
		City:            city.name,
		State:           city.state,
		YearsExperience: years,
		Status:          candidateStatuses.pick(r),
		Source:          candidateSources.pick(r),
		CreatedAt:       candidatesEpoch.Add(time.Duration(r.Int64N(4*365*24*3600*1e6)) * time.Microsecond),
	}
	if r.IntN(100) >= 5 {
		row.Phone = sql.Null[string]{V: fmt.Sprintf("+1-%s-555-%04d", city.area, r.IntN(10000)), Valid: true}
	}
	if r.IntN(100) >= 3 {
		dollars := 45000 + int64(years)*3500 + r.Int64N(40000)
		row.SalaryCents = sql.Null[int64]{V: dollars*100 + r.Int64N(100), Valid: true}
	}
	if r.IntN(100) >= 10 {
		row.Score = sql.Null[float64]{V: math.Round(r.Float64()*10000) / 100, Valid: true}
	}
	if r.IntN(100) >= 40 {
		slug := strings.ToLower(asciiFold.Replace(first + "-" + last))
		row.LinkedInURL = sql.Null[string]{V: fmt.Sprintf("https://www.linkedin.com/in/%s-%d", slug, r.IntN(100000)), Valid: true}
	}
	if r.IntN(100) >= 80 {
		row.Notes = sql.Null[string]{V: candidateNotes[r.IntN(len(candidateNotes))], Valid: true}
	}
	return row
}

// candidatesSchema is the Arrow schema of the candidates file.
func candidatesSchema() *arrow.Schema {
	return arrow.NewSchema([]arrow.Field{
		{Name: "candidate_id", Type: arrow.BinaryTypes.String},
		{Name: "first_name", Type: arrow.BinaryTypes.String},
		{Name: "last_name", Type: arrow.BinaryTypes.String},
		{Name: "email", Type: arrow.BinaryTypes.String},
		{Name: "phone", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "city", Type: arrow.BinaryTypes.String},
		{Name: "state", Type: arrow.BinaryTypes.String},
		{Name: "years_experience", Type: arrow.PrimitiveTypes.Int32},
		{Name: "salary", Type: &arrow.Decimal128Type{Precision: 12, Scale: 2}, Nullable: true},
		{Name: "status", Type: arrow.BinaryTypes.String},
		{Name: "source", Type: arrow.BinaryTypes.String},
		{Name: "created_at", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
		{Name: "score", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "linkedin_url", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "notes", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
}

// WriteCandidates writes candidates 1..n to path as Parquet (snappy) in row
// groups of rowGroupRows rows, atomically.
func WriteCandidates(path string, n int, rowGroupRows int) error {
	return writeParquet(path, candidatesSchema(), 1, int64(n), rowGroupRows, func(b *array.RecordBuilder, from, to int64) {
		for i := from; i < to; i++ {
			appendCandidate(b, Candidate(int(i)))
		}
	})
}

// appendCandidate appends one row to a builder of candidatesSchema.
func appendCandidate(b *array.RecordBuilder, c CandidateRow) {
	b.Field(0).(*array.StringBuilder).Append(c.CandidateID)
	b.Field(1).(*array.StringBuilder).Append(c.FirstName)
	b.Field(2).(*array.StringBuilder).Append(c.LastName)
	b.Field(3).(*array.StringBuilder).Append(c.Email)
	appendNullString(b.Field(4).(*array.StringBuilder), c.Phone)
	b.Field(5).(*array.StringBuilder).Append(c.City)
	b.Field(6).(*array.StringBuilder).Append(c.State)
	b.Field(7).(*array.Int32Builder).Append(c.YearsExperience)
	if c.SalaryCents.Valid {
		b.Field(8).(*array.Decimal128Builder).Append(decimal128.FromI64(c.SalaryCents.V))
	} else {
		b.Field(8).AppendNull()
	}
	b.Field(9).(*array.StringBuilder).Append(c.Status)
	b.Field(10).(*array.StringBuilder).Append(c.Source)
	b.Field(11).(*array.TimestampBuilder).Append(arrow.Timestamp(c.CreatedAt.UnixMicro()))
	if c.Score.Valid {
		b.Field(12).(*array.Float64Builder).Append(c.Score.V)
	} else {
		b.Field(12).AppendNull()
	}
	appendNullString(b.Field(13).(*array.StringBuilder), c.LinkedInURL)
	appendNullString(b.Field(14).(*array.StringBuilder), c.Notes)
}

func appendNullString(b *array.StringBuilder, s sql.Null[string]) {
	if s.Valid {
		b.Append(s.V)
	} else {
		b.AppendNull()
	}
}

// WriteCandidatesCSV writes candidates 1..n to w in PostgreSQL COPY CSV
// format (no header), columns in CandidatesCreateTable's order.
func WriteCandidatesCSV(w io.Writer, n int) error {
	c := newCSVWriter(w)
	for i := 1; i <= n; i++ {
		row := Candidate(i)
		c.text(row.CandidateID)
		c.text(row.FirstName)
		c.text(row.LastName)
		c.text(row.Email)
		nullText(c, row.Phone)
		c.text(row.City)
		c.text(row.State)
		c.int(int64(row.YearsExperience))
		if row.SalaryCents.Valid {
			c.cents(row.SalaryCents.V)
		} else {
			c.null()
		}
		c.text(row.Status)
		c.text(row.Source)
		c.timestamptz(row.CreatedAt)
		if row.Score.Valid {
			c.float(row.Score.V)
		} else {
			c.null()
		}
		nullText(c, row.LinkedInURL)
		nullText(c, row.Notes)
		if err := c.endRow(); err != nil {
			return fmt.Errorf("write candidates CSV: %w", err)
		}
	}
	if err := c.flush(); err != nil {
		return fmt.Errorf("write candidates CSV: %w", err)
	}
	return nil
}

func nullText(c *csvWriter, s sql.Null[string]) {
	if s.Valid {
		c.text(s.V)
	} else {
		c.null()
	}
}
