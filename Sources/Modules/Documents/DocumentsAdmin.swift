public import AdminUI
import AppKernel
import Audit
public import Foundation
import HTTPServer

/// Stored documents in the admin: one document (kind, revision, when it was issued, format,
/// size and hash, its other revisions and formats) and the stored bytes exactly as issued;
/// search by document id; driver 360's Documents (the driver's statements; a certificate's
/// subject is its policy, which this module does not know the driver of, so certificates are
/// reached from the policy's page).
public struct DocumentsAdmin: AdminSection {
    let app: AppContext
    var store: DocumentsStore { DocumentsStore(database: app.database) }

    public var pages: [AdminPage] {
        [
            .get("/admin/documents/{id}", .read) { try await show($0) },
            .get("/admin/documents/{id}/content", .read) { try await content($0) },
        ]
    }

    func show(_ request: AdminRequest) async throws -> AdminResponse {
        guard let document = try await store.document(id: try request.id()) else { throw AppError.notFound("no such document") }
        let id = document.id.uuidString.lowercased()
        let subject = document.subjectID.uuidString.lowercased()
        let subjectLink: HTML = document.kind == "certificate"
            ? "the policy " + AdminHTML.idLink("/admin/policies/\(subject)", document.subjectID)
            : "the driver " + AdminHTML.idLink("/admin/drivers/\(subject)", document.subjectID)
        let fields = AdminHTML.fields([
            .init("Kind", field: "kind", text: document.kind),
            .init("Revision", field: "revision", text: String(document.revision)),
            .init("Issued", field: "created_at", AdminFormat.time(document.createdAt)),
            .init("Period", field: "period", document.period.isEmpty ? "<span class=\"muted\">—</span>" : "<code>\(document.period)</code>"),
            .init("Format", field: "content_type", "<code>\(document.contentType)</code>"),
            .init("Size", field: "size_bytes", text: "\(document.sizeBytes) bytes"),
            .init("SHA-256", field: "sha256", "<code>\(document.sha256)</code>"),
            .init("Of", field: "subject_id", subjectLink),
            .init("Stored document", AdminHTML.link(Self.contentPath(document.id), Self.opens(document.contentType) ? "View it as issued" : "Download it as issued")),
        ])
        let versions = try await store.versions(of: document)
        let newest = versions.map(\.revision).max() ?? document.revision
        let table = AdminHTML.table(["Document", "Revision", "Format", "Issued", ""], versions.map { version in
            [AdminHTML.idLink(Self.path(version.id), version.id), "\(version.revision)", "<code>\(version.contentType)</code>",
             AdminFormat.time(version.createdAt),
             version.id == document.id ? AdminHTML.badge("this one", .info) : version.revision == newest ? AdminHTML.badge("served now", .good) : ""]
        }, numeric: [1])
        let note: HTML = document.revision < newest
            ? AdminHTML.notice("A later revision replaces this one: the driver is served revision \(newest).", .warn) : ""
        let history = try await Audit.historySection(of: [("document", id)], on: app.database)
        return .page(AdminView(title: "\(document.kind.capitalized) · revision \(document.revision)",
                               body: note + AdminHTML.section("Document", fields) + AdminHTML.section("Every revision and format", table) + history))
    }

    /// The bytes exactly as issued, with their type. HTML and JSON open in the browser (in a
    /// sandbox: nothing in them can run); a PDF downloads.
    func content(_ request: AdminRequest) async throws -> AdminResponse {
        let id = try request.id()
        guard let document = try await store.body(id: id) else { throw AppError.notFound("no such document") }
        let disposition = Self.opens(document.contentType) ? "inline" : "attachment"
        let name = "document-\(id.uuidString.lowercased().prefix(8)).\(Self.fileExtension(document.contentType))"
        var response = HTTPResponse(status: .ok, contentType: document.contentType, body: Array(document.body))
        for (header, value) in AdminShell.securityHeaders where header != "content-security-policy" {
            response.headers.add(name: header, value: value)
        }
        response.headers.add(name: "content-security-policy", value: "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox")
        response.headers.add(name: "content-disposition", value: "\(disposition); filename=\"\(name)\"")
        return .raw(response)
    }

    static func opens(_ contentType: String) -> Bool { contentType.hasPrefix("text/html") || contentType.hasPrefix("application/json") }

    static func fileExtension(_ contentType: String) -> String {
        if contentType.hasPrefix("text/html") { return "html" }
        if contentType.hasPrefix("application/json") { return "json" }
        if contentType.hasPrefix("application/pdf") { return "pdf" }
        return "bin"
    }

    static func path(_ id: UUID) -> String { "/admin/documents/\(id.uuidString.lowercased())" }
    static func contentPath(_ id: UUID) -> String { "\(path(id))/content" }

    public func search(_ query: AdminSearchQuery) async throws -> [AdminSearchHit] {
        guard let id = query.uuid, let document = try await store.document(id: id) else { return [] }
        return [AdminSearchHit(type: "Documents", title: "\(document.kind) revision \(document.revision)",
                               facts: "\(document.contentType) · issued \(AdminFormat.localText(document.createdAt, seconds: false))", path: Self.path(id))]
    }

    public func driver360(_ driverID: UUID, _ request: AdminRequest) async throws -> AdminDriverContribution {
        let documents = try await store.documents(subjectID: driverID, limit: 10)
        let table = AdminHTML.table(["Document", "Kind", "Period", "Format", "Issued"], documents.map { document in
            [AdminHTML.idLink(Self.path(document.id), document.id), "\(document.kind)", "\(document.period)", "<code>\(document.contentType)</code>",
             AdminFormat.time(document.createdAt)]
        }, empty: "No statements issued yet.")
        let note: HTML = "<p class=\"muted\">Certificates belong to their policy: open them from the policy's page.</p>"
        return AdminDriverContribution(panels: [AdminPanel(order: 90, AdminHTML.section("Documents", id: "documents", table + note))])
    }
}
