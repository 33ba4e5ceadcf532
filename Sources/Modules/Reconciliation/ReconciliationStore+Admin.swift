import AppKernel
import Foundation
import Postgres

/// One import, as the runs list shows it.
struct RunRow: Sendable {
    let id: UUID
    let source: String
    let fileName: String
    let payoutID: String?
    let actor: String
    let startedAt: Date
    let finishedAt: Date
    let createdFrom: Date?
    let createdTo: Date?
    let lineCount: Int
    let matchedCount: Int
    let feeLineCount: Int
    let exceptionCount: Int
    let payoutCount: Int

    /// Its columns, in the order `init(row:)` reads them.
    static let columns: SQL = """
        id, source, file_name, payout_id, actor, started_at, finished_at, created_from, created_to,
        line_count, matched_count, fee_line_count, exception_count, payout_count
        """

    /// From `columns`.
    init(row: PostgresRow) throws {
        id = try row.decode(UUID.self, at: 0)
        source = try row.decode(String.self, at: 1)
        fileName = try row.decode(String.self, at: 2)
        payoutID = try row.decode(String?.self, at: 3)
        actor = try row.decode(String.self, at: 4)
        startedAt = try row.decode(Date.self, at: 5)
        finishedAt = try row.decode(Date.self, at: 6)
        createdFrom = try row.decode(Date?.self, at: 7)
        createdTo = try row.decode(Date?.self, at: 8)
        lineCount = try row.decode(Int.self, at: 9)
        matchedCount = try row.decode(Int.self, at: 10)
        feeLineCount = try row.decode(Int.self, at: 11)
        exceptionCount = try row.decode(Int.self, at: 12)
        payoutCount = try row.decode(Int.self, at: 13)
    }
}

/// One settlement line with every column the report gave, and what it matched.
struct LineRow: Sendable {
    let runID: UUID
    let lineNumber: Int
    let payoutID: String
    let payoutEffectiveAt: Date?
    let balanceTransactionID: String
    let createdAt: Date
    let currency: String
    let grossAmount: Int64
    let feeAmount: Int64
    let netAmount: Int64
    let category: String
    let sourceID: String?
    let description: String?
    let paymentIntentID: String?
    let hourglassTransactionID: UUID?
    let outcome: String
    let matchedBy: String?
    let entryID: Int64?
    let ledgerAmount: Int64?

    /// Its columns, in the order `init(row:)` reads them.
    static let columns: SQL = """
        run_id, line_number, payout_id, payout_effective_at, balance_transaction_id, created_at, currency, gross_amount, fee_amount,
        net_amount, category, source_id, description, payment_intent_id, hourglass_txn_id, outcome, matched_by, entry_id, ledger_amount
        """

    /// From `columns`.
    init(row: PostgresRow) throws {
        runID = try row.decode(UUID.self, at: 0)
        lineNumber = try row.decode(Int.self, at: 1)
        payoutID = try row.decode(String.self, at: 2)
        payoutEffectiveAt = try row.decode(Date?.self, at: 3)
        balanceTransactionID = try row.decode(String.self, at: 4)
        createdAt = try row.decode(Date.self, at: 5)
        currency = try row.decode(String.self, at: 6).trimmingCharacters(in: .whitespaces).uppercased()
        grossAmount = try row.decode(Int64.self, at: 7)
        feeAmount = try row.decode(Int64.self, at: 8)
        netAmount = try row.decode(Int64.self, at: 9)
        category = try row.decode(String.self, at: 10)
        sourceID = try row.decode(String?.self, at: 11)
        description = try row.decode(String?.self, at: 12)
        paymentIntentID = try row.decode(String?.self, at: 13)
        hourglassTransactionID = try row.decode(UUID?.self, at: 14)
        outcome = try row.decode(String.self, at: 15)
        matchedBy = try row.decode(String?.self, at: 16)
        entryID = try row.decode(Int64?.self, at: 17)
        ledgerAmount = try row.decode(Int64?.self, at: 18)
    }
}

/// What a run booked for one payout in one currency (`reconciliation.run_payouts`).
struct RunPayoutRow: Sendable {
    let payoutID: String
    let currency: String
    /// Its lines, duplicates and lines settled before left out (they book nothing).
    let lines: Int
    let net: Int64
    let fee: Int64
    let clearing: Int64
    let suspense: Int64
    let postingID: UUID?
}

/// A run's exceptions of one kind, open and all.
struct KindCountRow: Sendable {
    let kind: String
    let open: Int
    let total: Int
}

/// One of our clearing legs, as the ledger publishes it (`ledger.clearing_legs`).
struct ClearingLegRow: Sendable {
    let entryID: Int64
    let transactionID: UUID
    let externalRef: String?
    let amount: Int64
    let currency: String
    let postedAt: Date
}

/// The reconciliation schema's queries for the admin pages (and the one view of the ledger
/// it may read).
extension ReconciliationStore {
    /// Runs newest first, `limit + 1` after the cursor.
    func runs(after: PageRequest.Cursor?, limit: Int) async throws -> [RunRow] {
        let keyset: SQL = after.map { "WHERE (started_at, id) < (\($0.createdAt), \($0.id))" } ?? ""
        return try await database.queryAll("""
            SELECT \(RunRow.columns) FROM reconciliation.runs \(keyset) ORDER BY started_at DESC, id DESC LIMIT \(limit + 1)
            """, decode: RunRow.init(row:))
    }

    /// One run, or nil.
    func run(id: UUID) async throws -> RunRow? {
        try await database.queryOptional("SELECT \(RunRow.columns) FROM reconciliation.runs WHERE id = \(id)", decode: RunRow.init(row:))
    }

    /// A run's exceptions by kind (a handful of rows, through the run's index).
    func kindCounts(runID: UUID) async throws -> [KindCountRow] {
        try await database.queryAll("""
            SELECT kind, count(*) FILTER (WHERE status = 'open'), count(*) FROM reconciliation.exceptions WHERE run_id = \(runID)
            GROUP BY kind ORDER BY kind
            """) { KindCountRow(kind: try $0.decode(String.self, at: 0), open: try $0.decode(Int.self, at: 1), total: try $0.decode(Int.self, at: 2)) }
    }

    /// What the run booked per payout and currency.
    func payouts(runID: UUID, limit: Int) async throws -> [RunPayoutRow] {
        try await database.queryAll("""
            SELECT payout_id, currency, line_count, net_amount, fee_amount, clearing_amount, suspense_amount, ledger_transaction_id
            FROM reconciliation.run_payouts WHERE run_id = \(runID) ORDER BY payout_id, currency LIMIT \(limit)
            """) { row in
            RunPayoutRow(payoutID: try row.decode(String.self, at: 0), currency: try row.decode(String.self, at: 1).trimmingCharacters(in: .whitespaces).uppercased(),
                         lines: try row.decode(Int.self, at: 2), net: try row.decode(Int64.self, at: 3), fee: try row.decode(Int64.self, at: 4),
                         clearing: try row.decode(Int64.self, at: 5), suspense: try row.decode(Int64.self, at: 6), postingID: try row.decode(UUID?.self, at: 7))
        }
    }

    /// A run's lines in file order after `afterLine`, `limit + 1` of them. Lines of exception
    /// outcomes only are found through the exceptions (few) rather than by reading every line.
    func lines(runID: UUID, outcomes: [String], exceptionOutcomesOnly: Bool, afterLine: Int, limit: Int) async throws -> [LineRow] {
        if exceptionOutcomesOnly {
            return try await database.queryAll("""
                SELECT \(LineRow.columns) FROM reconciliation.lines
                WHERE run_id = \(runID) AND outcome = ANY(\(outcomes)) AND line_number IN (
                    SELECT line_number FROM reconciliation.exceptions
                    WHERE run_id = \(runID) AND kind = ANY(\(outcomes)) AND line_number > \(afterLine)
                    ORDER BY line_number LIMIT \(limit + 1))
                ORDER BY line_number LIMIT \(limit + 1)
                """, decode: LineRow.init(row:))
        }
        return try await database.queryAll("""
            SELECT \(LineRow.columns) FROM reconciliation.lines
            WHERE run_id = \(runID) AND (cardinality(\(outcomes)::text[]) = 0 OR outcome = ANY(\(outcomes))) AND line_number > \(afterLine)
            ORDER BY line_number LIMIT \(limit + 1)
            """, decode: LineRow.init(row:))
    }

    /// One line of a run, or nil.
    func line(runID: UUID, lineNumber: Int) async throws -> LineRow? {
        try await database.queryOptional("""
            SELECT \(LineRow.columns) FROM reconciliation.lines WHERE run_id = \(runID) AND line_number = \(lineNumber)
            """, decode: LineRow.init(row:))
    }

    /// The lines that settled this balance transaction first (in any run but `exceptRun`, or in it
    /// before `beforeLine`): what a duplicate or re-delivered line repeats.
    func settlingLines(balanceTransactionID: String, exceptRun: UUID, orBefore beforeLine: Int, limit: Int) async throws -> [LineRow] {
        try await database.queryAll("""
            SELECT \(LineRow.columns) FROM reconciliation.lines
            WHERE balance_transaction_id = \(balanceTransactionID) AND outcome NOT IN ('duplicate_line', 'already_settled')
              AND (run_id <> \(exceptRun) OR line_number < \(beforeLine))
            ORDER BY created_at, run_id, line_number LIMIT \(limit)
            """, decode: LineRow.init(row:))
    }

    /// An earlier line that settled the same clearing leg (an already-settled leg).
    func settlingLines(entryID: Int64, exceptRun: UUID, limit: Int) async throws -> [LineRow] {
        try await database.queryAll("""
            SELECT \(LineRow.columns) FROM reconciliation.lines
            WHERE entry_id = \(entryID) AND outcome NOT IN ('duplicate_line', 'already_settled') AND run_id <> \(exceptRun)
            ORDER BY run_id, line_number LIMIT \(limit)
            """, decode: LineRow.init(row:))
    }

    /// Lines by the processor's balance transaction id (`txn_…`), for search.
    func lines(balanceTransactionID: String, limit: Int) async throws -> [LineRow] {
        try await database.queryAll("""
            SELECT \(LineRow.columns) FROM reconciliation.lines
            WHERE balance_transaction_id = \(balanceTransactionID) AND outcome NOT IN ('duplicate_line', 'already_settled')
            LIMIT \(limit)
            """, decode: LineRow.init(row:))
    }

    /// Our clearing leg, through the ledger's published view.
    func clearingLeg(entryID: Int64) async throws -> ClearingLegRow? {
        try await database.queryOptional("""
            SELECT entry_id, transaction_id, external_ref, amount, currency, posted_at FROM ledger.clearing_legs WHERE entry_id = \(entryID)
            """) { row in
            ClearingLegRow(entryID: try row.decode(Int64.self, at: 0), transactionID: try row.decode(UUID.self, at: 1),
                           externalRef: try row.decode(String?.self, at: 2), amount: try row.decode(Int64.self, at: 3),
                           currency: try row.decode(String.self, at: 4).trimmingCharacters(in: .whitespaces).uppercased(),
                           postedAt: try row.decode(Date.self, at: 5))
        }
    }

    /// Exceptions whose lines are these (to link a run's lines to their exceptions).
    func exceptionIDs(runID: UUID, lineNumbers: [Int]) async throws -> [Int: UUID] {
        guard !lineNumbers.isEmpty else { return [:] }
        let rows = try await database.queryAll("""
            SELECT line_number, id FROM reconciliation.exceptions WHERE run_id = \(runID) AND line_number = ANY(\(lineNumbers.map { Int32($0) }))
            """) { (try $0.decode(Int.self, at: 0), try $0.decode(UUID.self, at: 1)) }
        return Dictionary(rows, uniquingKeysWith: { first, _ in first })
    }
}
