public import AdminUI
public import AppKernel
import Audit
import FeatureFlags
import Foundation
import HTTPServer
import Postgres

/// `/admin/ops-health`: the readiness checks as the load balancer sees them, the database
/// pool, and maintenance mode with its switch (sudo; audited; every process within 5 s).
public struct OpsHealthAdmin: AdminSection {
    let app: AppContext
    let flags: FeatureFlags

    public var navigation: [AdminNavItem] { [AdminNavItem("Health and maintenance", "/admin/ops-health", group: "Platform", permission: .maintenance)] }

    public var pages: [AdminPage] {
        [
            .get("/admin/ops-health", .maintenance) { try await page($0, notice: nil) },
            .post("/admin/ops-health/maintenance", .maintenance, needsSudo: true) { try await switchMaintenance($0) },
        ]
    }

    func page(_ request: AdminRequest, notice: HTML?) async throws -> AdminResponse {
        let health = await HealthCheck(app: app).response()
        let report = String(decoding: health.body, as: UTF8.self)
        let pool = app.database.statistics
        let on = await flags.bool(OpsHealthFlags.maintenanceMode)
        let change = await flags.lastChange(OpsHealthFlags.maintenanceMode.key)
        let state: HTML = on ? AdminHTML.badge("maintenance on: the driver API answers 503", .bad) : AdminHTML.badge("serving normally", .good)
        let since: HTML = change.map { " since \(AdminFormat.time($0.at)) (\($0.by))" } ?? ""
        let form: HTML = AdminMount.inSudo(request.staff, now: request.now)
            ? AdminHTML.actionForm(request, action: "/admin/ops-health/maintenance", name: "maintenance",
                                   fields: "<input type=\"hidden\" name=\"value\" value=\"\(on ? "false" : "true")\"><label>Reason <input type=\"text\" name=\"note\" required></label> ",
                                   submit: on ? "Switch maintenance off" : "Switch maintenance on", danger: !on)
            : "<p><a href=\"/admin/sudo?next=/admin/ops-health\">Confirm your code</a> to switch maintenance mode.</p>"
        let body = (notice ?? "")
            + AdminHTML.section("Maintenance mode", "<p data-field=\"maintenance_mode\">\(state)\(since)</p>" + form)
            + AdminHTML.section("Readiness (GET /health)", AdminHTML.fields([
                .init("HTTP status", text: String(health.status.code)), .init("Report", "<code>\(report)</code>"),
            ]))
            + AdminHTML.section("Database pool", AdminHTML.fields([
                .init("Open", text: String(pool.open)), .init("Idle", text: String(pool.idle)), .init("Waiting", text: String(pool.waiting)),
                .init("Nested acquisitions", text: String(pool.nestedAcquisitions)),
            ]))
        return .page(AdminView(title: "Health and maintenance", body: body))
    }

    func switchMaintenance(_ request: AdminRequest) async throws -> AdminResponse {
        guard let reason = request.form["note"] else { throw AppError.invalid("say why") }
        let on = request.form["value"] == "true"
        try await flags.set(OpsHealthFlags.maintenanceMode.key, to: .bool(on), reason: reason)
        return try await page(request, notice: AdminHTML.notice(on ? "Maintenance mode is on. Every process answers 503 within 5 seconds."
                                                                   : "Maintenance mode is off.", on ? .warn : .good))
    }
}
