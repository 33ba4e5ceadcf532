import Foundation
@testable import Hourglass
import HTTPServer
import SandboxPSP
import TestSupport
import Testing

/// A handler past HTTP_HANDLER_TIMEOUT_MS is cancelled (its statements stop, its connection is
/// returned), except for the part of a keyed money request that runs once its claim is taken:
/// stopping there would leave a card charged and not booked, and the key claimed for its lapse.
@Suite(.tags(.database)) struct HandlerTimeoutMoneyTests {
    @Test func aTopUpWhoseHandlerTimesOutDuringTheChargeIsStillBookedAndItsKeyAnswered() async throws {
        // Signed up through an ordinary server (password hashing must not race the short
        // deadline); the card and the top-up go through the one with the short deadline and its
        // own sandbox processor.
        let front = try Fixtures.server()
        defer { Task { await front.stop() } }
        let signedUp = try await TestDriver.make(front)
        let (server, psp) = try Fixtures.serverWithPSP(configure: { $0.handlerTimeout = .seconds(2); $0.runsHandlersOnEventLoops = true })
        defer { Task { await server.stop() } }
        let driver = TestDriver(client: try TestConnection(port: server.port), token: signedUp.token, id: signedUp.id,
                                vehicleID: signedUp.vehicleID)
        let card = try await driver.addCard("tok_visa")
        psp.psp.setWebhookURL(nil)  // only the request itself can book the charge
        psp.psp.holdChargeAnswers(true)
        let body: [String: Any] = ["amount": 2000, "payment_method_id": card]
        let first = try await TestConnection(port: server.port, timeout: 15).json(
            "POST", "/v1/wallet/top-ups", body, token: driver.token, headers: [("Idempotency-Key", "slow-charge-1")])
        #expect(first.status == 503, "\(first.text)")  // the deadline passed while the processor held its answer
        psp.psp.holdChargeAnswers(false)

        // The money part went on after the 503: booked once, and the key holds the real answer.
        #expect(try await eventually { try await driver.balance() == 2000 })
        let retry = try await TestConnection(port: server.port).json(
            "POST", "/v1/wallet/top-ups", body, token: driver.token, headers: [("Idempotency-Key", "slow-charge-1")])
        #expect(retry.status == 201, "\(retry.text)")
        #expect(try retry.json()["status"] as? String == "succeeded")
        #expect(psp.psp.intentCounts.succeeded == 1)
        #expect(try await driver.balance() == 2000)
        try await expectLedgerConsistent()
    }
}
