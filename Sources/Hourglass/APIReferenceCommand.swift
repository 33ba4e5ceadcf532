import AppKernel
import ArgumentParser
import Foundation
import Logging
import Postgres

/// `hourglass api-reference`: writes the OpenAPI document and its Markdown rendering from the
/// endpoints this build installs (sandbox mode, so the sandbox-only routes are listed too).
/// Nothing connects to the database or serves clients (the in-process sandbox card processor
/// it builds listens on loopback for the moment it runs).
struct APIReferenceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "api-reference",
        abstract: "Write docs/openapi.json and docs/api.md from the installed endpoints.")

    @OptionGroup var options: CommonOptions

    @Option(name: .long, help: "Directory to write openapi.json and api.md into.")
    var output: String = "docs"

    func run() async throws {
        let config = try Startup.loadConfig(options)
        guard config.environment.isSandbox else {
            Startup.printError("hourglass: api-reference runs in development or test (HOURGLASS_ENV), to list every route")
            throw ExitCode(64)
        }
        var logger = Logger(label: "api-reference")
        logger.logLevel = .error
        // A pool that is never used: building the modules opens no connection.
        let pool = PostgresPool(configuration: Startup.databaseConfiguration(config))
        let app = AppContext(config: config, database: pool, logger: logger, expectedSchemaVersion: 0)
        let services = try Services.make(config, logger: logger, database: pool)
        let application = Application(context: app, modules: try installedModules(app, services: services))
        await services.stop()

        let directory = URL(fileURLWithPath: output)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try APIReference.openAPIText(application.openAPIDocument).write(to: directory.appendingPathComponent("openapi.json"),
                                                                        atomically: true, encoding: .utf8)
        try APIReference.markdown(application.openAPIDocument).write(to: directory.appendingPathComponent("api.md"),
                                                                     atomically: true, encoding: .utf8)
        print("wrote \(output)/openapi.json and \(output)/api.md")
    }
}
