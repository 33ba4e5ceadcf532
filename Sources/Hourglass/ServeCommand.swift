import AppKernel
import ArgumentParser
import Dispatch
import Foundation
import Glibc
import HTTPServer
import Jobs
import Logging
import Migrations
import Payments
import Postgres

/// `hourglass serve`: run the HTTP server until SIGTERM or SIGINT, then drain gracefully.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the HTTP server (refuses to start while migrations are pending).")

    @OptionGroup var options: CommonOptions

    @Flag(name: .long, help: "Apply pending migrations first (development convenience).")
    var migrate = false

    func run() async throws {
        let config = try Startup.loadConfig(options)
        let logger = Startup.makeLogger(config)
        let migrations = try Startup.loadMigrations(config)
        try await checkSchema(config, migrations: migrations)

        let pool = PostgresPool(
            configuration: Startup.databaseConfiguration(config),
            options: .init(maxConnections: config.databasePoolSize, acquireTimeout: config.databaseAcquireTimeout))
        let app = AppContext(config: config, database: pool, logger: logger,
                             expectedSchemaVersion: migrations.last?.version ?? 0)
        let services: Services
        do {
            services = try Services.make(config, logger: logger, database: pool)
        } catch {
            Startup.printError("hourglass: cannot start the sandbox card processor: \(error)")
            throw ExitCode(71)
        }
        let application = Application(context: app, modules: try installedModules(app, services: services))

        var serverConfiguration = HTTPServerConfiguration(host: config.host, port: config.port,
                                                          eventLoopCount: config.httpEventLoops)
        serverConfiguration.headTimeout = config.httpHeadTimeout
        serverConfiguration.bodyIdleTimeout = config.httpBodyIdleTimeout
        serverConfiguration.idleTimeout = config.httpIdleTimeout
        serverConfiguration.handlerTimeout = config.httpHandlerTimeout
        serverConfiguration.writeTimeout = config.httpWriteTimeout
        serverConfiguration.maxConnections = config.httpMaxConnections
        serverConfiguration.limits.maxBodyBytes = config.httpMaxBodyBytes
        let server = HTTPServer(configuration: serverConfiguration, responder: application, logger: logger)

        signal(SIGPIPE, SIG_IGN)
        raiseOpenFileLimit()
        let signals = ShutdownSignals { name in
            logger.notice("shutting down", metadata: ["signal": "\(name)"])
            server.shutdown(gracePeriod: config.shutdownGracePeriod)
        }
        do {
            try server.start()
        } catch {
            Startup.printError("hourglass: cannot listen on \(config.host):\(config.port): \(error)")
            throw ExitCode(71)
        }
        // Handlers run on the server's loops; the loops drive the pool's connections too.
        pool.attach(to: server)
        services.serverStarted(port: server.port, publicBaseURL: config.publicBaseURL)
        if let interval = try config.section(PaymentsConfig.self).sandboxPayoutInterval { services.sandboxPSP?.payOut(every: interval) }
        // In development the job workers run here; in production run `hourglass worker` beside.
        let workers = config.jobsInProcess ? JobWorkers(queue: services.jobs, count: 2) : nil
        workers?.start()
        let shownHost = config.host.contains(":") ? "[\(config.host)]" : config.host
        print("Hourglass is serving on http://\(shownHost):\(server.port) (\(config.environment.rawValue))")
        await server.waitUntilStopped()
        pool.detach(from: server)
        signals.cancel()
        workers?.stop()
        await services.stop()
        await pool.close()
        logger.notice("stopped")
    }

    /// Refuses to serve an out-of-date schema unless `--migrate` was given, and, in production,
    /// refuses to serve as a role that could change the schema (fail closed: the server must
    /// not be able to drop a trigger that keeps the ledger honest).
    private func checkSchema(_ config: AppConfig, migrations: [Migration]) async throws {
        if migrate {
            let owner = try await Startup.connectAsOwner(config)
            defer { owner.closeSoon() }
            do {
                try await Startup.migrate(migrations, on: owner, runtimeRole: config.runtimeRole, environment: config.environment)
            } catch let error as MigrationError {
                Startup.printError("hourglass: \(error)")
                throw ExitCode.failure
            }
        }
        let connection = try await Startup.connect(config)
        defer { connection.closeSoon() }
        do {
            let status = try await Migrator(migrations: migrations).status(on: connection)
            guard status.pending.isEmpty else {
                Startup.printError("""
                    hourglass: \(status.pending.count) migration(s) are pending \
                    (\(status.pending.map(\.fileName).joined(separator: ", "))). \
                    Run `hourglass migrate` first, or `hourglass serve --migrate` in development.
                    """)
                throw ExitCode(75)
            }
        } catch let error as MigrationError {
            Startup.printError("hourglass: \(error)")
            throw ExitCode.failure
        }
        try await Startup.checkRuntimeRole(config, on: connection)
        try await Startup.checkSessionSettings(config, on: connection)
    }
}

/// Each connection is a file descriptor: lift the soft limit (often 1024) to the hard limit so
/// that `HTTP_MAX_CONNECTIONS`, not the default ulimit, decides how many clients we hold.
private func raiseOpenFileLimit() {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
    limit.rlim_cur = limit.rlim_max
    setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
}

/// Turns SIGTERM and SIGINT into one graceful-shutdown call.
final class ShutdownSignals {
    private let sources: [any DispatchSourceSignal]

    init(onSignal: @escaping @Sendable (String) -> Void) {
        sources = [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")].map { number, name in
            signal(number, SIG_IGN)  // let the dispatch source, not the default action, handle it
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { onSignal(name) }
            source.resume()
            return source
        }
    }

    func cancel() { sources.forEach { $0.cancel() } }
}
