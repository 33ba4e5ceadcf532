public import AdminUI
public import AppKernel
import Foundation
import HTTPServer
public import Identity
public import Jobs
public import Policies
import Postgres
import WorkProviders

/// PAYG cover sessions (PRODUCT.md: cover): driven by work-provider shifts or by hand, per
/// policy; and the cover lookup over sessions and paid hourly blocks.
public struct CoverModule: AppModule, AdminContributing {
    public static let name = "cover"
    let service: CoverService
    let identity: Identity

    public init(service: CoverService, identity: Identity) {
        self.service = service
        self.identity = identity
    }

    /// The job that applies a work provider's events to the linked driver's cover.
    public func applyProviderEvents(_ job: Job) async throws {
        struct Payload: Decodable { let provider: String; let provider_driver_id: String; let driver_id: UUID? }
        let payload = try job.payload.decode(Payload.self)
        // Named by the job when the account's link just ended (an unlink) or staff re-applied an event.
        if let driverID = payload.driver_id { return try await service.recompute(driverID: driverID) }
        guard let driverID = try await WorkProviders(app: service.app).driverID(provider: payload.provider,
                                                                              providerDriverID: payload.provider_driver_id)
        else { return }  // not linked yet: kept in the inbox until a link appears
        try await service.recompute(driverID: driverID)
    }

    /// The due-work runner for a test-clock advance: close and cut that clock's drivers' sessions.
    public func catchUp(_ advance: ClockAdvance) async throws {
        for driverID in try await identity.driverIDs(onTestClock: advance.clockID) {
            try await service.recompute(driverID: driverID)
        }
    }

    public var endpoints: [Endpoint] { CoverRoutes(service: service).endpoints }

    public var adminSection: any AdminSection { CoverAdmin(service: service) }
}
