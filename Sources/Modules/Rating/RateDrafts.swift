import AdminUI
import AppKernel
import Audit
import Foundation
import Postgres

/// Drafting and publishing rate tables (OPS.md: pricing drafts, finance approves). A draft is
/// a whole table that nothing prices with; publishing it adds a new version with an effective
/// instant (`rating.publish_draft`), which prices the quotes made from that instant on (the
/// quotes made before keep the version they were priced with). Each change is audited once.
struct RateDrafts: Sendable {
    let app: AppContext

    static func auditObject(_ id: UUID) -> AuditObject { AuditObject("rate_draft", id.uuidString.lowercased()) }

    static func snapshot(_ draft: RateDraft) throws -> JSONValue {
        .object(["description": .string(draft.description), "revision": .integer(Int64(draft.revision)),
                 "state": .string(draft.state.rawValue), "contents": try Audit.snapshot(draft.contents)])
    }

    /// The published contents of `version`, as a draft edits them.
    func contents(version: Int, on database: any PostgresQueryable) async throws -> RateTableContents? {
        try await RatingStore(database: database).contents(version: version).map(RateTableContents.init)
    }

    /// The version pricing uses at `instant`, and what it holds.
    func publishedInEffect(at instant: Date, on database: any PostgresQueryable) async throws -> (version: Int?, contents: RateTableContents?) {
        guard let version = try await RatingStore(database: database).versionInEffect(at: instant) else { return (nil, nil) }
        return (version, try await contents(version: version, on: database))
    }

    /// A new draft, a copy of `version`.
    func create(from version: Int, description: String, by staff: StaffCaller, reason: String, at now: Date) async throws -> UUID {
        guard (1...200).contains(description.count) else { throw AppError.invalid("the description has 1 to 200 characters") }
        let id = UUID()
        try await app.database.withTransaction { transaction in
            guard let contents = try await contents(version: version, on: transaction) else { throw AppError.notFound("no rate table version \(version)") }
            let store = RatingStore(database: transaction)
            try await store.insertDraft(id: id, basedOn: version, description: description, contents: contents, by: staff, at: now)
            guard let draft = try await store.draft(id) else { throw AppError.notFound("no such draft") }
            try await Audit.record("rating.draft_created", Self.auditObject(id), after: try Self.snapshot(draft).with("based_on", .integer(Int64(version))),
                                   reason: ("other", reason), on: transaction)
        }
        return id
    }

    /// Saves the form's table as the draft's next revision, or throws what is wrong with it.
    func save(_ id: UUID, revision: Int, description: String, contents: RateTableContents, by staff: StaffCaller, reason: String,
              at now: Date) async throws {
        guard (1...200).contains(description.count) else { throw AppError.invalid("the description has 1 to 200 characters") }
        try await app.database.withTransaction { transaction in
            let store = RatingStore(database: transaction)
            guard let before = try await store.draft(id, lock: true) else { throw AppError.notFound("no such draft") }
            guard before.state == .draft else { throw AppError.conflict("this draft was \(before.state.rawValue) already: start a new one") }
            guard before.revision == revision else {
                throw AppError.conflict("someone saved this draft (revision \(before.revision)) since you opened it at revision \(revision): open it again")
            }
            let problems = contents.problems(comparedWith: try await publishedInEffect(at: now, on: transaction).contents)
            guard problems.isEmpty else { throw AppError.invalid(problems.joined(separator: " ")) }
            guard try await store.saveDraft(id, revision: revision, description: description, contents: contents, by: staff, at: now),
                  let after = try await store.draft(id) else { throw AppError.conflict("this draft changed meanwhile: open it again") }
            try await Audit.record("rating.draft_saved", Self.auditObject(id), before: try Self.snapshot(before), after: try Self.snapshot(after),
                                   reason: ("other", reason), on: transaction)
        }
    }

    func discard(_ id: UUID, by staff: StaffCaller, reason: String, at now: Date) async throws {
        try await app.database.withTransaction { transaction in
            let store = RatingStore(database: transaction)
            guard let before = try await store.draft(id, lock: true) else { throw AppError.notFound("no such draft") }
            guard try await store.discardDraft(id, by: staff, at: now) else { throw AppError.conflict("this draft was \(before.state.rawValue) already") }
            try await Audit.record("rating.draft_discarded", Self.auditObject(id), before: .object(["state": .string(before.state.rawValue)]),
                                   after: .object(["state": .string("discarded")]), reason: ("other", reason), on: transaction)
        }
    }

    /// Publishes revision `revision` of the draft as a new version in force from `effectiveFrom`
    /// (nil: from `now`), inside the approved action's transaction; audited once, on the new
    /// version (owned by the draft, so both pages' histories show it). Returns the version.
    func publish(_ id: UUID, revision: Int, effectiveFrom: Date?, at now: Date, on transaction: PostgresConnection) async throws -> Int {
        let store = RatingStore(database: transaction)
        guard let draft = try await store.draft(id, lock: true) else { throw AppError.notFound("no such draft") }
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
        let (inEffect, published) = try await publishedInEffect(at: now, on: transaction)
        let problems = draft.contents.problems(comparedWith: published)
        guard problems.isEmpty else { throw AppError.invalid(problems.joined(separator: " ")) }
        let version = try await store.publishDraft(id, revision: revision, effectiveFrom: start, at: now)
        try await Audit.record("rating.published", AuditObject("rate_table", String(version), owner: ("rate_draft", id.uuidString.lowercased())),
                               before: .object(["version_in_effect": inEffect.map { .integer(Int64($0)) } ?? .null,
                                                "contents": try published.map(Audit.snapshot) ?? .null]),
                               after: .object(["version": .integer(Int64(version)), "effective_from": .string(RFC3339.format(start)),
                                               "draft_id": .string(id.uuidString.lowercased()), "revision": .integer(Int64(revision)),
                                               "contents": try Audit.snapshot(draft.contents)]),
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
