import AdminUI
import AppKernel
import Audit
import Foundation
import HTTPServer
import Identity
import Ledger
import Policies
import Postgres

/// Cover changed by staff (OPS.md "Actions": `force_close_session`, `start_cover`,
/// `end_cover`), inside the action's transaction and under the driver's lock, at the driver's
/// "now" (their test clock in sandbox), through the same session rules as everything else.
extension CoverService {
    /// What a staff action did to a session: the record before and after.
    struct SessionChange: Sendable {
        let before: SessionRecord
        let after: SessionRecord
        let at: Date
    }

    /// Closes a running session at the driver's now, charged as closed (the 60-minute minimum
    /// included), and makes it final. Cover stops there: a provider shift still running then
    /// no longer covers anything (it belongs to the closed session for good, as a shift does
    /// after the 14-hour cut), manual cover ends, and only a shift starting from that instant
    /// on opens a new session. The closing is the session's one audit event
    /// (`cover.session_force_closed`, before and after), with the staff member's reason.
    /// A session not running (closed, superseded) is 409.
    func forceClose(_ sessionID: UUID, on transaction: PostgresConnection) async throws -> SessionChange {
        let store = CoverStore(database: transaction)
        guard let found = try await store.anySession(sessionID) else { throw AppError.notFound("no session \(sessionID.uuidString.lowercased())") }
        try await store.lockDriver(found.driverID)
        // Read again under the lock: a recompute may have closed it meanwhile.
        guard let session = try await store.anySession(sessionID) else { throw AppError.notFound("no session \(sessionID.uuidString.lowercased())") }
        guard session.status == "active" else {
            throw AppError(status: .conflict, slug: "session-not-running",
                           detail: "session \(AdminFormat.shortID(session.id)) is already \(session.status): only a running session is force-closed")
        }
        let now = try await identity.now(for: session.driverID, on: transaction)
        guard let policy = try await Policies(app: app).paygInForce(of: session.driverID, on: transaction), policy.id == session.policyId else {
            throw AppError(status: .conflict, slug: "policy-not-in-force", detail: "the session's policy is no longer in force")
        }
        try await store.endManualShifts(driverID: session.driverID, at: now)
        try await reconcile(policy, now: now, endingAt: now, closedByStaff: true, on: transaction)
        try await store.markClosedByStaff(sessionID, at: now)
        // Everything before it is settled now: a recompute never reaches behind a final session.
        try await store.finalizeAll(policyID: policy.id)
        guard let after = try await store.anySession(sessionID), after.isClosed else {
            throw AppError(status: .conflict, slug: "session-not-closed", detail: "the session could not be closed at this instant")
        }
        var snapshot = Self.auditSnapshot(after)
        if case .object(var fields) = snapshot {
            fields["closed_by_staff_at"] = .string(RFC3339.format(now))
            fields["final"] = .bool(true)
            snapshot = .object(fields)
        }
        try await Audit.record("cover.session_force_closed", AuditObject("session", after.id, driver: after.driverID),
                               before: Self.auditSnapshot(session), after: snapshot, on: transaction)
        return SessionChange(before: session, after: after, at: now)
    }

    /// Starts cover by hand for the driver, as their own manual start does, at their now;
    /// refused when it makes no sense: no PAYG policy in force (409), cover already running
    /// (a session or a paid block covering now, 409), or a balance under £10 (422).
    func startByStaff(driverID: UUID, on transaction: PostgresConnection) async throws -> (session: SessionRecord, at: Date) {
        let store = CoverStore(database: transaction)
        try await store.lockDriver(driverID)
        let now = try await identity.now(for: driverID, on: transaction)
        guard let policy = try await Policies(app: app).paygInForce(of: driverID, on: transaction) else {
            throw AppError(status: .conflict, slug: "no-policy-in-force",
                           detail: "this driver has no pay-as-you-go policy in force, so cover cannot start")
        }
        if let running = try await store.covering(driverID: driverID, policyID: nil, at: now, now: now) {
            throw AppError(status: .conflict, slug: "already-covered",
                           detail: "this driver is already covered: session \(AdminFormat.shortID(running.id)) runs until at least \(RFC3339.format(max(running.coveredUntil, now)))")
        }
        if let block = try await Policies(app: app).blocks(of: driverID, covering: now, on: transaction).first {
            throw AppError(status: .conflict, slug: "already-covered", detail: "this driver is already covered by the hourly block \(block.number)")
        }
        return (try await startManually(driverID: driverID, policyID: policy.id, at: now, on: transaction), now)
    }

    /// Ends the cover started by hand (by the driver or by staff), as the driver's own manual
    /// stop does, at their now; 409 when none is running. A provider shift still running keeps
    /// the session going: `forceClose` is what stops it.
    func endByStaff(driverID: UUID, on transaction: PostgresConnection) async throws -> (session: SessionRecord?, at: Date) {
        let store = CoverStore(database: transaction)
        try await store.lockDriver(driverID)
        let now = try await identity.now(for: driverID, on: transaction)
        guard try await store.hasOpenManualShift(driverID: driverID) else {
            throw AppError(status: .conflict, slug: "no-manual-cover",
                           detail: "no cover started by hand is running for this driver: there is nothing to end (a provider's shift is ended by the provider, or the session force-closed)")
        }
        try await endManually(driverID: driverID, at: now, on: transaction)
        return (try await store.covering(driverID: driverID, policyID: nil, at: now, now: now), now)
    }
}
