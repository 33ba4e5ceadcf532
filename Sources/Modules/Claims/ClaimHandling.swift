import AppKernel
import Audit
import Foundation
import HTTPServer
import Notifications
import Postgres

/// What happens to a claim after it is reported, whoever does it: the claims team moving it on
/// (submitted → in_review → settled | rejected), the driver withdrawing it while it is open,
/// requests for more information, reserves and internal notes. Each change is one call inside
/// the caller's transaction, with the audit event that records it; the driver is told of
/// everything but the notes and the reserve.
struct ClaimHandling: Sendable {
    let app: AppContext

    /// Where a claim may go next from each status (the claims team's moves).
    static let moves: [String: [String]] = ["submitted": ["in_review"], "in_review": ["settled", "rejected"]]

    /// The claim, locked, or 404.
    func claim(_ id: UUID, on transaction: PostgresConnection) async throws -> (claim: Claim, driverID: UUID, reserve: Int64?) {
        guard let found = try await ClaimsStore(database: transaction).locked(id) else { throw AppError.notFound("no claim \(id.uuidString.lowercased())") }
        return found
    }

    /// Refuses a move the claim's status does not allow, naming what would be allowed.
    static func checkMove(_ claim: Claim, to status: String) throws {
        let allowed = moves[claim.status] ?? []
        guard allowed.contains(status) else {
            let next = allowed.isEmpty ? "nothing: it is \(claim.status.replacingOccurrences(of: "_", with: " "))"
                : allowed.map { $0.replacingOccurrences(of: "_", with: " ") }.joined(separator: " or ")
            throw AppError(status: .conflict, slug: "claim-status",
                           detail: "claim \(claim.reference) is \(claim.status.replacingOccurrences(of: "_", with: " ")); it can move to \(next)")
        }
    }

    func move(_ id: UUID, to status: String, message: String?, at instant: Date, on transaction: PostgresConnection) async throws -> Claim {
        let (claim, driverID, _) = try await claim(id, on: transaction)
        try Self.checkMove(claim, to: status)
        let store = ClaimsStore(database: transaction)
        try await store.setStatus(id, to: status, at: instant, message: message, actor: AuditContext.current.actor)
        try await Audit.record("claims.status_changed", AuditObject("claim", id, driver: driverID),
                               before: .object(["status": .string(claim.status)]),
                               after: .object(["status": .string(status), "message": message.map(JSONValue.string) ?? .null]), on: transaction)
        let words = status.replacingOccurrences(of: "_", with: " ")
        try await Notifications(app: app).notify(
            driverID, kind: "claim_status", title: "Your claim \(claim.reference) is \(words)",
            body: message.map { "Your claim \(claim.reference) is now \(words). \($0)" } ?? "Your claim \(claim.reference) is now \(words).",
            cause: "claim:\(id.uuidString.lowercased()):status:\(status)", at: instant, on: transaction)
        return try await store.find(id) ?? claim
    }

    /// The driver withdraws their own open claim.
    func withdraw(_ id: UUID, driverID: UUID, at instant: Date, on transaction: PostgresConnection) async throws -> Claim {
        let store = ClaimsStore(database: transaction)
        guard let (claim, owner, _) = try await store.locked(id), owner == driverID else { throw AppError.notFound("no claim \(id.uuidString.lowercased())") }
        guard claim.isOpen else {
            throw AppError(status: .conflict, slug: "claim-status",
                           detail: "claim \(claim.reference) is \(claim.status.replacingOccurrences(of: "_", with: " ")) and can no longer be withdrawn")
        }
        try await store.setStatus(id, to: "withdrawn", at: instant, message: nil, actor: AuditContext.current.actor)
        try await Audit.record("claims.withdrawn", AuditObject("claim", id, driver: driverID),
                               before: .object(["status": .string(claim.status)]), after: .object(["status": .string("withdrawn")]), on: transaction)
        return try await store.find(id) ?? claim
    }

    func requestInformation(_ id: UUID, message: String, at instant: Date, on transaction: PostgresConnection) async throws -> UUID {
        let (claim, driverID, _) = try await claim(id, on: transaction)
        guard claim.isOpen else { throw AppError(status: .conflict, slug: "claim-status", detail: "claim \(claim.reference) is \(claim.status) and closed") }
        let requestID = UUID()
        try await ClaimsStore(database: transaction).insertInformationRequest(requestID, claimID: id, message: message, at: instant,
                                                                              actor: AuditContext.current.actor)
        try await Audit.record("claims.information_requested", AuditObject("claim", id, driver: driverID),
                               after: .object(["request_id": .string(requestID.uuidString.lowercased()), "message": .string(message)]), on: transaction)
        try await Notifications(app: app).notify(
            driverID, kind: "claim_information_requested", title: "We need more about your claim \(claim.reference)",
            body: "\(message) Add photos or documents to the claim in the app.",
            cause: "claim-request:\(requestID.uuidString.lowercased())", at: instant, on: transaction)
        return requestID
    }

    func setReserve(_ id: UUID, amount: Int64, at instant: Date, on transaction: PostgresConnection) async throws -> Int64? {
        let (_, driverID, before) = try await claim(id, on: transaction)
        try await ClaimsStore(database: transaction).setReserve(id, amount: amount, at: instant)
        try await Audit.record("claims.reserve_set", AuditObject("claim", id, driver: driverID),
                               before: .object(["reserve_amount": before.map(JSONValue.integer) ?? .null]),
                               after: .object(["reserve_amount": .integer(amount)]), on: transaction)
        return before
    }

    func addNote(_ id: UUID, text: String, at instant: Date, on transaction: PostgresConnection) async throws {
        let (_, driverID, _) = try await claim(id, on: transaction)
        try await ClaimsStore(database: transaction).insertNote(claimID: id, text: text, author: AuditContext.current.actor, at: instant)
        try await Audit.record("claims.note_added", AuditObject("claim", id, driver: driverID), after: .object(["text": .string(text)]),
                               on: transaction)
    }
}
