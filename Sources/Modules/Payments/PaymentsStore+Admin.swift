import AppKernel
import Foundation
import Postgres

/// A processor event as the webhook inbox keeps it: its id, its type and when it came (the
/// body is applied in the same transaction and not kept).
struct WebhookEventRow: Sendable {
    let id: String
    let type: String
    let receivedAt: Date

    static let columns: SQL = "event_id, type, received_at"

    init(row: PostgresRow) throws {
        id = try row.decode(String.self, at: 0)
        type = try row.decode(String.self, at: 1)
        receivedAt = try row.decode(Date.self, at: 2)
    }
}

/// A transfer of settled card money to our bank, as the processor's payout events report it.
struct PayoutRow: Sendable {
    let id: String
    let amount: Int64
    let currency: String
    let status: String
    let arrivalAt: Date?
    let lastEvent: String
    let createdAt: Date
    let updatedAt: Date

    static let columns: SQL = "id, amount, currency, status, arrival_at, last_event, created_at, updated_at"

    init(row: PostgresRow) throws {
        id = try row.decode(String.self, at: 0)
        amount = try row.decode(Int64.self, at: 1)
        currency = try row.decode(String.self, at: 2)
        status = try row.decode(String.self, at: 3)
        arrivalAt = try row.decode(Date?.self, at: 4)
        lastEvent = try row.decode(String.self, at: 5)
        createdAt = try row.decode(Date.self, at: 6)
        updatedAt = try row.decode(Date.self, at: 7)
    }
}

/// The payments schema's queries for the admin.
extension PaymentsStore {
    struct ListFilter {
        var statuses: [String] = []
        var purposes: [String] = []
        var driverID: UUID?
    }

    /// Newest first, `limit + 1` rows after the cursor.
    func list(_ filter: ListFilter, page: PageRequest) async throws -> [Payment] {
        try await database.queryAll("""
            SELECT \(Payment.columns) FROM payments.payments
            WHERE (cardinality(\(filter.statuses)::text[]) = 0 OR status = ANY(\(filter.statuses)))
              AND (cardinality(\(filter.purposes)::text[]) = 0 OR purpose = ANY(\(filter.purposes)))
              AND (\(filter.driverID)::uuid IS NULL OR driver_id = \(filter.driverID))
              \(page.keysetCondition)
            ORDER BY created_at DESC, id DESC LIMIT \(page.fetchLimit)
            """, decode: Payment.init(row:))
    }

    func payments(driverID: UUID, limit: Int) async throws -> [Payment] {
        try await database.queryAll("""
            SELECT \(Payment.columns) FROM payments.payments WHERE driver_id = \(driverID)
            ORDER BY created_at DESC, id DESC LIMIT \(limit)
            """, decode: Payment.init(row:))
    }

    /// Payments by id, by the processor's intent id (`pi_…`) or by its charge id (`ch_…`).
    func matching(intentID: String?, chargeID: String? = nil, id: UUID?) async throws -> [Payment] {
        try await database.queryAll("""
            SELECT \(Payment.columns) FROM payments.payments
            WHERE psp_intent_id = \(intentID) OR psp_charge_id = \(chargeID) OR id = \(id) LIMIT 10
            """, decode: Payment.init(row:))
    }

    func cards(ids: [UUID]) async throws -> [PaymentMethod] {
        guard !ids.isEmpty else { return [] }
        return try await database.queryAll("""
            SELECT \(PaymentMethod.columns) FROM payments.payment_methods WHERE id = ANY(\(ids)) LIMIT \(ids.count)
            """, decode: PaymentMethod.init(row:))
    }

    func cards(driverID: UUID, limit: Int) async throws -> [PaymentMethod] {
        try await database.queryAll("""
            SELECT \(PaymentMethod.columns) FROM payments.payment_methods WHERE driver_id = \(driverID)
            ORDER BY created_at DESC, id DESC LIMIT \(limit)
            """, decode: PaymentMethod.init(row:))
    }

    /// Webhook events newest first, `limit + 1` rows after `(received_at, event_id)`, optionally
    /// of some families of types (`payment_intent`, `refund`, `charge`, `payout`).
    func webhookEvents(families: [String], after: (Date, String)?, limit: Int) async throws -> [WebhookEventRow] {
        let keyset: SQL = after.map { "AND (received_at, event_id) < (\($0.0), \($0.1))" } ?? ""
        return try await database.queryAll("""
            SELECT \(WebhookEventRow.columns) FROM payments.webhook_events
            WHERE (cardinality(\(families)::text[]) = 0 OR split_part(type, '.', 1) = ANY(\(families))) \(keyset)
            ORDER BY received_at DESC, event_id DESC LIMIT \(limit + 1)
            """, decode: WebhookEventRow.init(row:))
    }

    func webhookEvent(id: String) async throws -> WebhookEventRow? {
        try await database.queryOptional("SELECT \(WebhookEventRow.columns) FROM payments.webhook_events WHERE event_id = \(id)",
                                         decode: WebhookEventRow.init(row:))
    }

    /// Payouts newest first, `limit + 1` rows after `(created_at, id)`.
    func payouts(after: (Date, String)?, limit: Int) async throws -> [PayoutRow] {
        let keyset: SQL = after.map { "WHERE (created_at, id) < (\($0.0), \($0.1))" } ?? ""
        return try await database.queryAll("""
            SELECT \(PayoutRow.columns) FROM payments.payouts \(keyset) ORDER BY created_at DESC, id DESC LIMIT \(limit + 1)
            """, decode: PayoutRow.init(row:))
    }
}
