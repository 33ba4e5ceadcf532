public import AppKernel
public import Foundation
public import Postgres

/// The work-providers module's public API.
public struct WorkProviders: Sendable {
    /// Job kind run for every accepted event (and every confirmed link): the cover module
    /// registers its handler, which recomputes the driver's sessions.
    public static let eventJob = "cover.apply_provider_events"
    /// How late an event may arrive (PRODUCT.md).
    public static let maximumLateness: TimeInterval = 24 * 3600
    /// How far in the future an event may claim to be.
    public static let maximumLead: TimeInterval = 5 * 60

    let app: AppContext
    public init(app: AppContext) { self.app = app }

    /// The driver's shift events since `since` from every provider account they are linked
    /// to, or were until an unlink (what happened before it), each with its link's end.
    public func shiftEvents(for driverID: UUID, since: Date, on database: (any PostgresQueryable)? = nil) async throws -> [ProviderShiftEvent] {
        try await WorkProvidersStore(database: database ?? app.database).shiftEvents(driverID: driverID, since: since)
    }

    /// The driver a provider's driver id is actively linked to, if any.
    public func driverID(provider: String, providerDriverID: String, on database: (any PostgresQueryable)? = nil) async throws -> UUID? {
        try await WorkProvidersStore(database: database ?? app.database).activeLink(provider: provider, providerDriverID: providerDriverID)?.driverID
    }

    /// The providers a driver is actively linked to, with their ids there (for telling them about cover).
    public func links(of driverID: UUID, on database: (any PostgresQueryable)? = nil) async throws -> [(provider: String, providerDriverID: String)] {
        try await WorkProvidersStore(database: database ?? app.database).activeLinks(driverID: driverID)
    }
}
