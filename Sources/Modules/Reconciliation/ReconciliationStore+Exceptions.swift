import AppKernel
import Foundation
import Postgres

extension ReconciliationException {
    /// Its columns, in the order `init(row:)` reads them.
    static let columns: SQL = """
        x.id, x.kind, x.run_id, x.line_number, x.entry_id, x.payout_id, x.currency, x.ledger_amount, x.processor_amount, x.opened_at,
        x.status, x.assignee, x.resolved_at, x.resolved_by, x.resolution_note, x.correcting_transaction_id
        """
    /// How many columns `columns` has (what a join reads after them).
    static let columnCount = 16

    /// From `columns`.
    init(row: PostgresRow) throws {
        id = try row.decode(UUID.self, at: 0)
        let kindName = try row.decode(String.self, at: 1)
        guard let kind = ExceptionKind(rawValue: kindName) else { throw PostgresError(code: .decoding, message: "unknown exception kind") }
        self.kind = kind
        runID = try row.decode(UUID?.self, at: 2)
        lineNumber = try row.decode(Int32?.self, at: 3).map(Int.init)
        entryID = try row.decode(Int64?.self, at: 4)
        payoutID = try row.decode(String?.self, at: 5)
        currency = try row.decode(String?.self, at: 6)?.trimmingCharacters(in: .whitespaces).uppercased()
        ledgerAmount = try row.decode(Int64?.self, at: 7)
        processorAmount = try row.decode(Int64?.self, at: 8)
        openedAt = try row.decode(Date.self, at: 9)
        isOpen = try row.decode(String.self, at: 10) == "open"
        assignee = try row.decode(String?.self, at: 11)
        resolvedAt = try row.decode(Date?.self, at: 12)
        resolvedBy = try row.decode(String?.self, at: 13)
        resolutionNote = try row.decode(String?.self, at: 14)
        correctingTransactionID = try row.decode(UUID?.self, at: 15)
    }
}

/// An exception in the queue, with the processor's side of it (its line, when it has one).
struct QueueRow: Sendable {
    let exception: ReconciliationException
    let balanceTransactionID: String?
    let sourceID: String?
    let linePayoutID: String?

    /// From the exception's columns and its line's three.
    init(row: PostgresRow) throws {
        exception = try ReconciliationException(row: row)
        let base = ReconciliationException.columnCount
        balanceTransactionID = try row.decode(String?.self, at: base)
        sourceID = try row.decode(String?.self, at: base + 1)
        linePayoutID = try row.decode(String?.self, at: base + 2)
    }
}

/// The reconciliation schema's queries for working exceptions.
extension ReconciliationStore {
    /// What the queue shows: every filter empty means "any".
    struct ExceptionFilter: Sendable {
        var kinds: [String] = []
        var statuses: [String] = []
        /// Opened before this instant (the age filter).
        var openedBefore: Date?
        /// `staff:<id>` values; `unassigned` adds the exceptions nobody has.
        var assignees: [String] = []
        var unassigned = false
        var runID: UUID?
        var oldestFirst = false
    }

    /// One page of the queue (`limit + 1` rows after `after`), newest or oldest first.
    func exceptions(_ filter: ExceptionFilter, after: PageRequest.Cursor?, limit: Int) async throws -> [QueueRow] {
        let keyset: SQL = switch (after, filter.oldestFirst) {
        case (nil, _): ""
        case (let cursor?, false): "AND (x.opened_at, x.id) < (\(cursor.createdAt), \(cursor.id))"
        case (let cursor?, true): "AND (x.opened_at, x.id) > (\(cursor.createdAt), \(cursor.id))"
        }
        let order: SQL = filter.oldestFirst ? "x.opened_at, x.id" : "x.opened_at DESC, x.id DESC"
        let anyAssignee = filter.assignees.isEmpty && !filter.unassigned
        return try await database.queryAll("""
            SELECT \(ReconciliationException.columns), l.balance_transaction_id, l.source_id, l.payout_id
            FROM reconciliation.exceptions x
            LEFT JOIN reconciliation.lines l ON l.run_id = x.run_id AND l.line_number = x.line_number
            WHERE (cardinality(\(filter.kinds)::text[]) = 0 OR x.kind = ANY(\(filter.kinds)))
              AND (cardinality(\(filter.statuses)::text[]) = 0 OR x.status = ANY(\(filter.statuses)))
              AND (\(filter.openedBefore)::timestamptz IS NULL OR x.opened_at < \(filter.openedBefore))
              AND (\(anyAssignee) OR x.assignee = ANY(\(filter.assignees)) OR (\(filter.unassigned) AND x.assignee IS NULL))
              AND (\(filter.runID)::uuid IS NULL OR x.run_id = \(filter.runID))
              \(keyset)
            ORDER BY \(order) LIMIT \(limit + 1)
            """, decode: QueueRow.init(row:))
    }

    /// One exception, locked for the caller's transaction when `lock`.
    func exception(id: UUID, lock: Bool = false) async throws -> ReconciliationException? {
        let locking: SQL = lock ? "FOR UPDATE" : ""
        return try await database.queryOptional("""
            SELECT \(ReconciliationException.columns) FROM reconciliation.exceptions x WHERE x.id = \(id) \(locking)
            """, decode: ReconciliationException.init(row:))
    }

    /// Open exceptions, counted up to `cap` (the ops-home queue).
    func openCount(cap: Int) async throws -> Int {
        try await database.queryValue("""
            SELECT count(*) FROM (SELECT 1 FROM reconciliation.exceptions WHERE status = 'open' LIMIT \(cap)) s
            """, as: Int.self)
    }

    /// Who has it (nil: nobody).
    func assign(_ id: UUID, to assignee: String?) async throws {
        try await database.execute("UPDATE reconciliation.exceptions SET assignee = \(assignee) WHERE id = \(id)")
    }

    /// Resolved (only when open), with the correction that resolved it if any.
    func resolve(_ id: UUID, by actor: String, note: String, at now: Date, correction: UUID?) async throws {
        try await database.execute("""
            UPDATE reconciliation.exceptions
            SET status = 'resolved', resolved_at = \(now), resolved_by = \(actor), resolution_note = \(note),
                correcting_transaction_id = coalesce(\(correction), correcting_transaction_id)
            WHERE id = \(id) AND status = 'open'
            """)
    }

    /// Open again; a correction booked stays recorded (the ledger keeps it for ever).
    func reopen(_ id: UUID) async throws {
        try await database.execute("""
            UPDATE reconciliation.exceptions SET status = 'open', resolved_at = NULL, resolved_by = NULL, resolution_note = NULL
            WHERE id = \(id) AND status = 'resolved'
            """)
    }
}
