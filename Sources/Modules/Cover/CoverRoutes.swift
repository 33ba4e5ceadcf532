import AppKernel
import Foundation
import HTTPServer
import Policies

/// Manual cover, a policy's sessions, and the cover lookup.
struct CoverRoutes: Sendable {
    let service: CoverService
    var app: AppContext { service.app }
    var store: CoverStore { CoverStore(database: app.database) }

    var endpoints: [Endpoint] {
        let routes = self
        let session = CoverSchemas.session.ref
        return [
            Endpoint(.post, "/v1/policies/{id}/sessions", id: "startCover",
                     "Start PAYG cover by hand (needs £10 to open; joins a session already open)", tag: "cover", access: .driver,
                     responses: [.json(201, "The session in force", session),
                                 .problem(409, "Not a PAYG policy in force"),
                                 .problem(422, "The balance is under £10")],
                     handler: { try await routes.start($0) }),
            Endpoint(.post, "/v1/sessions/{id}/end", id: "endCover",
                     "End the driver's manual cover (a provider's shift still running keeps the session)", tag: "cover", access: .driver,
                     responses: [.json(200, "The session", session)], handler: { try await routes.end($0) }),
            Endpoint(.get, "/v1/policies/{id}/sessions", id: "listSessions", "A policy's cover sessions, newest first", tag: "cover",
                     access: .driver, query: QueryParameter.pagination,
                     responses: [.json(200, "A page of sessions", .page(of: CoverSchemas.session))],
                     handler: { try await routes.list($0) }),
            Endpoint(.get, "/v1/cover", id: "getCover", "Was the driver covered at an instant (by one policy, or any)?", tag: "cover",
                     access: .driver,
                     query: [QueryParameter("at", .dateTime, "the instant (default: now)"),
                             QueryParameter("policy_id", .uuid, "answer for this policy only")],
                     responses: [.json(200, "The answer", CoverSchemas.answer.ref),
                                 .problem(404, "No such policy of yours")],
                     handler: { try await routes.cover($0) }),
        ]
    }

    func start(_ call: Call) async throws -> HTTPResponse {
        let policyID = try call.id()
        guard let policy = try await Policies(app: app).policy(policyID, of: call.driverID) else {
            throw AppError.notFound("no policy \(policyID.uuidString.lowercased())")
        }
        guard policy.isPAYG, policy.status == .active else {
            throw AppError(status: .conflict, slug: "policy-not-payg-active", detail: "only an active PAYG policy starts cover sessions")
        }
        let session = try await service.startManually(driverID: call.driverID, policyID: policy.id, at: call.now)
        return try .json(session, status: .created)
    }

    func end(_ call: Call) async throws -> HTTPResponse {
        let id = try call.id()
        guard try await store.session(id, driverID: call.driverID) != nil else {
            throw AppError.notFound("no session \(id.uuidString.lowercased())")
        }
        try await service.endManually(driverID: call.driverID, at: call.now)
        guard let session = try await store.session(id, driverID: call.driverID) else {
            throw AppError.notFound("no session \(id.uuidString.lowercased())")
        }
        return try .json(session)
    }

    func list(_ call: Call) async throws -> HTTPResponse {
        let policyID = try call.id()
        guard try await Policies(app: app).policy(policyID, of: call.driverID) != nil else {
            throw AppError.notFound("no policy \(policyID.uuidString.lowercased())")
        }
        let page = try PageRequest(query: call.request.query)
        let (sessions, next) = page.page(try await store.sessions(ofPolicy: policyID, driverID: call.driverID, page: page)) {
            PageRequest.Cursor(createdAt: $0.startedAt, id: $0.id)
        }
        return try .json(ListResponse(data: sessions, nextCursor: next))
    }

    struct CoverAnswer: Encodable {
        let at: Date
        let covered: Bool
        let policyId: UUID?
        let sessionId: UUID?
        let coveredUntil: Date?
    }

    func cover(_ call: Call) async throws -> HTTPResponse {
        let query = call.query
        let at = query["at"].flatMap(RFC3339.parse) ?? call.now
        var policy: Policy?
        if let text = query["policy_id"] {
            guard let id = UUID(uuidString: text), let owned = try await Policies(app: app).policy(id, of: call.driverID) else {
                throw AppError.notFound("no policy \(text)")
            }
            policy = owned
        }
        let coverage = try await service.coverage(of: call.driverID, policy: policy, at: at, now: call.now)
        return try .json(CoverAnswer(at: at, covered: coverage != nil, policyId: coverage?.policyID, sessionId: coverage?.sessionID,
                                     coveredUntil: coverage?.coveredUntil))
    }
}
