import AppKernel
import Foundation
import Postgres

/// Owns every SQL statement against the `drivers` schema.
struct DriversStore: Sendable {
    let database: any PostgresQueryable

    func insert(_ profile: DriverProfile) async throws {
        try await database.execute("""
            INSERT INTO drivers.drivers (id, full_name, date_of_birth, phone, postcode, licence_number, licence_type,
                                         licence_issued_on, declared_claims, created_at)
            VALUES (\(profile.id), \(profile.fullName), \(profile.dateOfBirth), \(profile.phone), \(profile.postcode),
                    \(profile.licenceNumber), \(profile.licenceType.rawValue), \(profile.licenceIssuedOn),
                    \(Int32(profile.declaredClaims)), \(profile.createdAt))
            """)
    }

    func find(id: UUID) async throws -> DriverProfile? {
        try await database.queryOptional("SELECT \(DriverProfile.columns) FROM drivers.drivers WHERE id = \(id)",
                                         decode: DriverProfile.init(row:))
    }
}
