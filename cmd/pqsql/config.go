package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/pqsql/pqsql/server"
)

// Roles a user may have, from least to most privileged.
const (
	RoleReader = "reader"
	RoleWriter = "writer"
	RoleAdmin  = "admin"
)

// Defaults for keys the config file leaves out.
const (
	DefaultDatabase       = "pqsql"
	DefaultMaxConnections = 100
)

// samplePasswords are the passwords shipped in testdata/pqsql.yaml. pqsql
// refuses to listen on a non-loopback address while any user still has one.
var samplePasswords = []string{"admin-dev-pw", "steward-dev-pw", "analyst-dev-pw"}

// sampleAuditSecret is the audit_secret shipped in testdata/pqsql.yaml, hex.
// pqsql refuses to listen on a non-loopback address while it is configured.
const sampleAuditSecret = "707173716c2d6465762d61756469742d7365637265742d6e6f742d666f722d757365"

// MinAuditSecretBytes is the shortest audit secret pqsql accepts.
const MinAuditSecretBytes = 16

// AuditSecretEnv is the environment variable that overrides audit_secret.
const AuditSecretEnv = "PQSQL_AUDIT_SECRET"

// Config is a validated pqsql configuration file.
type Config struct {
	// Path is the file the configuration was read from, for messages.
	Path string
	// Database is the database name clients connect to.
	Database string
	// MaxConnections limits concurrent client connections.
	MaxConnections int
	// CacheBytes bounds the memory of decoded columns and key indexes kept
	// for lookups (tables.Options.CacheBytes): 0 for the default, negative
	// to keep none.
	CacheBytes int64
	// PasswordMethod is how clients prove their password: "scram-sha-256",
	// "md5", or empty for the default, SCRAM-SHA-256 (see
	// server.Config.PasswordMethod).
	PasswordMethod string
	// Users are the accounts allowed to connect, in file order.
	Users []User
	// Tables maps a table name to its settings.
	Tables map[string]TableConfig
	// AuditSecret keys the HMAC-SHA256 that VACUUM's erasure audit keeps of
	// each erased key instead of the key; nil when not configured, which
	// makes VACUUM of a table with deleted rows fail.
	AuditSecret []byte
}

// User is one account of the configuration file.
type User struct {
	Name string
	// Password is a plaintext password or a SCRAM-SHA-256 verifier
	// ("SCRAM-SHA-256$iter:salt$stored:server", as written by pqsql passwd),
	// or with password_method md5 an MD5 hash ("md5" + hex(md5(password + name))).
	Password string
	// Role is RoleReader, RoleWriter or RoleAdmin.
	Role string
	// Line is the line of the file where the user's entry starts.
	Line int
}

// TableConfig holds one table's settings.
type TableConfig struct {
	// Key names the table's key column.
	Key string
}

// ConfigError is a problem in a configuration file, located by line.
type ConfigError struct {
	Path string
	// Line is 1-based; 0 when the problem concerns the whole file.
	Line int
	Msg  string
}

func (e *ConfigError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Path, e.Msg)
}

// fileConfig mirrors the YAML document; pointers tell absent keys from zero values.
type fileConfig struct {
	Database       *string                    `yaml:"database"`
	MaxConnections *int                       `yaml:"max_connections"`
	CacheSize      *string                    `yaml:"cache_size"`
	PasswordMethod *string                    `yaml:"password_method"`
	Users          []fileUser                 `yaml:"users"`
	Tables         map[string]fileTableConfig `yaml:"tables"`
	AuditSecret    *string                    `yaml:"audit_secret"`
}

type fileUser struct {
	Name     *string `yaml:"name"`
	Password *string `yaml:"password"`
	Role     *string `yaml:"role"`
}

type fileTableConfig struct {
	Key *string `yaml:"key"`
}

// LoadConfig reads and validates the configuration file at path.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return ParseConfig(path, data)
}

// ParseConfig parses and validates a configuration document. Unknown keys, a
// missing user name or password, a bad role and duplicate users are errors
// naming the offending line; path is only used in messages.
func ParseConfig(path string, data []byte) (*Config, error) {
	var raw fileConfig
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&raw); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &ConfigError{Path: path, Msg: "config file is empty; it must list at least one user"}
		}
		return nil, yamlError(path, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, &ConfigError{Path: path, Line: extra.Line, Msg: "only one YAML document is allowed"}
	}
	// A second pass keeps the nodes, to report validation errors by line.
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlError(path, err)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return nil, &ConfigError{Path: path, Line: root.Line, Msg: "config must be a mapping of keys (database, max_connections, cache_size, password_method, users, tables, audit_secret)"}
	}

	cfg := &Config{
		Path:           path,
		Database:       DefaultDatabase,
		MaxConnections: DefaultMaxConnections,
		Tables:         map[string]TableConfig{},
	}
	if raw.Database != nil {
		if *raw.Database == "" {
			return nil, &ConfigError{Path: path, Line: valueLine(root, "database"), Msg: "database must not be empty"}
		}
		cfg.Database = *raw.Database
	}
	if raw.MaxConnections != nil {
		if *raw.MaxConnections < 1 {
			return nil, &ConfigError{Path: path, Line: valueLine(root, "max_connections"),
				Msg: fmt.Sprintf("max_connections must be at least 1, not %d", *raw.MaxConnections)}
		}
		cfg.MaxConnections = *raw.MaxConnections
	}
	if raw.CacheSize != nil {
		n, err := parseMemorySize(*raw.CacheSize)
		if err != nil {
			return nil, &ConfigError{Path: path, Line: valueLine(root, "cache_size"), Msg: fmt.Sprintf("cache_size: %v", err)}
		}
		cfg.CacheBytes = n
		if n == 0 {
			cfg.CacheBytes = -1 // none
		}
	}
	if raw.PasswordMethod != nil {
		switch *raw.PasswordMethod {
		case server.PasswordSCRAM, server.PasswordMD5:
			cfg.PasswordMethod = *raw.PasswordMethod
		default:
			return nil, &ConfigError{Path: path, Line: valueLine(root, "password_method"),
				Msg: fmt.Sprintf("password_method must be %q or %q, not %q", server.PasswordSCRAM, server.PasswordMD5, *raw.PasswordMethod)}
		}
	}

	usersNode := mapValue(root, "users")
	if len(raw.Users) == 0 {
		line := 0
		if usersNode != nil {
			line = usersNode.Line
		}
		return nil, &ConfigError{Path: path, Line: line, Msg: "no users: the users list must name at least one user"}
	}
	seen := map[string]int{}
	for i, u := range raw.Users {
		item := usersNode.Content[i]
		line := item.Line
		if u.Name == nil || *u.Name == "" {
			return nil, &ConfigError{Path: path, Line: valueLine(item, "name"), Msg: "user has no name"}
		}
		name := *u.Name
		if first, dup := seen[name]; dup {
			return nil, &ConfigError{Path: path, Line: line,
				Msg: fmt.Sprintf("duplicate user %q (first defined on line %d)", name, first)}
		}
		seen[name] = line
		if u.Password == nil || *u.Password == "" {
			return nil, &ConfigError{Path: path, Line: valueLine(item, "password"),
				Msg: fmt.Sprintf("user %q has no password", name)}
		}
		if strings.HasPrefix(*u.Password, scramPrefix) {
			if _, err := parseVerifier(*u.Password); err != nil {
				return nil, &ConfigError{Path: path, Line: valueLine(item, "password"),
					Msg: fmt.Sprintf("user %q: %v", name, err)}
			}
		}
		if u.Role == nil {
			return nil, &ConfigError{Path: path, Line: line,
				Msg: fmt.Sprintf("user %q has no role (one of reader, writer, admin)", name)}
		}
		switch *u.Role {
		case RoleReader, RoleWriter, RoleAdmin:
		default:
			return nil, &ConfigError{Path: path, Line: valueLine(item, "role"),
				Msg: fmt.Sprintf("user %q: role %q is not one of reader, writer, admin", name, *u.Role)}
		}
		if isMD5Hash(*u.Password) && cfg.PasswordMethod != server.PasswordMD5 {
			return nil, &ConfigError{Path: path, Line: valueLine(item, "password"),
				Msg: fmt.Sprintf("user %q has an MD5 password hash, which needs password_method: md5", name)}
		}
		cfg.Users = append(cfg.Users, User{Name: name, Password: *u.Password, Role: *u.Role, Line: line})
	}

	tablesNode := mapValue(root, "tables")
	for name, t := range raw.Tables {
		if name == "" {
			return nil, &ConfigError{Path: path, Line: tablesNode.Line, Msg: "table name must not be empty"}
		}
		if t.Key == nil || *t.Key == "" {
			return nil, &ConfigError{Path: path, Line: keyLine(tablesNode, name),
				Msg: fmt.Sprintf("table %q has no key column", name)}
		}
		cfg.Tables[name] = TableConfig{Key: *t.Key}
	}
	if raw.AuditSecret != nil {
		secret, err := ParseAuditSecret(*raw.AuditSecret)
		if err != nil {
			return nil, &ConfigError{Path: path, Line: valueLine(root, "audit_secret"), Msg: "audit_secret: " + err.Error()}
		}
		cfg.AuditSecret = secret
	}
	return cfg, nil
}

// ParseAuditSecret decodes an audit secret written as hex or, when it is not
// hex, as base64 (standard or URL-safe alphabet, padded or not). It must
// decode to at least MinAuditSecretBytes bytes; `openssl rand -hex 32`
// prints a good one.
func ParseAuditSecret(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("the secret is empty; generate one with: openssl rand -hex 32")
	}
	secret, err := hex.DecodeString(s)
	if err != nil {
		secret = nil
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if b, err := enc.DecodeString(s); err == nil {
				secret = b
				break
			}
		}
		if secret == nil {
			return nil, errors.New("the secret is neither hex nor base64; generate one with: openssl rand -hex 32")
		}
	}
	if len(secret) < MinAuditSecretBytes {
		return nil, fmt.Errorf("the secret is %d bytes long, it must be at least %d; generate one with: openssl rand -hex 32", len(secret), MinAuditSecretBytes)
	}
	return secret, nil
}

// SetAuditSecretFromEnv replaces the configured audit secret with value,
// the content of the environment variable AuditSecretEnv, when it is set.
func (c *Config) SetAuditSecretFromEnv(value string) error {
	if value == "" {
		return nil
	}
	secret, err := ParseAuditSecret(value)
	if err != nil {
		return fmt.Errorf("%s: %w", AuditSecretEnv, err)
	}
	c.AuditSecret = secret
	return nil
}

// HasSampleAuditSecret reports whether the audit secret is the sample one
// shipped in testdata/pqsql.yaml.
func (c *Config) HasSampleAuditSecret() bool {
	sample, err := hex.DecodeString(sampleAuditSecret)
	return err == nil && hmac.Equal(c.AuditSecret, sample)
}

// Roles returns each user's role, by user name.
func (c *Config) Roles() map[string]string {
	m := make(map[string]string, len(c.Users))
	for _, u := range c.Users {
		m[u.Name] = u.Role
	}
	return m
}

// Passwords returns each user's password or verifier, by user name.
func (c *Config) Passwords() map[string]string {
	m := make(map[string]string, len(c.Users))
	for _, u := range c.Users {
		m[u.Name] = u.Password
	}
	return m
}

// KeyColumns returns the configured key column of each table, by table name.
func (c *Config) KeyColumns() map[string]string {
	m := make(map[string]string, len(c.Tables))
	for name, t := range c.Tables {
		m[name] = t.Key
	}
	return m
}

// SamplePasswordUsers returns, sorted, the users whose password is one of the
// sample passwords shipped in testdata/pqsql.yaml, in plaintext or as a verifier.
func (c *Config) SamplePasswordUsers() []string {
	var names []string
	for _, u := range c.Users {
		if isSamplePassword(u.Name, u.Password) {
			names = append(names, u.Name)
		}
	}
	sort.Strings(names)
	return names
}

// CheckListen refuses a non-loopback listen address while any user still has
// a sample password, or while the audit secret is the sample one.
func (c *Config) CheckListen(addr string) error {
	if isLoopback(addr) {
		return nil
	}
	var problems []string
	if users := c.SamplePasswordUsers(); len(users) > 0 {
		problems = append(problems, fmt.Sprintf("users have a sample password from testdata/pqsql.yaml: %s; "+
			"set new passwords in %s (pqsql passwd prints a verifier)", strings.Join(users, ", "), c.Path))
	}
	if c.HasSampleAuditSecret() {
		problems = append(problems, fmt.Sprintf("audit_secret is the sample secret from testdata/pqsql.yaml; "+
			"set a new one in %s or %s (openssl rand -hex 32 prints one)", c.Path, AuditSecretEnv))
	}
	if len(problems) > 0 {
		return fmt.Errorf("refusing to listen on non-loopback address %s while %s; or listen on 127.0.0.1",
			addr, strings.Join(problems, ", and while "))
	}
	return nil
}

// isLoopback reports whether the host of addr (HOST:PORT) is a loopback
// address. An empty host or a wildcard address listens everywhere and is not.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// isSamplePassword reports whether user's password is one of the sample
// passwords: in plaintext, as a SCRAM-SHA-256 verifier or as an MD5 hash.
func isSamplePassword(user, password string) bool {
	if isMD5Hash(password) {
		for _, s := range samplePasswords {
			if password == server.MD5Hash(user, s) {
				return true
			}
		}
		return false
	}
	if !strings.HasPrefix(password, scramPrefix) {
		for _, s := range samplePasswords {
			if password == s {
				return true
			}
		}
		return false
	}
	v, err := parseVerifier(password)
	if err != nil {
		return false
	}
	for _, s := range samplePasswords {
		if v.verifies(s) {
			return true
		}
	}
	return false
}

const scramPrefix = "SCRAM-SHA-256$"

// scramVerifier is a parsed "SCRAM-SHA-256$iter:salt$stored:server" verifier,
// the format PostgreSQL stores in pg_authid.rolpassword.
type scramVerifier struct {
	iterations int
	salt       []byte
	storedKey  []byte
}

func parseVerifier(s string) (*scramVerifier, error) {
	bad := errors.New(`malformed SCRAM-SHA-256 verifier; expected "SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>" as printed by pqsql passwd`)
	rest, ok := strings.CutPrefix(s, scramPrefix)
	if !ok {
		return nil, bad
	}
	iterSalt, keys, ok := strings.Cut(rest, "$")
	if !ok {
		return nil, bad
	}
	iterStr, saltStr, ok := strings.Cut(iterSalt, ":")
	if !ok {
		return nil, bad
	}
	storedStr, serverStr, ok := strings.Cut(keys, ":")
	if !ok {
		return nil, bad
	}
	iter, err := strconv.Atoi(iterStr)
	if err != nil || iter < 1 {
		return nil, bad
	}
	salt, err := base64.StdEncoding.DecodeString(saltStr)
	if err != nil || len(salt) == 0 {
		return nil, bad
	}
	stored, err := base64.StdEncoding.DecodeString(storedStr)
	if err != nil || len(stored) != sha256.Size {
		return nil, bad
	}
	server, err := base64.StdEncoding.DecodeString(serverStr)
	if err != nil || len(server) != sha256.Size {
		return nil, bad
	}
	return &scramVerifier{iterations: iter, salt: salt, storedKey: stored}, nil
}

// verifies reports whether password produces the verifier's StoredKey
// (RFC 5802: StoredKey = H(HMAC(SaltedPassword, "Client Key"))).
func (v *scramVerifier) verifies(password string) bool {
	salted, err := pbkdf2.Key(sha256.New, password, v.salt, v.iterations, sha256.Size)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, salted)
	mac.Write([]byte("Client Key"))
	stored := sha256.Sum256(mac.Sum(nil))
	return hmac.Equal(stored[:], v.storedKey)
}

// yamlLineRE matches the "line N: " that yaml.v3 puts in its messages.
var yamlLineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// unknownFieldRE matches yaml.v3's message for a key KnownFields rejects.
var unknownFieldRE = regexp.MustCompile(`^field (\S+) not found in type \S+$`)

// yamlError turns a yaml.v3 error into a *ConfigError naming the first line.
func yamlError(path string, err error) error {
	msgs := []string{err.Error()}
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msgs = te.Errors
	}
	m := yamlLineRE.FindStringSubmatch(strings.TrimSpace(msgs[0]))
	if m == nil {
		return &ConfigError{Path: path, Msg: strings.TrimPrefix(msgs[0], "yaml: ")}
	}
	line, _ := strconv.Atoi(m[1])
	msg := m[2]
	if f := unknownFieldRE.FindStringSubmatch(msg); f != nil {
		msg = fmt.Sprintf("unknown key %q", f[1])
	}
	return &ConfigError{Path: path, Line: line, Msg: msg}
}

// mapValue returns the value node of key in mapping node m, or nil.
func mapValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// keyLine returns the line of key in mapping node m, or m's own line.
func keyLine(m *yaml.Node, key string) int {
	if m == nil {
		return 0
	}
	if m.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == key {
				return m.Content[i].Line
			}
		}
	}
	return m.Line
}

// valueLine returns the line of key's value in mapping node m.
func valueLine(m *yaml.Node, key string) int {
	if v := mapValue(m, key); v != nil {
		return v.Line
	}
	return keyLine(m, key)
}

// isMD5Hash reports whether s has the form of an MD5 password hash.
func isMD5Hash(s string) bool {
	if len(s) != 35 || !strings.HasPrefix(s, "md5") {
		return false
	}
	_, err := hex.DecodeString(s[3:])
	return err == nil
}

// parseMemorySize parses a memory size as PostgreSQL writes them: a
// non-negative integer and a unit, kB, MB, GB or TB (powers of 1024); a
// bare 0 is allowed.
func parseMemorySize(v string) (int64, error) {
	v = strings.TrimSpace(v)
	if v == "0" {
		return 0, nil
	}
	units := []struct {
		suffix string
		shift  uint
	}{{"kB", 10}, {"MB", 20}, {"GB", 30}, {"TB", 40}}
	for _, u := range units {
		num, ok := strings.CutSuffix(v, u.suffix)
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
		if err != nil || n < 0 || n > math.MaxInt64>>u.shift {
			return 0, fmt.Errorf("invalid size %q: want a non-negative integer and a unit, as in 512MB", v)
		}
		return n << u.shift, nil
	}
	return 0, fmt.Errorf("invalid size %q: the unit must be kB, MB, GB or TB (as in 512MB)", v)
}
