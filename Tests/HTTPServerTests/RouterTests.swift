import Testing
@testable import HTTPServer

struct RouterTests {
    func makeRouter() -> Router<String> {
        var router = Router<String>()
        router.add(.get, "/v1/quotes/{id}", "show quote")
        router.add(.post, "/v1/quotes", "create quote")
        router.add(.get, "/v1/quotes/latest", "latest quote")
        router.add(.post, "/v1/policies/{id}/cancel", "cancel policy")
        return router
    }

    @Test func matchesLiteralsBeforeParameters() {
        guard case .found(let handler, _, _) = makeRouter().match(.get, path: "/v1/quotes/latest") else {
            Issue.record("no match")
            return
        }
        #expect(handler == "latest quote")
    }

    @Test func decodesParameters() {
        guard case .found(let handler, let parameters, let pattern) = makeRouter().match(.post, path: "/v1/policies/a%20b/cancel") else {
            Issue.record("no match")
            return
        }
        #expect(handler == "cancel policy")
        #expect(parameters["id"] == "a b")
        #expect(pattern == "/v1/policies/{id}/cancel")
    }

    @Test func headFallsBackToGet() {
        guard case .found(let handler, _, _) = makeRouter().match(.head, path: "/v1/quotes/1") else {
            Issue.record("no match")
            return
        }
        #expect(handler == "show quote")
    }

    @Test func reportsAllowedMethods() {
        guard case .methodNotAllowed(let allowed) = makeRouter().match(.delete, path: "/v1/quotes/1") else {
            Issue.record("expected 405")
            return
        }
        #expect(allowed == [.get, .head])
    }

    @Test func unknownPathsAndBadEscapesAreNotFound() {
        guard case .notFound = makeRouter().match(.get, path: "/v1/nothing") else { Issue.record("expected 404"); return }
        guard case .notFound = makeRouter().match(.get, path: "/v1/quotes/%zz") else { Issue.record("expected 404"); return }
        guard case .notFound = makeRouter().match(.get, path: "/v1/quotes/") else { Issue.record("expected 404"); return }
    }
}
