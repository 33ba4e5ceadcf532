public import Foundation
import Cryptography

/// One forward-only migration file: `migrations/NNNN_<module>_<what>.sql`.
public struct Migration: Sendable, Equatable {
    public let version: Int
    /// `<module>_<what>`, the file name without number and extension.
    public let name: String
    public let sql: String
    /// Hex SHA-256 of the file's bytes; an applied migration's checksum must never change.
    public let sha256: String

    public var fileName: String { String(format: "%04d_%@.sql", version, name) }

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
        self.sha256 = Digest.sha256(Array(sql.utf8)).hexString
    }

    /// Reads every `*.sql` file of `directory`, ordered by version. Fails on a badly named file or
    /// two files with one number (CI relies on this to catch colliding branches).
    public static func load(directory: URL) throws(MigrationError) -> [Migration] {
        let files: [String]
        do {
            files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw .unreadableDirectory(path: directory.path, reason: "\(error.localizedDescription)")
        }
        var migrations: [Migration] = []
        for file in files.sorted() where file.hasSuffix(".sql") {
            guard let (version, name) = parse(fileName: file) else { throw .badFileName(file) }
            let url = directory.appendingPathComponent(file)
            guard let data = FileManager.default.contents(atPath: url.path),
                  let sql = String(data: data, encoding: .utf8)
            else { throw .unreadableFile(path: url.path) }
            if let clash = migrations.first(where: { $0.version == version }) {
                throw .duplicateVersion(version, [clash.fileName, file])
            }
            migrations.append(Migration(version: version, name: name, sql: sql))
        }
        return migrations.sorted { $0.version < $1.version }
    }

    /// `0007_quotes_create_schema.sql` → (7, "quotes_create_schema").
    static func parse(fileName: String) -> (Int, String)? {
        let stem = fileName.dropLast(4)
        guard let underscore = stem.firstIndex(of: "_") else { return nil }
        let digits = stem[..<underscore]
        let name = stem[stem.index(after: underscore)...]
        guard digits.count == 4, let version = Int(digits), version > 0, !name.isEmpty,
              name.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") })
        else { return nil }
        return (version, String(name))
    }
}

/// Why migrations cannot run; every case says what to do in its description.
public enum MigrationError: Error, Equatable, CustomStringConvertible {
    case unreadableDirectory(path: String, reason: String)
    case unreadableFile(path: String)
    case badFileName(String)
    case duplicateVersion(Int, [String])
    case checksumChanged(fileName: String, applied: String, current: String)
    case appliedFileMissing(version: Int, name: String)
    case outOfOrder(fileName: String, latestApplied: Int)

    public var description: String {
        switch self {
        case .unreadableDirectory(let path, let reason):
            "cannot read the migrations directory \(path): \(reason)"
        case .unreadableFile(let path):
            "cannot read migration \(path) as UTF-8 text"
        case .badFileName(let file):
            "migration file \(file) is not named NNNN_<module>_<what>.sql (four digits, lowercase snake_case)"
        case .duplicateVersion(let version, let files):
            "migration number \(version) is used twice: \(files.joined(separator: ", ")); renumber one of them"
        case .checksumChanged(let file, let applied, let current):
            "migration \(file) was edited after it was applied (sha256 \(applied.prefix(12))… then, "
                + "\(current.prefix(12))… now); migrations are forward-only: restore the file and add a new one"
        case .appliedFileMissing(let version, let name):
            String(format: "migration %04d_%@ is recorded as applied but its file is missing", version, name)
        case .outOfOrder(let file, let latest):
            "migration \(file) is numbered below the latest applied migration (\(latest)); give it a higher number"
        }
    }
}
