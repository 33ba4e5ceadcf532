import AppKernel
import ArgumentParser
import Foundation
import Identity
import Logging
import Postgres

/// `hourglass staff create`: an ops account from the shell (the first one, tests, demos). Prints
/// `key: value` lines (OPS.md): email, role, totp_secret, otpauth_uri, one recovery_code per
/// code and, without `--password`, a one-time password_setup_url.
struct StaffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "staff", abstract: "Manage ops staff accounts.", subcommands: [Create.self, Code.self])

    /// Sandbox only: the current TOTP code of an account, for demos and scripted browser tests
    /// (in production the code exists only on the member of staff's phone).
    struct Code: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "code", abstract: "Print an account's current TOTP code (development and test only).")

        @OptionGroup var options: CommonOptions
        @Option(help: "The account's email.") var email: String

        func run() async throws {
            let config = try Startup.loadConfig(options)
            guard config.environment.isSandbox else {
                Startup.printError("hourglass: staff code runs only in development or test")
                throw ExitCode.failure
            }
            var logger = Logger(label: "hourglass.staff")
            logger.logLevel = .warning
            let pool = PostgresPool(configuration: Startup.databaseConfiguration(config), options: .init(maxConnections: 1))
            let app = AppContext(config: config, database: pool, logger: logger, expectedSchemaVersion: 0)
            let code = try await StaffDirectory(app: app).currentCode(email: email)
            await pool.close()
            guard let code else {
                Startup.printError("hourglass: no staff account \(email)")
                throw ExitCode.failure
            }
            print(code)
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create", abstract: "Create an ops staff account.")

        @OptionGroup var options: CommonOptions
        @Option(help: "Their email (their login).") var email: String
        @Option(help: "support, senior_ops, finance, claims, pricing, engineer or admin.") var role: String
        @Option(help: "Their name as shown to colleagues.") var name: String?
        @Option(help: "Set the password now (tests, demos); otherwise a one-time setup link is printed.") var password: String?

        func run() async throws {
            guard let role = StaffRole(rawValue: role) else {
                Startup.printError("hourglass: --role must be one of \(StaffRole.allCases.map(\.rawValue).joined(separator: ", "))")
                throw ExitCode.validationFailure
            }
            let config = try Startup.loadConfig(options)
            var logger = Logger(label: "hourglass.staff")
            logger.logLevel = .warning
            let pool = PostgresPool(configuration: Startup.databaseConfiguration(config), options: .init(maxConnections: 2))
            let app = AppContext(config: config, database: pool, logger: logger, expectedSchemaVersion: 0)
            let base = (config.publicBaseURL ?? "http://127.0.0.1:\(config.port)").trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            let operator_ = ProcessInfo.processInfo.environment["USER"] ?? "unknown"
            do {
                let enrolment = try await AuditContext.acting(as: AuditContext(actor: "cli:\(operator_)")) {
                    try await StaffDirectory(app: app).create(email: email, name: name, role: role, password: password, baseURL: base)
                }
                print("email: \(enrolment.member.email)")
                print("role: \(enrolment.member.role.rawValue)")
                print("totp_secret: \(enrolment.totpSecret)")
                print("otpauth_uri: \(enrolment.otpauthURI)")
                for code in enrolment.recoveryCodes { print("recovery_code: \(code)") }
                if let url = enrolment.passwordSetupURL { print("password_setup_url: \(url)") }
            } catch let error as AppError {
                Startup.printError("hourglass: \(error.detail)")
                await pool.close()
                throw ExitCode.failure
            }
            await pool.close()
        }
    }
}
