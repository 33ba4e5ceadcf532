import AppKernel
import Foundation
import Postgres

/// Owns every SQL statement against the `claims` schema.
struct ClaimsStore: Sendable {
    let database: any PostgresQueryable

    /// Inserts the claim; nil when `reference` is taken (the caller draws another).
    func insert(id: UUID, reference: String, driverID: UUID, policyID: UUID, sessionID: UUID?, occurredAt: Date, type: String,
                description: String, location: String, thirdParties: PostgresJSON, at instant: Date) async throws -> Claim? {
        try await database.queryOptional("""
            WITH inserted AS (
                INSERT INTO claims.claims (id, reference, driver_id, policy_id, session_id, occurred_at, type, description, location,
                                           third_parties, created_at)
                VALUES (\(id), \(reference), \(driverID), \(policyID), \(sessionID), \(occurredAt), \(type), \(description), \(location),
                        \(thirdParties), \(instant))
                ON CONFLICT (reference) DO NOTHING
                RETURNING *)
            SELECT \(Claim.columns) FROM inserted c
            """, decode: Claim.init(row:))
    }

    func list(driverID: UUID, page: PageRequest) async throws -> [Claim] {
        try await database.queryAll("""
            SELECT \(Claim.columns) FROM claims.claims c WHERE c.driver_id = \(driverID) \(page.keysetCondition)
            ORDER BY c.created_at DESC, c.id DESC LIMIT \(page.fetchLimit)
            """, decode: Claim.init(row:))
    }

    func find(_ id: UUID, driverID: UUID) async throws -> Claim? {
        try await database.queryOptional(
            "SELECT \(Claim.columns) FROM claims.claims c WHERE c.id = \(id) AND c.driver_id = \(driverID)", decode: Claim.init(row:))
    }

    /// The claim's attachments so far: how many and how many bytes (locking the claim, so two
    /// uploads at once cannot both pass the caps).
    func attachmentTotals(claimID: UUID, driverID: UUID) async throws -> (count: Int, bytes: Int)? {
        guard try await database.queryOptional(
            "SELECT id FROM claims.claims WHERE id = \(claimID) AND driver_id = \(driverID) FOR UPDATE", decode: { try $0.decode(UUID.self, at: 0) }) != nil
        else { return nil }
        return try await database.queryOne("""
            SELECT count(*)::int8, coalesce(sum(size_bytes), 0)::int8 FROM claims.attachments WHERE claim_id = \(claimID)
            """) { (Int(try $0.decode(Int64.self, at: 0)), Int(try $0.decode(Int64.self, at: 1))) }
    }

    func insertAttachment(id: UUID, claimID: UUID, contentType: String, body: [UInt8], sha256: String, at instant: Date) async throws {
        try await database.execute("""
            INSERT INTO claims.attachments (id, claim_id, content_type, size_bytes, sha256, body, created_at)
            VALUES (\(id), \(claimID), \(contentType), \(Int32(body.count)), \(sha256), \(Data(body)), \(instant))
            """)
    }
}
