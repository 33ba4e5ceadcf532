import Foundation
@testable import Migrations
import Postgres
import TestSupport
import Testing

@Suite(.tags(.database)) struct MigratorTests {
    let migrations = [
        Migration(version: 1, name: "things_create_schema", sql: "CREATE SCHEMA things;"),
        Migration(version: 2, name: "things_create_table", sql: """
            CREATE TABLE things.items (id int PRIMARY KEY, name text NOT NULL);
            INSERT INTO things.items VALUES (1, 'first');
            """),
    ]

    @Test func runningTwiceIsANoOpTheSecondTime() async throws {
        try await TestDatabase.withScratchDatabase { configuration in
            let connection = try await PostgresConnection.connect(configuration)
            var reported: [String] = []
            let first = try await Migrator(migrations: migrations).migrate(on: connection) { migration, _ in
                reported.append(migration.fileName)
            }
            #expect(first.map(\.version) == [1, 2])
            #expect(reported == ["0001_things_create_schema.sql", "0002_things_create_table.sql"])
            let second = try await Migrator(migrations: migrations).migrate(on: connection)
            #expect(second.isEmpty)
            let status = try await Migrator(migrations: migrations).status(on: connection)
            #expect(status.currentVersion == 2 && status.pending.isEmpty)
            let recorded = try await connection.queryAll("SELECT version, sha256 FROM public.schema_migrations ORDER BY version") {
                (try $0.decode(Int32.self, at: 0), try $0.decode(String.self, at: 1))
            }
            #expect(recorded.map(\.0) == [1, 2])
            #expect(recorded.map(\.1) == migrations.map(\.sha256))
            await connection.close()
        }
    }

    @Test func concurrentRunnersApplyEachMigrationOnce() async throws {
        try await TestDatabase.withScratchDatabase { configuration in
            async let a = Self.migrateOnce(configuration, migrations)
            async let b = Self.migrateOnce(configuration, migrations)
            async let c = Self.migrateOnce(configuration, migrations)
            let applied = try await [a, b, c]
            #expect(applied.sorted() == [0, 0, 2])
            let connection = try await PostgresConnection.connect(configuration)
            #expect(try await connection.queryValue("SELECT count(*) FROM things.items", as: Int.self) == 1)
            await connection.close()
        }
    }

    static func migrateOnce(_ configuration: PostgresConfiguration, _ migrations: [Migration]) async throws -> Int {
        let connection = try await PostgresConnection.connect(configuration)
        defer { connection.closeSoon() }
        return try await Migrator(migrations: migrations).migrate(on: connection).count
    }

    @Test func anEditedAppliedMigrationIsRefused() async throws {
        try await TestDatabase.withScratchDatabase { configuration in
            let connection = try await PostgresConnection.connect(configuration)
            try await Migrator(migrations: migrations).migrate(on: connection)
            var edited = migrations
            edited[1] = Migration(version: 2, name: "things_create_table", sql: migrations[1].sql + "\n-- edited")
            edited.append(Migration(version: 3, name: "things_more", sql: "CREATE TABLE things.more (id int);"))
            let error = await #expect(throws: MigrationError.self) {
                try await Migrator(migrations: edited).migrate(on: connection)
            }
            guard case .checksumChanged(let file, _, _)? = error else {
                Issue.record("expected checksumChanged, got \(String(describing: error))")
                return
            }
            #expect(file == "0002_things_create_table.sql")
            // Nothing after the refusal ran.
            #expect(try await connection.queryValue("SELECT to_regclass('things.more') IS NULL", as: Bool.self))
            await connection.close()
        }
    }

    @Test func aFailingMigrationLeavesNoTrace() async throws {
        try await TestDatabase.withScratchDatabase { configuration in
            let connection = try await PostgresConnection.connect(configuration)
            let broken = migrations + [Migration(version: 3, name: "things_broken", sql: """
                CREATE TABLE things.half (id int);
                INSERT INTO things.missing VALUES (1);
                """)]
            await #expect(throws: PostgresError.self) { try await Migrator(migrations: broken).migrate(on: connection) }
            let status = try await Migrator(migrations: broken).status(on: connection)
            #expect(status.currentVersion == 2)
            #expect(status.pending.map(\.version) == [3])
            #expect(try await connection.queryValue("SELECT to_regclass('things.half') IS NULL", as: Bool.self))
            await connection.close()
        }
    }

    @Test func missingAndOutOfOrderFilesAreRefused() async throws {
        try await TestDatabase.withScratchDatabase { configuration in
            let connection = try await PostgresConnection.connect(configuration)
            let standalone = Migration(version: 2, name: "things_standalone", sql: "CREATE TABLE standalone (id int);")
            try await Migrator(migrations: [standalone]).migrate(on: connection)
            // Version 1 appears after 2 was applied: renumber it instead.
            await #expect(throws: MigrationError.outOfOrder(fileName: "0001_things_create_schema.sql", latestApplied: 2)) {
                try await Migrator(migrations: [migrations[0], standalone]).migrate(on: connection)
            }
            await #expect(throws: MigrationError.appliedFileMissing(version: 2, name: "things_standalone")) {
                try await Migrator(migrations: []).status(on: connection)
            }
            await connection.close()
        }
    }
}

struct MigrationFileTests {
    func directory(with files: [String: String]) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("migrations-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(to: url.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        return url
    }

    @Test func loadsInVersionOrder() throws {
        let url = try directory(with: ["0002_b_two.sql": "SELECT 2;", "0001_a_one.sql": "SELECT 1;", "README.md": "ignored"])
        let loaded = try Migration.load(directory: url)
        #expect(loaded.map(\.fileName) == ["0001_a_one.sql", "0002_b_two.sql"])
    }

    @Test func refusesBadNamesAndDuplicates() throws {
        #expect(throws: MigrationError.badFileName("1_short.sql")) {
            try Migration.load(directory: try directory(with: ["1_short.sql": ""]))
        }
        #expect(throws: MigrationError.badFileName("0001_Upper.sql")) {
            try Migration.load(directory: try directory(with: ["0001_Upper.sql": ""]))
        }
        #expect(throws: MigrationError.self) {
            try Migration.load(directory: try directory(with: ["0001_a_x.sql": "", "0001_b_y.sql": ""]))
        }
    }

    @Test func theRepositoryMigrationsLoad() throws {
        let loaded = try Migration.load(directory: TestServer.repositoryRoot.appendingPathComponent("migrations"))
        #expect(!loaded.isEmpty)
        #expect(loaded.map(\.version) == Array(1...loaded.count))
    }
}

extension Tag {
    @Tag static var database: Self
}
