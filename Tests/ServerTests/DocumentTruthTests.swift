import AppKernel
import Foundation
import Identity
import Payments
import Postgres
import TestSupport
import Testing
import Wallet

/// Issue #9, item 9: documents tell the truth. Statements reconcile with the ledger over random
/// money histories; a cancelled policy's certificate says so.
@Suite(.tags(.database)) struct DocumentTruthTests {
    @Test(arguments: [11, 23, 37, 41])
    func weeklyStatementsReconcileOverRandomHistories(seed: UInt64) async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        var random = SeededGenerator(seed: seed)
        var scene = try await CoverScene.make(server, at: "2026-11-02T08:00:00Z", bind: false, topUp: 3000)   // Monday of 2026-W45
        (scene.policyID, scene.rate) = try await scene.bindPAYG(vehicleID: scene.driver.vehicleID)
        let wallet = Wallet(app: server.app, payments: Payments(app: server.app, gateway: NoGateway(), outcomes: PaymentOutcomes()))
        let driverID = UUID(uuidString: scene.driver.id)!
        var clock = RFC3339.parse("2026-11-02T08:00:00Z")!
        var blocks: [String] = []
        var sessionID: String?
        let token = scene.driver.token, client = scene.driver.client

        for step in 0..<36 {
            switch Int.random(in: 0..<9, using: &random) {
            case 0:
                _ = try await scene.driver.topUp(Int.random(in: 500...4000, using: &random), card: scene.card)
            case 1:
                let amount = Int64.random(in: 100...900, using: &random)
                try await TestDatabase.pool.withTransaction { transaction in
                    let now = try await Identity(app: server.app).now(for: driverID, on: transaction)
                    try await wallet.grantPromo(driverID: driverID, amount: amount, description: "Random promo \(step)",
                                                causedBy: "promo:test:\(seed):\(step)", at: now, on: transaction)
                }
            case 2, 3:
                let start = RFC3339.format(clock.addingTimeInterval(Double(Int.random(in: 0...30, using: &random)) * 3600))
                let quote = try await scene.driver.quote(["product": "hourly", "hours": Int.random(in: 1...3, using: &random),
                                                          "starts_at": start]).json()
                var body: [String: Any] = ["quote_id": quote["id"]!]
                if Bool.random(using: &random) { body["payment_method_id"] = scene.card }
                let bound = try await client.json("POST", "/v1/policies", body, token: token)
                #expect([201, 422].contains(bound.status), "\(bound.text)")
                if bound.status == 201 { blocks.append(try bound.json()["id"] as! String) }
            case 4 where !blocks.isEmpty:
                let block = blocks.remove(at: Int.random(in: 0..<blocks.count, using: &random))
                #expect([200, 409].contains(try await client.json("POST", "/v1/policies/\(block)/cancel", token: token).status))
            case 5:
                if let open = sessionID {
                    _ = try await client.json("POST", "/v1/sessions/\(open)/end", token: token)
                    sessionID = nil
                } else {
                    let started = try await client.json("POST", "/v1/policies/\(scene.policyID)/sessions", token: token)
                    #expect([201, 422].contains(started.status), "\(started.text)")
                    if started.status == 201 { sessionID = try started.json()["id"] as? String }
                }
            default:
                clock = clock.addingTimeInterval(Double(Int.random(in: 10...(40 * 60), using: &random)) * 60)
                try await scene.advance(to: RFC3339.format(clock))
            }
        }
        if let open = sessionID { _ = try await client.json("POST", "/v1/sessions/\(open)/end", token: token) }
        clock = clock.addingTimeInterval(2 * 3600)
        try await scene.advance(to: RFC3339.format(clock))

        var previousClosing: (cash: Int, promo: Int)?
        for week in ["2026-W45", "2026-W46", "2026-W47", "2026-W48"] {
            let response = try await client.json("GET", "/v1/statements/\(week)", token: token)
            if response.status == 404 { break }   // not started on this clock
            let statement = try response.json()
            func amount(_ key: String, in object: [String: Any] = statement) -> Int { object[key] as! Int }
            let promo = statement["promo"] as! [String: Any], card = statement["card"] as! [String: Any]
            let lines = statement["lines"] as! [[String: Any]]
            // The wallet's cash, to the penny.
            #expect(amount("opening_balance_amount") + amount("top_ups_amount") - amount("charges_amount") + amount("refunds_amount")
                    + amount("adjustments_amount") == amount("closing_balance_amount"), "\(week): \(statement)")
            #expect(lines.reduce(0) { $0 + ($1["cash_amount"] as! Int) } == amount("closing_balance_amount") - amount("opening_balance_amount"))
            // Promotional credit, apart.
            #expect(amount("opening_balance_amount", in: promo) + amount("credited_amount", in: promo) - amount("spent_amount", in: promo)
                    + amount("refunded_amount", in: promo) + amount("adjustments_amount", in: promo) == amount("closing_balance_amount", in: promo))
            // Card-paid lines never touch either balance.
            let cardLines = lines.filter { $0["funding"] as? String == "card" && $0["type"] as? String != "top_up" }
            #expect(cardLines.allSatisfy { $0["cash_amount"] as? Int == 0 && $0["promo_amount"] as? Int == 0 })
            #expect(amount("purchases_amount", in: card) == -cardLines.filter { $0["type"] as? String == "block_purchase" }
                .reduce(0) { $0 + ($1["amount"] as! Int) })
            #expect(amount("refunds_amount", in: card) == cardLines.filter { $0["type"] as? String == "refund" }
                .reduce(0) { $0 + ($1["amount"] as! Int) })
            if let previousClosing {
                #expect(amount("opening_balance_amount") == previousClosing.cash)
                #expect(amount("opening_balance_amount", in: promo) == previousClosing.promo)
            }
            previousClosing = (amount("closing_balance_amount"), amount("closing_balance_amount", in: promo))
        }
        let walletNow = try await client.json("GET", "/v1/wallet", token: token).json()
        #expect(previousClosing?.cash == walletNow["balance_amount"] as? Int)
        #expect(previousClosing?.promo == walletNow["promo_balance_amount"] as? Int)
        try await expectLedgerConsistent()
    }

    /// A cancelled block's certificate used to read "From … to …" with no word of it.
    @Test func aCancelledPolicysCertificateSaysSo() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let scene = try await CoverScene.make(server, at: "2026-06-05T10:00:00Z", bind: false)
        let quote = try await scene.driver.quote(["product": "hourly", "hours": 3]).json()
        let block = try await scene.driver.client.json("POST", "/v1/policies", ["quote_id": quote["id"]!], token: scene.driver.token).json()
        let id = block["id"] as! String
        let issued = try await scene.driver.client.json("GET", "/v1/policies/\(id)/certificate", token: scene.driver.token)
        #expect(issued.text.contains("From 2026-06-05T10:00:00Z to 2026-06-05T13:00:00Z"))
        #expect(!issued.text.contains("CANCELLED"))
        try await scene.advance(to: "2026-06-05T11:15:00Z")
        #expect(try await scene.driver.client.json("POST", "/v1/policies/\(id)/cancel", token: scene.driver.token).status == 200)

        let html = try await scene.driver.client.json("GET", "/v1/policies/\(id)/certificate", token: scene.driver.token)
        #expect(html.status == 200)
        #expect(html.text.contains("CANCELLED at 2026-06-05T11:15:00Z"))
        #expect(html.text.contains("cover was in force from 2026-06-05T10:00:00Z until 2026-06-05T11:15:00Z"))
        #expect(html.header("etag") != issued.header("etag"))
        let pdf = try await scene.driver.client.request("GET", "/v1/policies/\(id)/certificate",
                                                        headers: [("Authorization", "Bearer \(scene.driver.token)"), ("Accept", "application/pdf")])
        #expect(pdf.header("content-type") == "application/pdf")
        #expect(String(decoding: pdf.body, as: UTF8.self).contains("CANCELLED"))

        // A PAYG policy's too, and one cancelled before its block began says it never covered.
        let (payg, _) = try await scene.bindPAYG(vehicleID: scene.driver.vehicleID)
        _ = try await scene.driver.client.json("POST", "/v1/policies/\(payg)/cancel", token: scene.driver.token)
        #expect(try await scene.driver.client.json("GET", "/v1/policies/\(payg)/certificate", token: scene.driver.token).text
            .contains("CANCELLED at 2026-06-05T11:15:00Z"))
        let later = try await scene.driver.quote(["product": "hourly", "hours": 1, "starts_at": "2026-06-06T09:00:00Z"]).json()
        let future = try await scene.driver.client.json("POST", "/v1/policies", ["quote_id": later["id"]!], token: scene.driver.token).json()
        _ = try await scene.driver.client.json("POST", "/v1/policies/\(future["id"]!)/cancel", token: scene.driver.token)
        #expect(try await scene.driver.client.json("GET", "/v1/policies/\(future["id"]!)/certificate", token: scene.driver.token).text
            .contains("before cover began: this policy never provided cover"))
    }
}
