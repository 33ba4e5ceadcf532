public import AdminUI
public import AppKernel
import Audit
public import Foundation
import HTTPServer
import Postgres

/// Underwriting in the admin: the rule sets (which one applies now) and each rule in words,
/// with the decline reason code a driver gets when they break it.
public struct UnderwritingAdmin: AdminSection {
    let app: AppContext
    var store: UnderwritingStore { UnderwritingStore(database: app.database) }

    public var navigation: [AdminNavItem] { [AdminNavItem("Underwriting rules", "/admin/underwriting", group: "Pricing")] }

    public var pages: [AdminPage] {
        [
            .get("/admin/underwriting", .read) { try await list($0) },
        ] + draftPages + [
            .get("/admin/underwriting/{version}", .read) { try await show($0) },
        ]
    }

    func list(_ request: AdminRequest) async throws -> AdminResponse {
        let before = try request.query["cursor"].map { text -> Int in
            guard let version = Int(text), version > 0, version <= Int(Int32.max) else { throw AppError.invalid("cursor must be a version number") }
            return version
        }
        let limit = 20
        let rows = try await store.ruleSets(before: before, limit: limit + 1)
        let shown = Array(rows.prefix(limit))
        let rules = try await store.rules(versions: shown.map(\.version))
        let inEffect = try await store.versionInEffect(at: request.now)
        let note = AdminHTML.notice("Underwriting runs at quote time with the newest rule set whose start has passed. "
                                    + "A decline lists every rule broken; the driver gets the reasons in the 422 answer. "
                                    + "A published rule set never changes: pricing drafts a new one, finance approves its publication.")
        let sections = shown.map { ruleSet in
            Self.ruleSetSection(ruleSet, rules: rules.filter { $0.version == ruleSet.version }, inEffect: inEffect, now: request.now, linked: true)
        }
        let body = note + (try await draftsSection(request, inEffect: inEffect)) + (sections.isEmpty ? AdminHTML.notice("No rule sets: quoting is unavailable.", .bad) : HTML(stringLiteral: sections.map(\.text).joined()))
        return .page(AdminView(title: "Underwriting rules",
                               body: body + AdminHTML.pager(request, next: rows.count > limit ? shown.last.map { String($0.version) } : nil)))
    }

    func show(_ request: AdminRequest) async throws -> AdminResponse {
        guard let version = Int(try request.parameter("version")), version > 0, version <= Int(Int32.max),
              let ruleSet = try await store.ruleSet(version: version)
        else { throw AppError.notFound("no such rule set") }
        let rules = try await store.rules(versions: [version])
        let inEffect = try await store.versionInEffect(at: request.now)
        let history = try await Audit.historySection(of: [("rule_set", String(version))], on: app.database)
        return .page(AdminView(title: "Underwriting rule set \(version)",
                               body: Self.ruleSetSection(ruleSet, rules: rules, inEffect: inEffect, now: request.now, linked: false)
                                   + startDraftForm(request, from: version) + history,
                               crumbs: [("Underwriting rules", "/admin/underwriting")]))
    }

    static func ruleSetSection(_ ruleSet: UnderwritingStore.RuleSetRow, rules: [UnderwritingStore.RuleRow], inEffect: Int?, now: Date,
                               linked: Bool) -> HTML {
        let state: HTML = ruleSet.version == inEffect ? AdminHTML.badge("in effect", .good)
            : ruleSet.effectiveFrom > now ? AdminHTML.badge("scheduled", .warn) : AdminHTML.badge("superseded", .plain)
        let facts = AdminHTML.fields([
            .init("Version", text: String(ruleSet.version)), .init("State", state),
            .init("Effective from", AdminFormat.time(ruleSet.effectiveFrom)), .init("Description", text: ruleSet.description),
        ])
        let table = rulesTable(rules)
        let title = "Rule set \(ruleSet.version)"
        return AdminHTML.section(title, id: "v\(ruleSet.version)", more: linked ? ("Open", "/admin/underwriting/\(ruleSet.version)") : nil, facts + table)
    }

    /// Each rule in words, with the decline reason a driver breaking it gets and its stored value.
    static func rulesTable(_ rules: [UnderwritingStore.RuleRow]) -> HTML {
        AdminHTML.table(["Rule", "In words", "Decline reason", "Stored value"], rules.map { rule in
            let words = Self.words(rule.key, rule.value)
            return ["<code>\(rule.key)</code>", "\(words.text)", words.code.map { "<code>\($0)</code>" as HTML } ?? "—", "<code>\(rule.value.text)</code>"]
        }, empty: "This rule set has no rules.")
    }

    /// A rule in plain words, and the decline reason code a driver breaking it gets.
    static func words(_ key: String, _ value: PostgresJSON) -> (text: String, code: String?) {
        let json = try? value.decode(JSONValue.self)
        func integer(_ value: JSONValue?) -> Int64? {
            switch value {
            case .integer(let number)?: number
            case .number(let number)? where number.rounded() == number: Int64(number)
            default: nil
            }
        }
        func strings(_ value: JSONValue?) -> [String]? {
            guard case .array(let items)? = value else { return nil }
            let texts = items.compactMap { item -> String? in if case .string(let text) = item { text } else { nil } }
            return texts.count == items.count ? texts : nil
        }
        func perType(_ value: JSONValue?, _ show: (Int64) -> String) -> String? {
            guard case .object(let members)? = value else { return nil }
            let parts = members.keys.sorted().compactMap { type in integer(members[type]).map { "\(type.replacingOccurrences(of: "_", with: " ")) \(show($0))" } }
            return parts.count == members.count ? parts.joined(separator: ", ") : nil
        }
        let unreadable = "(not a value underwriting can read: quotes will be refused until it is fixed)"
        switch key {
        case "min_age":
            return (integer(json).map { "Drivers must be at least \($0) years old on the day cover starts." } ?? unreadable, "too_young")
        case "max_age":
            return (integer(json).map { "Drivers must be at most \($0) years old on the day cover starts." } ?? unreadable, "too_old")
        case "min_licence_years":
            return (integer(json).map { "The licence must have been held for at least \($0) whole year\($0 == 1 ? "" : "s")." } ?? unreadable,
                    "licence_too_recent")
        case "refused_licence_types":
            return (strings(json).map { $0.isEmpty ? "Every licence type is accepted." : "No cover for \($0.joined(separator: ", ")) licence holders." } ?? unreadable,
                    "licence_type_refused")
        case "max_vehicle_age_years":
            return (perType(json) { "\($0) years" }.map { "Vehicles no older than: \($0). Other types have no age limit." } ?? unreadable, "vehicle_too_old")
        case "max_vehicle_value_amount":
            return (perType(json) { AdminFormat.money($0) }.map { "Vehicles worth no more than: \($0). Other types have no value limit." } ?? unreadable,
                    "vehicle_value_too_high")
        case "excluded_postcode_areas":
            return (strings(json).map { $0.isEmpty ? "No postcode area is excluded." : "No cover in the postcode areas \($0.joined(separator: ", "))." } ?? unreadable,
                    "area_excluded")
        default:
            return ("A rule this version of Hourglass does not know.", nil)
        }
    }
}
