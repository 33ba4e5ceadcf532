/// How to open and set up connections.
public struct PostgresConfiguration: Sendable {
    /// A libpq connection URI or key=value string, e.g. `postgresql://hourglass@127.0.0.1:5433/hourglass`.
    public var url: String
    /// libpq's `connect_timeout` (libpq rounds up to at least 2 s).
    public var connectTimeout: Duration = .seconds(5)
    /// Server-side `statement_timeout` set on every connection; nil leaves the server default.
    public var statementTimeout: Duration? = .seconds(30)
    /// `idle_in_transaction_session_timeout`, so a stuck client never holds locks forever.
    public var idleInTransactionTimeout: Duration? = .seconds(60)
    /// Client-side deadline for a statement when the caller gives none; nil waits for the server
    /// (which `statementTimeout` bounds). When it passes the connection is dropped.
    public var defaultQueryTimeout: Duration? = nil
    /// Whether statements with parameters are prepared once per connection and then executed
    /// by name. Off behind a transaction-mode pooler that cannot track them (PgBouncer < 1.21).
    public var usesPreparedStatements = true
    /// `application_name`, visible in `pg_stat_activity`.
    public var applicationName: String = "hourglass"

    public init(url: String) { self.url = url }

    /// The libpq keyword/value pairs. The URL comes first (`expand_dbname`) and the later pairs
    /// override it, so every connection is set to UTC, ISO dates and hex bytea whatever the URL says.
    var connectionParameters: [(String, String)] {
        var options = ["-c TimeZone=UTC", "-c DateStyle=ISO,YMD", "-c bytea_output=hex", "-c IntervalStyle=iso_8601"]
        if let statementTimeout { options.append("-c statement_timeout=\(statementTimeout.milliseconds)") }
        if let idleInTransactionTimeout {
            options.append("-c idle_in_transaction_session_timeout=\(idleInTransactionTimeout.milliseconds)")
        }
        return [
            ("dbname", url),
            ("connect_timeout", String(max(1, connectTimeout.milliseconds / 1000))),
            ("application_name", applicationName),
            ("client_encoding", "UTF8"),
            ("options", options.joined(separator: " ")),
            // Detect a vanished server on an idle connection within about a minute.
            ("keepalives", "1"), ("keepalives_idle", "30"), ("keepalives_interval", "10"), ("keepalives_count", "3"),
        ]
    }
}

extension Duration {
    /// Whole milliseconds, rounded down.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
