package server

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/xdg-go/scram"

	"github.com/pqsql/pqsql/sqlengine"
)

const (
	scramMechanism  = "SCRAM-SHA-256"
	scramIterations = 4096
	scramSaltLen    = 16
)

// storedCredentials is what the server keeps per user: SCRAM-SHA-256 keys
// and, for md5 authentication, the MD5 hash; never the password.
type storedCredentials struct {
	scram.StoredCredentials
	// md5 is the user's MD5 hash without its "md5" prefix (32 hex digits),
	// set when the user authenticates with md5.
	md5 string
}

// MD5Hash returns PostgreSQL's MD5 password hash for user, for use in
// Config.Users with PasswordMethod "md5": "md5" followed by the hex MD5
// digest of password + user.
func MD5Hash(user, password string) string {
	sum := md5.Sum([]byte(password + user))
	return "md5" + hex.EncodeToString(sum[:])
}

// isMD5Hash reports whether s has the form of an MD5 password hash.
func isMD5Hash(s string) bool {
	if len(s) != 35 || !strings.HasPrefix(s, "md5") {
		return false
	}
	_, err := hex.DecodeString(s[3:])
	return err == nil
}

// userCredentials computes what the server keeps for user, whose configured
// password is plaintext, a SCRAM-SHA-256 verifier or an MD5 hash.
func userCredentials(user, password, method string) (storedCredentials, error) {
	if isMD5Hash(password) {
		if method != PasswordMD5 {
			return storedCredentials{}, errors.New("an MD5 hash can only be used with PasswordMethod \"md5\"")
		}
		return storedCredentials{md5: strings.ToLower(password[3:])}, nil
	}
	creds, err := credentialsFor(password)
	if err != nil {
		return storedCredentials{}, err
	}
	if method == PasswordMD5 && !strings.HasPrefix(password, scramMechanism+"$") {
		creds.md5 = MD5Hash(user, password)[3:]
	}
	return creds, nil
}

// verifier formats the credentials as PostgreSQL stores them in pg_authid.
func (c storedCredentials) verifier() string {
	b64 := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("%s$%d:%s$%s:%s", scramMechanism, c.Iters, b64([]byte(c.Salt)),
		b64(c.StoredKey), b64(c.ServerKey))
}

// newSCRAMCredentials derives credentials for password with a random salt.
func newSCRAMCredentials(password string) (storedCredentials, error) {
	salt := make([]byte, scramSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return storedCredentials{}, fmt.Errorf("generate salt: %w", err)
	}
	return deriveCredentials(password, salt, scramIterations)
}

func deriveCredentials(password string, salt []byte, iters int) (storedCredentials, error) {
	client, err := scram.SHA256.NewClient("", password, "")
	if err != nil {
		return storedCredentials{}, fmt.Errorf("prepare password: %w", err)
	}
	creds, err := client.GetStoredCredentialsWithError(scram.KeyFactors{Salt: string(salt), Iters: iters})
	if err != nil {
		return storedCredentials{}, fmt.Errorf("derive SCRAM keys: %w", err)
	}
	return storedCredentials{StoredCredentials: creds}, nil
}

// credentialsFor parses a SCRAM-SHA-256 verifier, or derives credentials
// from a plaintext password.
func credentialsFor(password string) (storedCredentials, error) {
	if !strings.HasPrefix(password, scramMechanism+"$") {
		return newSCRAMCredentials(password)
	}
	bad := errors.New("malformed SCRAM-SHA-256 verifier")
	parts := strings.Split(strings.TrimPrefix(password, scramMechanism+"$"), "$")
	if len(parts) != 2 {
		return storedCredentials{}, bad
	}
	iterText, saltText, ok1 := strings.Cut(parts[0], ":")
	storedText, serverText, ok2 := strings.Cut(parts[1], ":")
	if !ok1 || !ok2 {
		return storedCredentials{}, bad
	}
	iters, err := strconv.Atoi(iterText)
	if err != nil || iters < 1 {
		return storedCredentials{}, bad
	}
	dec := base64.StdEncoding.DecodeString
	salt, err1 := dec(saltText)
	storedKey, err2 := dec(storedText)
	serverKey, err3 := dec(serverText)
	if err1 != nil || err2 != nil || err3 != nil || len(storedKey) != sha256.Size || len(serverKey) != sha256.Size {
		return storedCredentials{}, bad
	}
	return storedCredentials{StoredCredentials: scram.StoredCredentials{
		KeyFactors: scram.KeyFactors{Salt: string(salt), Iters: iters},
		StoredKey:  storedKey,
		ServerKey:  serverKey,
	}}, nil
}

// mockCredentials returns credentials for a user that does not exist: stable
// per name (so probing twice shows the same salt) and matching no password,
// so that the exchange fails at the proof like a wrong password.
func (s *Server) mockCredentials(user string) storedCredentials {
	mac := hmac.New(sha256.New, s.mockSecret[:])
	mac.Write([]byte(user))
	sum := mac.Sum(nil)
	return storedCredentials{StoredCredentials: scram.StoredCredentials{
		KeyFactors: scram.KeyFactors{Salt: string(sum[:scramSaltLen]), Iters: scramIterations},
		StoredKey:  sum,
		ServerKey:  sum,
	}}
}

func authFailed(user string) *sqlengine.Error {
	return &sqlengine.Error{Severity: "FATAL", Code: sqlengine.CodeInvalidPassword,
		Message: fmt.Sprintf("password authentication failed for user %q", user)}
}

func protocolViolation(format string, args ...any) *sqlengine.Error {
	e := sqlengine.Errorf(sqlengine.CodeProtocolViolation, format, args...)
	e.Severity = "FATAL"
	return e
}

// authenticate runs the password exchange for user. It returns a FATAL
// *sqlengine.Error when the client must be turned away.
func (c *conn) authenticate(user string) error {
	creds, known := c.srv.users[user]
	if !known {
		creds = c.srv.mockCredentials(user)
	}
	if c.tls && c.srv.cfg.CleartextOverTLS {
		return c.authenticateCleartext(user, creds, known)
	}
	// As in PostgreSQL, md5 authenticates users stored with a SCRAM verifier
	// by SCRAM; unknown users get an md5 challenge like everyone else.
	if c.srv.cfg.PasswordMethod == PasswordMD5 && (creds.md5 != "" || !known) {
		return c.authenticateMD5(user, creds, known)
	}
	return c.authenticateSCRAM(user, creds, known)
}

// authenticateMD5 runs PostgreSQL's md5 exchange: the client answers a
// random salt with "md5" + hex(md5(hex(md5(password + user)) + salt)).
func (c *conn) authenticateMD5(user string, creds storedCredentials, known bool) error {
	var salt [4]byte
	if _, err := rand.Read(salt[:]); err != nil {
		return fmt.Errorf("generate salt: %w", err)
	}
	pw, err := c.requestPassword(&pgproto3.AuthenticationMD5Password{Salt: salt}, pgproto3.AuthTypeMD5Password)
	if err != nil {
		return err
	}
	sum := md5.Sum(append([]byte(creds.md5), salt[:]...))
	want := "md5" + hex.EncodeToString(sum[:])
	if !known || creds.md5 == "" || subtle.ConstantTimeCompare([]byte(pw.Password), []byte(want)) != 1 {
		return authFailed(user)
	}
	return nil
}

func (c *conn) authenticateCleartext(user string, creds storedCredentials, known bool) error {
	pw, err := c.requestPassword(&pgproto3.AuthenticationCleartextPassword{}, pgproto3.AuthTypeCleartextPassword)
	if err != nil {
		return err
	}
	if creds.StoredKey == nil {
		// Only the MD5 hash is known.
		got := MD5Hash(user, pw.Password)[3:]
		if !known || subtle.ConstantTimeCompare([]byte(got), []byte(creds.md5)) != 1 {
			return authFailed(user)
		}
		return nil
	}
	got, err := deriveCredentials(pw.Password, []byte(creds.Salt), creds.Iters)
	if err != nil || !known || !hmac.Equal(got.StoredKey, creds.StoredKey) {
		return authFailed(user)
	}
	return nil
}

func (c *conn) authenticateSCRAM(user string, creds storedCredentials, known bool) error {
	server, err := scram.SHA256.NewServer(func(string) (scram.StoredCredentials, error) {
		// PostgreSQL ignores the user name inside the SCRAM messages and
		// authenticates the one from the startup message.
		return creds.StoredCredentials, nil
	})
	if err != nil {
		return fmt.Errorf("start SCRAM: %w", err)
	}
	conv := server.NewConversation()

	c.be.Send(&pgproto3.AuthenticationSASL{AuthMechanisms: []string{scramMechanism}})
	if err := c.be.SetAuthType(pgproto3.AuthTypeSASL); err != nil {
		return fmt.Errorf("set auth type: %w", err)
	}
	if err := c.be.Flush(); err != nil {
		return fmt.Errorf("send SASL request: %w", err)
	}
	msg, err := c.be.Receive()
	if err != nil {
		return c.receiveError(err)
	}
	initial, ok := msg.(*pgproto3.SASLInitialResponse)
	if !ok {
		return protocolViolation("expected SASL response, got message type %T", msg)
	}
	if initial.AuthMechanism != scramMechanism {
		return protocolViolation("client selected an invalid SASL authentication mechanism")
	}
	serverFirst, err := conv.Step(string(initial.Data))
	if err != nil {
		return protocolViolation("malformed SCRAM message")
	}
	c.be.Send(&pgproto3.AuthenticationSASLContinue{Data: []byte(serverFirst)})
	if err := c.be.SetAuthType(pgproto3.AuthTypeSASLContinue); err != nil {
		return fmt.Errorf("set auth type: %w", err)
	}
	if err := c.be.Flush(); err != nil {
		return fmt.Errorf("send SASL continue: %w", err)
	}
	msg, err = c.be.Receive()
	if err != nil {
		return c.receiveError(err)
	}
	final, ok := msg.(*pgproto3.SASLResponse)
	if !ok {
		return protocolViolation("expected SASL response, got message type %T", msg)
	}
	serverFinal, err := conv.Step(string(final.Data))
	if err != nil || !conv.Valid() || !known {
		return authFailed(user)
	}
	c.be.Send(&pgproto3.AuthenticationSASLFinal{Data: []byte(serverFinal)})
	return nil
}

// requestPassword sends a password request (md5 or cleartext) and returns
// the client's PasswordMessage.
func (c *conn) requestPassword(req pgproto3.BackendMessage, authType uint32) (*pgproto3.PasswordMessage, error) {
	c.be.Send(req)
	if err := c.be.SetAuthType(authType); err != nil {
		return nil, fmt.Errorf("set auth type: %w", err)
	}
	if err := c.be.Flush(); err != nil {
		return nil, fmt.Errorf("send password request: %w", err)
	}
	msg, err := c.be.Receive()
	if err != nil {
		return nil, c.receiveError(err)
	}
	pw, ok := msg.(*pgproto3.PasswordMessage)
	if !ok {
		return nil, protocolViolation("expected password response, got message type %T", msg)
	}
	return pw, nil
}
