public import AdminUI
public import AppKernel
import Foundation
import HTTPServer

/// The shell's own pages: ops home (what is happening now, and the queues someone should
/// look at), the search every page's box submits to, and the stylesheet.
struct AdminAdmin: AdminSection {
    let app: AppContext
    let sections: [any AdminSection]

    var actions: [AdminAction] { [addNote] }

    var navigation: [AdminNavItem] {
        [AdminNavItem("Ops home", "/admin/", group: "Ops", permission: .signedIn),
         AdminNavItem("Approvals", "/admin/approvals", group: "Ops", permission: .signedIn)]
    }

    func homeItems(for staff: StaffCaller) async throws -> [AdminHomeItem] {
        let waiting = try await AdminStore(database: app.database).pendingCount(cap: 1000)
        return [AdminHomeItem("Approvals waiting", waiting, path: "/admin/approvals", kind: .queue, wantsAttention: true)]
    }

    var pages: [AdminPage] {
        [
            .get("/admin", .signedIn) { _ in .redirect("/admin/") },
            .get("/admin/", .signedIn) { try await home($0) },
            .get("/admin/search", .read) { try await search($0) },
            .get("/admin/drivers/{id}", .read) { try await driver360($0) },
            AdminPage(.get, "/admin/static/admin.css", .signedOut) { _ in
                var response = HTTPResponse(status: .ok, contentType: "text/css; charset=utf-8", body: Array(AdminStyles.css.utf8))
                response.headers.add(name: "cache-control", value: "public, max-age=300")
                response.headers.add(name: "x-content-type-options", value: "nosniff")
                return .raw(response)
            },
            AdminPage(.get, "/admin/static/favicon.svg", .signedOut) { _ in
                var response = HTTPResponse(status: .ok, contentType: "image/svg+xml", body: Array(AdminStyles.favicon.utf8))
                response.headers.add(name: "cache-control", value: "public, max-age=86400")
                return .raw(response)
            },
        ]
    }

    func home(_ request: AdminRequest) async throws -> AdminResponse {
        var items = try await homeItems(for: request.staff)
        for section in sections { items += try await section.homeItems(for: request.staff) }
        func grid(_ kind: AdminHomeItem.Kind) -> HTML {
            let cards = items.filter { $0.kind == kind }.map { item -> HTML in
                let attention: HTML = item.wantsAttention && item.count > 0 ? " attention" : ""
                return "<a class=\"count\(attention)\" href=\"\(item.path)\" data-field=\"\(Self.slug(item.label))\"><strong>\(item.count)</strong>\(item.label)</a>"
            }
            return cards.isEmpty ? "<p class=\"muted\">Nothing for your role here.</p>" : "<div class=\"counts\">\(cards)</div>"
        }
        let body: HTML = AdminHTML.section("Right now", grid(.now)) + AdminHTML.section("Queues", grid(.queue))
            + "<p class=\"muted\">As of \(AdminFormat.time(request.now)). Reload for fresh numbers.</p>"
        return .page(AdminView(title: "Ops home", body: body))
    }

    /// Driver 360: the header from the drivers module, badges and facts and sections from every
    /// module that has something about this driver, gathered side by side.
    func driver360(_ request: AdminRequest) async throws -> AdminResponse {
        let id = try request.id()
        let parts = try await withThrowingTaskGroup(of: (Int, AdminDriverContribution).self) { group in
            for (index, section) in sections.enumerated() {
                group.addTask { (index, try await section.driver360(id, request)) }
            }
            var parts: [(Int, AdminDriverContribution)] = []
            for try await part in group { parts.append(part) }
            return parts.sorted { $0.0 < $1.0 }.map(\.1)
        }
        guard let title = parts.compactMap(\.title).first else { throw AppError.notFound("no driver \(id.uuidString.lowercased())") }
        let badges = parts.flatMap(\.badges)
        let facts = parts.flatMap(\.facts)
        let panels = (parts.flatMap(\.panels) + [try await notesPanel(id, request)]).sorted { $0.order < $1.order }
        let header: HTML = "<section class=\"card\" id=\"summary\">"
            + (badges.isEmpty ? "" : "<div class=\"badges\">\(badges)</div>") + AdminHTML.fields(facts) + "</section>"
        let grid = HTML(stringLiteral: panels.map { panel in panel.wide ? "<div class=\"wide\">\(panel.body.text)</div>" : panel.body.text }.joined())
        return .page(AdminView(title: title, body: header + "<div class=\"grid\">\(grid)</div>", crumbs: [("Drivers", "/admin/drivers")],
                               banner: parts.compactMap(\.banner).first))
    }

    static func slug(_ label: String) -> String {
        String(label.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }

    /// One exact match goes straight to its page; otherwise matches grouped by type.
    func search(_ request: AdminRequest) async throws -> AdminResponse {
        let text = request.query["q"] ?? ""
        guard !text.isEmpty else {
            return .page(AdminView(title: "Search", body: "<p>Type an id, a policy number, a claim reference, a PSP payment or refund id, an email, a phone number, a registration, a licence number, a provider's driver id or event id.</p>"))
        }
        let query = AdminSearchQuery(text)
        var hits: [AdminSearchHit] = []
        for section in sections { hits += try await section.search(query) }
        if hits.count == 1 { return .redirect(hits[0].path) }
        var groups: [(String, [AdminSearchHit])] = []
        for hit in hits {
            if let index = groups.firstIndex(where: { $0.0 == hit.type }) { groups[index].1.append(hit) } else { groups.append((hit.type, [hit])) }
        }
        let body: HTML = groups.isEmpty
            ? "<p class=\"notice warn\">Nothing matches “\(text)” exactly. Check for typos; emails, registrations and references must be whole.</p>"
            : HTML(stringLiteral: groups.map { type, hits -> String in
                let rows = hits.map { hit -> [HTML] in [AdminHTML.link(hit.path, hit.title), "\(hit.facts)"] }
                return AdminHTML.section(type, AdminHTML.table(["Match", "Key facts"], rows)).text
            }.joined())
        return .page(AdminView(title: "Search: \(text)", body: body))
    }
}
