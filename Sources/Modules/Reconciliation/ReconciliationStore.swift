import Foundation
import Postgres

/// Owns every SQL statement of an import against the `reconciliation` schema (reading the
/// ledger only through its published view `ledger.clearing_legs`).
struct ReconciliationStore: Sendable {
    let database: any PostgresQueryable
    /// A million lines against tens of millions of legs: far beyond a request's timeout.
    static let longStatement = Duration.seconds(3600)

    /// One import at a time (until the caller's transaction ends): two runs of one report can
    /// never both pass the repeat check, and the staging table is the run's alone.
    ///
    /// It also takes the migrator's lock (kernel.grant_runtime_privileges, migration 0030): the
    /// import empties its staging table with TRUNCATE, which rewrites the table's catalog row,
    /// and a GRANT of the same row at that moment fails ("tuple concurrently updated"). A
    /// migration waits for a running import, and an import for a running migration.
    func lockImports() async throws {
        _ = try await database.query("SELECT pg_advisory_xact_lock(hashtextextended('reconciliation.import', 0))")
        _ = try await database.query("SELECT pg_advisory_xact_lock(7525362636581265779)")
    }

    /// Settings for the one big transaction: no statement timeout of the server's, and memory
    /// enough to sort and hash a million lines without spilling.
    func prepareImport() async throws {
        _ = try await database.query("SELECT set_config('statement_timeout', '0', true), set_config('work_mem', '256MB', true)")
        _ = try await database.query("SELECT reconciliation.clear_staged_lines()")
    }

    func clearStaging() async throws {
        _ = try await database.query("SELECT reconciliation.clear_staged_lines()")
    }

    func run(fileSHA256: String) async throws -> UUID? {
        try await database.queryOptional("SELECT id FROM reconciliation.runs WHERE file_sha256 = \(fileSHA256) LIMIT 1") {
            try $0.decode(UUID.self, at: 0)
        }
    }

    func run(contentSHA256: String) async throws -> UUID? {
        try await database.queryOptional("SELECT id FROM reconciliation.runs WHERE content_sha256 = \(contentSHA256)") {
            try $0.decode(UUID.self, at: 0)
        }
    }

    static let stagedColumns: SQL = """
        COPY reconciliation.staged_lines (line_number, payout_id, payout_effective_at, balance_transaction_id, created_at, available_on,
            currency, gross_amount, fee_amount, net_amount, category, source_id, description, payment_intent_id, hourglass_txn_id)
        FROM STDIN
        """

    func stagedWindow() async throws -> (from: Date?, to: Date?) {
        try await database.queryOne("SELECT min(created_at), max(created_at) FROM reconciliation.staged_lines") {
            (try $0.decode(Date?.self, at: 0), try $0.decode(Date?.self, at: 1))
        }
    }

    func insertRun(id: UUID, source: ImportSource, fileName: String, fileSHA256: String, contentSHA256: String, actor: String,
                   startedAt: Date, window: (from: Date?, to: Date?)) async throws {
        try await database.execute("""
            INSERT INTO reconciliation.runs (id, source, file_name, file_sha256, content_sha256, payout_id, actor, started_at, finished_at,
                                             created_from, created_to, line_count, matched_count, fee_line_count, exception_count, payout_count)
            VALUES (\(id), \(source.name), \(fileName), \(fileSHA256), \(contentSHA256), \(source.payoutID), \(actor), \(startedAt), \(startedAt),
                    \(window.from), \(window.to), 0, 0, 0, 0, 0)
            """)
    }

    /// Matches every staged line, set-based, and keeps it with its outcome. For each line, in
    /// this order: a second occurrence of a balance transaction (or of a processor id) in this
    /// report is a duplicate; a balance transaction or a leg an earlier report settled is
    /// already settled; a processor fee line is a fee; otherwise its clearing leg is found by
    /// the processor's id (one probe of a unique index: the report's time window only labels
    /// the match, since an exact id needs no narrowing), else by the ledger transaction id in
    /// its metadata (legs booked before we recorded processor ids), and compared on currency
    /// and amount; a line with no leg is `missing_internal` when it carries our metadata (a
    /// lost webhook) and `unknown_reference` when it does not.
    func classifyStagedLines(runID: UUID, window: (from: Date?, to: Date?)) async throws -> Int {
        let from = window.from?.addingTimeInterval(-7 * 86_400), to = window.to?.addingTimeInterval(86_400)
        // Duplicates by hashing (a handful of keys seen twice), not by sorting a million lines.
        return try await database.query("""
            WITH duplicated_transactions AS (
                SELECT balance_transaction_id, min(line_number) AS first_line FROM reconciliation.staged_lines
                GROUP BY balance_transaction_id HAVING count(*) > 1
            ), duplicated_sources AS (
                SELECT source_id, min(line_number) AS first_line FROM reconciliation.staged_lines
                WHERE source_id IS NOT NULL GROUP BY source_id HAVING count(*) > 1
            )
            INSERT INTO reconciliation.lines (run_id, line_number, payout_id, payout_effective_at, balance_transaction_id, created_at, currency,
                gross_amount, fee_amount, net_amount, category, source_id, description, payment_intent_id, hourglass_txn_id,
                outcome, matched_by, entry_id, ledger_amount)
            SELECT \(runID), s.line_number, s.payout_id, s.payout_effective_at, s.balance_transaction_id, s.created_at, s.currency,
                   s.gross_amount, s.fee_amount, s.net_amount, s.category, s.source_id, s.description, s.payment_intent_id, s.hourglass_txn_id,
                   CASE WHEN dt.first_line < s.line_number OR ds.first_line < s.line_number THEN 'duplicate_line'
                        WHEN EXISTS (SELECT 1 FROM reconciliation.lines p WHERE p.balance_transaction_id = s.balance_transaction_id
                                     AND p.outcome NOT IN ('duplicate_line', 'already_settled'))
                          OR EXISTS (SELECT 1 FROM reconciliation.lines p WHERE p.entry_id = leg.entry_id
                                     AND p.outcome NOT IN ('duplicate_line', 'already_settled')) THEN 'already_settled'
                        WHEN s.category = 'fee' AND s.source_id IS NULL THEN 'fee'
                        WHEN leg.entry_id IS NULL THEN CASE WHEN s.hourglass_txn_id IS NOT NULL THEN 'missing_internal' ELSE 'unknown_reference' END
                        WHEN leg.currency <> s.currency THEN 'currency_mismatch'
                        WHEN leg.amount <> s.gross_amount THEN 'amount_mismatch'
                        ELSE 'matched' END,
                   CASE WHEN leg.entry_id IS NULL THEN NULL
                        WHEN leg.by_metadata THEN 'metadata'
                        WHEN leg.posted_at BETWEEN \(from) AND \(to) THEN 'source_in_window'
                        ELSE 'source_history' END,
                   leg.entry_id, leg.amount
            FROM reconciliation.staged_lines s
            LEFT JOIN duplicated_transactions dt ON dt.balance_transaction_id = s.balance_transaction_id
            LEFT JOIN duplicated_sources ds ON ds.source_id = s.source_id
            LEFT JOIN LATERAL (
                SELECT c.entry_id, c.amount, c.currency, c.posted_at, false AS by_metadata
                FROM ledger.clearing_legs c WHERE c.external_ref = s.source_id
                UNION ALL
                SELECT c.entry_id, c.amount, c.currency, c.posted_at, true
                FROM ledger.clearing_legs c
                WHERE c.transaction_id = s.hourglass_txn_id AND c.external_ref IS NULL AND s.hourglass_txn_id IS NOT NULL
                LIMIT 1
            ) leg ON true
            """, timeout: Self.longStatement).affectedRows
    }

    /// Opens an exception for every line of the run that is neither matched nor a fee.
    func openLineExceptions(runID: UUID, now: Date) async throws {
        _ = try await database.query("""
            INSERT INTO reconciliation.exceptions (id, kind, run_id, line_number, entry_id, payout_id, currency, ledger_amount, processor_amount, opened_at)
            SELECT gen_random_uuid(), outcome, run_id, line_number, entry_id, payout_id, currency, ledger_amount, gross_amount, \(now)
            FROM reconciliation.lines WHERE run_id = \(runID) AND outcome NOT IN ('matched', 'fee')
            """, timeout: Self.longStatement)
    }

    /// A leg the daily check had given up on, settled now after all: its exception resolves itself.
    func resolveMissingAtProcessor(settledBy runID: UUID, now: Date) async throws {
        _ = try await database.query("""
            UPDATE reconciliation.exceptions x
            SET status = 'resolved', resolved_at = \(now), resolved_by = 'system:reconciliation',
                resolution_note = 'Settled by the processor after all: line ' || l.line_number || ' of run ' || l.run_id
            FROM reconciliation.lines l
            WHERE x.kind = 'missing_at_psp' AND x.status = 'open' AND l.run_id = \(runID) AND l.entry_id = x.entry_id AND l.outcome = 'matched'
            """, timeout: Self.longStatement)
    }

    /// What each payout (per currency) of the run books: the sum of nets (the bank), the fees,
    /// and the clearing legs it settles (what our ledger holds for the lines it matched).
    func payoutTotals(runID: UUID) async throws -> [PayoutTotals] {
        try await database.queryAll("""
            SELECT payout_id, currency, coalesce(max(payout_effective_at), max(created_at)), count(*)::int8,
                   sum(net_amount)::int8,
                   sum(CASE WHEN outcome = 'fee' THEN -gross_amount ELSE fee_amount END)::int8,
                   sum(CASE WHEN outcome IN ('matched', 'amount_mismatch') THEN ledger_amount ELSE 0 END)::int8
            FROM reconciliation.lines
            WHERE run_id = \(runID) AND outcome NOT IN ('duplicate_line', 'already_settled')
            GROUP BY payout_id, currency ORDER BY payout_id, currency
            """) { row in
            PayoutTotals(payoutID: try row.decode(String.self, at: 0), currency: try row.decode(String.self, at: 1),
                         effectiveAt: try row.decode(Date.self, at: 2), lineCount: Int(try row.decode(Int64.self, at: 3)),
                         net: try row.decode(Int64.self, at: 4), fees: try row.decode(Int64.self, at: 5),
                         clearing: try row.decode(Int64.self, at: 6))
        }
    }

    func recordPayout(_ payout: PayoutTotals, runID: UUID, clearing: Int64, suspense: Int64, postingID: UUID?) async throws {
        try await database.execute("""
            INSERT INTO reconciliation.run_payouts (run_id, payout_id, currency, line_count, net_amount, fee_amount, clearing_amount,
                                                    suspense_amount, ledger_transaction_id)
            VALUES (\(runID), \(payout.payoutID), \(payout.currency), \(payout.lineCount), \(payout.net), \(payout.fees), \(clearing),
                    \(suspense), \(postingID))
            """)
    }

    func openPayoutMismatch(runID: UUID, payoutID: String, currency: String, linesNet: Int64, payoutAmount: Int64, now: Date) async throws {
        try await database.execute("""
            INSERT INTO reconciliation.exceptions (id, kind, run_id, payout_id, currency, ledger_amount, processor_amount, opened_at)
            VALUES (gen_random_uuid(), 'payout_mismatch', \(runID), \(payoutID), \(currency), \(linesNet), \(payoutAmount), \(now))
            """)
    }

    func exceptionCounts(runID: UUID) async throws -> [String: Int] {
        let rows = try await database.queryAll("""
            SELECT kind, count(*)::int8 FROM reconciliation.exceptions WHERE run_id = \(runID) GROUP BY kind
            """) { (try $0.decode(String.self, at: 0), Int(try $0.decode(Int64.self, at: 1))) }
        return Dictionary(uniqueKeysWithValues: rows)
    }

    /// Stamps the run with its counts, read once from what it wrote.
    func finishRun(id: UUID, finishedAt: Date, lines: Int, payouts: Int) async throws {
        try await database.execute("""
            UPDATE reconciliation.runs r SET finished_at = \(finishedAt), line_count = \(lines), payout_count = \(payouts),
                matched_count = o.matched, fee_line_count = o.fees,
                exception_count = (SELECT count(*) FROM reconciliation.exceptions x WHERE x.run_id = r.id)
            FROM (SELECT count(*) FILTER (WHERE outcome = 'matched') AS matched, count(*) FILTER (WHERE outcome = 'fee') AS fees
                  FROM reconciliation.lines WHERE run_id = \(id)) o
            WHERE r.id = \(id)
            """)
    }

    func summary(runID: UUID, isRepeat: Bool) async throws -> ImportSummary? {
        let exceptions = try await exceptionCounts(runID: runID)
        return try await database.queryOptional("""
            SELECT file_name, line_count, matched_count, fee_line_count, payout_count, created_from, created_to
            FROM reconciliation.runs WHERE id = \(runID)
            """) { row in
            ImportSummary(runID: runID, isRepeat: isRepeat, fileName: try row.decode(String.self, at: 0),
                          lineCount: Int(try row.decode(Int32.self, at: 1)), matchedCount: Int(try row.decode(Int32.self, at: 2)),
                          feeLineCount: Int(try row.decode(Int32.self, at: 3)), payoutCount: Int(try row.decode(Int32.self, at: 4)),
                          exceptions: Dictionary(uniqueKeysWithValues: ExceptionKind.allCases.map { ($0, exceptions[$0.rawValue] ?? 0) }),
                          createdFrom: try row.decode(Date?.self, at: 5), createdTo: try row.decode(Date?.self, at: 6))
        }
    }

    /// The daily check: a clearing leg with a processor id, posted in `[checked_to, before)`,
    /// that no report has settled opens one `missing_at_psp` exception. Returns how many opened.
    func openMissingAtProcessor(before cutoff: Date, now: Date) async throws -> Int {
        let checkedTo = try await database.queryOptional("""
            SELECT checked_to FROM reconciliation.checks WHERE name = 'missing_at_psp' FOR UPDATE
            """) { try $0.decode(Date.self, at: 0) } ?? Date(timeIntervalSince1970: 0)
        guard checkedTo < cutoff else { return 0 }
        let opened = try await database.query("""
            INSERT INTO reconciliation.exceptions (id, kind, entry_id, currency, ledger_amount, opened_at)
            SELECT gen_random_uuid(), 'missing_at_psp', c.entry_id, c.currency, c.amount, \(now)
            FROM ledger.clearing_legs c
            WHERE c.external_ref IS NOT NULL AND c.posted_at >= \(checkedTo) AND c.posted_at < \(cutoff)
              AND NOT EXISTS (SELECT 1 FROM reconciliation.lines l WHERE l.entry_id = c.entry_id
                              AND l.outcome NOT IN ('duplicate_line', 'already_settled'))
            ON CONFLICT (entry_id) WHERE kind = 'missing_at_psp' DO NOTHING
            """, timeout: Self.longStatement).affectedRows
        try await database.execute("""
            INSERT INTO reconciliation.checks (name, checked_to) VALUES ('missing_at_psp', \(cutoff))
            ON CONFLICT (name) DO UPDATE SET checked_to = EXCLUDED.checked_to
            """)
        return opened
    }
}

/// What one payout (in one currency) of a run books.
struct PayoutTotals: Sendable {
    let payoutID: String
    let currency: String
    let effectiveAt: Date
    let lineCount: Int
    /// The sum of the lines' nets: what reaches the bank.
    let net: Int64
    /// What the processor kept: the fees on charges, and its own fee lines.
    let fees: Int64
    /// What our ledger holds on the clearing account for the lines matched (and mismatched by amount).
    let clearing: Int64
}
