import AdminUI
import AppKernel
import Audit
import Foundation
import Postgres

/// Drafting and publishing underwriting rules, as rating does with rate tables: a draft is a
/// whole rule set no quote is underwritten with; publishing it (four-eyes, finance approves)
/// adds a new version in force from an instant. Each change is audited once.
struct RuleDrafts: Sendable {
    let app: AppContext

    static func auditObject(_ id: UUID) -> AuditObject { AuditObject("rule_draft", id.uuidString.lowercased()) }

    static func snapshot(_ draft: RuleDraft) throws -> JSONValue {
        .object(["description": .string(draft.description), "revision": .integer(Int64(draft.revision)),
                 "state": .string(draft.state.rawValue), "rules": try Audit.snapshot(draft.rules)])
    }

    /// The rule set in effect at `instant`, and its rules.
    func publishedInEffect(at instant: Date, on database: any PostgresQueryable) async throws -> (version: Int?, rules: UnderwritingRules?) {
        let store = UnderwritingStore(database: database)
        guard let version = try await store.versionInEffect(at: instant) else { return (nil, nil) }
        return (version, try await store.rules(version: version))
    }

    /// What differs, rule by rule, in words (the rule, before, after).
    static func changes(from old: UnderwritingRules, to new: UnderwritingRules) throws -> [(key: String, old: String, new: String)] {
        let before = Dictionary(uniqueKeysWithValues: try old.rows().map { ($0.key, $0.value) })
        return try new.rows().compactMap { row in
            guard let previous = before[row.key], try previous.decode(JSONValue.self) != row.value.decode(JSONValue.self) else { return nil }
            return (row.key, UnderwritingAdmin.words(row.key, previous).text, UnderwritingAdmin.words(row.key, row.value).text)
        }
    }

    func create(from version: Int, description: String, by staff: StaffCaller, reason: String, at now: Date) async throws -> UUID {
        guard (1...200).contains(description.count) else { throw AppError.invalid("the description has 1 to 200 characters") }
        let id = UUID()
        try await app.database.withTransaction { transaction in
            let store = UnderwritingStore(database: transaction)
            guard let rules = try await store.rules(version: version) else { throw AppError.notFound("no rule set version \(version)") }
            try await store.insertDraft(id: id, basedOn: version, description: description, rules: rules, by: staff, at: now)
            guard let draft = try await store.draft(id) else { throw AppError.notFound("no such draft") }
            try await Audit.record("underwriting.draft_created", Self.auditObject(id),
                                   after: try Self.snapshot(draft).with("based_on", .integer(Int64(version))), reason: ("other", reason), on: transaction)
        }
        return id
    }

    func save(_ id: UUID, revision: Int, description: String, rules: UnderwritingRules, by staff: StaffCaller, reason: String, at now: Date) async throws {
        guard (1...200).contains(description.count) else { throw AppError.invalid("the description has 1 to 200 characters") }
        let problems = rules.problems
        guard problems.isEmpty else { throw AppError.invalid(problems.joined(separator: " ")) }
        try await app.database.withTransaction { transaction in
            let store = UnderwritingStore(database: transaction)
            guard let before = try await store.draft(id, lock: true) else { throw AppError.notFound("no such draft") }
            guard before.state == .draft else { throw AppError.conflict("this draft was \(before.state.rawValue) already: start a new one") }
            guard before.revision == revision else {
                throw AppError.conflict("someone saved this draft (revision \(before.revision)) since you opened it at revision \(revision): open it again")
            }
            guard try await store.saveDraft(id, revision: revision, description: description, rules: rules, by: staff, at: now),
                  let after = try await store.draft(id) else { throw AppError.conflict("this draft changed meanwhile: open it again") }
            try await Audit.record("underwriting.draft_saved", Self.auditObject(id), before: try Self.snapshot(before), after: try Self.snapshot(after),
                                   reason: ("other", reason), on: transaction)
        }
    }

    func discard(_ id: UUID, by staff: StaffCaller, reason: String, at now: Date) async throws {
        try await app.database.withTransaction { transaction in
            let store = UnderwritingStore(database: transaction)
            guard let before = try await store.draft(id, lock: true) else { throw AppError.notFound("no such draft") }
            guard try await store.discardDraft(id, by: staff, at: now) else { throw AppError.conflict("this draft was \(before.state.rawValue) already") }
            try await Audit.record("underwriting.draft_discarded", Self.auditObject(id), before: .object(["state": .string(before.state.rawValue)]),
                                   after: .object(["state": .string("discarded")]), reason: ("other", reason), on: transaction)
        }
    }

    /// Publishes revision `revision` as a new rule set in force from `effectiveFrom` (nil: from
    /// `now`), inside the approved action's transaction; audited once on the new version.
    func publish(_ id: UUID, revision: Int, effectiveFrom: Date?, at now: Date, on transaction: PostgresConnection) async throws -> Int {
        let store = UnderwritingStore(database: transaction)
        guard let draft = try await store.draft(id, lock: true) else { throw AppError.notFound("no such rule set draft") }
        guard draft.state == .draft else {
            throw AppError.conflict("this draft was \(draft.state.rawValue) already\(draft.publishedVersion.map { " (as version \($0))" } ?? "")")
        }
        guard draft.revision == revision else {
            throw AppError.conflict("the draft was edited after this publication was asked for (revision \(revision), now \(draft.revision)): reject this and ask again")
        }
        let start = effectiveFrom ?? now
        guard start >= now else {
            throw AppError.invalid("the chosen start, \(AdminFormat.localText(start)), has passed: reject this and ask again with a later start")
        }
        let problems = draft.rules.problems
        guard problems.isEmpty else { throw AppError.invalid(problems.joined(separator: " ")) }
        let (inEffect, published) = try await publishedInEffect(at: now, on: transaction)
        let version = try await store.publishDraft(id, revision: revision, effectiveFrom: start, at: now)
        try await Audit.record("underwriting.published", AuditObject("rule_set", String(version), owner: ("rule_draft", id.uuidString.lowercased())),
                               before: .object(["version_in_effect": inEffect.map { .integer(Int64($0)) } ?? .null,
                                                "rules": try published.map(Audit.snapshot) ?? .null]),
                               after: .object(["version": .integer(Int64(version)), "effective_from": .string(RFC3339.format(start)),
                                               "draft_id": .string(id.uuidString.lowercased()), "revision": .integer(Int64(revision)),
                                               "rules": try Audit.snapshot(draft.rules)]),
                               on: transaction)
        return version
    }
}

extension JSONValue {
    /// The object with one more member.
    func with(_ key: String, _ value: JSONValue) -> JSONValue {
        guard case .object(var members) = self else { return self }
        members[key] = value
        return .object(members)
    }
}
