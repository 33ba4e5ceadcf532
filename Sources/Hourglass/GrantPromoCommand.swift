import AdminUI
import AppKernel
import ArgumentParser
import FeatureFlags
import Foundation
import Identity
import Logging
import Payments
import Postgres
import Wallet

/// `hourglass grant-promo`: give a driver promotional credit from the command line. A thin
/// caller of the admin's `grant_credit` path (`Wallet.grantCredit`): the same rules, posting and
/// audit event, with the operator (`cli:<user>`) as the actor and the reason code and note of
/// OPS.md. Idempotent per `--reference`.
struct GrantPromoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grant-promo",
        abstract: "Give a driver promotional credit (spent before cash, never refunded to a card).")

    @OptionGroup var options: CommonOptions
    @Option(help: "The driver's email.") var email: String
    @Option(help: "Amount in pence (1 to 10000).") var amount: Int64
    @Option(help: "Shown to the driver, e.g. \"Welcome offer\".") var reason: String
    @Option(help: "A unique reference; granting twice with one reference does nothing the second time.") var reference: String
    @Option(name: .customLong("reason-code"),
            help: "Why, for the audit trail: \(AdminReasonCode.allCases.map(\.rawValue).joined(separator: ", ")).")
    var reasonCode: String = AdminReasonCode.goodwill.rawValue
    @Option(help: "Free text for the audit trail (required with --reason-code other).") var note: String?

    func run() async throws {
        guard (1...10_000).contains(amount) else {
            Startup.printError("hourglass: --amount must be between 1 and 10000 pence")
            throw ExitCode.validationFailure
        }
        guard let code = AdminReasonCode(rawValue: reasonCode) else {
            Startup.printError("hourglass: --reason-code must be one of \(AdminReasonCode.allCases.map(\.rawValue).joined(separator: ", "))")
            throw ExitCode.validationFailure
        }
        let note = note?.trimmingCharacters(in: .whitespacesAndNewlines).nilIfEmpty
        if code == .other, note == nil {
            Startup.printError("hourglass: --reason-code other needs a --note saying what the reason is")
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
        // One person alone gives no more than the four-eyes threshold, here as in the admin.
        let flags = FeatureFlags.shared(app: app)
        flags.declare(WalletFlags.all)
        let limit = await flags.integer(WalletFlags.adjustmentFourEyesOver)
        FeatureFlags.forget(pool)
        guard amount <= limit else {
            Startup.printError("hourglass: \(Money.pence(amount)) is over \(Money.pence(limit)), which needs a second person's approval: "
                + "use grant_credit on the driver's wallet page in the admin")
            await pool.close()
            throw ExitCode.validationFailure
        }
        let wallet = Wallet(app: app, payments: Payments(app: app, gateway: UnavailableGateway(), outcomes: PaymentOutcomes()))
        var context = AuditContext(actor: "cli:\(ProcessInfo.processInfo.environment["USER"] ?? "unknown")")
        context.reasonCode = code.rawValue
        context.reasonText = note
        let granted = try await AuditContext.acting(as: context) { try await pool.withTransaction { transaction in
            try await wallet.grantCredit(driverID: driverID, amount: amount, description: reason, causedBy: "promo:\(reference)",
                                         on: transaction)
        } }
        await pool.close()
        print(granted ? "granted \(Money.pence(amount)) to \(email)" : "reference \(reference) was already granted; nothing changed")
    }
}

private extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
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
    func payoutReport(payoutID: String) async throws -> [UInt8] { throw unavailable }
    private var unavailable: GatewayError { GatewayError(code: "unavailable", message: "this tool does not talk to the card processor") }
}
