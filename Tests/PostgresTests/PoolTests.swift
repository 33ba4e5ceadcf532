import Foundation
import Postgres
import TestSupport
import Testing

@Suite(.tags(.database)) struct PoolTests {
    @Test func exhaustionGivesATimeoutNotAHang() async throws {
        // A generous acquire timeout for opening the one connection (the machine may be busy
        // with parallel tests); the waiting query below asks for a short one.
        let pool = PostgresPool(configuration: TestDatabase.configuration,
                                options: .init(maxConnections: 1, acquireTimeout: .seconds(5)))
        try await pool.withConnection { held in
            _ = try await held.query("SELECT 1")
            let start = ContinuousClock.now
            let error = await #expect(throws: PostgresError.self) { try await pool.query("SELECT 1", timeout: .milliseconds(300)) }
            #expect(error?.code == .poolTimeout)
            #expect(ContinuousClock.now - start < .seconds(2))
        }
        // The connection came back: the pool works again.
        #expect(try await pool.queryValue("SELECT 2", as: Int32.self) == 2)
        await pool.close()
    }

    @Test func aTerminatedBackendIsReplacedTransparently() async throws {
        let pool = PostgresPool(configuration: TestDatabase.configuration, options: .init(maxConnections: 1, acquireTimeout: .seconds(30)))  // a connect can be slow at the run's start
        let firstPID = try await pool.queryValue("SELECT pg_backend_pid()", as: Int32.self)
        let terminated = try await TestDatabase.pool.queryValue("SELECT pg_terminate_backend(\(firstPID))", as: Bool.self)
        #expect(terminated)
        try await Task.sleep(for: .milliseconds(100))
        // No error reaches the caller: the dead session is noticed before anything is sent on it.
        let secondPID = try await pool.queryValue("SELECT pg_backend_pid()", as: Int32.self)
        #expect(secondPID != firstPID)
        #expect(pool.statistics.open == 1)
        await pool.close()
    }

    @Test func aConnectionBrokenMidTransactionIsDiscarded() async throws {
        let pool = PostgresPool(configuration: TestDatabase.configuration, options: .init(maxConnections: 1, acquireTimeout: .seconds(30)))  // a connect can be slow at the run's start
        await #expect(throws: PostgresError.self) {
            try await pool.withTransaction { tx in
                let pid = try await tx.queryValue("SELECT pg_backend_pid()", as: Int32.self)
                // From outside this connection's scope (a detached task), as another client would.
                _ = try await Task.detached { try await TestDatabase.pool.query("SELECT pg_terminate_backend(\(pid))") }.value
                try await Task.sleep(for: .milliseconds(100))
                _ = try await tx.query("SELECT 1")
            }
        }
        #expect(try await pool.queryValue("SELECT 3", as: Int32.self) == 3)
        await pool.close()
    }

    @Test func connectFailureNamesHostAndReason() async throws {
        var configuration = PostgresConfiguration(url: "postgresql://hourglass@127.0.0.1:1/nothing")
        configuration.connectTimeout = .seconds(2)
        let error = await #expect(throws: PostgresError.self) { try await PostgresConnection.connect(configuration) }
        #expect(error?.code == .connectionFailed)
        #expect(error?.message.contains("127.0.0.1") == true)
        #expect(error?.message.lowercased().contains("refused") == true)
    }

    @Test func aClientDeadlineDropsTheStatement() async throws {
        // A pool of its own: the shared one may be busy with parallel tests, which would make
        // this an acquire timeout instead of a statement timeout.
        let pool = PostgresPool(configuration: TestDatabase.configuration, options: .init(maxConnections: 1, acquireTimeout: .seconds(30)))  // a connect can be slow at the run's start
        _ = try await pool.query("SELECT 1")
        let start = ContinuousClock.now
        let error = await #expect(throws: PostgresError.self) {
            try await pool.query("SELECT pg_sleep(5)", timeout: .milliseconds(200))
        }
        #expect(error?.code == .queryTimeout)
        #expect(ContinuousClock.now - start < .seconds(2))
        #expect(try await pool.queryValue("SELECT 1", as: Int32.self) == 1)  // a fresh session replaced the dropped one
        await pool.close()
    }

    @Test func sessionsAreUTCWithAStatementTimeout() async throws {
        let row = try await TestDatabase.pool.queryOne("SELECT current_setting('TimeZone'), current_setting('statement_timeout')") { $0 }
        #expect(try row.decode(String.self, at: 0) == "UTC")
        #expect(try row.decode(String.self, at: 1) == "30s")
    }

    @Test func statementTimeoutIsReportedAsCanceled() async throws {
        try await TestDatabase.pool.withConnection { connection in
            try await connection.executeScript("SET statement_timeout = 50")
            let error = await #expect(throws: PostgresError.self) { try await connection.query("SELECT pg_sleep(1)") }
            #expect(error?.code == .queryCanceled)
            try await connection.executeScript("RESET statement_timeout")
        }
    }
}
