import AppKernel
import Foundation
import Postgres

/// Owns every SQL statement against the `quotes` schema.
struct QuotesStore: Sendable {
    let database: any PostgresQueryable

    func insert(_ quote: Quote) async throws {
        try await database.execute("""
            INSERT INTO quotes.quotes (id, driver_id, vehicle_id, product, usage, hours, starts_at, currency,
                hourly_rate_amount, premium_amount, ipt_amount, total_amount, rating_version, underwriting_version,
                factors, valid_until, created_at)
            VALUES (\(quote.id), \(quote.driverID), \(quote.vehicleID), \(quote.product.rawValue), \(quote.usage.rawValue),
                \(quote.hours.map(Int32.init)), \(quote.startsAt), \(quote.currency), \(quote.hourlyRateAmount),
                \(quote.premiumAmount), \(quote.iptAmount), \(quote.totalAmount), \(Int32(quote.ratingVersion)),
                \(Int32(quote.underwritingVersion)), \(try PostgresJSON(encoding: quote.factors)), \(quote.validUntil),
                \(quote.createdAt))
            """)
    }

    /// A quote only if it belongs to `driverID`; `forUpdate` locks it for binding.
    func find(id: UUID, driverID: UUID, forUpdate: Bool = false) async throws -> Quote? {
        try await database.queryOptional("""
            SELECT \(Quote.columns) FROM quotes.quotes WHERE id = \(id) AND driver_id = \(driverID)
            \(unsafeRaw: forUpdate ? "FOR UPDATE" : "")
            """, decode: Quote.init(row:))
    }

    /// Marks the quote bound; false when it already was.
    func markBound(id: UUID, at instant: Date) async throws -> Bool {
        try await database.execute("UPDATE quotes.quotes SET bound_at = \(instant) WHERE id = \(id) AND bound_at IS NULL") == 1
    }
}
