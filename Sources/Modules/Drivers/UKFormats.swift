/// UK formats for driver data, normalised on the way in (one canonical spelling in the database).
enum UKFormats {
    /// `sw1a1aa` → `SW1A 1AA`; nil unless a valid UK postcode shape (plus GIR 0AA).
    static func postcode(_ input: String) -> String? {
        let compact = input.uppercased().filter { !$0.isWhitespace }
        if compact == "GIR0AA" { return "GIR 0AA" }
        guard (5...7).contains(compact.count), compact.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else { return nil }
        let outward = Array(compact.dropLast(3))
        let inward = Array(compact.suffix(3))
        guard inward[0].isNumber, inward[1].isLetter, inward[2].isLetter else { return nil }
        // Outward code: A9, A99, AA9, AA99, A9A, AA9A.
        let shape = String(outward.map { $0.isLetter ? "A" : "9" })
        guard ["A9", "A99", "AA9", "AA99", "A9A", "AA9A"].contains(shape) else { return nil }
        return String(outward) + " " + String(inward)
    }

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
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard email.utf8.count <= 254, parts.count == 2, (1...64).contains(parts[0].count),
              !email.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.properties.generalCategory == .control })
        else { return nil }
        let labels = parts[1].split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.allSatisfy({ label in
            !label.isEmpty && label.count <= 63 && label.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") })
                && label.first != "-" && label.last != "-"
        }) else { return nil }
        return email
    }
}

import Foundation
