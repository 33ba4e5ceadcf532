import Foundation
import HTTPServer
@testable import Hourglass
import Logging
import Payments
import SandboxPSP
import TestSupport
import Testing

/// The sandbox card processor's money side, through the real client over HTTP (no database):
/// charges and refunds become balance transactions, a payout pays them out per currency, and
/// the Reporting API writes the payout's itemised reconciliation report as Stripe does.
struct SandboxPayoutTests {
    static let header = "automatic_payout_id,automatic_payout_effective_at_utc,balance_transaction_id,created_utc,available_on_utc,"
        + "currency,gross,fee,net,reporting_category,source_id,description,customer_facing_amount,customer_facing_currency,"
        + "payment_intent_id,payment_metadata[hourglass_txn_id]"

    static func sandbox() throws -> (InProcessSandboxPSP, PSPClient) {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let psp = try InProcessSandboxPSP(port: 0, logger: logger)
        return (psp, PSPClient(baseURL: URL(string: psp.baseURL)!, apiKey: psp.apiKey, reportWait: .seconds(5)))
    }

    /// The report's lines as dictionaries by column name.
    static func rows(_ report: [UInt8]) -> (header: String, rows: [[String: String]]) {
        let lines = String(decoding: report, as: UTF8.self).split(separator: "\n").map(String.init)
        let names = lines[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let rows = lines.dropFirst().map { line in
            Dictionary(uniqueKeysWithValues: zip(names, line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)))
        }
        return (lines[0], rows)
    }

    @Test func aPayoutsReportListsEachMovementWithTheStandardFee() async throws {
        let (psp, client) = try Self.sandbox()
        defer { Task { await psp.stop() } }
        let card = try await client.saveCard(token: "tok_visa", idempotencyKey: "card-1")
        let charged = try await client.charge(amount: 1500, currency: "GBP", card: card.id, offSession: false, idempotencyKey: "charge-1",
                                              metadata: ["hourglass_txn_id": "11111111-1111-8111-8111-111111111111"])
        #expect(charged.status == .succeeded)
        let chargeID = try #require(charged.chargeID)
        #expect(chargeID.hasPrefix("ch_"))
        #expect(try await client.intent(id: charged.id).chargeID == chargeID, "latest_charge, as the real API renders it")
        let refund = try await client.refund(intentID: charged.id, amount: 400, idempotencyKey: "refund-1",
                                             metadata: ["hourglass_txn_id": "22222222-2222-8222-8222-222222222222"])
        #expect(psp.psp.unpaidBalanceTransactionCount == 2)

        #expect(await psp.psp.payOut(currency: "eur").isEmpty, "nothing in euros")
        let payout = try #require(await psp.psp.payOut().first)
        // 1.5% of £15.00 is 22.5p, rounded half up to 23p, plus 20p.
        #expect(payout.amount == 1500 - 43 - 400)
        #expect(payout.currency == "gbp" && payout.balanceTransactionCount == 2)
        #expect(await psp.psp.payOut().isEmpty, "each movement is paid out once")

        let (header, rows) = Self.rows(try await client.payoutReport(payoutID: payout.id))
        #expect(header == Self.header)
        #expect(rows.count == 2)
        #expect(rows[0]["automatic_payout_id"] == payout.id && rows[1]["automatic_payout_id"] == payout.id)
        #expect(rows[0]["reporting_category"] == "charge" && rows[0]["source_id"] == chargeID)
        #expect(rows[0]["gross"] == "15.00" && rows[0]["fee"] == "0.43" && rows[0]["net"] == "14.57" && rows[0]["currency"] == "gbp")
        #expect(rows[0]["payment_intent_id"] == charged.id)
        #expect(rows[0]["payment_metadata[hourglass_txn_id]"] == "11111111-1111-8111-8111-111111111111")
        #expect(rows[1]["reporting_category"] == "refund" && rows[1]["source_id"] == refund.id)
        #expect(rows[1]["gross"] == "-4.00" && rows[1]["fee"] == "0.00" && rows[1]["net"] == "-4.00")
        #expect(rows[1]["payment_metadata[hourglass_txn_id]"] == "22222222-2222-8222-8222-222222222222", "the refund's own posting")
        let created = try #require(rows[0]["created_utc"])
        #expect(created.wholeMatch(of: #/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/#) != nil, "\(created)")
    }

    @Test func aSlowReportIsWaitedForAndOneTooSlowIsAGatewayError() async throws {
        let (psp, client) = try Self.sandbox()
        defer { Task { await psp.stop() } }
        let card = try await client.saveCard(token: "tok_visa", idempotencyKey: "card-1")
        _ = try await client.charge(amount: 2000, currency: "GBP", card: card.id, offSession: false, idempotencyKey: "c-1", metadata: [:])
        let payout = try #require(await psp.psp.payOut().first)
        psp.psp.delayReportRuns(polls: 2)
        #expect(Self.rows(try await client.payoutReport(payoutID: payout.id)).rows.count == 1, "polled until it succeeded")

        _ = try await client.charge(amount: 1000, currency: "GBP", card: card.id, offSession: false, idempotencyKey: "c-2", metadata: [:])
        let second = try #require(await psp.psp.payOut().first)
        psp.psp.delayReportRuns(polls: 1000)
        let impatient = PSPClient(baseURL: URL(string: psp.baseURL)!, apiKey: psp.apiKey, reportWait: .milliseconds(600))
        await #expect(throws: GatewayError.self) { try await impatient.payoutReport(payoutID: second.id) }
        psp.psp.simulateOutage(true)
        do {
            _ = try await client.payoutReport(payoutID: second.id)
            Issue.record("a processor that is down gave a report")
        } catch let error as GatewayError {
            #expect(error.code == "api_unavailable")
        }
    }

    @Test func theReportingAPIRefusesWhatTheRealOneRefuses() async throws {
        let (psp, _) = try Self.sandbox()
        defer { Task { await psp.stop() } }
        let api = try TestConnection(port: psp.server.port)
        let noKey = try await api.json("POST", "/v1/reporting/report_runs", ["report_type": SandboxPSP.itemisedPayoutReport])
        #expect(noKey.status == 401)
        let unknownType = try await api.json("POST", "/v1/reporting/report_runs",
                                             ["report_type": "balance.summary.1", "parameters": ["payout": "po_x"]], token: psp.apiKey)
        #expect(unknownType.status == 400, "\(unknownType.text)")
        let noPayout = try await api.json("POST", "/v1/reporting/report_runs", ["report_type": SandboxPSP.itemisedPayoutReport], token: psp.apiKey)
        #expect(noPayout.status == 400, "\(noPayout.text)")
        let form = Array("report_type=\(SandboxPSP.itemisedPayoutReport)&parameters%5Bpayout%5D=po_unknown".utf8)
        let unknownPayout = try await api.request("POST", "/v1/reporting/report_runs",
                                                  headers: [("Authorization", "Bearer \(psp.apiKey)"),
                                                            ("Content-Type", "application/x-www-form-urlencoded")], body: form)
        #expect(unknownPayout.status == 404, "\(unknownPayout.text)")
        #expect(try await api.json("GET", "/v1/reporting/report_runs/frr_nope", token: psp.apiKey).status == 404)
        #expect(try await api.json("GET", "/v1/files/file_nope/contents", token: psp.apiKey).status == 404)
        let badCurrency = try await api.json("POST", "/v1/test_helpers/payouts", ["currency": "pounds"], token: psp.apiKey)
        #expect(badCurrency.status == 400)

        // A payout asked for over HTTP, and its report run as JSON: a run that succeeded, with its file.
        let card = try await api.json("POST", "/v1/payment_methods", ["token": "tok_visa"], token: psp.apiKey).json()["id"] as! String
        let intent = try await api.json("POST", "/v1/payment_intents", ["amount": 1000, "currency": "gbp", "payment_method": card],
                                        token: psp.apiKey).json()
        #expect((intent["latest_charge"] as? String)?.hasPrefix("ch_") == true)
        let paid = try await api.json("POST", "/v1/test_helpers/payouts", ["currency": "gbp"], token: psp.apiKey).json()
        let payout = try #require((paid["data"] as? [[String: Any]])?.first)
        #expect(payout["status"] as? String == "paid" && payout["amount"] as? Int == 1000 - 35)
        let run = try await api.json("POST", "/v1/reporting/report_runs",
                                     ["report_type": SandboxPSP.itemisedPayoutReport, "parameters": ["payout": payout["id"]!]],
                                     token: psp.apiKey).json()
        #expect(run["object"] as? String == "reporting.report_run" && run["status"] as? String == "succeeded")
        let file = try #require(run["result"] as? [String: Any])
        let url = try #require(URL(string: file["url"] as? String ?? ""))
        #expect(url.port == Int(psp.server.port) && url.path == "/v1/files/\(file["id"] as! String)/contents")
        let contents = try await api.json("GET", url.path, token: psp.apiKey)
        #expect(contents.status == 200 && contents.text.hasPrefix(Self.header + "\n"))
        #expect(try await api.json("GET", "/v1/reporting/report_runs/\(run["id"] as! String)", token: psp.apiKey).json()["status"] as? String
                == "succeeded")
    }
}
