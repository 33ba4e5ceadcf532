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
