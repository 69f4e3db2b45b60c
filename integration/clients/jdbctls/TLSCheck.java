import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Properties;

/**
 * Connects to pqsql with pgjdbc over TLS, as TestTLSJDBC asks: args[0] is
 * the JDBC URL (with sslmode and sslrootcert), args[1] is "connect" when the
 * connection must succeed and run a query, "reject" when certificate
 * verification must refuse it. Prints "ok" when it went as expected.
 */
public class TLSCheck {
    public static void main(String[] args) throws Exception {
        Properties props = new Properties();
        props.setProperty("user", System.getenv("PGUSER"));
        props.setProperty("password", System.getenv("PGPASSWORD"));
        boolean mustConnect = args[1].equals("connect");
        try (Connection c = DriverManager.getConnection(args[0], props);
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM alltypes")) {
            rs.next();
            long n = rs.getLong(1);
            if (!mustConnect) {
                System.out.println("connected although verification should have failed");
                System.exit(1);
            }
            if (n != 20) {
                System.out.println("count(*) = " + n + ", want 20");
                System.exit(1);
            }
        } catch (java.sql.SQLException e) {
            if (mustConnect) {
                throw e;
            }
            // pgjdbc reports a failed handshake as 08006 with the
            // SSLHandshakeException as cause.
            Throwable cause = e;
            while (cause != null && !(cause instanceof javax.net.ssl.SSLException)) {
                cause = cause.getCause();
            }
            if (cause == null) {
                throw e;
            }
        }
        System.out.println("ok");
    }
}
