public import AppKernel
import Cryptography
public import Foundation
public import Postgres

/// A stored document exactly as issued.
public struct StoredDocument: Sendable {
    public let id: UUID
    public let contentType: String
    public let body: [UInt8]
    public let sha256: String
    public let createdAt: Date
}

/// The documents module's public API.
public struct Documents: Sendable {
    let app: AppContext
    public init(app: AppContext) { self.app = app }

    /// Renders and stores a policy's certificate inside the caller's transaction.
    @discardableResult
    public func issueCertificate(for policyID: UUID, _ details: CertificateDetails,
                                 on transaction: PostgresConnection) async throws -> StoredDocument {
        let body = Array(CertificateRenderer.render(details).text.utf8)
        let document = StoredDocument(id: UUID(), contentType: "text/html; charset=utf-8", body: body,
                                      sha256: Digest.sha256(body).hexString, createdAt: details.issuedAt)
        try await transaction.execute("""
            INSERT INTO documents.documents (id, subject_id, kind, content_type, body, sha256, created_at)
            VALUES (\(document.id), \(policyID), 'certificate', \(document.contentType), \(Data(body)), \(document.sha256),
                    \(document.createdAt))
            """)
        return document
    }

    public func certificate(for policyID: UUID) async throws -> StoredDocument? {
        try await app.database.queryOptional("""
            SELECT id, content_type, body, sha256, created_at FROM documents.documents
            WHERE subject_id = \(policyID) AND kind = 'certificate'
            """) { row in
            StoredDocument(id: try row.decode(UUID.self, at: 0), contentType: try row.decode(String.self, at: 1),
                           body: Array(try row.decode(Data.self, at: 2)), sha256: try row.decode(String.self, at: 3),
                           createdAt: try row.decode(Date.self, at: 4))
        }
    }
}

extension Documents {
    /// A stored statement for `period`, if it was issued.
    public func statement(for driverID: UUID, period: String) async throws -> StoredDocument? {
        try await app.database.queryOptional("""
            SELECT id, content_type, body, sha256, created_at FROM documents.documents
            WHERE subject_id = \(driverID) AND kind = 'statement' AND period = \(period)
            """) { row in
            StoredDocument(id: try row.decode(UUID.self, at: 0), contentType: try row.decode(String.self, at: 1),
                           body: Array(try row.decode(Data.self, at: 2)), sha256: try row.decode(String.self, at: 3),
                           createdAt: try row.decode(Date.self, at: 4))
        }
    }

    /// Stores a finished period's statement once; a concurrent second store keeps the first.
    public func storeStatement(for driverID: UUID, period: String, contentType: String, body: [UInt8], at instant: Date) async throws {
        try await app.database.execute("""
            INSERT INTO documents.documents (id, subject_id, kind, period, content_type, body, sha256, created_at)
            VALUES (\(UUID()), \(driverID), 'statement', \(period), \(contentType), \(Data(body)), \(Digest.sha256(body).hexString), \(instant))
            ON CONFLICT (subject_id, kind, period) DO NOTHING
            """)
    }
}
