import AppKernel
import ArgumentParser
import Dispatch
import Foundation
import Glibc
import HTTPServer
import Logging
import SandboxPSP

/// `hourglass psp-sandbox`: the sandbox card processor alone, e.g. for a second process.
struct PSPSandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "psp-sandbox",
        abstract: "Run the sandbox card processor on its own (keys from PSP_API_KEY and PSP_WEBHOOK_SECRET).")

    @Option(help: "Port to listen on (loopback).")
    var port: UInt16 = 18099

    @Option(help: "Where to send signed webhooks, e.g. http://127.0.0.1:8080/v1/webhooks/psp.")
    var webhookURL: String?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let apiKey = environment["PSP_API_KEY"], !apiKey.isEmpty,
              let secret = environment["PSP_WEBHOOK_SECRET"], !secret.isEmpty else {
            Startup.printError("hourglass: set PSP_API_KEY and PSP_WEBHOOK_SECRET in the environment")
            throw ExitCode(78)
        }
        var logger = Logger(label: "hourglass.psp-sandbox")
        logger.logLevel = .notice
        let psp = SandboxPSP(configuration: .init(apiKey: apiKey, webhookSecret: secret, webhookURL: webhookURL,
                                                  publicBaseURL: "http://127.0.0.1:\(port)"), logger: logger)
        let server = HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: port, eventLoopCount: 1),
                                responder: psp, logger: logger)
        signal(SIGPIPE, SIG_IGN)
        let signals = ShutdownSignals { _ in server.shutdown(gracePeriod: .seconds(5)) }
        try server.start()
        psp.setAPIBaseURL("http://127.0.0.1:\(server.port)")
        print("sandbox card processor on http://127.0.0.1:\(server.port)")
        await server.waitUntilStopped()
        signals.cancel()
    }
}
