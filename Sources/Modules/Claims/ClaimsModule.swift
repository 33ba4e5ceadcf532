public import AppKernel
public import Cover
import Cryptography
import Foundation
import HTTPServer
public import Identity
import Policies
import Postgres

/// Claims (PRODUCT.md: claims): the driver reports a loss against a policy that covered that
/// instant, then adds photos or PDFs.
public struct ClaimsModule: AppModule {
    public static let name = "claims"
    public static let maxAttachmentBytes = 10 * 1024 * 1024
    static let attachmentTypes: Set<String> = ["image/jpeg", "image/png", "image/heic", "application/pdf"]

    let app: AppContext
    let identity: Identity
    let cover: CoverService

    public init(app: AppContext, identity: Identity, cover: CoverService) {
        self.app = app
        self.identity = identity
        self.cover = cover
    }

    enum ClaimType: String, CaseIterable { case accident, theft, damage, injury }

    struct ThirdParty: Codable {
        let name: String?
        let registration: String?
        let insurer: String?
        let phone: String?
    }

    struct Body: Decodable {
        let policyId: UUID?
        let occurredAt: Date?
        let type: String?
        let description: String?
        let location: String?
        let thirdParties: [ThirdParty]?
    }

    struct AttachmentResponse: Encodable {
        let id: UUID
        let contentType: String
        let sizeBytes: Int
        let sha256: String
    }

    struct Claim: Encodable {
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

    public func registerRoutes(on routes: RouteCollector) {
        let app = app, identity = identity, cover = cover

        routes.post("/v1/claims", bodyLimit: 64 * 1024) { request, context in
            let caller = try await identity.authenticate(request, context)
            let now = caller.context.now
            let body = try JSON.decode(Body.self, from: request)
            var validation = Validation()
            let policyID = validation.required(body.policyId, "policy_id")
            let occurredAt = validation.required(body.occurredAt, "occurred_at")
            if let occurredAt, occurredAt > now { validation.add("occurred_at", "must not be in the future") }
            let type = validation.oneOf(body.type, "type", as: ClaimType.self)
            let description = validation.text(body.description, "description", maxLength: 5000)
            let location = validation.text(body.location, "location", maxLength: 500)
            let thirdParties = body.thirdParties ?? []
            if thirdParties.count > 20 { validation.add("third_parties", "must list at most 20 parties") }
            for (index, party) in thirdParties.enumerated() {
                for (field, value) in [("name", party.name), ("registration", party.registration), ("insurer", party.insurer), ("phone", party.phone)] {
                    if let value, value.count > 200 { validation.add("third_parties[\(index)].\(field)", "must be at most 200 characters") }
                }
            }
            try validation.check()
            guard let policyID, let occurredAt, let type, let description, let location else { throw AppError.invalid("invalid claim") }
            guard let policy = try await Policies(app: app).policy(policyID, of: caller.driverID) else {
                throw AppError.notFound("no policy \(policyID.uuidString.lowercased())")
            }
            // Cover at that instant under this policy: one of its PAYG sessions, or its paid
            // block's window. Another policy's cover does not count, nor anything unpaid or
            // after a cancellation.
            guard let coverage = try await cover.coverage(of: caller.driverID, policy: policy, at: occurredAt, now: now) else {
                throw Self.noCover
            }
            let sessionID = coverage.sessionID
            let id = UUID()
            let reference = "CL-" + Digest.randomBytes(4).hexString.uppercased()
            let claim = try await app.database.queryOne("""
                WITH inserted AS (
                    INSERT INTO claims.claims (id, reference, driver_id, policy_id, session_id, occurred_at, type, description, location,
                                               third_parties, created_at)
                    VALUES (\(id), \(reference), \(caller.driverID), \(policy.id), \(sessionID), \(occurredAt), \(type.rawValue),
                            \(description), \(location), \(try PostgresJSON(encoding: thirdParties)), \(now))
                    RETURNING *)
                SELECT \(Claim.columns) FROM inserted c
                """, decode: Claim.init(row:))
            return try .json(claim, status: .created)
        }

        routes.get("/v1/claims") { request, context in
            let caller = try await identity.authenticate(request, context)
            let page = try PageRequest(query: request.query)
            let rows = try await app.database.queryAll("""
                SELECT \(Claim.columns) FROM claims.claims c WHERE c.driver_id = \(caller.driverID) \(page.keysetCondition)
                ORDER BY c.created_at DESC, c.id DESC LIMIT \(page.fetchLimit)
                """, decode: Claim.init(row:))
            let (items, next) = page.page(rows) { PageRequest.Cursor(createdAt: $0.createdAt, id: $0.id) }
            return try .json(ListResponse(data: items, nextCursor: next))
        }

        routes.get("/v1/claims/{id}") { request, context in
            let caller = try await identity.authenticate(request, context)
            let id = try context.uuidParameter("id")
            guard let claim = try await app.database.queryOptional(
                "SELECT \(Claim.columns) FROM claims.claims c WHERE c.id = \(id) AND c.driver_id = \(caller.driverID)",
                decode: Claim.init(row:))
            else { throw AppError.notFound("no claim \(id.uuidString.lowercased())") }
            return try .json(claim)
        }

        routes.post("/v1/claims/{id}/attachments", bodyLimit: Self.maxAttachmentBytes) { request, context in
            let caller = try await identity.authenticate(request, context)
            let id = try context.uuidParameter("id")
            let contentType = request.headers["content-type"]?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
            guard Self.attachmentTypes.contains(contentType) else {
                throw AppError.unsupportedMediaType("send a JPEG, PNG, HEIC photo or a PDF with its Content-Type")
            }
            guard !request.body.isEmpty else { throw AppError.badRequest("the attachment is empty") }
            let exists = try await app.database.queryValue(
                "SELECT EXISTS (SELECT 1 FROM claims.claims WHERE id = \(id) AND driver_id = \(caller.driverID))", as: Bool.self)
            guard exists else { throw AppError.notFound("no claim \(id.uuidString.lowercased())") }
            let attachmentID = UUID()
            let sha256 = Digest.sha256(request.body).hexString
            try await app.database.execute("""
                INSERT INTO claims.attachments (id, claim_id, content_type, size_bytes, sha256, body, created_at)
                VALUES (\(attachmentID), \(id), \(contentType), \(Int32(request.body.count)), \(sha256), \(Data(request.body)), \(caller.context.now))
                """)
            return try .json(AttachmentResponse(id: attachmentID, contentType: contentType, sizeBytes: request.body.count, sha256: sha256),
                             status: .created)
        }
    }

    static let noCover = AppError(status: .unprocessableContent, slug: "no-cover",
                                  detail: "the policy did not cover that instant, so it cannot carry a claim")
}
