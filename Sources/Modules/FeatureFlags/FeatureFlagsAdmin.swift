public import AdminUI
public import AppKernel
import Audit
import Foundation
import HTTPServer

/// `/admin/feature_flags`: every declared flag and setting, its value in force, who changed it
/// last, and a form to change it (a reason, a fresh TOTP code; audited with before and after).
public struct FeatureFlagsAdmin: AdminSection {
    let flags: FeatureFlags
    /// Keys changed from another page (maintenance mode: the health page), shown here read-only.
    static let elsewhere: [String: String] = ["maintenance_mode": "/admin/ops-health"]

    public var navigation: [AdminNavItem] { [AdminNavItem("Flags and settings", "/admin/feature_flags", group: "Platform", permission: .flags)] }

    public var pages: [AdminPage] {
        [
            .get("/admin/feature_flags", .flags) { try await list($0, notice: nil) },
            .post("/admin/feature_flags/{key}", .flags, needsSudo: true) { try await change($0) },
        ]
    }

    func list(_ request: AdminRequest, notice: HTML?) async throws -> AdminResponse {
        var rows: [[HTML]] = []
        let inSudo = AdminMount.inSudo(request.staff, now: request.now)
        for definition in flags.definitions.values.sorted(by: { ($0.owner, $0.key) < ($1.owner, $1.key) }) {
            let value = await flags.value(definition)
            let change = await flags.lastChange(definition.key)
            let changed: HTML = change.map { "\(AdminFormat.time($0.at)) by \($0.by)" } ?? "<span class=\"muted\">default</span>"
            let control: HTML
            if let page = Self.elsewhere[definition.key] {
                control = AdminHTML.link(page, "Change on its page")
            } else if definition.fourEyes {
                control = AdminHTML.startForm(request, changeAction(for: definition), object: definition.key, fields: inputs(definition, value), submit: "Change")
            } else if inSudo {
                control = form(request, definition, value)
            } else {
                control = "<a href=\"/admin/sudo?next=/admin/feature_flags\">Confirm your code to change</a>"
            }
            rows.append(["<code>\(definition.key)</code><br><span class=\"muted\">\(definition.description)</span>", "\(definition.owner)",
                         "<span data-field=\"\(definition.key)\">\(Self.describe(value, definition))</span>", changed, control])
        }
        let body = (notice ?? "") + AdminHTML.section("Flags and settings", AdminHTML.table(["Key", "Module", "In force", "Last change", "Change"], rows))
            + "<p class=\"muted\">Every process picks up a change within 5 seconds.</p>"
        return .page(AdminView(title: "Flags and settings", body: body))
    }

    static func describe(_ value: JSONValue, _ definition: FlagDefinition) -> String {
        switch definition.kind {
        case .flag:
            switch FlagTargeting(value) {
            case .all: return "on for every driver"
            case .off: return "off"
            case .percentage(let share): return "on for \(share)% of drivers (stable per driver)"
            case .drivers(let ids): return "on for \(ids.count) listed driver\(ids.count == 1 ? "" : "s")"
            }
        case .integer:
            if case .integer(let number) = value { return definition.key.hasSuffix("_amount") ? AdminFormat.money(number) : String(number) }
            return "—"
        case .boolean:
            return value == .bool(true) ? "on" : "off"
        }
    }

    func form(_ request: AdminRequest, _ definition: FlagDefinition, _ value: JSONValue) -> HTML {
        AdminHTML.actionForm(request, action: "/admin/feature_flags/\(definition.key)", name: "change_flag",
                             fields: inputs(definition, value) + "<label>Reason <input type=\"text\" name=\"note\" required></label> ", submit: "Save")
    }

    /// The value's inputs, filled with the value in force.
    func inputs(_ definition: FlagDefinition, _ value: JSONValue) -> HTML {
        let fields: HTML
        switch definition.kind {
        case .flag:
            let targeting = FlagTargeting(value)
            let modes = ["all", "off", "percentage", "drivers"].map { mode -> HTML in
                let selected: HTML = "\(targeting.json)".contains("\"\(mode)\"") ? " selected" : ""
                return "<option value=\"\(mode)\"\(selected)>\(mode)</option>"
            }
            let share: Int = if case .percentage(let value) = targeting { value } else { 0 }
            let drivers: String = if case .drivers(let ids) = targeting { ids.map { $0.uuidString.lowercased() }.sorted().joined(separator: " ") } else { "" }
            fields = "<label>For <select name=\"mode\">\(modes)</select></label> <label>% <input type=\"number\" name=\"percentage\" min=\"0\" max=\"100\" value=\"\(share)\"></label> <label>Driver ids <input type=\"text\" name=\"drivers\" value=\"\(drivers)\"></label> "
        case .integer(_, let range):
            let current: Int64 = if case .integer(let number) = value { number } else { 0 }
            fields = "<label>Value <input type=\"number\" name=\"value\" min=\"\(range.lowerBound)\" max=\"\(range.upperBound)\" value=\"\(current)\" required></label> "
        case .boolean:
            fields = "<label>Value <select name=\"value\"><option value=\"true\"\(value == .bool(true) ? " selected" : "")>on</option><option value=\"false\"\(value == .bool(true) ? "" : " selected")>off</option></select></label> "
        }
        return fields
    }

    func change(_ request: AdminRequest) async throws -> AdminResponse {
        let key = try request.parameter("key")
        guard let definition = flags.definitions[key], Self.elsewhere[key] == nil else { throw AppError.notFound("no flag or setting \(key) to change here") }
        guard !definition.fourEyes else { throw AppError(status: .forbidden, slug: "four-eyes", detail: "\(key) changes only with another person's approval") }
        guard let reason = request.form["note"] else { throw AppError.invalid("say why you are changing it") }
        try await flags.set(key, to: try Self.value(request.form, for: definition), reason: reason)
        return try await list(request, notice: AdminHTML.notice("Saved \(key). Every process uses it within 5 seconds.", .good))
    }

    /// The value a change form asks for.
    static func value(_ form: FormFields, for definition: FlagDefinition) throws -> JSONValue {
        let value: JSONValue
        switch definition.kind {
        case .flag:
            let mode = form["mode"] ?? "off"
            var members: [String: JSONValue] = ["mode": .string(mode)]
            if mode == "percentage" { members["percentage"] = .integer(Int64(form["percentage"] ?? "") ?? -1) }
            if mode == "drivers" {
                members["drivers"] = .array((form["drivers"] ?? "").split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\n" })
                    .map { .string(String($0).lowercased()) })
            }
            value = .object(members)
        case .integer:
            guard let number = Int64(form["value"] ?? "") else { throw AppError.invalid("a whole number is needed") }
            value = .integer(number)
        case .boolean:
            value = .bool(form["value"] == "true")
        }
        return try FeatureFlags.normalized(value, for: definition)
    }
}
