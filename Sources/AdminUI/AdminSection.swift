public import AppKernel
public import Foundation

/// What one module adds to the admin (its `<Name>Admin.swift`): pages, navigation entries,
/// search matches and ops-home counts. The admin grows module by module.
public protocol AdminSection: Sendable {
    var pages: [AdminPage] { get }
    var navigation: [AdminNavItem] { get }
    /// Objects matching `query` exactly (an id, a number, an email…), for `/admin/search`.
    func search(_ query: AdminSearchQuery) async throws -> [AdminSearchHit]
    /// Counts for the ops home page, for this member of staff.
    func homeItems(for staff: StaffCaller) async throws -> [AdminHomeItem]
    /// What this module adds to driver 360 (`/admin/drivers/{id}`): header facts, badges and
    /// sections. Each module shows its own data; no module reaches into another's.
    func driver360(_ driverID: UUID, _ request: AdminRequest) async throws -> AdminDriverContribution
    /// The actions this module's pages offer (OPS.md "Actions"); the shell runs them.
    var actions: [AdminAction] { get }
}

extension AdminSection {
    public var navigation: [AdminNavItem] { [] }
    public func search(_ query: AdminSearchQuery) async throws -> [AdminSearchHit] { [] }
    public func homeItems(for staff: StaffCaller) async throws -> [AdminHomeItem] { [] }
    public func driver360(_ driverID: UUID, _ request: AdminRequest) async throws -> AdminDriverContribution { AdminDriverContribution() }
    public var actions: [AdminAction] { [] }
}

/// One module's part of driver 360.
public struct AdminDriverContribution: Sendable {
    /// Facts for the header (`data-field` hooks where they show an API field).
    public var facts: [AdminHTML.Field]
    public var badges: [HTML]
    public var panels: [AdminPanel]
    /// A strip above the page (a test clock's sandbox banner).
    public var banner: HTML?
    /// The driver's name, from the module that owns it.
    public var title: String?

    public init(facts: [AdminHTML.Field] = [], badges: [HTML] = [], panels: [AdminPanel] = [], banner: HTML? = nil, title: String? = nil) {
        self.facts = facts
        self.badges = badges
        self.panels = panels
        self.banner = banner
        self.title = title
    }
}

/// A section of driver 360, placed by `order` (OPS.md's order: cover timeline 10, policies 20,
/// vehicles 30, quotes 40, money 50, payments and refunds 60, provider links 70, claims 80,
/// documents 90, notifications 100, notes 110, history 120).
public struct AdminPanel: Sendable {
    public let order: Int
    public let body: HTML
    /// Across the whole page (the timeline, money) rather than one column of the grid.
    public let wide: Bool

    public init(order: Int, wide: Bool = false, _ body: HTML) {
        self.order = order
        self.wide = wide
        self.body = body
    }
}

/// A module whose admin section the shell should mount.
public protocol AdminContributing: Sendable {
    var adminSection: any AdminSection { get }
}

/// A navigation link, shown to staff who may open it.
public struct AdminNavItem: Sendable {
    public let title: String
    public let path: String
    public let group: String
    public let permission: AdminPermission

    public init(_ title: String, _ path: String, group: String, permission: AdminPermission = .read) {
        self.title = title
        self.path = path
        self.group = group
        self.permission = permission
    }
}

/// What was typed in the search box, with the forms modules match on.
public struct AdminSearchQuery: Sendable {
    public let text: String
    /// The text as a UUID, when it is one.
    public let uuid: UUID?
    /// Upper case without spaces or hyphens (registrations, licences, postcodes, references).
    public let compact: String
    /// Lower case (emails).
    public let lowercased: String
    /// Digits only, with a UK leading 0 turned into +44 (phones), when it looks like a phone.
    public let phone: String?

    public init(_ text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        self.text = trimmed
        uuid = UUID(uuidString: trimmed)
        compact = trimmed.uppercased().filter { $0 != " " && $0 != "-" }
        lowercased = trimmed.lowercased()
        let digits = trimmed.filter(\.isNumber)
        if digits.count >= 9, trimmed.allSatisfy({ $0.isNumber || " +-()".contains($0) }) {
            phone = trimmed.hasPrefix("+") ? "+" + digits : digits.hasPrefix("44") ? "+" + digits : "+44" + digits.drop { $0 == "0" }
        } else {
            phone = nil
        }
    }
}

/// One object a search found.
public struct AdminSearchHit: Sendable {
    public let type: String
    public let title: String
    /// Key facts shown under the title.
    public let facts: String
    public let path: String

    public init(type: String, title: String, facts: String, path: String) {
        self.type = type
        self.title = title
        self.facts = facts
        self.path = path
    }
}

/// A number on the ops home page, linking to the list behind it.
public struct AdminHomeItem: Sendable {
    public enum Kind: Sendable { case now, queue }
    public let label: String
    public let count: Int
    public let path: String
    public let kind: Kind
    /// Shown in amber when non-zero (a queue someone should look at).
    public let wantsAttention: Bool

    public init(_ label: String, _ count: Int, path: String, kind: Kind, wantsAttention: Bool = false) {
        self.label = label
        self.count = count
        self.path = path
        self.kind = kind
        self.wantsAttention = wantsAttention
    }
}
