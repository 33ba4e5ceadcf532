import AppKernel
import ArgumentParser
import Migrations
import Postgres

/// `hourglass migrate`: apply pending migrations (safe to run concurrently; a no-op when up to date).
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending database migrations, or show their status.")

    @OptionGroup var options: CommonOptions

    @Flag(name: .long, help: "Only list applied and pending migrations.")
    var status = false

    func run() async throws {
        let config = try Startup.loadConfig(options)
        let migrations = try Startup.loadMigrations(config)
        let connection = try await Startup.connectAsOwner(config)
        defer { connection.closeSoon() }
        do {
            if status {
                let state = try await Migrator(migrations: migrations).status(on: connection)
                print("database version \(state.currentVersion); \(state.applied.count) applied, \(state.pending.count) pending")
                for migration in state.pending { print("pending \(migration.fileName)") }
            } else {
                try await Startup.migrate(migrations, on: connection, runtimeRole: config.runtimeRole, environment: config.environment)
            }
        } catch let error as MigrationError {
            Startup.printError("hourglass: \(error)")
            throw ExitCode.failure
        }
    }
}
