// Package integration tests the pqsql binary end to end: TestMain builds
// cmd/pqsql once, and each test starts it on a free loopback port with a
// temporary data directory, then drives it over the wire with pgx and with the
// psql client, the way users do.
//
// The package holds tests only. Run it with
//
//	go test -tags gms_pure_go ./integration
//
// The psql tests are skipped when psql is not on PATH (make test installs it).
package integration
