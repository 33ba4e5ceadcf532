import AdminUI
import AppKernel
import Audit
import Foundation
import HTTPServer
import Postgres

/// Drafting underwriting rules (permission `pricing_draft`): a draft starts as a copy of a rule
/// set, is edited whole, shown as a diff against the rule set in effect, and is published by
/// the `publish_rules` action (always four-eyes, approved by finance).
extension UnderwritingAdmin {
    var drafts: RuleDrafts { RuleDrafts(app: app) }

    var draftPages: [AdminPage] {
        [
            .post("/admin/underwriting/drafts", .pricingDraft) { try await createDraft($0) },
            .get("/admin/underwriting/drafts/{id}", .read) { try await draftPage($0) },
            .get("/admin/underwriting/drafts/{id}/edit", .pricingDraft) { try await editPage($0) },
            .post("/admin/underwriting/drafts/{id}", .pricingDraft) { try await saveDraft($0) },
            .post("/admin/underwriting/drafts/{id}/discard", .pricingDraft) { try await discardDraft($0) },
        ]
    }

    static func draftPath(_ id: UUID) -> String { "/admin/underwriting/drafts/\(id.uuidString.lowercased())" }

    static func draftState(_ draft: RuleDraft) -> HTML {
        switch draft.state {
        case .draft: AdminHTML.badge("draft: not in force", .warn)
        case .published: AdminHTML.badge("published", .good) + " "
            + AdminHTML.link("/admin/underwriting/\(draft.publishedVersion ?? 0)", "as rule set \(draft.publishedVersion ?? 0)")
        case .discarded: AdminHTML.badge("discarded", .plain)
        }
    }

    func draftsSection(_ request: AdminRequest, inEffect: Int?) async throws -> HTML {
        let rows = try await store.drafts(limit: 20)
        let table = AdminHTML.table(["Draft", "State", "Based on", "Revision", "Last saved"], rows.map { draft in
            [AdminHTML.link(Self.draftPath(draft.id), draft.description), Self.draftState(draft),
             AdminHTML.link("/admin/underwriting/\(draft.basedOn)", "rule set \(draft.basedOn)"), "\(draft.revision)",
             "\(draft.updatedByName), " + AdminFormat.time(draft.updatedAt)]
        }, empty: "No drafts.", numeric: [3])
        return AdminHTML.section("Drafts", id: "drafts", table + (inEffect.map { startDraftForm(request, from: $0) } ?? ""))
    }

    func startDraftForm(_ request: AdminRequest, from version: Int) -> HTML {
        guard request.staff.may(AdminPermission.pricingDraft.rawValue) else { return "" }
        return AdminHTML.actionForm(request, action: "/admin/underwriting/drafts", name: "draft_rules", fields: """
            <input type="hidden" name="from" value="\(version)">\
            <label>Description <input type="text" name="description" maxlength="200" required placeholder="What the new rules change"></label> \
            <label>Note <input type="text" name="note" maxlength="1000" placeholder="Why (for the audit trail)"></label> 
            """, submit: "Start a draft from rule set \(version)")
    }

    func createDraft(_ request: AdminRequest) async throws -> AdminResponse {
        guard let from = request.form["from"].flatMap(Int.init), from > 0, from <= Int(Int32.max) else {
            throw AppError.invalid("choose the rule set to start from")
        }
        guard let description = request.form["description"] else { throw AppError.invalid("describe what the new rules change") }
        let note = request.form["note"] ?? "new draft from rule set \(from)"
        guard note.count <= 1000 else { throw AppError.invalid("the note is longer than 1,000 characters") }
        let id = try await drafts.create(from: from, description: description, by: request.staff, reason: note, at: request.now)
        return .redirect(Self.draftPath(id) + "/edit")
    }

    func loadDraft(_ request: AdminRequest) async throws -> RuleDraft {
        guard let draft = try await store.draft(try request.id()) else { throw AppError.notFound("no such rule set draft") }
        return draft
    }

    static func rows(_ rules: UnderwritingRules, version: Int) throws -> [UnderwritingStore.RuleRow] {
        try rules.rows().map { UnderwritingStore.RuleRow(version: version, key: $0.key, value: $0.value) }
    }

    func draftPage(_ request: AdminRequest) async throws -> AdminResponse {
        let draft = try await loadDraft(request)
        let (inEffect, published) = try await drafts.publishedInEffect(at: request.now, on: app.database)
        let header = AdminHTML.fields([
            .init("State", field: "state", Self.draftState(draft)),
            .init("Description", field: "description", text: draft.description),
            .init("Based on", AdminHTML.link("/admin/underwriting/\(draft.basedOn)", "rule set \(draft.basedOn)")),
            .init("Revision", field: "revision", text: String(draft.revision)),
            .init("Drafted", text: "\(draft.createdByName), \(AdminFormat.localText(draft.createdAt))"),
            .init("Last saved", text: "\(draft.updatedByName), \(AdminFormat.localText(draft.updatedAt))"),
        ])
        var body: HTML = AdminHTML.notice("A draft is not in force: no quote is underwritten with it until it is published as a new rule set "
                                          + "and its start has passed.")
        body += AdminHTML.section("Draft", id: "draft", header)
        if let inEffect, let published {
            let changes = try RuleDrafts.changes(from: published, to: draft.rules)
            let summary = AdminHTML.notice(changes.isEmpty ? "This draft applies exactly the rules of rule set \(inEffect), the rule set in effect."
                                                           : "\(changes.count) change\(changes.count == 1 ? "" : "s") from rule set \(inEffect), the rule set in effect.")
            let table = AdminHTML.table(["Rule", "Rule set \(inEffect) (in effect)", "This draft"], changes.map { change in
                ["<code>\(change.key)</code>", "<span data-diff=\"old\">\(change.old)</span>", "<span data-diff=\"new\">\(change.new)</span>"]
            }, empty: "No changes.")
            body += "<div id=\"diff\" data-field=\"change_count\" data-count=\"\(changes.count)\">" + summary + AdminHTML.section("Changes", table) + "</div>"
        }
        if draft.state == .draft {
            var forms: HTML = ""
            if request.staff.may(AdminPermission.pricingDraft.rawValue) {
                forms += "<p>\(AdminHTML.link(Self.draftPath(draft.id) + "/edit", "Edit this draft")) </p>"
            }
            forms += AdminHTML.startForm(request, publishRules, object: draft.id.uuidString.lowercased(), fields: """
                <input type="hidden" name="revision" value="\(draft.revision)">\
                <label>In force from (UK time) <input type="datetime-local" name="effective_from"></label>\
                <p class="muted">Leave empty to put it in force the moment finance approves it.</p>
                """, submit: "Publish as a new rule set")
            if request.staff.may(AdminPermission.pricingDraft.rawValue) {
                forms += AdminHTML.actionForm(request, action: Self.draftPath(draft.id) + "/discard", name: "discard_rule_draft", fields: """
                    <label>Why <input type="text" name="note" maxlength="1000" required></label> 
                    """, submit: "Discard this draft", danger: true)
            }
            if !forms.text.isEmpty { body += AdminHTML.section("Actions", id: "actions", forms) }
        }
        body += AdminHTML.section("The draft's rules", id: "rules", Self.rulesTable(try Self.rows(draft.rules, version: 0)))
        body += try await Audit.historySection(of: [("rule_draft", draft.id.uuidString.lowercased())], on: app.database)
        return .page(AdminView(title: "Rule set draft: \(draft.description)", body: body, crumbs: [("Underwriting rules", "/admin/underwriting")]))
    }

    // MARK: - Editing

    func editPage(_ request: AdminRequest) async throws -> AdminResponse {
        let draft = try await loadDraft(request)
        guard draft.state == .draft else { throw AppError.conflict("this draft was \(draft.state.rawValue) already: start a new one") }
        return .page(editView(request, draft: draft, fields: nil, errors: []))
    }

    func editView(_ request: AdminRequest, draft: RuleDraft, fields: FormFields?, errors: [String]) -> AdminView {
        let rules = draft.rules
        func typed(_ name: String, _ fallback: String) -> String { fields.map { $0.pairs.first { $0.name == name }?.value ?? "" } ?? fallback }
        func number(_ name: String, _ label: String, _ value: Int) -> HTML {
            "<label>\(label) <input type=\"number\" name=\"\(name)\" value=\"\(typed(name, String(value)))\" required></label>"
        }
        let perType = UnderwritingRules.vehicleTypes.map { type -> HTML in
            let name = type.replacingOccurrences(of: "_", with: " ")
            let age = typed("max_vehicle_age_years.\(type)", rules.maxVehicleAgeYears[type].map(String.init) ?? "")
            let value = typed("max_vehicle_value_amount.\(type)", rules.maxVehicleValueAmount[type].map { AdminFormat.money($0).replacingOccurrences(of: "£", with: "").replacingOccurrences(of: ",", with: "") } ?? "")
            return "<tr><td>\(name)</td><td><input type=\"number\" name=\"max_vehicle_age_years.\(type)\" min=\"0\" max=\"100\" value=\"\(age)\" aria-label=\"\(name) age limit\"></td>"
                + "<td><input type=\"text\" inputmode=\"decimal\" name=\"max_vehicle_value_amount.\(type)\" value=\"\(value)\" aria-label=\"\(name) value limit\"></td></tr>"
        }
        let problems: HTML = errors.isEmpty ? "" : "<div class=\"notice bad\" role=\"alert\" id=\"problems\"><p>This draft was not saved:</p><ul>"
            + HTML(stringLiteral: errors.map { "<li>\(HTML.escape($0))</li>" }.joined()) + "</ul></div>"
        let form: HTML = """
            <form method="post" action="\(Self.draftPath(draft.id))" data-action="save_rule_draft" class="action stack">\
            <input type="hidden" name="csrf" value="\(request.staff.csrfToken)"><input type="hidden" name="revision" value="\(draft.revision)">\
            <label>Description <input type="text" name="description" maxlength="200" required value="\(typed("description", draft.description))"></label>\
            \(number("min_age", "Minimum age (years, on the day cover starts)", rules.minAge))\
            \(number("max_age", "Maximum age", rules.maxAge))\
            \(number("min_licence_years", "Licence held at least (whole years)", rules.minLicenceYears))\
            <label>Refused licence types <span class="muted">(\(UnderwritingRules.licenceTypes.joined(separator: ", ")))</span> \
            <input type="text" name="refused_licence_types" value="\(typed("refused_licence_types", rules.refusedLicenceTypes.joined(separator: " ")))"></label>\
            <fieldset><legend>Vehicle limits (empty: no limit)</legend><table class="list"><thead><tr><th>Type</th><th>Age up to (years)</th><th>Value up to (£)</th></tr></thead>\
            <tbody>\(perType)</tbody></table></fieldset>\
            <label>Excluded postcode areas <span class="muted">(letters, such as BT GY)</span> \
            <input type="text" name="excluded_postcode_areas" value="\(typed("excluded_postcode_areas", rules.excludedPostcodeAreas.joined(separator: " ")))"></label>\
            <label>What changed and why <input type="text" name="note" maxlength="1000" required value="\(fields?["note"] ?? "")"></label>\
            <button type="submit">Save draft</button> <a href="\(Self.draftPath(draft.id))">Cancel</a></form>
            """
        return AdminView(title: "Edit draft: \(draft.description)", body: problems + AdminHTML.section("Rule set draft, revision \(draft.revision)", form),
                         crumbs: [("Underwriting rules", "/admin/underwriting"), (draft.description, Self.draftPath(draft.id))],
                         status: errors.isEmpty ? .ok : .unprocessableContent)
    }

    func saveDraft(_ request: AdminRequest) async throws -> AdminResponse {
        let draft = try await loadDraft(request)
        guard draft.state == .draft else { throw AppError.conflict("this draft was \(draft.state.rawValue) already: start a new one") }
        guard let revision = request.form["revision"].flatMap(Int.init) else { throw AppError.invalid("this form has no revision") }
        let description = request.form["description"] ?? ""
        let (rules, errors) = UnderwritingRules.parse { request.form[$0] }
        var problems = errors
        if description.isEmpty || description.count > 200 { problems.append("The description has 1 to 200 characters.") }
        if request.form["note"] == nil { problems.append("Say what changed and why (the note).") }
        if (request.form["note"]?.count ?? 0) > 1000 { problems.append("The note is longer than 1,000 characters.") }
        if problems.isEmpty { problems = rules.problems }
        guard problems.isEmpty else { return .page(editView(request, draft: draft, fields: request.form, errors: problems)) }
        try await drafts.save(draft.id, revision: revision, description: description, rules: rules, by: request.staff,
                              reason: request.form["note"] ?? "", at: request.now)
        return .redirect(Self.draftPath(draft.id))
    }

    func discardDraft(_ request: AdminRequest) async throws -> AdminResponse {
        let draft = try await loadDraft(request)
        guard let note = request.form["note"], note.count <= 1000 else { throw AppError.invalid("say why you are discarding it (up to 1,000 characters)") }
        try await drafts.discard(draft.id, by: request.staff, reason: note, at: request.now)
        return .redirect(Self.draftPath(draft.id))
    }
}
