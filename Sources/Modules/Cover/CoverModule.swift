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
public struct CoverModule: AppModule {
    public static let name = "cover"
    let service: CoverService
    let identity: Identity

    public init(service: CoverService, identity: Identity, jobs: JobQueue, endings: PolicyEndings) {
        self.service = service
        self.identity = identity
        let app = service.app
        jobs.register(WorkProviders.eventJob) { job in
            struct Payload: Decodable { let provider: String; let provider_driver_id: String }
            let payload = try job.payload.decode(Payload.self)
            guard let driverID = try await WorkProviders(app: app).driverID(provider: payload.provider,
                                                                           providerDriverID: payload.provider_driver_id)
            else { return }  // not linked yet: kept in the inbox until a link appears
            try await service.recompute(driverID: driverID)
        }
        jobs.register("cover.sweep") { _ in await service.sweep() }
        jobs.schedule("cover.sweep", every: 60)
        endings.register { policy, instant, transaction in try await service.policyEnded(policy, at: instant, on: transaction) }
    }

    /// The due-work runner for a test-clock advance: close and cut that clock's drivers' sessions.
    public func catchUp(_ advance: ClockAdvance) async throws {
        for driverID in try await identity.driverIDs(onTestClock: advance.clockID) {
            try await service.recompute(driverID: driverID)
        }
    }

    struct CoverAnswer: Encodable {
        let at: Date
        let covered: Bool
        let policyId: UUID?
        let sessionId: UUID?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(at, forKey: .at)
            try container.encode(covered, forKey: .covered)
            try container.encode(policyId, forKey: .policyId)
            try container.encode(sessionId, forKey: .sessionId)
        }
        enum CodingKeys: String, CodingKey { case at, covered, policyId, sessionId }
    }

    public func registerRoutes(on routes: RouteCollector) {
        let service = service, identity = identity
        let app = service.app

        routes.post("/v1/policies/{id}/sessions", bodyLimit: 1024) { request, context in
            let caller = try await identity.authenticate(request, context)
            let policyID = try context.uuidParameter("id")
            guard let policy = try await Policies(app: app).policy(policyID, of: caller.driverID) else {
                throw AppError.notFound("no policy \(policyID.uuidString.lowercased())")
            }
            guard policy.isPAYG, policy.status == .active else {
                throw AppError(status: .conflict, slug: "policy-not-payg-active", detail: "only an active PAYG policy starts cover sessions")
            }
            let session = try await service.startManually(driverID: caller.driverID, policyID: policy.id, at: caller.context.now)
            return try .json(session, status: .created)
        }

        routes.post("/v1/sessions/{id}/end", bodyLimit: 1024) { request, context in
            let caller = try await identity.authenticate(request, context)
            let id = try context.uuidParameter("id")
            let store = CoverStore(database: app.database)
            guard try await store.session(id, driverID: caller.driverID) != nil else {
                throw AppError.notFound("no session \(id.uuidString.lowercased())")
            }
            try await service.endManually(driverID: caller.driverID, at: caller.context.now)
            guard let session = try await store.session(id, driverID: caller.driverID) else {
                throw AppError.notFound("no session \(id.uuidString.lowercased())")
            }
            return try .json(session)
        }

        routes.get("/v1/policies/{id}/sessions") { request, context in
            let caller = try await identity.authenticate(request, context)
            let policyID = try context.uuidParameter("id")
            guard try await Policies(app: app).policy(policyID, of: caller.driverID) != nil else {
                throw AppError.notFound("no policy \(policyID.uuidString.lowercased())")
            }
            let sessions = try await CoverStore(database: app.database).sessions(ofPolicy: policyID, driverID: caller.driverID)
            return try .json(ListResponse(data: sessions, nextCursor: nil))
        }

        // Was the driver covered at `at` (default: now)? By any policy, or by `policy_id`'s.
        routes.get("/v1/cover") { request, context in
            let caller = try await identity.authenticate(request, context)
            let query = QueryParameters(request.query)
            var at = caller.context.now
            if let text = query["at"] {
                guard let parsed = RFC3339.parse(text) else {
                    throw AppError.badRequest("at must be an RFC 3339 instant", fields: [FieldError(field: "at", message: "is not RFC 3339")])
                }
                at = parsed
            }
            var policy: Policy?
            if let text = query["policy_id"] {
                guard let id = UUID(uuidString: text), let owned = try await Policies(app: app).policy(id, of: caller.driverID) else {
                    throw AppError.notFound("no policy \(text)")
                }
                policy = owned
            }
            let coverage = try await service.coverage(of: caller.driverID, policy: policy, at: at, now: caller.context.now)
            return try .json(CoverAnswer(at: at, covered: coverage != nil, policyId: coverage?.policyID, sessionId: coverage?.sessionID))
        }
    }
}
