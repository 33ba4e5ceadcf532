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

    /// Renders and stores a policy's certificate, as HTML and as PDF, inside the caller's
    /// transaction. `revision` 1 is the certificate issued when cover was paid for; a later
    /// revision re-issues it (after a cancellation) and is the one served from then on.
    @discardableResult
    public func issueCertificate(for policyID: UUID, _ details: CertificateDetails, revision: Int = 1,
                                 on transaction: PostgresConnection) async throws -> StoredDocument {
        let html = try await store(subjectID: policyID, kind: "certificate", period: "", contentType: "text/html; charset=utf-8",
                                   body: Array(CertificateRenderer.render(details).text.utf8), revision: revision,
                                   at: details.issuedAt, on: transaction)
        try await store(subjectID: policyID, kind: "certificate", period: "", contentType: "application/pdf",
                        body: CertificateRenderer.renderPDF(details), revision: revision, at: details.issuedAt, on: transaction)
        return html
    }

    /// The newest revision of the policy's certificate, read in the caller's transaction (nil:
    /// none issued). A re-issue stores revision + 1; the old revisions stay as they were issued.
    public func certificateRevision(for policyID: UUID, on database: any PostgresQueryable) async throws -> Int? {
        try await DocumentsStore(database: database).latestRevision(subjectID: policyID, kind: "certificate", period: "")
    }

    /// The policy's newest certificate in `format` (`text/html` or `application/pdf`).
    public func certificate(for policyID: UUID, format: String = "text/html") async throws -> StoredDocument? {
        try await find(subjectID: policyID, kind: "certificate", period: "", contentTypePrefix: format)
    }

    /// Stores a document once; a second store for the same subject, kind, period, format and
    /// revision keeps the first (documents never change).
    @discardableResult
    func store(subjectID: UUID, kind: String, period: String, contentType: String, body: [UInt8], revision: Int = 1,
               at instant: Date, on database: any PostgresQueryable) async throws -> StoredDocument {
        let document = StoredDocument(id: UUID(), contentType: contentType, body: body, sha256: Digest.sha256(body).hexString,
                                      createdAt: instant)
        try await DocumentsStore(database: database).insert(document, subjectID: subjectID, kind: kind, period: period, revision: revision)
        return document
    }

    func find(subjectID: UUID, kind: String, period: String, contentTypePrefix: String? = nil) async throws -> StoredDocument? {
        try await DocumentsStore(database: app.database).newest(subjectID: subjectID, kind: kind, period: period,
                                                               contentTypePrefix: contentTypePrefix)
    }
}

extension Documents {
    /// A stored statement for `period`, if it was issued.
    public func statement(for driverID: UUID, period: String) async throws -> StoredDocument? {
        try await find(subjectID: driverID, kind: "statement", period: period)
    }

    /// Stores a finished period's statement once; a concurrent second store keeps the first.
    public func storeStatement(for driverID: UUID, period: String, contentType: String, body: [UInt8], at instant: Date) async throws {
        try await store(subjectID: driverID, kind: "statement", period: period, contentType: contentType, body: body, at: instant,
                        on: app.database)
    }
}
