public import AdminUI
public import AppKernel
import Audit
public import Foundation
import HTTPServer

/// Rate tables in the admin: the versions (which one prices quotes now), one version whole
/// (base rates, factors, area bands) and what changed between any two versions.
public struct RatingAdmin: AdminSection {
    let app: AppContext
    var store: RatingStore { RatingStore(database: app.database) }

    public var navigation: [AdminNavItem] { [AdminNavItem("Rate tables", "/admin/rating", group: "Pricing")] }

    public var pages: [AdminPage] {
        [
            .get("/admin/rating", .read) { try await list($0) },
            .get("/admin/rating/diff", .read) { try await diff($0) },
        ] + draftPages + [
            .get("/admin/rating/{version}", .read) { try await show($0) },
        ]
    }

    /// `×1.15` for 11500 basis points (10000 = ×1.00), as many decimals as it needs.
    public static func multiplier(_ basisPoints: Int64) -> String {
        let whole = basisPoints / 10_000, fraction = basisPoints % 10_000
        var decimals = String(format: "%04d", Int(fraction))
        while decimals.count > 2, decimals.hasSuffix("0") { decimals.removeLast() }
        return "×\(whole).\(decimals)"
    }

    static func versionPath(_ version: Int) -> String { "/admin/rating/\(version)" }

    /// In effect, scheduled (its start is ahead) or superseded (a later version took over).
    static func state(of version: RatingStore.VersionRow, inEffect: Int?, now: Date) -> HTML {
        if version.version == inEffect { return AdminHTML.badge("in effect", .good) }
        if version.effectiveFrom > now { return AdminHTML.badge("scheduled", .warn) }
        return AdminHTML.badge("superseded", .plain)
    }

    func list(_ request: AdminRequest) async throws -> AdminResponse {
        let before = try request.query["cursor"].map { text -> Int in
            guard let version = Int(text) else { throw AppError.invalid("cursor must be a version number") }
            return version
        }
        let limit = 50
        let rows = try await store.versions(before: before, limit: limit + 1)
        let shown = Array(rows.prefix(limit))
        let inEffect = try await store.versionInEffect(at: request.now)
        let table = AdminHTML.table(["Version", "State", "Effective from", "Description", "Loaded", ""], shown.map { version in
            [AdminHTML.link(Self.versionPath(version.version), "Version \(version.version)"), Self.state(of: version, inEffect: inEffect, now: request.now),
             AdminFormat.time(version.effectiveFrom), "\(version.description)", AdminFormat.time(version.createdAt),
             version.version > 1 ? AdminHTML.link("/admin/rating/diff?from=\(version.version - 1)&to=\(version.version)", "changes from \(version.version - 1)") : ""]
        }, empty: "No rate tables: pricing is unavailable.")
        let compare: HTML = """
            <form class="filters" method="get" action="/admin/rating/diff"><label>From version <input type="number" name="from" min="1" required></label>\
            <label>To version <input type="number" name="to" min="1" required></label><button type="submit">Compare</button></form>
            """
        let note = AdminHTML.notice("Quotes are priced with the newest version whose start has passed, and keep that version for good. "
                                    + "A published version never changes: pricing drafts a new one, finance approves its publication.")
        let drafts = try await draftsSection(request, inEffect: inEffect)
        return .page(AdminView(title: "Rate tables", body: note + drafts + AdminHTML.section("Versions", table) + AdminHTML.section("Compare two versions", compare)
                               + AdminHTML.pager(request, next: rows.count > limit ? shown.last.map { String($0.version) } : nil)))
    }

    func show(_ request: AdminRequest) async throws -> AdminResponse {
        guard let version = Int(try request.parameter("version")), version > 0, version <= Int(Int32.max),
              let table = try await store.contents(version: version)
        else { throw AppError.notFound("no such rate table version") }
        let inEffect = try await store.versionInEffect(at: request.now)
        let header = AdminHTML.fields([
            .init("Version", field: "rating_version", text: String(version)),
            .init("State", Self.state(of: table.version, inEffect: inEffect, now: request.now)),
            .init("Effective from", AdminFormat.time(table.version.effectiveFrom)),
            .init("Description", text: table.version.description),
            .init("Loaded", AdminFormat.time(table.version.createdAt)),
            .init("Compare", version > 1 ? AdminHTML.link("/admin/rating/diff?from=\(version - 1)&to=\(version)", "changes from version \(version - 1)")
                                         : "<span class=\"muted\">the first version</span>"),
        ])
        let how = AdminHTML.notice("An hourly rate is the base rate for the vehicle type multiplied by one band of each factor, "
                                   + "rounded half up to whole pence once (never below 1p). Prices include IPT.")
        let history = try await Audit.historySection(of: [("rate_table", String(version))], on: app.database)
        let start = startDraftForm(request, from: version)
        return .page(AdminView(title: "Rate table version \(version)",
                               body: how + AdminHTML.section("Version", header) + start + Self.contents(table) + history,
                               crumbs: [("Rate tables", "/admin/rating")]))
    }

    static func contents(_ table: RatingStore.Contents) -> HTML {
        let base = AdminHTML.table(["Vehicle type", "Base rate per hour"], table.baseRates.map { rate in
            ["\(rate.vehicleType.replacingOccurrences(of: "_", with: " "))", "\(AdminFormat.money(rate.amount))"]
        }, empty: "No base rates.", numeric: [1])
        let groups = Dictionary(grouping: table.factors, by: \.factor)
        let factorSections = groups.keys.sorted { factorOrder($0) < factorOrder($1) }.map { name -> HTML in
            "<h3>\(factorTitle(name))</h3>" + AdminHTML.table(["Band", "Applies to", "Multiplier"], (groups[name] ?? []).map { factor in
                ["\(factor.band)", "\(bounds(factor))", "\(multiplier(factor.multiplierBP))"]
            }, numeric: [2])
        }
        let bands = Dictionary(grouping: table.areaBands, by: \.band)
        let areas = AdminHTML.table(["Area band", "Postcode districts and areas"], bands.keys.sorted(by: >).map { band in
            ["\(band)", "\((bands[band] ?? []).map(\.prefix).sorted().joined(separator: ", "))"]
        }, empty: "No area bands: every postcode is band C.")
        return AdminHTML.section("Base rates", id: "base-rates", base)
            + AdminHTML.section("Factors", id: "factors", HTML(stringLiteral: factorSections.map(\.text).joined()))
            + AdminHTML.section("Area bands", id: "area-bands",
                                AdminHTML.notice("A district's own entry wins (E17), then its parent district (SW1A → SW1), then its area (SW19 → SW); anything else is band C.")
                                    + areas)
    }

    static func factorOrder(_ name: String) -> Int {
        ["age", "licence_years", "area_band", "usage", "claims"].firstIndex(of: name) ?? 99
    }

    static func factorTitle(_ name: String) -> String {
        switch name {
        case "age": "Age (years, on the day cover starts)"
        case "licence_years": "Licence held (whole years)"
        case "area_band": "Area band"
        case "usage": "Usage"
        case "claims": "Declared claims"
        default: name.replacingOccurrences(of: "_", with: " ")
        }
    }

    static func bounds(_ factor: RatingStore.FactorRow) -> String {
        switch (factor.lower, factor.upper) {
        case (nil, nil) where factor.factor == "area_band": "postcodes in band \(factor.band)"
        case (nil, nil): factor.band.replacingOccurrences(of: "_", with: " ")
        case (let lower?, let upper?) where lower == upper: "exactly \(lower)"
        case (let lower?, let upper?): "\(lower) to \(upper)"
        case (let lower?, nil): "\(lower) or more"
        case (nil, let upper?): "up to \(upper)"
        }
    }

    // MARK: Diff

    /// One line of a diff: what, before, after (nil: absent on that side).
    struct Change {
        let section: String
        let what: String
        let old: String?
        let new: String?
    }

    /// What differs between two tables; `header`: their start and description too.
    static func changes(from old: RatingStore.Contents, to new: RatingStore.Contents, header: Bool = true) -> [Change] {
        var changes: [Change] = []
        func compare(_ section: String, _ before: [String: String], _ after: [String: String], order: (String, String) -> Bool = (<)) {
            for key in Set(before.keys).union(after.keys).sorted(by: order) where before[key] != after[key] {
                changes.append(Change(section: section, what: key, old: before[key], new: after[key]))
            }
        }
        if header { compare("Version", ["Effective from": AdminFormat.localText(old.version.effectiveFrom), "Description": old.version.description],
                ["Effective from": AdminFormat.localText(new.version.effectiveFrom), "Description": new.version.description]) }
        compare("Base rates", Dictionary(old.baseRates.map { ($0.vehicleType, AdminFormat.money($0.amount)) }, uniquingKeysWith: { first, _ in first }),
                Dictionary(new.baseRates.map { ($0.vehicleType, AdminFormat.money($0.amount)) }, uniquingKeysWith: { first, _ in first }))
        func factorMap(_ rows: [RatingStore.FactorRow]) -> [String: String] {
            Dictionary(rows.map { ("\(factorTitle($0.factor)): \($0.band)", "\(multiplier($0.multiplierBP)) (\(bounds($0)))") },
                       uniquingKeysWith: { first, _ in first })
        }
        compare("Factors", factorMap(old.factors), factorMap(new.factors))
        compare("Area bands", Dictionary(old.areaBands.map { ($0.prefix, "band \($0.band)") }, uniquingKeysWith: { first, _ in first }),
                Dictionary(new.areaBands.map { ($0.prefix, "band \($0.band)") }, uniquingKeysWith: { first, _ in first }))
        return changes
    }

    /// A diff's changes, one table per section: added, removed or changed, old and new side by side.
    static func diffSections(_ changes: [Change], old: String, new: String) -> HTML {
        var body: HTML = ""
        for section in ["Version", "Base rates", "Factors", "Area bands"] {
            let rows = changes.filter { $0.section == section }
            guard !rows.isEmpty else { continue }
            body += AdminHTML.section(section, AdminHTML.table(["What", "Change", old, new], rows.map { change in
                let kind: HTML = change.old == nil ? AdminHTML.badge("added", .good) : change.new == nil ? AdminHTML.badge("removed", .bad) : AdminHTML.badge("changed", .warn)
                return ["\(change.what.replacingOccurrences(of: "_", with: " "))", kind,
                        "<span data-diff=\"old\">\(change.old ?? "—")</span>", "<span data-diff=\"new\">\(change.new ?? "—")</span>"]
            }))
        }
        return body
    }

    func diff(_ request: AdminRequest) async throws -> AdminResponse {
        guard let fromText = request.query["from"], let toText = request.query["to"],
              let from = Int(fromText), let to = Int(toText), (1...Int(Int32.max)).contains(from), (1...Int(Int32.max)).contains(to)
        else { throw AppError.invalid("compare two versions: /admin/rating/diff?from=1&to=2") }
        guard let old = try await store.contents(version: from) else { throw AppError.notFound("no rate table version \(from)") }
        guard let new = try await store.contents(version: to) else { throw AppError.notFound("no rate table version \(to)") }
        let changes = Self.changes(from: old, to: new)
        var body: HTML = AdminHTML.notice(changes.isEmpty
            ? "Versions \(from) and \(to) price exactly alike."
            : "\(changes.count) change\(changes.count == 1 ? "" : "s") from version \(from) to version \(to).")
        body += Self.diffSections(changes, old: "Version \(from)", new: "Version \(to)")
        body += whatIfForm(request, a: String(from), b: String(to), driver: "", vehicle: "")
        body += "<p>\(AdminHTML.link(Self.versionPath(from), "Version \(from) whole")) · \(AdminHTML.link(Self.versionPath(to), "Version \(to) whole"))</p>"
        return .page(AdminView(title: "Rate tables: version \(from) → \(to)", body: body, crumbs: [("Rate tables", "/admin/rating")]))
    }
}
