"""psycopg 3: server-side (extended protocol) parameters, binary parameters and results.

Each section runs on its own connection; see pqcheck.run_sections.
"""

import datetime
import decimal
import uuid

import psycopg

from pqcheck import ALLTYPES_COLUMNS, check, check_alltypes_row, check_value, conn_params, eq, load_expect, run_sections

CAND_COLUMNS = "candidate_id, first_name, last_name, email, city, years_experience, salary, created_at, score, notes"


exp = load_expect()
params = conn_params()


def section(fn):
    def run():
        with psycopg.connect(connect_timeout=10, **params) as conn:
            fn(conn)
    return run


def candidates(conn):
    # Server-side parameters, text results, then binary results.
    for binary in (False, True):
        for i in (int(x) for x in exp["cand.ids"].split(",")):
            cur = conn.execute("SELECT " + CAND_COLUMNS + " FROM candidates WHERE candidate_id = %s AND years_experience >= %s",
                               (exp["cand.%d.candidate_id" % i], 0), binary=binary)
            rows = cur.fetchall()
            eq(len(rows), 1, "rows for candidate %d (binary=%s)" % (i, binary))
            for d, v in zip(cur.description, rows[0]):
                check_value(d.name, v, exp, "cand.%d.%s" % (i, d.name), "candidate %d %s (binary=%s)" % (i, d.name, binary))


def alltypes(conn):
    # Every type of alltypes, text and binary results.
    for binary in (False, True):
        cur = conn.cursor(binary=binary)
        cur.execute("SELECT " + ", ".join(ALLTYPES_COLUMNS) + " FROM alltypes WHERE id > %s ORDER BY id", (0,))
        rows = cur.fetchall()
        eq(len(rows), int(exp["alltypes.count"]), "alltypes rows (binary=%s)" % binary)
        eq([d.name for d in cur.description], ALLTYPES_COLUMNS, "alltypes column names")
        for row in rows:
            check_alltypes_row(dict(zip(ALLTYPES_COLUMNS, row)), exp, "psycopg3 binary=%s alltypes" % binary)
    row1 = conn.execute("SELECT " + ", ".join(ALLTYPES_COLUMNS) + " FROM alltypes WHERE id = %s", (1,), binary=True).fetchone()
    r = dict(zip(ALLTYPES_COLUMNS, row1))
    check(isinstance(r["c_numeric"], decimal.Decimal) and isinstance(r["c_uuid"], uuid.UUID)
          and isinstance(r["c_date"], datetime.date) and isinstance(r["c_bytea"], bytes), "alltypes row 1 types: %r" % (row1,))


CASTS = {"c_int2": "int2", "c_int4": "int4", "c_int8": "int8", "c_float8": "float8", "c_bool": "bool",
         "c_text": "text", "c_numeric": "numeric", "c_date": "date", "c_timestamptz": "timestamptz",
         "c_timestamp": "timestamp", "c_bytea": "bytea", "c_uuid": "uuid"}


def round_trip(conn):
    # The values just read, sent back as binary parameters (%b), find the row again.
    cols = list(CASTS)
    for rid in (1, 4, 11):
        vals = conn.execute("SELECT " + ", ".join(cols) + " FROM alltypes WHERE id = %s", (rid,), binary=True).fetchone()
        pairs = [(c, v) for c, v in zip(cols, vals) if v is not None]
        where = " AND ".join("%s = %%b" % c for c, _ in pairs)
        got = conn.execute("SELECT id FROM alltypes WHERE " + where, [v for _, v in pairs], binary=True).fetchall()
        eq(got, [(rid,)], "row found by its own values as binary parameters (%s)" % where)


def echo(conn):
    # Values echoed back unchanged through typed binary parameters.
    cols = list(CASTS)
    for rid in (1, 4, 11):
        vals = conn.execute("SELECT " + ", ".join(cols) + " FROM alltypes WHERE id = %s", (rid,), binary=True).fetchone()
        pairs = [(c, v) for c, v in zip(cols, vals) if v is not None]
        got = conn.execute("SELECT " + ", ".join("%%b::%s" % CASTS[c] for c, _ in pairs),
                           [v for _, v in pairs], binary=True).fetchone()
        eq(list(got), [v for _, v in pairs], "binary parameters echoed (id %d)" % rid)


def text_params(conn):
    # A Python int compared with an int8 column and a Decimal with numeric, as text parameters (%t).
    got = conn.execute("SELECT id FROM alltypes WHERE c_int8 = %t AND c_numeric = %t",
                       (int(exp["alltypes.4.c_int8"]), decimal.Decimal(exp["alltypes.4.c_numeric"]))).fetchall()
    eq(got, [(4,)], "text parameters int8/numeric")


def error_rollback(conn):
    # An error inside the implicit transaction, then rollback.
    try:
        conn.execute("SELECT * FROM nosuchtable WHERE x = %s", (1,))
        raise AssertionError("query on a missing table succeeded")
    except psycopg.errors.UndefinedTable:
        pass
    conn.rollback()
    eq(conn.execute("SELECT %s::int4 + 1", (1,)).fetchone(), (2,), "query after rollback")


run_sections([
    ("candidates by server-side parameters, text and binary", section(candidates)),
    ("alltypes text and binary", section(alltypes)),
    ("binary parameters round trip", section(round_trip)),
    ("binary parameters echoed through casts", section(echo)),
    ("text parameters", section(text_params)),
    ("error and rollback", section(error_rollback)),
])
