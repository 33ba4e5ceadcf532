/// How to open and set up connections.
public struct PostgresConfiguration: Sendable {
    /// What sits between this process and PostgreSQL. It decides what a connection may carry
    /// beyond plain SQL: PgBouncer in transaction mode hands each transaction to whichever
    /// server connection is free, so nothing may live in the session.
    public enum Pooler: String, Sendable, CaseIterable {
        /// Connections go straight to PostgreSQL (or through a session-mode pooler).
        case none
        /// PgBouncer in transaction mode: no startup `options` (1.18 refuses them), no session
        /// state, and, unless told otherwise, no named prepared statements.
        case pgbouncer
    }

    /// A libpq connection URI or key=value string, e.g. `postgresql://hourglass@127.0.0.1:5433/hourglass`.
    public var url: String
    /// A connection straight to PostgreSQL for what needs a session of its own (LISTEN, the
    /// migrator's session advisory lock); nil means `url` is already direct.
    public var directURL: String? = nil
    /// What `url` goes through; `.pgbouncer` stops the session settings travelling in the
    /// startup packet (the database's defaults, migration 0062, supply them instead).
    public var pooler: Pooler = .none
    /// libpq's `connect_timeout` (libpq rounds up to at least 2 s).
    public var connectTimeout: Duration = .seconds(5)
    /// Server-side `statement_timeout` set on every direct connection; nil leaves the server
    /// default. Behind a pooler the runtime role's default applies instead (15 s, as
    /// `DB_STATEMENT_TIMEOUT_MS`'s default; migration 0062).
    public var statementTimeout: Duration? = .seconds(30)
    /// `idle_in_transaction_session_timeout`, so a stuck client never holds locks forever
    /// (behind a pooler: the runtime role's default, 60 s).
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

    /// The same settings for a direct session (`directURL`, or `url` when none is given): what
    /// LISTEN and session-level locks must use.
    public var direct: PostgresConfiguration {
        var direct = self
        direct.url = directURL ?? url
        direct.directURL = nil
        direct.pooler = .none
        direct.usesPreparedStatements = true
        return direct
    }

    /// The session settings our decoding and date arithmetic depend on, as `current_setting`
    /// reports them. The database defaults (migration 0062) set them for every session; direct
    /// connections also send them at start-up. `sessionSettingsProblem` checks them.
    public static let requiredSessionSettings: [(name: String, value: String)] = [
        ("TimeZone", "UTC"), ("DateStyle", "ISO, YMD"), ("bytea_output", "hex"), ("IntervalStyle", "iso_8601"),
    ]

    /// The libpq keyword/value pairs. The URL comes first (`expand_dbname`) and the later pairs
    /// override it. Direct connections carry the session settings in `options` (UTC, ISO dates,
    /// hex bytea, ISO intervals and this process's timeouts, whatever the URL says); behind
    /// PgBouncer, which refuses `options`, the database's defaults supply them and start-up
    /// checks that they did.
    var connectionParameters: [(String, String)] {
        var parameters = [
            ("dbname", url),
            ("connect_timeout", String(max(1, connectTimeout.milliseconds / 1000))),
            ("application_name", applicationName),
            ("client_encoding", "UTF8"),
        ]
        if pooler == .none {
            var options = Self.requiredSessionSettings.map { "-c \($0.name)=\(String($0.value.filter { $0 != " " }))" }
            if let statementTimeout { options.append("-c statement_timeout=\(statementTimeout.milliseconds)") }
            if let idleInTransactionTimeout {
                options.append("-c idle_in_transaction_session_timeout=\(idleInTransactionTimeout.milliseconds)")
            }
            parameters.append(("options", options.joined(separator: " ")))
        }
        // Detect a vanished server on an idle connection within about a minute.
        parameters += [("keepalives", "1"), ("keepalives_idle", "30"), ("keepalives_interval", "10"), ("keepalives_count", "3")]
        return parameters
    }

    /// One statement reading what `sessionSettingsProblem` checks, in this order: each of
    /// `requiredSessionSettings`, then `statement_timeout` and `idle_in_transaction_session_timeout`
    /// in milliseconds.
    public static var sessionSettingsQuery: SQL {
        let fixed = requiredSessionSettings.map { "current_setting('\($0.name)')" }
        // pg_settings gives both timeouts in milliseconds, whatever unit they were set in.
        let timeouts = ["statement_timeout", "idle_in_transaction_session_timeout"]
            .map { "(SELECT setting::bigint FROM pg_settings WHERE name = '\($0)')" }
        return SQL(unsafeSQL: "SELECT " + (fixed + timeouts).joined(separator: ", "))
    }

    /// What is wrong with a session, in words, from the row `sessionSettingsQuery` returned, or
    /// nil when it is fit to serve: the fixed settings as required and both timeouts set (a
    /// session without them could hold locks or run a statement for ever).
    public static func sessionSettingsProblem(_ row: PostgresRow) throws -> String? {
        var problems: [String] = []
        for (index, setting) in requiredSessionSettings.enumerated() {
            let actual = try row.decode(String.self, at: index)
            if actual != setting.value { problems.append("\(setting.name) is '\(actual)', not '\(setting.value)'") }
        }
        let count = requiredSessionSettings.count
        if try row.decode(Int64.self, at: count) == 0 { problems.append("statement_timeout is 0 (none)") }
        if try row.decode(Int64.self, at: count + 1) == 0 { problems.append("idle_in_transaction_session_timeout is 0 (none)") }
        return problems.isEmpty ? nil : problems.joined(separator: "; ")
    }
}

extension Duration {
    /// Whole milliseconds, rounded down.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
