"""asyncpg: parameters, prepared statements, all-binary results, a cursor.

Each section runs on its own connection; see pqcheck.run_sections.
"""

import asyncio
import datetime
import decimal

import asyncpg

from pqcheck import ALLTYPES_COLUMNS, check, check_alltypes_row, check_value, conn_params, eq, load_expect, run_sections

CAND_COLUMNS = "candidate_id, first_name, last_name, email, city, years_experience, salary, created_at, score, notes"

exp = load_expect()
params = conn_params()


def section(fn):
    """Runs the coroutine function fn(conn) on a fresh connection."""
    async def with_conn():
        conn = await asyncpg.connect(host=params["host"], port=params["port"], user=params["user"],
                                     password=params["password"], database=params["dbname"], timeout=10, command_timeout=30)
        try:
            await fn(conn)
        finally:
            await conn.close()
    return lambda: asyncio.run(with_conn())


async def fetch_with_params(conn):
    # asyncpg prepares each query, reads its parameter types and asks for binary results.
    for i in (int(x) for x in exp["cand.ids"].split(",")):
        rows = await conn.fetch("SELECT " + CAND_COLUMNS + " FROM candidates WHERE candidate_id = $1 AND years_experience >= $2",
                                exp["cand.%d.candidate_id" % i], 0)
        eq(len(rows), 1, "rows for candidate %d" % i)
        for col, v in rows[0].items():
            check_value(col, v, exp, "cand.%d.%s" % (i, col), "candidate %d %s" % (i, col))


async def prepared_alltypes(conn):
    stmt = await conn.prepare("SELECT " + ", ".join(ALLTYPES_COLUMNS) + " FROM alltypes WHERE id = $1")
    eq([t.name for t in stmt.get_parameters()], ["int4"], "prepared statement parameter types")
    eq([a.name for a in stmt.get_attributes()], ALLTYPES_COLUMNS, "prepared statement columns")
    eq([a.type.name for a in stmt.get_attributes()],
       ["int4", "int2", "int4", "int8", "float4", "float8", "bool", "text", "numeric", "date",
        "timestamptz", "timestamp", "bytea", "uuid"], "prepared statement column types")
    for rid in range(1, int(exp["alltypes.count"]) + 1):
        row = await stmt.fetchrow(rid)
        check(row is not None, "no alltypes row %d" % rid)
        check_alltypes_row(dict(row.items()), exp, "asyncpg alltypes")
    eq(await stmt.fetchrow(1000), None, "missing row")


async def inferred_param_types(conn):
    # Parameter types inferred from the columns they are compared with, sent binary.
    s2 = await conn.prepare("SELECT id FROM alltypes WHERE c_int8 = $1 OR c_date = $2 OR c_numeric = $3 OR c_timestamptz = $4 ORDER BY id")
    eq([t.name for t in s2.get_parameters()], ["int8", "date", "numeric", "timestamptz"], "inferred parameter types")
    got = await s2.fetch(int(exp["alltypes.4.c_int8"]), datetime.date.fromisoformat(exp["alltypes.1.c_date"]),
                         decimal.Decimal(exp["alltypes.5.c_numeric"]),
                         datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(microseconds=int(exp["alltypes.3.c_timestamptz"])))
    eq([r["id"] for r in got], [1, 3, 4, 5], "rows by binary int8/date/numeric/timestamptz parameters")


async def cast_param_types(conn):
    # A cast gives a parameter its type: $1::float8 is a float8 parameter.
    eq(await conn.fetchval("SELECT $1::float8 * 2", 1.25), 2.5, "SELECT $1::float8 * 2")
    eq(await conn.fetchval("SELECT $1::bytea", b"\x00\xff'"), b"\x00\xff'", "SELECT $1::bytea")
    eq(await conn.fetchval("SELECT $1::int8 + 1", 2 ** 40), 2 ** 40 + 1, "SELECT $1::int8 + 1")


async def cursor(conn):
    # A cursor in a transaction: a named portal read in batches.
    n, first, last = 0, None, None
    async with conn.transaction():
        async for r in conn.cursor("SELECT candidate_id FROM candidates WHERE candidate_id <= $1 ORDER BY candidate_id",
                                   "CAND-010000", prefetch=500):
            n += 1
            first = first or r[0]
            last = r[0]
    eq((n, first, last), (10000, "CAND-000001", "CAND-010000"), "cursor rows, first and last key")


async def error_then_query(conn):
    try:
        await conn.fetch("SELECT nosuchcolumn FROM candidates WHERE candidate_id = $1", "x")
        raise AssertionError("selecting a missing column succeeded")
    except asyncpg.exceptions.UndefinedColumnError:
        pass
    eq(await conn.fetchval("SELECT count(*) FROM alltypes WHERE id > $1", 10), 10, "count after error")


run_sections([
    ("fetch with parameters", section(fetch_with_params)),
    ("prepared statement over alltypes", section(prepared_alltypes)),
    ("parameter types inferred from columns", section(inferred_param_types)),
    ("parameter types from casts", section(cast_param_types)),
    ("cursor", section(cursor)),
    ("error then query", section(error_then_query)),
])
