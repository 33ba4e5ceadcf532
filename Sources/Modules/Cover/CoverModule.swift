public import AppKernel
import Foundation
import HTTPServer
public import Identity
public import Jobs
import Ledger
import Policies
import Postgres
import Wallet
import WorkProviders

/// PAYG cover sessions (PRODUCT.md: cover): driven by work-provider shifts or by hand.
public struct CoverModule: AppModule {
    public static let name = "cover"
    let service: CoverService
    let identity: Identity

    public init(service: CoverService, identity: Identity, jobs: JobQueue, dueWork: DueWorkRegistry) {
        self.service = service
        self.identity = identity
        let app = service.app
        jobs.register(WorkProviders.eventJob) { job in
            struct Payload: Decodable { let provider: String; let provider_driver_id: String }
            let payload = try job.payload.decode(Payload.self)
            guard let driverID = try await WorkProviders(app: app).driverID(provider: payload.provider,
                                                                           providerDriverID: payload.provider_driver_id)
            else { return }  // not linked yet: kept in the inbox until a link appears
            try await service.recompute(driverID: driverID, now: try await service.now(for: driverID))
        }
        jobs.register("cover.sweep") { _ in await service.sweep() }
        jobs.schedule("cover.sweep", every: 60)
        dueWork.register("cover.sessions") { advance, _ in
            for driverID in try await Identity(app: app).driverIDs(onTestClock: advance.clockID) {
                try await service.recompute(driverID: driverID, now: advance.to)
            }
        }
    }

    public func registerRoutes(on routes: RouteCollector) {
        let service = service, identity = identity
        let app = service.app

        routes.post("/v1/policies/{id}/sessions", bodyLimit: 1024) { request, context in
            let caller = try await identity.authenticate(request, context)
            let now = caller.context.now
            let policyID = try context.uuidParameter("id")
            guard let policy = try await Policies(app: app).policy(policyID, of: caller.driverID) else {
                throw AppError.notFound("no policy \(policyID.uuidString.lowercased())")
            }
            guard policy.product == "payg", policy.status == .active else {
                throw AppError(status: .conflict, slug: "policy-not-payg-active", detail: "only an active PAYG policy starts cover sessions")
            }
            let store = CoverStore(database: app.database)
            if try await store.covering(driverID: caller.driverID, at: now, now: now) == nil {
                let (cash, promo) = try await Ledger().driverBalances(caller.driverID, on: app.database)
                guard cash + promo >= CoverService.openingBalance else {
                    throw AppError(status: .unprocessableContent, slug: "insufficient-balance",
                                   detail: "starting cover needs a balance of at least £10; yours is \(Money.pence(cash + promo))")
                }
            }
            try await store.startManualShift(driverID: caller.driverID, policyID: policy.id, at: now)
            try await service.recompute(driverID: caller.driverID, now: now)
            guard let session = try await store.covering(driverID: caller.driverID, at: now, now: now) else {
                throw AppError.unavailable("the session could not be opened; retry shortly")
            }
            return try .json(session, status: .created)
        }

        routes.post("/v1/sessions/{id}/end", bodyLimit: 1024) { request, context in
            let caller = try await identity.authenticate(request, context)
            let id = try context.uuidParameter("id")
            let store = CoverStore(database: app.database)
            guard try await store.session(id, driverID: caller.driverID) != nil else {
                throw AppError.notFound("no session \(id.uuidString.lowercased())")
            }
            try await store.endManualShifts(driverID: caller.driverID, at: caller.context.now)
            try await service.recompute(driverID: caller.driverID, now: caller.context.now)
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

        routes.get("/v1/cover") { request, context in
            let caller = try await identity.authenticate(request, context)
            let at: Date
            if let text = QueryParameters(request.query)["at"] {
                guard let parsed = RFC3339.parse(text) else {
                    throw AppError.badRequest("at must be an RFC 3339 instant", fields: [FieldError(field: "at", message: "is not RFC 3339")])
                }
                at = parsed
            } else {
                at = caller.context.now
            }
            let session = try await CoverStore(database: app.database).covering(driverID: caller.driverID, at: at, now: caller.context.now)
            struct Answer: Encodable {
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
            return try .json(Answer(at: at, covered: session != nil, policyId: session?.policyId, sessionId: session?.id))
        }
    }
}
