import AppKernel
import Foundation
import Ledger
import Payments
import Postgres
import Reconciliation
import TestSupport
import Testing

/// Issue #13: a settlement report, matched line by line to the ledger's clearing legs, with
/// every exception kind, the re-import no-op, malformed files refused whole, columns by name,
/// zero-decimal currencies, and the clearing account netting to zero per payout.
@Suite(.tags(.database)) struct ReconciliationImportTests {
    @Test func everyLineIsMatchedOrAnExceptionOfOneKind() async throws {
        let r = try ReconFixture()
        let matched = try await r.leg(amount: 2_000)
        let refund = try await r.leg(amount: -450, kind: "re")
        let differs = try await r.leg(amount: 1_000)
        let euro = try await r.leg(amount: 1_500)
        let lost = r.uniqueID("ch"), lostTransaction = UUID()          // the processor has it; our webhook never came
        let payout = r.uniqueID("po")
        let lines = [
            r.line(payout, source: matched.ref, gross: "20.00", fee: "0.50", metadata: matched.transaction),
            r.line(payout, source: refund.ref, gross: "-4.50", fee: "0.00", category: "refund", metadata: refund.transaction),
            r.line(payout, source: differs.ref, gross: "10.01", fee: "0.35", metadata: differs.transaction),
            r.line(payout, currency: "eur", source: euro.ref, gross: "15.00", fee: "0.43", metadata: euro.transaction),
            r.line(payout, source: lost, gross: "7.50", fee: "0.31", metadata: lostTransaction),
            r.line(payout, source: r.uniqueID("ch"), gross: "3.00", fee: "0.25", metadata: nil),   // not ours
            r.line(payout, source: nil, gross: "-2.00", fee: "0.00", category: "fee", metadata: nil, description: "Radar screening fees"),
        ]
        let duplicated = lines + [lines[0]]
        let summary = try await r.importReport(duplicated)
        #expect(summary.lineCount == 8)
        #expect(summary.matchedCount == 2)
        #expect(summary.feeLineCount == 1)
        #expect(summary.exceptions[.amountMismatch] == 1)
        #expect(summary.exceptions[.currencyMismatch] == 1)
        #expect(summary.exceptions[.missingInternal] == 1)
        #expect(summary.exceptions[.unknownReference] == 1)
        #expect(summary.exceptions[.duplicateLine] == 1)
        #expect(summary.exceptions[.alreadySettled] == 0)
        #expect(summary.isRepeat == false)
        let mismatch = try await r.exception(run: summary.runID, kind: "amount_mismatch")
        #expect(mismatch.ledger == 1_000 && mismatch.processor == 1_001)
        try await r.expectClearingNetsToZero(run: summary.runID)
        try await r.expectBooksBalanced(run: summary.runID)
    }

    @Test func theSameReportTwiceIsANoOpHoweverItIsCompressed() async throws {
        let r = try ReconFixture()
        let leg = try await r.leg(amount: 1_200)
        let lines = [r.line(r.uniqueID("po"), source: leg.ref, gross: "12.00", fee: "0.38", metadata: leg.transaction)]
        let first = try await r.importReport(lines)
        let postings = try await r.settlementPostings(run: first.runID)
        let again = try await r.importReport(lines)
        let gzipped = try await r.importReport(lines, gzip: true)
        #expect(again.isRepeat && again.runID == first.runID)
        #expect(gzipped.isRepeat && gzipped.runID == first.runID)
        #expect(try await r.settlementPostings(run: first.runID) == postings)
        #expect(try await r.runs(containing: leg.ref) == 1)
    }

    @Test func aLineSettledByAnEarlierReportIsAlreadySettledAndNotBookedAgain() async throws {
        let r = try ReconFixture()
        let leg = try await r.leg(amount: 900)
        let line = r.line(r.uniqueID("po"), source: leg.ref, gross: "9.00", fee: "0.34", metadata: leg.transaction)
        let first = try await r.importReport([line])
        #expect(first.matchedCount == 1)
        // A later report re-delivers the same balance transaction, with a line of its own.
        let other = try await r.leg(amount: 300)
        let second = try await r.importReport([line, r.line(r.uniqueID("po"), source: other.ref, gross: "3.00", fee: "0.25", metadata: other.transaction)])
        #expect(second.isRepeat == false)
        #expect(second.exceptions[.alreadySettled] == 1)
        #expect(second.matchedCount == 1)
        try await r.expectClearingNetsToZero(run: second.runID)
    }

    @Test func aMalformedFileIsRefusedWholeWithItsLineNumberAndNothingWritten() async throws {
        let r = try ReconFixture()
        let leg = try await r.leg(amount: 500)
        let good = r.line(r.uniqueID("po"), source: leg.ref, gross: "5.00", fee: "0.28", metadata: leg.transaction)
        let cases: [(String, Int, String)] = [
            (ReconFixture.header + "\n" + good + "\n" + good.replacingOccurrences(of: ",5.00,", with: ",5.0.0,") + "\n", 3, "gross"),
            (ReconFixture.header + "\n" + good + "\n" + good.replacingOccurrences(of: ",gbp,", with: ",gb,") + "\n", 3, "currency"),
            (ReconFixture.header + "\n" + good + "\n" + good + ",extra\n", 3, "columns"),
            (ReconFixture.header + "\n" + good.replacingOccurrences(of: ",0.28,4.72,", with: ",0.28,4.00,") + "\n", 2, "net"),
            (ReconFixture.header + "\n" + good.replacingOccurrences(of: ",5.00,", with: ",5.001,") + "\n", 2, "gross"),
            (ReconFixture.header.replacingOccurrences(of: "balance_transaction_id,", with: "txn,") + "\n" + good + "\n", 1, "balance_transaction_id"),
            (ReconFixture.header + "\n", 2, "no lines"),
        ]
        for (text, line, word) in cases {
            let before = try await r.lineCount()
            await #expect {
                _ = try await r.reconciliation.importReport(bytes: Array(text.utf8), fileName: "bad.csv", source: .cli, actor: "test")
            } throws: { error in
                guard case .malformed(let at, let message) = error as? ReconciliationError else { return false }
                return at == line && message.contains(word)
            }
            #expect(try await r.lineCount() == before)
        }
        #expect(try await r.runs(containing: leg.ref) == 0)
        // A truncated gzip file is refused too.
        let gzip = try ReconFixture.gzip(Array((ReconFixture.header + "\n" + good + "\n").utf8))
        await #expect(throws: ReconciliationError.self) {
            _ = try await r.reconciliation.importReport(bytes: Array(gzip.dropLast(12)), fileName: "cut.csv.gz", source: .cli, actor: "test")
        }
    }

    @Test func columnsAreFoundByTheirHeaderNameInAnyOrder() async throws {
        let r = try ReconFixture()
        let leg = try await r.leg(amount: 2_500)
        let line = r.line(r.uniqueID("po"), source: leg.ref, gross: "25.00", fee: "0.58", metadata: leg.transaction)
        let names = ReconFixture.header.split(separator: ",").map(String.init)
        let values = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let order = Array(names.indices.reversed())
        let text = order.map { names[$0] }.joined(separator: ",") + "\n" + order.map { values[$0] }.joined(separator: ",") + "\n"
        let summary = try await r.reconciliation.importReport(bytes: Array(text.utf8), fileName: "shuffled.csv", source: .cli, actor: "test")
        #expect(summary.matchedCount == 1)
    }

    @Test func aZeroDecimalCurrencyIsReadInWholeUnits() async throws {
        let r = try ReconFixture()
        let payout = r.uniqueID("po")
        let summary = try await r.importReport([
            r.line(payout, currency: "jpy", source: r.uniqueID("ch"), gross: "1500", fee: "45", metadata: nil),
        ])
        let amounts = try await r.lineAmounts(run: summary.runID)
        #expect(amounts == [1_500, 45, 1_455])
        let refused = ReconFixture.header + "\n" + r.line(payout, currency: "jpy", source: r.uniqueID("ch"), gross: "15.00", fee: "0", metadata: nil) + "\n"
        await #expect(throws: ReconciliationError.self) {
            _ = try await r.reconciliation.importReport(bytes: Array(refused.utf8), fileName: "yen.csv", source: .cli, actor: "test")
        }
        try await r.expectBooksBalanced(run: summary.runID)
    }

    @Test func aLegBookedWithoutTheProcessorsIdIsFoundByOurMetadata() async throws {
        let r = try ReconFixture()
        let leg = try await r.leg(amount: 1_000, withReference: false)
        let summary = try await r.importReport([r.line(r.uniqueID("po"), source: r.uniqueID("ch"), gross: "10.00", fee: "0.35", metadata: leg.transaction)])
        #expect(summary.matchedCount == 1)
        try await r.expectClearingNetsToZero(run: summary.runID)
    }

    @Test func aPayoutWhoseLinesDoNotAddUpToItIsAnException() async throws {
        let r = try ReconFixture()
        let leg = try await r.leg(amount: 4_000)
        let payout = r.uniqueID("po")
        try await r.reportPayout(payout, amount: 3_900)   // the processor's payout.paid said £39.00
        let summary = try await r.importReport([r.line(payout, source: leg.ref, gross: "40.00", fee: "0.80", metadata: leg.transaction)])
        #expect(summary.exceptions[.payoutMismatch] == 1)
        let exception = try await r.exception(run: summary.runID, kind: "payout_mismatch")
        #expect(exception.ledger == 3_920 && exception.processor == 3_900)
    }

    @Test func aLegTheProcessorNeverSettledIsOpenedOnceAndClosesWhenItSettles() async throws {
        let r = try ReconFixture()
        let old = try await r.leg(amount: 700, postedAt: Date().addingTimeInterval(-10 * 86_400))
        _ = try await r.reconciliation.checkUnsettledLegs(now: Date(), olderThanDays: 7)
        _ = try await r.reconciliation.checkUnsettledLegs(now: Date().addingTimeInterval(60), olderThanDays: 7)
        #expect(try await r.missingAtProcessor(ref: old.ref) == ["open"])
        _ = try await r.importReport([r.line(r.uniqueID("po"), source: old.ref, gross: "7.00", fee: "0.31", metadata: old.transaction)])
        #expect(try await r.missingAtProcessor(ref: old.ref) == ["resolved"])
    }

    @Test func quotedFieldsAndWindowsLineEndsAreRead() async throws {
        let r = try ReconFixture()
        let leg = try await r.leg(amount: 1_100)
        let line = r.line(r.uniqueID("po"), source: leg.ref, gross: "11.00", fee: "0.37", metadata: leg.transaction,
                          description: "\"Top-up, \"\"weekly\"\"\"")
        let text = ReconFixture.header + "\r\n" + line + "\r\n"
        let summary = try await r.reconciliation.importReport(bytes: Array(text.utf8), fileName: "crlf.csv", source: .cli, actor: "test")
        #expect(summary.matchedCount == 1)
        let description = try await TestDatabase.pool.queryValue(
            "SELECT description FROM reconciliation.lines WHERE run_id = \(summary.runID)", as: String.self)
        #expect(description == "Top-up, \"weekly\"")
    }

    /// Finance uploads the report while the payout webhook's job imports it: one run books it.
    @Test func twoImportsOfOneReportAtOnceBookItOnce() async throws {
        let r = try ReconFixture()
        let leg = try await r.leg(amount: 6_000)
        let lines = [r.line(r.uniqueID("po"), source: leg.ref, gross: "60.00", fee: "1.10", metadata: leg.transaction)]
        async let first = r.importReport(lines)
        async let second = r.importReport(lines, gzip: true)
        let results = try await [first, second]
        #expect(results.filter { !$0.isRepeat }.count == 1)
        #expect(Set(results.map(\.runID)).count == 1)
        #expect(try await r.runs(containing: leg.ref) == 1)
    }
}
