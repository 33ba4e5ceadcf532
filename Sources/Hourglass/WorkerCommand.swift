import AppKernel
import ArgumentParser
import Foundation
import Glibc
import Jobs
import Logging
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
        let pool = PostgresPool(configuration: Startup.databaseConfiguration(config),
                                options: .init(maxConnections: max(2, count + 1), acquireTimeout: config.databaseAcquireTimeout))
        let app = AppContext(config: config, database: pool, logger: logger, expectedSchemaVersion: 0)
        let services = try Services.make(config, logger: logger, database: pool)
        _ = installedModules(app, services: services)  // registers every module's job handlers
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
