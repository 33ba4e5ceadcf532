import AppKernel
import Foundation
import Postgres

/// The drivers schema's queries for the admin's lists and search.
extension DriversStore {
    struct ListFilter {
        var name: String?
        var postcode: String?
        var licenceTypes: [String] = []
    }

    /// Newest first, `limit + 1` rows after the cursor.
    func list(_ filter: ListFilter, page: PageRequest) async throws -> [DriverProfile] {
        try await database.queryAll("""
            SELECT \(DriverProfile.columns) FROM drivers.drivers
            WHERE (\(filter.name)::text IS NULL OR full_name ILIKE '%' || \(filter.name) || '%')
              AND (\(filter.postcode)::text IS NULL OR postcode LIKE \(filter.postcode.map { $0 + "%" }))
              AND (cardinality(\(filter.licenceTypes)::text[]) = 0 OR licence_type = ANY(\(filter.licenceTypes)))
              \(page.keysetCondition)
            ORDER BY created_at DESC, id DESC LIMIT \(page.fetchLimit)
            """, decode: DriverProfile.init(row:))
    }

    /// Drivers by exact phone (normalised), licence number, or id.
    func matching(phone: String?, licence: String?, id: UUID?) async throws -> [DriverProfile] {
        try await database.queryAll("""
            SELECT \(DriverProfile.columns) FROM drivers.drivers
            WHERE phone = \(phone) OR licence_number = \(licence) OR id = \(id) LIMIT 20
            """, decode: DriverProfile.init(row:))
    }

    func find(ids: [UUID]) async throws -> [DriverProfile] {
        try await database.queryAll("SELECT \(DriverProfile.columns) FROM drivers.drivers WHERE id = ANY(\(ids))", decode: DriverProfile.init(row:))
    }
}
