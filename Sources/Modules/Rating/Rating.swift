public import AppKernel
public import Foundation

/// The rating module's public API: prices an hourly rate from the rate table in effect.
public struct Rating: Sendable {
    let app: AppContext
    public init(app: AppContext) { self.app = app }

    public func price(_ facts: RatingFacts, at instant: Date) async throws -> RatedPrice {
        guard let table = try await RatingStore(database: app.database).table(at: instant) else {
            throw AppError.unavailable("no rate table is in effect; pricing is unavailable")
        }
        return try table.price(facts)
    }
}
