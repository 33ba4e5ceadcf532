/// CSV (RFC 4180) for exports: every field quoted when it must be, and a field that a
/// spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, carriage return) prefixed with
/// `'` (OWASP's CSV injection advice).
public enum AdminCSV {
    public static func render(header: [String], rows: [[String]]) -> String {
        ([header] + rows).map { $0.map(field).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
    }

    static func field(_ value: String) -> String {
        var text = value
        // A plain number (an amount, a count) stays a number; anything else a spreadsheet could
        // run as a formula does not.
        let number = text.range(of: "^-?[0-9]+(\\.[0-9]+)?$", options: .regularExpression) != nil
        if !number, let first = text.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) { text = "'" + text }
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

import Foundation
