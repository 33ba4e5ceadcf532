import AdminUI
import AppKernel
import Foundation
import HTTPServer
import Jobs
import Reconciliation
import SandboxPSP

extension SeedCommand {
    /// The demo's first settlement, end to end: the seed's in-process sandbox processor pays out
    /// what the seeded drivers paid by card, its signed `payout.paid` reaches our webhook (in
    /// process: the seed serves no port), and the job it queues fetches the payout's itemised
    /// report from the processor and imports it, so the admin's reconciliation pages show a
    /// real run. Nothing to pay out (the demo was seeded before) does nothing. Returns what to
    /// print.
    func seedSettlement(application: Application, services: Services) async throws -> [String] {
        guard let psp = services.sandboxPSP?.psp, psp.unpaidBalanceTransactionCount > 0 else { return [] }
        psp.setWebhookTransport { body, signature in
            var headers: HTTPHeaders = ["host": "seed", "content-type": "application/json"]
            headers.add(name: "psp-signature", value: signature)
            let head = HTTPRequestHead(method: .post, target: "/v1/webhooks/psp", path: "/v1/webhooks/psp", query: nil, version: .http1_1,
                                       headers: headers, keepAlive: true, expectsContinue: false, contentLength: body.count, isChunked: false)
            let response = await application.respond(to: HTTPRequest(head: head, body: body, remoteAddress: "127.0.0.1:0"))
            return (200..<300).contains(response.status.code)
        }
        defer { psp.setWebhookTransport(nil) }
        var printed: [String] = []
        for payout in await psp.payOut(waitingForWebhooks: true) {
            try await services.jobs.runQueued(kind: Reconciliation.fetchPayoutReportJob, payloadField: "payout_id", equals: payout.id)
            let key = Reactions.payoutReportJobKey(payout.id)
            let job = try await JobLookup(app: application.context).jobs(uniqueKeys: [key])[key]
            let amount = AdminFormat.money(payout.amount, currency: payout.currency.uppercased())
            guard job?.state == "succeeded" else {
                Startup.printError("hourglass: the demo payout \(payout.id) was not reconciled: \(job?.lastError ?? "its job never ran")")
                continue
            }
            printed.append("demo payout \(payout.id): \(amount), \(payout.balanceTransactionCount) card movements, reconciled "
                           + "(admin: Reconciliation)")
        }
        return printed
    }
}
