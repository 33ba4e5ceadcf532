public import AdminUI
import AppKernel
import Audit
import Cryptography
import FeatureFlags
import Foundation
import HTTPServer
import Identity
import Jobs
import Postgres

/// Staff actions on provider links and events (OPS.md "Actions": `unlink_provider` on the
/// driver's page, `reapply_event` on the event inspector) and the rotation of a provider's
/// signing secret (engineers, always four-eyes, on the provider's page).
extension WorkProvidersAdmin {
    public var actions: [AdminAction] { [unlinkProvider, reapplyEvent, rotateSecret] }

    // MARK: - Unlink

    /// Ends an active link at the driver's now. Events the account sent for what happened
    /// before that still apply (they happened while it was linked; a late one arriving after
    /// the unlink too, since the outcome must equal in-order processing); a shift of it still
    /// running stops counting at the unlink; events that happen later are kept and cover
    /// nobody, until the account is linked again (to anyone). The cover engine recomputes the
    /// driver's sessions right after (a job, as for every link change), and the provider is
    /// told (`link_ended`) when it has a webhook.
    var unlinkProvider: AdminAction {
        AdminAction("unlink_provider", title: "Unlink the provider account", permission: .cover, plan: { request in
            let id = try request.objectID()
            guard let detail = try await store.link(id: id) else { throw AppError.notFound("no such link") }
            let link = detail.link
            guard link.status == .active else {
                throw AppError(status: .conflict, slug: "link-not-active",
                               detail: "This \(link.provider) link is \(link.status.rawValue), not active: there is nothing to unlink.")
            }
            return AdminActionPlan(
                objectType: "link", objectID: id.uuidString.lowercased(), driverID: link.driverID,
                effect: "End the \(link.provider) link of account \(link.providerDriverID) (link \(AdminFormat.shortID(id))) at the moment you confirm: "
                    + "shift events that happened before then still count; a shift still running stops counting then; events after it are kept but cover nobody "
                    + "until the account is linked again.\(config.byName[link.provider]?.webhookURL == nil ? "" : " \(link.provider) is told.")",
                facts: [("Provider", link.provider), ("Their driver id", link.providerDriverID),
                        ("Linked since", link.confirmedAt.map { AdminFormat.localText($0) } ?? "—")],
                parameters: .object(["link_id": .string(id.uuidString.lowercased()), "driver_id": .string(link.driverID.uuidString.lowercased())]),
                returnPath: "/admin/drivers/\(link.driverID.uuidString.lowercased())")
        }, execute: { execution in
            let id = try execution.uuid("link_id")
            let transaction = execution.transaction
            let store = WorkProvidersStore(database: transaction)
            guard let locked = try await store.lockedLink(id: id) else { throw AppError.notFound("no such link") }
            let now = try await identity.now(for: locked.link.driverID, on: transaction)
            guard let ended = try await store.unlink(id, at: now) else {
                throw AppError(status: .conflict, slug: "link-not-active",
                               detail: "This \(locked.link.provider) link is \(locked.link.status.rawValue) already: nothing was done.")
            }
            let link = ended.link
            try await Audit.record("work_providers.unlinked", AuditObject("link", link.id, driver: link.driverID),
                                   before: .object(["status": .string("active")]),
                                   after: .object(["status": .string("unlinked"), "ended_at": .string(RFC3339.format(now))]), on: transaction)
            try await queueCoverEngine(provider: link.provider, providerDriverID: link.providerDriverID, driverID: link.driverID,
                                       key: "unlink:\(link.id.uuidString.lowercased())", on: transaction)
            try await ProviderNotices(app: app, jobs: jobs, config: config)
                .tellUnlinked(provider: link.provider, providerDriverID: link.providerDriverID, key: execution.cause, at: now, on: transaction)
            return AdminActionOutcome("Unlinked \(link.provider) account \(link.providerDriverID) at \(AdminFormat.localText(now)) (UK time); "
                                      + "the driver's cover is recomputed in a moment.",
                                      path: "/admin/drivers/\(link.driverID.uuidString.lowercased())")
        })
    }

    /// Queues the cover engine for `driverID` (the job every accepted event and confirmed link
    /// queues), once per `key`.
    func queueCoverEngine(provider: String, providerDriverID: String, driverID: UUID, key: String,
                          on transaction: PostgresConnection) async throws {
        try await jobs.enqueue(WorkProviders.eventJob, payload: try PostgresJSON(encoding: [
            "provider": provider, "provider_driver_id": providerDriverID, "driver_id": driverID.uuidString.lowercased()]),
            uniqueKey: key, on: transaction)
    }

    // MARK: - Re-apply a kept event

    /// Re-applies a kept event once a link applies it: queues the cover engine for the
    /// linked driver, the path a confirmed link takes (it recomputes their sessions from every
    /// event of the account, this one included). Refused when no link applies the event, or
    /// when the link came more than 24 hours after the event happened (PRODUCT.md applies a
    /// kept event only if the link appears within 24 hours).
    var reapplyEvent: AdminAction {
        AdminAction("reapply_event", title: "Re-apply the event", permission: .cover, plan: { request in
            let (provider, eventID) = try Self.eventObject(request.form["object"])
            guard let event = try await store.event(provider: provider, eventID: eventID) else { throw AppError.notFound("no such provider event") }
            let (linkID, driverID) = try Self.applyingLink(event)
            let job = try await JobLookup(app: app).jobs(uniqueKeys: [Self.jobKey(event)])[Self.jobKey(event)]
            return AdminActionPlan(
                objectType: "provider_event", objectID: "\(provider):\(eventID)", driverID: driverID,
                effect: "Re-apply \(provider) event \(eventID) (\(event.type.replacingOccurrences(of: "_", with: " ")) at \(AdminFormat.localText(event.occurredAt))) "
                    + "to driver \(AdminFormat.shortID(driverID)) through link \(AdminFormat.shortID(linkID)): the cover engine recomputes their sessions from every kept "
                    + "event of this account, this one included, as when a link is confirmed. History already final does not change.",
                facts: [("Cover engine job so far", job?.state ?? "none found"), ("Link confirmed", AdminFormat.localText(event.linkConfirmedAt ?? event.occurredAt))],
                parameters: .object(["provider": .string(provider), "event_id": .string(eventID), "driver_id": .string(driverID.uuidString.lowercased()),
                                     "job_state": job.map { .string($0.state) } ?? .null]),
                returnPath: Self.eventPath(event))
        }, execute: { execution in
            let provider = try execution.string("provider"), eventID = try execution.string("event_id")
            let transaction = execution.transaction
            guard let event = try await WorkProvidersStore(database: transaction).event(provider: provider, eventID: eventID) else {
                throw AppError.notFound("no such provider event")
            }
            let (linkID, driverID) = try Self.applyingLink(event)
            try await queueCoverEngine(provider: provider, providerDriverID: event.providerDriverID, driverID: driverID,
                                       key: "reapply:\(execution.key.uuidString.lowercased())", on: transaction)
            try await Audit.record("work_providers.event_reapplied",
                                   AuditObject("provider_event", "\(provider):\(eventID)", owner: ("driver", driverID.uuidString.lowercased())),
                                   before: .object(["cover_engine_job": execution.optionalString("job_state").map(JSONValue.string) ?? .null]),
                                   after: .object(["cover_engine_job": .string("queued"), "driver_id": .string(driverID.uuidString.lowercased()),
                                                   "link_id": .string(linkID.uuidString.lowercased())]),
                                   on: transaction)
            return AdminActionOutcome("Queued the cover engine for driver \(AdminFormat.shortID(driverID)) with \(provider) event \(eventID); "
                                      + "their sessions are recomputed in a moment.", path: Self.eventPath(event))
        })
    }

    /// `<provider>:<event id>` (provider names have no colon).
    static func eventObject(_ text: String?) throws -> (String, String) {
        guard let text, let colon = text.firstIndex(of: ":"), colon != text.startIndex, text.index(after: colon) != text.endIndex else {
            throw AppError.invalid("object must be <provider>:<event id>")
        }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }

    /// The link that applies the event and its driver, if re-applying makes sense.
    static func applyingLink(_ event: ProviderEventRow) throws -> (UUID, UUID) {
        guard let linkID = event.linkID, let driverID = event.linkedDriverID else {
            throw AppError.invalid("No link applies this event: \(event.provider) account \(event.providerDriverID) is not linked to anyone. "
                                   + "A link must exist first (the driver asks for a code, the provider confirms it).")
        }
        if let confirmed = event.linkConfirmedAt, confirmed.timeIntervalSince(event.occurredAt) > WorkProviders.maximumLateness {
            throw AppError.invalid("The link was confirmed \(AdminFormat.localText(confirmed)), more than 24 hours after the event happened "
                                   + "(\(AdminFormat.localText(event.occurredAt))): a kept event applies only if its link appears within 24 hours.")
        }
        return (linkID, driverID)
    }

    // MARK: - Secret rotation

    /// A new random signing secret for a provider, always four-eyes (OPS.md). Approving it
    /// stores the secret sealed and makes it the provider's; the one it replaces keeps
    /// verifying for the overlap window (`provider_secret_overlap_hours`, from the approval).
    ///
    /// Handing it over: the secret is generated when the rotation is approved, and shown once,
    /// only to the engineer who asked for it (`/admin/work-providers/providers/<name>`, Reveal,
    /// sudo), who passes it to the provider's integration contact through the channel agreed
    /// with them for credentials (never e-mail or chat in plain text), and both read out its
    /// fingerprint to check they hold the same secret. Nobody can see it again afterwards (the
    /// database holds it sealed; the admin shows fingerprints only): a secret lost before it
    /// reached the provider is replaced by rotating again.
    var rotateSecret: AdminAction {
        AdminAction("rotate_provider_secret", title: "Rotate the provider's signing secret", permission: .operate, needsSudo: true, plan: { request in
            guard let name = request.form["object"], let provider = config.byName[name] else { throw AppError.notFound("no such work provider") }
            guard config.secretsKey != nil else {
                throw AppError.invalid("PROVIDER_SECRETS_KEY is not set: a rotated secret could not be stored sealed, so it cannot be rotated here.")
            }
            let hours = await FeatureFlags.shared(app: app).integer(WorkProvidersFlags.secretOverlapHours)
            let newest = try await store.rotations(provider: name, limit: 1).first
            let current = newest.map { "the secret rotated \(AdminFormat.localText($0.createdAt)), fingerprint \($0.fingerprint)" }
                ?? "the secret from PROVIDER_\(name.uppercased())_SECRET, fingerprint \(ProviderSecrets.fingerprint(provider.secret))"
            var facts: [(String, String)] = [("Overlap", "\(hours) hours (provider_secret_overlap_hours)")]
            if let newest, newest.previousValidUntil > request.now {
                facts.append(("Note", "the previous rotation's overlap runs until \(AdminFormat.localText(newest.previousValidUntil)): the secret before it stops verifying at once"))
            }
            return AdminActionPlan(
                objectType: "work_provider", objectID: name,
                effect: "Rotate \(name)’s signing secret: a new random secret replaces \(current). The replaced secret keeps verifying for \(hours) hours "
                    + "after the rotation is approved, then stops. The new secret is shown once, only to you, on the provider’s page.",
                facts: facts,
                parameters: .object(["provider": .string(name), "overlap_hours": .integer(hours)]),
                fourEyes: "a provider secret rotation is always approved by another person",
                returnPath: Self.providerPath(name))
        }, execute: { execution in
            let name = try execution.string("provider")
            let hours = try execution.integer("overlap_hours")
            guard let provider = config.byName[name] else { throw AppError.notFound("no such work provider") }
            guard let key = config.secretsKey else { throw AppError.invalid("PROVIDER_SECRETS_KEY is not set: the secret cannot be rotated.") }
            let store = WorkProvidersStore(database: execution.transaction)
            try await store.lockProviderSecrets(name)
            let previous = try await store.rotations(provider: name, limit: 1).first
            let previousFingerprint = previous?.fingerprint ?? ProviderSecrets.fingerprint(provider.secret)
            let secret = ProviderSecrets.newSecret()
            let fingerprint = ProviderSecrets.fingerprint(secret)
            let until = execution.now.addingTimeInterval(TimeInterval(hours) * 3600)
            try await store.insertRotation(id: UUID(), provider: name, sealed: SealedBox(key: key).seal(Array(secret.utf8)), fingerprint: fingerprint,
                                           previousFingerprint: previousFingerprint, at: execution.now, previousValidUntil: until,
                                           makerID: execution.maker, actionRequestID: execution.key)
            try await Audit.record("work_providers.secret_rotated", AuditObject("work_provider", name),
                                   before: .object(["fingerprint": .string(previousFingerprint), "source": .string(previous == nil ? "environment" : "rotation")]),
                                   after: .object(["fingerprint": .string(fingerprint), "previous_valid_until": .string(RFC3339.format(until))]),
                                   on: execution.transaction)
            return AdminActionOutcome("Rotated \(name)’s signing secret: new fingerprint \(fingerprint). The previous one (\(previousFingerprint)) keeps verifying "
                                      + "until \(AdminFormat.localText(until)) (UK time). The person who asked for it reveals the new secret once on the provider’s page "
                                      + "and hands it to \(name).", path: Self.providerPath(name))
        })
    }

    static func providerPath(_ name: String) -> String { "/admin/work-providers/providers/\(AdminHTML.percentEncode(name))" }

    // MARK: - Forms

    /// The unlink form of each active link (driver 360, a link's page).
    func unlinkForms(_ request: AdminRequest, _ links: [LinkDetail]) -> HTML {
        links.filter { $0.link.status == .active }.map { detail in
            AdminHTML.startForm(request, unlinkProvider, object: detail.link.id.uuidString.lowercased(),
                                submit: "Unlink \(detail.link.provider) \(detail.link.providerDriverID)", danger: true)
        }.reduce("", +)
    }
}
