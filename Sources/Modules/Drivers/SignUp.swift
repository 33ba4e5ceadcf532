import AppKernel
import Foundation

/// The sign-up request: every field optional at the JSON level, so that all missing or
/// invalid fields are reported together.
struct SignUpBody: Decodable {
    let email: String?
    let password: String?
    let fullName: String?
    let dateOfBirth: String?
    let phone: String?
    let postcode: String?
    let licenceNumber: String?
    let licenceType: String?
    let licenceIssuedOn: String?
    let declaredClaims: Int?
    let testClockId: UUID?
}

/// A validated, normalised sign-up.
struct SignUp {
    let email: String
    let password: String
    let fullName: String
    let dateOfBirth: LocalDate
    let phone: String
    let postcode: String
    let licenceNumber: String
    let licenceType: LicenceType
    let licenceIssuedOn: LocalDate
    let declaredClaims: Int
    let testClockID: UUID?

    /// Format checks only: eligibility (age, licence years…) is underwriting's, at quote time.
    init(_ body: SignUpBody, today: LocalDate) throws(AppError) {
        var validation = Validation()
        let email = validation.required(body.email, "email").flatMap { text in
            UKFormats.email(text) ?? { validation.add("email", "must be a valid email address"); return nil }()
        }
        let password = validation.required(body.password, "password").flatMap { text -> String? in
            guard (10...128).contains(text.unicodeScalars.count) else {  // as the schema counts
                validation.add("password", "must be 10 to 128 characters")
                return nil
            }
            return text
        }
        let fullName = validation.text(body.fullName, "full_name", maxLength: 100)
        let dateOfBirth = validation.date(body.dateOfBirth, "date_of_birth")
        if let dateOfBirth, !(16...120).contains(dateOfBirth.wholeYears(until: today)) {
            validation.add("date_of_birth", "must make you between 16 and 120 years old")
        }
        let phone = validation.required(body.phone, "phone").flatMap { text in
            UKFormats.phone(text) ?? { validation.add("phone", "must be a UK phone number, e.g. 07700 900123"); return nil }()
        }
        let postcode = validation.required(body.postcode, "postcode").flatMap { text in
            UKFormats.postcode(text) ?? { validation.add("postcode", "must be a UK postcode, e.g. SW1A 1AA"); return nil }()
        }
        let licenceType = validation.oneOf(body.licenceType, "licence_type", as: LicenceType.self)
        let licenceNumber = validation.required(body.licenceNumber, "licence_number").flatMap { text -> String? in
            switch licenceType {
            case .full?, .provisional?:
                return UKFormats.dvlaLicence(text) ?? {
                    validation.add("licence_number", "must be a 16-character DVLA licence number")
                    return nil
                }()
            case .eu?, .international?:
                return UKFormats.foreignLicence(text) ?? {
                    validation.add("licence_number", "must be 5 to 20 letters and digits")
                    return nil
                }()
            case nil:
                return nil
            }
        }
        let licenceIssuedOn = validation.date(body.licenceIssuedOn, "licence_issued_on")
        if let licenceIssuedOn {
            if licenceIssuedOn > today { validation.add("licence_issued_on", "must not be in the future") }
            if let dateOfBirth, licenceIssuedOn.wholeYears(since: dateOfBirth) < 15 {
                validation.add("licence_issued_on", "must be at least 15 years after date_of_birth")
            }
        }
        let declaredClaims = validation.integer(body.declaredClaims ?? 0, "declared_claims", in: 0...20)
        try validation.check()
        guard let email, let password, let fullName, let dateOfBirth, let phone, let postcode, let licenceType,
              let licenceNumber, let licenceIssuedOn, let declaredClaims
        else { throw .invalid("some fields are invalid") }
        self.email = email
        self.password = password
        self.fullName = fullName
        self.dateOfBirth = dateOfBirth
        self.phone = phone
        self.postcode = postcode
        self.licenceType = licenceType
        self.licenceNumber = licenceNumber
        self.licenceIssuedOn = licenceIssuedOn
        self.declaredClaims = declaredClaims
        self.testClockID = body.testClockId
    }
}

extension LocalDate {
    /// Whole years from `earlier` to `self`.
    func wholeYears(since earlier: LocalDate) -> Int { earlier.wholeYears(until: self) }
}
