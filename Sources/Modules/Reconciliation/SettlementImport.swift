import AppKernel
import Audit
import Foundation
import Ledger
import Payments
import Postgres

/// One import of a settlement report, start to finish in ONE transaction: the repeat check,
/// the streamed COPY into staging, the set-based match, the exceptions, and the settlement
/// postings (one per payout and currency). Anything refused or failed leaves nothing behind.
struct SettlementImport {
    let app: AppContext
    let payments: Payments

    func run(_ file: SettlementFile, fileName: String, source: ImportSource, actor: String,
             progress: (@Sendable (ImportProgress) -> Void)?) async throws -> ImportSummary {
        let startedAt = app.clock.now()
        let fileSHA256 = try file.rawSHA256()
        return try await app.database.withTransaction(isolation: nil, maxAttempts: 1) { transaction in
            let store = ReconciliationStore(database: transaction)
            try await store.lockImports()
            if let earlier = try await store.run(fileSHA256: fileSHA256), let summary = try await store.summary(runID: earlier, isRepeat: true) {
                return summary
            }
            try await store.prepareImport()
            let stream = SettlementStream(file: file, progress: progress)
            _ = try await transaction.copyFrom(ReconciliationStore.stagedColumns, timeout: ReconciliationStore.longStatement) {
                try stream.next()
            }
            // The same report, compressed differently (or not at all): nothing to do.
            if let earlier = try await store.run(contentSHA256: stream.contentSHA256),
               let summary = try await store.summary(runID: earlier, isRepeat: true) {
                try await store.clearStaging()
                return summary
            }
            let runID = UUID()
            let window = try await store.stagedWindow()
            try await store.insertRun(id: runID, source: source, fileName: fileName, fileSHA256: fileSHA256,
                                      contentSHA256: stream.contentSHA256, actor: actor, startedAt: startedAt, window: window)
            _ = try await store.classifyStagedLines(runID: runID, window: window)
            try await store.clearStaging()
            let now = app.clock.now()
            try await store.openLineExceptions(runID: runID, now: now)
            try await store.resolveMissingAtProcessor(settledBy: runID, now: now)
            let payouts = try await store.payoutTotals(runID: runID)
            try await checkPayouts(payouts, runID: runID, store: store, now: now, on: transaction)
            for payout in payouts { try await book(payout, runID: runID, on: transaction) }

            try await store.finishRun(id: runID, finishedAt: app.clock.now(), lines: stream.lineCount,
                                      payouts: Set(payouts.map(\.payoutID)).count)
            guard let summary = try await store.summary(runID: runID, isRepeat: false) else {
                throw AppError.conflict("the run \(runID) vanished while it was written")
            }
            try await Audit.record("reconciliation.imported", AuditObject("reconciliation_run", runID.uuidString.lowercased()),
                                   after: .object(["file": .string(fileName), "source": .string(source.name), "lines": .number(Double(summary.lineCount)),
                                                   "matched": .number(Double(summary.matchedCount)), "exceptions": .number(Double(summary.exceptionCount)),
                                                   "payouts": .number(Double(summary.payoutCount))]),
                                   on: transaction)
            return summary
        }
    }

    /// A payout the processor told us about (its `payout.*` event) whose lines in this report
    /// do not add up to it.
    private func checkPayouts(_ payouts: [PayoutTotals], runID: UUID, store: ReconciliationStore, now: Date,
                              on transaction: PostgresConnection) async throws {
        let reported = try await payments.reportedPayouts(Array(Set(payouts.map(\.payoutID))), on: transaction)
        for payout in payouts {
            guard let known = reported[payout.payoutID], known.currency.uppercased() == payout.currency, known.amount != payout.net else { continue }
            try await store.openPayoutMismatch(runID: runID, payoutID: payout.payoutID, currency: payout.currency,
                                               linesNet: payout.net, payoutAmount: known.amount, now: now)
        }
    }

    /// The settlement posting of one payout in one currency: the bank receives the nets, the
    /// processor's fees are an expense, the clearing legs the lines matched are relieved, and
    /// whatever the lines settled that our ledger cannot explain (the exceptions) waits in
    /// suspense until finance corrects it. Balanced by construction; the clearing account nets
    /// to zero over a payout's matched legs and this posting.
    private func book(_ payout: PayoutTotals, runID: UUID, on transaction: PostgresConnection) async throws {
        let currency = payout.currency
        let clearing = currency == LedgerAccount.homeCurrency ? payout.clearing : 0
        let suspense = -(payout.net + payout.fees - clearing)
        let posting = LedgerPosting(
            causedBy: "reconciliation:\(runID.uuidString.lowercased()):payout:\(payout.payoutID):\(currency)", kind: .settlement,
            driverID: nil, description: "Payout \(payout.payoutID) settled (\(payout.lineCount) lines, \(currency))",
            driverAmount: 0, funding: "none", relatedID: runID,
            entries: [(.bank(currency: currency), payout.net), (.processorFees(currency: currency), payout.fees),
                      (.pspClearing, -clearing), (.settlementSuspense(currency: currency), suspense)],
            createdAt: payout.effectiveAt)
        // Nothing moved when the lines sum to zero on every account: no posting, but the record.
        let posted = posting.entries.count >= 2
        if posted { try await Ledger().post(posting, on: transaction) }
        try await ReconciliationStore(database: transaction).recordPayout(payout, runID: runID, clearing: clearing, suspense: suspense,
                                                                         postingID: posted ? posting.id : nil)
    }
}
