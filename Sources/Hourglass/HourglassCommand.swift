import ArgumentParser

/// `hourglass serve | migrate` — the whole back end in one executable.
@main
struct HourglassCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hourglass",
        abstract: "Hourglass: motor cover by the hour. One process for the REST API, admin UI and health checks.",
        discussion: """
            Configuration comes from config/defaults.env, config/<HOURGLASS_ENV>.env and the environment, \
            in that order (see README.md for every key).
            """,
        subcommands: [ServeCommand.self, MigrateCommand.self, SeedCommand.self, WorkerCommand.self, PSPSandboxCommand.self, GrantPromoCommand.self, ReconCommand.self,
                      APIReferenceCommand.self, StaffCommand.self],
        defaultSubcommand: nil)
}
