import AdminUI
import AppKernel
import Audit
import Cryptography
import Foundation
import HTTPServer
import Postgres

/// The work providers' own pages: each provider's webhook and signing secret as fingerprints
/// (never the secret), its rotations, the rotation form (engineers) and, for the engineer who
/// asked for a rotation, the one-time reveal of the new secret.
extension WorkProvidersAdmin {
    func providersPage(_ request: AdminRequest) async throws -> AdminResponse {
        let rotations = try await store.latestRotations(perProvider: 1)
        let rows = providers.map { name -> [HTML] in
            let newest = rotations.first { $0.provider == name }
            return [AdminHTML.link(Self.providerPath(name), name),
                    newest.map { "rotated \(AdminFormat.localText($0.createdAt))" as HTML } ?? "from the environment",
                    "<code>\(newest?.fingerprint ?? config.byName[name].map { ProviderSecrets.fingerprint($0.secret) } ?? "")</code>"]
        }
        return .page(AdminView(title: "Work providers", body: AdminHTML.section("Providers", AdminHTML.table(["Provider", "Signing secret", "Fingerprint"], rows,
                                                                                                        empty: "No work providers are configured (WORK_PROVIDERS)."))))
    }

    func providerPage(_ request: AdminRequest) async throws -> AdminResponse {
        let name = try request.parameter("name")
        guard let provider = config.byName[name] else { throw AppError.notFound("no such work provider") }
        let rotations = try await store.rotations(provider: name, limit: 20)
        let now = request.now
        let newest = rotations.first
        let inOverlap = newest.map { now < $0.previousValidUntil } ?? false
        let fields = AdminHTML.fields([
            .init("Provider", field: "provider", text: name),
            .init("Webhook", field: "webhook_url", provider.webhookURL.map { "<code>\($0)</code>" as HTML } ?? "<span class=\"muted\">none (PROVIDER_\(name.uppercased())_WEBHOOK_URL)</span>"),
            .init("Secret in force", field: "secret_source", newest.map { "rotated \(AdminFormat.time($0.createdAt))" as HTML }
                  ?? "<code>PROVIDER_\(name.uppercased())_SECRET</code> from the environment"),
            .init("Its fingerprint", field: "fingerprint", "<code>\(newest?.fingerprint ?? ProviderSecrets.fingerprint(provider.secret))</code>"),
            .init("Also verifying", field: "previous_fingerprint", inOverlap && newest != nil
                  ? "<code>\(newest!.previousFingerprint)</code> until \(AdminFormat.time(newest!.previousValidUntil)) (the overlap)"
                  : "<span class=\"muted\">nothing else</span>"),
        ])
        let rows = rotations.map { rotation -> [HTML] in
            [AdminFormat.time(rotation.createdAt), "<code>\(rotation.fingerprint)</code>", "<code>\(rotation.previousFingerprint)</code>",
             AdminFormat.time(rotation.previousValidUntil),
             rotation.revealedAt.map { "shown \(AdminFormat.localText($0))" as HTML } ?? AdminHTML.badge("not yet handed over", .warn)]
        }
        let table = AdminHTML.table(["Rotated", "Fingerprint", "Replaced", "Replaced one verified until", "New secret"], rows,
                                    empty: "Never rotated: the environment's secret is in force.")
        var actions: HTML = ""
        if let newest, newest.revealedAt == nil, newest.makerID == request.staff.id, request.staff.may(AdminPermission.operate.rawValue) {
            actions += AdminHTML.actionForm(request, action: Self.providerPath(name) + "/reveal", name: "reveal_secret",
                                            fields: "<input type=\"hidden\" name=\"rotation\" value=\"\(newest.id.uuidString.lowercased())\">",
                                            submit: "Reveal the new secret (once)")
        }
        actions += AdminHTML.startForm(request, rotateSecret, object: name, danger: true)
        let handover: HTML = """
            <p class="muted">Rotating makes a new random secret; the old one keeps verifying for the overlap window. The new secret is shown \
            once, to the engineer who asked for the rotation, who gives it to the provider's integration contact through the channel agreed \
            for credentials (never e-mail or chat in plain text); both check the fingerprint. Our webhooks are signed with both secrets \
            during the overlap.</p>
            """
        let history = try await Audit.historySection(of: [("work_provider", name)], on: app.database)
        return .page(AdminView(title: "Work provider \(name)",
                               body: AdminHTML.section("Provider", fields) + AdminHTML.section("Signing secret", id: "secret", handover + actions)
                                   + AdminHTML.section("Rotations", table) + history,
                               crumbs: [("Work providers", "/admin/work-providers/providers")]))
    }

    /// Shows a rotation's new secret, once, to the person who asked for the rotation (audited).
    func revealSecret(_ request: AdminRequest) async throws -> AdminResponse {
        let name = try request.parameter("name")
        guard config.byName[name] != nil else { throw AppError.notFound("no such work provider") }
        guard let id = request.form["rotation"].flatMap(UUID.init(uuidString:)) else { throw AppError.invalid("rotation must be an id") }
        guard let key = config.secretsKey else { throw AppError.invalid("PROVIDER_SECRETS_KEY is not set: the secret cannot be opened.") }
        let staff = request.staff
        let secret: String = try await app.database.withTransaction { transaction in
            guard let rotation = try await WorkProvidersStore(database: transaction).reveal(id, to: staff.id, at: request.now), rotation.provider == name else {
                throw AppError(status: .conflict, slug: "secret-not-shown",
                               detail: "This secret is not shown: only the person who asked for the rotation sees it, and only once. If it was lost, rotate again.")
            }
            guard let bytes = SealedBox(key: key).open(rotation.sealed), let secret = String(bytes: bytes, encoding: .utf8) else {
                throw AppError.unavailable("the secret cannot be opened with this PROVIDER_SECRETS_KEY")
            }
            try await Audit.record("work_providers.secret_revealed", AuditObject("work_provider", name),
                                   after: .object(["rotation_id": .string(id.uuidString.lowercased()), "fingerprint": .string(rotation.fingerprint)]),
                                   on: transaction)
            return secret
        }
        let body: HTML = """
            <section class="card"><p class="notice warn">Shown once: copy it now. Nobody, you included, can see it again.</p>\
            <p>New signing secret for <strong>\(name)</strong>:</p><pre data-field="secret">\(secret)</pre>\
            <p>Fingerprint <code data-field="fingerprint">\(ProviderSecrets.fingerprint(secret))</code>: read it out to the provider's contact to check they installed the same secret.</p>\
            <p><a href="\(Self.providerPath(name))">Back to \(name)</a></p></section>
            """
        return .page(AdminView(title: "New secret for \(name)", body: body, crumbs: [("Work providers", "/admin/work-providers/providers")]))
    }
}
