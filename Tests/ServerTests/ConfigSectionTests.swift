import AppKernel
import Foundation
@testable import Hourglass
import Payments
import Postgres
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
        let process = try ChildProcess(executable: ServerProcess.executable, arguments: ["migrate", "--status"], environment: environment,
                                       directory: TestServer.repositoryRoot, standardOutput: .discard)
        #expect(await process.waitUntilExit() == 0)
    }

    /// The README stands on its own: its configuration table lists every key the platform and
    /// the modules read, and it sends no reader to a file outside the repository (the peer
    /// benchmark and the reconciliation data generator, which it says live outside, aside).
    @Test func theReadmeListsEveryKeyAndStaysInTheRepository() throws {
        let readme = try String(contentsOf: TestServer.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let keys = Set(AppConfig.knownKeys.keys).union(configSections.flatMap { $0.keys.keys })
        for key in keys.sorted() { #expect(readme.contains("| `\(key)` |"), "README's configuration table lacks \(key)") }
        let outside = readme.components(separatedBy: "\n").filter { $0.contains("../") && !$0.contains("../shared/bench") && !$0.contains("../shared/recon") }
        #expect(outside.isEmpty, "README points outside the repository: \(outside)")
    }

    /// Fail closed: in production `hourglass serve` refuses a DATABASE_URL whose role could
    /// alter the schema (and so drop the triggers that keep the ledger balanced); as the
    /// runtime role it starts.
    @Test func productionServesOnlyAsTheRuntimeRole() async throws {
        var environment = ProcessInfo.processInfo.environment
        environment["HOURGLASS_ENV"] = "production"
        environment["PSP_BASE_URL"] = "https://psp.invalid"
        environment["PSP_API_KEY"] = "sk_test"
        environment["PSP_WEBHOOK_SECRET"] = "whsec_test"
        environment["HOST"] = "127.0.0.1"
        environment["PORT"] = String(try ServerProcess.freePort())
        environment["DATABASE_URL"] = TestDatabase.ownerURL
        let asOwner = try await serve(environment)
        #expect(asOwner.exitStatus == 78)
        #expect(asOwner.output.contains("can change the schema"))

        // A role that is a member of the owner has the owner's rights (inherited or by SET ROLE).
        try await TestDatabase.ownerPool.execute("""
            DO $$ BEGIN
                IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hourglass_member') THEN CREATE ROLE hourglass_member LOGIN; END IF;
            END $$
            """)
        let owner = try await TestDatabase.ownerPool.queryValue("SELECT current_user::text", as: String.self)
        try await TestDatabase.ownerPool.execute("GRANT \(unsafeRaw: owner) TO hourglass_member")
        var member = URLComponents(string: TestDatabase.url)!
        member.user = "hourglass_member"
        environment["DATABASE_URL"] = member.string!
        let asMember = try await serve(environment)
        #expect(asMember.exitStatus == 78, "\(asMember.output)")
        #expect(asMember.output.contains("owns schema"), "\(asMember.output)")

        environment["DATABASE_URL"] = TestDatabase.url
        let asRuntimeRole = try await serve(environment)
        #expect(asRuntimeRole.exitStatus == nil, "\(asRuntimeRole.output)")
        #expect(asRuntimeRole.served)
    }

    /// Runs `hourglass serve` until it exits or says it is serving (then stops it).
    private func serve(_ environment: [String: String]) async throws -> (exitStatus: Int32?, served: Bool, output: String) {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("serve-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(at: log) }
        let process = try ChildProcess(executable: ServerProcess.executable, arguments: ["serve"], environment: environment,
                                       directory: TestServer.repositoryRoot, standardOutput: .file(log.path), standardError: .file(log.path))
        func output() -> String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
        let deadline = ContinuousClock.now + .seconds(30)
        // Output to a file is block-buffered: whether it serves is asked of the port itself.
        let port = UInt16(environment["PORT"] ?? "") ?? 0
        func answers() async -> Bool {
            guard let client = try? TestConnection(port: port) else { return false }
            return (try? await client.request("GET", "/health/live").status) == 200
        }
        while process.isRunning, ContinuousClock.now < deadline, await !answers() {
            try await Task.sleep(for: .milliseconds(50))
        }
        let running = process.isRunning
        let served = running ? await answers() : false
        if running {
            process.signal(SIGTERM)
            await process.waitUntilExit()
        }
        return (running ? nil : process.terminationStatus, served, output())
    }
}
