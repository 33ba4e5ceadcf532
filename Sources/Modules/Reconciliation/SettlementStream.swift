import Cryptography
import HTTPServer
import Synchronization

/// The producer a streaming COPY pulls from: raw pieces of the file, gunzipped when the file
/// is gzip, hashed (the content's SHA-256 says whether this report was imported before,
/// however it was compressed), tokenized as CSV, checked and encoded as COPY rows. It runs
/// on the database connection's own thread, one piece at a time: memory stays at a few
/// megabytes whatever the file's size.
final class SettlementStream: @unchecked Sendable {
    private let file: SettlementFile
    private let progress: (@Sendable (ImportProgress) -> Void)?
    private var inflater: GzipInflater?
    private var decided = false
    private var csv = SettlementCSV()
    private var encoder: SettlementRowEncoder?
    private let contentHasher = SHA256Hasher()
    private var ended = false
    private(set) var contentSHA256 = ""

    init(file: SettlementFile, progress: (@Sendable (ImportProgress) -> Void)?) {
        self.file = file
        self.progress = progress
    }

    /// Lines read (excluding the header).
    var lineCount: Int { encoder?.lineCount ?? 0 }

    /// The next piece of COPY text, or nil when the file is done. Throws
    /// `ReconciliationError` for a file that is not a report we can read.
    func next() throws -> [UInt8]? {
        while !ended {
            guard let raw = try file.read() else {
                try finishInput()
                ended = true
                break
            }
            if !decided {
                decided = true
                if raw.count >= 2, raw[0] == 0x1F, raw[1] == 0x8B {
                    do { inflater = try GzipInflater() } catch { throw ReconciliationError.unreadable(error.description) }
                }
            }
            if let inflater {
                do {
                    try raw.withUnsafeBytes { bytes in try inflater.inflate(bytes) { try self.consume($0) } }
                } catch let failure as GzipInflater.Failure {
                    throw ReconciliationError.unreadable("the file is not valid gzip: \(failure.description)")
                }
            } else {
                try consume(raw)
            }
            progress?(ImportProgress(bytesRead: file.bytesRead, totalBytes: file.totalBytes, linesRead: lineCount))
            if let encoder, encoder.output.count >= 1 << 20 { return takeOutput() }
        }
        let rest = takeOutput()
        return rest.isEmpty ? nil : rest
    }

    private func takeOutput() -> [UInt8] {
        guard let output = encoder?.output else { return [] }
        encoder?.output.removeAll(keepingCapacity: true)
        return output
    }

    private func consume(_ bytes: [UInt8]) throws {
        contentHasher.update(bytes)
        try bytes.withUnsafeBufferPointer { buffer in
            do {
                try csv.feed(buffer) { try self.take($0) }
            } catch let error as SettlementCSVError {
                throw ReconciliationError.malformed(line: error.line, message: error.message)
            }
        }
    }

    private func take(_ record: SettlementCSV.Record) throws {
        guard encoder != nil else {
            encoder = SettlementRowEncoder(columns: try SettlementColumns(header: record))
            return
        }
        if record.isBlank { return }   // a blank line (often the last one) carries nothing
        // Appended in place: a copy of the encoder would copy its output buffer every line.
        try encoder!.append(record)
    }

    private func finishInput() throws {
        if let inflater {
            do { try inflater.finish() } catch let failure as GzipInflater.Failure { throw ReconciliationError.unreadable("the file is not valid gzip: \(failure.description)") }
        }
        do {
            try csv.finish { try self.take($0) }
        } catch let error as SettlementCSVError {
            throw ReconciliationError.malformed(line: error.line, message: error.message)
        }
        guard encoder != nil else { throw ReconciliationError.malformed(line: 1, message: "the file is empty: no header") }
        guard lineCount > 0 else { throw ReconciliationError.malformed(line: 2, message: "the report has no lines") }
        contentSHA256 = contentHasher.finish().hexString
    }
}
