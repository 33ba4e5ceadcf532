import AppKernel
public import Foundation
import Postgres

public enum VehicleType: String, Sendable, CaseIterable, Codable {
    case bicycle, eScooter = "e_scooter", motorcycle, car, van
}

/// A driver's vehicle.
public struct Vehicle: Sendable, Equatable, Encodable {
    public let id: UUID
    public let driverId: UUID
    public let registration: String
    public let type: VehicleType
    public let make: String
    public let model: String
    public let year: Int
    public let valueAmount: Int64
    public let currency: String
    public let createdAt: Date

    static let columns: SQL = "id, driver_id, registration, type, make, model, year, value_amount, currency, created_at"

    init(row: PostgresRow) throws {
        id = try row.decode(UUID.self, at: 0)
        driverId = try row.decode(UUID.self, at: 1)
        registration = try row.decode(String.self, at: 2)
        guard let type = VehicleType(rawValue: try row.decode(String.self, at: 3)) else {
            throw PostgresError(code: .decoding, message: "unknown vehicle type")
        }
        self.type = type
        make = try row.decode(String.self, at: 4)
        model = try row.decode(String.self, at: 5)
        year = Int(try row.decode(Int32.self, at: 6))
        valueAmount = try row.decode(Int64.self, at: 7)
        currency = try row.decode(String.self, at: 8)
        createdAt = try row.decode(Date.self, at: 9)
    }

    init(id: UUID, driverId: UUID, registration: String, type: VehicleType, make: String, model: String, year: Int,
         valueAmount: Int64, createdAt: Date) {
        self.id = id
        self.driverId = driverId
        self.registration = registration
        self.type = type
        self.make = make
        self.model = model
        self.year = year
        self.valueAmount = valueAmount
        currency = "GBP"
        self.createdAt = createdAt
    }

    /// A UK registration mark without spaces, uppercased: `ab12 cde` → `AB12CDE`. Accepts the
    /// current and older formats: 2–8 letters and digits with at least one of each.
    static let registrationPattern = "^[A-Za-z0-9 -]+$"

    static func normalizedRegistration(_ input: String) -> String? {
        let compact = input.uppercased().filter { $0 != " " && $0 != "-" }
        guard (2...8).contains(compact.count), compact.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }),
              compact.contains(where: \.isLetter), compact.contains(where: \.isNumber)
        else { return nil }
        return compact
    }
}
