public import AppKernel
public import Foundation
import Identity
import Ledger
import Logging
import Notifications
import Policies
import Postgres
import Quotes
public import Wallet
import WorkProviders

/// Turns shift history into recorded sessions and charges. Every call recomputes the driver's
/// sessions from all their recent shift events with `SessionEngine` and reconciles the records,
/// so duplicates, late events and any arrival order give the outcome of in-order processing.
/// Charges are posted when a session closes (one rounding per session); a later change to a
/// closed session is settled as a difference, never by editing the ledger.
public struct CoverService: Sendable {
    /// Shift history older than this cannot change anything any more (events are at most 24 h
    /// late and sessions at most 14 h long).
    static let horizon: TimeInterval = 48 * 3600
    /// Opening a session needs this much in the wallet (PRODUCT.md: £10).
    public static let openingBalance: Int64 = 1000

    let app: AppContext
    let wallet: Wallet

    public init(app: AppContext, wallet: Wallet) {
        self.app = app
        self.wallet = wallet
    }

    /// "Now" for a driver: their test clock in sandbox mode, otherwise the real time.
    public func now(for driverID: UUID) async throws -> Date {
        if app.config.environment.isSandbox, let clockID = try await Identity(app: app).account(driverID)?.testClockID,
           let clock = try await TestClockStore(database: app.database).find(id: clockID) {
            return clock.frozenTime
        }
        return Date()
    }

    /// Recomputes and records the driver's sessions as of `now`, charging those that closed.
    public func recompute(driverID: UUID, now requestedNow: Date) async throws {
        guard let policy = try await Policies(app: app).standingPAYG(of: driverID) else { return }
        try await app.database.withTransaction { transaction in
            let store = CoverStore(database: transaction)
            try await store.lockDriver(driverID)
            // Read the clock and the events only under the lock: a recompute that waited behind
            // another must not write back an older view (it would supersede sessions that exist).
            let now = max(requestedNow, try await self.now(for: driverID))
            let since = now.addingTimeInterval(-Self.horizon)
            let providerEvents = try await WorkProviders(app: app).shiftEvents(for: driverID, since: since, on: transaction)
            var events = providerEvents.map {
                ShiftEvent(provider: $0.provider, shiftID: $0.shiftID, kind: $0.started ? .started : .ended, at: $0.occurredAt)
            }
            for manual in try await store.manualShifts(of: driverID, since: since) {
                let id = manual.id.uuidString
                events.append(ShiftEvent(provider: "manual", shiftID: id, kind: .started, at: manual.start))
                if let end = manual.end { events.append(ShiftEvent(provider: "manual", shiftID: id, kind: .ended, at: end)) }
            }
            let shifts = SessionEngine.shifts(from: events).filter { $0.start >= policy.startsAt.addingTimeInterval(-60) }
            var decisions = try await store.decisions(of: driverID)
            let (cash, promo) = try await Ledger().driverBalances(driverID, on: transaction)
            var newDecisions: [(Date, Bool)] = []
            let sessions = SessionEngine.sessions(shifts: shifts, now: now) { start in
                if let decided = decisions[start] { return decided }
                let allowed = cash + promo >= Self.openingBalance
                decisions[start] = allowed
                newDecisions.append((start, allowed))
                return allowed
            }
            for (start, allowed) in newDecisions {
                try await store.recordDecision(driverID: driverID, shiftStart: start, allowed: allowed)
            }
            let recorded = try await store.sessions(of: driverID, since: since)
            for session in sessions {
                let record = try await store.upsert(driverID: driverID, policyID: policy.id, session: session, rate: policy.hourlyRateAmount)
                guard session.isClosed else { continue }
                try await charge(record, total: session.charge(hourlyRateAmount: record.hourlyRateAmount), now: now, on: transaction)
                if session.wasCut {
                    try await Notifications(app: app).notify(
                        driverID, kind: "session_cut", title: "Cover stopped after 14 hours",
                        body: "Your cover session that started at \(RFC3339.format(session.start)) reached 14 hours and stopped. "
                            + "Start a new shift to be covered again.",
                        cause: "session:\(record.id.uuidString.lowercased()):cut", at: now, on: transaction)
                }
            }
            // Sessions that a late event merged into another no longer exist: give their charge back.
            let starts = Set(sessions.map(\.start))
            for stale in recorded where !starts.contains(stale.startedAt) {
                if stale.chargedAmount > 0 {
                    try await wallet.refund(driverID: driverID, amount: stale.chargedAmount,
                                            purchaseCause: Self.chargeCause(stale.id, total: stale.chargedAmount),
                                            description: "Correction: cover session merged into another",
                                            causedBy: "session:\(stale.id.uuidString.lowercased()):superseded", relatedID: stale.id,
                                            at: now, on: transaction)
                }
                try await store.supersede(stale.id)
            }
        }
    }

    /// Brings the session's charge to `total` (gross): one posting for the difference, with
    /// the IPT of the total rounded once and the previous IPT taken off.
    private func charge(_ record: SessionRecord, total: Int64, now: Date, on transaction: PostgresConnection) async throws {
        guard total > record.chargedAmount else { return }
        let totalIPT = Quote.ipt(ofGross: total)
        try await wallet.spend(
            driverID: record.driverID, gross: total - record.chargedAmount, ipt: totalIPT - record.iptAmount, kind: .sessionCharge,
            description: "Cover session, \(record.billedMinutes) minutes", causedBy: Self.chargeCause(record.id, total: total),
            relatedID: record.id, at: record.endedAt ?? now, allowOverdraft: true, on: transaction)
        try await CoverStore(database: transaction).recordCharge(record.id, charged: total, ipt: totalIPT)
    }

    static func chargeCause(_ sessionID: UUID, total: Int64) -> String {
        "session:\(sessionID.uuidString.lowercased()):charged:\(total)"
    }

    /// Recomputes every driver with an active session (real-time drivers; test-clock drivers
    /// move only when their clock is advanced).
    public func sweep() async {
        do {
            for driverID in try await CoverStore(database: app.database).driversWithActiveSessions() {
                let now = try await now(for: driverID)
                try await recompute(driverID: driverID, now: now)
            }
        } catch {
            app.logger.error("cover sweep failed", metadata: ["error": "\(error)"])
        }
    }
}

extension CoverService {
    /// The recorded session covering `instant` for the driver, if any (for claims).
    public func session(covering instant: Date, driverID: UUID, now: Date) async throws -> UUID? {
        try await CoverStore(database: app.database).covering(driverID: driverID, at: instant, now: now)?.id
    }
}
