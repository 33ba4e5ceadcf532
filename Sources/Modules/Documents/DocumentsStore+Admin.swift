import AppKernel
import Foundation
import Postgres

/// A stored document's facts, without its bytes.
struct DocumentRow: Sendable {
    let id: UUID
    let subjectID: UUID
    let kind: String
    let period: String
    let contentType: String
    let sha256: String
    let revision: Int
    let sizeBytes: Int
    let createdAt: Date

    static let columns: SQL = "id, subject_id, kind, period, content_type, sha256, revision, octet_length(body), created_at"

    init(row: PostgresRow) throws {
        id = try row.decode(UUID.self, at: 0)
        subjectID = try row.decode(UUID.self, at: 1)
        kind = try row.decode(String.self, at: 2)
        period = try row.decode(String.self, at: 3)
        contentType = try row.decode(String.self, at: 4)
        sha256 = try row.decode(String.self, at: 5)
        revision = Int(try row.decode(Int32.self, at: 6))
        sizeBytes = Int(try row.decode(Int32.self, at: 7))
        createdAt = try row.decode(Date.self, at: 8)
    }
}

/// The documents schema's queries for the admin.
extension DocumentsStore {
    func document(id: UUID) async throws -> DocumentRow? {
        try await database.queryOptional("SELECT \(DocumentRow.columns) FROM documents.documents WHERE id = \(id)", decode: DocumentRow.init(row:))
    }

    func body(id: UUID) async throws -> (contentType: String, body: Data)? {
        try await database.queryOptional("SELECT content_type, body FROM documents.documents WHERE id = \(id)") {
            (try $0.decode(String.self, at: 0), try $0.decode(Data.self, at: 1))
        }
    }

    /// Every revision and format of the same document (subject, kind and period).
    func versions(of document: DocumentRow) async throws -> [DocumentRow] {
        try await database.queryAll("""
            SELECT \(DocumentRow.columns) FROM documents.documents
            WHERE subject_id = \(document.subjectID) AND kind = \(document.kind) AND period = \(document.period)
            ORDER BY revision DESC, content_type LIMIT 50
            """, decode: DocumentRow.init(row:))
    }

    /// Documents whose subject is `subjectID` (a driver's statements, a policy's certificates), newest first.
    func documents(subjectID: UUID, limit: Int) async throws -> [DocumentRow] {
        try await database.queryAll("""
            SELECT \(DocumentRow.columns) FROM documents.documents WHERE subject_id = \(subjectID)
            ORDER BY created_at DESC, id DESC LIMIT \(limit)
            """, decode: DocumentRow.init(row:))
    }
}
