package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"
)

// postgres is a throwaway PostgreSQL instance in a temporary directory.
type postgres struct {
	log     zerolog.Logger
	dir     string
	port    int
	version string
	cmd     *exec.Cmd
	output  *syncBuffer
	exited  chan struct{}
	// cred runs the server as an unprivileged user when the harness is root,
	// since PostgreSQL refuses to run as root.
	cred *syscall.Credential
}

// findPGBin returns the directory holding initdb and postgres: pg_config's
// bindir, then Debian's PostgreSQL 15 directory, then PATH.
func findPGBin() (string, error) {
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		dir := strings.TrimSpace(string(out))
		if isExecutable(filepath.Join(dir, "initdb")) && isExecutable(filepath.Join(dir, "postgres")) {
			return dir, nil
		}
	}
	const debian = "/usr/lib/postgresql/15/bin"
	if isExecutable(filepath.Join(debian, "initdb")) && isExecutable(filepath.Join(debian, "postgres")) {
		return debian, nil
	}
	initdb, err := exec.LookPath("initdb")
	if err != nil {
		return "", errors.New("PostgreSQL server binaries not found: install postgresql-15 (pg_config --bindir, /usr/lib/postgresql/15/bin or PATH)")
	}
	dir := filepath.Dir(initdb)
	if !isExecutable(filepath.Join(dir, "postgres")) {
		return "", fmt.Errorf("initdb found in %s but no postgres binary next to it", dir)
	}
	return dir, nil
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// startPostgres initialises a cluster in a new temporary directory and starts
// it on a free loopback port with trust authentication. The caller must call
// stop, also on failure paths.
func startPostgres(ctx context.Context, log zerolog.Logger) (*postgres, error) {
	bin, err := findPGBin()
	if err != nil {
		return nil, err
	}
	out, err := exec.Command(filepath.Join(bin, "postgres"), "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("postgres --version: %w", err)
	}
	pg := &postgres{log: log, version: strings.TrimSpace(string(out)), output: &syncBuffer{}}
	if !strings.Contains(pg.version, " 15.") {
		log.Warn().Str("version", pg.version).Msg("the comparison is meant for PostgreSQL 15")
	}
	pg.dir, err = os.MkdirTemp("", "pqsql-bench-pg-")
	if err != nil {
		return nil, err
	}
	if os.Geteuid() == 0 {
		if err := pg.dropPrivileges(); err != nil {
			os.RemoveAll(pg.dir)
			return nil, err
		}
	}
	dataDir := filepath.Join(pg.dir, "data")
	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), "-D", dataDir, "-U", "postgres",
		"-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: pg.cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		os.RemoveAll(pg.dir)
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}

	// A throwaway instance: durability is not under test while loading and
	// querying. The settings go into postgresql.conf rather than on the
	// command line, which would override ALTER SYSTEM: setDurable turns
	// them on for the erasure sections.
	conf, err := os.OpenFile(filepath.Join(dataDir, "postgresql.conf"), os.O_WRONLY|os.O_APPEND, 0)
	if err == nil {
		_, err = conf.WriteString("\n# pqsql benchmark\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\n")
		if cerr := conf.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		os.RemoveAll(pg.dir)
		return nil, fmt.Errorf("configure PostgreSQL: %w", err)
	}

	for attempt := 0; attempt < 5; attempt++ {
		if pg.port, err = freePort(); err != nil {
			break
		}
		if err = pg.start(ctx, bin, dataDir); err == nil {
			return pg, nil
		}
		if !strings.Contains(pg.output.String(), "already in use") {
			break
		}
		pg.output.Reset()
	}
	pg.stop()
	return nil, err
}

// dropPrivileges makes the temporary directory belong to the postgres user
// and runs the server's processes as that user.
func (pg *postgres) dropPrivileges() error {
	u, err := user.Lookup("postgres")
	if err != nil {
		return fmt.Errorf("running as root, PostgreSQL needs an unprivileged user: %w", err)
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return err
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return err
	}
	if err := os.Chown(pg.dir, uid, gid); err != nil {
		return fmt.Errorf("chown %s: %w", pg.dir, err)
	}
	pg.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	return nil
}

func (pg *postgres) start(ctx context.Context, bin, dataDir string) error {
	pg.cmd = exec.Command(filepath.Join(bin, "postgres"), "-D", dataDir,
		"-c", "listen_addresses=127.0.0.1",
		"-p", strconv.Itoa(pg.port),
		"-c", "unix_socket_directories="+pg.dir,
	)
	pg.cmd.Stdout, pg.cmd.Stderr = pg.output, pg.output
	pg.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: pg.cred, Setpgid: true}
	if err := pg.cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	pg.exited = make(chan struct{})
	go func() {
		pg.cmd.Wait()
		close(pg.exited)
	}()
	deadline := time.Now().Add(60 * time.Second)
	for {
		conn, err := pgx.Connect(ctx, pg.connString())
		if err == nil {
			conn.Close(ctx)
			pg.log.Info().Int("port", pg.port).Str("version", pg.version).Msg("PostgreSQL ready")
			return nil
		}
		select {
		case <-pg.exited:
			return fmt.Errorf("postgres exited during start-up:\n%s", pg.output.String())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres not ready after a minute: %v\n%s", err, pg.output.String())
		}
	}
}

// durableSettings are the settings setDurable turns on or off.
var durableSettings = []string{"fsync", "synchronous_commit", "full_page_writes"}

// setDurable turns fsync, synchronous_commit and full_page_writes on or off
// (ALTER SYSTEM and a configuration reload) and waits until conn's session
// sees the change. Turning them on ends with a CHECKPOINT, so that pages
// written without fsync are flushed before anything is timed.
func setDurable(ctx context.Context, conn *pgx.Conn, on bool) error {
	value := "off"
	if on {
		value = "on"
	}
	for _, name := range durableSettings {
		if _, err := conn.Exec(ctx, "ALTER SYSTEM SET "+name+" = "+value); err != nil {
			return fmt.Errorf("set %s: %w", name, err)
		}
	}
	if _, err := conn.Exec(ctx, "SELECT pg_reload_conf()"); err != nil {
		return fmt.Errorf("reload configuration: %w", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for _, name := range durableSettings {
		for {
			var got string
			if err := conn.QueryRow(ctx, "SHOW "+name).Scan(&got); err != nil {
				return fmt.Errorf("show %s: %w", name, err)
			}
			if got == value {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s is still %s after reloading the configuration", name, got)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if on {
		if _, err := conn.Exec(ctx, "CHECKPOINT"); err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
	}
	return nil
}

func (pg *postgres) connString() string {
	return fmt.Sprintf("host=127.0.0.1 port=%d user=postgres dbname=postgres sslmode=disable", pg.port)
}

// stop shuts the server down (fast shutdown, then immediate, then kill) and
// removes its directory. It is safe to call more than once.
func (pg *postgres) stop() {
	if pg.cmd != nil && pg.cmd.Process != nil && pg.exited != nil {
		select {
		case <-pg.exited:
		default:
			pg.cmd.Process.Signal(syscall.SIGINT) // fast shutdown
			select {
			case <-pg.exited:
			case <-time.After(30 * time.Second):
				pg.cmd.Process.Signal(syscall.SIGQUIT) // immediate shutdown
				select {
				case <-pg.exited:
				case <-time.After(10 * time.Second):
					syscall.Kill(-pg.cmd.Process.Pid, syscall.SIGKILL)
					<-pg.exited
				}
			}
			pg.log.Info().Msg("PostgreSQL stopped")
		}
	}
	if pg.dir != "" {
		if err := os.RemoveAll(pg.dir); err != nil {
			pg.log.Warn().Err(err).Str("dir", pg.dir).Msg("remove PostgreSQL directory")
		}
		pg.dir = ""
	}
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
