import AppKernel
import Foundation
import HTTPServer
import Jobs
import Logging
@testable import Hourglass
import Migrations
import OpsHealth
import Postgres
import TestSupport
import Testing

extension Tag {
    @Tag static var database: Self
}

/// Routes that exercise the server itself: echo a body, sleep, fail unexpectedly.
struct ProbeModule: AppModule {
    static let name = "probe"

    struct Unexpected: Error {}

    func registerRoutes(on routes: RouteCollector) {
        routes.post("/probe/echo") { request, _ in
            HTTPResponse(status: .ok, contentType: "application/octet-stream", body: request.body)
        }
        routes.post("/probe/small", bodyLimit: 16) { request, _ in
            HTTPResponse(status: .ok, contentType: "text/plain", body: Array("\(request.body.count)".utf8))
        }
        routes.get("/probe/sleep/{ms}") { _, context in
            let milliseconds = Int(try context.parameter("ms")) ?? 0
            try await Task.sleep(for: .milliseconds(milliseconds))
            return HTTPResponse(status: .ok, contentType: "text/plain", body: Array("slept \(milliseconds)".utf8))
        }
        routes.get("/probe/database-sleep/{seconds}") { _, context in
            let seconds = Int64(try context.parameter("seconds")) ?? 0
            _ = try await context.database.query("SELECT pg_sleep(\(seconds)) AS probe_database_sleep")
            return HTTPResponse(status: .ok, contentType: "text/plain", body: Array("slept \(seconds) s".utf8))
        }
        routes.get("/probe/crash") { _, _ in throw Unexpected() }
        routes.get("/probe/items/{id}") { _, context in
            try .json(["id": try context.uuidParameter("id").uuidString.lowercased()])
        }
    }
}

enum Fixtures {
    /// The schema version the test database was migrated to by scripts/test.
    static var repositorySchemaVersion: Int {
        (try? Migration.load(directory: TestServer.repositoryRoot.appendingPathComponent("migrations")).last?.version) ?? 0
    }

    /// A server with every installed module plus the probe module, on `database` (the shared
    /// test pool by default).
    /// `jobs: true` also runs a job worker (for tests of work done by jobs, like provider events).
    static func server(database: PostgresPool = TestDatabase.pool, configure: (inout HTTPServerConfiguration) -> Void = { _ in },
                       config overrides: [String: String] = [:], jobs: Bool = false) throws -> TestServer {
        try serverWithPSP(database: database, configure: configure, config: overrides, jobs: jobs).server
    }

    /// Like `server`, with the in-process sandbox card processor it runs, for tests that hold
    /// its answers, stop its webhooks or sign events as it would.
    static func serverWithPSP(database: PostgresPool = TestDatabase.pool, configure: (inout HTTPServerConfiguration) -> Void = { _ in },
                              config overrides: [String: String] = [:], jobs: Bool = false) throws -> (server: TestServer, psp: InProcessSandboxPSP) {
        var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0, eventLoopCount: 2)
        // Handlers on the cooperative pool unless the test asks for the loops (as production
        // runs): hundreds of test servers' loops at once would starve the tests themselves.
        configuration.runsHandlersOnEventLoops = false
        configure(&configuration)
        let config = try TestServer.config(overrides)
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        // The job queue always uses the shared test pool: tests that break `database` on purpose
        // (health checks behind a faulty proxy) must not starve it with stuck workers.
        // Each test server has its own job queue: workers of one server never run another's jobs
        // (their sandbox card processors and configurations differ).
        let services = try Services.make(config, logger: logger, database: TestDatabase.pool, jobQueue: "test-\(UUID().uuidString)")
        let workers = jobs ? JobWorkers(queue: services.jobs, count: 2, pollInterval: .milliseconds(500)) : nil
        let server = try TestServer(config: config, database: database,
                                    modules: { app in (try! installedModules(app, services: services)) + [ProbeModule()] },
                                    expectedSchemaVersion: repositorySchemaVersion, serverConfiguration: configuration,
                                    onStop: { workers?.stop(); await services.stop() })
        services.serverStarted(port: server.port)
        workers?.start()
        return (server, services.sandboxPSP!)
    }

    /// The port of the test database, for putting a proxy in front of it.
    static var databasePort: UInt16 {
        UInt16(URLComponents(string: TestDatabase.url)?.port ?? 5432)
    }
}
