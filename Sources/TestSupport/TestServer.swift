public import AppKernel
public import HTTPServer
public import Foundation
import Logging
public import Postgres

/// A real server on a loopback port with the given modules, for socket-level tests.
public final class TestServer: Sendable {
    public let server: HTTPServer
    public let app: AppContext
    private let onStop: @Sendable () async -> Void
    public var port: UInt16 { server.port }

    /// Configuration for tests: the test environment's values, with overrides applied.
    public static func config(_ overrides: [String: String] = [:]) throws -> AppConfig {
        var environment = ProcessInfo.processInfo.environment
        environment["HOURGLASS_ENV"] = "test"
        environment["DATABASE_URL"] = TestDatabase.url
        for (key, value) in overrides { environment[key] = value }
        return try AppConfig.load(configDirectory: TestServer.repositoryRoot.appendingPathComponent("config"), environment: environment)
    }

    /// The repository root, found from this source file's location.
    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public init(config: AppConfig, database: PostgresPool, modules: (AppContext) -> [any AppModule],
                expectedSchemaVersion: Int = 1, serverConfiguration: HTTPServerConfiguration? = nil,
                onStop: @escaping @Sendable () async -> Void = {}) throws {
        self.onStop = onStop
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        app = AppContext(config: config, database: database, logger: logger, expectedSchemaVersion: expectedSchemaVersion)
        let application = Application(context: app, modules: modules(app))
        var configuration = serverConfiguration ?? {
            var defaults = HTTPServerConfiguration(host: "127.0.0.1", port: 0, eventLoopCount: 2)
            defaults.runsHandlersOnEventLoops = false  // see HTTPServerConfiguration
            return defaults
        }()
        configuration.port = 0
        server = HTTPServer(configuration: configuration, responder: application, logger: logger)
        try server.start()
        if configuration.runsHandlersOnEventLoops { database.attach(to: server) }
    }

    public func stop() async {
        server.shutdown(gracePeriod: .seconds(2))
        await server.waitUntilStopped()
        app.database.detach(from: server)
        await onStop()
    }
}
