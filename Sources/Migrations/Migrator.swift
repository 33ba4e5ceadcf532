public import Postgres

/// Applies pending migrations under a session-level advisory lock (golang-migrate), each file in
/// its own transaction together with its `public.schema_migrations` row, after checking that no
/// applied file changed (Flyway's checksum rule).
public struct Migrator: Sendable {
    /// What the database has applied compared to the files.
    public struct Status: Sendable {
        public let applied: [AppliedMigration]
        public let pending: [Migration]
        /// The highest applied version, 0 for an empty database.
        public var currentVersion: Int { applied.map(\.version).max() ?? 0 }
    }

    public struct AppliedMigration: Sendable, Equatable {
        public let version: Int
        public let name: String
        public let sha256: String
    }

    /// Any fixed 64-bit number unique to this application's migrations ("hourglas" in ASCII).
    static let advisoryLockKey: Int64 = 0x686F_7572_676C_6173

    public let migrations: [Migration]

    public init(migrations: [Migration]) { self.migrations = migrations }

    /// Reads what is applied and checks it against the files (no lock, no changes).
    public func status(on connection: PostgresConnection) async throws -> Status {
        let applied = try await appliedMigrations(on: connection)
        return Status(applied: applied, pending: try pending(given: applied))
    }

    /// Applies every pending migration, calling `report` after each. Returns what it applied:
    /// empty when the database was up to date. Safe to run from several processes at once.
    @discardableResult
    public func migrate(on connection: PostgresConnection, report: (Migration, Duration) -> Void = { _, _ in })
        async throws -> [Migration]
    {
        // Migrations may legitimately run longer than the statement timeout of request traffic.
        try await connection.executeScript("SET statement_timeout = 0")
        _ = try await connection.query("SELECT pg_advisory_lock(\(Self.advisoryLockKey))")
        do {
            let applied = try await migrateLocked(on: connection, report: report)
            _ = try await connection.query("SELECT pg_advisory_unlock(\(Self.advisoryLockKey))")
            return applied
        } catch {
            // Closing the session releases the lock even when the unlock itself cannot be sent.
            _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.advisoryLockKey))")
            throw error
        }
    }

    private func migrateLocked(on connection: PostgresConnection, report: (Migration, Duration) -> Void)
        async throws -> [Migration]
    {
        try await connection.executeScript("""
            CREATE TABLE IF NOT EXISTS public.schema_migrations (
                version     integer PRIMARY KEY,
                name        text NOT NULL,
                sha256      text NOT NULL,
                applied_at  timestamptz NOT NULL DEFAULT now(),
                duration_ms integer NOT NULL
            )
            """)
        let pending = try pending(given: try await appliedMigrations(on: connection))
        for migration in pending {
            let clock = ContinuousClock()
            let start = clock.now
            try await connection.withTransaction(isolation: nil) { transaction in
                try await transaction.executeScript(migration.sql)
                let elapsed = clock.now - start
                let milliseconds = Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
                try await transaction.execute("""
                    INSERT INTO public.schema_migrations (version, name, sha256, duration_ms)
                    VALUES (\(Int32(migration.version)), \(migration.name), \(migration.sha256), \(Int32(clamping: milliseconds)))
                    """)
            }
            report(migration, clock.now - start)
        }
        return pending
    }

    private func appliedMigrations(on connection: PostgresConnection) async throws -> [AppliedMigration] {
        let exists = try await connection.queryValue(
            "SELECT to_regclass('public.schema_migrations') IS NOT NULL", as: Bool.self)
        guard exists else { return [] }
        return try await connection.queryAll(
            "SELECT version, name, sha256 FROM public.schema_migrations ORDER BY version"
        ) { row in
            AppliedMigration(version: Int(try row.decode(Int32.self, at: 0)), name: try row.decode(String.self, at: 1),
                             sha256: try row.decode(String.self, at: 2))
        }
    }

    /// The files not yet applied, after refusing edited, missing or out-of-order files.
    private func pending(given applied: [AppliedMigration]) throws(MigrationError) -> [Migration] {
        let files = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        for record in applied {
            guard let file = files[record.version] else {
                throw .appliedFileMissing(version: record.version, name: record.name)
            }
            guard file.sha256 == record.sha256, file.name == record.name else {
                throw .checksumChanged(fileName: file.fileName, applied: record.sha256, current: file.sha256)
            }
        }
        let appliedVersions = Set(applied.map(\.version))
        let latest = applied.map(\.version).max() ?? 0
        let pending = migrations.filter { !appliedVersions.contains($0.version) }
        if let early = pending.first(where: { $0.version < latest }) {
            throw .outOfOrder(fileName: early.fileName, latestApplied: latest)
        }
        return pending
    }
}
