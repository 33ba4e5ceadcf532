public import Foundation

/// Who is acting, for the audit trail, carried by the task that acts (a task-local value): the
/// application sets it for every request once the caller is known, the job runner for every
/// job, each command for its own run. Code that records an audit event reads it, so no function
/// between a handler and its transaction has to pass an actor along.
public struct AuditContext: Sendable, Equatable {
    /// `driver:<id>`, `staff:<id>`, `provider:<name>`, `psp`, `system:<job>`, `cli:<user>`, `anonymous`.
    public var actor: String
    /// The staff member's role, when staff acts.
    public var role: String?
    /// The admin session's id (its hash), when staff acts.
    public var session: String?
    public var clientAddress: String?
    public var requestID: String?
    /// Set while a staff action runs (OPS.md "Actions"): its reason code and text and, when
    /// another person approved it, the approval. Audit events written meanwhile carry them.
    public var reasonCode: String?
    public var reasonText: String?
    public var approvalID: UUID?

    public init(actor: String, role: String? = nil, session: String? = nil, clientAddress: String? = nil, requestID: String? = nil) {
        self.actor = actor
        self.role = role
        self.session = session
        self.clientAddress = clientAddress
        self.requestID = requestID
    }

    /// Whoever a request's caller is.
    public init(_ context: RequestContext) {
        switch context.caller {
        case .anonymous: self.init(actor: "anonymous")
        case .driver(let id): self.init(actor: "driver:\(id.uuidString.lowercased())")
        case .workProvider(let name): self.init(actor: "provider:\(name)")
        case .cardProcessor: self.init(actor: "psp")
        case .staff(let staff): self.init(actor: "staff:\(staff.id.uuidString.lowercased())", role: staff.role, session: staff.sessionID)
        }
        clientAddress = context.clientAddress.isEmpty ? nil : context.clientAddress
        requestID = context.requestID
    }

    /// The acting party of the current task; `system:unknown` when nothing set one (a bug, but
    /// an audit row still says that nobody known acted).
    @TaskLocal public static var current = AuditContext(actor: "system:unknown")

    /// Runs `work` with `actor` as the acting party.
    public static func acting<T: Sendable>(as context: AuditContext, _ work: () async throws -> T) async rethrows -> T {
        try await $current.withValue(context) { try await work() }
    }
}
