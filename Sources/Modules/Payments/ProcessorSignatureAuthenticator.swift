public import AppKernel
import Foundation
public import HTTPServer
import Logging

/// `Access.cardProcessor`: the processor's `PSP-Signature: t=…,v1=…` (HMAC-SHA256 of "t.body"
/// with the webhook secret), verified on the raw body in constant time, 300 s tolerance on
/// real time; anything else is 401.
struct ProcessorSignatureAuthenticator: Authenticator {
    let secret: String
    let clock: any WallClock

    func authenticate(_ request: HTTPRequest, _ context: RequestContext) async throws -> RequestContext {
        do {
            try WebhookSignature.verify(header: request.headers["psp-signature"], body: request.body, secret: secret, now: clock.now())
        } catch {
            context.logger.warning("rejected PSP webhook", metadata: ["reason": "\(error)"])
            throw AppError.unauthorized("the webhook signature is missing, wrong or stale")
        }
        var context = context
        context.caller = .cardProcessor
        return context
    }

    func looksPresent(in head: HTTPRequestHead) -> Bool { head.headers["psp-signature"] != nil }
}
