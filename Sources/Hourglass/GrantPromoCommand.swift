import AppKernel
import ArgumentParser
import Foundation
import Identity
import Logging
import Payments
import Postgres
import Wallet

/// `hourglass grant-promo`: an ops tool to give a driver promotional credit (until the admin
/// UI has a page for it). Idempotent per `--reference`.
struct GrantPromoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grant-promo",
        abstract: "Give a driver promotional credit (spent before cash, never refunded to a card).")

    @OptionGroup var options: CommonOptions
    @Option(help: "The driver's email.") var email: String
    @Option(help: "Amount in pence (1 to 10000).") var amount: Int64
    @Option(help: "Shown to the driver, e.g. \"Welcome offer\".") var reason: String
    @Option(help: "A unique reference; granting twice with one reference does nothing the second time.") var reference: String

    func run() async throws {
        guard (1...10_000).contains(amount) else {
            Startup.printError("hourglass: --amount must be between 1 and 10000 pence")
            throw ExitCode.validationFailure
        }
        let config = try Startup.loadConfig(options)
        var logger = Logger(label: "hourglass.grant-promo")
        logger.logLevel = .warning
        let pool = PostgresPool(configuration: Startup.databaseConfiguration(config), options: .init(maxConnections: 2))
        let app = AppContext(config: config, database: pool, logger: logger, expectedSchemaVersion: 0)
        guard let driverID = try await Identity(app: app).accountID(email: email) else {
            Startup.printError("hourglass: no driver with email \(email)")
            throw ExitCode.failure
        }
        let wallet = Wallet(app: app, payments: Payments(app: app, gateway: UnavailableGateway(), outcomes: PaymentOutcomes()))
        let operator_ = ProcessInfo.processInfo.environment["USER"] ?? "unknown"
        let granted = try await AuditContext.acting(as: AuditContext(actor: "cli:\(operator_)")) { try await pool.withTransaction { transaction in
            // Dated on the driver's clock, like every posting (a test clock in sandbox).
            let now = try await Identity(app: app).now(for: driverID, on: transaction)
            return try await wallet.grantPromo(driverID: driverID, amount: amount, description: reason,
                                               causedBy: "promo:\(reference)", at: now, on: transaction)
        } }
        await pool.close()
        print(granted ? "granted \(Money.pence(amount)) to \(email)" : "reference \(reference) was already granted; nothing changed")
    }
}

/// For tools that never charge cards.
struct UnavailableGateway: PaymentGateway {
    func saveCard(token: String, idempotencyKey: String) async throws -> GatewayCard { throw unavailable }
    func charge(amount: Int64, currency: String, card: String, offSession: Bool, idempotencyKey: String,
                metadata: [String: String]) async throws -> GatewayIntent { throw unavailable }
    func intent(id: String) async throws -> GatewayIntent { throw unavailable }
    func intent(forPayment paymentID: String) async throws -> GatewayIntent? { throw unavailable }
    func refund(intentID: String, amount: Int64, idempotencyKey: String, metadata: [String: String]) async throws -> GatewayRefund {
        throw unavailable
    }
    private var unavailable: GatewayError { GatewayError(code: "unavailable", message: "this tool does not talk to the card processor") }
}
