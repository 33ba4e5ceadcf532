public import AdminUI
import AppKernel
import Foundation

/// Publishing a rate table draft (OPS.md: publishing rates is four-eyes, with sudo): the
/// maker holds `pricing_draft`, the checker `pricing_publish` (finance), so pricing can never
/// approve its own publication. Approval adds a new version in force from the chosen instant.
extension RatingAdmin {
    public var actions: [AdminAction] { [publishRates] }

    var publishRates: AdminAction {
        AdminAction("publish_rates", title: "Publish a rate table", permission: .pricingDraft, approverPermission: .pricingPublish,
                    needsSudo: true, plan: { request in
            let id = try request.objectID()
            guard let draft = try await store.draft(id) else { throw AppError.notFound("no such rate table draft") }
            guard draft.state == .draft else { throw AppError.conflict("this draft was \(draft.state.rawValue) already") }
            if let revision = request.form["revision"], Int(revision) != draft.revision {
                throw AppError.conflict("the draft was saved again (revision \(draft.revision)) since you opened it: look at it again before publishing")
            }
            let start = try request.form["effective_from"].map { text -> Date in
                guard let instant = AdminFormat.parseLocal(text) else { throw AppError.invalid("the start is a date and time in UK time, such as 2027-01-01T00:00") }
                guard instant > request.now else { throw AppError.invalid("the start must be in the future (or leave it empty: from the approval)") }
                return instant
            }
            let (inEffect, published) = try await drafts.publishedInEffect(at: request.now, on: app.database)
            let problems = draft.contents.problems(comparedWith: published)
            guard problems.isEmpty else { throw AppError.invalid(problems.joined(separator: " ")) }
            let draftContents = draft.contents.storeContents(.init(version: 0, effectiveFrom: request.now, description: draft.description, createdAt: draft.updatedAt))
            let changes = published.map {
                Self.changes(from: $0.storeContents(.init(version: inEffect ?? 0, effectiveFrom: request.now, description: "", createdAt: request.now)),
                             to: draftContents, header: false)
            } ?? []
            guard published == nil || !changes.isEmpty else {
                throw AppError.invalid("this draft prices exactly like version \(inEffect ?? 0), the version in effect: there is nothing to publish")
            }
            let when = start.map { "from \(AdminFormat.localText($0))" } ?? "from the moment it is approved"
            var facts: [(String, String)] = [
                ("Draft", "\(draft.description) (revision \(draft.revision))"),
                ("In force", when),
                ("Compared with", inEffect.map { "version \($0), in effect now" } ?? "no version is in effect"),
                ("Changes", "\(changes.count)"),
            ]
            facts += changes.prefix(12).map { ("\($0.section): \($0.what.replacingOccurrences(of: "_", with: " "))", "\($0.old ?? "—") → \($0.new ?? "—")") }
            if changes.count > 12 { facts.append(("More", "\(changes.count - 12) more changes on the draft's page")) }
            for later in try await store.versionsStarting(after: start ?? request.now) {
                facts.append(("Overtakes", "version \(later.version), scheduled from \(AdminFormat.localText(later.effectiveFrom)), would never be in effect: "
                                           + "the newest version whose start has passed prices"))
            }
            return AdminActionPlan(
                objectType: "rate_draft", objectID: id.uuidString.lowercased(),
                effect: "Publish the draft “\(draft.description)” as a new rate table version, in force \(when); "
                    + "quotes made before then keep the version they were priced with.",
                facts: facts,
                parameters: .object(["draft_id": .string(id.uuidString.lowercased()), "revision": .integer(Int64(draft.revision)),
                                     "effective_from": start.map { .string(RFC3339.format($0)) } ?? .null]),
                fourEyes: "publishing rates is always four-eyes: finance approves",
                returnPath: Self.draftPath(id))
        }, execute: { execution in
            let id = try execution.uuid("draft_id")
            let start = try execution.optionalString("effective_from").map { text -> Date in
                guard let instant = RFC3339.parse(text) else { throw AppError.invalid("the stored start is not an instant") }
                return instant
            }
            let version = try await drafts.publish(id, revision: Int(try execution.integer("revision")), effectiveFrom: start,
                                                   at: execution.now, on: execution.transaction)
            return AdminActionOutcome("Published rate table version \(version), in force from \(AdminFormat.localText(start ?? execution.now)).",
                                      path: Self.versionPath(version))
        })
    }
}
