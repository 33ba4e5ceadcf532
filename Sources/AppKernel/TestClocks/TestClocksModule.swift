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

    static let clock = SchemaComponent("TestClock", description: "A sandbox clock: frozen time that moves only forward", .object(
        .required("id", .uuid), .required("frozen_time", .dateTime)))
    static let time = Schema.object(.required("frozen_time", .dateTime))

    /// Sandbox only: in production there are no test clocks and these paths are 404.
    public var endpoints: [Endpoint] {
        guard app.config.environment.isSandbox else { return [] }
        let store = TestClockStore(database: app.database)
        let app = app, dueWork = dueWork
        return [
            Endpoint(.post, "/v1/test-clocks", id: "createTestClock", "Create a test clock (sandbox only)", tag: "test clocks",
                     access: .anyone, body: .json(Self.time), bodyLimit: 1024,
                     responses: [.json(201, "The clock", Self.clock.ref)],
                     handler: { call in
                         let body = try call.body(CreateBody.self)
                         return try .json(try await store.create(frozenTime: body.frozenTime), status: .created)
                     }),
            Endpoint(.get, "/v1/test-clocks/{id}", id: "getTestClock", "One test clock (sandbox only)", tag: "test clocks",
                     access: .anyone, responses: [.json(200, "The clock", Self.clock.ref), .problem(404, "No such clock")],
                     handler: { call in
                         let id = try call.id()
                         guard let clock = try await store.find(id: id) else { throw AppError.notFound("no test clock \(id.uuidString.lowercased())") }
                         return try .json(clock)
                     }),
            Endpoint(.post, "/v1/test-clocks/{id}/advance", id: "advanceTestClock",
                     "Move a test clock forward and run everything that fell due for its drivers before answering (sandbox only)",
                     tag: "test clocks", access: .anyone, body: .json(Self.time), bodyLimit: 1024,
                     responses: [.json(200, "The clock, after everything due ran", Self.clock.ref), .problem(404, "No such clock"),
                                 .problem(422, "A clock only moves forward")],
                     handler: { call in
                         let id = try call.id()
                         let body = try call.body(CreateBody.self)
                         let previous = try await app.database.withTransaction { transaction in
                             try await store.advance(id: id, to: body.frozenTime, on: transaction)
                         }
                         // Everything that fell due runs before we answer, so the caller sees its effects.
                         var actor = AuditContext.current
                         actor.actor = "system:test_clock_advance"
                         try await AuditContext.acting(as: actor) {
                             try await dueWork.runAll(ClockAdvance(clockID: id, from: previous, to: body.frozenTime), database: app.database)
                         }
                         guard let clock = try await store.find(id: id) else { throw AppError.notFound("no test clock \(id.uuidString.lowercased())") }
                         return try .json(clock)
                     }),
        ]
    }
}
