import AppKernel
import Foundation
import HTTPServer
import Logging

/// `Access.workProvider`: the provider named in the path, and its `Hourglass-Signature:
/// t=…,v1=…` (HMAC-SHA256 of "t.body" with that provider's secret) on the raw body, 300 s
/// tolerance on real time even for drivers on test clocks. An unknown provider is 404.
/// The secrets in force come from `ProviderSecrets`: the environment's until a rotation, then
/// the rotated one, with the one it replaced during the overlap window.
struct ProviderSignatureAuthenticator: Authenticator {
    let providers: [String: WorkProviderConfig]
    let secrets: ProviderSecrets
    let secretsKey: [UInt8]?
    let clock: any WallClock

    func authenticate(_ request: HTTPRequest, _ context: RequestContext) async throws -> RequestContext {
        let name = try context.parameter("provider")
        guard let provider = providers[name] else { throw AppError.notFound("no work provider \(name)") }
        guard try await secrets.verify(header: request.headers["hourglass-signature"], body: request.body, provider: provider,
                                       key: secretsKey, now: clock.now()) else {
            context.logger.notice("rejected work-provider request", metadata: ["provider": "\(name)", "reason": "no secret in force matches"])
            throw AppError.unauthorized("the Hourglass-Signature is missing, wrong or stale")
        }
        var context = context
        context.caller = .workProvider(name)
        return context
    }

    func looksPresent(in head: HTTPRequestHead) -> Bool { head.headers["hourglass-signature"] != nil }
}
