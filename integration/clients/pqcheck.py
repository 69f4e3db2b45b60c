"""Shared helpers of the Python client programs of integration/clients.

Each program reads the connection from PGHOST, PGPORT, PGUSER, PGPASSWORD and
PGDATABASE (or --host/--port/--user/--password/--dbname), the values it must
see from the JSON file named by PQSQL_EXPECT (written by clients_test.go from
bench/datagen; a missing key means SQL NULL), and prints only "ok".
"""

import argparse
import datetime
import decimal
import json
import math
import os
import struct
import sys
import traceback

# alltypes columns the programs check, in table order (the json columns are left out).
ALLTYPES_COLUMNS = [
    "id", "c_int2", "c_int4", "c_int8", "c_float4", "c_float8", "c_bool", "c_text",
    "c_numeric", "c_date", "c_timestamptz", "c_timestamp", "c_bytea", "c_uuid",
]

# candidates columns in table order, with NOT NULL.
CANDIDATES_COLUMNS = [
    ("candidate_id", True), ("first_name", True), ("last_name", True), ("email", True),
    ("phone", False), ("city", True), ("state", True), ("years_experience", True),
    ("salary", False), ("status", True), ("source", True), ("created_at", True),
    ("score", False), ("linkedin_url", False), ("notes", False),
]

UTC_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
NAIVE_EPOCH = datetime.datetime(1970, 1, 1)


class CheckError(AssertionError):
    pass


def conn_params():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default=os.environ.get("PGHOST", "127.0.0.1"))
    ap.add_argument("--port", type=int, default=int(os.environ.get("PGPORT", "5432")))
    ap.add_argument("--user", default=os.environ.get("PGUSER", "analyst"))
    ap.add_argument("--password", default=os.environ.get("PGPASSWORD", ""))
    ap.add_argument("--dbname", default=os.environ.get("PGDATABASE", "pqsql"))
    a = ap.parse_args()
    return dict(host=a.host, port=a.port, user=a.user, password=a.password, dbname=a.dbname)


def load_expect():
    path = os.environ.get("PQSQL_EXPECT")
    if not path:
        raise CheckError("PQSQL_EXPECT is not set (clients_test.go writes the expected values)")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def check(cond, msg):
    if not cond:
        raise CheckError(msg)


def eq(got, want, what):
    if got != want or type(got) is not type(want):
        raise CheckError("%s: got %r (%s), want %r (%s)" % (what, got, type(got).__name__, want, type(want).__name__))


def micros(v, what):
    """Microseconds since the Unix epoch of a datetime (naive ones read as UTC)."""
    check(isinstance(v, datetime.datetime), "%s: got %r (%s), want a datetime" % (what, v, type(v).__name__))
    if v.tzinfo is None:
        return (v - NAIVE_EPOCH) // datetime.timedelta(microseconds=1)
    return (v - UTC_EPOCH) // datetime.timedelta(microseconds=1)


def float_eq(got, want, bits, what):
    check(isinstance(got, float), "%s: got %r (%s), want a float %s" % (what, got, type(got).__name__, want))
    w = float(want)
    if bits == 32:
        got = struct.unpack("f", struct.pack("f", got))[0]
        w = struct.unpack("f", struct.pack("f", w))[0]
    if math.isnan(w):
        check(math.isnan(got), "%s: got %r, want NaN" % (what, got))
        return
    check(got == w and math.copysign(1, got) == math.copysign(1, w), "%s: got %r, want %s" % (what, got, want))


def check_value(col, got, exp, key, what, text_uuid=False):
    """Checks one alltypes or candidates value as a Python driver returns it."""
    if key not in exp:
        check(got is None, "%s: got %r, want NULL" % (what, got))
        return
    want = exp[key]
    check(got is not None, "%s: got NULL, want %r" % (what, want))
    if col in ("id", "c_int2", "c_int4", "c_int8", "years_experience"):
        eq(got, int(want), what)
    elif col == "c_float4":
        float_eq(got, want, 32, what)
    elif col in ("c_float8", "score"):
        float_eq(got, want, 64, what)
    elif col == "c_bool":
        eq(got, want == "true", what)
    elif col in ("c_numeric", "salary"):
        check(isinstance(got, decimal.Decimal), "%s: got %r (%s), want Decimal %s" % (what, got, type(got).__name__, want))
        check(str(got) == want, "%s: got Decimal %s, want %s" % (what, got, want))
    elif col == "c_date":
        eq(got, datetime.date.fromisoformat(want), what)
    elif col in ("c_timestamptz", "created_at"):
        check(isinstance(got, datetime.datetime) and got.tzinfo is not None,
              "%s: got %r, want an aware datetime" % (what, got))
        eq(micros(got, what), int(want), what + " (microseconds since epoch)")
    elif col == "c_timestamp":
        check(isinstance(got, datetime.datetime) and got.tzinfo is None, "%s: got %r, want a naive datetime" % (what, got))
        eq(micros(got, what), int(want), what + " (microseconds since epoch)")
    elif col == "c_bytea":
        check(isinstance(got, (bytes, memoryview)), "%s: got %r (%s), want bytes" % (what, got, type(got).__name__))
        eq(bytes(got).hex(), want, what + " (hex)")
    elif col == "c_uuid":
        if text_uuid:
            eq(got, want, what)
        else:
            check(not isinstance(got, str), "%s: got str %r, want a UUID object" % (what, got))
            eq(str(got), want, what)
    else:
        eq(got, want, what)


def check_alltypes_row(row, exp, what, text_uuid=False):
    """row maps column name to value."""
    rid = row["id"]
    for col in ALLTYPES_COLUMNS:
        check_value(col, row[col], exp, "alltypes.%d.%s" % (rid, col), "%s id=%d %s" % (what, rid, col), text_uuid)


def run(main):
    try:
        main()
    except Exception:
        traceback.print_exc(file=sys.stderr)
        sys.exit(1)
    print("ok")


def run_sections(sections):
    """Runs each (name, function) even when an earlier one failed, reports
    every failure on stderr and exits 1 if there was one; prints "ok" otherwise."""
    failed = 0
    for name, fn in sections:
        try:
            fn()
        except Exception as e:
            failed += 1
            tb = traceback.extract_tb(e.__traceback__)
            where = next((f for f in reversed(tb) if "integration/clients" in f.filename), tb[-1])
            print("FAIL %s: %s: %s\n    at %s:%d: %s" % (name, type(e).__name__, e, os.path.basename(where.filename),
                                                         where.lineno, where.line), file=sys.stderr)
    if failed:
        print("%d of %d sections failed" % (failed, len(sections)), file=sys.stderr)
        sys.exit(1)
    print("ok")
