import Cryptography
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The bytes of a settlement report as given, read a piece at a time: from a file on disk
/// (the CLI) or from memory (an upload, a report fetched for a payout). Whether it is gzip is
/// decided by its first two bytes (RFC 1952 §2.3.1: 0x1f 0x8b), not by its name.
final class SettlementFile: @unchecked Sendable {
    private enum Origin {
        case file(UnsafeMutablePointer<FILE>)
        case memory([UInt8], offset: Int)
    }

    private var origin: Origin
    /// The size of the input in bytes, for a progress bar.
    let totalBytes: Int
    private(set) var bytesRead = 0
    private static let pieceSize = 1 << 20

    init(path: String) throws(ReconciliationError) {
        guard let handle = fopen(path, "rb") else { throw .unreadable("cannot open \(path): \(String(cString: strerror(errno)))") }
        var status = stat()
        guard fstat(fileno(handle), &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else {
            fclose(handle)
            throw .unreadable("\(path) is not a regular file")
        }
        origin = .file(handle)
        totalBytes = Int(status.st_size)
    }

    init(bytes: [UInt8]) {
        origin = .memory(bytes, offset: 0)
        totalBytes = bytes.count
    }

    deinit { if case .file(let handle) = origin { fclose(handle) } }

    /// The next piece of the input, or nil at its end.
    func read() throws(ReconciliationError) -> [UInt8]? {
        switch origin {
        case .file(let handle):
            var piece = [UInt8](repeating: 0, count: Self.pieceSize)
            let count = piece.withUnsafeMutableBytes { fread($0.baseAddress, 1, Self.pieceSize, handle) }
            if count == 0 {
                if ferror(handle) != 0 { throw .unreadable("reading the file failed: \(String(cString: strerror(errno)))") }
                return nil
            }
            bytesRead += count
            if count < piece.count { piece.removeSubrange(count...) }
            return piece
        case .memory(let bytes, let offset):
            guard offset < bytes.count else { return nil }
            let end = min(offset + Self.pieceSize, bytes.count)
            origin = .memory(bytes, offset: end)
            bytesRead = end
            return Array(bytes[offset..<end])
        }
    }

    /// Back to the start (after hashing the raw bytes, to read them again for the import).
    func rewind() {
        switch origin {
        case .file(let handle): Glibc.rewind(handle)
        case .memory(let bytes, _): origin = .memory(bytes, offset: 0)
        }
        bytesRead = 0
    }

    /// SHA-256 of the raw bytes (hex), read once through; the file is rewound afterwards.
    func rawSHA256() throws(ReconciliationError) -> String {
        let hasher = SHA256Hasher()
        while let piece = try read() { hasher.update(piece) }
        rewind()
        return hasher.finish().hexString
    }
}
