import AppKernel
import Foundation
import Postgres

/// The policies schema's queries for the admin's list, pages, search, home and driver 360.
extension PoliciesStore {
    struct ListFilter {
        /// Statuses as the API shows them (seen at `now`; `paused` for PAYG policies of `pausedDrivers`).
        var statuses: [String] = []
        var products: [String] = []
        var driverID: UUID?
        var quoteID: UUID?
    }

    /// Newest first, `limit + 1` rows after the cursor. `pausedDrivers`: whose cover is paused for
    /// money (the wallet's), needed only to tell `active` from `paused`.
    func list(_ filter: ListFilter, now: Date, pausedDrivers: [UUID], page: PageRequest) async throws -> [Policy] {
        try await database.queryAll("""
            SELECT \(Policy.columns) FROM policies.policies
            WHERE (cardinality(\(filter.statuses)::text[]) = 0 OR (CASE
                    WHEN product = 'payg' AND status = 'active' AND driver_id = ANY(\(pausedDrivers)) THEN 'paused'
                    WHEN product = 'hourly' AND status = 'pending_payment' AND ends_at <= \(now) THEN 'expired'
                    WHEN product = 'hourly' AND status IN ('scheduled', 'active') THEN
                        CASE WHEN ends_at <= \(now) THEN 'expired' WHEN starts_at <= \(now) THEN 'active' ELSE 'scheduled' END
                    ELSE status END) = ANY(\(filter.statuses)))
              AND (cardinality(\(filter.products)::text[]) = 0 OR product = ANY(\(filter.products)))
              AND (\(filter.driverID)::uuid IS NULL OR driver_id = \(filter.driverID))
              AND (\(filter.quoteID)::uuid IS NULL OR quote_id = \(filter.quoteID))
              \(page.keysetCondition)
            ORDER BY created_at DESC, id DESC LIMIT \(page.fetchLimit)
            """, decode: Policy.init(row:))
    }

    /// Any driver's policy, read without locking.
    func show(id: UUID) async throws -> Policy? {
        try await database.queryOptional("SELECT \(Policy.columns) FROM policies.policies WHERE id = \(id)", decode: Policy.init(row:))
    }

    /// By exact number (`HG-7K3M-9Q2P`) or id.
    func matching(number: String?, id: UUID?) async throws -> [Policy] {
        try await database.queryAll("""
            SELECT \(Policy.columns) FROM policies.policies WHERE number = \(number) OR id = \(id) LIMIT 10
            """, decode: Policy.init(row:))
    }

    func latest(driverID: UUID, limit: Int) async throws -> [Policy] {
        try await database.queryAll("""
            SELECT \(Policy.columns) FROM policies.policies WHERE driver_id = \(driverID) ORDER BY created_at DESC, id DESC LIMIT \(limit)
            """, decode: Policy.init(row:))
    }

    /// PAYG policies in force of these drivers (shown `paused` when the driver is paused for
    /// money). At most one per driver: the partial index `policies_one_payg_in_force` serves it.
    func paygActiveCount(among driverIDs: [UUID]) async throws -> Int {
        try await database.queryValue("""
            SELECT count(*)::int8 FROM policies.policies
            WHERE driver_id = ANY(\(driverIDs)) AND product = 'payg' AND status IN ('active', 'paused')
            """, as: Int.self)
    }
}
