"""psycopg2 with client-side parameter interpolation (simple query protocol)."""

import psycopg2

from pqcheck import ALLTYPES_COLUMNS, check, check_alltypes_row, check_value, conn_params, eq, load_expect, run


def main():
    exp = load_expect()
    conn = psycopg2.connect(**conn_params(), connect_timeout=10)
    cur = conn.cursor()

    # A value with a quote, interpolated by psycopg2 as 'O''Brien'.
    cur.execute("SELECT count(*), min(candidate_id) FROM candidates WHERE last_name = %s", ("O'Brien",))
    eq(cur.fetchall(), [(int(exp["obrien.count"]), exp["obrien.first"])], "O'Brien count and first id")

    # Quotes, double quotes and a backslash, echoed back and matched against a column.
    tricky = 'it\'s "quoted" \\ back'
    cur.execute("SELECT %s AS v, %s + 1 AS n", (tricky, 41))
    eq(cur.fetchall(), [(tricky, 42)], "echoed parameters")
    cur.execute("SELECT id FROM alltypes WHERE c_text = %(t)s OR c_text = %(b)s ORDER BY id",
                {"t": exp["alltypes.4.c_text"], "b": exp["alltypes.5.c_text"]})
    eq(cur.fetchall(), [(4,), (5,)], "alltypes ids by quoted text")

    # A tuple becomes an IN list; the row values come back in text format.
    ids = [int(i) for i in exp["cand.ids"].split(",")]
    cur.execute("SELECT candidate_id, first_name, last_name, email, city, years_experience, salary, created_at, score, notes "
                "FROM candidates WHERE candidate_id IN %s ORDER BY candidate_id",
                (tuple(exp["cand.%d.candidate_id" % i] for i in ids),))
    rows = cur.fetchall()
    eq(len(rows), len(ids), "candidate rows")
    names = [d[0] for d in cur.description]
    for i, row in zip(sorted(ids), rows):
        for col, v in zip(names, row):
            check_value(col, v, exp, "cand.%d.%s" % (i, col), "candidate %d %s" % (i, col))

    cur.execute("SELECT " + ", ".join(ALLTYPES_COLUMNS) + " FROM alltypes WHERE id >= %s ORDER BY id", (1,))
    rows = cur.fetchall()
    eq(len(rows), int(exp["alltypes.count"]), "alltypes rows")
    for row in rows:
        check_alltypes_row(dict(zip(ALLTYPES_COLUMNS, row)), exp, "psycopg2 alltypes", text_uuid=True)

    # The connection is in a transaction (psycopg2 sent BEGIN); an error then rollback.
    check(conn.status == psycopg2.extensions.STATUS_IN_TRANSACTION, "psycopg2 did not open a transaction")
    try:
        cur.execute("SELECT nosuchcolumn FROM candidates WHERE candidate_id = %s", ("x'y",))
        raise AssertionError("selecting a missing column succeeded")
    except psycopg2.errors.UndefinedColumn:
        pass
    conn.rollback()
    cur.execute("SELECT %s::text", ("after rollback",))
    eq(cur.fetchone(), ("after rollback",), "query after rollback")
    conn.close()


run(main)
