import AppKernel
import Foundation
import Ledger
import Postgres
import TestSupport
import Testing

/// Issue #9, item 7: the ledger neither deadlocks nor crashes, and the database checks every
/// entry, whenever it is added.
@Suite(.tags(.database)) struct LedgerIntegrityTests {
    /// `Ledger.post` used to stop the process (a precondition) on an unbalanced posting.
    @Test func anUnbalancedPostingIsAnErrorAndWritesNothing() async throws {
        let cause = "test:unbalanced:\(UUID().uuidString)"
        await #expect(throws: LedgerError.self) {
            try await TestDatabase.pool.withTransaction { transaction in
                try await Ledger().post(LedgerPosting(
                    causedBy: cause, kind: .fee, driverID: nil, description: "unbalanced", driverAmount: 0, funding: "none", relatedID: nil,
                    entries: [(.premiumIncome, -100), (.pspClearing, 99)], createdAt: Date()), on: transaction)
            }
        }
        let written = try await TestDatabase.pool.queryValue(
            "SELECT count(*) FROM ledger.transactions WHERE id = \(Ledger.transactionID(causedBy: cause))", as: Int.self)
        #expect(written == 0)
    }

    /// The balance check ran only when the transaction row went in: an entry added to it in a
    /// later database transaction was never checked.
    @Test func anEntryAddedLaterToAPostingIsRefusedAtCommit() async throws {
        let cause = "test:later-entry:\(UUID().uuidString)"
        let id = Ledger.transactionID(causedBy: cause)
        try await TestDatabase.pool.withTransaction { transaction in
            try await Ledger().post(LedgerPosting(
                causedBy: cause, kind: .fee, driverID: nil, description: "balanced", driverAmount: 0, funding: "none", relatedID: nil,
                entries: [(.pspClearing, 250), (.premiumIncome, -250)], createdAt: Date()), on: transaction)
        }
        await #expect(throws: PostgresError.self) {
            try await TestDatabase.pool.withTransaction { transaction in
                try await transaction.execute("INSERT INTO ledger.entries (transaction_id, account_id, amount) VALUES (\(id), 'premium_income', 5)")
            }
        }
        let total = try await TestDatabase.pool.queryValue(
            "SELECT coalesce(sum(amount), 0)::int8 FROM ledger.entries WHERE transaction_id = \(id)", as: Int64.self)
        #expect(total == 0)
        try await expectLedgerConsistent()
    }

    /// Fifty money operations at once for one driver (and the same again for a second driver
    /// in the opposite mix): top-ups, card and wallet block purchases, cancellations refunding
    /// to the card and to the wallet, PAYG session charges. Postings used to lock the shared
    /// house-account rows in whatever order their entries came and could deadlock into a 500.
    @Test func fiftyConcurrentMoneyOperationsNeitherDeadlockNorDrift() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        async let first = MoneyStorm.prepare(server, clockStart: "2026-10-05T08:00:00Z")
        async let second = MoneyStorm.prepare(server, clockStart: "2026-10-05T08:00:00Z")
        let storms = try await [first, second]
        let statuses = try await withThrowingTaskGroup(of: (String, Int).self) { group in
            for (index, storm) in storms.enumerated() {
                for operation in storm.operations(reversed: index == 1) {
                    group.addTask { try await operation() }
                }
            }
            return try await group.reduce(into: [(String, Int)]()) { $0.append($1) }
        }
        #expect(statuses.count == 100)
        let failures = statuses.filter { !(200..<300).contains($0.1) }
        #expect(failures.isEmpty, "\(failures)")
        for storm in storms {
            try await storm.advance(to: "2026-10-05T12:00:00Z")   // the session closes and is charged in full
            let (cash, promo) = try await Ledger().driverBalances(UUID(uuidString: storm.driver.id)!, on: TestDatabase.pool)
            #expect(try await storm.driver.balance() == Int(cash))
            #expect(promo == 0)
            // Every block bought from the wallet and not cancelled, plus the session, explains the balance.
            let lines = try await storm.driver.client.json("GET", "/v1/transactions?limit=200", token: storm.driver.token).json()["data"] as! [[String: Any]]
            // (card-paid blocks and their card refunds never touch it; top-ups by card do.)
            let walletMoves = lines.filter { $0["funding"] as? String != "card" || $0["type"] as? String == "top_up" }
                .reduce(0) { $0 + ($1["amount"] as! Int) }
            #expect(walletMoves == Int(cash))
        }
        try await expectLedgerConsistent()
    }
}

/// One driver's share of the storm: everything prepared sequentially, then fired at once.
struct MoneyStorm {
    let server: TestServer
    let driver: TestDriver
    let clocks: TestConnection
    let clockID: String
    let card: String
    let payg: String
    let cardBlocks: [String]
    let walletBlocks: [String]
    let quotes: [String]

    static func prepare(_ server: TestServer, clockStart: String) async throws -> MoneyStorm {
        let (clocks, clockID) = try await TestClock.make(server, frozenAt: clockStart)
        let driver = try await TestDriver.make(server, ["test_clock_id": clockID])
        let card = try await driver.addCard("tok_visa")
        #expect(try await driver.topUp(40_000, card: card).status == 201)
        _ = try await driver.client.json("PATCH", "/v1/wallet", ["auto_top_up": ["enabled": false]], token: driver.token)
        let paygQuote = try await driver.quote().json()["id"] as! String
        let payg = try await driver.client.json("POST", "/v1/policies", ["quote_id": paygQuote], token: driver.token).json()["id"] as! String
        func block(card: String?) async throws -> String {
            let quote = try await driver.quote(["product": "hourly", "hours": 2, "starts_at": "2026-10-06T09:00:00Z"]).json()["id"] as! String
            var body: [String: Any] = ["quote_id": quote]
            if let card { body["payment_method_id"] = card }
            let bound = try await driver.client.json("POST", "/v1/policies", body, token: driver.token)
            guard bound.status == 201 else { throw TestClientError.malformed("block failed: \(bound.text)") }
            return try bound.json()["id"] as! String
        }
        var cardBlocks: [String] = [], walletBlocks: [String] = [], quotes: [String] = []
        for _ in 0..<6 { cardBlocks.append(try await block(card: card)) }
        for _ in 0..<6 { walletBlocks.append(try await block(card: nil)) }
        for _ in 0..<16 {
            quotes.append(try await driver.quote(["product": "hourly", "hours": 1, "starts_at": "2026-10-07T09:00:00Z"]).json()["id"] as! String)
        }
        return MoneyStorm(server: server, driver: driver, clocks: clocks, clockID: clockID, card: card, payg: payg,
                          cardBlocks: cardBlocks, walletBlocks: walletBlocks, quotes: quotes)
    }

    func advance(to time: String) async throws {
        #expect(try await clocks.json("POST", "/v1/test-clocks/\(clockID)/advance", ["frozen_time": time]).status == 200)
    }

    /// Fifty operations, each on its own connection, returning a label and its status.
    func operations(reversed: Bool) -> [@Sendable () async throws -> (String, Int)] {
        let port = server.port, token = driver.token, card = card, payg = payg
        func call(_ label: String, _ method: String, _ path: String, _ body: [String: Any]? = nil, key: Bool = false)
            -> @Sendable () async throws -> (String, Int) {
            let json = body.map { try? JSONSerialization.data(withJSONObject: $0) } ?? nil
            return {
                let object = json.flatMap { try? JSONSerialization.jsonObject(with: $0) }
                let response = try await TestConnection(port: port, timeout: 30).json(
                    method, path, object, token: token, headers: key ? [("Idempotency-Key", UUID().uuidString)] : [])
                return (response.status >= 500 ? "\(label): \(response.text)" : label, response.status)
            }
        }
        var operations: [@Sendable () async throws -> (String, Int)] = []
        for _ in 0..<14 { operations.append(call("top-up", "POST", "/v1/wallet/top-ups", ["amount": 1000, "payment_method_id": card], key: true)) }
        for block in cardBlocks { operations.append(call("cancel card block", "POST", "/v1/policies/\(block)/cancel")) }
        for block in walletBlocks { operations.append(call("cancel wallet block", "POST", "/v1/policies/\(block)/cancel")) }
        for quote in quotes.prefix(8) { operations.append(call("wallet block", "POST", "/v1/policies", ["quote_id": quote], key: true)) }
        for quote in quotes.suffix(8) {
            operations.append(call("card block", "POST", "/v1/policies", ["quote_id": quote, "payment_method_id": card], key: true))
        }
        for _ in 0..<4 { operations.append(call("start cover", "POST", "/v1/policies/\(payg)/sessions")) }
        for _ in 0..<4 { operations.append(call("read", "GET", "/v1/transactions")) }
        return reversed ? operations.reversed() : operations
    }
}

/// Issue #10: the server runs as a role that cannot change the schema, switch triggers off,
/// or rewrite the ledger's history. (The tests run as that role, like the server.)
@Suite(.tags(.database)) struct RuntimeRoleTests {
    @Test func theRuntimeRoleCannotChangeTheSchemaOrHistory() async throws {
        let current = try await TestDatabase.pool.queryValue("SELECT current_user::text", as: String.self)
        #expect(current == "hourglass_app")
        for statement: SQL in [
            "CREATE TABLE public.sneaky (id int)",
            "ALTER TABLE ledger.entries DISABLE TRIGGER entries_append_only",
            "DROP TABLE ledger.entries",
            "UPDATE ledger.entries SET amount = amount WHERE id = -1",
            "DELETE FROM ledger.transactions WHERE id IS NULL",
            "DELETE FROM documents.documents WHERE id IS NULL",
            "TRUNCATE kernel.idempotency_keys",
            "INSERT INTO public.schema_migrations (version, name, sha256) VALUES (9999, 'x', 'y')",
            "SET session_replication_role = replica",
            // Derived and reference data: balances come only from entries, rates from migrations.
            "UPDATE ledger.balance_shards SET balance = balance + 100000",
            "INSERT INTO rating.rate_tables (version) VALUES (999)",
            "DELETE FROM underwriting.rules",
            "SELECT kernel.grant_runtime_privileges('hourglass_app')",
        ] {
            // Refused for want of the right (42501), not for some other reason.
            let error = await #expect(throws: PostgresError.self, "\(statement)") {
                try await TestDatabase.pool.withTransaction { transaction in try await transaction.execute(statement) }
            }
            #expect(error?.sqlState == "42501", "\(statement): \(error?.message ?? "")")
        }
        // Rows it may read and write.
        #expect(try await TestDatabase.pool.queryValue("SELECT count(*) >= 0 FROM ledger.entries", as: Bool.self))
    }

    /// Granting starts from nothing: a right given by hand earlier (here TRUNCATE, which skips
    /// row triggers) is gone after the next migrate.
    @Test func grantsAreReappliedFromNothing() async throws {
        guard TestDatabase.ownerURL != TestDatabase.url else { return }
        try await TestDatabase.ownerPool.execute("GRANT ALL ON cover.sessions TO hourglass_app")
        #expect(try await TestDatabase.pool.queryValue("SELECT has_table_privilege('cover.sessions', 'TRUNCATE')", as: Bool.self))
        _ = try await TestDatabase.ownerPool.query("SELECT kernel.grant_runtime_privileges('hourglass_app')")
        #expect(try await !TestDatabase.pool.queryValue("SELECT has_table_privilege('cover.sessions', 'TRUNCATE')", as: Bool.self))
        #expect(try await TestDatabase.pool.queryValue("SELECT has_table_privilege('cover.sessions', 'INSERT')", as: Bool.self))
    }
}
