import AppKernel
import Foundation
import Postgres

/// The claims team's side: status history, requests for information, internal notes, reserves.
extension ClaimsStore {
    /// The claim and its owner, locked for a change.
    func locked(_ id: UUID) async throws -> (claim: Claim, driverID: UUID, reserve: Int64?)? {
        try await database.queryOptional("""
            SELECT \(Claim.columns), c.driver_id, c.reserve_amount FROM claims.claims c WHERE c.id = \(id) FOR UPDATE
            """) { (try Claim(row: $0), try $0.decode(UUID.self, at: Claim.columnCount), try $0.decode(Int64?.self, at: Claim.columnCount + 1)) }
    }

    func driverID(_ claimID: UUID) async throws -> UUID? {
        try await database.queryOptional("SELECT driver_id FROM claims.claims WHERE id = \(claimID)") { try $0.decode(UUID.self, at: 0) }
    }

    func find(_ id: UUID) async throws -> Claim? {
        try await database.queryOptional("SELECT \(Claim.columns) FROM claims.claims c WHERE c.id = \(id)", decode: Claim.init(row:))
    }

    func setStatus(_ id: UUID, to status: String, at instant: Date, message: String?, actor: String) async throws {
        try await database.execute("UPDATE claims.claims SET status = \(status), updated_at = \(instant) WHERE id = \(id)")
        try await insertStatus(id, status: status, at: instant, message: message, actor: actor)
    }

    func insertStatus(_ id: UUID, status: String, at instant: Date, message: String?, actor: String) async throws {
        try await database.execute("""
            INSERT INTO claims.status_history (id, claim_id, status, at, message, actor)
            VALUES (\(UUID()), \(id), \(status), \(instant), \(message), \(actor))
            """)
    }

    func insertInformationRequest(_ requestID: UUID, claimID: UUID, message: String, at instant: Date, actor: String) async throws {
        try await database.execute("""
            INSERT INTO claims.information_requests (id, claim_id, message, requested_at, requested_by)
            VALUES (\(requestID), \(claimID), \(message), \(instant), \(actor))
            """)
    }

    /// Marks what the team asked for as answered (the driver added a file); how many were open.
    @discardableResult
    func answerOpenRequests(claimID: UUID, at instant: Date) async throws -> Int {
        try await database.execute("""
            UPDATE claims.information_requests SET answered_at = \(instant) WHERE claim_id = \(claimID) AND answered_at IS NULL
            """)
    }

    func setReserve(_ id: UUID, amount: Int64, at instant: Date) async throws {
        try await database.execute("UPDATE claims.claims SET reserve_amount = \(amount), updated_at = \(instant) WHERE id = \(id)")
    }

    func reserve(_ id: UUID) async throws -> Int64? {
        try await database.queryOptional("SELECT reserve_amount FROM claims.claims WHERE id = \(id)") { try $0.decode(Int64?.self, at: 0) } ?? nil
    }

    func insertNote(claimID: UUID, text: String, author: String, at instant: Date) async throws {
        try await database.execute("""
            INSERT INTO claims.notes (id, claim_id, text, author, created_at) VALUES (\(UUID()), \(claimID), \(text), \(author), \(instant))
            """)
    }

    struct Note: Sendable {
        let text: String
        let author: String
        let createdAt: Date
    }

    func notes(claimID: UUID) async throws -> [Note] {
        try await database.queryAll("""
            SELECT n.text, coalesce(s.name || ' (' || s.role || ')', n.author), n.created_at FROM claims.notes n
            LEFT JOIN identity.staff s ON n.author = 'staff:' || s.id::text
            WHERE n.claim_id = \(claimID) ORDER BY n.created_at, n.id
            """) { Note(text: try $0.decode(String.self, at: 0), author: try $0.decode(String.self, at: 1), createdAt: try $0.decode(Date.self, at: 2)) }
    }
}
