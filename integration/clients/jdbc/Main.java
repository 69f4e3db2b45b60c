// pgjdbc (Debian's libpostgresql-jdbc-java, 42.5): prepared statements across
// prepareThreshold (named statements, binary results), a fetch-size cursor,
// query cancel by setQueryTimeout, and DatabaseMetaData.
//
// Run as a single source file: java -cp /usr/share/java/postgresql.jar Main.java
// Connection from PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE (or
// --host= --port= --user= --password= --dbname=); expected values from the
// properties file PQSQL_EXPECT (a missing key is SQL NULL). Every section runs
// on its own connection; failures are collected and printed to stderr with
// exit status 1. Prints only "ok" otherwise.

import java.io.InputStreamReader;
import java.io.Reader;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import java.util.UUID;

public class Main {
    static Properties exp = new Properties();
    static String url;
    static Properties connProps = new Properties();

    interface Section {
        void run() throws Exception;
    }

    static class CheckFailed extends RuntimeException {
        CheckFailed(String msg) {
            super(msg);
        }
    }

    static void check(boolean cond, String msg) {
        if (!cond) throw new CheckFailed(msg);
    }

    static void eq(Object got, Object want, String what) {
        if (!Objects.equals(got, want)) {
            throw new CheckFailed(what + ": got " + show(got) + ", want " + show(want));
        }
    }

    static String show(Object v) {
        if (v == null) return "null";
        if (v instanceof String) return "\"" + v + "\"";
        return v + " (" + v.getClass().getSimpleName() + ")";
    }

    static Connection connect() throws SQLException {
        return DriverManager.getConnection(url, connProps);
    }

    static long micros(Instant t) {
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000L), t.getNano() / 1000);
    }

    static boolean sameFloat(double got, double want) {
        return Double.isNaN(want) ? Double.isNaN(got) : Double.compare(got, want) == 0;
    }

    // checkCandidate checks one candidates row read with JDBC getters.
    static void checkCandidate(ResultSet rs, int i, String what) throws SQLException {
        String p = "cand." + i + ".";
        eq(rs.getString("candidate_id"), exp.getProperty(p + "candidate_id"), what + " candidate_id");
        eq(rs.getString("first_name"), exp.getProperty(p + "first_name"), what + " first_name");
        eq(rs.getString("last_name"), exp.getProperty(p + "last_name"), what + " last_name");
        eq(rs.getString("email"), exp.getProperty(p + "email"), what + " email");
        eq(rs.getString("city"), exp.getProperty(p + "city"), what + " city");
        eq(rs.getInt("years_experience"), Integer.parseInt(exp.getProperty(p + "years_experience")), what + " years_experience");
        BigDecimal salary = rs.getBigDecimal("salary");
        eq(salary == null ? null : salary.toPlainString(), exp.getProperty(p + "salary"), what + " salary");
        eq(micros(rs.getTimestamp("created_at").toInstant()), Long.parseLong(exp.getProperty(p + "created_at")), what + " created_at (us)");
        eq(rs.getObject("created_at", OffsetDateTime.class).toInstant(), rs.getTimestamp("created_at").toInstant(), what + " created_at as OffsetDateTime");
        double score = rs.getDouble("score");
        String wantScore = exp.getProperty(p + "score");
        if (wantScore == null) {
            check(rs.wasNull(), what + " score: got " + score + ", want NULL");
        } else {
            check(!rs.wasNull() && sameFloat(score, Double.parseDouble(wantScore)), what + " score: got " + score + ", want " + wantScore);
        }
        eq(rs.getString("notes"), exp.getProperty(p + "notes"), what + " notes");
    }

    static void checkAllTypes(ResultSet rs, int id, String what) throws SQLException {
        String p = "alltypes." + id + ".";
        eq(rs.getInt("id"), id, what + " id");
        String w;
        w = exp.getProperty(p + "c_int2");
        Object v = rs.getObject("c_int2");
        eq(v == null ? null : rs.getShort("c_int2"), w == null ? null : Short.parseShort(w), what + " c_int2");
        w = exp.getProperty(p + "c_int4");
        eq(rs.getObject("c_int4"), w == null ? null : Integer.parseInt(w), what + " c_int4");
        w = exp.getProperty(p + "c_int8");
        eq(rs.getObject("c_int8"), w == null ? null : Long.parseLong(w), what + " c_int8");
        w = exp.getProperty(p + "c_float4");
        v = rs.getObject("c_float4");
        if (w == null) {
            eq(v, null, what + " c_float4");
        } else {
            check(v instanceof Float && sameFloat((Float) v, Float.parseFloat(w)), what + " c_float4: got " + show(v) + ", want " + w);
        }
        w = exp.getProperty(p + "c_float8");
        v = rs.getObject("c_float8");
        if (w == null) {
            eq(v, null, what + " c_float8");
        } else {
            check(v instanceof Double && sameFloat((Double) v, Double.parseDouble(w)), what + " c_float8: got " + show(v) + ", want " + w);
        }
        w = exp.getProperty(p + "c_bool");
        eq(rs.getObject("c_bool"), w == null ? null : Boolean.parseBoolean(w), what + " c_bool");
        eq(rs.getString("c_text"), exp.getProperty(p + "c_text"), what + " c_text");
        BigDecimal num = rs.getBigDecimal("c_numeric");
        eq(num == null ? null : num.toPlainString(), exp.getProperty(p + "c_numeric"), what + " c_numeric");
        w = exp.getProperty(p + "c_date");
        eq(rs.getObject("c_date", LocalDate.class), w == null ? null : LocalDate.parse(w), what + " c_date");
        w = exp.getProperty(p + "c_timestamptz");
        OffsetDateTime odt = rs.getObject("c_timestamptz", OffsetDateTime.class);
        eq(odt == null ? null : micros(odt.toInstant()), w == null ? null : Long.parseLong(w), what + " c_timestamptz (us)");
        w = exp.getProperty(p + "c_timestamp");
        LocalDateTime ldt = rs.getObject("c_timestamp", LocalDateTime.class);
        eq(ldt == null ? null : micros(ldt.toInstant(ZoneOffset.UTC)), w == null ? null : Long.parseLong(w), what + " c_timestamp (us)");
        byte[] b = rs.getBytes("c_bytea");
        eq(b == null ? null : HexFormat.of().formatHex(b), exp.getProperty(p + "c_bytea"), what + " c_bytea");
        w = exp.getProperty(p + "c_uuid");
        eq(rs.getObject("c_uuid"), w == null ? null : UUID.fromString(w), what + " c_uuid");
    }

    // Ten executions of one PreparedStatement with setString/setLong/setDate:
    // from the fifth on pgjdbc uses a named statement and binary results.
    static void preparedCandidates() throws Exception {
        try (Connection c = connect();
             PreparedStatement ps = c.prepareStatement(
                     "SELECT candidate_id, first_name, last_name, email, city, years_experience, salary, created_at, score, notes "
                             + "FROM candidates WHERE candidate_id = ? AND years_experience <= ? AND created_at >= ?")) {
            String[] ids = exp.getProperty("cand.ids").split(",");
            check(ids.length >= 10, "need 10 candidate ids");
            for (int k = 0; k < ids.length; k++) {
                int i = Integer.parseInt(ids[k]);
                ps.setString(1, exp.getProperty("cand." + i + ".candidate_id"));
                ps.setLong(2, 99L);
                ps.setDate(3, java.sql.Date.valueOf("2020-01-01"));
                try (ResultSet rs = ps.executeQuery()) {
                    check(rs.next(), "execution " + (k + 1) + ": no row for candidate " + i);
                    checkCandidate(rs, i, "execution " + (k + 1) + " candidate " + i);
                    check(!rs.next(), "execution " + (k + 1) + ": more than one row");
                }
            }
            check(ps.unwrap(org.postgresql.PGStatement.class).isUseServerPrepare(), "statement not server-prepared after 10 executions");
            // No row: the date parameter excludes everything.
            ps.setString(1, "CAND-000001");
            ps.setLong(2, 99L);
            ps.setDate(3, java.sql.Date.valueOf("2100-01-01"));
            try (ResultSet rs = ps.executeQuery()) {
                check(!rs.next(), "created_at >= 2100-01-01 returned a row");
            }
        }
    }

    // Every alltypes row through one PreparedStatement (setLong): text results
    // first, then binary ones for int2/4/8, float4/8, numeric, date, timestamps, bytea.
    static void preparedAllTypes() throws Exception {
        int n = Integer.parseInt(exp.getProperty("alltypes.count"));
        try (Connection c = connect();
             PreparedStatement ps = c.prepareStatement(
                     "SELECT id, c_int2, c_int4, c_int8, c_float4, c_float8, c_bool, c_text, c_numeric, c_date, "
                             + "c_timestamptz, c_timestamp, c_bytea, c_uuid FROM alltypes WHERE id = ?")) {
            for (int id = 1; id <= n; id++) {
                ps.setLong(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    check(rs.next(), "no alltypes row " + id);
                    checkAllTypes(rs, id, "alltypes execution " + id);
                    check(!rs.next(), "more than one alltypes row " + id);
                }
            }
        }
    }

    // ResultSetMetaData of a query over every alltypes type.
    static void resultSetMetaData() throws Exception {
        String[][] want = {
            {"id", "int4"}, {"c_int2", "int2"}, {"c_int4", "int4"}, {"c_int8", "int8"}, {"c_float4", "float4"},
            {"c_float8", "float8"}, {"c_bool", "bool"}, {"c_text", "text"}, {"c_numeric", "numeric"}, {"c_date", "date"},
            {"c_timestamptz", "timestamptz"}, {"c_timestamp", "timestamp"}, {"c_bytea", "bytea"}, {"c_uuid", "uuid"},
        };
        int[] types = {Types.INTEGER, Types.SMALLINT, Types.INTEGER, Types.BIGINT, Types.REAL, Types.DOUBLE, Types.BIT,
            Types.VARCHAR, Types.NUMERIC, Types.DATE, Types.TIMESTAMP, Types.TIMESTAMP, Types.BINARY, Types.OTHER};
        try (Connection c = connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT id, c_int2, c_int4, c_int8, c_float4, c_float8, c_bool, c_text, c_numeric, "
                     + "c_date, c_timestamptz, c_timestamp, c_bytea, c_uuid FROM alltypes WHERE id = 1")) {
            java.sql.ResultSetMetaData md = rs.getMetaData();
            eq(md.getColumnCount(), want.length, "column count");
            for (int i = 1; i <= want.length; i++) {
                eq(md.getColumnName(i), want[i - 1][0], "column " + i + " name");
                eq(md.getColumnTypeName(i), want[i - 1][1], "column " + i + " type name");
                eq(md.getColumnType(i), types[i - 1], "column " + i + " java.sql.Types");
            }
            eq(md.getPrecision(9), 10, "numeric(10,2) precision");
            eq(md.getScale(9), 2, "numeric(10,2) scale");
            check(rs.next(), "no row");
        }
    }

    // setFetchSize with autocommit off reads through a portal in batches.
    static void fetchSize() throws Exception {
        try (Connection c = connect()) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT candidate_id, years_experience FROM candidates WHERE candidate_id <= ? ORDER BY candidate_id")) {
                ps.setFetchSize(100);
                ps.setString(1, "CAND-010000");
                int rows = 0;
                String first = null, last = null;
                try (ResultSet rs = ps.executeQuery()) {
                    eq(rs.getFetchSize(), 100, "fetch size");
                    while (rs.next()) {
                        rows++;
                        if (first == null) first = rs.getString(1);
                        last = rs.getString(1);
                        eq(last, String.format("CAND-%06d", rows), "key of row " + rows);
                    }
                }
                eq(rows, 10000, "rows read with fetch size 100");
                eq(first, "CAND-000001", "first key");
                eq(last, "CAND-010000", "last key");
            }
            c.commit();
            c.setAutoCommit(true);
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM alltypes")) {
                check(rs.next(), "no count");
                eq(rs.getLong(1), Long.parseLong(exp.getProperty("alltypes.count")), "count after commit");
            }
        }
    }

    // setQueryTimeout(1) on pg_sleep(5): pgjdbc sends a CancelRequest.
    static void queryTimeout() throws Exception {
        try (Connection c = connect(); Statement st = c.createStatement()) {
            st.setQueryTimeout(1);
            long start = System.nanoTime();
            try {
                st.executeQuery("SELECT pg_sleep(5)");
                throw new CheckFailed("SELECT pg_sleep(5) with a 1 s query timeout succeeded");
            } catch (SQLException e) {
                eq(e.getSQLState(), "57014", "SQLState of the cancelled query (" + e.getMessage() + ")");
            }
            double secs = (System.nanoTime() - start) / 1e9;
            check(secs < 4.5, "cancel took " + secs + " s: the query was not interrupted");
            st.setQueryTimeout(0);
            try (ResultSet rs = st.executeQuery("SELECT candidate_id FROM candidates WHERE candidate_id = 'CAND-000042'")) {
                check(rs.next(), "no row after cancel");
                eq(rs.getString(1), "CAND-000042", "query after cancel");
            }
        }
    }

    static void metaSchemas() throws Exception {
        try (Connection c = connect(); ResultSet rs = c.getMetaData().getSchemas()) {
            List<String> got = new ArrayList<>();
            while (rs.next()) got.add(rs.getString("TABLE_SCHEM"));
            for (String s : new String[] {"information_schema", "pg_catalog", "public"}) {
                check(got.contains(s), "getSchemas: " + got + " lacks " + s);
            }
        }
    }

    static void metaTables() throws Exception {
        try (Connection c = connect(); ResultSet rs = c.getMetaData().getTables(null, "public", "%", new String[] {"TABLE"})) {
            List<String> got = new ArrayList<>();
            while (rs.next()) {
                got.add(rs.getString("TABLE_SCHEM") + "." + rs.getString("TABLE_NAME") + ":" + rs.getString("TABLE_TYPE"));
            }
            eq(got, Arrays.asList("public.alltypes:TABLE", "public.candidates:TABLE"), "getTables(public, %, TABLE)");
        }
    }

    static void metaColumns() throws Exception {
        // name, TYPE_NAME, java.sql.Types, NOT NULL
        Object[][] want = {
            {"candidate_id", "text", Types.VARCHAR, true}, {"first_name", "text", Types.VARCHAR, true},
            {"last_name", "text", Types.VARCHAR, true}, {"email", "text", Types.VARCHAR, true},
            {"phone", "text", Types.VARCHAR, false}, {"city", "text", Types.VARCHAR, true},
            {"state", "text", Types.VARCHAR, true}, {"years_experience", "int4", Types.INTEGER, true},
            {"salary", "numeric", Types.NUMERIC, false}, {"status", "text", Types.VARCHAR, true},
            {"source", "text", Types.VARCHAR, true}, {"created_at", "timestamptz", Types.TIMESTAMP, true},
            {"score", "float8", Types.DOUBLE, false}, {"linkedin_url", "text", Types.VARCHAR, false},
            {"notes", "text", Types.VARCHAR, false},
        };
        try (Connection c = connect(); ResultSet rs = c.getMetaData().getColumns(null, "public", "candidates", null)) {
            int k = 0;
            while (rs.next()) {
                check(k < want.length, "getColumns: more than " + want.length + " columns (" + rs.getString("COLUMN_NAME") + ")");
                Object[] w = want[k];
                String what = "getColumns candidates column " + (k + 1);
                eq(rs.getString("TABLE_SCHEM"), "public", what + " TABLE_SCHEM");
                eq(rs.getString("TABLE_NAME"), "candidates", what + " TABLE_NAME");
                eq(rs.getString("COLUMN_NAME"), w[0], what + " COLUMN_NAME");
                eq(rs.getString("TYPE_NAME"), w[1], what + " TYPE_NAME");
                eq(rs.getInt("DATA_TYPE"), w[2], what + " DATA_TYPE");
                boolean notNull = (Boolean) w[3];
                eq(rs.getInt("NULLABLE"), notNull ? DatabaseMetaData.columnNoNulls : DatabaseMetaData.columnNullable, what + " NULLABLE");
                eq(rs.getString("IS_NULLABLE"), notNull ? "NO" : "YES", what + " IS_NULLABLE");
                eq(rs.getInt("ORDINAL_POSITION"), k + 1, what + " ORDINAL_POSITION");
                if (w[0].equals("salary")) {
                    eq(rs.getInt("COLUMN_SIZE"), 12, what + " COLUMN_SIZE");
                    eq(rs.getInt("DECIMAL_DIGITS"), 2, what + " DECIMAL_DIGITS");
                }
                k++;
            }
            eq(k, want.length, "getColumns candidates column count");
        }
    }

    static void metaPrimaryKeys() throws Exception {
        try (Connection c = connect(); ResultSet rs = c.getMetaData().getPrimaryKeys(null, "public", "candidates")) {
            List<String> got = new ArrayList<>();
            while (rs.next()) {
                got.add(rs.getString("TABLE_NAME") + "." + rs.getString("COLUMN_NAME") + ":" + rs.getInt("KEY_SEQ"));
            }
            eq(got, Arrays.asList("candidates.candidate_id:1"), "getPrimaryKeys(candidates)");
        }
    }

    static void metaIndexInfo() throws Exception {
        try (Connection c = connect(); ResultSet rs = c.getMetaData().getIndexInfo(null, "public", "candidates", true, false)) {
            List<String> got = new ArrayList<>();
            while (rs.next()) {
                got.add(rs.getString("TABLE_NAME") + "." + rs.getString("COLUMN_NAME") + ":nonunique=" + rs.getBoolean("NON_UNIQUE")
                        + ":pos=" + rs.getInt("ORDINAL_POSITION"));
                check(rs.getString("INDEX_NAME") != null && !rs.getString("INDEX_NAME").isEmpty(), "getIndexInfo: empty INDEX_NAME");
            }
            eq(got, Arrays.asList("candidates.candidate_id:nonunique=false:pos=1"), "getIndexInfo(candidates, unique)");
        }
    }

    public static void main(String[] args) throws Exception {
        String host = System.getenv().getOrDefault("PGHOST", "127.0.0.1");
        String port = System.getenv().getOrDefault("PGPORT", "5432");
        String db = System.getenv().getOrDefault("PGDATABASE", "pqsql");
        connProps.setProperty("user", System.getenv().getOrDefault("PGUSER", "analyst"));
        connProps.setProperty("password", System.getenv().getOrDefault("PGPASSWORD", ""));
        for (String a : args) {
            String[] kv = a.replaceFirst("^--", "").split("=", 2);
            if (kv.length != 2) throw new IllegalArgumentException("bad argument " + a);
            switch (kv[0]) {
                case "host": host = kv[1]; break;
                case "port": port = kv[1]; break;
                case "dbname": db = kv[1]; break;
                case "user": case "password": connProps.setProperty(kv[0], kv[1]); break;
                default: throw new IllegalArgumentException("bad argument " + a);
            }
        }
        connProps.setProperty("connectTimeout", "10");
        connProps.setProperty("socketTimeout", "60");
        url = "jdbc:postgresql://" + host + ":" + port + "/" + db;
        String expectPath = System.getenv("PQSQL_EXPECT");
        if (expectPath == null) throw new IllegalStateException("PQSQL_EXPECT is not set");
        try (Reader r = new InputStreamReader(Files.newInputStream(Paths.get(expectPath)), StandardCharsets.UTF_8)) {
            exp.load(r);
        }

        Object[][] sections = {
            {"PreparedStatement candidates x10", (Section) Main::preparedCandidates},
            {"PreparedStatement alltypes x20", (Section) Main::preparedAllTypes},
            {"ResultSetMetaData", (Section) Main::resultSetMetaData},
            {"setFetchSize", (Section) Main::fetchSize},
            {"setQueryTimeout", (Section) Main::queryTimeout},
            {"DatabaseMetaData.getSchemas", (Section) Main::metaSchemas},
            {"DatabaseMetaData.getTables", (Section) Main::metaTables},
            {"DatabaseMetaData.getColumns", (Section) Main::metaColumns},
            {"DatabaseMetaData.getPrimaryKeys", (Section) Main::metaPrimaryKeys},
            {"DatabaseMetaData.getIndexInfo", (Section) Main::metaIndexInfo},
        };
        int failed = 0;
        for (Object[] s : sections) {
            try {
                ((Section) s[1]).run();
            } catch (CheckFailed e) {
                failed++;
                System.err.println("FAIL " + s[0] + ": " + e.getMessage());
            } catch (Exception e) {
                failed++;
                String state = e instanceof SQLException ? " [SQLState " + ((SQLException) e).getSQLState() + "]" : "";
                System.err.println("FAIL " + s[0] + ": " + e + state);
            }
        }
        if (failed > 0) {
            System.err.println(failed + " of " + sections.length + " JDBC sections failed");
            System.exit(1);
        }
        System.out.println("ok");
    }
}
