import AppKernel
import Foundation
import HTTPServer
import Identity
import Audit
import Postgres

/// `POST /v1/vehicles`, `GET /v1/vehicles`, `GET /v1/vehicles/{id}`.
struct VehiclesRoutes: Sendable {
    let app: AppContext
    let identity: Identity
    var store: VehiclesStore { VehiclesStore(database: app.database) }

    var endpoints: [Endpoint] {
        let routes = self
        return [
            Endpoint(.post, "/v1/vehicles", id: "addVehicle", "Add a vehicle", tag: "vehicles", access: .driver,
                     body: .json(VehiclesSchemas.newVehicle), bodyLimit: 16 * 1024,
                     responses: [.json(201, "The vehicle", VehiclesSchemas.vehicle.ref),
                                 .problem(409, "You already have a vehicle with that registration")],
                     handler: { try await routes.create($0) }),
            Endpoint(.get, "/v1/vehicles", id: "listVehicles", "The driver's vehicles, newest first", tag: "vehicles", access: .driver,
                     query: QueryParameter.pagination, responses: [.json(200, "A page of vehicles", .page(of: VehiclesSchemas.vehicle))],
                     handler: { try await routes.list($0) }),
            Endpoint(.get, "/v1/vehicles/{id}", id: "getVehicle", "One vehicle", tag: "vehicles", access: .driver,
                     responses: [.json(200, "The vehicle", VehiclesSchemas.vehicle.ref)],
                     handler: { try await routes.show($0) }),
        ]
    }

    struct Body: Decodable {
        let registration: String?
        let type: String?
        let make: String?
        let model: String?
        let year: Int?
        let valueAmount: Int64?
    }

    func create(_ call: Call) async throws -> HTTPResponse {
        let body = try call.body(Body.self)
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
        let thisYear = LocalDate(utcDateOf: call.now).year
        let year = validation.integer(body.year, "year", in: 1950...(thisYear + 1))
        let value = validation.integer(body.valueAmount, "value_amount", in: 1...100_000_000)
        try validation.check()
        guard let registration, let type, let make, let model, let year, let value else { throw AppError.invalid("invalid vehicle") }
        let vehicle = Vehicle(id: UUID(), driverId: call.driverID, registration: registration, type: type, make: make,
                              model: model, year: year, valueAmount: value, createdAt: call.now)
        try await app.database.withTransaction { transaction in
            try await VehiclesStore(database: transaction).insert(vehicle)
            try await Audit.record("vehicles.added", AuditObject("vehicle", vehicle.id, driver: call.driverID),
                                   after: try Audit.snapshot(vehicle), on: transaction)
        }
        return try .json(vehicle, status: .created)
    }

    func list(_ call: Call) async throws -> HTTPResponse {
        let page = try PageRequest(query: call.request.query)
        let (vehicles, next) = page.page(try await store.list(driverID: call.driverID, page: page)) {
            PageRequest.Cursor(createdAt: $0.createdAt, id: $0.id)
        }
        return try .json(ListResponse(data: vehicles, nextCursor: next))
    }

    func show(_ call: Call) async throws -> HTTPResponse {
        let id = try call.id()
        guard let vehicle = try await store.find(id: id, driverID: call.driverID) else {
            throw AppError.notFound("no vehicle \(id.uuidString.lowercased())")
        }
        return try .json(vehicle)
    }
}
