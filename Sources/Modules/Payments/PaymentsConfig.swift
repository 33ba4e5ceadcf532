public import AppKernel
public import Foundation

/// The payments module's settings: which card processor, and when unsettled payments are
/// chased.
public struct PaymentsConfig: ConfigSection {
    public static let keys: [String: String] = [
        "PSP_BASE_URL": "card processor API base URL; empty in sandbox mode runs the sandbox PSP in-process",
        "PSP_API_KEY": "secret API key for the card processor (environment only)",
        "PSP_WEBHOOK_SECRET": "HMAC secret of the card processor's webhooks (environment only)",
        "PSP_SANDBOX_PORT": "loopback port of the in-process sandbox PSP; 0 picks a free one",
        "PAYMENT_RECOVERY_AFTER_SECONDS": "a card payment unsettled this long (real time) is settled by asking the processor",
        "SANDBOX_PAYOUT_INTERVAL_SECONDS": "hourglass serve with the in-process sandbox PSP pays out this often (payout.paid, then reconciliation); 0 = never",
    ]

    public enum Processor: Sendable {
        /// A card processor's HTTP API.
        case remote(baseURL: URL, apiKey: String, webhookSecret: String)
        /// Sandbox mode without `PSP_BASE_URL`: the sandbox PSP in-process on this port.
        case sandbox(port: UInt16)
    }

    public let processor: Processor
    /// How long a card payment may wait for its outcome before the recovery job asks the
    /// processor about it.
    public let recoveryAfter: Duration
    /// How often `hourglass serve` has the in-process sandbox PSP pay out what it holds, so a
    /// running demo grows real payouts and reconciliation runs; nil: never (and never outside
    /// the sandbox).
    public let sandboxPayoutInterval: Duration?

    public init(_ values: ConfigValues) throws(ConfigError) {
        recoveryAfter = .seconds(try values.integer("PAYMENT_RECOVERY_AFTER_SECONDS", in: 1...86_400))
        let payoutSeconds = try values.integer("SANDBOX_PAYOUT_INTERVAL_SECONDS", in: 0...86_400)
        sandboxPayoutInterval = payoutSeconds > 0 ? .seconds(payoutSeconds) : nil
        // Outside sandbox mode there is no sandbox PSP to fall back on: all three are required,
        // and a URL that does not parse stops start-up rather than being ignored.
        if let base = values["PSP_BASE_URL"] {
            guard let url = URL(string: base), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                throw .invalid(key: "PSP_BASE_URL", value: base, expected: "an http(s) URL such as https://api.processor.example")
            }
            processor = .remote(baseURL: url, apiKey: try values.string("PSP_API_KEY"), webhookSecret: try values.string("PSP_WEBHOOK_SECRET"))
        } else if values.environment.isSandbox {
            processor = .sandbox(port: try values.integer("PSP_SANDBOX_PORT", in: 0...65535, as: UInt16.self))
        } else {
            throw .missing(key: "PSP_BASE_URL")
        }
    }
}
