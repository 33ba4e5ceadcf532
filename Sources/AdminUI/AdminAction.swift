public import AppKernel
public import Foundation
public import Postgres
import HTTPServer

/// One staff action (OPS.md "Actions"), declared by the module that owns the object it changes.
/// The admin shell runs every action the same way: the object page's form posts to
/// `/admin/actions/<name>`; `plan` checks the input and states the exact effect, which the
/// confirmation page shows with a one-time token; confirming runs `execute` once, in one
/// transaction with its audit event, or (when the plan names a four-eyes reason) files it for
/// another person's approval in `/admin/approvals`, whose approval runs `execute` the same way.
public struct AdminAction: Sendable {
    public typealias Planner = @Sendable (AdminActionRequest) async throws -> AdminActionPlan
    public typealias Executor = @Sendable (AdminActionExecution) async throws -> AdminActionOutcome

    /// The form's `data-action` and the path `/admin/actions/<name>`.
    public let name: String
    /// What the confirmation page calls it ("Refund to the card").
    public let title: String
    /// Needed to see the form, to post it, to confirm it and to approve it.
    public let permission: AdminPermission
    /// Needed to approve it under four-eyes (OPS.md: pricing drafts, finance approves); the
    /// action's own permission when nil.
    public let approverPermission: AdminPermission?
    /// Needs a TOTP code from the last 10 minutes, to confirm and to approve.
    public let needsSudo: Bool
    public let plan: Planner
    public let execute: Executor

    public init(_ name: String, title: String, permission: AdminPermission, approverPermission: AdminPermission? = nil,
                needsSudo: Bool = false, plan: @escaping Planner, execute: @escaping Executor) {
        precondition(name.allSatisfy { $0.isLowercase || $0 == "_" }, "action names are snake_case")
        self.name = name
        self.title = title
        self.permission = permission
        self.approverPermission = approverPermission
        self.needsSudo = needsSudo
        self.plan = plan
        self.execute = execute
    }

    public var path: String { "/admin/actions/\(name)" }
    /// Who may approve it.
    public var approval: AdminPermission { approverPermission ?? permission }
}

/// OPS.md's reason codes; free text is required for `other`.
public enum AdminReasonCode: String, Sendable, CaseIterable, Codable {
    case requestedByDriver = "requested_by_driver", duplicate, goodwill, opsError = "ops_error", fraud, other

    public var label: String {
        switch self {
        case .requestedByDriver: "Requested by the driver"
        case .duplicate: "Duplicate"
        case .goodwill: "Goodwill"
        case .opsError: "Our mistake"
        case .fraud: "Fraud"
        case .other: "Other (say what in the note)"
        }
    }
}

/// The first POST of an action: the form as the member of staff sent it.
public struct AdminActionRequest: Sendable {
    public let page: AdminRequest
    public let reason: AdminReasonCode
    public let note: String?

    public init(page: AdminRequest, reason: AdminReasonCode, note: String?) {
        self.page = page
        self.reason = reason
        self.note = note
    }

    public var form: FormFields { page.form }
    public var staff: StaffCaller { page.staff }
    public var now: Date { page.now }
    public var app: AppContext { page.app }

    /// The form's `object` field as a UUID (the object the action is about).
    public func objectID(_ field: String = "object") throws -> UUID {
        guard let text = form[field], let id = UUID(uuidString: text) else { throw AppError.invalid("\(field) must be an id") }
        return id
    }

    /// A positive amount typed in pounds and pence ("12.50", "£12.5", "12"), in pence.
    public func amount(_ field: String = "amount") throws -> Int64 {
        guard let text = form[field], let pence = Self.pence(fromPounds: text), pence > 0 else {
            throw AppError.invalid("\(field) must be an amount in pounds and pence, such as 12.50")
        }
        return pence
    }

    /// "12.50" → 1250; at most two decimals, at most £1,000,000; nil otherwise.
    public static func pence(fromPounds text: String) -> Int64? {
        var digits = text.trimmingCharacters(in: .whitespaces)
        if digits.hasPrefix("£") { digits.removeFirst() }
        digits = digits.replacingOccurrences(of: ",", with: "")
        let parts = digits.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), !parts[0].isEmpty, parts[0].count <= 7, parts[0].allSatisfy(\.isASCII), parts[0].allSatisfy(\.isNumber),
              let pounds = Int64(parts[0]) else { return nil }
        var pence: Int64 = 0
        if parts.count == 2 {
            let fraction = parts[1]
            guard (1...2).contains(fraction.count), fraction.allSatisfy(\.isASCII), fraction.allSatisfy(\.isNumber),
                  let value = Int64(fraction) else { return nil }
            pence = fraction.count == 1 ? value * 10 : value
        }
        let total = pounds * 100 + pence
        return total <= 100_000_000 ? total : nil
    }
}

/// What confirming will do, stated before anything is done.
public struct AdminActionPlan: Sendable {
    /// The object changed, for the audit trail and the approvals list.
    public var objectType: String
    public var objectID: String
    /// The driver the object belongs to, if any (their History shows the action).
    public var driverID: UUID?
    /// The exact effect, one sentence: "Refund £12.50 to Visa •4242 from payment 1a2b3c4d".
    public var effect: String
    /// Label and value pairs shown under it ("Balance" → "£20.00 → £7.50").
    public var facts: [(String, String)]
    /// Everything `execute` needs, stored with the token so confirming does exactly what was shown.
    public var parameters: JSONValue
    /// Why another person must approve it (OPS.md four-eyes), or nil when the maker may confirm alone.
    public var fourEyes: String?
    /// A four-eyes threshold that counts the maker's recent amounts too, so that splitting a
    /// sum into pieces under it does not avoid the second person (the shell adds them up).
    public var limit: AdminFourEyesLimit?
    /// The object's page, where the flow ends.
    public var returnPath: String

    public init(objectType: String, objectID: String, driverID: UUID? = nil, effect: String, facts: [(String, String)] = [],
                parameters: JSONValue, fourEyes: String? = nil, limit: AdminFourEyesLimit? = nil, returnPath: String) {
        self.objectType = objectType
        self.objectID = objectID
        self.driverID = driverID
        self.effect = effect
        self.facts = facts
        self.parameters = parameters
        self.fourEyes = fourEyes
        self.limit = limit
        self.returnPath = returnPath
    }
}

/// A threshold over the maker's actions of one kind for one driver in the last 24 hours: this
/// amount with what they already did (or filed) in the `group` above `over` needs approval.
public struct AdminFourEyesLimit: Sendable {
    /// Actions whose amounts add up: "refund", "wallet_adjustment".
    public let group: String
    public let amount: Int64
    public let over: Int64
    /// What the amounts are, for the reason shown: "refunds", "adjustments and credit".
    public let what: String

    public init(group: String, amount: Int64, over: Int64, what: String) {
        self.group = group
        self.amount = amount
        self.over = over
        self.what = what
    }

    public static let window: TimeInterval = 24 * 3600

    /// The four-eyes reason when `earlier` (the maker's recent total) and this amount pass the limit.
    public func reason(earlier: Int64) -> String? {
        guard earlier + amount > over else { return nil }
        return earlier == 0 ? "\(what) over \(AdminFormat.money(over))"
            : "\(what) over \(AdminFormat.money(over)) in 24 hours (\(AdminFormat.money(earlier)) already, by you, for this driver)"
    }
}

/// Confirming (or approving): the stored plan, run once inside `transaction`. The audit
/// context in force carries the actor, the reason and the approval, so the owning module's own
/// audit event for the change records them (`Audit.record` reads them).
public struct AdminActionExecution: Sendable {
    /// The action request's id: the one-time token, and the idempotency key of what it causes.
    public let key: UUID
    public let parameters: JSONValue
    public let transaction: PostgresConnection
    public let now: Date
    public let app: AppContext
    /// Who asked for it (the maker) and who approved it, when someone had to.
    public let maker: UUID
    public let checker: UUID?
    public let reason: AdminReasonCode
    public let note: String?

    public init(key: UUID, parameters: JSONValue, transaction: PostgresConnection, now: Date, app: AppContext, maker: UUID,
                checker: UUID?, reason: AdminReasonCode, note: String?) {
        self.key = key
        self.parameters = parameters
        self.transaction = transaction
        self.now = now
        self.app = app
        self.maker = maker
        self.checker = checker
        self.reason = reason
        self.note = note
    }

    /// `admin_action:<key>`: what a ledger posting or payment made by this action is caused by.
    public var cause: String { "admin_action:\(key.uuidString.lowercased())" }

    public func string(_ name: String) throws -> String {
        guard case .object(let members) = parameters, case .string(let value)? = members[name] else { throw Self.missing(name) }
        return value
    }

    public func uuid(_ name: String) throws -> UUID {
        guard let id = UUID(uuidString: try string(name)) else { throw Self.missing(name) }
        return id
    }

    public func integer(_ name: String) throws -> Int64 {
        guard case .object(let members) = parameters, case .integer(let value)? = members[name] else { throw Self.missing(name) }
        return value
    }

    public func optionalString(_ name: String) -> String? {
        guard case .object(let members) = parameters, case .string(let value)? = members[name] else { return nil }
        return value
    }

    static func missing(_ name: String) -> AppError {
        AppError(status: .internalServerError, slug: "action-parameters", detail: "the stored action has no \(name)")
    }
}

/// What the action did, shown on its result page (and again for a replayed confirmation).
public struct AdminActionOutcome: Sendable {
    public let message: String
    /// Where to go next (usually the object's page).
    public let path: String
    /// A secret the person who executed the action must pass on (a one-time setup link, a new
    /// signing secret): shown in the answer to that POST only, never stored, never shown again.
    public let shownOnce: String?
    /// Work that must wait until the action's transaction has committed, and must not run inside
    /// any transaction: a call to another system (the card processor) that cannot be undone if
    /// the change then rolled back. The flow runs it once, after the commit and before it
    /// answers, with the action's audit context; an error is logged, never shown, since the
    /// action itself is done. It must be safe to repeat, and something durable (a sweep, a job)
    /// must finish the work when it fails or the process dies first.
    public let afterCommit: (@Sendable () async throws -> Void)?

    public init(_ message: String, path: String, shownOnce: String? = nil, afterCommit: (@Sendable () async throws -> Void)? = nil) {
        self.message = message
        self.path = path
        self.shownOnce = shownOnce
        self.afterCommit = afterCommit
    }
}
