public import AppKernel
public import Foundation
public import HTTPServer
import Postgres

/// What underwriting looks at.
public struct Applicant: Sendable {
    public let age: Int
    public let licenceType: String
    public let licenceYears: Int
    public let postcodeDistrict: String
    public let vehicleType: String
    public let vehicleAgeYears: Int
    public let vehicleValueAmount: Int64

    public init(age: Int, licenceType: String, licenceYears: Int, postcodeDistrict: String, vehicleType: String,
                vehicleAgeYears: Int, vehicleValueAmount: Int64) {
        self.age = age
        self.licenceType = licenceType
        self.licenceYears = licenceYears
        self.postcodeDistrict = postcodeDistrict
        self.vehicleType = vehicleType
        self.vehicleAgeYears = vehicleAgeYears
        self.vehicleValueAmount = vehicleValueAmount
    }
}

/// One reason for a decline; a decline lists every reason that applies.
public struct DeclineReason: Sendable, Equatable, Codable {
    public let code: String
    public let message: String
}

/// A decline, answered as 422 with `type` ending `/declined` and `reasons`.
public struct Declined: ResponseError {
    public let reasons: [DeclineReason]
    public var status: HTTPStatus { .unprocessableContent }
    public var problemSlug: String { "declined" }
    public var title: String { "Declined" }
    public var detail: String { "we cannot offer cover: " + reasons.map(\.message).joined(separator: "; ") }
    public var extensionMembers: [String: JSONValue] {
        ["reasons": .array(reasons.map { .object(["code": .string($0.code), "message": .string($0.message)]) })]
    }
}

/// A version of the acceptance rules.
struct RuleSet: Sendable {
    let version: Int
    let minAge: Int
    let maxAge: Int
    let minLicenceYears: Int
    let refusedLicenceTypes: [String]
    let maxVehicleAgeYears: [String: Int]
    let maxVehicleValueAmount: [String: Int64]
    let excludedPostcodeAreas: [String]

    /// Every rule the applicant breaks (empty: accepted).
    func evaluate(_ applicant: Applicant) -> [DeclineReason] {
        var reasons: [DeclineReason] = []
        if applicant.age < minAge {
            reasons.append(.init(code: "too_young", message: "drivers must be at least \(minAge) years old"))
        }
        if applicant.age > maxAge {
            reasons.append(.init(code: "too_old", message: "drivers must be at most \(maxAge) years old"))
        }
        if refusedLicenceTypes.contains(applicant.licenceType) {
            reasons.append(.init(code: "licence_type_refused", message: "we do not cover \(applicant.licenceType) licence holders"))
        }
        if applicant.licenceYears < minLicenceYears {
            reasons.append(.init(code: "licence_too_recent",
                                 message: "the licence must have been held for at least \(minLicenceYears) year\(minLicenceYears == 1 ? "" : "s")"))
        }
        if let maxAge = maxVehicleAgeYears[applicant.vehicleType], applicant.vehicleAgeYears > maxAge {
            reasons.append(.init(code: "vehicle_too_old", message: "we cover vehicles up to \(maxAge) years old"))
        }
        if let maxValue = maxVehicleValueAmount[applicant.vehicleType], applicant.vehicleValueAmount > maxValue {
            reasons.append(.init(code: "vehicle_value_too_high",
                                 message: "we cover vehicles worth up to \(Money.pence(maxValue).description)"))
        }
        let area = String(applicant.postcodeDistrict.prefix { $0.isLetter })
        if excludedPostcodeAreas.contains(area) {
            reasons.append(.init(code: "area_excluded", message: "we do not offer cover in the \(area) postcode area"))
        }
        return reasons
    }
}

/// The underwriting module's public API.
public struct Underwriting: Sendable {
    let app: AppContext
    public init(app: AppContext) { self.app = app }

    /// Throws `Declined` listing every broken rule; returns the rule set version applied.
    @discardableResult
    public func assess(_ applicant: Applicant, at instant: Date) async throws -> Int {
        let rules = try await UnderwritingStore(database: app.database).ruleSet(at: instant)
        let reasons = rules.evaluate(applicant)
        if !reasons.isEmpty { throw Declined(reasons: reasons) }
        return rules.version
    }
}

