# pqsql build, test and benchmark entry points. GNU make.
#
# Every Go command uses -tags gms_pure_go: go-mysql-server otherwise links the
# system ICU library through cgo.

GO        ?= go
TAGS      := gms_pure_go
BIN       := bin/pqsql
LISTEN    ?= 127.0.0.1:5433
ROWS      ?= 10000000
FUZZTIME  ?= 60s
FUZZ      ?=
TESTFLAGS ?=
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
LDFLAGS   := -X main.version=$(VERSION)

# sudo only when not already root.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT  := $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get

.PHONY: all build run test test-deps test-deps-apt lint bench bench-deps testdata fuzz clean

all: build

build:
	$(GO) build -tags $(TAGS) -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/pqsql

run: build
	./$(BIN) serve --data ./testdata --listen $(LISTEN) --log-format console

# test-deps installs what the integration tests need on a fresh Debian
# machine: psql, PostgreSQL 15's server (the differential test compares
# against a throwaway instance), and the client drivers that integration/clients_test.go runs
# (pgjdbc on a JDK, psycopg2, SQLAlchemy, pandas, psycopg 3 and asyncpg for
# Debian's /usr/bin/python3, node-postgres from integration/clients'
# package-lock.json). It installs only what is missing, with one apt-get
# update, and does nothing when everything is there.
CLIENTS_DIR := integration/clients
TEST_PY     := /usr/bin/python3

test-deps: $(CLIENTS_DIR)/node_modules/.package-lock.json

# Module to import with $(TEST_PY):Debian package providing it. (The mkdir
# below: the JDK's postinst fails on slim images without /usr/share/man/man1.)
TEST_PY_DEBS := psycopg2:python3-psycopg2 sqlalchemy:python3-sqlalchemy \
	pandas:python3-pandas psycopg:python3-psycopg asyncpg:python3-asyncpg

test-deps-apt:
	@missing=""; \
	command -v psql >/dev/null 2>&1 || missing="$$missing postgresql-client"; \
	[ -x /usr/lib/postgresql/15/bin/initdb ] || missing="$$missing postgresql-15"; \
	command -v javac >/dev/null 2>&1 || missing="$$missing default-jdk-headless"; \
	[ -f /usr/share/java/postgresql.jar ] || missing="$$missing libpostgresql-jdbc-java"; \
	for m in $(TEST_PY_DEBS); do \
		$(TEST_PY) -c "import $${m%%:*}" >/dev/null 2>&1 || missing="$$missing $${m#*:}"; \
	done; \
	command -v npm >/dev/null 2>&1 || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
		echo "test-deps: installing$$missing"; \
		$(SUDO) mkdir -p /usr/share/man/man1; \
		$(APT) update && $(APT) install -y $$missing; \
	fi

# npm ci writes node_modules/.package-lock.json: rerun it when the lock changes.
$(CLIENTS_DIR)/node_modules/.package-lock.json: $(CLIENTS_DIR)/package-lock.json | test-deps-apt
	cd $(CLIENTS_DIR) && npm ci --no-audit --no-fund
	touch $@

# The timeout is per package; 10 minutes keeps a hung test from taking the
# whole run past 15 minutes on 2 cores.
test: test-deps
	$(GO) test -race -tags $(TAGS) -timeout 10m $(TESTFLAGS) ./...

lint:
	@out="$$(gofmt -l .)"; \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi
	$(GO) vet -tags $(TAGS) ./...

# bench-deps installs PostgreSQL 15's server binaries when missing; the
# benchmark runs a throwaway instance of it next to pqsql.
bench-deps:
	@[ -x /usr/lib/postgresql/15/bin/initdb ] || command -v initdb >/dev/null 2>&1 || \
		($(APT) update && $(APT) install -y postgresql-15)

bench: bench-deps
	$(GO) run -tags $(TAGS) ./bench/run -rows $(ROWS)

testdata:
	$(GO) run -tags $(TAGS) ./bench/gendata -out testdata -candidates 100000 -alltypes

# fuzz runs each fuzz target of package server (or only FUZZ=Name) for FUZZTIME.
fuzz:
	@targets="$(FUZZ)"; \
	[ -n "$$targets" ] || targets="$$($(GO) test -tags $(TAGS) -list '^Fuzz' ./server | grep '^Fuzz')"; \
	[ -n "$$targets" ] || { echo "no fuzz targets in ./server"; exit 1; }; \
	for t in $$targets; do \
		echo "fuzzing $$t for $(FUZZTIME)"; \
		$(GO) test -tags $(TAGS) -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) ./server || exit 1; \
	done

clean:
	rm -rf bin
