import Admin
import AdminUI
import AppKernel
import Foundation
import HTTPServer
@testable import Hourglass
import Identity
import TestSupport
import Testing

/// OPS.md: roles, deny by default, checked on the server for the GET of a page and again on the
/// POST. Every admin page of the process, for every role: a role without the page's permission
/// gets 403 for GET and POST alike; a role with it is let through (to a 200, or a 404 for a
/// made-up id, never a 403).
@Suite(.tags(.database)) struct AdminRoleTableTests {
    @Test func everyPageDeniesEveryRoleWithoutItsPermission() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let app = server.app
        let services = try Services.make(app.config, logger: app.logger, database: TestDatabase.pool, jobQueue: "roles-\(UUID().uuidString)")
        defer { Task { await services.stop() } }
        let modules = try installedModules(app, services: services)
        let admin = try #require(modules.compactMap { $0 as? AdminModule }.first)
        let pages = admin.pages.filter { $0.permission != nil }
        #expect(pages.count >= 10)

        var browsers: [StaffRole: StaffBrowser] = [:]
        for role in StaffRole.allCases { browsers[role] = try await StaffBrowser.signedIn(server, role: role) }
        var checked = 0
        for page in pages {
            guard let permission = page.permission else { continue }
            let path = page.path.replacingOccurrences(of: #"\{[a-z_]+\}"#, with: UUID().uuidString.lowercased(), options: .regularExpression)
            for role in StaffRole.allCases {
                let browser = try #require(browsers[role])
                let allowed = role.permissions.contains(permission)
                let response: TestResponse
                if page.method == .get {
                    response = try await browser.get(path)
                } else {
                    _ = try await browser.get("/admin/identity/sessions")  // a fresh CSRF token for this role's session
                    response = try await browser.post(path, [:])
                }
                if allowed {
                    if page.method == .get {
                        #expect(response.status != 403, "\(role.rawValue) may GET \(page.path) (\(permission))")
                        #expect(response.status < 500, "\(role.rawValue) GET \(path): \(response.status)")
                    }
                } else {
                    #expect(response.status == 403, "\(role.rawValue) must not \(page.method.rawValue) \(page.path) (\(permission)): got \(response.status)")
                }
                checked += 1
            }
        }
        #expect(checked == pages.count * StaffRole.allCases.count)
        // The staff pages are for admins alone.
        for role in StaffRole.allCases where role != .admin {
            #expect(try await browsers[role]!.get("/admin/identity/staff").status == 403, "\(role.rawValue) on the staff pages")
        }
        #expect(try await browsers[.admin]!.get("/admin/identity/staff").status == 200)
        // And admins see no driver, money or cover pages.
        #expect(try await browsers[.admin]!.get("/admin/drivers").status == 403)
        // Reconciliation: whoever reads money pages reads it; finance alone uploads and works it.
        for role in StaffRole.allCases {
            #expect(role.permissions.contains(.reconcile) == (role == .finance), "\(role.rawValue) and reconcile")
            let queue = try await browsers[role]!.get("/admin/reconciliation/exceptions")
            #expect(queue.status == (role.permissions.contains(.read) ? 200 : 403), "\(role.rawValue) on the exceptions queue")
        }
    }
}
