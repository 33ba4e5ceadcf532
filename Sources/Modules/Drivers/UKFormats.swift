/// UK formats for driver data, normalised on the way in (one canonical spelling in the database).
enum UKFormats {
    /// `sw1a1aa` → `SW1A 1AA`; nil unless a valid UK postcode shape.
    static func postcode(_ input: String) -> String? {
        let text = input.trimmingCharacters(in: .whitespaces).uppercased()
        guard text.range(of: "^[A-Z]{1,2}[0-9][A-Z0-9]? *[0-9][A-Z]{2}$", options: .regularExpression) != nil else { return nil }
        let compact = text.filter { $0 != " " }
        return String(compact.dropLast(3)) + " " + String(compact.suffix(3))
    }

    /// What `postcode` accepts, for the API document: outward code (A9, A99, AA9, AA99, A9A,
    /// AA9A), spaces, inward code (9AA), any case. (Not GIR 0AA, a non-geographic code no
    /// driver lives at, which the database's CHECK refuses too.)
    static let postcodePattern = "^[A-Za-z]{1,2}[0-9][A-Za-z0-9]? *[0-9][A-Za-z]{2}$"

    /// The outward code (district) of a normalised postcode: `SW1A 1AA` → `SW1A`.
    static func district(of postcode: String) -> String { String(postcode.split(separator: " ")[0]) }

    /// `07700 900123`, `+44 7700 900123`, `0044 (0)7700-900123` → `+447700900123`.
    static func phone(_ input: String) -> String? {
        var digits = input.filter { !" -().".contains($0) }
        if digits.hasPrefix("+44") {
            digits.removeFirst(3)
        } else if digits.hasPrefix("0044") {
            digits.removeFirst(4)
        } else if digits.hasPrefix("0") {
            digits.removeFirst()
        } else {
            return nil
        }
        if digits.hasPrefix("0") { digits.removeFirst() }  // "+44 (0)7700…"
        guard (9...10).contains(digits.count), digits.allSatisfy({ $0.isASCII && $0.isNumber }), digits.first != "0" else { return nil }
        return "+44" + digits
    }

    /// A DVLA driving licence number: 16 characters, `MORGA657054SM9IJ` (surname, date of
    /// birth code, initials, check digit, two letters). Spaces are dropped, letters uppercased.
    static func dvlaLicence(_ input: String) -> String? {
        let compact = input.uppercased().filter { !$0.isWhitespace }
        let characters = Array(compact)
        guard characters.count == 16, characters.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else { return nil }
        let surname = characters[0..<5], birth = characters[5..<11], initials = characters[11..<13]
        guard surname.allSatisfy({ $0.isLetter || $0 == "9" }), birth.allSatisfy(\.isNumber),
              initials.allSatisfy({ $0.isLetter || $0 == "9" }), characters[13].isNumber,
              characters[14...].allSatisfy(\.isLetter)
        else { return nil }
        return compact
    }

    /// Other licences (EU, international): 5–20 letters and digits.
    static func foreignLicence(_ input: String) -> String? {
        let compact = input.uppercased().filter { !$0.isWhitespace && $0 != "-" }
        guard (5...20).contains(compact.count), compact.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else { return nil }
        return compact
    }

    /// A plausible email address, lowercased: one `@`, a dotted domain, no spaces.
    static func email(_ input: String) -> String? {
        let email = input.trimmingCharacters(in: .whitespaces).lowercased()
        guard email.unicodeScalars.count <= 254, email.range(of: emailPattern, options: .regularExpression) != nil else { return nil }
        return email
    }

    /// A local part of 1 to 64 characters without spaces, controls or `@`, then a domain of at
    /// least two labels of ASCII letters, digits and inner hyphens (at most 63 each).
    static let emailPattern = "^[^@\\u0000-\\u0020\\u007F-\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]{1,64}"
        + "@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$"
}

import Foundation
