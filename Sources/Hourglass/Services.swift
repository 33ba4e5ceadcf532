import AppKernel
import Cryptography
import Foundation
import HTTPServer
import Jobs
import Logging
import Payments
import Postgres
import SandboxPSP
import Synchronization

/// Services built once at start-up and shared by the modules: the due-work registry, payment
/// outcome handlers, and the card processor (in sandbox mode without `PSP_BASE_URL`, a sandbox
/// PSP started in-process on loopback with keys made up for this run).
struct Services: Sendable {
    let dueWork: DueWorkRegistry
    let jobs: JobQueue
    let paymentOutcomes: PaymentOutcomes
    let gateway: any PaymentGateway
    let pspWebhookSecret: String
    let sandboxPSP: InProcessSandboxPSP?

    static func make(_ config: AppConfig, logger: Logger, database: PostgresPool, jobQueue: String = "default") throws -> Services {
        let jobs = JobQueue(database: database, logger: logger, name: jobQueue)
        let port: UInt16
        switch try config.section(PaymentsConfig.self).processor {
        case .remote(let url, let key, let secret):
            return Services(dueWork: DueWorkRegistry(), jobs: jobs, paymentOutcomes: PaymentOutcomes(),
                            gateway: PSPClient(baseURL: url, apiKey: key), pspWebhookSecret: secret, sandboxPSP: nil)
        case .sandbox(let sandboxPort):
            port = sandboxPort
        }
        let sandbox = try InProcessSandboxPSP(port: port, logger: logger)
        return Services(dueWork: DueWorkRegistry(), jobs: jobs, paymentOutcomes: PaymentOutcomes(),
                        gateway: PSPClient(baseURL: URL(string: sandbox.baseURL)!, apiKey: sandbox.apiKey),
                        pspWebhookSecret: sandbox.webhookSecret, sandboxPSP: sandbox)
    }

    /// Points the sandbox's webhooks at the main server once its port is known, and its bank
    /// page at the main server's `/sandbox/` (same host and port as the API, so a phone on the
    /// LAN or an emulator can open `redirect_url`; `PUBLIC_BASE_URL` says how clients reach us).
    func serverStarted(port: UInt16, publicBaseURL: String? = nil) {
        sandboxPSP?.psp.setWebhookURL("http://127.0.0.1:\(port)/v1/webhooks/psp")
        let base = (publicBaseURL ?? "http://127.0.0.1:\(port)").trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        sandboxPSP?.psp.setPublicBaseURL(base + "/sandbox")
    }

    func stop() async { await sandboxPSP?.stop() }
}

/// The sandbox PSP on its own loopback HTTP server inside this process.
final class InProcessSandboxPSP: Sendable {
    let psp: SandboxPSP
    let server: HTTPServer
    /// In front of the server when drops are wanted (`withFaultRelay`): where clients connect.
    let relay: SandboxFaultRelay?
    let apiKey = "sk_sandbox_" + Digest.randomBytes(16).hexString
    let webhookSecret = "whsec_sandbox_" + Digest.randomBytes(16).hexString
    var baseURL: String { "http://127.0.0.1:\(relay?.port ?? server.port)" }

    /// `withFaultRelay`: the processor is reached through a `SandboxFaultRelay` (on `port`),
    /// so that fault plans may drop connections (drills).
    init(port: UInt16, logger: Logger, withFaultRelay: Bool = false) throws {
        psp = SandboxPSP(configuration: .init(apiKey: apiKey, webhookSecret: webhookSecret, webhookURL: nil,
                                               publicBaseURL: "http://127.0.0.1:\(port)"), logger: logger)
        var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: withFaultRelay ? 0 : port, eventLoopCount: 1)
        configuration.compression = nil
        server = HTTPServer(configuration: configuration, responder: psp, logger: logger)
        try server.start()
        relay = withFaultRelay ? try SandboxFaultRelay(port: port, upstreamPort: server.port) : nil
        if relay != nil { psp.allowDrops() }
        psp.setPublicBaseURL(baseURL)
        psp.setAPIBaseURL(baseURL)
    }

    /// Pays out every `interval` until stopped (`hourglass serve` in development): each payout's
    /// `payout.paid` reaches our webhook, so a running demo grows real reconciliation runs.
    func payOut(every interval: Duration) {
        let psp = psp
        let task = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                if Task.isCancelled { return }
                await psp.payOut()
            }
        }
        payouts.withLock { $0?.cancel(); $0 = task }
    }
    private let payouts = Mutex<Task<Void, Never>?>(nil)

    func stop() async {
        payouts.withLock { $0?.cancel() }
        relay?.stop()
        server.shutdown(gracePeriod: .seconds(1))
        await server.waitUntilStopped()
    }
}
