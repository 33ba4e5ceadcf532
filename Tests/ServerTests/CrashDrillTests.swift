import Foundation
@testable import Hourglass
import Logging
import Migrations
import Postgres
import SandboxPSP
import TestSupport
import Testing

/// Issue #9, item 6, the crash: the real server is killed (SIGKILL) after the card processor
/// captured a top-up and before our commit, then restarted. The money is credited exactly
/// once: by the processor's webhook (found by our metadata, the intent id was never recorded)
/// or by the recovery sweep that runs when workers start. Each drill has its own database, so
/// its recovery sweep sees only its own payments.
@Suite(.tags(.database)) struct CrashDrillTests {
    @Test(arguments: [true, false])
    func aTopUpCapturedJustBeforeACrashIsCreditedOnce(byWebhook: Bool) async throws {
        try await TestDatabase.withScratchDatabase { configuration in
            let connection = try await PostgresConnection.connect(configuration)
            try await Migrator(migrations: try Migration.load(directory: TestServer.repositoryRoot.appendingPathComponent("migrations")))
                .migrate(on: connection)
            await connection.close()
            var logger = Logger(label: "drill")
            logger.logLevel = .error
            let psp = try InProcessSandboxPSP(port: 0, logger: logger)
            let port = try ServerProcess.freePort()
            psp.psp.setWebhookURL(byWebhook ? "http://127.0.0.1:\(port)/v1/webhooks/psp" : nil)
            psp.psp.delayWebhooks(by: .milliseconds(1500))   // the server dies before it arrives
            let environment = [
                "HOURGLASS_ENV": "test", "DATABASE_URL": configuration.url, "LOG_LEVEL": "error", "JOBS_IN_PROCESS": "true",
                "PSP_BASE_URL": psp.baseURL, "PSP_API_KEY": psp.apiKey, "PSP_WEBHOOK_SECRET": psp.webhookSecret,
                // The webhook drill leaves recovery to its minute slot; the other relies on the start-up sweep.
                "PAYMENT_RECOVERY_AFTER_SECONDS": byWebhook ? "3600" : "1",
            ]
            let first = ServerProcess(port: port, environment: environment)
            try await first.start()
            let driver = try await TestDriver.make(port: port)
            let card = try await driver.addCard("tok_visa")

            psp.psp.holdChargeAnswers(true)
            let request = Task {
                try? await TestConnection(port: port, timeout: 30).json("POST", "/v1/wallet/top-ups", ["amount": 2000, "payment_method_id": card],
                                                                        token: driver.token, headers: [("Idempotency-Key", "crash-drill")])
            }
            #expect(try await eventually { psp.psp.intentCounts.succeeded == 1 })   // the card is debited...
            await first.kill()                                                       // ...and we die before recording it
            psp.psp.holdChargeAnswers(false)
            _ = await request.value
            let pool = PostgresPool(configuration: configuration, options: .init(maxConnections: 2))
            let driverID = UUID(uuidString: driver.id)!
            let left = try await pool.queryOne("SELECT status, psp_intent_id FROM payments.payments WHERE driver_id = \(driverID)") {
                (try $0.decode(String.self, at: 0), try $0.decode(String?.self, at: 1))
            }
            #expect(left.0 == "processing" && left.1 == nil)   // the crash left exactly the state the issue describes

            try await Task.sleep(for: .milliseconds(1200))   // down for a moment: the payment is older than the recovery threshold
            let second = ServerProcess(port: port, environment: environment)
            try await second.start()
            let restarted = try TestConnection(port: port)
            func balance() async throws -> Int {
                try await restarted.json("GET", "/v1/wallet", token: driver.token).json()["balance_amount"] as! Int
            }
            #expect(try await eventually(20) { try await balance() == 2000 })
            try await Task.sleep(for: .seconds(2))   // and nothing more arrives later
            #expect(try await balance() == 2000)
            let topUps = try await pool.queryValue(
                "SELECT count(*) FROM ledger.transactions WHERE driver_id = \(driverID) AND kind = 'top_up'", as: Int.self)
            #expect(topUps == 1)
            #expect(try await pool.queryValue("SELECT status FROM payments.payments WHERE driver_id = \(driverID)", as: String.self) == "succeeded")
            // The driver's app retries the request with its key: never a second charge.
            let retry = try await restarted.json("POST", "/v1/wallet/top-ups", ["amount": 2000, "payment_method_id": card], token: driver.token,
                                                 headers: [("Idempotency-Key", "crash-drill")])
            #expect([201, 409].contains(retry.status), "\(retry.text)")
            #expect(psp.psp.intentCounts.all == 1)
            #expect(try await balance() == 2000)
            await second.stop()
            await pool.close()
            await psp.stop()
        }
    }
}
