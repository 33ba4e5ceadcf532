public import Foundation

/// A balanced set of entries (positive = debit, negative = credit) describing one money movement.
public struct LedgerPosting: Sendable {
    public let id: UUID
    public let kind: TransactionKind
    public let driverID: UUID?
    public let description: String
    /// Effect on the driver's balance (+ in, − out), or the card amount for card-funded items.
    public let driverAmount: Int64
    public let iptAmount: Int64
    public let funding: String
    public let relatedID: UUID?
    public let entries: [(account: LedgerAccount, amount: Int64)]
    public let createdAt: Date
    /// The card processor's id for the movement (`ch_…`, `re_…`), recorded on the clearing leg:
    /// reconciliation matches the processor's settlement report to it.
    public let processorReference: String?

    /// `causedBy` names the event ("payment:<id>:captured"); the id derives from it so that
    /// posting the same event twice is a no-op.
    public init(causedBy: String, kind: TransactionKind, driverID: UUID?, description: String, driverAmount: Int64,
                iptAmount: Int64 = 0, funding: String, relatedID: UUID?, entries: [(account: LedgerAccount, amount: Int64)],
                createdAt: Date, processorReference: String? = nil) {
        id = Ledger.transactionID(causedBy: causedBy)
        self.kind = kind
        self.driverID = driverID
        self.description = description
        self.driverAmount = driverAmount
        self.iptAmount = iptAmount
        self.funding = funding
        self.relatedID = relatedID
        self.entries = entries.filter { $0.amount != 0 }
        self.createdAt = createdAt
        self.processorReference = processorReference.flatMap { $0.isEmpty ? nil : $0 }
    }
}


/// A posting the ledger refuses: its entries do not sum to zero (a bug in the caller; the
/// request fails and nothing is written, the process carries on).
public enum LedgerError: Error, CustomStringConvertible {
    case unbalanced(kind: String, entries: Int, total: Int64)

    public var description: String {
        switch self {
        case .unbalanced(let kind, let entries, let total): "unbalanced \(kind) posting: \(entries) entries summing to \(total)"
        }
    }
}
