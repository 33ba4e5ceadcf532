public import AppKernel
public import Foundation
import HTTPServer
public import Identity
public import Jobs
public import Wallet
import Logging
public import Postgres

/// A shift event from the inbox, for the cover engine.
public struct ProviderShiftEvent: Sendable, Equatable {
    public let provider: String
    public let shiftID: String?
    public let started: Bool
    public let occurredAt: Date
}

/// The work-providers module's public API.
public struct WorkProviders: Sendable {
    /// Job kind run for every accepted event (and every new link): the cover module
    /// registers its handler, which recomputes the driver's sessions.
    public static let eventJob = "cover.apply_provider_events"
    /// How late an event may arrive (PRODUCT.md).
    public static let maximumLateness: TimeInterval = 24 * 3600
    /// How far in the future an event may claim to be.
    public static let maximumLead: TimeInterval = 5 * 60

    let app: AppContext
    public init(app: AppContext) { self.app = app }

    /// The driver's shift events from every linked provider since `since`.
    public func shiftEvents(for driverID: UUID, since: Date, on database: (any PostgresQueryable)? = nil) async throws -> [ProviderShiftEvent] {
        try await (database ?? app.database).queryAll("""
            SELECT e.provider, e.shift_id, e.type, e.occurred_at FROM work_providers.events e
            JOIN work_providers.links l ON l.provider = e.provider AND l.provider_driver_id = e.provider_driver_id
            WHERE l.driver_id = \(driverID) AND e.occurred_at >= \(since)
            """) {
            ProviderShiftEvent(provider: try $0.decode(String.self, at: 0), shiftID: try $0.decode(String?.self, at: 1),
                               started: try $0.decode(String.self, at: 2) == "shift_started", occurredAt: try $0.decode(Date.self, at: 3))
        }
    }

    /// The driver a provider's driver id is linked to, if any.
    public func driverID(provider: String, providerDriverID: String) async throws -> UUID? {
        try await app.database.queryOptional("""
            SELECT driver_id FROM work_providers.links WHERE provider = \(provider) AND provider_driver_id = \(providerDriverID)
            """) { try $0.decode(UUID.self, at: 0) }
    }

    /// The providers a driver works for, with their ids there (for telling them about cover).
    public func links(of driverID: UUID, on database: (any PostgresQueryable)? = nil) async throws -> [(provider: String, providerDriverID: String)] {
        try await (database ?? app.database).queryAll("SELECT provider, provider_driver_id FROM work_providers.links WHERE driver_id = \(driverID)") {
            (try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1))
        }
    }
}

/// `POST /v1/work-provider-links` and `POST /v1/work-providers/{provider}/events`.
public struct WorkProvidersModule: AppModule {
    public static let name = "work_providers"
    let app: AppContext
    let identity: Identity
    let jobs: JobQueue

    public init(app: AppContext, identity: Identity, jobs: JobQueue, pauseListeners: PauseListeners) {
        self.app = app
        self.identity = identity
        self.jobs = jobs
        ProviderNotices(app: app, jobs: jobs).register(pauseListeners)
    }

    struct LinkBody: Decodable {
        let provider: String?
        let providerDriverId: String?
    }

    /// Encoded like every other response, so the driver id has the same form as in `GET /v1/me`.
    struct LinkResponse: Encodable {
        let provider: String
        let providerDriverId: String
        let driverId: UUID
    }

    struct EventBody: Decodable {
        let eventId: String?
        let providerDriverId: String?
        let type: String?
        let occurredAt: Date?
        let shiftId: String?
    }

    public func registerRoutes(on routes: RouteCollector) {
        let app = app, identity = identity, jobs = jobs
        let providers = Dictionary(uniqueKeysWithValues: app.config.workProviders.map { ($0.name, $0) })

        routes.post("/v1/work-provider-links", bodyLimit: 16 * 1024) { request, context in
            let caller = try await identity.authenticate(request, context)
            let body = try JSON.decode(LinkBody.self, from: request)
            var validation = Validation()
            let provider = validation.required(body.provider, "provider")
            if let provider, providers[provider] == nil {
                validation.add("provider", "must be one of \(providers.keys.sorted().joined(separator: ", "))")
            }
            let providerDriverID = validation.text(body.providerDriverId, "provider_driver_id", maxLength: 100)
            try validation.check()
            guard let provider, let providerDriverID else { throw AppError.invalid("invalid link") }
            try await app.database.withTransaction { transaction in
                do {
                    try await transaction.execute("""
                        INSERT INTO work_providers.links (provider, provider_driver_id, driver_id, created_at)
                        VALUES (\(provider), \(providerDriverID), \(caller.driverID), \(caller.context.now))
                        """)
                } catch let error as PostgresError where error.isUniqueViolation {
                    throw AppError.conflict(error.constraint == "links_pkey"
                        ? "this \(provider) account is already linked to a driver" : "you are already linked to \(provider)")
                }
                // Events that arrived before the link (within 24 hours) apply now.
                try await jobs.enqueue(WorkProviders.eventJob, payload: try PostgresJSON(encoding: ["provider": provider, "provider_driver_id": providerDriverID]),
                                       on: transaction)
            }
            return try .json(LinkResponse(provider: provider, providerDriverId: providerDriverID, driverId: caller.driverID),
                             status: .created)
        }

        routes.post("/v1/work-providers/{provider}/events", bodyLimit: 64 * 1024) { request, context in
            guard let provider = providers[try context.parameter("provider")] else {
                throw AppError.notFound("no work provider \(context.parameters["provider"] ?? "")")
            }
            // The signature's 300 s tolerance stays on real time, even for drivers on test clocks.
            do {
                try WebhookSignature.verify(header: request.headers["hourglass-signature"], body: request.body, secret: provider.secret)
            } catch {
                context.logger.notice("rejected work-provider event", metadata: ["provider": "\(provider.name)", "reason": "\(error)"])
                throw AppError.unauthorized("the Hourglass-Signature is missing, wrong or stale")
            }
            let body = try JSON.decode(EventBody.self, from: request)
            var validation = Validation()
            let eventID = validation.text(body.eventId, "event_id", maxLength: 200)
            let providerDriverID = validation.text(body.providerDriverId, "provider_driver_id", maxLength: 100)
            let type = validation.required(body.type, "type")
            if let type, type != "shift_started", type != "shift_ended" {
                validation.add("type", "must be shift_started or shift_ended")
            }
            let occurredAt = validation.required(body.occurredAt, "occurred_at")
            let shiftID = validation.text(body.shiftId, "shift_id", maxLength: 200, required: false)
            try validation.check()
            guard let eventID, let providerDriverID, let type, let occurredAt else { throw AppError.invalid("invalid event") }

            // "Now" is the linked driver's: their test clock in sandbox mode.
            var now = app.clock.now()
            if let driverID = try await WorkProviders(app: app).driverID(provider: provider.name, providerDriverID: providerDriverID) {
                now = try await identity.now(for: driverID)
            }
            if occurredAt > now.addingTimeInterval(WorkProviders.maximumLead) {
                throw AppError.invalid("the event is more than 5 minutes in the future",
                                       fields: [FieldError(field: "occurred_at", message: "must not be more than 5 minutes ahead")])
            }
            if occurredAt < now.addingTimeInterval(-WorkProviders.maximumLateness) {
                throw AppError.invalid("the event is more than 24 hours old",
                                       fields: [FieldError(field: "occurred_at", message: "must be within the last 24 hours")])
            }
            let accepted = try await app.database.withTransaction { transaction in
                let inserted = try await transaction.execute("""
                    INSERT INTO work_providers.events (provider, event_id, provider_driver_id, type, shift_id, occurred_at)
                    VALUES (\(provider.name), \(eventID), \(providerDriverID), \(type), \(shiftID), \(occurredAt))
                    ON CONFLICT (provider, event_id) DO NOTHING
                    """)
                guard inserted == 1 else { return false }
                try await jobs.enqueue(WorkProviders.eventJob,
                                       payload: try PostgresJSON(encoding: ["provider": provider.name, "provider_driver_id": providerDriverID]),
                                       uniqueKey: "event:\(provider.name):\(eventID)", on: transaction)
                return true
            }
            return try .json(["accepted": true, "duplicate": !accepted], status: .accepted)
        }
    }
}
