import AppKernel
import Foundation
import Postgres

/// Queries the cover module's admin pages ask of policies (timelines, counts, lookups).
extension PoliciesStore {
    /// The driver's policies whose time overlaps `[from, to)`: blocks with their windows, PAYG
    /// policies in force then.
    func policies(driverID: UUID, overlapping from: Date, _ to: Date) async throws -> [Policy] {
        try await database.queryAll("""
            SELECT \(Policy.columns) FROM policies.policies
            WHERE driver_id = \(driverID) AND starts_at < \(to) AND coalesce(cancelled_at, ends_at, 'infinity') > \(from)
            ORDER BY starts_at LIMIT 200
            """, decode: Policy.init(row:))
    }

    /// Paid hourly blocks covering `instant`, across all drivers.
    func blocksCovering(_ instant: Date) async throws -> Int {
        try await database.queryValue("""
            SELECT count(*)::int8 FROM policies.policies
            WHERE product = 'hourly' AND paid_at IS NOT NULL AND greatest(starts_at, paid_at) <= \(instant) AND \(instant) < ends_at
              AND (cancelled_at IS NULL OR \(instant) < cancelled_at)
            """, as: Int.self)
    }

    /// Every policy of the driver, newest first (the lookup's evidence).
    func all(driverID: UUID, limit: Int) async throws -> [Policy] {
        try await database.queryAll("""
            SELECT \(Policy.columns) FROM policies.policies WHERE driver_id = \(driverID) ORDER BY created_at DESC LIMIT \(limit)
            """, decode: Policy.init(row:))
    }
}
