package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/pqsql/pqsql/server"
	"github.com/pqsql/pqsql/sqlengine/gmsengine"
	"github.com/pqsql/pqsql/tables"
)

// serveOptions are the serve command's settings after flags and environment.
type serveOptions struct {
	dataDir         string
	listen          string
	configPath      string
	logFormat       string
	logLevel        string
	tlsCert         string
	tlsKey          string
	shutdownTimeout time.Duration
	// auditSecret is the value of PQSQL_AUDIT_SECRET, which overrides the
	// configuration file's audit_secret. It has no flag: a command line is
	// visible to every user of the machine.
	auditSecret string
}

// Environment variables standing in for flags; a flag given on the command line wins.
var serveEnv = map[string]string{
	"data":   "PQSQL_DATA",
	"listen": "PQSQL_LISTEN",
	"config": "PQSQL_CONFIG",
}

func newServeCmd() *cobra.Command {
	var opts serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the Parquet files of a data directory over the PostgreSQL protocol",
		Long: `serve opens every NAME.parquet file and NAME/ directory of Parquet files in the
data directory as table NAME and answers PostgreSQL clients.

The configuration file (default DIR/pqsql.yaml) lists the users; without one
pqsql refuses to start. PQSQL_DATA, PQSQL_LISTEN and PQSQL_CONFIG stand in for
--data, --listen and --config; flags win over the environment.
PQSQL_AUDIT_SECRET, when set, replaces the configuration's audit_secret.

SIGINT or SIGTERM stops accepting connections, lets running statements finish
within --shutdown-timeout, and exits with status 0.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for flag, env := range serveEnv {
				if cmd.Flags().Changed(flag) {
					continue
				}
				if v, ok := os.LookupEnv(env); ok && v != "" {
					if err := cmd.Flags().Set(flag, v); err != nil {
						return fmt.Errorf("%s: %w", env, err)
					}
				}
			}
			opts.auditSecret = os.Getenv(AuditSecretEnv)
			return serve(cmd.Context(), opts, cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.dataDir, "data", "./testdata", "directory of Parquet files to serve (env PQSQL_DATA)")
	f.StringVar(&opts.listen, "listen", "127.0.0.1:5433", "address to listen on, HOST:PORT (env PQSQL_LISTEN)")
	f.StringVar(&opts.configPath, "config", "", "configuration file (env PQSQL_CONFIG; default DIR/pqsql.yaml)")
	f.StringVar(&opts.logFormat, "log-format", "json", "log format: json or console")
	f.StringVar(&opts.logLevel, "log-level", "info", "log level: trace, debug, info, warn, error")
	f.StringVar(&opts.tlsCert, "tls-cert", "", "PEM certificate file; enables TLS together with --tls-key")
	f.StringVar(&opts.tlsKey, "tls-key", "", "PEM private key file for --tls-cert")
	f.DurationVar(&opts.shutdownTimeout, "shutdown-timeout", 30*time.Second,
		"on SIGINT/SIGTERM, how long running statements may take to finish")
	return cmd
}

// newLogger returns the zerolog logger the options ask for.
func newLogger(w io.Writer, format, level string) (zerolog.Logger, error) {
	lvl, err := zerolog.ParseLevel(level)
	if err != nil || level == "" {
		return zerolog.Nop(), fmt.Errorf("--log-level %q: want trace, debug, info, warn or error", level)
	}
	switch format {
	case "json":
	case "console":
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: time.RFC3339}
	default:
		return zerolog.Nop(), fmt.Errorf("--log-format %q: want json or console", format)
	}
	return zerolog.New(w).Level(lvl).With().Timestamp().Logger(), nil
}

// resolveConfigPath returns the configuration file to read: the one given, or
// DIR/pqsql.yaml when it exists.
func resolveConfigPath(given, dataDir string) (string, error) {
	if given != "" {
		return given, nil
	}
	def := filepath.Join(dataDir, "pqsql.yaml")
	if _, err := os.Stat(def); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("no configuration: %s does not exist and neither --config nor PQSQL_CONFIG is set; "+
				"pqsql needs a configuration file listing the users who may connect (see testdata/pqsql.yaml)", def)
		}
		return "", fmt.Errorf("configuration: %w", err)
	}
	return def, nil
}

// loadTLS returns the TLS configuration for the certificate and key files, or
// nil when neither is given.
func loadTLS(certFile, keyFile string) (*tls.Config, error) {
	if certFile == "" && keyFile == "" {
		return nil, nil
	}
	if certFile == "" || keyFile == "" {
		return nil, errors.New("--tls-cert and --tls-key must be given together")
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("load TLS certificate: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// serve runs the server until ctx ends or SIGINT/SIGTERM arrives.
func serve(ctx context.Context, opts serveOptions, logOut io.Writer) error {
	start := time.Now()
	// sigCtx ends at SIGINT/SIGTERM; ctx stays alive so that Serve keeps
	// running statements going until Shutdown has drained them.
	sigCtx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	log, err := newLogger(logOut, opts.logFormat, opts.logLevel)
	if err != nil {
		return err
	}
	info, err := os.Stat(opts.dataDir)
	if err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	if !info.IsDir() {
		return fmt.Errorf("data directory %s is not a directory", opts.dataDir)
	}
	configPath, err := resolveConfigPath(opts.configPath, opts.dataDir)
	if err != nil {
		return err
	}
	cfg, err := LoadConfig(configPath)
	if err != nil {
		return err
	}
	if err := cfg.SetAuditSecretFromEnv(opts.auditSecret); err != nil {
		return err
	}
	if err := cfg.CheckListen(opts.listen); err != nil {
		return err
	}
	tlsConfig, err := loadTLS(opts.tlsCert, opts.tlsKey)
	if err != nil {
		return err
	}

	catalog, err := tables.Open(sigCtx, opts.dataDir, tables.Options{KeyColumns: cfg.KeyColumns(), Logger: log, CacheBytes: cfg.CacheBytes})
	if err != nil {
		if sigCtx.Err() != nil {
			log.Info().Msg("interrupted during start-up")
			return nil
		}
		return fmt.Errorf("open data directory %s: %w", opts.dataDir, err)
	}
	defer func() {
		if err := catalog.Close(); err != nil {
			log.Error().Err(err).Msg("close tables")
		}
	}()
	engine, err := gmsengine.New(sigCtx, catalog, gmsengine.Options{Database: cfg.Database, Roles: cfg.Roles(), Logger: log, AuditSecret: cfg.AuditSecret})
	if err != nil {
		if sigCtx.Err() != nil {
			log.Info().Msg("interrupted during start-up")
			return nil
		}
		return fmt.Errorf("start SQL engine: %w", err)
	}
	defer func() {
		if err := engine.Close(); err != nil {
			log.Error().Err(err).Msg("close SQL engine")
		}
	}()
	srv, err := server.New(server.Config{
		Engine:         engine,
		Users:          cfg.Passwords(),
		PasswordMethod: cfg.PasswordMethod,
		TLSConfig:      tlsConfig,
		MaxConnections: cfg.MaxConnections,
		Logger:         log,
	})
	if err != nil {
		return fmt.Errorf("start server: %w", err)
	}
	ln, err := net.Listen("tcp", opts.listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ctx, ln) }()
	log.Info().
		Str("address", ln.Addr().String()).
		Int("tables", len(catalog.Tables())).
		Str("data", opts.dataDir).
		Str("config", configPath).
		Bool("tls", tlsConfig != nil).
		Str("version", buildVersion()).
		Dur("startup", time.Since(start)).
		Msg("listening")

	select {
	case err := <-serveErr:
		// Serve returned without being asked to stop.
		if sigCtx.Err() == nil {
			if err == nil {
				err = errors.New("server stopped unexpectedly")
			}
			return fmt.Errorf("serve: %w", err)
		}
	case <-sigCtx.Done():
	}
	stop() // a second signal terminates the process at once

	log.Info().Dur("timeout", opts.shutdownTimeout).Msg("shutting down: waiting for running statements")
	shutdownCtx, cancel := context.WithTimeout(ctx, opts.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		log.Warn().Err(err).Msg("shutdown timeout reached: closed the remaining connections")
	}
	select {
	case err := <-serveErr:
		if err != nil && !errors.Is(err, server.ErrServerClosed) {
			log.Debug().Err(err).Msg("serve returned")
		}
	case <-shutdownCtx.Done():
	}
	log.Info().Msg("stopped")
	return nil
}
