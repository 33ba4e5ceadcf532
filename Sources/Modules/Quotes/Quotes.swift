public import AppKernel
public import Foundation
public import HTTPServer
public import Postgres

/// Why a quote cannot be bound.
public enum BindingRefusal: ResponseError {
    case notFound(UUID)
    case expired(UUID)
    case alreadyBound(UUID)

    public var status: HTTPStatus {
        switch self {
        case .notFound: .notFound
        case .expired: .unprocessableContent
        case .alreadyBound: .conflict
        }
    }
    public var problemSlug: String {
        switch self {
        case .notFound: "not-found"
        case .expired: "quote-expired"
        case .alreadyBound: "quote-already-bound"
        }
    }
    public var detail: String {
        switch self {
        case .notFound(let id): "no quote \(id.uuidString.lowercased())"
        case .expired(let id): "quote \(id.uuidString.lowercased()) has expired; ask for a new quote"
        case .alreadyBound(let id): "quote \(id.uuidString.lowercased()) is already bound to a policy"
        }
    }
}

/// The quotes module's public API for other modules.
public struct Quotes: Sendable {
    public init() {}

    /// The driver's quote, or nil (another driver's quote does not exist for them).
    public func quote(_ id: UUID, driverID: UUID, on database: any PostgresQueryable) async throws -> Quote? {
        try await QuotesStore(database: database).find(id: id, driverID: driverID)
    }

    /// Locks and marks the driver's quote bound inside the caller's transaction, or throws a
    /// `BindingRefusal` (404 for another driver's quote, 422 expired, 409 already bound).
    public func bind(quoteID: UUID, driverID: UUID, at now: Date, on transaction: PostgresConnection) async throws -> Quote {
        let store = QuotesStore(database: transaction)
        guard let quote = try await store.find(id: quoteID, driverID: driverID, forUpdate: true) else {
            throw BindingRefusal.notFound(quoteID)
        }
        guard quote.boundAt == nil else { throw BindingRefusal.alreadyBound(quoteID) }
        guard !quote.isExpired(at: now) else { throw BindingRefusal.expired(quoteID) }
        guard try await store.markBound(id: quoteID, at: now) else { throw BindingRefusal.alreadyBound(quoteID) }
        return quote
    }
}
