import AppKernel
import Foundation
import HTTPServer
import Postgres
import TestSupport
import Testing

/// PostgreSQL sessions driven by the HTTP server's event loops (PostgresEventLoop): what a
/// handler on a loop sees must be exactly what the blocking path gives, however the server's
/// bytes are split, and a handler past its deadline must stop and give its session back.
@Suite(.tags(.database)) struct EventLoopDatabaseTests {
    /// Runs `body` as a task on one of `server`'s loops, as a request handler runs.
    func onLoop<T: Sendable>(_ server: TestServer, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await Task(executorPreference: server.server.eventLoops[0]) { try await body() }.value
    }

    /// Regression: a result complete before the server's ReadyForQuery (which then came in a
    /// later read) was dropped, so a query answered no rows and an error read as success
    /// (seen as "no payment" for a row that was there, and a refused DELETE returning 0).
    @Test func resultsSplitAcrossReadsArriveWhole() async throws {
        let proxy = try FaultyTCPProxy(upstreamPort: Fixtures.databasePort)
        defer { proxy.stop() }
        proxy.set(.trickle)
        let url = TestDatabase.url.replacingOccurrences(of: ":\(Fixtures.databasePort)/", with: ":\(proxy.port)/")
        let pool = PostgresPool(configuration: PostgresConfiguration(url: url), options: .init(maxConnections: 2))
        let server = try Fixtures.server(database: pool, configure: { $0.runsHandlersOnEventLoops = true })
        defer { Task { await server.stop(); await pool.close() } }

        for round in 1...3 {  // the first round prepares each statement, the later ones reuse it
            let rows = try await onLoop(server) {
                try await pool.queryAll("SELECT n, repeat('x', 40) FROM generate_series(1, \(Int64(30 + round))) AS n") {
                    try $0.decode(Int64.self, at: 0)
                }
            }
            #expect(rows == Array(1...Int64(30 + round)))
            let error = try await onLoop(server) { () -> PostgresError? in
                do {
                    _ = try await pool.queryValue("SELECT 1 / \(Int64(0))", as: Int64.self)
                    return nil
                } catch let error as PostgresError { return error }
            }
            #expect(error?.sqlState == "22012")
            let committed = try await onLoop(server) {
                try await pool.withTransaction { transaction in
                    try await transaction.queryValue("SELECT \(Int64(round)) * 2", as: Int64.self)
                }
            }
            #expect(committed == Int64(round) * 2)
        }
        #expect(pool.statistics.open <= 2)
    }

    /// A handler past HTTP_HANDLER_TIMEOUT_MS is cancelled: the client gets its 503 at the
    /// deadline, the statement stops (pg_sleep(30) would hold the session for 30 s), and the
    /// session goes back to the pool (to be discarded: it was sent a cancel) at once.
    @Test func aHandlerPastItsDeadlineStopsAndReleasesItsConnection() async throws {
        let pool = PostgresPool(configuration: PostgresConfiguration(url: TestDatabase.url), options: .init(maxConnections: 1))
        let server = try Fixtures.server(database: pool, configure: { $0.handlerTimeout = .milliseconds(300); $0.runsHandlersOnEventLoops = true })
        defer { Task { await server.stop(); await pool.close() } }
        let client = try TestConnection(port: server.port, timeout: 10)
        let started = ContinuousClock.now
        let response = try await client.request("GET", "/probe/database-sleep/30")
        #expect(response.status == 503)
        // The one connection is free again long before the 30 s statement would have ended.
        let free = try await pool.queryValue("SELECT 1", as: Int64.self)
        #expect(free == 1)
        #expect(ContinuousClock.now - started < .seconds(15))  // the statement alone would hold it 30 s
        let stillRunning = try await TestDatabase.pool.queryValue(
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%AS probe_database_sleep' AND state = 'active'", as: Int64.self)
        #expect(stillRunning == 0)
    }
}
