import Foundation
public import Logging
public import Postgres

/// Process-wide dependencies handed to every module at start-up.
public struct AppContext: Sendable {
    public let config: AppConfig
    public let database: PostgresPool
    public let logger: Logger
    public let clock: any WallClock
    /// The newest migration version among the files this build ships; `/health` compares the
    /// database against it.
    public let expectedSchemaVersion: Int
    /// Per-route request counts and latencies for `GET /metrics`.
    public let requestMetrics = RequestMetrics()

    public init(config: AppConfig, database: PostgresPool, logger: Logger, clock: any WallClock = SystemWallClock(),
                expectedSchemaVersion: Int) {
        self.config = config
        self.database = database
        self.logger = logger
        self.clock = clock
        self.expectedSchemaVersion = expectedSchemaVersion
    }
}
