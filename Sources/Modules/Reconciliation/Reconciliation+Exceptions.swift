public import AppKernel
import Audit
import HTTPServer
public import Foundation
public import Ledger
public import Postgres

/// One exception in finance's queue: what the processor says, what our ledger says, and who
/// is working it.
public struct ReconciliationException: Sendable, Equatable {
    public let id: UUID
    public let kind: ExceptionKind
    /// The run and line it was found on (nil for `missing_at_psp`, and the line for `payout_mismatch`).
    public let runID: UUID?
    public let lineNumber: Int?
    /// The clearing leg it is about (or was compared with).
    public let entryID: Int64?
    public let payoutID: String?
    /// Upper case (`GBP`), when known.
    public let currency: String?
    /// What our books say, and what the processor says (nil: says nothing), in minor units.
    public let ledgerAmount: Int64?
    public let processorAmount: Int64?
    public let openedAt: Date
    public let isOpen: Bool
    /// `staff:<id>`, or nil when nobody has it.
    public let assignee: String?
    public let resolvedAt: Date?
    public let resolvedBy: String?
    public let resolutionNote: String?
    /// The correcting ledger posting booked for it, if any (kept when it is reopened).
    public let correctingTransactionID: UUID?

    /// The processor's amount less ours: what is unexplained (and, for settled lines, what the
    /// settlement left in suspense).
    public var difference: Int64 { (processorAmount ?? 0) - (ledgerAmount ?? 0) }
    /// The currency of its amounts and of the suspense account a correction uses.
    public var ledgerCurrency: String { currency ?? LedgerAccount.homeCurrency }
}

/// Where a correcting posting puts what settlement suspense holds for an exception (or takes
/// it from): the accounts that make sense for reconciliation, one of them chosen by finance.
public enum CorrectionAccount: Sendable, Equatable {
    case pspClearing, premiumIncome, processorFees, badDebt, bank
    case driverCash(UUID)

    /// The ledger account in `currency`. Accounts kept only in the home currency have no
    /// counterpart in another one (a posting must balance in one currency).
    public func account(currency: String) -> LedgerAccount? {
        let home = currency.uppercased() == LedgerAccount.homeCurrency
        switch self {
        case .processorFees: return .processorFees(currency: currency)
        case .bank: return .bank(currency: currency)
        case .pspClearing: return home ? .pspClearing : nil
        case .premiumIncome: return home ? .premiumIncome : nil
        case .badDebt: return home ? .badDebt : nil
        case .driverCash(let driverID): return home ? .driverCash(driverID) : nil
        }
    }

    /// The form's value: `psp_clearing`, `driver_cash`, …
    public var name: String {
        switch self {
        case .pspClearing: "psp_clearing"
        case .premiumIncome: "premium_income"
        case .processorFees: "processor_fees"
        case .badDebt: "bad_debt"
        case .bank: "bank"
        case .driverCash: "driver_cash"
        }
    }
}

/// A correcting posting for an exception, as finance planned it.
public struct ExceptionCorrection: Sendable, Equatable {
    public let account: CorrectionAccount
    /// Positive: debit settlement suspense and credit the account (the processor settled more
    /// than our books explain); negative: debit the account and credit suspense.
    public let suspenseAmount: Int64

    /// A correction of `suspenseAmount` (signed) against `account`.
    public init(account: CorrectionAccount, suspenseAmount: Int64) {
        self.account = account
        self.suspenseAmount = suspenseAmount
    }
}

/// Why working an exception was refused (as `AppError`s, so every channel shows the message).
public enum ExceptionWorkError {
    /// No exception has that id.
    public static let notFound = AppError.notFound("no such reconciliation exception")

    /// The exception is resolved; only an open one can be worked.
    public static func alreadyResolved(by actor: String?) -> AppError {
        AppError(status: .conflict, slug: "exception-resolved",
                 detail: "This exception was resolved already\(actor.map { " (by \($0))" } ?? ""); reopen it first.")
    }

    /// The exception is open, so it cannot be reopened.
    public static let notResolved = AppError(status: .conflict, slug: "exception-open",
                                             detail: "This exception is open: only a resolved exception can be reopened.")

    /// A correction exists already: one per exception, ever.
    public static func alreadyCorrected(transactionID: UUID) -> AppError {
        AppError(status: .conflict, slug: "exception-corrected",
                 detail: "A correction was booked for this exception already (posting \(transactionID.uuidString.lowercased())). "
                    + "An exception is corrected once: resolve it with a note instead.")
    }

    /// The account is kept in pounds only and the exception is in another currency.
    public static func accountNotInCurrency(account: String, currency: String) -> AppError {
        AppError.invalid("\(account.replacingOccurrences(of: "_", with: " ")) is kept in pounds only and this exception is in \(currency): "
                         + "choose processor fees or bank (a posting balances in one currency)")
    }

    /// A correction of nothing.
    public static let zeroAmount = AppError.invalid("a correction needs an amount other than zero")
}

extension Reconciliation {
    /// The audit trail's name for an exception.
    static func auditObject(_ id: UUID) -> AuditObject { AuditObject("reconciliation_exception", id.uuidString.lowercased()) }

    /// What a correction of exception `id` is caused by: one posting per exception, ever.
    public static func correctionCause(_ id: UUID) -> String { "reconciliation_exception:\(id.uuidString.lowercased()):correction" }

    /// One exception, or nil.
    public func exception(_ id: UUID, on database: (any PostgresQueryable)? = nil) async throws -> ReconciliationException? {
        try await ReconciliationStore(database: database ?? app.database).exception(id: id)
    }

    /// Open exceptions, counted up to `cap`.
    public func openExceptionCount(cap: Int) async throws -> Int {
        try await ReconciliationStore(database: app.database).openCount(cap: cap)
    }

    /// Gives the exception to `assignee` (`staff:<id>`), or to nobody; audited.
    public func assign(_ id: UUID, to assignee: String?, on transaction: PostgresConnection) async throws {
        let store = ReconciliationStore(database: transaction)
        guard let exception = try await store.exception(id: id, lock: true) else { throw ExceptionWorkError.notFound }
        try await store.assign(id, to: assignee)
        try await Audit.record("reconciliation.exception_assigned", Self.auditObject(id),
                               before: .object(["assignee": exception.assignee.map(JSONValue.string) ?? .null]),
                               after: .object(["assignee": assignee.map(JSONValue.string) ?? .null]), on: transaction)
    }

    /// Resolves an open exception with a note; audited.
    public func resolve(_ id: UUID, note: String, by actor: String, at now: Date, on transaction: PostgresConnection) async throws {
        let store = ReconciliationStore(database: transaction)
        let exception = try await openException(id, store: store)
        try await store.resolve(id, by: actor, note: note, at: now, correction: nil)
        try await Audit.record("reconciliation.exception_resolved", Self.auditObject(id), before: .object(["status": .string("open")]),
                               after: .object(["status": .string("resolved"), "note": .string(note), "kind": .string(exception.kind.rawValue)]),
                               on: transaction)
    }

    /// Opens a resolved exception again; audited. A correction it had stays in the ledger.
    public func reopen(_ id: UUID, on transaction: PostgresConnection) async throws {
        let store = ReconciliationStore(database: transaction)
        guard let exception = try await store.exception(id: id, lock: true) else { throw ExceptionWorkError.notFound }
        guard !exception.isOpen else { throw ExceptionWorkError.notResolved }
        try await store.reopen(id)
        try await Audit.record("reconciliation.exception_reopened", Self.auditObject(id),
                               before: .object(["status": .string("resolved"), "note": exception.resolutionNote.map(JSONValue.string) ?? .null,
                                                "resolved_by": exception.resolvedBy.map(JSONValue.string) ?? .null]),
                               after: .object(["status": .string("open")]), on: transaction)
    }

    /// Books the correcting posting (kind `reconciliation_correction`, between settlement
    /// suspense in the exception's currency and the chosen account) and resolves the exception
    /// with it, in the caller's transaction; audited. The posting's id derives from the
    /// exception's, so it can never be booked twice. Returns the posting's id.
    @discardableResult
    public func correct(_ id: UUID, with correction: ExceptionCorrection, note: String, by actor: String, at now: Date,
                        on transaction: PostgresConnection) async throws -> UUID {
        let store = ReconciliationStore(database: transaction)
        let exception = try await openException(id, store: store)
        if let booked = exception.correctingTransactionID { throw ExceptionWorkError.alreadyCorrected(transactionID: booked) }
        guard correction.suspenseAmount != 0 else { throw ExceptionWorkError.zeroAmount }
        let currency = exception.ledgerCurrency
        guard let account = correction.account.account(currency: currency) else {
            throw ExceptionWorkError.accountNotInCurrency(account: correction.account.name, currency: currency)
        }
        let ledger = Ledger()
        // A driver's cash moves under the wallet's lock, like every other change to it.
        if case .driverCash(let driverID) = correction.account { try await ledger.lockWallet(of: driverID, on: transaction) }
        let cause = Self.correctionCause(id)
        let posting = LedgerPosting(
            causedBy: cause, kind: .reconciliationCorrection, driverID: nil,
            description: "Reconciliation correction: \(exception.kind.title.lowercased()) (exception \(id.uuidString.lowercased().prefix(8)))",
            driverAmount: 0, funding: "none", relatedID: id,
            entries: [(.settlementSuspense(currency: currency), correction.suspenseAmount), (account, -correction.suspenseAmount)],
            createdAt: now)
        guard try await ledger.post(posting, on: transaction) else {
            throw ExceptionWorkError.alreadyCorrected(transactionID: posting.id)
        }
        try await store.resolve(id, by: actor, note: note, at: now, correction: posting.id)
        try await Audit.record("reconciliation.exception_corrected", Self.auditObject(id), before: .object(["status": .string("open")]), after: .object([
            "status": .string("resolved"), "note": .string(note), "correcting_transaction_id": .string(posting.id.uuidString.lowercased()),
            "account": .string(account.id), "suspense_amount": .integer(correction.suspenseAmount), "currency": .string(currency),
        ]), on: transaction)
        return posting.id
    }

    /// The exception, locked, when it is still open.
    func openException(_ id: UUID, store: ReconciliationStore) async throws -> ReconciliationException {
        guard let exception = try await store.exception(id: id, lock: true) else { throw ExceptionWorkError.notFound }
        guard exception.isOpen else { throw ExceptionWorkError.alreadyResolved(by: exception.resolvedBy) }
        return exception
    }
}
