import AppKernel
import Foundation
@testable import Hourglass
import Payments
import TestSupport
import Testing
import WorkProviders

/// Settings a module needs are declared by that module and read only by the commands that
/// build it (issue #10): a typo in a file is refused, production needs a real card processor,
/// and `hourglass migrate` runs without a work provider's secret.
struct ConfigSectionTests {
    let directory = TestServer.repositoryRoot.appendingPathComponent("config")
    let secrets = ["PROVIDER_DELIVEROO_SECRET": "d", "PROVIDER_UBER_EATS_SECRET": "u"]

    func load(_ environment: [String: String]) throws -> AppConfig {
        try AppConfig.load(configDirectory: directory, environment: environment, sections: configSections)
    }

    @Test func everyFileKeyIsKnownToTheModulesOrThePlatform() throws {
        for environment in AppEnvironment.allCases {
            _ = try load(["HOURGLASS_ENV": environment.rawValue, "DATABASE_URL": "postgresql://x@y/z"])
        }
        let broken = FileManager.default.temporaryDirectory.appendingPathComponent("config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: broken, withIntermediateDirectories: true)
        let defaults = try String(contentsOf: directory.appendingPathComponent("defaults.env"), encoding: .utf8)
        try (defaults + "\nPSP_BASE_ULR=https://typo.example\n").write(to: broken.appendingPathComponent("defaults.env"), atomically: true, encoding: .utf8)
        #expect(throws: ConfigError.unknownKey(key: "PSP_BASE_ULR", source: "defaults.env")) {
            try AppConfig.load(configDirectory: broken, environment: ["DATABASE_URL": "x"], sections: configSections)
        }
    }

    @Test func productionNeedsARealCardProcessorAndAURLThatParses() throws {
        let production = try load(["HOURGLASS_ENV": "production", "DATABASE_URL": "postgresql://x@y/z"])
        #expect(throws: ConfigError.missing(key: "PSP_BASE_URL")) { try production.section(PaymentsConfig.self) }
        let noKey = try load(["HOURGLASS_ENV": "production", "DATABASE_URL": "postgresql://x@y/z", "PSP_BASE_URL": "https://psp.example"])
        #expect(throws: ConfigError.missing(key: "PSP_API_KEY")) { try noKey.section(PaymentsConfig.self) }
        // A URL that does not parse stops start-up instead of falling back to the sandbox.
        let garbled = try load(["HOURGLASS_ENV": "development", "PSP_BASE_URL": "not a url", "PSP_API_KEY": "k", "PSP_WEBHOOK_SECRET": "s"])
        #expect(throws: ConfigError.self) { try garbled.section(PaymentsConfig.self) }
        // Sandbox mode without one runs the sandbox processor in-process.
        let development = try load(["HOURGLASS_ENV": "development"])
        guard case .sandbox = try development.section(PaymentsConfig.self).processor else {
            Issue.record("development without PSP_BASE_URL should use the sandbox")
            return
        }
    }

    @Test func workProviderSecretsAreNeededOnlyToBuildTheirModule() throws {
        let development = try load(["HOURGLASS_ENV": "development", "PROVIDER_DELIVEROO_SECRET": "d"])
        #expect(throws: ConfigError.missing(key: "PROVIDER_UBER_EATS_SECRET")) { try development.section(WorkProvidersConfig.self) }
        let complete = try load(["HOURGLASS_ENV": "development"].merging(secrets) { $1 })
        #expect(try complete.section(WorkProvidersConfig.self).providers.map(\.name) == ["deliveroo", "uber_eats"])
    }

    /// The real executable: `hourglass migrate --status` with no provider secrets at all.
    @Test func migrateRunsWithoutAWorkProvidersSecret() async throws {
        var environment = ProcessInfo.processInfo.environment
        environment["PROVIDER_DELIVEROO_SECRET"] = nil
        environment["PROVIDER_UBER_EATS_SECRET"] = nil
        environment["HOURGLASS_ENV"] = "development"
        environment["DATABASE_URL"] = TestDatabase.url
        let process = Process()
        process.executableURL = ServerProcess.executable
        process.arguments = ["migrate", "--status"]
        process.environment = environment
        process.currentDirectoryURL = TestServer.repositoryRoot
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        await Task.detached { process.waitUntilExit() }.value
        #expect(process.terminationStatus == 0)
    }
}
