public import Foundation
import Postgres

/// A driver's link to their account at a work provider.
public struct WorkProviderLink: Sendable, Equatable {
    public enum Status: String, Sendable, CaseIterable { case pending, active, expired, unlinked }
    public let id: UUID
    public let provider: String
    public let providerDriverID: String
    public let driverID: UUID
    public let status: Status
    public let codeExpiresAt: Date?
    public let createdAt: Date
    public let confirmedAt: Date?

    static let columns: SQL = "id, provider, provider_driver_id, driver_id, status, code_expires_at, created_at, confirmed_at"

    init(row: PostgresRow) throws {
        id = try row.decode(UUID.self, at: 0)
        provider = try row.decode(String.self, at: 1)
        providerDriverID = try row.decode(String.self, at: 2)
        driverID = try row.decode(UUID.self, at: 3)
        guard let status = Status(rawValue: try row.decode(String.self, at: 4)) else {
            throw PostgresError(code: .decoding, message: "unknown link status")
        }
        self.status = status
        codeExpiresAt = try row.decode(Date?.self, at: 5)
        createdAt = try row.decode(Date.self, at: 6)
        confirmedAt = try row.decode(Date?.self, at: 7)
    }

    /// Seen at `now`: a pending request whose code ran out has expired.
    func status(at now: Date) -> Status {
        if status == .pending, let codeExpiresAt, now >= codeExpiresAt { return .expired }
        return status
    }
}

/// The link object of the API. `link_code` appears once, in the answer to the request.
struct LinkDTO: Encodable {
    let id: UUID
    let provider: String
    let providerDriverId: String
    let driverId: UUID
    let status: String
    let linkCode: String?
    let linkCodeExpiresAt: Date?
    let createdAt: Date
    let confirmedAt: Date?

    init(_ link: WorkProviderLink, now: Date, code: String? = nil) {
        id = link.id
        provider = link.provider
        providerDriverId = link.providerDriverID
        driverId = link.driverID
        status = link.status(at: now).rawValue
        linkCode = code
        linkCodeExpiresAt = link.status(at: now) == .pending ? link.codeExpiresAt : nil
        createdAt = link.createdAt
        confirmedAt = link.confirmedAt
    }
}

/// A shift event from the inbox, for the cover engine.
public struct ProviderShiftEvent: Sendable, Equatable {
    public let provider: String
    public let shiftID: String?
    public let started: Bool
    public let occurredAt: Date
    /// The provider's own id for the event (the admin's event inspector shows it).
    public let eventID: String
    /// When the link that applies it ended (unlinked): a shift of that link still running then
    /// stops there. Nil for an active link.
    public let linkEndedAt: Date?

    public init(provider: String, shiftID: String?, started: Bool, occurredAt: Date, eventID: String, linkEndedAt: Date? = nil) {
        self.provider = provider
        self.shiftID = shiftID
        self.started = started
        self.occurredAt = occurredAt
        self.eventID = eventID
        self.linkEndedAt = linkEndedAt
    }
}
