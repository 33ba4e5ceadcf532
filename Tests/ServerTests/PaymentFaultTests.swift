import AppKernel
import Foundation
import HTTPServer
@testable import Hourglass
import Logging
import Payments
import Postgres
import Synchronization
@testable import SandboxPSP
import TestSupport
import Testing
import Wallet

/// Issue #14, item 5: money that survives a failing processor and a database that goes away.
@Suite(.tags(.database)) struct PaymentFaultTests {
    /// The same seed draws the same faults for the same calls; names parse, nonsense is refused.
    @Test func aFaultPlanIsParsedAndSeeded() throws {
        let plan = try #require(try SandboxPSP.FaultPlan.fromEnvironment([
            "SANDBOX_PSP_FAULT_RATE": "0.5", "SANDBOX_PSP_FAULTS": "5xx,drop_after", "SANDBOX_PSP_LATENCY_MS": "20",
            "SANDBOX_PSP_FAULT_SEED": "7",
        ]))
        #expect(plan.faults == [.errorAfter, .errorBefore, .dropAfter].sorted())
        #expect(plan.latency == .milliseconds(20))
        #expect(try SandboxPSP.FaultPlan.fromEnvironment([:]) == nil)
        #expect(throws: SandboxPSP.ConfigurationError.self) { try SandboxPSP.FaultPlan.fromEnvironment(["SANDBOX_PSP_FAULT_RATE": "2"]) }
        #expect(throws: SandboxPSP.ConfigurationError.self) {
            try SandboxPSP.FaultPlan.fromEnvironment(["SANDBOX_PSP_FAULT_RATE": "0.1", "SANDBOX_PSP_FAULTS": "5xx,fire"])
        }
        let psp = SandboxPSP(configuration: .init(apiKey: "k", webhookSecret: "s", webhookURL: nil, publicBaseURL: "http://x"),
                             logger: Logger(label: "test"))
        // Without a relay in front, a plan that drops connections cannot be kept.
        #expect(throws: SandboxPSP.ConfigurationError.self) { try psp.setFaults(plan) }
        psp.allowDrops()
        func draws() throws -> [String] {
            try psp.setFaults(plan)
            return (0..<200).map { _ in psp.drawFault()?.0.rawValue ?? "-" }
        }
        let first = try draws()
        #expect(try draws() == first)
        #expect(Set(first) == ["-", "5xx_before", "5xx_after", "drop_after"])
        #expect((70...130).contains(first.filter { $0 != "-" }.count))
    }

    /// Five drivers make 20 keyed top-ups each, four at a time, through a processor that fails
    /// one call in five (late answers, 500s before and after the charge, connections dropped
    /// before and after it); their app retries each key a few times. After the recovery job,
    /// every wallet equals the processor's successful charges for that driver, each charge is
    /// booked exactly once under its own ledger transaction, none is charged twice, and the
    /// ledger balances.
    @Test func keyedTopUpsThroughAFaultyProcessorAreEachBookedOnce() async throws {
        var logger = Logger(label: "psp")
        logger.logLevel = .critical
        let psp = try InProcessSandboxPSP(port: 0, logger: logger, withFaultRelay: true)
        let server = try Self.server(using: psp)
        psp.psp.setWebhookURL("http://127.0.0.1:\(server.port)/v1/webhooks/psp")
        defer { Task { await server.stop(); await psp.stop() } }
        var drivers: [(driver: TestDriver, card: String)] = []
        for _ in 0..<5 {
            let driver = try await TestDriver.make(server)
            drivers.append((driver, try await driver.addCard("tok_visa")))
        }
        try psp.psp.setFaults(.init(rate: 0.2, faults: [.latency, .errorBefore, .errorAfter, .dropBefore, .dropAfter],
                                    latency: .milliseconds(30), seed: 14))
        let outcomes = try await withThrowingTaskGroup(of: [Int].self) { group in
            for (index, (driver, card)) in drivers.enumerated() {
                for lane in 0..<4 {
                    group.addTask {
                        var statuses: [Int] = []
                        for number in 0..<5 {
                            statuses.append(try await Self.topUpWithRetries(port: server.port, driver: driver, card: card,
                                                                            amount: 500 + 100 * lane, key: "fault-\(index)-\(lane)-\(number)"))
                        }
                        return statuses
                    }
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(outcomes.count == 100)
        #expect(psp.psp.faultCounts.injected.values.reduce(0, +) > 10)

        // The recovery job, faults and all, until nothing is left unsettled.
        let paymentOutcomes = PaymentOutcomes()
        let payments = Payments(app: server.app, gateway: PSPClient(baseURL: URL(string: psp.baseURL)!, apiKey: psp.apiKey),
                                outcomes: paymentOutcomes)
        let wallet = Wallet(app: server.app, payments: payments)
        paymentOutcomes.register(.topUp) { payment, transaction in try await wallet.topUpSettled(payment, on: transaction) }
        let driverIDs = drivers.map { UUID(uuidString: $0.driver.id)! }
        for _ in 0..<10 {
            await payments.recoverUnsettled(olderThan: .zero, driverIDs: driverIDs)
            let left = try await TestDatabase.pool.queryValue("""
                SELECT count(*) FROM payments.payments WHERE driver_id = ANY(\(driverIDs)) AND status IN ('processing', 'requires_action')
                """, as: Int.self)
            if left == 0 { break }
        }
        try psp.psp.setFaults(nil)
        try await expectBooksMatchTheProcessor(psp: psp.psp, drivers: drivers.map(\.driver))
        try await expectLedgerConsistent()
    }

    /// The database goes away after the processor took the money and before we recorded it.
    /// The request waits for it and records the charge when it is back, so the app's retry of
    /// the key gets the real answer (201, the same payment) within seconds, not 409 for the
    /// claim's whole minute; and the card is charged once.
    @Test func aRetriedKeyIsAnsweredSoonAfterTheDatabaseIsBack() async throws {
        let proxy = try FaultyTCPProxy(upstreamPort: Fixtures.databasePort)
        var configuration = PostgresConfiguration(url: TestDatabase.url.replacingOccurrences(
            of: ":\(Fixtures.databasePort)/", with: ":\(proxy.port)/"))
        configuration.connectTimeout = .seconds(1)
        let pool = PostgresPool(configuration: configuration, options: .init(maxConnections: 8, acquireTimeout: .seconds(1)))
        let (server, psp) = try Fixtures.serverWithPSP(database: pool)
        defer { Task { await server.stop(); await pool.close(); proxy.stop() } }
        let driver = try await TestDriver.make(server)
        let card = try await driver.addCard("tok_visa")
        psp.psp.holdChargeAnswers(true)
        psp.psp.setWebhookURL(nil)   // only the request itself can record the charge
        let first = Task {
            try await TestConnection(port: server.port, timeout: 40).json(
                "POST", "/v1/wallet/top-ups", ["amount": 1800, "payment_method_id": card], token: driver.token,
                headers: [("Idempotency-Key", "outage-1")])
        }
        #expect(try await eventually { psp.psp.intentCounts.succeeded == 1 })   // the money moved...
        proxy.set(.down)                                                         // ...and the database is gone
        psp.psp.holdChargeAnswers(false)
        try await Task.sleep(for: .seconds(2))
        proxy.set(.up)
        let back = ContinuousClock.now

        let retry = try TestConnection(port: server.port, timeout: 20)
        var answer = try await retry.json("POST", "/v1/wallet/top-ups", ["amount": 1800, "payment_method_id": card], token: driver.token,
                                          headers: [("Idempotency-Key", "outage-1")])
        while answer.status == 409, ContinuousClock.now - back < .seconds(8) {
            try await Task.sleep(for: .milliseconds(200))
            answer = try await retry.json("POST", "/v1/wallet/top-ups", ["amount": 1800, "payment_method_id": card], token: driver.token,
                                          headers: [("Idempotency-Key", "outage-1")])
        }
        #expect(answer.status == 201, "\(answer.status) \(answer.text)")
        #expect(ContinuousClock.now - back < .seconds(8))
        let original = try await first.value
        #expect(original.status == 201, "\(original.text)")
        #expect(try answer.json()["id"] as? String == (try original.json()["id"] as? String))
        #expect(try answer.json()["status"] as? String == "succeeded")
        #expect(psp.psp.intentCounts.all == 1)
        #expect(try await driver.balance() == 1800)
        try await expectLedgerConsistent()
    }

    /// A test server (all modules, no job workers) whose card processor is `psp`, reached over
    /// HTTP as a separate processor would be (`Fixtures.serverWithPSP` starts its own).
    static func server(using psp: InProcessSandboxPSP) throws -> TestServer {
        let config = try TestServer.config(["PSP_BASE_URL": psp.baseURL, "PSP_API_KEY": psp.apiKey, "PSP_WEBHOOK_SECRET": psp.webhookSecret])
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let services = try Services.make(config, logger: logger, database: TestDatabase.pool, jobQueue: "test-\(UUID().uuidString)")
        return try TestServer(config: config, database: TestDatabase.pool, modules: { app in try! installedModules(app, services: services) },
                              expectedSchemaVersion: Fixtures.repositorySchemaVersion,
                              serverConfiguration: HTTPServerConfiguration(host: "127.0.0.1", port: 0, eventLoopCount: 2),
                              onStop: { await services.stop() })
    }

    /// A top-up as a phone app makes it: on a 5xx or 409, or no answer, the same key again
    /// after a pause, up to six tries. The last status seen.
    static func topUpWithRetries(port: UInt16, driver: TestDriver, card: String, amount: Int, key: String) async throws -> Int {
        var status = 0
        for attempt in 0..<6 {
            if attempt > 0 { try await Task.sleep(for: .milliseconds(150 * attempt)) }
            do {
                status = try await TestConnection(port: port, timeout: 30).json(
                    "POST", "/v1/wallet/top-ups", ["amount": amount, "payment_method_id": card], token: driver.token,
                    headers: [("Idempotency-Key", key)]).status
            } catch {
                status = 0
            }
            if (200..<300).contains(status) || (400..<500).contains(status) && status != 409 { return status }
        }
        return status
    }
}

/// Our books against the processor's own records: per driver, the wallet equals the charges
/// that succeeded; each such charge has exactly one ledger transaction (its `hourglass_txn_id`)
/// and one payment, recorded `succeeded`; no payment was charged twice; and nothing succeeded
/// with us that the processor did not charge.
func expectBooksMatchTheProcessor(psp: SandboxPSP, drivers: [TestDriver]) async throws {
    let intents = psp.state.withLock { Array($0.intents.values) }
    let charged = intents.filter { $0.status == "succeeded" }
    let paymentIDs = charged.compactMap { $0.metadata["payment_id"].flatMap(UUID.init(uuidString:)) }
    #expect(paymentIDs.count == charged.count)
    #expect(Set(paymentIDs).count == paymentIDs.count, "a payment was charged twice")
    let owners = try await TestDatabase.pool.queryAll("""
        SELECT id, driver_id, status FROM payments.payments WHERE id = ANY(\(paymentIDs))
        """) { (try $0.decode(UUID.self, at: 0), try $0.decode(UUID.self, at: 1), try $0.decode(String.self, at: 2)) }
    #expect(owners.count == paymentIDs.count, "a charge with no payment of ours")
    #expect(owners.allSatisfy { $0.2 == "succeeded" }, "a charge not recorded as succeeded")
    for driver in drivers {
        let driverID = UUID(uuidString: driver.id)!
        let mine = Set(owners.filter { $0.1 == driverID }.map(\.0))
        let expected = charged.filter { mine.contains(UUID(uuidString: $0.metadata["payment_id"] ?? "") ?? UUID()) }
        #expect(try await driver.balance() == Int(expected.reduce(0) { $0 + $1.amount }), "driver \(driver.id)")
        let booked = try await TestDatabase.pool.queryAll("""
            SELECT id FROM ledger.transactions WHERE driver_id = \(driverID) AND kind = 'top_up'
            """) { try $0.decode(UUID.self, at: 0) }
        #expect(Set(booked) == Set(expected.compactMap { $0.metadata["hourglass_txn_id"].flatMap(UUID.init(uuidString:)) }))
        #expect(booked.count == expected.count)
        let succeededWithUs = try await TestDatabase.pool.queryValue("""
            SELECT count(*) FROM payments.payments WHERE driver_id = \(driverID) AND status = 'succeeded'
            """, as: Int.self)
        #expect(succeededWithUs == expected.count)
    }
}
