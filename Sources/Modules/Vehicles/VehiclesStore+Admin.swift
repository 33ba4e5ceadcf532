import AppKernel
import Foundation
import Postgres

/// The vehicles schema's queries for the admin.
extension VehiclesStore {
    /// Newest first, `limit + 1` rows after the cursor, optionally of some types.
    func list(types: [String], page: PageRequest) async throws -> [Vehicle] {
        try await database.queryAll("""
            SELECT \(Vehicle.columns) FROM vehicles.vehicles
            WHERE (cardinality(\(types)::text[]) = 0 OR type = ANY(\(types))) \(page.keysetCondition)
            ORDER BY created_at DESC, id DESC LIMIT \(page.fetchLimit)
            """, decode: Vehicle.init(row:))
    }

    func find(id: UUID) async throws -> Vehicle? {
        try await database.queryOptional("SELECT \(Vehicle.columns) FROM vehicles.vehicles WHERE id = \(id)", decode: Vehicle.init(row:))
    }

    /// Vehicles by exact (normalised) registration or id.
    func matching(registration: String?, id: UUID?) async throws -> [Vehicle] {
        try await database.queryAll("SELECT \(Vehicle.columns) FROM vehicles.vehicles WHERE registration = \(registration) OR id = \(id) ORDER BY created_at DESC LIMIT 20",
                                    decode: Vehicle.init(row:))
    }

    func all(driverID: UUID, limit: Int) async throws -> [Vehicle] {
        try await database.queryAll("""
            SELECT \(Vehicle.columns) FROM vehicles.vehicles WHERE driver_id = \(driverID) ORDER BY created_at DESC, id DESC LIMIT \(limit)
            """, decode: Vehicle.init(row:))
    }
}
