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
}
