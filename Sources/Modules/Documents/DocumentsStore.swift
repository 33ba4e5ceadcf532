import Foundation
import Postgres

/// Owns every SQL statement against the `documents` schema.
struct DocumentsStore: Sendable {
    let database: any PostgresQueryable

    /// Stores a document once; the same subject, kind, period, format and revision again keeps the first.
    func insert(_ document: StoredDocument, subjectID: UUID, kind: String, period: String, revision: Int) async throws {
        try await database.execute("""
            INSERT INTO documents.documents (id, subject_id, kind, period, content_type, body, sha256, revision, created_at)
            VALUES (\(document.id), \(subjectID), \(kind), \(period), \(document.contentType), \(Data(document.body)),
                    \(document.sha256), \(Int32(revision)), \(document.createdAt))
            ON CONFLICT (subject_id, kind, period, content_type, revision) DO NOTHING
            """)
    }

    /// The newest revision of a document in a format (`text/html`, `application/pdf`, ...).
    func newest(subjectID: UUID, kind: String, period: String, contentTypePrefix: String?) async throws -> StoredDocument? {
        let format: SQL = contentTypePrefix.map { "AND content_type LIKE \($0 + "%")" } ?? ""
        return try await database.queryOptional("""
            SELECT id, content_type, body, sha256, created_at FROM documents.documents
            WHERE subject_id = \(subjectID) AND kind = \(kind) AND period = \(period) \(format)
            ORDER BY revision DESC LIMIT 1
            """) { row in
            StoredDocument(id: try row.decode(UUID.self, at: 0), contentType: try row.decode(String.self, at: 1),
                           body: Array(try row.decode(Data.self, at: 2)), sha256: try row.decode(String.self, at: 3),
                           createdAt: try row.decode(Date.self, at: 4))
        }
    }

    /// The highest revision stored of a document (any format), or nil.
    func latestRevision(subjectID: UUID, kind: String, period: String) async throws -> Int? {
        try await database.queryValue("""
            SELECT max(revision) FROM documents.documents WHERE subject_id = \(subjectID) AND kind = \(kind) AND period = \(period)
            """, as: Int32?.self).map(Int.init)
    }
}
