import Foundation
import TestSupport
import Testing

@Suite(.tags(.database)) struct ClaimTests {
    @Test func claimsNeedCoverAtThatInstantAndTakeAttachments() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let (clocks, clockID) = try await TestClock.make(server, frozenAt: "2026-09-01T09:00:00Z")
        let driver = try await TestDriver.make(server, ["test_clock_id": clockID])
        let quote = try await driver.quote().json()
        let policyID = try await driver.client.json("POST", "/v1/policies", ["quote_id": quote["id"]!], token: driver.token).json()["id"] as! String
        let card = try await driver.addCard("tok_visa")
        #expect(try await driver.topUp(2000, card: card).status == 201)
        let session = try await driver.client.json("POST", "/v1/policies/\(policyID)/sessions", token: driver.token).json()
        _ = try await clocks.json("POST", "/v1/test-clocks/\(clockID)/advance", ["frozen_time": "2026-09-01T10:30:00Z"])
        _ = try await driver.client.json("POST", "/v1/sessions/\(session["id"]!)/end", token: driver.token)

        let claim: [String: Any] = ["policy_id": policyID, "occurred_at": "2026-09-01T09:30:00Z", "type": "accident",
                                    "description": "Rear-ended at a junction", "location": "Commercial Road, E1",
                                    "third_parties": [["name": "J. Smith", "registration": "XY12 ABC", "insurer": "Acme", "phone": "07700 900999"]]]
        let created = try await driver.client.json("POST", "/v1/claims", claim, token: driver.token)
        #expect(created.status == 201)
        let body = try created.json()
        #expect((body["reference"] as? String)?.hasPrefix("CL-") == true)
        #expect(body["status"] as? String == "submitted")
        #expect(body["session_id"] as? String == session["id"] as? String)

        var outside = claim
        outside["occurred_at"] = "2026-09-01T08:00:00Z"  // before any cover
        let refused = try await driver.client.json("POST", "/v1/claims", outside, token: driver.token)
        #expect(refused.status == 422)
        #expect((try refused.json()["type"] as? String)?.hasSuffix("/no-cover") == true, "\(refused.text)")
        var future = claim
        future["occurred_at"] = "2026-09-02T12:00:00Z"
        #expect(try await driver.client.json("POST", "/v1/claims", future, token: driver.token).status == 422)
        var badType = claim
        badType["type"] = "boredom"
        #expect(try await driver.client.json("POST", "/v1/claims", badType, token: driver.token).status == 422)

        let id = body["id"] as! String
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 7, count: 100)
        let attached = try await driver.client.request("POST", "/v1/claims/\(id)/attachments",
                                                       headers: [("Authorization", "Bearer \(driver.token)"), ("Content-Type", "image/png")], body: png)
        #expect(attached.status == 201)
        #expect(try attached.json()["size_bytes"] as? Int == 108)
        let wrongType = try await driver.client.request("POST", "/v1/claims/\(id)/attachments",
                                                        headers: [("Authorization", "Bearer \(driver.token)"), ("Content-Type", "text/plain")], body: png)
        #expect(wrongType.status == 415)
        let huge = try TestConnection(port: server.port)
        try await huge.send("POST /v1/claims/\(id)/attachments HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer \(driver.token)\r\n"
            + "Content-Type: application/pdf\r\nContent-Length: \(10 * 1024 * 1024 + 1)\r\n\r\n")
        #expect(try await huge.readResponse().status == 413)

        let shown = try await driver.client.json("GET", "/v1/claims/\(id)", token: driver.token).json()
        #expect(shown["attachments"] as? Int == 1)
        #expect((shown["third_parties"] as? [[String: Any]])?.first?["registration"] as? String == "XY12 ABC")
        #expect((try await driver.client.json("GET", "/v1/claims", token: driver.token).json()["data"] as? [Any])?.count == 1)

        let other = try await TestDriver.make(server)
        #expect(try await other.client.json("GET", "/v1/claims/\(id)", token: other.token).status == 404)
        #expect(try await other.client.json("POST", "/v1/claims", claim, token: other.token).status == 404)
    }
}
