import AppKernel
import ArgumentParser
import Dispatch
import Foundation
import Glibc
import HTTPServer
import Logging
import SandboxPSP

/// `hourglass psp-sandbox`: the sandbox card processor alone, e.g. for a second process.
/// With `SANDBOX_PSP_FAULT_RATE` set it injects faults (`SandboxPSP.FaultPlan.fromEnvironment`),
/// behind a relay on `--port` that can drop connections; `POST /v1/test_helpers/faults`
/// changes the plan while it runs.
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
        let plan: SandboxPSP.FaultPlan?
        do {
            plan = try SandboxPSP.FaultPlan.fromEnvironment(environment)
        } catch {
            Startup.printError("hourglass: \(error)")
            throw ExitCode(78)
        }
        // Faults (even at rate 0, to be raised later) put the relay on `port`, the server behind it.
        let server = HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: plan == nil ? port : 0, eventLoopCount: 1),
                                responder: psp, logger: logger)
        signal(SIGPIPE, SIG_IGN)
        let signals = ShutdownSignals { _ in server.shutdown(gracePeriod: .seconds(5)) }
        try server.start()
        let relay = try plan.map { _ in try SandboxFaultRelay(port: port, upstreamPort: server.port) }
        if relay != nil { psp.allowDrops() }
        try psp.setFaults(plan)
        let reachedAt = relay?.port ?? server.port
        psp.setAPIBaseURL("http://127.0.0.1:\(reachedAt)")
        print("sandbox card processor on http://127.0.0.1:\(reachedAt)" + (plan.map { ", faults at rate \($0.rate): \($0.faults.map(\.rawValue).joined(separator: ","))" } ?? ""))
        await server.waitUntilStopped()
        relay?.stop()
        signals.cancel()
    }
}
