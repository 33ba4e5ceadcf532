import Foundation
import HTTPServer
import Postgres

/// Sandbox-only routes for test clocks (PRODUCT.md). Not installed in production, where these
/// paths are therefore 404.
public struct TestClocksModule: AppModule {
    public static let name = "test_clocks"
    let app: AppContext
    let dueWork: DueWorkRegistry

    public init(app: AppContext, dueWork: DueWorkRegistry) {
        self.app = app
        self.dueWork = dueWork
    }

    struct CreateBody: Decodable { let frozenTime: Date }

    public func registerRoutes(on routes: RouteCollector) {
        guard app.config.environment.isSandbox else { return }
        let store = TestClockStore(database: app.database)
        routes.post("/v1/test-clocks") { request, _ in
            let body = try JSON.decode(CreateBody.self, from: request)
            return try .json(try await store.create(frozenTime: body.frozenTime), status: .created)
        }
        routes.get("/v1/test-clocks/{id}") { _, context in
            let id = try context.uuidParameter("id")
            guard let clock = try await store.find(id: id) else { throw AppError.notFound("no test clock \(id.uuidString.lowercased())") }
            return try .json(clock)
        }
        routes.post("/v1/test-clocks/{id}/advance") { request, context in
            let id = try context.uuidParameter("id")
            let body = try JSON.decode(CreateBody.self, from: request)
            let previous = try await app.database.withTransaction { transaction in
                try await store.advance(id: id, to: body.frozenTime, on: transaction)
            }
            // Everything that fell due runs before we answer, so the caller sees its effects.
            try await dueWork.runAll(ClockAdvance(clockID: id, from: previous, to: body.frozenTime), database: app.database)
            guard let clock = try await store.find(id: id) else { throw AppError.notFound("no test clock \(id.uuidString.lowercased())") }
            return try .json(clock)
        }
    }
}
