import Foundation
import Synchronization
import HTTPServer

/// A payout made by the sandbox: the balance transactions it paid out, summed.
public struct SandboxPayout: Sendable, Equatable {
    public let id: String
    /// The sum of its balance transactions' nets, in minor units.
    public let amount: Int64
    /// Lower case, as the processor writes it.
    public let currency: String
    public let balanceTransactionCount: Int
}

/// Payouts: the processor transfers what it holds for us to our bank. Here a payout pays out
/// every balance transaction not yet paid out, one payout per currency, at once (the real
/// processor waits for funds to become available and pays on a schedule), and sends the signed
/// `payout.paid` event.
extension SandboxPSP {
    /// Pays out, per currency (or only `currency`), every balance transaction not yet paid out,
    /// and sends `payout.paid` for each payout. A currency whose movements add up to nothing or
    /// less is kept for a later payout (the sandbox never debits the bank). With
    /// `waitingForWebhooks`, returns once every `payout.paid` was acknowledged (or given up).
    @discardableResult
    public func payOut(currency: String? = nil, waitingForWebhooks: Bool = false) async -> [SandboxPayout] {
        let now = Date()
        let made = state.withLock { state -> [Payout] in
            let unpaid = state.balanceTransactions.indices.filter {
                state.balanceTransactions[$0].payoutID == nil && (currency == nil || state.balanceTransactions[$0].currency == currency)
            }
            let byCurrency = Dictionary(grouping: unpaid) { state.balanceTransactions[$0].currency }
            var payouts: [Payout] = []
            for (code, indices) in byCurrency.sorted(by: { $0.key < $1.key }) {
                let amount = indices.reduce(Int64(0)) { $0 + state.balanceTransactions[$1].net }
                guard amount > 0 else { continue }
                let payout = Payout(id: Self.newID("po"), amount: amount, currency: code, created: now, arrival: now,
                                    balanceTransactionIDs: indices.map { state.balanceTransactions[$0].id })
                for index in indices { state.balanceTransactions[index].payoutID = payout.id }
                state.payouts[payout.id] = payout
                payouts.append(payout)
            }
            return payouts
        }
        var deliveries: [Task<Void, Never>] = []
        for payout in made {
            if let delivery = deliver(type: "payout.paid", object: render(payout)) { deliveries.append(delivery) }
        }
        if waitingForWebhooks {
            for delivery in deliveries { await delivery.value }
        }
        return made.map {
            SandboxPayout(id: $0.id, amount: $0.amount, currency: $0.currency, balanceTransactionCount: $0.balanceTransactionIDs.count)
        }
    }

    /// How many balance transactions wait for a payout (for tests and the demo).
    public var unpaidBalanceTransactionCount: Int {
        state.withLock { $0.balanceTransactions.filter { $0.payoutID == nil }.count }
    }

    /// `POST /v1/test_helpers/payouts` (optional `currency`): pays out now, answering the
    /// payouts made as a list (empty when nothing was waiting).
    func payOutNow(_ body: [String: Any]) async -> HTTPResponse {
        var currency: String?
        if let given = body["currency"] {
            guard let text = given as? String, text.count == 3, text.allSatisfy(\.isLetter) else {
                return Self.error(400, "parameter_invalid", "currency must be a three-letter ISO code")
            }
            currency = text.lowercased()
        }
        // The payouts are made now; their webhooks follow in the background, as the real API's do.
        let made = await payOut(currency: currency)
        let payouts = state.withLock { state in made.compactMap { state.payouts[$0.id] } }
        return Self.json(["object": "list", "data": payouts.map(render), "has_more": false])
    }

    func render(_ payout: Payout) -> [String: Any] {
        ["id": payout.id, "object": "payout", "amount": payout.amount, "currency": payout.currency, "status": "paid",
         "automatic": true, "created": Int(payout.created.timeIntervalSince1970),
         "arrival_date": Int(payout.arrival.timeIntervalSince1970), "method": "standard", "type": "bank_account"]
    }
}
