/// Turns each record of a settlement report into a row of COPY text for
/// `reconciliation.staged_lines`, checking it on the way: a record that is not a valid line
/// stops the import with its line number (nothing is written; the whole run rolls back).
struct SettlementRowEncoder {
    let columns: SettlementColumns
    /// COPY text waiting to be sent.
    var output: [UInt8] = []
    private(set) var lineCount = 0

    init(columns: SettlementColumns) {
        self.columns = columns
        output.reserveCapacity(1 << 22)
    }

    mutating func append(_ record: SettlementCSV.Record) throws(SettlementCSVError) {
        let line = record.lineNumber
        guard record.count == columns.count else {
            throw SettlementCSVError(line: line, message: "\(record.count) columns where the header has \(columns.count)")
        }
        let currencyField = record.field(columns.currency)
        guard currencyField.count == 3, currencyField.allSatisfy({ Self.isLetter($0) }) else {
            throw SettlementCSVError(line: line, message: "currency \"\(Self.text(currencyField))\" is not a three-letter code")
        }
        let upper = (currencyField[currencyField.startIndex] & 0xDF, currencyField[currencyField.startIndex + 1] & 0xDF,
                     currencyField[currencyField.startIndex + 2] & 0xDF)
        let currency = Self.currencyName(upper)
        let exponent = CurrencyExponent.of(currency)
        func amount(_ index: Int, _ name: String) throws(SettlementCSVError) -> Int64 {
            guard let value = Self.minorUnits(record.field(index), exponent: exponent) else {
                throw SettlementCSVError(line: line, message: "\(name) \"\(Self.text(record.field(index)))\" is not an amount in \(currency) "
                                         + "(major units with at most \(exponent) decimals)")
            }
            return value
        }
        let gross = try amount(columns.gross, "gross"), fee = try amount(columns.fee, "fee"), net = try amount(columns.net, "net")
        guard gross - fee == net else {
            throw SettlementCSVError(line: line, message: "net is not gross minus fee")
        }
        let balanceTransaction = record.field(columns.balanceTransactionID)
        guard !balanceTransaction.isEmpty else { throw SettlementCSVError(line: line, message: "balance_transaction_id is empty") }
        let payout = record.field(columns.payoutID)
        guard !payout.isEmpty else { throw SettlementCSVError(line: line, message: "automatic_payout_id is empty") }
        let category = record.field(columns.category)
        guard !category.isEmpty else { throw SettlementCSVError(line: line, message: "reporting_category is empty") }

        lineCount += 1
        appendNumber(Int64(line)); tab()
        appendText(payout); tab()
        try appendTime(columns.payoutEffectiveAt.map { record.field($0) }, required: false, "automatic_payout_effective_at_utc", line); tab()
        appendText(balanceTransaction); tab()
        try appendTime(record.field(columns.createdAt), required: true, "created_utc", line); tab()
        try appendTime(columns.availableOn.map { record.field($0) }, required: false, "available_on_utc", line); tab()
        output.append(upper.0); output.append(upper.1); output.append(upper.2); tab()
        appendNumber(gross); tab()
        appendNumber(fee); tab()
        appendNumber(net); tab()
        appendText(category); tab()
        appendOptionalText(columns.sourceID.map { record.field($0) }); tab()
        appendOptionalText(columns.description.map { record.field($0) }); tab()
        appendOptionalText(columns.paymentIntentID.map { record.field($0) }); tab()
        // Only a well-formed UUID can be one of ours; anything else in that column is someone else's.
        if let index = columns.hourglassTransactionID, Self.isUUID(record.field(index)) {
            output.append(contentsOf: record.field(index))
        } else {
            output.append(contentsOf: [0x5C, 0x4E])   // \N
        }
        output.append(0x0A)
    }

    // MARK: - Values

    /// "12.50" → 1250 at exponent 2; "-3" → -300; refuses more decimals than the currency has.
    static func minorUnits(_ field: ArraySlice<UInt8>, exponent: Int) -> Int64? {
        var index = field.startIndex
        var negative = false
        if index < field.endIndex, field[index] == UInt8(ascii: "-") { negative = true; index += 1 }
        var whole: Int64 = 0, digits = 0, decimals = 0, fraction: Int64 = 0
        var seenPoint = false
        while index < field.endIndex {
            let byte = field[index]
            if byte == UInt8(ascii: ".") {
                guard !seenPoint, digits > 0 else { return nil }
                seenPoint = true
            } else if byte >= 0x30, byte <= 0x39 {
                if seenPoint {
                    decimals += 1
                    guard decimals <= exponent else { return nil }
                    fraction = fraction * 10 + Int64(byte - 0x30)
                } else {
                    digits += 1
                    guard digits <= 15 else { return nil }   // past 10^15 major units is no card payment
                    whole = whole * 10 + Int64(byte - 0x30)
                }
            } else {
                return nil
            }
            index += 1
        }
        guard digits > 0, !(seenPoint && decimals == 0) else { return nil }
        var scale: Int64 = 1
        for _ in 0..<exponent { scale *= 10 }
        for _ in decimals..<exponent { fraction *= 10 }
        let value = whole * scale + fraction
        return negative ? -value : value
    }

    /// `YYYY-MM-DD HH:MM:SS` (or with `T`, and `Z` or `+00:00` after it), or a date alone, in UTC.
    private mutating func appendTime(_ field: ArraySlice<UInt8>?, required: Bool, _ name: String, _ line: Int) throws(SettlementCSVError) {
        guard let field, !field.isEmpty else {
            if required { throw SettlementCSVError(line: line, message: "\(name) is empty") }
            output.append(contentsOf: [0x5C, 0x4E])
            return
        }
        guard Self.appendUTCTimestamp(field, to: &output) else {
            throw SettlementCSVError(line: line, message: "\(name) \"\(Self.text(field))\" is not a UTC time (YYYY-MM-DD HH:MM:SS)")
        }
    }

    static func utcTimestamp(_ field: ArraySlice<UInt8>) -> [UInt8]? {
        var output: [UInt8] = []
        return appendUTCTimestamp(field, to: &output) ? output : nil
    }

    /// Appends `YYYY-MM-DD HH:MM:SS+00` for a valid UTC time in `field`; false (and nothing
    /// appended) otherwise. Reads the field in place: a million lines, three times each.
    static func appendUTCTimestamp(_ field: ArraySlice<UInt8>, to output: inout [UInt8]) -> Bool {
        let base = field.startIndex, count = field.count
        func digit(_ offset: Int) -> Int? {
            let byte = field[base + offset]
            return byte >= 0x30 && byte <= 0x39 ? Int(byte - 0x30) : nil
        }
        func number(_ from: Int, _ length: Int) -> Int? {
            var value = 0
            for offset in from..<(from + length) {
                guard let d = digit(offset) else { return nil }
                value = value * 10 + d
            }
            return value
        }
        guard count >= 10, field[base + 4] == UInt8(ascii: "-"), field[base + 7] == UInt8(ascii: "-"),
              let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
              (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year) else { return false }
        if count == 10 {
            output.append(contentsOf: field)
            output.append(contentsOf: [0x20, 0x30, 0x30, 0x3A, 0x30, 0x30, 0x3A, 0x30, 0x30, 0x2B, 0x30, 0x30])   // " 00:00:00+00"
            return true
        }
        guard count >= 19, field[base + 10] == UInt8(ascii: " ") || field[base + 10] == UInt8(ascii: "T"),
              field[base + 13] == UInt8(ascii: ":"), field[base + 16] == UInt8(ascii: ":"),
              let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
              hour < 24, minute < 60, second < 60 else { return false }
        let zone = field[(base + 19)...]
        guard zone.isEmpty || Self.utcZones.contains(where: { $0.elementsEqual(zone) }) else { return false }
        output.append(contentsOf: field[base..<(base + 10)])
        output.append(0x20)
        output.append(contentsOf: field[(base + 11)..<(base + 19)])
        output.append(contentsOf: [0x2B, 0x30, 0x30])   // "+00"
        return true
    }

    private static let utcZones: [[UInt8]] = ["Z", "+00:00", "+0000", "+00", " UTC"].map { Array($0.utf8) }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    static func isUUID(_ field: ArraySlice<UInt8>) -> Bool {
        guard field.count == 36 else { return false }
        for (offset, byte) in field.enumerated() {
            if offset == 8 || offset == 13 || offset == 18 || offset == 23 { guard byte == UInt8(ascii: "-") else { return false } } else {
                guard (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x66) else { return false }
            }
        }
        return true
    }

    /// The currency code as a String, made once per code rather than once per line.
    private static func currencyName(_ code: (UInt8, UInt8, UInt8)) -> String {
        if code == (0x47, 0x42, 0x50) { return "GBP" }
        return String(decoding: [code.0, code.1, code.2], as: UTF8.self)
    }

    private static func isLetter(_ byte: UInt8) -> Bool { (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A }

    private static func text(_ field: ArraySlice<UInt8>) -> String { String(decoding: field.prefix(40), as: UTF8.self) }

    // MARK: - COPY text

    private mutating func tab() { output.append(0x09) }

    private mutating func appendNumber(_ value: Int64) {
        if value < 0 { output.append(0x2D) }
        var magnitude = value.magnitude, digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                                                  UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[count] = UInt8(0x30 + magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            for index in stride(from: count - 1, through: 0, by: -1) { output.append(buffer[index]) }
        }
    }

    private mutating func appendOptionalText(_ field: ArraySlice<UInt8>?) {
        guard let field, !field.isEmpty else { output.append(contentsOf: [0x5C, 0x4E]); return }
        appendText(field)
    }

    /// COPY text escapes: backslash, tab, newline, carriage return; a NUL byte is dropped.
    private mutating func appendText(_ field: ArraySlice<UInt8>) {
        for byte in field {
            switch byte {
            case 0x5C: output.append(contentsOf: [0x5C, 0x5C])
            case 0x09: output.append(contentsOf: [0x5C, 0x74])
            case 0x0A: output.append(contentsOf: [0x5C, 0x6E])
            case 0x0D: output.append(contentsOf: [0x5C, 0x72])
            case 0x00: break
            default: output.append(byte)
            }
        }
    }
}
