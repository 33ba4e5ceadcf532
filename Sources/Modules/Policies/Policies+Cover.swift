import AppKernel
public import Foundation

/// What the cover module's admin pages read about policies.
extension Policies {
    /// The driver's policies overlapping `[from, to)` (a day of the cover timeline).
    public func policies(of driverID: UUID, overlapping from: Date, _ to: Date) async throws -> [Policy] {
        try await PoliciesStore(database: app.database).policies(driverID: driverID, overlapping: from, to)
    }

    /// Paid hourly blocks covering `instant`, all drivers (ops home).
    public func blocksCovering(_ instant: Date) async throws -> Int {
        try await PoliciesStore(database: app.database).blocksCovering(instant)
    }

    /// Any policy by id (staff; drivers go through `policy(_:of:)`).
    public func anyPolicy(_ id: UUID) async throws -> Policy? { try await PoliciesStore(database: app.database).find(id: id) }

    /// The driver's policies, newest first.
    public func all(of driverID: UUID, limit: Int = 50) async throws -> [Policy] {
        try await PoliciesStore(database: app.database).all(driverID: driverID, limit: limit)
    }
}
