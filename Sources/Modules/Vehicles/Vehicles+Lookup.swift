import AppKernel
public import Foundation

extension Vehicles {
    /// Vehicles with this registration (any format: normalised first), newest first: whose
    /// vehicle was it, for "was covered at T" by registration.
    public func vehicles(registration: String) async throws -> [Vehicle] {
        guard let normalized = Vehicle.normalizedRegistration(registration) else { return [] }
        return try await VehiclesStore(database: app.database).matching(registration: normalized, id: nil)
    }
}
