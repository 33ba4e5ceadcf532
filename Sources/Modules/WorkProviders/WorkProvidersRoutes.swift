import AppKernel
import Cryptography
import Foundation
import HTTPServer
import Identity
import Jobs
import Postgres
import Audit

/// Links (`POST/GET /v1/work-provider-links`, the provider's signed confirmation) and the
/// signed shift-event inbox.
struct WorkProvidersRoutes: Sendable {
    let app: AppContext
    let identity: Identity
    let jobs: JobQueue
    let config: WorkProvidersConfig
    var store: WorkProvidersStore { WorkProvidersStore(database: app.database) }
    var providerNames: [String] { config.providers.map(\.name).sorted() }

    /// How long a link code is valid (PRODUCT.md: 15 minutes).
    static let codeLifetime: TimeInterval = 15 * 60
    /// Wrong codes for one provider account before its pending requests are void.
    static let maxCodeAttempts = 10

    var endpoints: [Endpoint] {
        let routes = self
        let link = WorkProvidersSchemas.link.ref
        let provider = Schema.oneOf(providerNames.isEmpty ? ["none"] : providerNames)
        return [
            Endpoint(.post, "/v1/work-provider-links", id: "requestLink",
                     "Ask to link a work provider account: a code (8 characters, 15 minutes) to give the provider", tag: "work providers",
                     access: .driver, body: .json(WorkProvidersSchemas.newLink(providers: providerNames)), bodyLimit: 16 * 1024,
                     responses: [.json(201, "The pending link, with its code", link),
                                 .problem(409, "You are already linked to that provider, or that account is linked to someone else")],
                     handler: { try await routes.requestLink($0) }),
            Endpoint(.get, "/v1/work-provider-links", id: "listLinks", "The driver's links, newest first", tag: "work providers",
                     access: .driver, query: QueryParameter.pagination,
                     responses: [.json(200, "A page of links", .page(of: WorkProvidersSchemas.link))],
                     handler: { try await routes.listLinks($0) }),
            Endpoint(.post, "/v1/work-providers/{provider}/link-confirmations", id: "confirmLink",
                     "The provider confirms a driver's link code (signed)", tag: "work providers", access: .workProvider,
                     body: .json(WorkProvidersSchemas.confirmation), bodyLimit: 16 * 1024, pathSchemas: ["provider": provider],
                     responses: [.json(200, "The link, now active", link),
                                 .problem(404, "No such work provider"),
                                 .problem(409, "That account is already linked to another driver"),
                                 .problem(422, "A wrong or expired code")],
                     handler: { try await routes.confirmLink($0) }),
            Endpoint(.post, "/v1/work-providers/{provider}/events", id: "postShiftEvent",
                     "A shift event (signed): stored once, applied to the linked driver's cover", tag: "work providers",
                     access: .workProvider, body: .json(WorkProvidersSchemas.event), bodyLimit: 64 * 1024,
                     pathSchemas: ["provider": provider],
                     responses: [.json(202, "Stored (or a duplicate event id)", WorkProvidersSchemas.accepted),
                                 .problem(404, "No such work provider"),
                                 .problem(422, "Invalid fields, more than 5 minutes ahead of the driver's clock, or more than 24 hours old")],
                     handler: { try await routes.receiveEvent($0) }),
        ]
    }

    struct LinkBody: Decodable {
        let provider: String
        let providerDriverId: String
    }

    /// A pending link and its code; only the code's hash is stored.
    func requestLink(_ call: Call) async throws -> HTTPResponse {
        let body = try call.body(LinkBody.self)
        let code = Self.newCode()
        let link = try await app.database.withTransaction { transaction in
            let store = WorkProvidersStore(database: transaction)
            if try await store.activeLink(provider: body.provider, driverID: call.driverID) != nil {
                throw AppError.conflict("you are already linked to \(body.provider)")
            }
            if try await store.activeLink(provider: body.provider, providerDriverID: body.providerDriverId) != nil {
                throw AppError.conflict("this \(body.provider) account is already linked to a driver")
            }
            try await store.expirePending(provider: body.provider, providerDriverID: body.providerDriverId, driverID: call.driverID, at: call.now)
            let link = try await store.insertPending(id: UUID(), provider: body.provider, providerDriverID: body.providerDriverId,
                                                     driverID: call.driverID, codeHash: Self.hash(code),
                                                     expiresAt: call.now.addingTimeInterval(Self.codeLifetime), at: call.now)
            try await Audit.record("work_providers.link_requested", AuditObject("link", link.id, driver: call.driverID),
                                   after: .object(["provider": .string(body.provider), "provider_driver_id": .string(body.providerDriverId)]),
                                   on: transaction)
            return link
        }
        return try .json(LinkDTO(link, now: call.now, code: code), status: .created)
    }

    func listLinks(_ call: Call) async throws -> HTTPResponse {
        let page = try PageRequest(query: call.request.query)
        let (links, next) = page.page(try await store.links(driverID: call.driverID, page: page)) {
            PageRequest.Cursor(createdAt: $0.createdAt, id: $0.id)
        }
        return try .json(ListResponse(data: links.map { LinkDTO($0, now: call.now) }, nextCursor: next))
    }

    struct ConfirmationBody: Decodable {
        let providerDriverId: String
        let linkCode: String
    }

    /// The code, checked in constant time against each pending request's hash, on the
    /// requesting driver's clock; a match activates that link (events kept so far now apply).
    func confirmLink(_ call: Call) async throws -> HTTPResponse {
        guard case .workProvider(let provider) = call.context.caller else { throw AppError.unauthorized("not a work provider") }
        let body = try call.body(ConfirmationBody.self)
        let offered = Self.hash(body.linkCode.uppercased())
        enum Outcome { case linked(WorkProviderLink, now: Date), wrongCode }
        let outcome: Outcome = try await app.database.withTransaction { transaction in
            let store = WorkProvidersStore(database: transaction)
            let pending = try await store.pending(provider: provider, providerDriverID: body.providerDriverId)
            guard pending.allSatisfy({ $0.attempts < Self.maxCodeAttempts }) else { return .wrongCode }
            for candidate in pending where Digest.constantTimeEquals(Array(candidate.codeHash), Array(offered)) {
                let now = try await identity.now(for: candidate.link.driverID, on: transaction)
                guard candidate.link.status(at: now) == .pending else { continue }
                if try await store.activeLink(provider: provider, providerDriverID: body.providerDriverId) != nil {
                    throw AppError.conflict("this \(provider) account is already linked to a driver")
                }
                do {
                    let active = try await transaction.withTransaction { savepoint in
                        try await WorkProvidersStore(database: savepoint).activate(candidate.link.id, at: now)
                    }
                    try await Audit.record("work_providers.link_confirmed", AuditObject("link", active.id, driver: active.driverID),
                                           before: .object(["status": .string("pending")]), after: .object(["status": .string("active")]),
                                           on: transaction)
                    // Events kept for this account before the link now apply to the driver.
                    try await jobs.enqueue(WorkProviders.eventJob, payload: try PostgresJSON(encoding: [
                        "provider": provider, "provider_driver_id": body.providerDriverId]), on: transaction)
                    return .linked(active, now: now)
                } catch let error as PostgresError where error.isUniqueViolation {
                    throw AppError.conflict("this driver or this \(provider) account is already linked")
                }
            }
            try await store.recordFailedAttempt(provider: provider, providerDriverID: body.providerDriverId)
            try await Audit.record("work_providers.link_code_refused", AuditObject("provider_account", "\(provider):\(body.providerDriverId)"),
                                   on: transaction)
            return .wrongCode
        }
        switch outcome {
        case .linked(let link, let now): return try .json(LinkDTO(link, now: now))
        case .wrongCode:
            throw AppError.invalid("the link code is wrong or has expired",
                                   fields: [FieldError(field: "link_code", message: "does not match a pending request for this account")])
        }
    }

    struct EventBody: Decodable {
        let eventId: String
        let providerDriverId: String
        let type: String
        let occurredAt: Date
        let shiftId: String?
    }

    /// Stored once and queued for the cover engine; "late" and "future" are judged on the
    /// linked driver's clock.
    func receiveEvent(_ call: Call) async throws -> HTTPResponse {
        guard case .workProvider(let provider) = call.context.caller else { throw AppError.unauthorized("not a work provider") }
        let body = try call.body(EventBody.self)
        var now = app.clock.now()
        if let driverID = try await WorkProviders(app: app).driverID(provider: provider, providerDriverID: body.providerDriverId) {
            now = try await identity.now(for: driverID)
        }
        if body.occurredAt > now.addingTimeInterval(WorkProviders.maximumLead) {
            throw AppError.invalid("the event is more than 5 minutes in the future",
                                   fields: [FieldError(field: "occurred_at", message: "must not be more than 5 minutes ahead")])
        }
        if body.occurredAt < now.addingTimeInterval(-WorkProviders.maximumLateness) {
            throw AppError.invalid("the event is more than 24 hours old",
                                   fields: [FieldError(field: "occurred_at", message: "must be within the last 24 hours")])
        }
        let accepted = try await app.database.withTransaction { transaction in
            guard try await WorkProvidersStore(database: transaction).insertEvent(
                provider: provider, eventID: body.eventId, providerDriverID: body.providerDriverId, type: body.type,
                shiftID: body.shiftId, occurredAt: body.occurredAt) else { return false }
            let driverID = try await WorkProvidersStore(database: transaction).activeLink(provider: provider, providerDriverID: body.providerDriverId)?.driverID
            try await Audit.record("work_providers.event_received",
                                   AuditObject("provider_event", "\(provider):\(body.eventId)",
                                               owner: driverID.map { ("driver", $0.uuidString.lowercased()) }),
                                   after: .object(["type": .string(body.type), "provider_driver_id": .string(body.providerDriverId),
                                                   "occurred_at": .string(RFC3339.format(body.occurredAt)),
                                                   "shift_id": body.shiftId.map(JSONValue.string) ?? .null]), on: transaction)
            try await jobs.enqueue(WorkProviders.eventJob,
                                   payload: try PostgresJSON(encoding: ["provider": provider, "provider_driver_id": body.providerDriverId]),
                                   uniqueKey: "event:\(provider):\(body.eventId)", on: transaction)
            return true
        }
        struct Accepted: Encodable {
            let accepted = true
            let duplicate: Bool
        }
        return try .json(Accepted(duplicate: !accepted), status: .accepted)
    }

    /// 8 characters of Crockford base32 (no I, L, O, U: easy to read out and type).
    static func newCode() -> String {
        let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
        return String(Digest.randomBytes(8).map { alphabet[Int($0) % 32] })
    }

    static func hash(_ code: String) -> Data { Data(Digest.sha256(Array(code.utf8))) }
}
