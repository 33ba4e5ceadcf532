import AppKernel
import ArgumentParser
import Foundation
import Glibc
import Jobs
import Logging
import Payments
import Postgres

/// `hourglass worker`: job workers in their own process (production runs one or more beside
/// `hourglass serve`).
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run job workers (session closing, auto top-ups, provider notifications) until SIGTERM.")

    @OptionGroup var options: CommonOptions
    @Option(help: "Concurrent workers in this process.") var count: Int = 4

    func run() async throws {
        let config = try Startup.loadConfig(options)
        let logger = Startup.makeLogger(config)
        let connection = try await Startup.connect(config)
        try await Startup.checkRuntimeRole(config, on: connection)
        try await Startup.checkSessionSettings(config, on: connection)
        connection.closeSoon()
        let pool = PostgresPool(configuration: Startup.databaseConfiguration(config),
                                options: .init(maxConnections: max(2, count + 1), acquireTimeout: config.databaseAcquireTimeout))
        let app = AppContext(config: config, database: pool, logger: logger, expectedSchemaVersion: 0)
        if case .sandbox = try config.section(PaymentsConfig.self).processor {
            // Sandbox cards live in one sandbox processor's memory: a worker with its own cannot
            // charge cards saved through the server's. Share one with `hourglass psp-sandbox`.
            logger.warning("no PSP_BASE_URL: this worker starts its own sandbox card processor; run `hourglass psp-sandbox` and set PSP_BASE_URL, PSP_API_KEY and PSP_WEBHOOK_SECRET for the server and workers to share one")
        }
        let services = try Services.make(config, logger: logger, database: pool)
        _ = try installedModules(app, services: services)  // wires every job handler
        let workers = JobWorkers(queue: services.jobs, count: count)
        let stopped = AsyncStream<Void>.makeStream()
        signal(SIGPIPE, SIG_IGN)
        let signals = ShutdownSignals { name in
            logger.notice("stopping workers", metadata: ["signal": "\(name)"])
            stopped.continuation.finish()
        }
        workers.start()
        logger.notice("job workers running", metadata: ["workers": "\(count)"])
        for await _ in stopped.stream {}
        workers.stop()
        signals.cancel()
        await services.stop()
        await pool.close()
    }
}
