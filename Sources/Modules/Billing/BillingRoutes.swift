import AppKernel
import Documents
import Foundation
import HTTPServer
import Ledger

/// `GET /v1/transactions` and `GET /v1/statements/{week}`.
struct BillingRoutes: Sendable {
    let app: AppContext
    var statements: Statements { Statements(app: app) }

    var endpoints: [Endpoint] {
        let routes = self
        return [
            Endpoint(.get, "/v1/transactions", id: "listTransactions", "Itemised money history, newest first", tag: "billing",
                     access: .driver, query: QueryParameter.pagination,
                     responses: [.json(200, "A page of transactions", .page(of: BillingSchemas.transaction))],
                     handler: { try await routes.transactions($0) }),
            Endpoint(.get, "/v1/statements/{week}", id: "getStatement", "A week's statement (ISO week, e.g. 2026-W48)", tag: "billing",
                     access: .driver, pathSchemas: ["week": .string(.init(pattern: "^[0-9]{4}-W[0-9]{2}$"))],
                     responses: [.json(200, "The statement", BillingSchemas.statement.ref),
                                 .problem(404, "No such week, or it has not started on the driver's clock")],
                     handler: { try await routes.statement($0) }),
        ]
    }

    func transactions(_ call: Call) async throws -> HTTPResponse {
        let page = try PageRequest(query: call.request.query)
        let rows = try await Ledger().transactions(of: call.driverID, page: page, on: app.database)
        let (items, next) = page.page(rows) { PageRequest.Cursor(createdAt: $0.createdAt, id: $0.id) }
        return try .json(ListResponse(data: items, nextCursor: next))
    }

    func statement(_ call: Call) async throws -> HTTPResponse {
        try await statements.show(driverID: call.driverID, week: try call.context.parameter("week"), now: call.now)
    }
}
