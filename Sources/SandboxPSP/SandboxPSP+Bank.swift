import Foundation
import Synchronization
import HTTPServer

/// The sandbox bank's 3-D Secure page: the customer authenticates (or fails) an intent that
/// needs it, and the intent moves on as the real processor's would.
extension SandboxPSP {
    func scaPage(intentID: String) -> HTTPResponse {
        guard let intent = state.withLock({ $0.intents[intentID] }) else {
            return HTTPResponse(status: .notFound, contentType: "text/html; charset=utf-8", body: Array("<p>Unknown payment.</p>".utf8))
        }
        let amount = String(format: "%.2f", Double(intent.amount) / 100)
        let page = """
            <!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><title>Confirm your payment</title>
            <style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto}button{font-size:1rem;padding:.6rem 1.2rem;margin-right:1rem}</style>
            </head><body><h1>Sandbox bank: confirm payment</h1>
            <p>Approve a payment of £\(amount) to Hourglass? (status: \(intent.status))</p>
            <form method="post"><button name="result" value="pass">Authenticate</button><button name="result" value="fail">Fail</button></form>
            </body></html>
            """
        return HTTPResponse(status: .ok, contentType: "text/html; charset=utf-8", body: Array(page.utf8))
    }

    func authenticate(intentID: String, form: [UInt8]) -> HTTPResponse {
        let passed = String(decoding: form, as: UTF8.self).split(separator: "&").contains("result=pass")
        let updated = state.withLock { state -> Intent? in
            guard var intent = state.intents[intentID], intent.status == "requires_action" else { return nil }
            intent.status = passed ? "succeeded" : "failed"
            intent.failureCode = passed ? nil : "authentication_failed"
            state.intents[intentID] = intent
            state.recordCharge(of: intentID, at: Date())
            return state.intents[intentID]
        }
        guard let updated else {
            return HTTPResponse(status: .conflict, contentType: "text/html; charset=utf-8",
                                body: Array("<p>This payment is not waiting for authentication.</p>".utf8))
        }
        sendEvent(for: updated)
        let text = passed ? "Payment authenticated. You can return to the Hourglass app." : "Authentication failed. You can return to the Hourglass app."
        return HTTPResponse(status: .ok, contentType: "text/html; charset=utf-8", body: Array("<p>\(text)</p>".utf8))
    }
}
