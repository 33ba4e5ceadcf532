import AdminUI
import AppKernel
import Audit
import Foundation
import HTTPServer

/// Drafting rate tables (permission `pricing_draft`): a draft starts as a copy of a version,
/// is edited whole, shown as a diff against the version in effect and priced with a what-if,
/// and is published by the `publish_rates` action (always four-eyes, approved by finance).
extension RatingAdmin {
    var drafts: RateDrafts { RateDrafts(app: app) }

    var draftPages: [AdminPage] {
        [
            .post("/admin/rating/drafts", .pricingDraft) { try await createDraft($0) },
            .get("/admin/rating/drafts/{id}", .read) { try await draftPage($0) },
            .get("/admin/rating/drafts/{id}/edit", .pricingDraft) { try await editPage($0) },
            .post("/admin/rating/drafts/{id}", .pricingDraft) { try await saveDraft($0) },
            .post("/admin/rating/drafts/{id}/discard", .pricingDraft) { try await discardDraft($0) },
            .get("/admin/rating/what-if", .read) { try await whatIf($0) },
        ]
    }

    static func draftPath(_ id: UUID) -> String { "/admin/rating/drafts/\(id.uuidString.lowercased())" }

    static func draftState(_ draft: RateDraft) -> HTML {
        switch draft.state {
        case .draft: AdminHTML.badge("draft: not in force", .warn)
        case .published: AdminHTML.badge("published", .good) + " " + AdminHTML.link(versionPath(draft.publishedVersion ?? 0), "as version \(draft.publishedVersion ?? 0)")
        case .discarded: AdminHTML.badge("discarded", .plain)
        }
    }

    /// The rate tables page's drafts, and the form that starts one from the version in effect.
    func draftsSection(_ request: AdminRequest, inEffect: Int?) async throws -> HTML {
        let rows = try await store.drafts(limit: 20)
        let table = AdminHTML.table(["Draft", "State", "Based on", "Revision", "Last saved"], rows.map { draft in
            [AdminHTML.link(Self.draftPath(draft.id), draft.description), Self.draftState(draft),
             AdminHTML.link(Self.versionPath(draft.basedOn), "version \(draft.basedOn)"), "\(draft.revision)",
             "\(draft.updatedByName), " + AdminFormat.time(draft.updatedAt)]
        }, empty: "No drafts.", numeric: [3])
        return AdminHTML.section("Drafts", id: "drafts", table + (inEffect.map { startDraftForm(request, from: $0) } ?? ""))
    }

    /// "Start a draft from version n", for staff who may draft.
    func startDraftForm(_ request: AdminRequest, from version: Int) -> HTML {
        guard request.staff.may(AdminPermission.pricingDraft.rawValue) else { return "" }
        return AdminHTML.actionForm(request, action: "/admin/rating/drafts", name: "draft_rates", fields: """
            <input type="hidden" name="from" value="\(version)">\
            <label>Description <input type="text" name="description" maxlength="200" required placeholder="What the new version changes"></label> \
            <label>Note <input type="text" name="note" maxlength="1000" placeholder="Why (for the audit trail)"></label> 
            """, submit: "Start a draft from version \(version)")
    }

    /// The note a draft change is audited with (what changed and why).
    static func note(_ request: AdminRequest, default text: String) throws -> String {
        let note = request.form["note"] ?? text
        guard note.count <= 1000 else { throw AppError.invalid("the note is longer than 1,000 characters") }
        return note
    }

    func createDraft(_ request: AdminRequest) async throws -> AdminResponse {
        guard let from = request.form["from"].flatMap(Int.init), from > 0, from <= Int(Int32.max) else {
            throw AppError.invalid("choose the version to start from")
        }
        guard let description = request.form["description"] else { throw AppError.invalid("describe what the new version changes") }
        let id = try await drafts.create(from: from, description: description, by: request.staff,
                                         reason: try Self.note(request, default: "new draft from version \(from)"), at: request.now)
        return .redirect(Self.draftPath(id) + "/edit")
    }

    func loadDraft(_ request: AdminRequest) async throws -> RateDraft {
        guard let draft = try await store.draft(try request.id()) else { throw AppError.notFound("no such rate table draft") }
        return draft
    }

    /// The draft against the version in effect: its state, the diff, a what-if, the forms, whole.
    func draftPage(_ request: AdminRequest) async throws -> AdminResponse {
        let draft = try await loadDraft(request)
        let (inEffect, published) = try await drafts.publishedInEffect(at: request.now, on: app.database)
        let header = AdminHTML.fields([
            .init("State", field: "state", Self.draftState(draft)),
            .init("Description", field: "description", text: draft.description),
            .init("Based on", AdminHTML.link(Self.versionPath(draft.basedOn), "version \(draft.basedOn)")),
            .init("Revision", field: "revision", text: String(draft.revision)),
            .init("Drafted", text: "\(draft.createdByName), \(AdminFormat.localText(draft.createdAt))"),
            .init("Last saved", text: "\(draft.updatedByName), \(AdminFormat.localText(draft.updatedAt))"),
        ])
        var body: HTML = AdminHTML.notice("A draft is not in force: no quote is priced with it until it is published as a new version "
                                          + "and its start has passed. Quotes already made keep the version they were priced with.")
        body += AdminHTML.section("Draft", id: "draft", header)
        let draftContents = draft.contents.storeContents(.init(version: 0, effectiveFrom: request.now, description: draft.description, createdAt: draft.updatedAt))
        if let inEffect, let published {
            let changes = Self.changes(from: published.storeContents(.init(version: inEffect, effectiveFrom: request.now, description: "", createdAt: request.now)),
                                       to: draftContents, header: false)
            let summary: HTML = AdminHTML.notice(changes.isEmpty
                ? "This draft prices exactly like version \(inEffect), the version in effect."
                : "\(changes.count) change\(changes.count == 1 ? "" : "s") from version \(inEffect), the version in effect.")
            body += "<div id=\"diff\" data-field=\"change_count\" data-count=\"\(changes.count)\">" + summary
                + Self.diffSections(changes, old: "Version \(inEffect) (in effect)", new: "This draft") + "</div>"
        }
        body += whatIfForm(request, a: inEffect.map(String.init) ?? "", b: draft.id.uuidString.lowercased(), driver: "", vehicle: "")
        if draft.state == .draft {
            var forms: HTML = ""
            if request.staff.may(AdminPermission.pricingDraft.rawValue) {
                forms += "<p>\(AdminHTML.link(Self.draftPath(draft.id) + "/edit", "Edit this draft")) </p>"
            }
            forms += AdminHTML.startForm(request, publishRates, object: draft.id.uuidString.lowercased(), fields: """
                <input type="hidden" name="revision" value="\(draft.revision)">\
                <label>In force from (UK time) <input type="datetime-local" name="effective_from"></label>\
                <p class="muted">Leave empty to put it in force the moment finance approves it.</p>
                """, submit: "Publish as a new version")
            if request.staff.may(AdminPermission.pricingDraft.rawValue) {
                forms += AdminHTML.actionForm(request, action: Self.draftPath(draft.id) + "/discard", name: "discard_rate_draft", fields: """
                    <label>Why <input type="text" name="note" maxlength="1000" required></label> 
                    """, submit: "Discard this draft", danger: true)
            }
            if !forms.text.isEmpty { body += AdminHTML.section("Actions", id: "actions", forms) }
        }
        body += Self.contents(draftContents)
        body += try await Audit.historySection(of: [("rate_draft", draft.id.uuidString.lowercased())], on: app.database)
        return .page(AdminView(title: "Rate table draft: \(draft.description)", body: body, crumbs: [("Rate tables", "/admin/rating")]))
    }

    // MARK: - Editing

    func editPage(_ request: AdminRequest) async throws -> AdminResponse {
        let draft = try await loadDraft(request)
        guard draft.state == .draft else { throw AppError.conflict("this draft was \(draft.state.rawValue) already: start a new one") }
        return .page(editView(request, draft: draft, description: draft.description, contents: nil, fields: nil, errors: []))
    }

    /// The whole table as a form: base rates in pounds, each factor's bands and the area bands
    /// as lines. After a refused save, what was typed comes back with what is wrong with it.
    func editView(_ request: AdminRequest, draft: RateDraft, description: String, contents: RateTableContents?, fields: FormFields?,
                  errors: [String]) -> AdminView {
        let shown = contents ?? draft.contents
        func typed(_ name: String, _ fallback: String) -> String { fields.map { $0.pairs.first { $0.name == name }?.value ?? "" } ?? fallback }
        let base = RateTableContents.vehicleTypes.map { type -> HTML in
            let value = typed("base.\(type)", shown.baseRates[type].map { AdminFormat.money($0).replacingOccurrences(of: "£", with: "") } ?? "")
            return "<label>\(type.replacingOccurrences(of: "_", with: " ")) (£ per hour) <input type=\"text\" name=\"base.\(type)\" inputmode=\"decimal\" value=\"\(value)\"></label>"
        }
        let factors = RateTableContents.factorNames.map { name -> HTML in
            let hint = RateTableContents.numericFactors.contains(name) ? "band, from, to, multiplier: 25-29 25 29 1.15" : "band, multiplier: ride_hail 1.45"
            return "<label>\(Self.factorTitle(name)) <span class=\"muted\">(\(hint))</span><textarea name=\"factor.\(name)\" rows=\"7\">\(typed("factor.\(name)", shown.factorText(name)))</textarea></label>"
        }
        let problems: HTML = errors.isEmpty ? "" : "<div class=\"notice bad\" role=\"alert\" id=\"problems\"><p>This draft was not saved:</p><ul>"
            + HTML(stringLiteral: errors.map { "<li>\(HTML.escape($0))</li>" }.joined()) + "</ul></div>"
        let form: HTML = """
            <form method="post" action="\(Self.draftPath(draft.id))" data-action="save_rate_draft" class="action stack">\
            <input type="hidden" name="csrf" value="\(request.staff.csrfToken)"><input type="hidden" name="revision" value="\(draft.revision)">\
            <label>Description <input type="text" name="description" maxlength="200" required value="\(description)"></label>\
            <fieldset><legend>Base rates (gross, IPT included)</legend>\(base)</fieldset>\
            <fieldset><legend>Factors (multipliers: 1.00 leaves the rate as it is)</legend>\(factors)</fieldset>\
            <label>Area bands <span class="muted">(postcode area or district, band: E1 F)</span><textarea name="area_bands" rows="10">\(typed("area_bands", shown.areaBandText))</textarea></label>\
            <label>What changed and why <input type="text" name="note" maxlength="1000" required value="\(fields?["note"] ?? "")"></label>\
            <button type="submit">Save draft</button> <a href="\(Self.draftPath(draft.id))">Cancel</a></form>
            """
        return AdminView(title: "Edit draft: \(draft.description)", body: problems + AdminHTML.section("Rate table draft, revision \(draft.revision)", form),
                         crumbs: [("Rate tables", "/admin/rating"), (draft.description, Self.draftPath(draft.id))],
                         status: errors.isEmpty ? .ok : .unprocessableContent)
    }

    func saveDraft(_ request: AdminRequest) async throws -> AdminResponse {
        let draft = try await loadDraft(request)
        guard draft.state == .draft else { throw AppError.conflict("this draft was \(draft.state.rawValue) already: start a new one") }
        guard let revision = request.form["revision"].flatMap(Int.init) else { throw AppError.invalid("this form has no revision") }
        let description = request.form["description"] ?? ""
        let (contents, errors) = RateTableContents.parse { request.form[$0] }
        var problems = errors
        if description.isEmpty || description.count > 200 { problems.append("The description has 1 to 200 characters.") }
        if request.form["note"] == nil { problems.append("Say what changed and why (the note).") }
        if problems.isEmpty {
            let published = try await drafts.publishedInEffect(at: request.now, on: app.database).contents
            problems = contents.problems(comparedWith: published)
        }
        guard problems.isEmpty else {
            return .page(editView(request, draft: draft, description: description, contents: contents, fields: request.form, errors: problems))
        }
        try await drafts.save(draft.id, revision: revision, description: description, contents: contents, by: request.staff,
                              reason: try Self.note(request, default: ""), at: request.now)
        return .redirect(Self.draftPath(draft.id))
    }

    func discardDraft(_ request: AdminRequest) async throws -> AdminResponse {
        let draft = try await loadDraft(request)
        guard let note = request.form["note"] else { throw AppError.invalid("say why you are discarding it") }
        try await drafts.discard(draft.id, by: request.staff, reason: try Self.note(request, default: note), at: request.now)
        return .redirect(Self.draftPath(draft.id))
    }
}
