public import Foundation
import Postgres

/// A claim as the driver reported it.
struct Claim: Encodable {
    struct ThirdParty: Codable {
        let name: String?
        let registration: String?
        let insurer: String?
        let phone: String?
    }

    /// One status the claim has had, with what the driver was told.
    struct StatusChange: Codable {
        let status: String
        let at: Date
        let message: String?
    }

    /// The claims team asking the driver for more (answered by adding attachments).
    struct InformationRequest: Codable {
        let id: UUID
        let message: String
        let requestedAt: Date
        let answeredAt: Date?
    }

    let id: UUID
    let reference: String
    let status: String
    let policyId: UUID
    let sessionId: UUID?
    let occurredAt: Date
    let type: String
    let description: String
    let location: String
    let thirdParties: [ThirdParty]
    let attachments: Int
    let createdAt: Date
    let statusHistory: [StatusChange]
    let informationRequests: [InformationRequest]

    /// How many columns `columns` selects (callers add theirs after them).
    static let columnCount = 14
    static let columns: SQL = """
        c.id, c.reference, c.status, c.policy_id, c.session_id, c.occurred_at, c.type, c.description, c.location, \
        c.third_parties, (SELECT count(*) FROM claims.attachments a WHERE a.claim_id = c.id), c.created_at, \
        (SELECT coalesce(json_agg(json_build_object('status', h.status, 'at', (extract(epoch FROM h.at) * 1000000)::int8, 'message', h.message) \
                ORDER BY h.at, h.id), '[]') FROM claims.status_history h WHERE h.claim_id = c.id)::text, \
        (SELECT coalesce(json_agg(json_build_object('id', r.id, 'message', r.message, \
                'requested_at', (extract(epoch FROM r.requested_at) * 1000000)::int8, \
                'answered_at', (extract(epoch FROM r.answered_at) * 1000000)::int8) ORDER BY r.requested_at, r.id), '[]') \
         FROM claims.information_requests r WHERE r.claim_id = c.id)::text
        """

    init(row: PostgresRow) throws {
        id = try row.decode(UUID.self, at: 0)
        reference = try row.decode(String.self, at: 1)
        status = try row.decode(String.self, at: 2)
        policyId = try row.decode(UUID.self, at: 3)
        sessionId = try row.decode(UUID?.self, at: 4)
        occurredAt = try row.decode(Date.self, at: 5)
        type = try row.decode(String.self, at: 6)
        description = try row.decode(String.self, at: 7)
        location = try row.decode(String.self, at: 8)
        thirdParties = try row.decode(PostgresJSON.self, at: 9).decode([ThirdParty].self)
        attachments = try row.decode(Int.self, at: 10)
        createdAt = try row.decode(Date.self, at: 11)
        statusHistory = try Self.rows(HistoryRow.self, try row.decode(String.self, at: 12)).map {
            StatusChange(status: $0.status, at: Self.instant($0.at), message: $0.message)
        }
        informationRequests = try Self.rows(RequestRow.self, try row.decode(String.self, at: 13)).map {
            InformationRequest(id: $0.id, message: $0.message, requestedAt: Self.instant($0.requested_at),
                               answeredAt: $0.answered_at.map(Self.instant))
        }
    }

    // The database hands history over as JSON with instants in microseconds (exact, no parsing of text dates).
    private struct HistoryRow: Decodable { let status: String; let at: Int64; let message: String? }
    private struct RequestRow: Decodable { let id: UUID; let message: String; let requested_at: Int64; let answered_at: Int64? }

    private static func rows<T: Decodable>(_ type: T.Type, _ text: String) throws -> [T] {
        try JSONDecoder().decode([T].self, from: Data(text.utf8))
    }

    private static func instant(_ micros: Int64) -> Date { Date(timeIntervalSince1970: Double(micros) / 1_000_000) }

    var isOpen: Bool { status == "submitted" || status == "in_review" }
}

/// A photo or document on a claim.
struct ClaimAttachment: Encodable {
    let id: UUID
    let contentType: String
    let sizeBytes: Int
    let sha256: String
}

/// What an attachment's bytes say it is (never only its Content-Type).
enum AttachmentKind {
    static let types: Set<String> = ["image/jpeg", "image/png", "image/heic", "application/pdf"]

    /// The media type the first bytes prove, if it is one we take.
    static func sniff(_ bytes: [UInt8]) -> String? {
        func starts(_ prefix: [UInt8], at offset: Int = 0) -> Bool {
            bytes.count >= offset + prefix.count && Array(bytes[offset..<(offset + prefix.count)]) == prefix
        }
        if starts([0xFF, 0xD8, 0xFF]) { return "image/jpeg" }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "image/png" }
        if starts(Array("%PDF-".utf8)) { return "application/pdf" }
        // ISO BMFF: a `ftyp` box naming a HEIF brand.
        if starts(Array("ftyp".utf8), at: 4), bytes.count >= 12 {
            let brand = String(decoding: bytes[8..<12], as: UTF8.self)
            if ["heic", "heix", "hevc", "hevx", "mif1", "msf1", "heim", "heis"].contains(brand) { return "image/heic" }
        }
        return nil
    }
}
