import HTTPServer
import TestSupport
import Testing

/// Issue #14's HTTP details over a real socket: what the parser accepts, the server serves.
@Suite(.tags(.database)) struct HTTPDetailsTests {
    @Test func anHTTP12RequestIsServedAsHTTP11() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let connection = try TestConnection(port: server.port)
        try await connection.send("POST /probe/echo HTTP/1.2\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi")
        let response = try await connection.readResponse()
        #expect(response.status == 200)
        #expect(response.version == "HTTP/1.1")
        #expect(response.text == "hi")
        // Persistent, as HTTP/1.1 is: the same connection takes the next request.
        try await connection.send("GET /health/live HTTP/1.2\r\nHost: a\r\n\r\n")
        #expect(try await connection.readResponse().status == 200)
    }

    @Test func anHTTP2RequestLineIsStill505() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let connection = try TestConnection(port: server.port)
        try await connection.send("GET /health/live HTTP/2.0\r\nHost: a\r\n\r\n")
        let response = try await connection.readResponse()
        #expect(response.status == 505)
        #expect(response.version == "HTTP/1.1")
    }

    @Test func aHundredOrdinaryHeaderFieldsAreAccepted() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let connection = try TestConnection(port: server.port)
        let fields = (0..<100).map { ("X-Field-\($0)", "value \($0)") }
        let response = try await connection.request("POST", "/probe/echo", headers: fields, body: Array("ok".utf8))
        #expect(response.status == 200)
        #expect(response.text == "ok")
    }
}
