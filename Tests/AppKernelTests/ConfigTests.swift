@testable import AppKernel
import Foundation
import TestSupport
import Testing

struct ConfigTests {
    func configDirectory(_ files: [String: String]) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(to: url.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        return url
    }

    var repositoryDefaults: String {
        get throws { try String(contentsOf: TestServer.repositoryRoot.appendingPathComponent("config/defaults.env"), encoding: .utf8) }
    }

    @Test func layersApplyInOrder() throws {
        let directory = try configDirectory([
            "defaults.env": try repositoryDefaults,
            "development.env": "DATABASE_URL=postgresql://dev@localhost/dev\nPORT=9000\n",
        ])
        let config = try AppConfig.load(configDirectory: directory, environment: ["HOURGLASS_ENV": "development", "PORT": "9100"])
        #expect(config.environment == .development)
        #expect(config.databaseURL == "postgresql://dev@localhost/dev")
        #expect(config.port == 9100)  // the process environment wins
        #expect(config.host == "127.0.0.1")
        #expect(config.httpIdleTimeout == .seconds(65))
        #expect(config.httpEventLoops == nil)
    }

    @Test func aMissingKeyIsNamed() throws {
        let directory = try configDirectory(["defaults.env": try repositoryDefaults])
        #expect(throws: ConfigError.missing(key: "DATABASE_URL")) {
            try AppConfig.load(configDirectory: directory, environment: ["HOURGLASS_ENV": "production"])
        }
    }

    @Test func anInvalidValueIsNamed() throws {
        let directory = try configDirectory(["defaults.env": try repositoryDefaults])
        let error = #expect(throws: ConfigError.self) {
            try AppConfig.load(configDirectory: directory, environment: ["DATABASE_URL": "x", "PORT": "eighty"])
        }
        #expect(error.map { "\($0)" }?.contains("PORT") == true)
        #expect(throws: ConfigError.self) {
            try AppConfig.load(configDirectory: directory, environment: ["DATABASE_URL": "x", "HOURGLASS_ENV": "staging"])
        }
    }

    @Test func unknownKeysInFilesAreRefused() throws {
        // (Module keys are checked with their sections: ServerTests' ConfigSectionTests.)
        let directory = try configDirectory(["defaults.env": "HOST=a\nPROT=8080\n"])
        #expect(throws: ConfigError.unknownKey(key: "PROT", source: "defaults.env")) {
            try AppConfig.load(configDirectory: directory, environment: ["DATABASE_URL": "x"], sections: [])
        }
    }

    @Test func envFileSyntax() throws {
        let values = try EnvFile.parse("# comment\n\nA=1\nB = \"two words\"\nC='x=y'\n", source: "t.env")
        #expect(values == ["A": "1", "B": "two words", "C": "x=y"])
        #expect(throws: ConfigError.malformedLine(source: "t.env", line: 1)) { try EnvFile.parse("oops\n", source: "t.env") }
    }

    @Test func theRepositoryConfigurationLoadsForEveryEnvironment() throws {
        let directory = TestServer.repositoryRoot.appendingPathComponent("config")
        for environment in AppEnvironment.allCases {
            let config = try AppConfig.load(configDirectory: directory, environment: [
                "HOURGLASS_ENV": environment.rawValue, "DATABASE_URL": "postgresql://x@y/z",
            ])
            #expect(config.environment == environment)
        }
    }

    /// Fail closed: a process started without HOURGLASS_ENV is production (no test clocks, no
    /// sandbox card processor), whatever the files say.
    @Test func withoutAnEnvironmentItIsProduction() throws {
        let directory = TestServer.repositoryRoot.appendingPathComponent("config")
        let config = try AppConfig.load(configDirectory: directory, environment: ["DATABASE_URL": "postgresql://x@y/z"])
        #expect(config.environment == .production)
        #expect(!config.environment.isSandbox)
    }
}
