import AppKernel
public import Foundation

/// Reading who is paused for money, for other modules' admin pages (a PAYG policy shows
/// `paused` while its driver's cover is paused: PRODUCT.md).
extension Wallet {
    /// Drivers whose cover is paused for money, at most `limit` of them.
    public func coverPausedDrivers(limit: Int) async throws -> [UUID] {
        try await WalletStore(database: app.database).coverPausedDrivers(limit: limit)
    }

    /// Which of `driverIDs` have their cover paused for money.
    public func coverPaused(among driverIDs: [UUID]) async throws -> Set<UUID> {
        guard !driverIDs.isEmpty else { return [] }
        return Set(try await WalletStore(database: app.database).coverPaused(among: Array(Set(driverIDs))))
    }
}
