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

    static let columns: SQL = """
        c.id, c.reference, c.status, c.policy_id, c.session_id, c.occurred_at, c.type, c.description, c.location, \
        c.third_parties, (SELECT count(*) FROM claims.attachments a WHERE a.claim_id = c.id), c.created_at
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
    }
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
