import AppKernel
import Foundation
import Postgres

/// An inbox event with what the inbox can tell about it: the active link of its account (if
/// any) and whether it arrived after an event of the same account that happened later.
struct ProviderEventRow: Sendable {
    let provider: String
    let eventID: String
    let providerDriverID: String
    let type: String
    let shiftID: String?
    let occurredAt: Date
    let receivedAt: Date
    let linkID: UUID?
    let linkedDriverID: UUID?
    let linkConfirmedAt: Date?
    /// An event of the same account that happened later had already been received.
    let arrivedLate: Bool
    /// The applying link ended (unlinked) after the event happened.
    let linkEndedAt: Date?

    static let columns: SQL = """
        e.provider, e.event_id, e.provider_driver_id, e.type, e.shift_id, e.occurred_at, e.received_at, l.id, l.driver_id, l.confirmed_at,
        EXISTS (SELECT 1 FROM work_providers.events o
                WHERE o.provider = e.provider AND o.provider_driver_id = e.provider_driver_id
                  AND o.occurred_at > e.occurred_at AND o.received_at < e.received_at),
        l.ended_at
        """

    /// The events, each with the link that applies it (`WorkProvidersStore.shiftEvents`' rule:
    /// the account's link whose span, from the end of the account's previous link to its own
    /// end, contains the event; an active link's span has no end).
    static let from: SQL = """
        FROM work_providers.events e
        LEFT JOIN LATERAL (
            SELECT s.id, s.driver_id, s.confirmed_at, s.status, s.ended_at FROM (
                SELECT x.id, x.driver_id, x.confirmed_at, x.status, x.ended_at,
                       lag(x.ended_at) OVER (ORDER BY x.ended_at ASC NULLS LAST, x.confirmed_at) AS applies_from
                FROM work_providers.links x
                WHERE x.provider = e.provider AND x.provider_driver_id = e.provider_driver_id AND x.status IN ('active', 'unlinked')) s
            WHERE (s.applies_from IS NULL OR e.occurred_at >= s.applies_from) AND (s.ended_at IS NULL OR e.occurred_at < s.ended_at)
            LIMIT 1) l ON true
        """

    init(row: PostgresRow) throws {
        provider = try row.decode(String.self, at: 0)
        eventID = try row.decode(String.self, at: 1)
        providerDriverID = try row.decode(String.self, at: 2)
        type = try row.decode(String.self, at: 3)
        shiftID = try row.decode(String?.self, at: 4)
        occurredAt = try row.decode(Date.self, at: 5)
        receivedAt = try row.decode(Date.self, at: 6)
        linkID = try row.decode(UUID?.self, at: 7)
        linkedDriverID = try row.decode(UUID?.self, at: 8)
        linkConfirmedAt = try row.decode(Date?.self, at: 9)
        arrivedLate = try row.decode(Bool.self, at: 10)
        linkEndedAt = try row.decode(Date?.self, at: 11)
    }
}

/// A link with the columns the API does not show.
struct LinkDetail: Sendable {
    let link: WorkProviderLink
    let endedAt: Date?
    let failedAttempts: Int

    static let columns: SQL = "\(WorkProviderLink.columns), ended_at, failed_attempts"

    init(row: PostgresRow) throws {
        link = try WorkProviderLink(row: row)
        endedAt = try row.decode(Date?.self, at: 8)
        failedAttempts = Int(try row.decode(Int32.self, at: 9))
    }
}

/// The work_providers schema's queries for the admin.
extension WorkProvidersStore {
    /// How far back an event may have happened and still apply (PRODUCT.md: 24 hours late).
    static let window: SQL = "interval '24 hours'"

    struct EventFilter {
        var providers: [String] = []
        var types: [String] = []
        /// `waiting_for_link`, `link_window_passed`, `linked`, `late`.
        var outcomes: [String] = []
        var providerDriverID: String?
    }

    /// The condition of each outcome (fixed text; `now` bound).
    static func outcomeCondition(_ outcome: String, now: Date) -> SQL? {
        switch outcome {
        case "waiting_for_link": "(l.id IS NULL AND e.occurred_at > \(now)::timestamptz - \(window))"
        case "link_window_passed": "(l.id IS NULL AND e.occurred_at <= \(now)::timestamptz - \(window))"
        case "linked": "l.id IS NOT NULL"
        case "late": """
            EXISTS (SELECT 1 FROM work_providers.events o WHERE o.provider = e.provider AND o.provider_driver_id = e.provider_driver_id
                    AND o.occurred_at > e.occurred_at AND o.received_at < e.received_at)
            """
        default: nil
        }
    }

    /// Events newest first (by arrival), `limit + 1` rows after `(received_at, provider, event_id)`.
    func events(_ filter: EventFilter, now: Date, after: (Date, String, String)?, limit: Int) async throws -> [ProviderEventRow] {
        let outcomes = filter.outcomes.compactMap { Self.outcomeCondition($0, now: now) }
        let outcome: SQL = outcomes.isEmpty ? "" : "AND (" + SQL.joined(outcomes, separator: " OR ") + ")"
        let keyset: SQL = after.map { "AND (e.received_at, e.provider, e.event_id) < (\($0.0), \($0.1), \($0.2))" } ?? ""
        return try await database.queryAll("""
            SELECT \(ProviderEventRow.columns) \(ProviderEventRow.from)
            WHERE (cardinality(\(filter.providers)::text[]) = 0 OR e.provider = ANY(\(filter.providers)))
              AND (cardinality(\(filter.types)::text[]) = 0 OR e.type = ANY(\(filter.types)))
              AND (\(filter.providerDriverID)::text IS NULL OR e.provider_driver_id = \(filter.providerDriverID))
              \(outcome) \(keyset)
            ORDER BY e.received_at DESC, e.provider DESC, e.event_id DESC LIMIT \(limit + 1)
            """, decode: ProviderEventRow.init(row:))
    }

    func event(provider: String, eventID: String) async throws -> ProviderEventRow? {
        try await database.queryOptional("""
            SELECT \(ProviderEventRow.columns) \(ProviderEventRow.from) WHERE e.provider = \(provider) AND e.event_id = \(eventID)
            """, decode: ProviderEventRow.init(row:))
    }

    /// Events by their id at the provider, whichever provider sent them.
    func events(eventID: String) async throws -> [ProviderEventRow] {
        try await database.queryAll("""
            SELECT \(ProviderEventRow.columns) \(ProviderEventRow.from) WHERE e.event_id = \(eventID) LIMIT 10
            """, decode: ProviderEventRow.init(row:))
    }

    /// One provider account's events, latest first.
    func events(provider: String, providerDriverID: String, limit: Int) async throws -> [ProviderEventRow] {
        try await database.queryAll("""
            SELECT \(ProviderEventRow.columns) \(ProviderEventRow.from)
            WHERE e.provider = \(provider) AND e.provider_driver_id = \(providerDriverID)
            ORDER BY e.occurred_at DESC LIMIT \(limit)
            """, decode: ProviderEventRow.init(row:))
    }

    /// The other half of a shift: the event of the same account and shift with the other type.
    func shiftPartners(of event: ProviderEventRow) async throws -> [ProviderEventRow] {
        guard let shiftID = event.shiftID else { return [] }
        return try await database.queryAll("""
            SELECT \(ProviderEventRow.columns) \(ProviderEventRow.from)
            WHERE e.provider = \(event.provider) AND e.provider_driver_id = \(event.providerDriverID) AND e.shift_id = \(shiftID)
              AND e.event_id <> \(event.eventID)
            ORDER BY e.occurred_at LIMIT 10
            """, decode: ProviderEventRow.init(row:))
    }

    /// The latest events of the accounts a driver is or was linked to (not unconfirmed requests).
    func events(ofDriver driverID: UUID, limit: Int) async throws -> [ProviderEventRow] {
        try await database.queryAll("""
            SELECT \(ProviderEventRow.columns) \(ProviderEventRow.from)
            WHERE (e.provider, e.provider_driver_id) IN (
                SELECT provider, provider_driver_id FROM work_providers.links
                WHERE driver_id = \(driverID) AND status IN ('active', 'unlinked') LIMIT 20)
            ORDER BY e.occurred_at DESC LIMIT \(limit)
            """, decode: ProviderEventRow.init(row:))
    }

    /// Events of accounts with no active link that happened in the last 24 hours (so may still
    /// apply when a link is confirmed), counted up to `cap`.
    func waitingCount(now: Date, cap: Int) async throws -> Int {
        try await database.queryValue("""
            SELECT count(*) FROM (
                SELECT 1 FROM work_providers.events e
                WHERE e.received_at > \(now)::timestamptz - \(Self.window) - interval '5 minutes'
                  AND e.occurred_at > \(now)::timestamptz - \(Self.window)
                  AND NOT EXISTS (SELECT 1 FROM work_providers.links l
                                  WHERE l.provider = e.provider AND l.provider_driver_id = e.provider_driver_id AND l.status = 'active')
                LIMIT \(cap)) w
            """, as: Int.self)
    }

    // MARK: - Links

    struct LinkFilter {
        var providers: [String] = []
        /// Statuses as seen now: a pending request whose code ran out counts as expired.
        var statuses: [String] = []
    }

    /// Newest first, `limit + 1` rows after the cursor.
    func links(_ filter: LinkFilter, now: Date, page: PageRequest) async throws -> [LinkDetail] {
        try await database.queryAll("""
            SELECT \(LinkDetail.columns) FROM work_providers.links
            WHERE (cardinality(\(filter.providers)::text[]) = 0 OR provider = ANY(\(filter.providers)))
              AND (cardinality(\(filter.statuses)::text[]) = 0
                   OR CASE WHEN status = 'pending' AND code_expires_at <= \(now) THEN 'expired' ELSE status END = ANY(\(filter.statuses)))
              \(page.keysetCondition)
            ORDER BY created_at DESC, id DESC LIMIT \(page.fetchLimit)
            """, decode: LinkDetail.init(row:))
    }

    func link(id: UUID) async throws -> LinkDetail? {
        try await database.queryOptional("SELECT \(LinkDetail.columns) FROM work_providers.links WHERE id = \(id)", decode: LinkDetail.init(row:))
    }

    func links(driverID: UUID, limit: Int) async throws -> [LinkDetail] {
        try await database.queryAll("""
            SELECT \(LinkDetail.columns) FROM work_providers.links WHERE driver_id = \(driverID)
            ORDER BY created_at DESC, id DESC LIMIT \(limit)
            """, decode: LinkDetail.init(row:))
    }

    /// Links by id or by the driver's id at a provider.
    func matchingLinks(providerDriverID: String?, id: UUID?) async throws -> [LinkDetail] {
        try await database.queryAll("""
            SELECT \(LinkDetail.columns) FROM work_providers.links WHERE provider_driver_id = \(providerDriverID) OR id = \(id)
            ORDER BY created_at DESC LIMIT 20
            """, decode: LinkDetail.init(row:))
    }

    /// Whether a provider's driver id has sent any event (for search, when it has no link).
    func hasEvents(providerDriverID: String) async throws -> Bool {
        try await database.queryValue("""
            SELECT EXISTS (SELECT 1 FROM work_providers.events WHERE provider_driver_id = \(providerDriverID))
            """, as: Bool.self)
    }
}
