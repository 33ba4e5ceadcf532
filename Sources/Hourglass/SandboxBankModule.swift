import AppKernel
import Foundation
import HTTPServer
import SandboxPSP

/// Sandbox only: the sandbox card processor's bank page (3-D Secure), served by the main server
/// at `/sandbox/sca/{intent}`, so `next_action.redirect_url` has the API's own host and port.
/// The page's Authenticate and Fail buttons post back to the same URL.
struct SandboxBankModule: AppModule {
    static let name = "sandbox_bank"
    let psp: InProcessSandboxPSP?

    var endpoints: [Endpoint] {
        guard let psp = psp?.psp else { return [] }
        let page = ResponseSpec(200, "The bank page (HTML)", .media(["text/html"]))
        let intent: [String: Schema] = ["intent": .string(.init(pattern: "^pi_[0-9a-f]+$"))]
        @Sendable func forward(_ call: Call) async throws -> HTTPResponse {
            let id = try call.context.parameter("intent")
            let request = call.request
            let head = HTTPRequestHead(method: request.method, target: "/sca/\(id)", path: "/sca/\(id)", query: nil, version: .http1_1,
                                       headers: request.headers, keepAlive: true, expectsContinue: false,
                                       contentLength: request.body.count, isChunked: false)
            return await psp.respond(to: HTTPRequest(head: head, body: request.body, remoteAddress: request.remoteAddress))
        }
        return [
            Endpoint(.get, "/sandbox/sca/{intent}", id: "sandboxBankPage", "Sandbox only: the bank's authentication page",
                     tag: "sandbox", access: .anyone, pathSchemas: intent,
                     responses: [page, ResponseSpec(404, "No such payment", .media(["text/html"]))], handler: forward),
            Endpoint(.post, "/sandbox/sca/{intent}", id: "sandboxBankAnswer", "Sandbox only: Authenticate (result=pass) or Fail",
                     tag: "sandbox", access: .anyone, body: .form(.object(.required("result", .oneOf(["pass", "fail"]), "the button pressed"))), bodyLimit: 1024,
                     pathSchemas: intent,
                     responses: [page, ResponseSpec(409, "The payment is not waiting for authentication", .media(["text/html"]))],
                     handler: forward),
        ]
    }
}
