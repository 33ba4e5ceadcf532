public import AppKernel
public import Foundation
import HTTPServer
import Identity
import Ledger
import Logging
import Notifications
public import Policies
public import Postgres
import Rating
public import Wallet
public import WorkProviders
import Audit

/// Who or what covered an instant: a PAYG policy's session, or a paid hourly block.
public struct Coverage: Sendable, Equatable {
    public let policyID: UUID
    /// The PAYG session in force; nil for an hourly block.
    public let sessionID: UUID?
    /// Until when cover is paid for as things stand: a block's end (or cancellation), a
    /// session's covered-until (a running shift extends it as time passes).
    public let coveredUntil: Date
}

/// Turns shift history into recorded sessions and charges, per policy (PRODUCT.md "PAYG
/// cover"). Every call recomputes the in-force PAYG policy's sessions from recent shift events
/// with `SessionEngine` and reconciles the records, so duplicates, late events and any arrival
/// order give the outcome of in-order processing, within these rules:
///
/// - A session belongs to the policy it opened under, for good; only the policy in force is
///   ever recomputed, from its own start.
/// - Opening a session buys its first hour: the rate is taken from the wallet then. The rest
///   is charged when it closes, one rounding over the whole session.
/// - A final session (its policy ended, or it closed longer ago than any event may be late)
///   is never moved, merged, refunded or recharged. Before that, a late event may extend a
///   session (the difference is charged) or merge it into another (its charge is given back).
/// - A cancelled policy's running session ends at the cancellation, charged as closed.
public struct CoverService: Sendable {
    /// Shift history older than this cannot change anything any more (events are at most 24 h
    /// late and sessions at most 14 h long).
    static let horizon: TimeInterval = 48 * 3600
    /// How long after its cover ended a closed session may still change: the join window, and
    /// the longest an event may be late.
    static let settlingTime: TimeInterval = SessionEngine.joinGap + WorkProviders.maximumLateness
    /// Opening a session needs this much in the wallet (PRODUCT.md: £10).
    public static let openingBalance: Int64 = 1000

    let app: AppContext
    let wallet: Wallet
    let notices: ProviderNotices
    var identity: Identity { Identity(app: app) }

    public init(app: AppContext, wallet: Wallet, notices: ProviderNotices) {
        self.app = app
        self.wallet = wallet
        self.notices = notices
    }

    /// Recomputes and records the sessions of the driver's PAYG policy in force at their "now",
    /// charging those that opened or closed.
    public func recompute(driverID: UUID) async throws {
        try await app.database.withTransaction { transaction in
            try await CoverStore(database: transaction).lockDriver(driverID)
            // Read the clock, the policy and the events only under the lock: a recompute that
            // waited behind another (or behind a cancellation) must not write back an older view.
            let now = try await identity.now(for: driverID, on: transaction)
            guard let policy = try await Policies(app: app).paygInForce(of: driverID, on: transaction) else { return }
            try await reconcile(policy, now: now, endingAt: nil, on: transaction)
        }
    }

    /// A PAYG policy stopped covering at `instant` (it was cancelled), inside the cancelling
    /// transaction: its running session ends there and is charged as closed (the minimum
    /// included), its manual cover stops, and every one of its sessions becomes final.
    public func policyEnded(_ policy: Policy, at instant: Date, on transaction: PostgresConnection) async throws {
        guard policy.isPAYG else { return }
        let store = CoverStore(database: transaction)
        try await store.lockDriver(policy.driverId)
        try await reconcile(policy, now: instant, endingAt: instant, on: transaction)
        try await store.endManualShifts(driverID: policy.driverId, at: instant)
        try await store.finalizeAll(policyID: policy.id)
    }

    /// Starts cover by hand for the driver's PAYG policy in force, in one transaction under the
    /// driver's lock: a session opens now if none is open and the balance allows it (422
    /// otherwise), or the manual shift joins the open one.
    func startManually(driverID: UUID, policyID: UUID, at now: Date) async throws -> SessionRecord {
        try await app.database.withTransaction { transaction in
            try await startManually(driverID: driverID, policyID: policyID, at: now, on: transaction)
        }
    }

    /// `startManually` inside the caller's transaction (a staff action's).
    func startManually(driverID: UUID, policyID: UUID, at now: Date, on transaction: PostgresConnection) async throws -> SessionRecord {
        let store = CoverStore(database: transaction)
        try await store.lockDriver(driverID)
        guard let policy = try await Policies(app: app).paygInForce(of: driverID, on: transaction), policy.id == policyID else {
            throw AppError(status: .conflict, slug: "policy-not-payg-active", detail: "only a PAYG policy in force starts cover sessions")
        }
        let coveredBefore = try await store.covering(driverID: driverID, policyID: policy.id, at: now, now: now) != nil
        if !coveredBefore {
            let (cash, promo) = try await Ledger().driverBalances(driverID, on: transaction)
            guard cash + promo >= Self.openingBalance else {
                throw AppError(status: .unprocessableContent, slug: "insufficient-balance",
                               detail: "starting cover needs a balance of at least £10; the balance is \(Money.pence(cash + promo))")
            }
        }
        try await store.startManualShift(driverID: driverID, policyID: policy.id, at: now)
        try await Audit.record("cover.started_by_hand", AuditObject("policy", policy.id, driver: driverID),
                               before: .object(["covered": .bool(coveredBefore)]),
                               after: .object(["covered": .bool(true), "at": .string(RFC3339.format(now))]), on: transaction)
        try await reconcile(policy, now: now, endingAt: nil, on: transaction)
        guard let session = try await store.covering(driverID: driverID, policyID: policy.id, at: now, now: now) else {
            throw AppError(status: .unprocessableContent, slug: "cover-not-started",
                           detail: "cover could not start: a shift that started at this instant was refused for the balance")
        }
        return session
    }

    /// Ends the driver's manual cover now and recomputes (provider shifts still running keep
    /// the session going).
    func endManually(driverID: UUID, at now: Date) async throws {
        try await app.database.withTransaction { transaction in
            try await endManually(driverID: driverID, at: now, on: transaction)
        }
    }

    /// `endManually` inside the caller's transaction (a staff action's).
    func endManually(driverID: UUID, at now: Date, on transaction: PostgresConnection) async throws {
        let store = CoverStore(database: transaction)
        try await store.lockDriver(driverID)
        let wasRunning = try await store.hasOpenManualShift(driverID: driverID)
        try await store.endManualShifts(driverID: driverID, at: now)
        try await Audit.record("cover.ended_by_hand", AuditObject.driver(driverID), before: .object(["manual_cover": .bool(wasRunning)]),
                               after: .object(["manual_cover": .bool(false), "at": .string(RFC3339.format(now))]), on: transaction)
        guard let policy = try await Policies(app: app).paygInForce(of: driverID, on: transaction) else { return }
        try await reconcile(policy, now: now, endingAt: nil, on: transaction)
    }

    /// Recomputes `policy`'s sessions that can still change, under the driver's lock.
    /// `closedByStaff`: a member of staff is force-closing the running session at `now`
    /// (`endingAt` is then `now` too); the caller audits that closing itself.
    func reconcile(_ policy: Policy, now: Date, endingAt: Date?, closedByStaff: Bool = false,
                   on transaction: PostgresConnection) async throws {
        let store = CoverStore(database: transaction)
        let driverID = policy.driverId
        if endingAt == nil {
            try await store.finalize(policyID: policy.id, coverEndedBefore: now.addingTimeInterval(-Self.settlingTime))
        }
        let latestFinal = try await store.latestFinal(policyID: policy.id)
        let recorded = try await store.openToChange(policyID: policy.id)
        // Events up to 48 h before the last recompute may not have been applied yet (the clock
        // can jump): read from there, not only from 48 h before now.
        let computedUntil = try await store.computedUntil(policyID: policy.id) ?? policy.startsAt
        let shifts = try await shifts(of: policy, from: min(now, computedUntil), after: latestFinal, on: transaction)

        var decisions = try await store.decisions(of: driverID)
        let (cash, promo) = try await Ledger().driverBalances(driverID, on: transaction)
        // Each session opened here buys its first hour: later openings in the same pass see less.
        var available = cash + promo
        var newDecisions: [(Date, Bool)] = []
        let sessions = SessionEngine.sessions(shifts: shifts, now: now, endingAt: endingAt) { start in
            if let decided = decisions[start] { return decided }
            let allowed = available >= Self.openingBalance
            if allowed { available -= policy.hourlyRateAmount }
            decisions[start] = allowed
            newDecisions.append((start, allowed))
            return allowed
        }
        for (start, allowed) in newDecisions {
            try await store.recordDecision(driverID: driverID, shiftStart: start, allowed: allowed)
        }

        let before = Dictionary(recorded.map { ($0.startedAt, $0) }, uniquingKeysWith: { first, _ in first })
        for session in sessions {
            let previous = before[session.start]
            let record = try await store.upsert(driverID: driverID, policyID: policy.id, session: session, rate: policy.hourlyRateAmount)
            // A staff member's force-close records its own event, with the closing charge.
            if previous == nil || (session.isClosed && previous?.isClosed != true && !closedByStaff) {
                try await Audit.record(previous == nil ? "cover.session_opened" : "cover.session_closed",
                                       AuditObject("session", record.id, driver: driverID),
                                       before: previous.map(Self.auditSnapshot), after: Self.auditSnapshot(record), on: transaction)
            }
            // Open: the first hour, bought up front. Closed: the whole session.
            let due = session.isClosed ? session.charge(hourlyRateAmount: record.hourlyRateAmount) : record.hourlyRateAmount
            try await charge(record, to: due, adjusting: previous?.isClosed == true, now: now, on: transaction)
            if session.wasCut, previous?.wasCut != true {
                try await tellCut(record, session: session, now: now, on: transaction)
            }
        }
        try await store.setComputedUntil(now, policyID: policy.id, driverID: driverID)
        // Sessions that a late event merged into another no longer exist: give their charge back.
        let starts = Set(sessions.map(\.start))
        for stale in recorded where !starts.contains(stale.startedAt) {
            if stale.chargedAmount > 0 {
                try await wallet.refund(driverID: driverID, amount: stale.chargedAmount,
                                        purchase: .charges(relatedTo: stale.id, kind: .sessionCharge),
                                        description: "Correction: cover session merged into another after a late shift report",
                                        causedBy: "session:\(stale.id.uuidString.lowercased()):superseded", relatedID: stale.id,
                                        at: now, on: transaction)
            }
            try await store.supersede(stale.id)
            try await Audit.record("cover.session_superseded", AuditObject("session", stale.id, driver: driverID),
                                   before: Self.auditSnapshot(stale), after: .object(["status": .string("superseded")]), on: transaction)
        }
    }

    /// The policy's shifts from its start, leaving out everything the latest final session took
    /// in (and anything before it): history behind a final session is settled.
    private func shifts(of policy: Policy, from computedUntil: Date, after latestFinal: SessionRecord?,
                        on transaction: PostgresConnection) async throws -> [Shift] {
        let since = max(policy.startsAt, computedUntil.addingTimeInterval(-Self.horizon))
        // A provider link that ended (unlinked) brings only the events that happened before it
        // ended, and a shift of it still running then stops there: paired per link, then clipped.
        let provided = try await WorkProviders(app: app).shiftEvents(for: policy.driverId, since: since, on: transaction)
        var shifts: [Shift] = []
        for (linkEnd, group) in Dictionary(grouping: provided, by: \.linkEndedAt) {
            let paired = SessionEngine.shifts(from: group.map {
                ShiftEvent(provider: $0.provider, shiftID: $0.shiftID, kind: $0.started ? .started : .ended, at: $0.occurredAt)
            })
            shifts += linkEnd.map { end in paired.map { Shift(start: $0.start, end: min($0.end ?? end, end)) } } ?? paired
        }
        var manualEvents: [ShiftEvent] = []
        for manual in try await CoverStore(database: transaction).manualShifts(of: policy.id, since: since) {
            let id = manual.id.uuidString
            manualEvents.append(ShiftEvent(provider: "manual", shiftID: id, kind: .started, at: manual.start))
            if let end = manual.end { manualEvents.append(ShiftEvent(provider: "manual", shiftID: id, kind: .ended, at: end)) }
        }
        shifts += SessionEngine.shifts(from: manualEvents)
        shifts.sort { ($0.start, $0.end ?? .distantFuture) < ($1.start, $1.end ?? .distantFuture) }
        let settled = latestFinal.map { (start: $0.startedAt, lastShiftEnd: $0.endedAt ?? $0.coveredUntil, wasCut: $0.wasCut) }
        return shifts.filter { shift in
            // Cover never starts before the policy existed.
            guard shift.start >= policy.startsAt else { return false }
            guard let settled else { return true }
            return !SessionEngine.isBehind(shift.start, closed: settled, closedByStaffAt: latestFinal?.closedByStaffAt)
        }
    }

    /// Brings the session's charge to `total` (gross): one posting for the difference, with
    /// the IPT of the total rounded once and the IPT already charged taken off. Dated now: money
    /// is dated when it moves.
    private func charge(_ record: SessionRecord, to total: Int64, adjusting: Bool, now: Date,
                        on transaction: PostgresConnection) async throws {
        guard total > record.chargedAmount else { return }
        let totalIPT = PremiumTax.ipt(ofGross: total)
        let description = if record.chargedAmount == 0 && !record.isClosed {
            "Cover session: first hour, bought as it started"
        } else if adjusting {
            "Cover session, \(record.billedMinutes) minutes in all: adjusted for a late shift report"
        } else if record.chargedAmount == 0 {
            "Cover session, \(record.billedMinutes) minutes"
        } else {
            "Cover session, \(record.billedMinutes) minutes in all: the rest after the first hour"
        }
        try await wallet.spend(
            driverID: record.driverID, gross: total - record.chargedAmount, ipt: totalIPT - record.iptAmount, kind: .sessionCharge,
            description: description, causedBy: Self.chargeCause(record.id, total: total),
            relatedID: record.id, at: now, allowOverdraft: true, on: transaction)
        try await CoverStore(database: transaction).recordCharge(record.id, charged: total, ipt: totalIPT)
    }

    /// The 14-hour cut: the driver and every linked provider are told (PRODUCT.md).
    private func tellCut(_ record: SessionRecord, session: CoverSession, now: Date, on transaction: PostgresConnection) async throws {
        let key = "session:\(record.id.uuidString.lowercased()):cut"
        try await Notifications(app: app).notify(
            record.driverID, kind: "session_cut", title: "Cover stopped after 14 hours",
            body: "Your cover session that started at \(RFC3339.format(session.start)) reached 14 hours and stopped. "
                + "Start a new shift to be covered again.",
            cause: key, at: now, on: transaction)
        try await notices.tell(driverID: record.driverID, type: "cover_cut", key: key, at: session.cutAt, on: transaction)
    }

    /// What the audit trail keeps of a session.
    static func auditSnapshot(_ record: SessionRecord) -> JSONValue {
        .object(["status": .string(record.status), "started_at": .string(RFC3339.format(record.startedAt)),
                 "ended_at": record.endedAt.map { .string(RFC3339.format($0)) } ?? .null,
                 "covered_until": .string(RFC3339.format(record.coveredUntil)), "billed_minutes": .integer(Int64(record.billedMinutes)),
                 "charged_amount": .integer(record.chargedAmount), "was_cut": .bool(record.wasCut)])
    }

    static func chargeCause(_ sessionID: UUID, total: Int64) -> String {
        "session:\(sessionID.uuidString.lowercased()):charged:\(total)"
    }

    /// Recomputes every driver with an active session (real-time drivers; test-clock drivers
    /// move only when their clock is advanced).
    public func sweep() async {
        do {
            for driverID in try await CoverStore(database: app.database).driversWithActiveSessions() {
                try await recompute(driverID: driverID)
            }
        } catch {
            app.logger.error("cover sweep failed", metadata: ["error": "\(error)"])
        }
    }
}

extension CoverService {
    /// What covered the driver at `instant`: for one policy when `policy` is given (a claim
    /// against it, say), otherwise any PAYG session or paid hourly block of theirs. Nil when
    /// nothing did: no session, a block not (yet) paid, or an instant after a cancellation.
    public func coverage(of driverID: UUID, policy: Policy?, at instant: Date, now: Date) async throws -> Coverage? {
        let store = CoverStore(database: app.database)
        func covered(_ session: SessionRecord) -> Coverage {
            // A running shift is covered up to now at least.
            let until = session.isClosed || session.endedAt != nil ? session.coveredUntil : max(session.coveredUntil, now)
            return Coverage(policyID: session.policyId, sessionID: session.id, coveredUntil: until)
        }
        if let policy {
            guard let window = policy.coverWindow, window.contains(instant) else { return nil }
            guard policy.isPAYG else { return Coverage(policyID: policy.id, sessionID: nil, coveredUntil: window.upperBound) }
            return try await store.covering(driverID: driverID, policyID: policy.id, at: instant, now: now).map(covered)
        }
        switch try await store.sessionOrBlock(driverID: driverID, at: instant, now: now) {
        case .session(let session): return covered(session)
        case .block(let policyID, let coveredUntil): return Coverage(policyID: policyID, sessionID: nil, coveredUntil: coveredUntil)
        case nil: return nil
        }
    }
}
