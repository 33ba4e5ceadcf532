import AppKernel
import Foundation
import Postgres

/// A claim with whose it is.
struct ClaimRecord: Sendable {
    let claim: Claim
    let driverID: UUID

    static let columns: SQL = "\(Claim.columns), c.driver_id"

    init(row: PostgresRow) throws {
        claim = try Claim(row: row)
        driverID = try row.decode(UUID.self, at: Claim.columnCount)
    }
}

/// An attachment's facts, without its bytes.
struct AttachmentRow: Sendable {
    let id: UUID
    let contentType: String
    let sizeBytes: Int
    let sha256: String
    let createdAt: Date
}

/// The claims schema's queries for the admin.
extension ClaimsStore {
    struct ListFilter {
        var statuses: [String] = []
        var types: [String] = []
        var driverID: UUID?
    }

    /// Newest first, `limit + 1` rows after the cursor.
    func list(_ filter: ListFilter, page: PageRequest) async throws -> [ClaimRecord] {
        let keyset: SQL = page.after.map { "AND (c.created_at, c.id) < (\($0.createdAt), \($0.id))" } ?? ""
        return try await database.queryAll("""
            SELECT \(ClaimRecord.columns) FROM claims.claims c
            WHERE (cardinality(\(filter.statuses)::text[]) = 0 OR c.status = ANY(\(filter.statuses)))
              AND (cardinality(\(filter.types)::text[]) = 0 OR c.type = ANY(\(filter.types)))
              AND (\(filter.driverID)::uuid IS NULL OR c.driver_id = \(filter.driverID))
              \(keyset)
            ORDER BY c.created_at DESC, c.id DESC LIMIT \(page.fetchLimit)
            """, decode: ClaimRecord.init(row:))
    }

    func record(id: UUID) async throws -> ClaimRecord? {
        try await database.queryOptional("SELECT \(ClaimRecord.columns) FROM claims.claims c WHERE c.id = \(id)", decode: ClaimRecord.init(row:))
    }

    /// Claims by reference (`CL-…`) or id.
    func matching(reference: String?, id: UUID?) async throws -> [ClaimRecord] {
        try await database.queryAll("""
            SELECT \(ClaimRecord.columns) FROM claims.claims c WHERE c.reference = \(reference) OR c.id = \(id) LIMIT 10
            """, decode: ClaimRecord.init(row:))
    }

    func records(driverID: UUID, limit: Int) async throws -> [ClaimRecord] {
        try await database.queryAll("""
            SELECT \(ClaimRecord.columns) FROM claims.claims c WHERE c.driver_id = \(driverID)
            ORDER BY c.created_at DESC, c.id DESC LIMIT \(limit)
            """, decode: ClaimRecord.init(row:))
    }

    func attachments(claimID: UUID) async throws -> [AttachmentRow] {
        try await database.queryAll("""
            SELECT id, content_type, size_bytes, sha256, created_at FROM claims.attachments WHERE claim_id = \(claimID)
            ORDER BY created_at, id LIMIT 50
            """) { AttachmentRow(id: try $0.decode(UUID.self, at: 0), contentType: try $0.decode(String.self, at: 1),
                                 sizeBytes: Int(try $0.decode(Int32.self, at: 2)), sha256: try $0.decode(String.self, at: 3),
                                 createdAt: try $0.decode(Date.self, at: 4)) }
    }

    /// An attachment's type and bytes, if it belongs to the claim.
    func attachmentBody(claimID: UUID, attachmentID: UUID) async throws -> (contentType: String, body: Data)? {
        try await database.queryOptional("""
            SELECT content_type, body FROM claims.attachments WHERE id = \(attachmentID) AND claim_id = \(claimID)
            """) { (try $0.decode(String.self, at: 0), try $0.decode(Data.self, at: 1)) }
    }

    /// Claims still `submitted` (nobody has looked at them), counted up to `cap`.
    func submittedCount(cap: Int) async throws -> Int {
        try await database.queryValue("""
            SELECT count(*) FROM (SELECT 1 FROM claims.claims WHERE status = 'submitted' LIMIT \(cap)) s
            """, as: Int.self)
    }
}
