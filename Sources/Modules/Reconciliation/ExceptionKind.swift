/// Why a settlement line (or one of our clearing legs, or a payout) is not simply matched: the
/// kinds finance works in the exceptions queue.
public enum ExceptionKind: String, Sendable, CaseIterable, Codable {
    /// The processor settled it and it carries our metadata, but our ledger has no such leg (a lost webhook).
    case missingInternal = "missing_internal"
    /// Not ours at all: no leg by the processor's id, and none of our metadata.
    case unknownReference = "unknown_reference"
    /// Our leg and the processor's line disagree on the amount.
    case amountMismatch = "amount_mismatch"
    /// Our leg and the processor's line disagree on the currency.
    case currencyMismatch = "currency_mismatch"
    /// The same balance transaction twice in one report.
    case duplicateLine = "duplicate_line"
    /// Settled by an earlier report already (re-delivered).
    case alreadySettled = "already_settled"
    /// A payout's lines do not add up to the payout the processor reported.
    case payoutMismatch = "payout_mismatch"
    /// One of our clearing legs never settled within the allowed days (the daily check).
    case missingAtProcessor = "missing_at_psp"

    /// What finance reads in the queue.
    public var title: String {
        switch self {
        case .missingInternal: "Settled, not in our ledger"
        case .unknownReference: "Not ours"
        case .amountMismatch: "Amount differs"
        case .currencyMismatch: "Currency differs"
        case .duplicateLine: "Line twice in one report"
        case .alreadySettled: "Settled before"
        case .payoutMismatch: "Payout does not add up"
        case .missingAtProcessor: "Never settled by the processor"
        }
    }
}
