public import AppKernel
public import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
public import Jobs
public import Postgres

/// Tells work providers about a driver's cover: `cover_paused` / `cover_resumed` (money),
/// `cover_cut` (a session reached 14 hours) and `link_ended` (staff unlinked an account). A
/// signed webhook (`Hourglass-Signature` under the provider's secrets in force, see
/// `ProviderSecrets`) to `PROVIDER_<NAME>_WEBHOOK_URL`, sent by the jobs queue and retried with
/// backoff until the provider answers 2xx.
public struct ProviderNotices: Sendable {
    public static let job = "work_providers.cover_notice"
    let app: AppContext
    let jobs: JobQueue
    let providers: [String: WorkProviderConfig]
    let secretsKey: [UInt8]?

    public init(app: AppContext, jobs: JobQueue, config: WorkProvidersConfig) {
        self.app = app
        self.jobs = jobs
        providers = config.byName
        secretsKey = config.secretsKey
    }

    /// Tells one provider that its account's link to us ended (an unlink): from now on its
    /// shift events for that account are kept but cover nobody.
    func tellUnlinked(provider: String, providerDriverID: String, key: String, at instant: Date, on transaction: PostgresConnection) async throws {
        guard let url = providers[provider]?.webhookURL else { return }
        let notice = Notice(provider: provider, url: url, eventId: "\(key):\(provider)", type: "link_ended",
                            providerDriverId: providerDriverID, occurredAt: RFC3339.format(instant))
        try await jobs.enqueue(Self.job, payload: try PostgresJSON(encoding: notice), uniqueKey: "notice:\(notice.eventId)",
                               maxAttempts: 25, on: transaction)
    }

    /// Queues `type` for every provider the driver is linked to, inside the caller's
    /// transaction (so a notice exists exactly when the change it reports committed). `key`
    /// names the change: the same key twice queues one notice per provider.
    public func tell(driverID: UUID, type: String, key: String, at instant: Date, on transaction: PostgresConnection) async throws {
        for link in try await WorkProviders(app: app).links(of: driverID, on: transaction) {
            guard let url = providers[link.provider]?.webhookURL else { continue }
            let notice = Notice(provider: link.provider, url: url, eventId: "\(key):\(link.provider)", type: type,
                                providerDriverId: link.providerDriverID, occurredAt: RFC3339.format(instant))
            try await jobs.enqueue(Self.job, payload: try PostgresJSON(encoding: notice), uniqueKey: "notice:\(notice.eventId)",
                                   maxAttempts: 25, on: transaction)
        }
    }

    struct Notice: Codable {
        let provider: String
        /// Where to deliver, fixed when the change happened (a worker's own configuration
        /// may be older or newer than the enqueuing server's).
        let url: String
        let eventId: String
        let type: String
        let providerDriverId: String
        let occurredAt: String

        /// What the provider receives (the delivery details stay ours).
        var wire: Wire { Wire(eventId: eventId, type: type, providerDriverId: providerDriverId, occurredAt: occurredAt) }
    }

    /// The webhook body: `{event_id, type, provider_driver_id, occurred_at}`.
    struct Wire: Encodable {
        let eventId: String
        let type: String
        let providerDriverId: String
        let occurredAt: String
    }

    /// Cover paused or resumed for money: every linked provider is told.
    public func coverPauseChanged(driverID: UUID, paused: Bool, at instant: Date, key: String,
                                  on transaction: PostgresConnection) async throws {
        try await tell(driverID: driverID, type: paused ? "cover_paused" : "cover_resumed", key: key, at: instant, on: transaction)
    }

    /// The job that delivers one notice: retried with backoff until the provider answers 2xx.
    public func deliver(_ job: Job) async throws {
        let notice = try job.payload.decode(Notice.self)
        guard let provider = providers[notice.provider], let url = URL(string: notice.url) else { return }
        let body = try JSON.encode(notice.wire)
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.httpBody = Data(body)
        request.timeoutInterval = 10
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        // Signed on real time: the provider checks the signature against its own clock. Under
        // every secret in force: both, during a rotation's overlap window.
        request.setValue(try await ProviderSecrets.shared(app: app).signature(body: body, provider: provider, key: secretsKey, now: app.clock.now()),
                         forHTTPHeaderField: "Hourglass-Signature")
        let (_, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(status) else { throw NoticeRefused(status: status) }
    }

    struct NoticeRefused: Error { let status: Int }
}
