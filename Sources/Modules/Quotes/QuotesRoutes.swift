import AppKernel
import Drivers
import Foundation
import HTTPServer
import Identity
import Rating
import Underwriting
import Vehicles
import Audit
import Postgres

/// `POST /v1/quotes` and `GET /v1/quotes/{id}`.
struct QuotesRoutes: Sendable {
    let app: AppContext
    let identity: Identity

    /// How far ahead an hourly block may start (PRODUCT.md).
    static let maxLeadTime: TimeInterval = 7 * 24 * 3600
    /// A requested start this little in the past counts as "now" (clock skew, typing time).
    static let startGrace: TimeInterval = 5 * 60

    var endpoints: [Endpoint] {
        let routes = self
        return [
            Endpoint(.post, "/v1/quotes", id: "createQuote", "Get a quote: underwritten and priced", tag: "quotes", access: .driver,
                     body: .json(QuotesSchemas.newQuote), bodyLimit: 16 * 1024,
                     responses: [.json(201, "The quote", QuotesSchemas.quote.ref),
                                 .problem(404, "No such vehicle of yours"),
                                 .problem(422, "Invalid fields, or declined (type ends /declined, every reason in `reasons`)")],
                     handler: { try await routes.create($0) }),
            Endpoint(.get, "/v1/quotes/{id}", id: "getQuote", "One quote", tag: "quotes", access: .driver,
                     responses: [.json(200, "The quote", QuotesSchemas.quote.ref)],
                     handler: { try await routes.show($0) }),
        ]
    }

    struct Body: Decodable {
        let vehicleId: UUID?
        let product: String?
        let usage: String?
        let hours: Int?
        let startsAt: Date?
    }

    func create(_ call: Call) async throws -> HTTPResponse {
        let now = call.now
        let body = try call.body(Body.self)
        var validation = Validation()
        let vehicleID = validation.required(body.vehicleId, "vehicle_id")
        let product = validation.oneOf(body.product, "product", as: Product.self)
        let usage = validation.oneOf(body.usage, "usage", as: Usage.self)
        var hours: Int?
        var startsAt: Date?
        if product == .hourly {
            hours = validation.required(body.hours, "hours")
            startsAt = body.startsAt ?? now
            if let start = startsAt {
                if start < now.addingTimeInterval(-Self.startGrace) { validation.add("starts_at", "must not be in the past") }
                if start > now.addingTimeInterval(Self.maxLeadTime) { validation.add("starts_at", "must be within 7 days") }
                if start < now { startsAt = now }
            }
        } else if product == .payg {
            if body.hours != nil { validation.add("hours", "applies only to hourly cover") }
            if body.startsAt != nil { validation.add("starts_at", "applies only to hourly cover") }
        }
        try validation.check()
        guard let vehicleID, let product, let usage else { throw AppError.invalid("invalid quote request") }

        guard let vehicle = try await Vehicles(app: app).vehicle(vehicleID, ownedBy: call.driverID) else {
            throw AppError.notFound("no vehicle \(vehicleID.uuidString.lowercased())")
        }
        guard let driver = try await Drivers(app: app).profile(call.driverID) else {
            throw AppError.notFound("no driver profile for this account")
        }
        // Eligibility and price are judged on the day cover starts.
        let coverDay = LocalDate(utcDateOf: startsAt ?? now)
        let licenceYears = driver.licenceIssuedOn.wholeYears(until: coverDay)
        let applicant = Applicant(
            age: driver.dateOfBirth.wholeYears(until: coverDay), licenceType: driver.licenceType.rawValue,
            licenceYears: licenceYears, postcodeDistrict: driver.postcodeDistrict, vehicleType: vehicle.type.rawValue,
            vehicleAgeYears: max(0, coverDay.year - vehicle.year), vehicleValueAmount: vehicle.valueAmount)
        let underwritingVersion: Int
        do {
            underwritingVersion = try await Underwriting(app: app).assess(applicant, at: now)
        } catch let declined as Declined {
            // Kept with every reason, and on the trail, before the driver is told.
            let declineID = UUID()
            try await app.database.withTransaction { transaction in
                try await QuotesStore(database: transaction).insertDecline(
                    id: declineID, driverID: call.driverID, vehicleID: vehicle.id, product: product.rawValue, usage: usage.rawValue,
                    reasons: declined.reasons, at: now)
                try await Audit.record("quotes.declined", AuditObject("quote_decline", declineID, driver: call.driverID),
                                       after: .object(["reasons": .array(declined.reasons.map { .string($0.code) }),
                                                       "vehicle_id": .string(vehicle.id.uuidString.lowercased())]), on: transaction)
            }
            throw declined
        }
        let price = try await Rating(app: app).price(
            RatingFacts(vehicleType: vehicle.type.rawValue, age: applicant.age, licenceYears: licenceYears,
                        postcodeDistrict: driver.postcodeDistrict, usage: usage.rawValue, declaredClaims: driver.declaredClaims),
            at: now)
        let quote = Quote(id: UUID(), driverID: call.driverID, vehicleID: vehicle.id, product: product, usage: usage,
                          hours: hours, startsAt: startsAt, price: price, underwritingVersion: underwritingVersion, now: now)
        try await app.database.withTransaction { transaction in
            try await QuotesStore(database: transaction).insert(quote)
            try await Audit.record("quotes.created", AuditObject("quote", quote.id, driver: call.driverID),
                                   after: try Audit.snapshot(QuoteDTO(quote, now: now)), on: transaction)
        }
        return try .json(QuoteDTO(quote, now: now), status: .created)
    }

    func show(_ call: Call) async throws -> HTTPResponse {
        let id = try call.id()
        guard let quote = try await QuotesStore(database: app.database).find(id: id, driverID: call.driverID) else {
            throw AppError.notFound("no quote \(id.uuidString.lowercased())")
        }
        return try .json(QuoteDTO(quote, now: call.now))
    }
}
