package integration

import (
	"strings"
	"testing"
)

// TestPsqlCatalogCommands runs psql's backslash commands, which query
// pg_catalog, and checks what psql prints (unaligned, as PostgreSQL 15
// answers for the same tables).
func TestPsqlCatalogCommands(t *testing.T) {
	p := shared.get(t)
	tests := []struct {
		name     string
		user     string
		password string
		args     []string
		// want must appear in the output; exact, when set, is the whole output.
		want  []string
		exact string
	}{
		{name: `\d candidates`, user: analystUser, password: analystPassword,
			args: []string{"-P", "tuples_only=off", "-c", `\d candidates`},
			want: []string{
				`Table "public.candidates"`,
				"Column|Type|Collation|Nullable|Default\n",
				"candidate_id|text||not null|\n",
				"phone|text|||\n",
				"years_experience|integer||not null|\n",
				"salary|numeric(12,2)|||\n",
				"created_at|timestamp with time zone||not null|\n",
				"score|double precision|||\n",
				"Indexes:\n",
				`"candidates_pkey" PRIMARY KEY, btree (candidate_id)`,
			}},
		{name: `\d+ candidates`, user: analystUser, password: analystPassword,
			args: []string{"-P", "tuples_only=off", "-c", `\d+ candidates`},
			want: []string{"candidate_id|text||not null||extended|||\n", "salary|numeric(12,2)||||main|||\n",
				`"candidates_pkey" PRIMARY KEY, btree (candidate_id)`, "Access method: heap"}},
		{name: `\dt`, user: analystUser, password: analystPassword, args: []string{"-c", `\dt`},
			exact: "public|alltypes|table|admin\npublic|candidates|table|admin\n"},
		{name: `\dt as admin`, user: adminUser, password: adminPassword, args: []string{"-c", `\dt`},
			want: []string{"public|__raw__candidates|table|admin\n", "public|candidates|table|admin\n"}},
		{name: `\di`, user: analystUser, password: analystPassword, args: []string{"-c", `\di`},
			exact: "public|alltypes_pkey|index|admin|alltypes\npublic|candidates_pkey|index|admin|candidates\n"},
		{name: `\l`, user: analystUser, password: analystPassword, args: []string{"-c", `\l`},
			exact: "pqsql|admin|UTF8|C.UTF-8|C.UTF-8||libc|\n"},
		{name: `\dn`, user: analystUser, password: analystPassword, args: []string{"-c", `\dn`},
			exact: "public|pg_database_owner\n"},
		{name: `\du`, user: analystUser, password: analystPassword, args: []string{"-c", `\du`},
			want: []string{"admin|Superuser, Create role, Create DB, Replication, Bypass RLS|{}\n", "analyst||{}\n", "steward||{}\n"}},
		{name: `\dv and \df`, user: analystUser, password: analystPassword, args: []string{"-c", `\dv`, "-c", `\df`},
			exact: ""},
		{name: "information_schema", user: analystUser, password: analystPassword,
			args:  []string{"-c", "SELECT table_schema, table_name, table_type FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 2"},
			exact: "public|alltypes|BASE TABLE\npublic|candidates|BASE TABLE\n"},
		{name: "information_schema.columns", user: analystUser, password: analystPassword,
			args:  []string{"-c", "SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_name = 'candidates' AND ordinal_position IN (1, 9, 12) ORDER BY ordinal_position"},
			exact: "candidate_id|text|NO\nsalary|numeric|YES\ncreated_at|timestamp with time zone|NO\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := psql(t, p, tt.user, tt.password, tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == nil && out != tt.exact {
				t.Errorf("psql printed %q, want %q", out, tt.exact)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("psql printed\n%s\nwant it to contain %q", out, w)
				}
			}
		})
	}
}
