/// A streaming CSV tokenizer (RFC 4180: comma-separated, fields optionally in double quotes,
/// `""` for a quote inside one, CRLF or LF between records), fed a piece at a time. A record's
/// fields are handed over as one byte buffer plus where each field ends, reused from record to
/// record, so a million lines cost no allocation per field.
struct SettlementCSV {
    private enum State { case fieldStart, unquoted, quoted, quoteInQuoted, afterCR }

    /// One record: field `i` is `bytes[start(i)..<fieldEnds[i]]`.
    struct Record {
        fileprivate(set) var bytes: [UInt8] = []
        fileprivate(set) var fieldEnds: [Int] = []
        /// The 1-based line of the file the record starts on.
        fileprivate(set) var lineNumber = 1

        var count: Int { fieldEnds.count }
        func start(_ index: Int) -> Int { index == 0 ? 0 : fieldEnds[index - 1] }
        func field(_ index: Int) -> ArraySlice<UInt8> { bytes[start(index)..<fieldEnds[index]] }
        /// A record made of one empty field: a blank line.
        var isBlank: Bool { fieldEnds.count == 1 && fieldEnds[0] == 0 }
    }

    private var state = State.fieldStart
    private var record = Record()
    private var line = 1
    private var inRecord = false

    /// Tokenizes `input`; `onRecord` sees each complete record. Throws what `onRecord` throws,
    /// and `SettlementCSVError` for a quote where none may be.
    mutating func feed(_ input: UnsafeBufferPointer<UInt8>, onRecord: (Record) throws -> Void) throws {
        for byte in input { try step(byte, onRecord) }
    }

    @inline(__always)
    private mutating func step(_ byte: UInt8, _ onRecord: (Record) throws -> Void) throws {
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")
        if !inRecord {
            inRecord = true
            record.bytes.removeAll(keepingCapacity: true)
            record.fieldEnds.removeAll(keepingCapacity: true)
            record.lineNumber = line
        }
        switch state {
        case .fieldStart, .unquoted:
            switch byte {
            case comma: record.fieldEnds.append(record.bytes.count); state = .fieldStart
            case lf: line += 1; try endRecord(onRecord)
            case cr: state = .afterCR
            case quote where state == .fieldStart: state = .quoted
            case quote: throw SettlementCSVError(line: line, message: "a quote inside an unquoted field")
            default: record.bytes.append(byte); state = .unquoted
            }
        case .quoted:
            if byte == quote { state = .quoteInQuoted } else {
                if byte == lf { line += 1 }
                record.bytes.append(byte)
            }
        case .quoteInQuoted:
            switch byte {
            case quote: record.bytes.append(quote); state = .quoted
            case comma: record.fieldEnds.append(record.bytes.count); state = .fieldStart
            case lf: line += 1; try endRecord(onRecord)
            case cr: state = .afterCR
            default: throw SettlementCSVError(line: line, message: "text after a closing quote")
            }
        case .afterCR:
            // CRLF, or a lone CR (old Mac line ends), ends the record.
            line += 1
            try endRecord(onRecord)
            if byte != lf { try step(byte, onRecord) }   // a lone CR: this byte starts the next record
        }
    }

    /// The last record, when the input does not end with a line break.
    mutating func finish(onRecord: (Record) throws -> Void) throws {
        if state == .quoted { throw SettlementCSVError(line: record.lineNumber, message: "a quoted field is never closed") }
        if inRecord { try endRecord(onRecord) }
    }

    private mutating func endRecord(_ onRecord: (Record) throws -> Void) throws {
        record.fieldEnds.append(record.bytes.count)
        state = .fieldStart
        inRecord = false
        try onRecord(record)
    }
}

/// Text the tokenizer cannot read as CSV.
struct SettlementCSVError: Error {
    let line: Int
    let message: String
}
