import AppKernel
import Foundation
import Postgres

/// The wallet schema's queries for the admin: who is paused for money, and since when.
extension WalletStore {
    /// Drivers whose cover is paused for money, at most `limit` (the partial index
    /// `settings_cover_paused` holds only them).
    func coverPausedDrivers(limit: Int) async throws -> [UUID] {
        try await database.queryAll("""
            SELECT driver_id FROM wallet.settings WHERE cover_paused ORDER BY driver_id LIMIT \(limit)
            """) { try $0.decode(UUID.self, at: 0) }
    }

    /// Which of these drivers are paused (looked up by primary key).
    func coverPaused(among driverIDs: [UUID]) async throws -> [UUID] {
        try await database.queryAll("""
            SELECT driver_id FROM wallet.settings WHERE driver_id = ANY(\(driverIDs)) AND cover_paused LIMIT \(driverIDs.count)
            """) { try $0.decode(UUID.self, at: 0) }
    }

    /// Paused or not, and when that last changed (nil: it never has).
    func coverPause(driverID: UUID) async throws -> (paused: Bool, changedAt: Date?) {
        try await database.queryOptional("""
            SELECT cover_paused, cover_paused_changed_at FROM wallet.settings WHERE driver_id = \(driverID)
            """) { (try $0.decode(Bool.self, at: 0), try $0.decode(Date?.self, at: 1)) } ?? (false, nil)
    }
}
