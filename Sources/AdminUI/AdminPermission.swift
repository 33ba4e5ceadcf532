/// What a member of staff may do, by name. Roles map to sets of these (Identity's `StaffRole`);
/// every admin page names the one it needs, checked on the server for its GET and again for its
/// POST. Deny by default: a page without a permission cannot be declared.
public struct AdminPermission: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    /// Any signed-in member of staff: the home page, their own sessions, signing out.
    public static let signedIn = AdminPermission(rawValue: "signed_in")
    /// Every object page: drivers, policies, money, cover, claims (read only).
    public static let read = AdminPermission(rawValue: "read")
    /// CSV exports of lists (audited).
    public static let export = AdminPermission(rawValue: "export")
    /// Seeing a driver's full phone and licence number (audited).
    public static let revealPII = AdminPermission(rawValue: "reveal_pii")
    /// Searching the audit trail (audited).
    public static let audit = AdminPermission(rawValue: "audit")
    /// Staff accounts and roles.
    public static let staff = AdminPermission(rawValue: "staff")
    /// Feature flags and runtime settings.
    public static let flags = AdminPermission(rawValue: "flags")
    /// Switching maintenance mode.
    public static let maintenance = AdminPermission(rawValue: "maintenance")
    /// The job queue's pages.
    public static let jobs = AdminPermission(rawValue: "jobs")

    /// Money actions: refunds, credit, wallet adjustments, write-offs (OPS.md: finance, senior_ops).
    public static let money = AdminPermission(rawValue: "money")
    /// Cover actions: cancelling and deactivating policies, closing sessions, cover by hand,
    /// certificates, provider links and kept events (senior_ops).
    public static let cover = AdminPermission(rawValue: "cover")
    /// Handling claims: triage, status, notes, requests for information, reserves (claims).
    public static let claims = AdminPermission(rawValue: "claims")
    /// Drafting rate tables and underwriting rules (pricing).
    public static let pricingDraft = AdminPermission(rawValue: "pricing_draft")
    /// Approving and publishing drafted rates and rules (finance).
    public static let pricingPublish = AdminPermission(rawValue: "pricing_publish")
    /// Running, retrying and cancelling jobs; resending notifications; rotating provider secrets (engineer).
    public static let operate = AdminPermission(rawValue: "operate")
    /// Internal notes on a driver (everyone who reads driver pages except pricing).
    public static let notes = AdminPermission(rawValue: "notes")
    /// Goodwill credit (support up to a ceiling; senior ops and finance up to the adjustment threshold).
    public static let goodwill = AdminPermission(rawValue: "goodwill")
    /// Resending what we sent a driver: notifications and documents (support, engineer).
    public static let resend = AdminPermission(rawValue: "resend")
    /// Working reconciliation: uploading settlement reports, assigning, resolving, reopening and
    /// correcting exceptions, approving corrections (OPS.md: finance).
    public static let reconcile = AdminPermission(rawValue: "reconcile")
}
