import AppKernel
import Cover
import Cryptography
import Foundation
import HTTPServer
import Policies
import Postgres
import Audit

/// `POST/GET /v1/claims`, `GET /v1/claims/{id}`, `POST /v1/claims/{id}/attachments`,
/// `POST /v1/claims/{id}/withdraw`.
struct ClaimsRoutes: Sendable {
    let app: AppContext
    let cover: CoverService
    var store: ClaimsStore { ClaimsStore(database: app.database) }

    static let maxAttachmentBytes = 10 * 1024 * 1024
    /// Per claim: enough for a scene's photos and the paperwork, not a storage service.
    static let maxAttachmentsPerClaim = 20
    static let maxBytesPerClaim = 50 * 1024 * 1024

    var endpoints: [Endpoint] {
        let routes = self
        let claim = ClaimsSchemas.claim.ref
        return [
            Endpoint(.post, "/v1/claims", id: "reportClaim", "Report a claim (the policy must have covered that instant)", tag: "claims",
                     access: .driver, body: .json(ClaimsSchemas.newClaim), bodyLimit: 64 * 1024,
                     responses: [.json(201, "The claim", claim), .problem(404, "No such policy of yours"),
                                 .problem(422, "Invalid fields, or the policy did not cover that instant (/no-cover)")],
                     handler: { try await routes.create($0) }),
            Endpoint(.get, "/v1/claims", id: "listClaims", "The driver's claims, newest first", tag: "claims", access: .driver,
                     query: QueryParameter.pagination, responses: [.json(200, "A page of claims", .page(of: ClaimsSchemas.claim))],
                     handler: { try await routes.list($0) }),
            Endpoint(.get, "/v1/claims/{id}", id: "getClaim", "One claim", tag: "claims", access: .driver,
                     responses: [.json(200, "The claim", claim)], handler: { try await routes.show($0) }),
            Endpoint(.post, "/v1/claims/{id}/attachments", id: "attachToClaim",
                     "Attach a photo or PDF: the raw body with its Content-Type, 10 MB at most (20 files, 50 MB per claim)",
                     tag: "claims", access: .driver, body: .bytes(Array(AttachmentKind.types).sorted()), bodyLimit: Self.maxAttachmentBytes,
                     responses: [.json(201, "The attachment", ClaimsSchemas.attachment.ref),
                                 .problem(409, "The claim has as many attachments as it may"),
                                 .problem(422, "An empty body, or bytes that are not the type the Content-Type says")],
                     handler: { try await routes.attach($0) }),
            Endpoint(.post, "/v1/claims/{id}/withdraw", id: "withdrawClaim",
                     "Withdraw a claim while it is submitted or in review (its history keeps it)", tag: "claims", access: .driver,
                     responses: [.json(200, "The claim, withdrawn", claim), .problem(404, "No such claim of yours"),
                                 .problem(409, "The claim is settled, rejected or withdrawn already")],
                     handler: { try await routes.withdraw($0) }),
        ]
    }

    struct Body: Decodable {
        let policyId: UUID
        let occurredAt: Date
        let type: String
        let description: String
        let location: String
        let thirdParties: [Claim.ThirdParty]?
    }

    func create(_ call: Call) async throws -> HTTPResponse {
        let body = try call.body(Body.self)
        guard body.occurredAt <= call.now else {
            throw AppError.invalid("a claim cannot be for the future", fields: [FieldError(field: "occurred_at", message: "must not be in the future")])
        }
        guard let policy = try await Policies(app: app).policy(body.policyId, of: call.driverID) else {
            throw AppError.notFound("no policy \(body.policyId.uuidString.lowercased())")
        }
        // Cover at that instant under this policy: one of its PAYG sessions, or its paid block's
        // window. Another policy's cover does not count, nor anything unpaid or after a cancellation.
        guard let coverage = try await cover.coverage(of: call.driverID, policy: policy, at: body.occurredAt, now: call.now) else {
            throw AppError(status: .unprocessableContent, slug: "no-cover",
                           detail: "the policy did not cover that instant, so it cannot carry a claim")
        }
        let thirdParties = try PostgresJSON(encoding: body.thirdParties ?? [])
        // A reference is 32 random bits: should one be taken, draw again.
        for _ in 0..<5 {
            let reference = "CL-" + Digest.randomBytes(4).hexString.uppercased()
            let id = UUID()
            let inserted = try await app.database.withTransaction { transaction -> Claim? in
                guard let claim = try await ClaimsStore(database: transaction).insert(
                    id: id, reference: reference, driverID: call.driverID, policyID: policy.id, sessionID: coverage.sessionID,
                    occurredAt: body.occurredAt, type: body.type, description: body.description, location: body.location,
                    thirdParties: thirdParties, at: call.now) else { return nil }
                try await ClaimsStore(database: transaction).insertStatus(id, status: "submitted", at: call.now, message: nil,
                                                                         actor: AuditContext.current.actor)
                try await Audit.record("claims.reported", AuditObject("claim", id, driver: call.driverID),
                                       after: .object(["reference": .string(reference), "type": .string(body.type),
                                                       "policy_id": .string(policy.id.uuidString.lowercased()),
                                                       "occurred_at": .string(RFC3339.format(body.occurredAt))]), on: transaction)
                return try await ClaimsStore(database: transaction).find(id) ?? claim
            }
            if let claim = inserted { return try .json(claim, status: .created) }
        }
        throw AppError.unavailable("could not draw a claim reference; retry")
    }

    func list(_ call: Call) async throws -> HTTPResponse {
        let page = try PageRequest(query: call.request.query)
        let (items, next) = page.page(try await store.list(driverID: call.driverID, page: page)) {
            PageRequest.Cursor(createdAt: $0.createdAt, id: $0.id)
        }
        return try .json(ListResponse(data: items, nextCursor: next))
    }

    func show(_ call: Call) async throws -> HTTPResponse {
        let id = try call.id()
        guard let claim = try await store.find(id, driverID: call.driverID) else { throw AppError.notFound("no claim \(id.uuidString.lowercased())") }
        return try .json(claim)
    }

    /// Checked by its bytes as well as its Content-Type, and capped per claim.
    func attach(_ call: Call) async throws -> HTTPResponse {
        let id = try call.id()
        let request = call.request
        let contentType = request.headers["content-type"]?.split(separator: ";").first
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        guard AttachmentKind.types.contains(contentType) else {
            throw AppError.unsupportedMediaType("send a JPEG, PNG, HEIC photo or a PDF with its Content-Type")
        }
        guard !request.body.isEmpty else {
            throw AppError.invalid("the attachment is empty", fields: [FieldError(field: "body", message: "must not be empty")])
        }
        guard AttachmentKind.sniff(request.body) == contentType else {
            throw AppError.invalid("the file is not a \(contentType): its bytes say otherwise",
                                   fields: [FieldError(field: "body", message: "does not match its Content-Type")])
        }
        let attachmentID = UUID()
        let sha256 = Digest.sha256(request.body).hexString
        try await app.database.withTransaction { transaction in
            let store = ClaimsStore(database: transaction)
            guard let totals = try await store.attachmentTotals(claimID: id, driverID: call.driverID) else {
                throw AppError.notFound("no claim \(id.uuidString.lowercased())")
            }
            guard totals.count < Self.maxAttachmentsPerClaim, totals.bytes + request.body.count <= Self.maxBytesPerClaim else {
                throw AppError.conflict("a claim takes at most \(Self.maxAttachmentsPerClaim) files and 50 MB; this one is full")
            }
            try await store.insertAttachment(id: attachmentID, claimID: id, contentType: contentType, body: request.body, sha256: sha256,
                                             at: call.now)
            // A file added after the claims team asked for more answers what they asked.
            try await store.answerOpenRequests(claimID: id, at: call.now)
            try await Audit.record("claims.attachment_added", AuditObject("claim", id, driver: call.driverID),
                                   after: .object(["attachment_id": .string(attachmentID.uuidString.lowercased()), "content_type": .string(contentType),
                                                   "size_bytes": .integer(Int64(request.body.count)), "sha256": .string(sha256)]), on: transaction)
        }
        return try .json(ClaimAttachment(id: attachmentID, contentType: contentType, sizeBytes: request.body.count, sha256: sha256),
                         status: .created)
    }

    func withdraw(_ call: Call) async throws -> HTTPResponse {
        let id = try call.id()
        let claim = try await app.database.withTransaction { transaction in
            try await ClaimHandling(app: app).withdraw(id, driverID: call.driverID, at: call.now, on: transaction)
        }
        return try .json(claim)
    }
}
