package gmsengine

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/pqsql/pqsql/sqlengine"
)

// paramDef describes one PostgreSQL run-time parameter pqsql knows.
type paramDef struct {
	// name is the parameter's canonical spelling (SHOW's column name).
	name string
	// reported marks the parameters sent to clients as ParameterStatus.
	reported bool
	// readOnly parameters cannot be SET.
	readOnly bool
	// normalize validates a new value and returns its canonical form.
	normalize func(v string) (string, error)
	desc      string
}

// paramDefs lists the known parameters; defaults come from defaultSettings.
var paramDefs = []paramDef{
	{name: "application_name", reported: true, normalize: normalizeAppName, desc: "Sets the application name to be reported in statistics and logs."},
	{name: "client_encoding", reported: true, normalize: normalizeEncoding, desc: "Sets the client's character set encoding."},
	{name: "DateStyle", reported: true, normalize: normalizeDateStyle, desc: "Sets the display format for date and time values."},
	{name: "default_transaction_isolation", normalize: normalizeIsolation, desc: "Sets the transaction isolation level of each new transaction."},
	{name: "default_transaction_read_only", reported: true, normalize: boolParam("default_transaction_read_only"), desc: "Sets the default read-only status of new transactions."},
	{name: "extra_float_digits", normalize: normalizeExtraFloatDigits, desc: "Sets the number of digits displayed for floating-point values."},
	{name: "in_hot_standby", reported: true, readOnly: true, desc: "Shows whether hot standby is currently active."},
	{name: "integer_datetimes", reported: true, readOnly: true, desc: "Shows whether datetimes are integer based."},
	{name: "IntervalStyle", reported: true, normalize: normalizeIntervalStyle, desc: "Sets the display format for interval values."},
	{name: "is_superuser", reported: true, readOnly: true, desc: "Shows whether the current user is a superuser."},
	{name: "lc_messages", normalize: normalizeAny, desc: "Sets the language in which messages are displayed."},
	{name: "max_identifier_length", readOnly: true, desc: "Shows the maximum identifier length."},
	{name: "search_path", normalize: normalizeAny, desc: "Sets the schema search order for names that are not schema-qualified."},
	{name: "server_encoding", reported: true, readOnly: true, desc: "Shows the server (database) character set encoding."},
	{name: "server_version", reported: true, readOnly: true, desc: "Shows the server version."},
	{name: "server_version_num", readOnly: true, desc: "Shows the server version as an integer."},
	{name: "session_authorization", reported: true, readOnly: true, desc: "Sets the session user name."},
	{name: "standard_conforming_strings", reported: true, normalize: boolParam("standard_conforming_strings"), desc: "Causes '...' strings to treat backslashes literally."},
	{name: "statement_timeout", normalize: normalizeTimeout, desc: "Sets the maximum allowed duration of any statement."},
	{name: "TimeZone", reported: true, normalize: normalizeTimeZone, desc: "Sets the time zone for displaying and interpreting time stamps."},
	{name: "transaction_isolation", normalize: normalizeIsolation, desc: "Sets the current transaction's isolation level."},
	{name: "transaction_read_only", normalize: boolParam("transaction_read_only"), desc: "Sets the current transaction's read-only status."},
}

// reportedOrder is the order ParameterStatus messages are sent at startup.
var reportedOrder = []string{
	"application_name", "client_encoding", "DateStyle", "default_transaction_read_only",
	"in_hot_standby", "integer_datetimes", "IntervalStyle", "is_superuser", "server_encoding",
	"server_version", "session_authorization", "standard_conforming_strings", "TimeZone",
}

// lookupParam finds a parameter definition by case-insensitive name.
func lookupParam(name string) (*paramDef, bool) {
	for i := range paramDefs {
		if strings.EqualFold(paramDefs[i].name, name) {
			return &paramDefs[i], true
		}
	}
	return nil, false
}

// isCustomParam reports whether name is a valid custom ("x.y") parameter name.
func isCustomParam(name string) bool {
	prefix, rest, ok := strings.Cut(name, ".")
	return ok && prefix != "" && rest != ""
}

// settings holds a session's parameter values, keyed by lower-case name.
type settings struct {
	defaults map[string]string
	session  map[string]string
	// local holds SET LOCAL values, dropped at transaction end.
	local map[string]string
	// snapshot is session at BEGIN, restored by ROLLBACK.
	snapshot map[string]string
}

func newSettings(user string, superuser bool) *settings {
	su := "off"
	if superuser {
		su = "on"
	}
	d := map[string]string{
		"application_name":              "",
		"client_encoding":               "UTF8",
		"datestyle":                     "ISO, MDY",
		"default_transaction_isolation": "read committed",
		"default_transaction_read_only": "off",
		"extra_float_digits":            "1",
		"in_hot_standby":                "off",
		"integer_datetimes":             "on",
		"intervalstyle":                 "postgres",
		"is_superuser":                  su,
		"lc_messages":                   "C",
		"max_identifier_length":         "63",
		"search_path":                   `"$user", public`,
		"server_encoding":               "UTF8",
		"server_version":                serverVersion,
		"server_version_num":            serverVersionNum,
		"session_authorization":         user,
		"standard_conforming_strings":   "on",
		"statement_timeout":             "0",
		"timezone":                      "UTC",
		"transaction_isolation":         "read committed",
		"transaction_read_only":         "off",
	}
	return &settings{defaults: d, session: maps.Clone(d), local: map[string]string{}}
}

// get returns the effective value of a parameter.
func (s *settings) get(name string) (string, bool) {
	key := strings.ToLower(name)
	if v, ok := s.local[key]; ok {
		return v, true
	}
	v, ok := s.session[key]
	return v, ok
}

// canonicalName returns the name SHOW uses for a parameter.
func canonicalName(name string) string {
	if d, ok := lookupParam(name); ok {
		return d.name
	}
	return strings.ToLower(name)
}

// validate checks that name may be set to value and returns the canonical value.
func validateSetting(name, value string) (string, error) {
	d, ok := lookupParam(name)
	if !ok {
		if isCustomParam(name) {
			return value, nil
		}
		return "", sqlengine.Errorf(sqlengine.CodeUndefinedObject, "unrecognized configuration parameter %q", strings.ToLower(name))
	}
	if d.readOnly {
		return "", sqlengine.Errorf("55P02", "parameter %q cannot be changed", d.name)
	}
	v, err := d.normalize(value)
	var pe *sqlengine.Error
	if errors.As(err, &pe) {
		return "", pe
	}
	if err != nil {
		return "", &sqlengine.Error{Code: sqlengine.CodeInvalidParameterValue,
			Message: fmt.Sprintf("invalid value for parameter %q: %q", d.name, value), Err: err}
	}
	return v, nil
}

// set assigns a validated value, session-wide or transaction-local.
func (s *settings) set(name, value string, local bool) {
	key := strings.ToLower(name)
	if local {
		s.local[key] = value
		return
	}
	delete(s.local, key)
	s.session[key] = value
}

// reset restores a parameter's default.
func (s *settings) reset(name string) {
	key := strings.ToLower(name)
	delete(s.local, key)
	if d, ok := s.defaults[key]; ok {
		s.session[key] = d
	} else {
		delete(s.session, key)
	}
}

// resetAll restores every settable parameter's default.
func (s *settings) resetAll() {
	for k := range s.session {
		if d, ok := lookupParam(k); ok && d.readOnly {
			continue
		}
		s.reset(k)
	}
	clear(s.local)
}

// begin records the values a ROLLBACK returns to.
func (s *settings) begin() { s.snapshot = maps.Clone(s.session) }

// end finishes a transaction: LOCAL values go, and a rollback undoes SETs.
func (s *settings) end(commit bool) {
	clear(s.local)
	if !commit && s.snapshot != nil {
		s.session = s.snapshot
	}
	s.snapshot = nil
}

// reportedValues returns the reported parameters' effective values.
func (s *settings) reportedValues() map[string]string {
	m := make(map[string]string, len(reportedOrder))
	for _, n := range reportedOrder {
		v, _ := s.get(n)
		m[n] = v
	}
	return m
}

// location returns the session's TimeZone as a *time.Location.
func (s *settings) location() *time.Location {
	v, _ := s.get("TimeZone")
	if loc, err := loadLocation(v); err == nil {
		return loc
	}
	return time.UTC
}

// statementTimeout returns statement_timeout, zero for none.
func (s *settings) statementTimeout() time.Duration {
	v, _ := s.get("statement_timeout")
	ms, err := parseMillis(v)
	if err != nil {
		return 0
	}
	return time.Duration(ms) * time.Millisecond
}

func normalizeAny(v string) (string, error) { return v, nil }

func normalizeAppName(v string) (string, error) {
	// PostgreSQL replaces non-printable ASCII and truncates to NAMEDATALEN-1.
	b := []byte(v)
	for i, c := range b {
		if c < 32 || c > 126 {
			b[i] = '?'
		}
	}
	if len(b) > 63 {
		b = b[:63]
	}
	return string(b), nil
}

func normalizeEncoding(v string) (string, error) {
	// asyncpg sends the value quoted ('utf-8').
	v = strings.Trim(v, `'"`)
	switch strings.ToUpper(strings.ReplaceAll(v, "-", "")) {
	case "UTF8", "UNICODE":
		return "UTF8", nil
	}
	return "", fmt.Errorf("encoding %q is not supported", v)
}

// boolParam returns the normalizer of boolean parameter name.
func boolParam(name string) func(string) (string, error) {
	return func(v string) (string, error) {
		b, ok := parseBool(v)
		if !ok {
			return "", sqlengine.Errorf(sqlengine.CodeInvalidParameterValue, "parameter %q requires a Boolean value", name)
		}
		if b {
			return "on", nil
		}
		return "off", nil
	}
}

func normalizeDateStyle(v string) (string, error) {
	style, order := "", ""
	for _, tok := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
		switch strings.ToUpper(tok) {
		case "ISO":
			style = "ISO"
		case "SQL":
			style = "SQL"
		case "POSTGRES":
			style = "Postgres"
		case "GERMAN":
			style = "German"
		case "MDY", "US", "NONEURO", "NONEUROPEAN":
			order = "MDY"
		case "DMY", "EURO", "EUROPEAN":
			order = "DMY"
		case "YMD":
			order = "YMD"
		case "DEFAULT":
		default:
			return "", fmt.Errorf("unrecognized DateStyle key word %q", tok)
		}
	}
	if style == "" {
		style = "ISO"
	}
	if order == "" {
		// As in PostgreSQL, German implies day-month-year.
		order = "MDY"
		if style == "German" {
			order = "DMY"
		}
	}
	return style + ", " + order, nil
}

func normalizeIntervalStyle(v string) (string, error) {
	switch s := strings.ToLower(v); s {
	case "postgres", "postgres_verbose", "sql_standard", "iso_8601":
		return s, nil
	}
	return "", fmt.Errorf("invalid IntervalStyle")
}

func normalizeIsolation(v string) (string, error) {
	switch s := strings.ToLower(v); s {
	case "serializable", "repeatable read", "read committed", "read uncommitted":
		return s, nil
	}
	return "", fmt.Errorf("invalid isolation level")
}

func normalizeExtraFloatDigits(v string) (string, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return "", fmt.Errorf("not an integer")
	}
	if n < -15 || n > 3 {
		return "", sqlengine.Errorf(sqlengine.CodeInvalidParameterValue,
			"%d is outside the valid range for parameter \"extra_float_digits\" (-15 .. 3)", n)
	}
	return strconv.Itoa(n), nil
}

// parseMillis parses a time value in milliseconds, with an optional unit.
func parseMillis(v string) (int64, error) {
	s := strings.TrimSpace(v)
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '-' || s[i] == '.') {
		i++
	}
	f, err := strconv.ParseFloat(s[:i], 64)
	if err != nil {
		return 0, err
	}
	unit := map[string]float64{"": 1, "us": 0.001, "ms": 1, "s": 1000, "min": 60000, "h": 3600000, "d": 86400000}
	m, ok := unit[strings.TrimSpace(s[i:])]
	if !ok || f < 0 {
		return 0, fmt.Errorf("invalid time value")
	}
	return int64(f * m), nil
}

func normalizeTimeout(v string) (string, error) {
	ms, err := parseMillis(v)
	if err != nil {
		return "", err
	}
	switch {
	case ms == 0:
		return "0", nil
	case ms%86400000 == 0:
		return strconv.FormatInt(ms/86400000, 10) + "d", nil
	case ms%3600000 == 0:
		return strconv.FormatInt(ms/3600000, 10) + "h", nil
	case ms%60000 == 0:
		return strconv.FormatInt(ms/60000, 10) + "min", nil
	case ms%1000 == 0:
		return strconv.FormatInt(ms/1000, 10) + "s", nil
	}
	return strconv.FormatInt(ms, 10) + "ms", nil
}

func normalizeTimeZone(v string) (string, error) {
	if _, err := loadLocation(v); err != nil {
		return "", err
	}
	if strings.EqualFold(v, "utc") {
		return "UTC", nil
	}
	return v, nil
}

// posixOffset matches POSIX-style zones such as "GMT+01:00" (what pgjdbc
// sends) or "UTC-3". POSIX offsets count hours west of Greenwich.
var posixOffset = regexp.MustCompile(`^(?i:UTC|GMT)([+-])(\d{1,2})(?::?(\d{2}))?$`)

// loadLocation resolves a TimeZone value.
func loadLocation(v string) (*time.Location, error) {
	switch strings.ToLower(v) {
	case "utc", "gmt", "z", "zulu", "etc/utc":
		return time.UTC, nil
	case "", "local":
		return nil, fmt.Errorf("empty time zone")
	}
	if hours, err := strconv.ParseFloat(v, 64); err == nil && hours >= -15 && hours <= 15 {
		// SET TIME ZONE -7: a number of hours east of Greenwich.
		return time.FixedZone(v, int(hours*3600)), nil
	}
	if m := posixOffset.FindStringSubmatch(v); m != nil {
		h, _ := strconv.Atoi(m[2])
		mins := 0
		if m[3] != "" {
			mins, _ = strconv.Atoi(m[3])
		}
		off := -(h*3600 + mins*60)
		if m[1] == "-" {
			off = -off
		}
		return time.FixedZone(v, off), nil
	}
	return time.LoadLocation(v)
}
