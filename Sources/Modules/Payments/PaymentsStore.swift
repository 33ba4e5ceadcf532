import AppKernel
import Foundation
import Postgres

/// Owns every SQL statement against the `payments` schema.
struct PaymentsStore: Sendable {
    let database: any PostgresQueryable

    func insertCard(id: UUID, driverID: UUID, card: GatewayCard, at instant: Date) async throws -> PaymentMethod {
        // The first card becomes the default.
        try await database.queryOne("""
            INSERT INTO payments.payment_methods (id, driver_id, psp_id, brand, last4, is_default, created_at)
            VALUES (\(id), \(driverID), \(card.id), \(card.brand), \(card.last4),
                    NOT EXISTS (SELECT 1 FROM payments.payment_methods WHERE driver_id = \(driverID)), \(instant))
            RETURNING \(PaymentMethod.columns)
            """, decode: PaymentMethod.init(row:))
    }

    func cards(driverID: UUID) async throws -> [PaymentMethod] {
        try await database.queryAll("""
            SELECT \(PaymentMethod.columns) FROM payments.payment_methods WHERE driver_id = \(driverID)
            ORDER BY created_at DESC, id DESC
            """, decode: PaymentMethod.init(row:))
    }

    func cards(driverID: UUID, page: PageRequest) async throws -> [PaymentMethod] {
        try await database.queryAll("""
            SELECT \(PaymentMethod.columns) FROM payments.payment_methods WHERE driver_id = \(driverID) \(page.keysetCondition)
            ORDER BY created_at DESC, id DESC LIMIT \(page.fetchLimit)
            """, decode: PaymentMethod.init(row:))
    }

    func card(id: UUID, driverID: UUID) async throws -> PaymentMethod? {
        try await database.queryOptional("""
            SELECT \(PaymentMethod.columns) FROM payments.payment_methods WHERE id = \(id) AND driver_id = \(driverID)
            """, decode: PaymentMethod.init(row:))
    }

    func defaultCard(driverID: UUID) async throws -> PaymentMethod? {
        try await database.queryOptional("""
            SELECT \(PaymentMethod.columns) FROM payments.payment_methods WHERE driver_id = \(driverID) AND is_default
            """, decode: PaymentMethod.init(row:))
    }

    func insertPayment(id: UUID, driverID: UUID, purpose: PaymentPurpose, amount: Int64, paymentMethodID: UUID,
                       relatedID: UUID?, at instant: Date) async throws {
        try await database.execute("""
            INSERT INTO payments.payments (id, driver_id, purpose, amount, payment_method_id, status, related_id, created_at, updated_at)
            VALUES (\(id), \(driverID), \(purpose.rawValue), \(amount), \(paymentMethodID), 'processing', \(relatedID), \(instant), \(instant))
            """)
    }

    func payment(id: UUID, driverID: UUID? = nil, forUpdate: Bool = false) async throws -> Payment? {
        let owner: SQL = driverID.map { "AND driver_id = \($0)" } ?? ""
        return try await database.queryOptional("""
            SELECT \(Payment.columns) FROM payments.payments WHERE id = \(id) \(owner) \(unsafeRaw: forUpdate ? "FOR UPDATE" : "")
            """, decode: Payment.init(row:))
    }

    /// Our payment for a processor intent: by the intent id we recorded, or else by the
    /// `payment_id` metadata we attach to every intent (we may have died before recording it).
    func paymentID(forIntent intentID: String, metadataPaymentID: String?) async throws -> UUID? {
        let byMetadata = metadataPaymentID.flatMap(UUID.init(uuidString:))
        return try await database.queryOptional("""
            SELECT id FROM payments.payments WHERE psp_intent_id = \(intentID) OR id = \(byMetadata)
            ORDER BY psp_intent_id = \(intentID) DESC LIMIT 1
            """) { try $0.decode(UUID.self, at: 0) }
    }

    func record(_ intent: GatewayIntent, for paymentID: UUID, at instant: Date) async throws -> Payment {
        let status: PaymentStatus = switch intent.status {
        case .succeeded: .succeeded
        case .failed: .failed
        case .requiresAction: .requiresAction
        case .processing: .processing
        }
        return try await database.queryOne("""
            UPDATE payments.payments SET status = \(status.rawValue), psp_intent_id = \(intent.id),
                psp_charge_id = COALESCE(\(intent.chargeID), psp_charge_id),
                failure_code = \(intent.failureCode), redirect_url = \(intent.redirectURL), updated_at = \(instant),
                recorded_at = CASE WHEN status = \(status.rawValue) THEN recorded_at ELSE now() END
            WHERE id = \(paymentID) RETURNING \(Payment.columns)
            """, decode: Payment.init(row:))
    }

    func markFailed(_ paymentID: UUID, code: String, at instant: Date) async throws -> Payment {
        try await database.queryOne("""
            UPDATE payments.payments SET status = 'failed', failure_code = \(code), updated_at = \(instant), recorded_at = now()
            WHERE id = \(paymentID) RETURNING \(Payment.columns)
            """, decode: Payment.init(row:))
    }

    /// Payments still waiting for an outcome whose last change is older than `seconds` of real
    /// time (database time: a test clock never makes a payment look stale). One waiting for the
    /// customer's SCA is asked about for a day; after that only a webhook settles it (the
    /// customer may still authenticate, so it is never failed on our side).
    func unsettled(olderThanSeconds seconds: Int, driverIDs: [UUID]?) async throws -> [Payment] {
        let drivers: SQL = driverIDs.map { "AND driver_id = ANY(\($0))" } ?? ""
        return try await database.queryAll("""
            SELECT \(Payment.columns) FROM payments.payments
            WHERE (status = 'processing' OR (status = 'requires_action' AND recorded_at > now() - interval '1 day'))
              AND recorded_at <= now() - make_interval(secs => \(seconds)) \(drivers)
            ORDER BY recorded_at LIMIT 200
            """, decode: Payment.init(row:))
    }

    func inProgress(driverID: UUID, purpose: PaymentPurpose) async throws -> Bool {
        try await database.queryValue("""
            SELECT EXISTS (SELECT 1 FROM payments.payments WHERE driver_id = \(driverID) AND purpose = \(purpose.rawValue)
                           AND status IN ('processing', 'requires_action') AND recorded_at > now() - interval '10 minutes')
            """, as: Bool.self)
    }

    /// Records a webhook event; false when it was seen before (a replay).
    func recordEvent(id: String, type: String) async throws -> Bool {
        try await database.execute("""
            INSERT INTO payments.webhook_events (event_id, type) VALUES (\(id), \(type)) ON CONFLICT (event_id) DO NOTHING
            """) == 1
    }

    /// Records what the processor says of a payout (a transfer of settled funds to our bank),
    /// and returns the payout as recorded.
    @discardableResult
    func upsertPayout(_ payout: PSPWire.Payout, eventType: String) async throws -> ReportedPayout {
        let arrival = payout.arrivalDate.map { Date(timeIntervalSince1970: Double($0)) }
        return try await database.queryOne("""
            INSERT INTO payments.payouts (id, amount, currency, status, arrival_at, last_event)
            VALUES (\(payout.id), \(payout.amount), \(payout.currency.uppercased()), \(payout.status), \(arrival), \(eventType))
            ON CONFLICT (id) DO UPDATE SET amount = EXCLUDED.amount, status = EXCLUDED.status, arrival_at = EXCLUDED.arrival_at,
                last_event = EXCLUDED.last_event, updated_at = now()
            RETURNING id, amount, currency, status, arrival_at
            """, decode: ReportedPayout.init(row:))
    }
}
