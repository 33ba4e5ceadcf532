public import AdminUI
public import AppKernel
import Audit
public import Foundation
import HTTPServer
import Identity
import Cover

/// Claims in the admin: the list (by status and type), one claim as the driver reported it
/// with its third parties and attachments (each opened through an admin GET that serves its
/// bytes), search by reference (`CL-…`) or id, the "Claims awaiting triage" queue, and
/// driver 360's Claims section. Handling a claim is done by its actions (ClaimsAdmin+Actions).
public struct ClaimsAdmin: AdminSection {
    let app: AppContext
    let cover: CoverService
    var store: ClaimsStore { ClaimsStore(database: app.database) }

    static let statuses = ["submitted", "in_review", "settled", "rejected", "withdrawn"]
    static let countCap = 10_000

    public var navigation: [AdminNavItem] { [AdminNavItem("Claims", "/admin/claims", group: "Claims")] }

    public var pages: [AdminPage] {
        [
            .get("/admin/claims", .read) { try await list($0) },
            .get("/admin/claims/{id}", .read) { try await show($0) },
            .get("/admin/claims/{id}/attachments/{attachment}", .read) { try await attachment($0) },
        ]
    }

    public func homeItems(for staff: StaffCaller) async throws -> [AdminHomeItem] {
        guard staff.may(AdminPermission.read.rawValue) else { return [] }
        return [AdminHomeItem("Claims awaiting triage", try await store.submittedCount(cap: Self.countCap), path: "/admin/claims?status=submitted",
                              kind: .queue, wantsAttention: true)]
    }

    func list(_ request: AdminRequest) async throws -> AdminResponse {
        var filter = ClaimsStore.ListFilter()
        filter.statuses = request.query.all("status").filter(Self.statuses.contains)
        filter.types = request.query.all("type").filter(ClaimsSchemas.types.contains)
        if let text = request.query["driver"] {
            guard let id = UUID(uuidString: text) else { throw AppError.badRequest("driver must be an id") }
            filter.driverID = id
        }
        let page = try PageRequest(query: request.query["cursor"].map { "cursor=\($0)" })
        let (claims, next) = page.page(try await store.list(filter, page: page)) { PageRequest.Cursor(createdAt: $0.claim.createdAt, id: $0.claim.id) }
        let filters = AdminHTML.filters(request, [
            .init("status", "Status", .choices(Self.statuses)),
            .init("type", "Type", .choices(ClaimsSchemas.types)),
            .init("driver", "Driver id", .text(placeholder: "a driver's id")),
        ])
        return .page(AdminView(title: "Claims", body: filters + Self.table(claims, withDriver: true) + AdminHTML.pager(request, next: next)))
    }

    static func table(_ claims: [ClaimRecord], withDriver: Bool) -> HTML {
        AdminHTML.table(["Reference", "Type", "Status", "Happened", "Where", "Files"] + (withDriver ? ["Driver"] : []) + ["Reported"], claims.map { record in
            let claim = record.claim
            var cells: [HTML] = [AdminHTML.link(path(claim.id), claim.reference), "\(claim.type)", AdminHTML.status(claim.status),
                                 AdminFormat.time(claim.occurredAt), "\(claim.location)", "\(claim.attachments)"]
            if withDriver { cells.append(AdminHTML.idLink("/admin/drivers/\(record.driverID.uuidString.lowercased())", record.driverID)) }
            cells.append(AdminFormat.time(claim.createdAt))
            return cells
        }, empty: "No claims.", numeric: [5])
    }

    func show(_ request: AdminRequest) async throws -> AdminResponse {
        guard let record = try await store.record(id: try request.id()) else { throw AppError.notFound("no such claim") }
        let claim = record.claim
        let id = claim.id.uuidString.lowercased()
        let driver = record.driverID.uuidString.lowercased()
        let account = try await Identity(app: app).account(record.driverID)
        let fields = AdminHTML.fields([
            .init("Reference", field: "reference", "<code>\(claim.reference)</code>"),
            .init("Status", field: "status", AdminHTML.status(claim.status)),
            .init("Type", field: "type", text: claim.type),
            .init("Happened", field: "occurred_at", AdminFormat.time(claim.occurredAt)),
            .init("Where", field: "location", text: claim.location),
            .init("Policy", field: "policy_id", AdminHTML.idLink("/admin/policies/\(claim.policyId.uuidString.lowercased())", claim.policyId)),
            .init("Cover session", field: "session_id", claim.sessionId.map { AdminHTML.idLink("/admin/cover/sessions/\($0.uuidString.lowercased())", $0) }
                  ?? "<span class=\"muted\">none: covered by an hourly block</span>"),
            .init("Driver", field: "driver_id", AdminHTML.link("/admin/drivers/\(driver)", account?.email ?? driver)),
            .init("Reported", field: "created_at", AdminFormat.time(claim.createdAt)),
            .init("Claim id", field: "id", "<code>\(id)</code>"),
        ])
        let description = AdminHTML.section("What happened", "<pre data-field=\"description\">\(claim.description)</pre>")
        let parties = AdminHTML.section("Third parties", AdminHTML.table(["Name", "Registration", "Insurer", "Phone"], claim.thirdParties.map { party in
            ["\(party.name ?? "—")", "\(party.registration ?? "—")", "\(party.insurer ?? "—")", "\(party.phone.map { AdminFormat.masked($0) } ?? "—")"]
        }, empty: "None given."))
        let attachments = try await store.attachments(claimID: claim.id)
        let files = AdminHTML.section("Attachments", AdminHTML.table(["File", "Type", "Size", "SHA-256", "Added"], attachments.enumerated().map { index, file in
            [AdminHTML.link(Self.attachmentPath(claim.id, file.id), "File \(index + 1)"), "<code>\(file.contentType)</code>",
             "\(Self.size(file.sizeBytes))", "<code title=\"\(file.sha256)\">\(String(file.sha256.prefix(12)))…</code>", AdminFormat.time(file.createdAt)]
        }, empty: "No files yet.", numeric: [2])
            + "<p class=\"muted\"><span data-field=\"attachments\">\(claim.attachments)</span> of at most 20 files (50 MB) a claim takes.</p>")
        let history = try await Audit.historySection(of: [("claim", id)] + attachments.map { ("attachment", $0.id.uuidString.lowercased()) },
                                                     on: app.database)
        let handling = try await handling(claim, driverID: record.driverID, request: request)
        return .page(AdminView(title: "Claim \(claim.reference) · \(claim.type)",
                               body: AdminHTML.section("Claim", fields) + description + parties + files + handling + history,
                               crumbs: [("Claims", "/admin/claims"), ("Driver", "/admin/drivers/\(driver)")]))
    }

    /// An attachment's bytes with their type. Photos open in the browser; PDFs and HEIC photos
    /// download. The stored type was checked against the bytes on upload; the response may
    /// not run anything (a sandboxing CSP) nor be sniffed as something else.
    func attachment(_ request: AdminRequest) async throws -> AdminResponse {
        let claimID = try request.id(), attachmentID = try request.id("attachment")
        guard let file = try await store.attachmentBody(claimID: claimID, attachmentID: attachmentID) else {
            throw AppError.notFound("no such attachment")
        }
        let inline = file.contentType == "image/jpeg" || file.contentType == "image/png"
        let name = "claim-\(claimID.uuidString.lowercased().prefix(8))-\(attachmentID.uuidString.lowercased().prefix(8)).\(Self.fileExtension(file.contentType))"
        var response = HTTPResponse(status: .ok, contentType: file.contentType, body: Array(file.body))
        for (header, value) in AdminShell.securityHeaders where header != "content-security-policy" {
            response.headers.add(name: header, value: value)
        }
        response.headers.add(name: "content-security-policy", value: "default-src 'none'; sandbox")
        response.headers.add(name: "content-disposition", value: "\(inline ? "inline" : "attachment"); filename=\"\(name)\"")
        return .raw(response)
    }

    static func fileExtension(_ contentType: String) -> String {
        switch contentType {
        case "image/jpeg": "jpg"
        case "image/png": "png"
        case "image/heic": "heic"
        case "application/pdf": "pdf"
        default: "bin"
        }
    }

    static func size(_ bytes: Int) -> String {
        if bytes < 1024 { return "\(bytes) B" }
        if bytes < 1024 * 1024 { return String(format: "%.1f KB", Double(bytes) / 1024) }
        return String(format: "%.1f MB", Double(bytes) / (1024 * 1024))
    }

    static func path(_ id: UUID) -> String { "/admin/claims/\(id.uuidString.lowercased())" }
    static func attachmentPath(_ claimID: UUID, _ id: UUID) -> String { "\(path(claimID))/attachments/\(id.uuidString.lowercased())" }

    /// `CL-1A2B3C4D`, however it is typed (`cl-1a2b3c4d`, `CL1A2B3C4D`, with spaces).
    static func reference(_ query: AdminSearchQuery) -> String? {
        let compact = query.compact
        guard compact.hasPrefix("CL"), compact.count == 10, compact.dropFirst(2).allSatisfy(\.isHexDigit) else { return nil }
        return "CL-" + compact.dropFirst(2)
    }

    public func search(_ query: AdminSearchQuery) async throws -> [AdminSearchHit] {
        let reference = Self.reference(query)
        guard reference != nil || query.uuid != nil else { return [] }
        return try await store.matching(reference: reference, id: query.uuid).map { record in
            AdminSearchHit(type: "Claims", title: record.claim.reference,
                           facts: "\(record.claim.type) · \(record.claim.status) · \(AdminFormat.localText(record.claim.occurredAt, seconds: false))",
                           path: Self.path(record.claim.id))
        }
    }

    public func driver360(_ driverID: UUID, _ request: AdminRequest) async throws -> AdminDriverContribution {
        let claims = try await store.records(driverID: driverID, limit: 10)
        let more = ("All claims", "/admin/claims?driver=\(driverID.uuidString.lowercased())")
        let table = AdminHTML.table(["Reference", "Type", "Status", "Happened"], claims.map { record in
            [AdminHTML.link(Self.path(record.claim.id), record.claim.reference), "\(record.claim.type)", AdminHTML.status(record.claim.status),
             AdminFormat.time(record.claim.occurredAt)]
        }, empty: "No claims.")
        return AdminDriverContribution(panels: [AdminPanel(order: 80, AdminHTML.section("Claims", id: "claims", more: more, table))])
    }
}
