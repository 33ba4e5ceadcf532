import AppKernel
import Foundation
import HTTPServer
import TestSupport
import Testing

/// Every hot route's round-trip budget (README, "Performance"): the statements one request
/// sends to PostgreSQL, counted by the Postgres wrapper (`PostgresStatementCounter`) and
/// recorded per route. A change that adds a query to a hot path fails here, not in production.
///
/// Reads: the token check, then one statement (cover: a session or else a block, through the
/// policies module's published view; wallet: settings with both balances). Writes spend what
/// their transactions need: a quote reads the vehicle, the driver, which rule set and rate
/// table are in effect (their contents are cached by version), then BEGIN, the quote, its audit
/// event, COMMIT; a shift event checks its provider link and applies it in a transaction; a
/// top-up claims its idempotency key with the payment in one transaction, charges the card
/// (no statement), books the outcome in a second (the ledger posting, audit, pause rules) and
/// completes the key.
@Suite(.tags(.database)) struct RoundTripBudgetTests {
    struct Budget {
        let method: String
        let route: String
        let statements: Int
        let call: @Sendable (Int) async throws -> TestResponse
    }

    @Test func hotRoutesStayWithinTheirRoundTripBudgets() async throws {
        let server = try Fixtures.server(configure: { $0.runsHandlersOnEventLoops = true })  // as production runs
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        let card = try await driver.addCard("tok_visa")
        let rider = "budget-\(UUID().uuidString.prefix(8))"
        #expect(try await driver.link(server.port, "deliveroo", rider) == 200)
        let quote = try await driver.quote().json()
        let bound = try await driver.client.json("POST", "/v1/policies", ["quote_id": quote["id"]!], token: driver.token)
        #expect(bound.status == 201, "\(bound.text)")
        #expect(try await driver.topUp(5_000, card: card).status == 201)
        let provider = ProviderClient(connection: try TestConnection(port: server.port), provider: "deliveroo")
        let prefix = UUID().uuidString.prefix(8)

        let budgets: [Budget] = [
            Budget(method: "GET", route: "/v1/me", statements: 2) { _ in
                try await driver.client.json("GET", "/v1/me", token: driver.token)
            },
            Budget(method: "GET", route: "/v1/cover", statements: 2) { _ in
                try await driver.client.json("GET", "/v1/cover", token: driver.token)
            },
            Budget(method: "GET", route: "/v1/wallet", statements: 2) { _ in
                try await driver.client.json("GET", "/v1/wallet", token: driver.token)
            },
            Budget(method: "GET", route: "/v1/transactions", statements: 2) { _ in
                try await driver.client.json("GET", "/v1/transactions", token: driver.token)
            },
            Budget(method: "POST", route: "/v1/quotes", statements: 9) { _ in
                try await driver.quote()
            },
            Budget(method: "POST", route: "/v1/wallet/top-ups", statements: 26) { _ in
                try await driver.topUp(500, card: card, key: UUID().uuidString)
            },
            Budget(method: "POST", route: "/v1/work-providers/{provider}/events", statements: 10) { round in
                let at = RFC3339Text.format(Date().addingTimeInterval(Double(round * 2 - 60)))
                let type = round % 2 == 0 ? "shift_started" : "shift_ended"
                return try await provider.send("\(prefix)-\(round)-\(type)", driver: rider, type, at, shift: "\(prefix)-\(round / 2)")
            },
        ]
        var round = 0
        var report: [String] = []
        for budget in budgets {
            // Once to warm caches (feature flags, prepared statements), then measured three
            // times: the least is the route's cost (a transaction retried on a serialization
            // failure by a concurrent test only ever adds).
            round += 1
            let warm = try await budget.call(round)
            #expect(warm.status / 100 == 2, "\(budget.route): \(warm.text)")
            var used = Int.max
            for _ in 1...3 {
                let before = server.app.requestMetrics.statementUse(method: budget.method, route: budget.route)
                round += 1
                let measured = try await budget.call(round)
                #expect(measured.status / 100 == 2, "\(budget.route): \(measured.text)")
                let after = server.app.requestMetrics.statementUse(method: budget.method, route: budget.route)
                #expect(after.requests == before.requests + 1)
                used = min(used, after.statements - before.statements)
            }
            report.append("\(budget.method) \(budget.route): \(used)")
            #expect(used <= budget.statements, "\(budget.method) \(budget.route) sent \(used) statements; its budget is \(budget.statements)")
        }
        print("round trips per request:", report.joined(separator: ", "))
    }
}
