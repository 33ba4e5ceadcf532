import AppKernel
import Foundation
import Postgres

/// Owns every SQL statement against the `work_providers` schema.
struct WorkProvidersStore: Sendable {
    let database: any PostgresQueryable

    // MARK: - Links

    func insertPending(id: UUID, provider: String, providerDriverID: String, driverID: UUID, codeHash: Data, expiresAt: Date,
                       at instant: Date) async throws -> WorkProviderLink {
        try await database.queryOne("""
            INSERT INTO work_providers.links (id, provider, provider_driver_id, driver_id, status, code_hash, code_expires_at, created_at)
            VALUES (\(id), \(provider), \(providerDriverID), \(driverID), 'pending', \(codeHash), \(expiresAt), \(instant))
            RETURNING \(WorkProviderLink.columns)
            """, decode: WorkProviderLink.init(row:))
    }

    /// Earlier requests of this driver for this provider account give way to a new one.
    func expirePending(provider: String, providerDriverID: String, driverID: UUID, at instant: Date) async throws {
        try await database.execute("""
            UPDATE work_providers.links SET status = 'expired', code_hash = NULL, ended_at = \(instant)
            WHERE provider = \(provider) AND provider_driver_id = \(providerDriverID) AND driver_id = \(driverID) AND status = 'pending'
            """)
    }

    func activeLink(provider: String, providerDriverID: String) async throws -> WorkProviderLink? {
        try await database.queryOptional("""
            SELECT \(WorkProviderLink.columns) FROM work_providers.links
            WHERE provider = \(provider) AND provider_driver_id = \(providerDriverID) AND status = 'active'
            """, decode: WorkProviderLink.init(row:))
    }

    func activeLink(provider: String, driverID: UUID) async throws -> WorkProviderLink? {
        try await database.queryOptional("""
            SELECT \(WorkProviderLink.columns) FROM work_providers.links
            WHERE provider = \(provider) AND driver_id = \(driverID) AND status = 'active'
            """, decode: WorkProviderLink.init(row:))
    }

    /// Pending requests for this provider account, locked, for checking a code against.
    func pending(provider: String, providerDriverID: String) async throws -> [(link: WorkProviderLink, codeHash: Data, attempts: Int)] {
        try await database.queryAll("""
            SELECT \(WorkProviderLink.columns), code_hash, failed_attempts FROM work_providers.links
            WHERE provider = \(provider) AND provider_driver_id = \(providerDriverID) AND status = 'pending'
            ORDER BY created_at DESC FOR UPDATE
            """) { (try WorkProviderLink(row: $0), try $0.decode(Data.self, at: 8), Int(try $0.decode(Int32.self, at: 9))) }
    }

    func recordFailedAttempt(provider: String, providerDriverID: String) async throws {
        try await database.execute("""
            UPDATE work_providers.links SET failed_attempts = failed_attempts + 1
            WHERE provider = \(provider) AND provider_driver_id = \(providerDriverID) AND status = 'pending'
            """)
    }

    /// Activates a pending link; every other request for that provider account lapses.
    func activate(_ id: UUID, at instant: Date) async throws -> WorkProviderLink {
        try await database.execute("""
            UPDATE work_providers.links SET status = 'expired', code_hash = NULL, ended_at = \(instant)
            WHERE status = 'pending' AND id <> \(id) AND (provider, provider_driver_id) =
                  (SELECT provider, provider_driver_id FROM work_providers.links WHERE id = \(id))
            """)
        return try await database.queryOne("""
            UPDATE work_providers.links SET status = 'active', code_hash = NULL, code_expires_at = NULL, confirmed_at = \(instant)
            WHERE id = \(id) RETURNING \(WorkProviderLink.columns)
            """, decode: WorkProviderLink.init(row:))
    }

    func links(driverID: UUID, page: PageRequest) async throws -> [WorkProviderLink] {
        try await database.queryAll("""
            SELECT \(WorkProviderLink.columns) FROM work_providers.links WHERE driver_id = \(driverID) \(page.keysetCondition)
            ORDER BY created_at DESC, id DESC LIMIT \(page.fetchLimit)
            """, decode: WorkProviderLink.init(row:))
    }

    func activeLinks(driverID: UUID) async throws -> [(provider: String, providerDriverID: String)] {
        try await database.queryAll("""
            SELECT provider, provider_driver_id FROM work_providers.links WHERE driver_id = \(driverID) AND status = 'active'
            """) { (try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1)) }
    }

    // MARK: - Events

    /// Stores an event once; false for a duplicate.
    func insertEvent(provider: String, eventID: String, providerDriverID: String, type: String, shiftID: String?,
                     occurredAt: Date) async throws -> Bool {
        try await database.execute("""
            INSERT INTO work_providers.events (provider, event_id, provider_driver_id, type, shift_id, occurred_at)
            VALUES (\(provider), \(eventID), \(providerDriverID), \(type), \(shiftID), \(occurredAt))
            ON CONFLICT (provider, event_id) DO NOTHING
            """) == 1
    }

    /// The driver's shift events since `since`, from every account they are or were linked to,
    /// each with the end of the link that applies it. A link applies its account's events from
    /// the end of the account's previous link (events before that belonged to that link, whoever
    /// had it) until its own end: an active link has none (kept events of an account never
    /// linked before apply when the link appears), an unlinked one applies only what happened
    /// before it ended; what comes after is kept and applies to nobody until a new link.
    func shiftEvents(driverID: UUID, since: Date) async throws -> [ProviderShiftEvent] {
        try await database.queryAll("""
            WITH accounts AS (
                SELECT DISTINCT provider, provider_driver_id FROM work_providers.links
                WHERE driver_id = \(driverID) AND status IN ('active', 'unlinked')),
            spans AS (
                SELECT l.driver_id, l.provider, l.provider_driver_id, l.ended_at,
                       lag(l.ended_at) OVER (PARTITION BY l.provider, l.provider_driver_id
                                             ORDER BY l.ended_at ASC NULLS LAST, l.confirmed_at) AS applies_from
                FROM work_providers.links l JOIN accounts a USING (provider, provider_driver_id)
                WHERE l.status IN ('active', 'unlinked'))
            SELECT e.provider, e.shift_id, e.type, e.occurred_at, e.event_id, s.ended_at
            FROM spans s JOIN work_providers.events e ON e.provider = s.provider AND e.provider_driver_id = s.provider_driver_id
            WHERE s.driver_id = \(driverID) AND e.occurred_at >= \(since)
              AND (s.applies_from IS NULL OR e.occurred_at >= s.applies_from)
              AND (s.ended_at IS NULL OR e.occurred_at < s.ended_at)
            """) {
            ProviderShiftEvent(provider: try $0.decode(String.self, at: 0), shiftID: try $0.decode(String?.self, at: 1),
                               started: try $0.decode(String.self, at: 2) == "shift_started", occurredAt: try $0.decode(Date.self, at: 3),
                               eventID: try $0.decode(String.self, at: 4), linkEndedAt: try $0.decode(Date?.self, at: 5))
        }
    }
}
