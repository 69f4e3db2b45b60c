"""SQLAlchemy 1.4 + psycopg2 + pandas: reflection through the catalog, read_sql, read_sql_table."""

import math

import pandas
import sqlalchemy
from sqlalchemy import inspect, types

from pqcheck import ALLTYPES_COLUMNS, CANDIDATES_COLUMNS, check, conn_params, eq, float_eq, load_expect, run_sections


exp = load_expect()
p = conn_params()
url = sqlalchemy.engine.URL.create("postgresql+psycopg2", username=p["user"], password=p["password"],
                                   host=p["host"], port=p["port"], database=p["dbname"])
engine = sqlalchemy.create_engine(url, connect_args={"connect_timeout": 10})


def read_sql():
    df = pandas.read_sql("SELECT city, count(*) AS n FROM candidates GROUP BY city ORDER BY n DESC LIMIT 5", engine)
    eq(list(df.columns), ["city", "n"], "read_sql columns")
    got = [(c, int(n)) for c, n in zip(df["city"], df["n"])]
    want = [(c, int(n)) for c, n in (x.rsplit(":", 1) for x in exp["topcities"].split(","))]
    eq(got, want, "read_sql top cities")


def table_names():
    insp = inspect(engine)
    eq(insp.default_schema_name, "public", "default schema")
    eq(sorted(insp.get_table_names()), ["alltypes", "candidates"], "get_table_names")


def columns():
    cols = inspect(engine).get_columns("candidates")
    eq([(c["name"], c["nullable"]) for c in cols], [(n, not notnull) for n, notnull in CANDIDATES_COLUMNS],
       "get_columns names and nullability")
    byname = {c["name"]: c["type"] for c in cols}
    for name, cls in [("candidate_id", types.TEXT), ("first_name", types.TEXT), ("years_experience", types.INTEGER),
                      ("salary", types.NUMERIC), ("created_at", types.TIMESTAMP), ("score", types.Float),
                      ("notes", types.TEXT)]:
        check(isinstance(byname[name], cls), "column %s: type %r, want %s" % (name, byname[name], cls.__name__))
    eq((byname["salary"].precision, byname["salary"].scale), (12, 2), "salary numeric(12,2)")
    eq(byname["created_at"].timezone, True, "created_at is timestamp with time zone")
    check(isinstance(byname["score"], sqlalchemy.dialects.postgresql.DOUBLE_PRECISION),
          "score: type %r, want DOUBLE_PRECISION" % byname["score"])


def pk_constraint():
    insp = inspect(engine)
    eq(insp.get_pk_constraint("candidates")["constrained_columns"], ["candidate_id"], "get_pk_constraint(candidates) columns")
    eq(insp.get_pk_constraint("alltypes")["constrained_columns"], ["id"], "get_pk_constraint(alltypes) columns")


def read_sql_table():
    # read_sql_table reflects the table, then selects every column.
    df = pandas.read_sql_table("alltypes", engine)
    for c in ALLTYPES_COLUMNS + ["c_json", "c_list", "c_struct"]:
        check(c in df.columns, "read_sql_table: no column %s in %r" % (c, list(df.columns)))
    df = df.sort_values("id").reset_index(drop=True)
    eq(len(df), int(exp["alltypes.count"]), "read_sql_table rows")
    for k, row in df.iterrows():
        rid = int(row["id"])
        eq(rid, k + 1, "read_sql_table id")
        for col, kind in [("c_int4", "int"), ("c_float8", "float"), ("c_text", "str"), ("c_bool", "bool")]:
            key = "alltypes.%d.%s" % (rid, col)
            v = row[col]
            what = "read_sql_table id=%d %s" % (rid, col)
            if key not in exp:
                check(v is None or (isinstance(v, float) and math.isnan(v)), "%s: got %r, want NULL" % (what, v))
            elif kind == "int":
                # pandas holds an integer column with NULLs as float64
                eq(float(v), float(exp[key]), what)
            elif kind == "float":
                float_eq(float(v), exp[key], 64, what)
            elif kind == "bool":
                eq(bool(v), exp[key] == "true", what)
            else:
                eq(v, exp[key], what)
        key = "alltypes.%d.c_timestamptz" % rid
        ts = row["c_timestamptz"]
        if key in exp:
            eq(ts.value // 1000, int(exp[key]), "read_sql_table id=%d c_timestamptz (us)" % rid)
        else:
            check(pandas.isna(ts), "read_sql_table id=%d c_timestamptz: got %r, want NaT" % (rid, ts))


try:
    run_sections([
        ("pandas.read_sql GROUP BY", read_sql),
        ("inspect get_table_names", table_names),
        ("inspect get_columns(candidates)", columns),
        ("inspect get_pk_constraint", pk_constraint),
        ("pandas.read_sql_table(alltypes)", read_sql_table),
    ])
finally:
    engine.dispose()
