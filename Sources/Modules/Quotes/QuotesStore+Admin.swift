import AppKernel
import Foundation
import Postgres

/// The quotes schema's queries for the admin's list, pages, search and driver 360.
extension QuotesStore {
    struct ListFilter {
        /// `quoted`, `bound`, `expired` (as the API names them, seen at `now`).
        var statuses: [String] = []
        var products: [String] = []
        var driverID: UUID?
    }

    /// Newest first, `limit + 1` rows after the cursor.
    func list(_ filter: ListFilter, now: Date, page: PageRequest) async throws -> [Quote] {
        try await database.queryAll("""
            SELECT \(Quote.columns) FROM quotes.quotes
            WHERE (cardinality(\(filter.statuses)::text[]) = 0
                   OR (CASE WHEN bound_at IS NOT NULL THEN 'bound' WHEN valid_until <= \(now) THEN 'expired' ELSE 'quoted' END) = ANY(\(filter.statuses)))
              AND (cardinality(\(filter.products)::text[]) = 0 OR product = ANY(\(filter.products)))
              AND (\(filter.driverID)::uuid IS NULL OR driver_id = \(filter.driverID))
              \(page.keysetCondition)
            ORDER BY created_at DESC, id DESC LIMIT \(page.fetchLimit)
            """, decode: Quote.init(row:))
    }

    /// Any driver's quote.
    func find(id: UUID) async throws -> Quote? {
        try await database.queryOptional("SELECT \(Quote.columns) FROM quotes.quotes WHERE id = \(id)", decode: Quote.init(row:))
    }

    func latest(driverID: UUID, limit: Int) async throws -> [Quote] {
        try await database.queryAll("""
            SELECT \(Quote.columns) FROM quotes.quotes WHERE driver_id = \(driverID) ORDER BY created_at DESC, id DESC LIMIT \(limit)
            """, decode: Quote.init(row:))
    }
}
