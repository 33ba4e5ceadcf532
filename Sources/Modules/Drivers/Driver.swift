public import AppKernel
public import Foundation
import Postgres

/// Licence kinds (PRODUCT.md).
public enum LicenceType: String, Sendable, CaseIterable, Codable {
    case full, provisional, eu, international
}

/// A driver's profile as the rest of the system sees it.
public struct DriverProfile: Sendable, Equatable {
    public let id: UUID
    public let fullName: String
    public let dateOfBirth: LocalDate
    public let phone: String
    public let postcode: String
    public let licenceNumber: String
    public let licenceType: LicenceType
    public let licenceIssuedOn: LocalDate
    public let declaredClaims: Int
    public let createdAt: Date

    /// The postcode district (outward code), e.g. `E1` for `E1 6AN`.
    public var postcodeDistrict: String { UKFormats.district(of: postcode) }

    static let columns: SQL = "id, full_name, date_of_birth, phone, postcode, licence_number, licence_type, licence_issued_on, declared_claims, created_at"

    init(row: PostgresRow) throws {
        id = try row.decode(UUID.self, at: 0)
        fullName = try row.decode(String.self, at: 1)
        dateOfBirth = try row.decode(LocalDate.self, at: 2)
        phone = try row.decode(String.self, at: 3)
        postcode = try row.decode(String.self, at: 4)
        licenceNumber = try row.decode(String.self, at: 5)
        guard let type = LicenceType(rawValue: try row.decode(String.self, at: 6)) else {
            throw PostgresError(code: .decoding, message: "unknown licence type")
        }
        licenceType = type
        licenceIssuedOn = try row.decode(LocalDate.self, at: 7)
        declaredClaims = Int(try row.decode(Int32.self, at: 8))
        createdAt = try row.decode(Date.self, at: 9)
    }

    init(id: UUID, fullName: String, dateOfBirth: LocalDate, phone: String, postcode: String, licenceNumber: String,
         licenceType: LicenceType, licenceIssuedOn: LocalDate, declaredClaims: Int, createdAt: Date) {
        self.id = id
        self.fullName = fullName
        self.dateOfBirth = dateOfBirth
        self.phone = phone
        self.postcode = postcode
        self.licenceNumber = licenceNumber
        self.licenceType = licenceType
        self.licenceIssuedOn = licenceIssuedOn
        self.declaredClaims = declaredClaims
        self.createdAt = createdAt
    }
}

/// The driver object of the API.
struct DriverDTO: Encodable {
    let id: UUID
    let email: String
    let fullName: String
    let dateOfBirth: LocalDate
    let phone: String
    let postcode: String
    let licenceNumber: String
    let licenceType: LicenceType
    let licenceIssuedOn: LocalDate
    let declaredClaims: Int
    let testClockId: UUID?
    let createdAt: Date

    init(_ profile: DriverProfile, email: String, testClockID: UUID?) {
        id = profile.id
        self.email = email
        fullName = profile.fullName
        dateOfBirth = profile.dateOfBirth
        phone = profile.phone
        postcode = profile.postcode
        licenceNumber = profile.licenceNumber
        licenceType = profile.licenceType
        licenceIssuedOn = profile.licenceIssuedOn
        declaredClaims = profile.declaredClaims
        testClockId = testClockID
        createdAt = profile.createdAt
    }
}
