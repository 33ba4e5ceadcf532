public import AppKernel
public import Foundation
public import HTTPServer

/// The chrome around every page: the top bar with the search box and who is signed in, the
/// navigation by module (only what the role may open), the sandbox strip, breadcrumbs.
public struct AdminShell: Sendable {
    public let navigation: [AdminNavItem]
    public let sandbox: Bool

    public init(navigation: [AdminNavItem], sandbox: Bool) {
        self.navigation = navigation
        self.sandbox = sandbox
    }

    /// OPS.md's headers, on every admin answer.
    public static let securityHeaders: [(String, String)] = [
        ("content-security-policy", "default-src 'self'; script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "same-origin"),
        ("cache-control", "no-store"),
        ("x-frame-options", "DENY"),
    ]

    public func render(_ view: AdminView, staff: StaffCaller?) -> HTTPResponse {
        let crumbs: HTML = view.crumbs.isEmpty ? "" : "<nav class=\"crumbs\" aria-label=\"Breadcrumbs\">\(view.crumbs.map { crumb -> HTML in "<a href=\"\(crumb.1)\">\(crumb.0)</a> › " })<span>\(view.title)</span></nav>"
        let sandboxStrip: HTML = sandbox ? "<div class=\"env\">Sandbox: test data, sandbox card processor and test clocks</div>" : ""
        let top: HTML
        let side: HTML
        if let staff, !view.bare, staff.verifiedAt != nil {
            top = """
                <header class="top"><a class="brand" href="/admin/">Hourglass ops</a>\
                <form class="search" method="get" action="/admin/search" role="search">\
                <input type="search" name="q" placeholder="Id, policy number, claim ref, email, phone, registration, licence…" aria-label="Search everything" required>\
                <button type="submit">Search</button></form>\
                <div class="who"><span title="\(staff.email)">\(staff.name)</span> <span class="role">\(staff.role.replacingOccurrences(of: "_", with: " "))</span> \
                <a href="/admin/identity/sessions">Sessions</a>\
                <form method="post" action="/admin/logout" data-action="logout"><input type="hidden" name="csrf" value="\(staff.csrfToken)"><button type="submit" class="link">Sign out</button></form></div></header>
                """
            side = "<nav class=\"side\" aria-label=\"Modules\">\(navigationHTML(for: staff))</nav>"
        } else {
            top = "<header class=\"top\"><span class=\"brand\">Hourglass ops</span></header>"
            side = ""
        }
        let banner = view.banner ?? ""
        let document: HTML = """
            <!doctype html><html lang="en-GB"><head><meta charset="utf-8">\
            <meta name="viewport" content="width=device-width, initial-scale=1">\
            <title>\(view.title) · Hourglass ops</title><link rel="icon" href="/admin/static/favicon.svg" type="image/svg+xml">\
            <link rel="stylesheet" href="/admin/static/admin.css"></head>\
            <body>\(top)\(sandboxStrip)<div class="frame\(view.bare ? " bare" : "")">\(side)<main>\(crumbs)\(banner)<h1>\(view.title)</h1>\(view.body)</main></div></body></html>
            """
        var response = HTTPResponse(status: view.status, contentType: "text/html; charset=utf-8", body: Array(document.text.utf8))
        for (name, value) in Self.securityHeaders + view.headers { response.headers.add(name: name, value: value) }
        return response
    }

    func navigationHTML(for staff: StaffCaller) -> HTML {
        var groups: [(String, [AdminNavItem])] = []
        for item in navigation where staff.may(item.permission.rawValue) {
            if let index = groups.firstIndex(where: { $0.0 == item.group }) { groups[index].1.append(item) } else { groups.append((item.group, [item])) }
        }
        return HTML(stringLiteral: groups.map { group, items -> String in
            let links = items.map { item -> HTML in "<li><a href=\"\(item.path)\">\(item.title)</a></li>" }
            return HTML("<h3>\(group)</h3><ul>\(links)</ul>").text
        }.joined())
    }

    /// A redirect (303 See Other: after a POST the browser GETs the new place).
    public static func redirect(_ location: String, headers: [(String, String)] = []) -> HTTPResponse {
        var response = HTTPResponse(status: .seeOther, contentType: "text/html; charset=utf-8",
                                    body: Array(HTML("<a href=\"\(location)\">Continue</a>").text.utf8))
        response.headers.add(name: "location", value: location)
        for (name, value) in securityHeaders + headers { response.headers.add(name: name, value: value) }
        return response
    }

    /// An error as a page: a missing session goes to the login page (keeping where it was going).
    public func errorPage(_ error: AppError, path: String, staff: StaffCaller?) -> HTTPResponse {
        if error.status == .unauthorized {
            let next = path.hasPrefix("/admin/login") || path == "/admin/logout" ? "/admin/" : path
            return Self.redirect("/admin/login?next=\(AdminHTML.percentEncode(next))")
        }
        let title: String = switch error.status.code {
        case 403: "Not allowed"
        case 404: "Not found"
        case 409: "Conflict"
        case 400, 422: "Check the form"
        case 503: "Unavailable"
        default: "Something went wrong"
        }
        let hint: HTML = error.status.code == 403
            ? "<p>Your role does not include this. Ask an admin if your work needs it.</p>"
            : error.status.code >= 500 ? "<p>Quote the request id to engineering.</p>" : ""
        let view = AdminView(title: title, body: "<p class=\"notice bad\">\(error.detail)</p>\(hint)<p><a href=\"/admin/\">Back to ops home</a></p>",
                             status: error.status, bare: staff == nil)
        return render(view, staff: staff)
    }
}
