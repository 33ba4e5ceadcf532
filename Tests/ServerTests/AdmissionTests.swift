import AppKernel
import Foundation
import TestSupport
import Testing

/// Issue #10, fail closed: a request body is read only after its route matched and its caller is
/// known, and the server's own answers look like every other error.
@Suite(.tags(.database)) struct AdmissionTests {
    /// Announces a 10 MB body, sends none of it, and expects the answer anyway.
    func announce(_ method: String, _ path: String, headers: String = "", on port: UInt16) async throws -> TestResponse {
        let connection = try TestConnection(port: port, timeout: 5)
        try await connection.send("\(method) \(path) HTTP/1.1\r\nHost: a\r\n\(headers)Content-Length: \(10 * 1024 * 1024)\r\n\r\n")
        return try await connection.readResponse()
    }

    @Test func noBodyIsReadForAnUnknownRouteOrACallerWithoutCredentials() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        #expect(try await announce("POST", "/v1/nowhere", on: server.port).status == 404)
        #expect(try await announce("PUT", "/v1/quotes", headers: "Content-Type: application/json\r\n", on: server.port).status == 405)
        #expect(try await announce("POST", "/v1/quotes", headers: "Content-Type: application/json\r\n", on: server.port).status == 401)
        #expect(try await announce("POST", "/v1/webhooks/psp", headers: "Content-Type: application/json\r\n", on: server.port).status == 401)
        // A well-formed but unknown token on the 10 MB attachment route: checked before the body.
        let claim = UUID().uuidString.lowercased()
        let forged = try await announce("POST", "/v1/claims/\(claim)/attachments",
                                        headers: "Authorization: Bearer hg_\(String(repeating: "x", count: 43))\r\nContent-Type: image/png\r\n",
                                        on: server.port)
        #expect(forged.status == 401)
        #expect(forged.header("x-request-id") != nil)
    }

    @Test func expectContinueWaitsForTheCallerToBeKnown() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let connection = try TestConnection(port: server.port, timeout: 5)
        try await connection.send("POST /v1/claims/\(UUID().uuidString)/attachments HTTP/1.1\r\nHost: a\r\n"
            + "Authorization: Bearer hg_notarealtoken\r\nContent-Type: image/png\r\nExpect: 100-continue\r\nContent-Length: 5000000\r\n\r\n")
        let answer = try await connection.readResponse()
        #expect(answer.status == 401)   // never 100 Continue for a caller we do not know
        // A real driver gets 100 Continue, then the answer to the body.
        let driver = try await TestDriver.make(server)
        let real = try TestConnection(port: server.port, timeout: 5)
        try await real.send("POST /v1/claims/\(UUID().uuidString)/attachments HTTP/1.1\r\nHost: a\r\n"
            + "Authorization: Bearer \(driver.token)\r\nContent-Type: image/png\r\nExpect: 100-continue\r\nContent-Length: 8\r\n\r\n")
        #expect(try await real.readResponse().status == 100)
        try await real.send([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        #expect(try await real.readResponse().status == 404)   // no such claim: the body was read and judged
    }

    /// 413 and 501 come from the server itself; they are problem+json with a request id too.
    @Test func theServersOwnAnswersAreProblemsWithARequestID() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        let tooLarge = try TestConnection(port: server.port, timeout: 5)
        try await tooLarge.send("POST /v1/quotes HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer \(driver.token)\r\n"
            + "Content-Type: application/json\r\nContent-Length: \(10 * 1024 * 1024)\r\n\r\n")
        for (response, status) in [(try await tooLarge.readResponse(), 413)] {
            #expect(response.status == status)
            #expect(response.header("content-type") == "application/problem+json")
            #expect((try response.json()["request_id"] as? String)?.isEmpty == false)
            #expect(response.header("x-request-id") == (try response.json()["request_id"] as? String))
        }
        let unknownMethod = try TestConnection(port: server.port, timeout: 5)
        try await unknownMethod.send("BREW /v1/quotes HTTP/1.1\r\nHost: a\r\n\r\n")
        let answer = try await unknownMethod.readResponse()
        #expect(answer.status == 501)
        #expect(answer.header("content-type") == "application/problem+json")
        #expect((try answer.json()["request_id"] as? String)?.isEmpty == false)
        // QUERY is a method we know and no resource takes: 405 naming what the resource takes.
        let query = try TestConnection(port: server.port, timeout: 5)
        try await query.send("QUERY /v1/quotes HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}")
        let refused = try await query.readResponse()
        #expect(refused.status == 405)
        #expect(refused.header("allow") == "POST")
        #expect(refused.header("content-type") == "application/problem+json")
    }
}
