import AppKernel
import Foundation
import Postgres

/// Owns every SQL statement against the `vehicles` schema.
struct VehiclesStore: Sendable {
    let database: any PostgresQueryable

    func insert(_ vehicle: Vehicle) async throws {
        do {
            try await database.execute("""
                INSERT INTO vehicles.vehicles (id, driver_id, registration, type, make, model, year, value_amount, created_at)
                VALUES (\(vehicle.id), \(vehicle.driverId), \(vehicle.registration), \(vehicle.type.rawValue), \(vehicle.make),
                        \(vehicle.model), \(Int32(vehicle.year)), \(vehicle.valueAmount), \(vehicle.createdAt))
                """)
        } catch let error as PostgresError where error.isUniqueViolation {
            throw AppError.conflict("you have already added the vehicle \(vehicle.registration)")
        }
    }

    /// A vehicle only if it belongs to `driverID` (another driver's vehicle does not exist for them).
    func find(id: UUID, driverID: UUID) async throws -> Vehicle? {
        try await database.queryOptional(
            "SELECT \(Vehicle.columns) FROM vehicles.vehicles WHERE id = \(id) AND driver_id = \(driverID)",
            decode: Vehicle.init(row:))
    }

    /// Newest first, `limit + 1` rows after the cursor.
    func list(driverID: UUID, page: PageRequest) async throws -> [Vehicle] {
        try await database.queryAll("""
            SELECT \(Vehicle.columns) FROM vehicles.vehicles WHERE driver_id = \(driverID) \(page.keysetCondition)
            ORDER BY created_at DESC, id DESC LIMIT \(page.fetchLimit)
            """, decode: Vehicle.init(row:))
    }
}
