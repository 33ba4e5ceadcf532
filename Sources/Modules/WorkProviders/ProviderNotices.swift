import AppKernel
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Jobs
import Postgres
import Wallet

/// Tells work providers when a driver's cover pauses or resumes: a signed webhook
/// (`Hourglass-Signature`, the provider's shared secret) to `PROVIDER_<NAME>_WEBHOOK_URL`,
/// sent by the jobs queue and retried with backoff until the provider answers 2xx.
struct ProviderNotices: Sendable {
    static let job = "work_providers.cover_notice"
    let app: AppContext
    let jobs: JobQueue

    struct Notice: Codable {
        let provider: String
        /// Where to deliver, fixed when the change happened (a worker's own configuration
        /// may be older or newer than the enqueuing server's).
        let url: String
        let eventId: String
        let type: String
        let providerDriverId: String
        let occurredAt: String
    }

    func register(_ listeners: PauseListeners) {
        let app = app, jobs = jobs
        let providers = Dictionary(uniqueKeysWithValues: app.config.workProviders.map { ($0.name, $0) })
        listeners.add { driverID, paused, at, key, transaction in
            for link in try await WorkProviders(app: app).links(of: driverID) {
                guard let url = providers[link.provider]?.webhookURL else { continue }
                let notice = Notice(provider: link.provider, url: url, eventId: "\(key):\(link.provider)", type: paused ? "cover_paused" : "cover_resumed",
                                    providerDriverId: link.providerDriverID, occurredAt: RFC3339.format(at))
                try await jobs.enqueue(Self.job, payload: try PostgresJSON(encoding: notice), uniqueKey: "notice:\(notice.eventId)",
                                       maxAttempts: 25, on: transaction)
            }
        }
        jobs.register(Self.job) { job in
            let notice = try job.payload.decode(Notice.self)
            guard let provider = providers[notice.provider], let url = URL(string: notice.url) else { return }
            let body = Array(try JSONSerialization.data(withJSONObject: [
                "event_id": notice.eventId, "type": notice.type, "provider_driver_id": notice.providerDriverId,
                "occurred_at": notice.occurredAt,
            ], options: [.sortedKeys]))
            var request = URLRequest(url: url)
            request.httpMethod = "POST"
            request.httpBody = Data(body)
            request.timeoutInterval = 10
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.setValue(WebhookSignature.sign(body: body, secret: provider.secret, timestamp: Int(Date().timeIntervalSince1970)),
                             forHTTPHeaderField: "Hourglass-Signature")
            let (_, response) = try await URLSession.shared.data(for: request)
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            guard (200..<300).contains(status) else { throw NoticeRefused(status: status) }
        }
    }

    struct NoticeRefused: Error { let status: Int }
}
