import AppKernel
import Foundation
import HTTPServer
import Logging
@testable import Hourglass
import TestSupport
import Testing

@Suite(.tags(.database)) struct OpenAPITests {
    /// Every route is documented and every documented operation is a route.
    @Test func theDocumentMatchesTheRoutes() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let client = try TestConnection(port: server.port)
        let response = try await client.request("GET", "/openapi.json")
        #expect(response.status == 200)
        let document = try response.json()
        #expect(document["openapi"] as? String == "3.1.0")
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        let documented = Set(paths.flatMap { path, operations in operations.keys.map { "\($0.uppercased()) \(path)" } })

        let app = AppContext(config: try TestServer.config(), database: TestDatabase.pool, logger: .init(label: "test"),
                             expectedSchemaVersion: 0)
        let services = try Services.make(app.config, logger: app.logger, database: TestDatabase.pool)
        let application = Application(context: app, modules: try installedModules(app, services: services))
        defer { Task { await services.stop() } }
        // Admin pages are HTML for staff, not the API: the only routes left out of the document.
        let routed = Set(application.router.routes.filter { !$0.pattern.hasPrefix("/admin") }.map { "\($0.method.rawValue) \($0.pattern)" })
        #expect(routed.subtracting(documented).isEmpty, "undocumented routes: \(routed.subtracting(documented).sorted())")
        #expect(documented.subtracting(routed).isEmpty, "documented but not routed: \(documented.subtracting(routed).sorted())")

        // Every $ref resolves.
        let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: Any])
        let text = response.text
        let references = text.components(separatedBy: "#/components/schemas/").dropFirst().map { $0.prefix { $0 != "\"" } }
        for name in Set(references) { #expect(schemas[String(name)] != nil, "missing schema \(name)") }
    }

    /// docs/openapi.json and docs/api.md are what this build serves: a route changed without
    /// running scripts/api-reference fails here.
    @Test func theCommittedReferenceIsCurrent() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let client = try TestConnection(port: server.port)
        let served = try JSONDecoder().decode(JSONValue.self, from: Data(try await client.request("GET", "/openapi.json").body))
        let docs = TestServer.repositoryRoot.appendingPathComponent("docs")
        let committed = try JSONDecoder().decode(JSONValue.self, from: try Data(contentsOf: docs.appendingPathComponent("openapi.json")))
        let current = served == committed  // a Bool, so a failure does not print both documents
        #expect(current, "docs/openapi.json is stale: run scripts/api-reference")
        let reference = try String(contentsOf: docs.appendingPathComponent("api.md"), encoding: .utf8)
        let markdownCurrent = APIReference.markdown(served) == reference
        #expect(markdownCurrent, "docs/api.md is stale: run scripts/api-reference")
    }
}
