import AppKernel
import Foundation
import HTTPServer
import Identity

/// `POST /v1/vehicles`, `GET /v1/vehicles`, `GET /v1/vehicles/{id}`.
struct VehicleRoutes: Sendable {
    let app: AppContext
    let identity: Identity
    var store: VehicleStore { VehicleStore(database: app.database) }

    struct Body: Decodable {
        let registration: String?
        let type: String?
        let make: String?
        let model: String?
        let year: Int?
        let valueAmount: Int64?
    }

    func create(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        let caller = try await identity.authenticate(request, context)
        let body = try JSON.decode(Body.self, from: request)
        var validation = Validation()
        let registration = validation.required(body.registration, "registration").flatMap { text in
            Vehicle.normalizedRegistration(text) ?? {
                validation.add("registration", "must be a UK registration mark, e.g. AB12 CDE")
                return nil
            }()
        }
        let type = validation.oneOf(body.type, "type", as: VehicleType.self)
        let make = validation.text(body.make, "make", maxLength: 50)
        let model = validation.text(body.model, "model", maxLength: 50)
        let thisYear = LocalDate(utcDateOf: caller.context.now).year
        let year = validation.integer(body.year, "year", in: 1950...(thisYear + 1))
        let value = validation.integer(body.valueAmount, "value_amount", in: 1...100_000_000)
        try validation.check()
        guard let registration, let type, let make, let model, let year, let value else { throw AppError.invalid("invalid vehicle") }
        let vehicle = Vehicle(id: UUID(), driverId: caller.driverID, registration: registration, type: type, make: make,
                              model: model, year: year, valueAmount: value, createdAt: caller.context.now)
        try await store.insert(vehicle)
        return try .json(vehicle, status: .created)
    }

    func list(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        let caller = try await identity.authenticate(request, context)
        let page = try PageRequest(query: request.query)
        let (vehicles, next) = page.page(try await store.list(driverID: caller.driverID, page: page)) {
            PageRequest.Cursor(createdAt: $0.createdAt, id: $0.id)
        }
        return try .json(ListResponse(data: vehicles, nextCursor: next))
    }

    func show(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        let caller = try await identity.authenticate(request, context)
        let id = try context.uuidParameter("id")
        guard let vehicle = try await store.find(id: id, driverID: caller.driverID) else {
            throw AppError.notFound("no vehicle \(id.uuidString.lowercased())")
        }
        return try .json(vehicle)
    }
}
