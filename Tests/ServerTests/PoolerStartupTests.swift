import Foundation
import Glibc
import Postgres
import TestSupport
import Testing

/// Fail closed behind a pooler: a worker (or server) whose sessions lack the settings the
/// wrapper relies on refuses to start, saying which and what to run.
@Suite(.tags(.database)) struct PoolerStartupTests {
    @Test func aSessionWithoutTheRequiredSettingsIsRefused() async throws {
        try await TestDatabase.withScratchDatabase { (scratch: PostgresConfiguration) async throws in
            var environment = ProcessInfo.processInfo.environment
            environment["HOURGLASS_ENV"] = "test"
            environment["DATABASE_URL"] = scratch.url
            environment["DATABASE_POOLER"] = "pgbouncer"  // no startup options: only the database's defaults count
            environment["DATABASE_DIRECT_URL"] = scratch.url
            let log = FileManager.default.temporaryDirectory.appendingPathComponent("worker-\(UUID().uuidString).log")
            defer { try? FileManager.default.removeItem(at: log) }
            let process = try ChildProcess(executable: ServerProcess.executable, arguments: ["worker", "--count", "1"], environment: environment,
                                           directory: TestServer.repositoryRoot, standardOutput: .file(log.path), standardError: .file(log.path))
            let deadline = ContinuousClock.now + .seconds(30)
            while process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
            if process.isRunning {
                process.signal(SIGTERM)
                _ = await process.waitUntilExit()
            }
            let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            #expect(process.terminationStatus == 78, "\(output)")
            #expect(output.contains("not fit to serve"), "\(output)")
            #expect(output.contains("statement_timeout is 0"), "\(output)")
        }
    }
}
