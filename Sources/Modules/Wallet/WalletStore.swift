import AppKernel
import Foundation
import Postgres

/// Owns every SQL statement against the `wallet` schema.
struct WalletStore: Sendable {
    let database: any PostgresQueryable

    func settings(driverID: UUID) async throws -> AutoTopUp? {
        try await database.queryOptional("""
            SELECT auto_top_up_enabled, threshold_amount, top_up_amount FROM wallet.settings WHERE driver_id = \(driverID)
            """) { AutoTopUp(enabled: try $0.decode(Bool.self, at: 0), thresholdAmount: try $0.decode(Int64.self, at: 1),
                              amount: try $0.decode(Int64.self, at: 2)) }
    }

    /// The driver's settings (nil when never saved) and the raw balances of their two wallet
    /// accounts, in one statement (the ledger's published view `ledger.account_balances`).
    func overview(driverID: UUID, cashAccount: String, promoAccount: String) async throws -> (AutoTopUp?, cash: Int64?, promo: Int64?) {
        try await database.queryOne("""
            SELECT s.auto_top_up_enabled, s.threshold_amount, s.top_up_amount,
                   (SELECT balance FROM ledger.account_balances WHERE account_id = \(cashAccount)),
                   (SELECT balance FROM ledger.account_balances WHERE account_id = \(promoAccount))
            FROM (SELECT 1) AS one LEFT JOIN wallet.settings s ON s.driver_id = \(driverID)
            """) { row in
            let settings = row.isNull(at: 0) ? nil
                : AutoTopUp(enabled: try row.decode(Bool.self, at: 0), thresholdAmount: try row.decode(Int64.self, at: 1),
                            amount: try row.decode(Int64.self, at: 2))
            return (settings, try row.decode(Int64?.self, at: 3), try row.decode(Int64?.self, at: 4))
        }
    }

    func save(_ settings: AutoTopUp, driverID: UUID) async throws {
        try await database.execute("""
            INSERT INTO wallet.settings (driver_id, auto_top_up_enabled, threshold_amount, top_up_amount)
            VALUES (\(driverID), \(settings.enabled), \(settings.thresholdAmount), \(settings.amount))
            ON CONFLICT (driver_id) DO UPDATE SET auto_top_up_enabled = EXCLUDED.auto_top_up_enabled,
                threshold_amount = EXCLUDED.threshold_amount, top_up_amount = EXCLUDED.top_up_amount, updated_at = now()
            """)
    }

    func isCoverPaused(driverID: UUID) async throws -> Bool {
        try await database.queryOptional("SELECT cover_paused FROM wallet.settings WHERE driver_id = \(driverID)") {
            try $0.decode(Bool.self, at: 0)
        } ?? false
    }

    func setCoverPaused(_ paused: Bool, driverID: UUID, at instant: Date) async throws {
        try await database.execute("""
            INSERT INTO wallet.settings (driver_id, cover_paused, cover_paused_changed_at) VALUES (\(driverID), \(paused), \(instant))
            ON CONFLICT (driver_id) DO UPDATE SET cover_paused = EXCLUDED.cover_paused,
                cover_paused_changed_at = EXCLUDED.cover_paused_changed_at, updated_at = now()
            """)
    }
}
