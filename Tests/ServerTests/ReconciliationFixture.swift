import AppKernel
import Foundation
import HTTPServer
import Ledger
import Logging
import Payments
import Postgres
import Reconciliation
import SandboxPSP
import TestSupport
import Testing

/// Builds clearing legs through the Ledger's API and settlement reports (in the processor's
/// format) about them, for the reconciliation tests. Every id is unique to the test, so tests
/// running side by side on one database never settle each other's lines.
struct ReconFixture {
    static let header = "automatic_payout_id,automatic_payout_effective_at_utc,balance_transaction_id,created_utc,available_on_utc,currency,"
        + "gross,fee,net,reporting_category,source_id,description,customer_facing_amount,customer_facing_currency,payment_intent_id,"
        + "payment_metadata[hourglass_txn_id]"

    let app: AppContext
    let reconciliation: Reconciliation
    private let tag = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)

    init() throws {
        app = AppContext(config: try TestServer.config(), database: TestDatabase.pool, logger: .init(label: "recon-test"), expectedSchemaVersion: 0)
        reconciliation = Reconciliation(app: app, payments: Payments(app: app, gateway: ReconciliationOfflineGateway(), outcomes: PaymentOutcomes()))
    }

    func uniqueID(_ prefix: String) -> String { "\(prefix)_\(tag)\(UUID().uuidString.lowercased().prefix(8))" }

    struct Leg {
        let ref: String
        let transaction: UUID
    }

    /// A card movement as our ledger books it: a top-up (or, `kind` "re", a refund) with the
    /// clearing leg carrying the processor's id.
    func leg(amount: Int64, kind: String = "ch", withReference: Bool = true, postedAt: Date = Date()) async throws -> Leg {
        let ref = uniqueID(kind), driver = UUID(), cause = "test:recon:\(ref)"
        try await TestDatabase.pool.withTransaction { transaction in
            try await Ledger().post(LedgerPosting(
                causedBy: cause, kind: kind == "re" ? .refund : .topUp, driverID: driver, description: "test", driverAmount: amount,
                funding: "card", relatedID: nil, entries: [(.pspClearing, amount), (.driverCash(driver), -amount)],
                createdAt: postedAt, processorReference: withReference ? ref : nil), on: transaction)
        }
        return Leg(ref: ref, transaction: Ledger.transactionID(causedBy: cause))
    }

    /// One line of the itemised payout reconciliation report, in the header's order.
    func line(_ payout: String, currency: String = "gbp", source: String?, gross: String, fee: String, category: String = "charge",
              metadata: UUID?, description: String = "Hourglass top-up") -> String {
        let exponent = currency == "jpy" ? 0 : 2
        func minor(_ text: String) -> Int64 {
            let negative = text.hasPrefix("-"), digits = text.filter(\.isNumber)
            return (negative ? -1 : 1) * (Int64(digits) ?? 0)
        }
        let net = minor(gross) - minor(fee)
        let netText: String = {
            guard exponent == 2 else { return "\(net)" }
            let sign = net < 0 ? "-" : ""
            return "\(sign)\(abs(net) / 100).\(String(format: "%02d", abs(net) % 100))"
        }()
        return [payout, "2026-11-20 00:00:00", uniqueID("txn"), "2026-11-18 10:15:00", "2026-11-20 00:00:00", currency, gross, fee, netText,
                category, source ?? "", description, gross, currency, uniqueID("pi"), metadata?.uuidString.lowercased() ?? ""].joined(separator: ",")
    }

    func importReport(_ lines: [String], gzip: Bool = false) async throws -> ImportSummary {
        var bytes = Array((Self.header + "\n" + lines.joined(separator: "\n") + "\n").utf8)
        if gzip { bytes = try Self.gzip(bytes) }
        return try await reconciliation.importReport(bytes: bytes, fileName: gzip ? "report.csv.gz" : "report.csv", source: .cli, actor: "test")
    }

    static func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
        var response = HTTPResponse(status: .ok, contentType: "text/csv", body: bytes)
        response = ResponseCompression(minimumBytes: 0).apply(to: response, acceptEncoding: "gzip")
        try #require(response.headers["content-encoding"] == "gzip")
        return response.body
    }

    func exception(run: UUID, kind: String) async throws -> (ledger: Int64?, processor: Int64?) {
        try await TestDatabase.pool.queryOne("""
            SELECT ledger_amount, processor_amount FROM reconciliation.exceptions WHERE run_id = \(run) AND kind = \(kind)
            """) { (try $0.decode(Int64?.self, at: 0), try $0.decode(Int64?.self, at: 1)) }
    }

    /// Lines of this test's reports (their balance transaction ids carry the test's tag).
    func lineCount() async throws -> Int {
        try await TestDatabase.pool.queryValue(
            "SELECT count(*)::int8 FROM reconciliation.lines WHERE balance_transaction_id LIKE \("txn_\(tag)%")", as: Int.self)
    }

    func runs(containing source: String) async throws -> Int {
        try await TestDatabase.pool.queryValue("SELECT count(DISTINCT run_id)::int8 FROM reconciliation.lines WHERE source_id = \(source)", as: Int.self)
    }

    func lineAmounts(run: UUID) async throws -> [Int64] {
        try await TestDatabase.pool.queryOne("SELECT gross_amount, fee_amount, net_amount FROM reconciliation.lines WHERE run_id = \(run)") {
            [try $0.decode(Int64.self, at: 0), try $0.decode(Int64.self, at: 1), try $0.decode(Int64.self, at: 2)]
        }
    }

    /// The settlement postings of a run with their entries, to compare before and after.
    func settlementPostings(run: UUID) async throws -> [String] {
        try await TestDatabase.pool.queryAll("""
            SELECT t.id::text || ' ' || e.account_id || ' ' || e.amount FROM ledger.transactions t JOIN ledger.entries e ON e.transaction_id = t.id
            WHERE t.kind = 'settlement' AND t.related_id = \(run) ORDER BY 1
            """) { try $0.decode(String.self, at: 0) }
    }

    /// Over each payout of the run: the clearing legs its lines matched plus the settlement
    /// posting's clearing entry come to zero.
    func expectClearingNetsToZero(run: UUID, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let rows = try await TestDatabase.pool.queryAll("""
            SELECT p.payout_id,
                   (coalesce((SELECT sum(c.amount) FROM reconciliation.lines l JOIN ledger.clearing_legs c ON c.entry_id = l.entry_id
                              WHERE l.run_id = p.run_id AND l.payout_id = p.payout_id AND l.currency = p.currency
                                AND l.outcome IN ('matched', 'amount_mismatch')), 0)
                  + coalesce((SELECT sum(e.amount) FROM ledger.entries e
                              WHERE e.transaction_id = p.ledger_transaction_id AND e.account_id = 'psp_clearing'), 0))::int8
            FROM reconciliation.run_payouts p WHERE p.run_id = \(run)
            """) { (try $0.decode(String.self, at: 0), try $0.decode(Int64.self, at: 1)) }
        #expect(!rows.isEmpty, sourceLocation: sourceLocation)
        for (payout, net) in rows { #expect(net == 0, "clearing for \(payout) nets to \(net)", sourceLocation: sourceLocation) }
    }

    /// Every settlement posting of the run sums to zero, and bank + fees = the lines' gross.
    func expectBooksBalanced(run: UUID, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let unbalanced = try await TestDatabase.pool.queryValue("""
            SELECT count(*)::int8 FROM (SELECT t.id FROM ledger.transactions t JOIN ledger.entries e ON e.transaction_id = t.id
                                        WHERE t.related_id = \(run) GROUP BY t.id HAVING sum(e.amount) <> 0) x
            """, as: Int.self)
        #expect(unbalanced == 0, sourceLocation: sourceLocation)
    }

    func reportPayout(_ id: String, amount: Int64) async throws {
        try await TestDatabase.ownerPool.execute("""
            INSERT INTO payments.payouts (id, amount, currency, status, last_event) VALUES (\(id), \(amount), 'GBP', 'paid', 'payout.paid')
            """)
    }

    func missingAtProcessor(ref: String) async throws -> [String] {
        try await TestDatabase.pool.queryAll("""
            SELECT x.status FROM reconciliation.exceptions x JOIN ledger.clearing_legs c ON c.entry_id = x.entry_id
            WHERE x.kind = 'missing_at_psp' AND c.external_ref = \(ref)
            """) { try $0.decode(String.self, at: 0) }
    }
}

/// Reconciliation never calls the processor while importing (the tests use this one).
struct ReconciliationOfflineGateway: PaymentGateway {
    func saveCard(token: String, idempotencyKey: String) async throws -> GatewayCard { throw unavailable }
    func charge(amount: Int64, currency: String, card: String, offSession: Bool, idempotencyKey: String,
                metadata: [String: String]) async throws -> GatewayIntent { throw unavailable }
    func intent(id: String) async throws -> GatewayIntent { throw unavailable }
    func intent(forPayment paymentID: String) async throws -> GatewayIntent? { throw unavailable }
    func refund(intentID: String, amount: Int64, idempotencyKey: String, metadata: [String: String]) async throws -> GatewayRefund {
        throw unavailable
    }
    func payoutReport(payoutID: String) async throws -> [UInt8] { throw unavailable }
    private var unavailable: GatewayError { GatewayError(code: "unavailable", message: "not in these tests") }
}
