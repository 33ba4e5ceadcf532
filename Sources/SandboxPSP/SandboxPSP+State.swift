import Cryptography
import Foundation
import HTTPServer

extension SandboxPSP {
    struct Card: Sendable {
        let id: String
        let token: String
        let brand: String
        let last4: String
    }

    struct Intent: Sendable {
        let id: String
        let amount: Int64
        let currency: String
        let paymentMethod: String
        var status: String
        var failureCode: String?
        let metadata: [String: String]
        var refunded: Int64 = 0
        /// The charge (`ch_…`) made when the intent succeeded, rendered as `latest_charge`.
        var chargeID: String?
    }

    struct Refund: Sendable {
        let id: String
        let intentID: String
        let amount: Int64
        let currency: String
        var status: String
        let metadata: [String: String]
    }

    /// A movement on our balance at the processor (a succeeded charge or refund): what a payout
    /// pays out and the itemised report lists.
    struct BalanceTransaction: Sendable {
        let id: String
        /// `charge` or `refund` (the report's `reporting_category`).
        let category: String
        /// The charge's `ch_…` or the refund's `re_…`.
        let sourceID: String
        let intentID: String
        /// Minor units; negative for a refund.
        let gross: Int64
        let fee: Int64
        let currency: String
        let created: Date
        /// The ledger transaction that booked the movement, from the metadata we were given.
        let hourglassTransactionID: String?
        let description: String
        var payoutID: String?
        var net: Int64 { gross - fee }
    }

    /// A transfer of settled funds to the merchant's bank.
    struct Payout: Sendable {
        let id: String
        let amount: Int64
        let currency: String
        let created: Date
        let arrival: Date
        /// In the order they were made.
        let balanceTransactionIDs: [String]
    }

    /// A report run (Reporting API) and the file it produced.
    struct ReportRun: Sendable {
        let id: String
        let reportType: String
        let payoutID: String
        let fileID: String
        let created: Date
        /// Retrievals still answered `pending` before it succeeds (the real API is asynchronous).
        var pendingPolls: Int
    }

    struct State {
        var cards: [String: Card] = [:]
        var intents: [String: Intent] = [:]
        var refunds: [String: Refund] = [:]
        /// In the order they were made (a report lists them so).
        var balanceTransactions: [BalanceTransaction] = []
        var payouts: [String: Payout] = [:]
        var reportRuns: [String: ReportRun] = [:]
        /// Report files by id: the CSV as it will be downloaded.
        var files: [String: [UInt8]] = [:]
        /// Idempotency-Key → the first response body, as the real API promises.
        var responses: [String: [UInt8]] = [:]
        /// Keys of calls being worked on: a concurrent call with the same key is refused.
        var keysInFlight: Set<String> = []

        /// The intent's charge: its `ch_…` and the balance transaction it puts on our balance.
        mutating func recordCharge(of intentID: String, at instant: Date) {
            guard var intent = intents[intentID], intent.status == "succeeded", intent.chargeID == nil else { return }
            let chargeID = SandboxPSP.newID("ch")
            intent.chargeID = chargeID
            intents[intentID] = intent
            balanceTransactions.append(BalanceTransaction(
                id: SandboxPSP.newID("txn"), category: "charge", sourceID: chargeID, intentID: intent.id, gross: intent.amount,
                fee: SandboxPSP.standardFee(intent.amount), currency: intent.currency, created: instant,
                hourglassTransactionID: intent.metadata["hourglass_txn_id"], description: "Payment \(intent.id)"))
        }

        /// A succeeded refund's balance transaction (no fee is charged or returned on a refund).
        mutating func recordRefund(_ refund: Refund, at instant: Date) {
            guard refund.status == "succeeded", !balanceTransactions.contains(where: { $0.sourceID == refund.id }) else { return }
            let chargeID = intents[refund.intentID]?.chargeID ?? refund.intentID
            balanceTransactions.append(BalanceTransaction(
                id: SandboxPSP.newID("txn"), category: "refund", sourceID: refund.id, intentID: refund.intentID, gross: -refund.amount,
                fee: 0, currency: refund.currency, created: instant,
                // A refund line names the ledger transaction of the refund itself, not the charge's.
                hourglassTransactionID: refund.metadata["hourglass_txn_id"], description: "REFUND FOR CHARGE (\(chargeID))"))
        }

        /// A refund that failed after it succeeded never leaves our balance, if it has not been
        /// paid out yet. (One already paid out stays in its payout: the sandbox makes no
        /// `refund_failure` movement.)
        mutating func forgetRefund(_ refundID: String) {
            balanceTransactions.removeAll { $0.sourceID == refundID && $0.payoutID == nil }
        }
    }

    // MARK: - Helpers

    static func newID(_ prefix: String) -> String { "\(prefix)_" + Digest.randomBytes(12).hexString }

    /// Stripe UK's standard rate: 1.5% (rounded half up) + 20 minor units.
    static func standardFee(_ amount: Int64) -> Int64 { (amount * 15 + 500) / 1000 + 20 }

    static func message(for code: String) -> String {
        switch code {
        case "card_declined": "Your card was declined."
        case "insufficient_funds": "Your card has insufficient funds."
        case "authentication_required": "This payment needs the cardholder to authenticate."
        case "authentication_failed": "The cardholder failed to authenticate."
        default: "The payment failed."
        }
    }

    static func json(_ object: [String: Any]) -> HTTPResponse {
        HTTPResponse(status: .ok, contentType: "application/json",
                     body: Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)))
    }

    static func error(_ status: Int, _ code: String, _ message: String) -> HTTPResponse {
        var response = json(["error": ["code": code, "message": message]])
        response.status = HTTPStatus(code: status, reasonPhrase: HTTPStatus.reasonPhrases[status] ?? "")
        return response
    }

    /// The request's parameters: a JSON object, or a form (`a=1&parameters[payout]=po_1`, what
    /// the real API takes), with bracketed keys nested one level as the real API reads them.
    static func parameters(of request: HTTPRequest) -> [String: Any] {
        let contentType = request.headers["content-type"]?.lowercased() ?? ""
        if !contentType.hasPrefix("application/x-www-form-urlencoded") {
            return (try? JSONSerialization.jsonObject(with: Data(request.body))) as? [String: Any] ?? [:]
        }
        var result: [String: Any] = [:]
        for pair in String(decoding: request.body, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
            }
            let key = parts[0], value = parts.count > 1 ? parts[1] : ""
            if let open = key.firstIndex(of: "["), key.hasSuffix("]") {
                let outer = String(key[..<open]), inner = String(key[key.index(after: open)..<key.index(before: key.endIndex)])
                var nested = result[outer] as? [String: Any] ?? [:]
                nested[inner] = value
                result[outer] = nested
            } else {
                result[key] = value
            }
        }
        return result
    }
}
