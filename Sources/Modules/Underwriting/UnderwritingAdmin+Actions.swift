public import AdminUI
import AppKernel
import Foundation

/// Publishing an underwriting rules draft (OPS.md: publishing rules is four-eyes, with sudo):
/// the maker holds `pricing_draft`, the checker `pricing_publish` (finance). Approval adds a
/// new rule set in force from the chosen instant.
extension UnderwritingAdmin {
    public var actions: [AdminAction] { [publishRules] }

    var publishRules: AdminAction {
        AdminAction("publish_rules", title: "Publish underwriting rules", permission: .pricingDraft, approverPermission: .pricingPublish,
                    needsSudo: true, plan: { request in
            let id = try request.objectID()
            guard let draft = try await store.draft(id) else { throw AppError.notFound("no such rule set draft") }
            guard draft.state == .draft else { throw AppError.conflict("this draft was \(draft.state.rawValue) already") }
            if let revision = request.form["revision"], Int(revision) != draft.revision {
                throw AppError.conflict("the draft was saved again (revision \(draft.revision)) since you opened it: look at it again before publishing")
            }
            let start = try request.form["effective_from"].map { text -> Date in
                guard let instant = AdminFormat.parseLocal(text) else { throw AppError.invalid("the start is a date and time in UK time, such as 2027-01-01T00:00") }
                guard instant > request.now else { throw AppError.invalid("the start must be in the future (or leave it empty: from the approval)") }
                return instant
            }
            let problems = draft.rules.problems
            guard problems.isEmpty else { throw AppError.invalid(problems.joined(separator: " ")) }
            let (inEffect, published) = try await drafts.publishedInEffect(at: request.now, on: app.database)
            let changes = try published.map { try RuleDrafts.changes(from: $0, to: draft.rules) } ?? []
            guard published == nil || !changes.isEmpty else {
                throw AppError.invalid("this draft applies exactly the rules of rule set \(inEffect ?? 0), the rule set in effect: there is nothing to publish")
            }
            let when = start.map { "from \(AdminFormat.localText($0))" } ?? "from the moment it is approved"
            var facts: [(String, String)] = [
                ("Draft", "\(draft.description) (revision \(draft.revision))"),
                ("In force", when),
                ("Compared with", inEffect.map { "rule set \($0), in effect now" } ?? "no rule set is in effect"),
                ("Changes", "\(changes.count)"),
            ]
            facts += changes.map { ("Rule \($0.key)", "\($0.old) → \($0.new)") }
            for later in try await store.ruleSetsStarting(after: start ?? request.now) {
                facts.append(("Overtakes", "rule set \(later.version), scheduled from \(AdminFormat.localText(later.effectiveFrom)), would never be in effect: "
                                           + "the newest rule set whose start has passed applies"))
            }
            return AdminActionPlan(
                objectType: "rule_draft", objectID: id.uuidString.lowercased(),
                effect: "Publish the draft “\(draft.description)” as a new underwriting rule set, in force \(when); "
                    + "quotes made before then keep the rules they were underwritten with.",
                facts: facts,
                parameters: .object(["draft_id": .string(id.uuidString.lowercased()), "revision": .integer(Int64(draft.revision)),
                                     "effective_from": start.map { .string(RFC3339.format($0)) } ?? .null]),
                fourEyes: "publishing underwriting rules is always four-eyes: finance approves",
                returnPath: Self.draftPath(id))
        }, execute: { execution in
            let id = try execution.uuid("draft_id")
            let start = try execution.optionalString("effective_from").map { text -> Date in
                guard let instant = RFC3339.parse(text) else { throw AppError.invalid("the stored start is not an instant") }
                return instant
            }
            let version = try await drafts.publish(id, revision: Int(try execution.integer("revision")), effectiveFrom: start,
                                                   at: execution.now, on: execution.transaction)
            return AdminActionOutcome("Published underwriting rule set \(version), in force from \(AdminFormat.localText(start ?? execution.now)).",
                                      path: "/admin/underwriting/\(version)")
        })
    }
}
