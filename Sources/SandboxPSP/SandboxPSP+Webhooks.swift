import Cryptography
import Foundation
import Logging
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Signed events, as the real processor sends them: `PSP-Signature: t=<unix>,v1=<hex>` where the
/// hex is HMAC-SHA256 of `t.body` under the webhook secret, retried with backoff until a 2xx.
extension SandboxPSP {
    /// Where an event goes when it is not POSTed to `webhookURL`: given the body and its
    /// `PSP-Signature` value, true when the receiver acknowledged it (a command that runs the
    /// application in-process, such as `hourglass seed`, delivers so).
    public typealias WebhookTransport = @Sendable (_ body: [UInt8], _ signature: String) async -> Bool

    func sendEvent(for intent: Intent) {
        deliver(type: intent.status == "succeeded" ? "payment_intent.succeeded" : "payment_intent.payment_failed", object: render(intent))
    }

    /// Signs and sends the event in the background, retrying with backoff until acknowledged;
    /// the task ends when it was acknowledged or given up (nil when there is nowhere to send it).
    @discardableResult
    func deliver(type: String, object: [String: Any]) -> Task<Void, Never>? {
        let (url, secret) = configuration.withLock { ($0.webhookURL, $0.webhookSecret) }
        let transport = webhookTransport.withLock { $0 } ?? url.flatMap(URL.init(string:)).map(Self.post(to:))
        guard let transport else { return nil }
        let event: [String: Any] = ["id": Self.newID("evt"), "type": type, "created": Int(Date().timeIntervalSince1970),
                                    "data": ["object": object]]
        guard let body = try? JSONSerialization.data(withJSONObject: event, options: [.sortedKeys]) else { return nil }
        let logger = logger
        let delay = webhookDelay.withLock { $0 }
        return Task {
            if delay > .zero { try? await Task.sleep(for: delay) }
            for attempt in 0..<6 {
                let timestamp = Int(Date().timeIntervalSince1970)
                let signature = Digest.hmacSHA256(key: Array(secret.utf8), message: Array("\(timestamp).".utf8) + Array(body)).hexString
                if await transport(Array(body), "t=\(timestamp),v1=\(signature)") { return }
                try? await Task.sleep(for: .milliseconds(200 << attempt))
            }
            logger.warning("sandbox PSP gave up delivering a webhook", metadata: ["psp.event_type": "\(type)"])
        }
    }

    /// The usual transport: an HTTP POST to the receiver's URL.
    private static func post(to endpoint: URL) -> WebhookTransport {
        { body, signature in
            var request = URLRequest(url: endpoint)
            request.httpMethod = "POST"
            request.httpBody = Data(body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.setValue(signature, forHTTPHeaderField: "PSP-Signature")
            guard let (_, response) = try? await URLSession.shared.data(for: request),
                  let status = (response as? HTTPURLResponse)?.statusCode else { return false }
            return (200..<300).contains(status)
        }
    }
}
