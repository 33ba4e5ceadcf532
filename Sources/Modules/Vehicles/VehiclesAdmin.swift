public import AdminUI
public import AppKernel
import Audit
public import Foundation
import HTTPServer

/// Vehicles in the admin: the list (by type), one vehicle's page with its history, search by
/// registration (normalised) or id, and driver 360's Vehicles section.
public struct VehiclesAdmin: AdminSection {
    let app: AppContext
    var store: VehiclesStore { VehiclesStore(database: app.database) }

    public var navigation: [AdminNavItem] { [AdminNavItem("Vehicles", "/admin/vehicles", group: "Drivers")] }

    public var pages: [AdminPage] {
        [
            .get("/admin/vehicles", .read) { try await list($0) },
            .get("/admin/vehicles/{id}", .read) { try await show($0) },
        ]
    }

    func list(_ request: AdminRequest) async throws -> AdminResponse {
        let page = try PageRequest(query: request.query["cursor"].map { "cursor=\($0)" })
        let rows = try await store.list(types: request.query.all("type"), page: page)
        let (vehicles, next) = page.page(rows) { PageRequest.Cursor(createdAt: $0.createdAt, id: $0.id) }
        let filters = AdminHTML.filters(request, [.init("type", "Type", .choices(VehicleType.allCases.map(\.rawValue)))])
        return .page(AdminView(title: "Vehicles", body: filters + Self.table(vehicles, withDriver: true) + AdminHTML.pager(request, next: next)))
    }

    static func table(_ vehicles: [Vehicle], withDriver: Bool) -> HTML {
        AdminHTML.table(["Registration", "Vehicle", "Year", "Value"] + (withDriver ? ["Driver", "Added"] : ["Added"]), vehicles.map { vehicle in
            var cells: [HTML] = [AdminHTML.link("/admin/vehicles/\(vehicle.id.uuidString.lowercased())", vehicle.registration),
                                 "\(vehicle.make) \(vehicle.model) (\(vehicle.type.rawValue.replacingOccurrences(of: "_", with: " ")))",
                                 "\(vehicle.year)", "\(AdminFormat.money(vehicle.valueAmount, currency: vehicle.currency))"]
            if withDriver { cells.append(AdminHTML.idLink("/admin/drivers/\(vehicle.driverId.uuidString.lowercased())", vehicle.driverId)) }
            cells.append(AdminFormat.time(vehicle.createdAt))
            return cells
        }, empty: "No vehicles.", numeric: [3])
    }

    func show(_ request: AdminRequest) async throws -> AdminResponse {
        guard let vehicle = try await store.find(id: try request.id()) else { throw AppError.notFound("no such vehicle") }
        let id = vehicle.id.uuidString.lowercased()
        let fields = AdminHTML.fields([
            .init("Registration", field: "registration", text: vehicle.registration),
            .init("Type", field: "type", text: vehicle.type.rawValue),
            .init("Make and model", "\(vehicle.make) \(vehicle.model)"),
            .init("Year", field: "year", text: String(vehicle.year)),
            .init("Value", field: "value_amount", text: AdminFormat.money(vehicle.valueAmount, currency: vehicle.currency)),
            .init("Driver", field: "driver_id", AdminHTML.link("/admin/drivers/\(vehicle.driverId.uuidString.lowercased())", vehicle.driverId.uuidString.lowercased())),
            .init("Added", field: "created_at", AdminFormat.time(vehicle.createdAt)),
        ])
        let history = try await Audit.historySection(of: [("vehicle", id)], on: app.database)
        return .page(AdminView(title: "\(vehicle.registration) · \(vehicle.make) \(vehicle.model)",
                               body: AdminHTML.section("Vehicle", fields) + history,
                               crumbs: [("Vehicles", "/admin/vehicles"), ("Driver", "/admin/drivers/\(vehicle.driverId.uuidString.lowercased())")]))
    }

    public func search(_ query: AdminSearchQuery) async throws -> [AdminSearchHit] {
        let registration = Vehicle.normalizedRegistration(query.text)
        guard registration != nil || query.uuid != nil else { return [] }
        return try await store.matching(registration: registration, id: query.uuid).map { vehicle in
            AdminSearchHit(type: "Vehicles", title: vehicle.registration, facts: "\(vehicle.make) \(vehicle.model), \(vehicle.year)",
                           path: "/admin/vehicles/\(vehicle.id.uuidString.lowercased())")
        }
    }

    public func driver360(_ driverID: UUID, _ request: AdminRequest) async throws -> AdminDriverContribution {
        let vehicles = try await store.all(driverID: driverID, limit: 10)
        return AdminDriverContribution(panels: [AdminPanel(order: 30, AdminHTML.section("Vehicles", id: "vehicles",
                                                                                           Self.table(vehicles, withDriver: false)))])
    }
}
