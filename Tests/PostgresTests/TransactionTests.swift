import Foundation
import Postgres
import TestSupport
import Testing

@Suite(.tags(.database)) struct TransactionTests {
    struct Boom: Error {}

    @Test func commitsOnReturnAndRollsBackOnThrow() async throws {
        let table = "tx_\(UUID().uuidString.prefix(8).lowercased())"
        try await TestDatabase.ownerPool.execute("CREATE TABLE \(unsafeRaw: table) (id int PRIMARY KEY)")
        try await TestDatabase.grantRows(on: table)
        defer { Task { try? await TestDatabase.ownerPool.execute("DROP TABLE \(unsafeRaw: table)") } }
        try await TestDatabase.pool.withTransaction { tx in
            try await tx.execute("INSERT INTO \(unsafeRaw: table) VALUES (1)")
        }
        await #expect(throws: Boom.self) {
            try await TestDatabase.pool.withTransaction { tx in
                try await tx.execute("INSERT INTO \(unsafeRaw: table) VALUES (2)")
                throw Boom()
            }
        }
        let ids = try await TestDatabase.pool.queryAll("SELECT id FROM \(unsafeRaw: table) ORDER BY id") { try $0.decode(Int32.self, at: 0) }
        #expect(ids == [1])
    }

    @Test func nestedTransactionsUseSavepoints() async throws {
        try await TestDatabase.withRollback { tx in
            try await tx.execute("CREATE TEMP TABLE items (name text)")
            try await tx.execute("INSERT INTO items VALUES ('outer')")
            await #expect(throws: Boom.self) {
                try await tx.withTransaction { inner in
                    try await inner.execute("INSERT INTO items VALUES ('inner-rolled-back')")
                    throw Boom()
                }
            }
            try await tx.withTransaction { inner in
                try await inner.execute("INSERT INTO items VALUES ('inner-kept')")
            }
            let names = try await tx.queryAll("SELECT name FROM items ORDER BY name") { try $0.decode(String.self, at: 0) }
            #expect(names == ["inner-kept", "outer"])
        }
    }

    @Test func aFailedStatementInsideASavepointLeavesTheOuterTransactionUsable() async throws {
        try await TestDatabase.withRollback { tx in
            try await tx.execute("CREATE TEMP TABLE t (id int PRIMARY KEY)")
            try await tx.execute("INSERT INTO t VALUES (1)")
            await #expect(throws: PostgresError.self) {
                try await tx.withTransaction { inner in try await inner.execute("INSERT INTO t VALUES (1)") }
            }
            #expect(try await tx.queryValue("SELECT count(*) FROM t", as: Int.self) == 1)
        }
    }

    @Test func uniqueViolationHasItsOwnCaseAndHidesValues() async throws {
        try await TestDatabase.withRollback { tx in
            try await tx.execute("CREATE TEMP TABLE users (email text CONSTRAINT users_email_key UNIQUE)")
            try await tx.execute("INSERT INTO users VALUES (\("secret@example.com"))")
            let error = await #expect(throws: PostgresError.self) {
                try await tx.withTransaction { inner in
                    try await inner.execute("INSERT INTO users VALUES (\("secret@example.com"))")
                }
            }
            #expect(error?.code == .uniqueViolation)
            #expect(error?.isUniqueViolation == true)
            #expect(error?.sqlState == "23505")
            #expect(error?.constraint == "users_email_key")
            #expect(error?.detail?.contains("secret@example.com") == true)
            #expect(error.map { String(describing: $0) }?.contains("secret") == false)
        }
    }

    @Test func isolationLevelIsApplied() async throws {
        let level = try await TestDatabase.pool.withTransaction(isolation: .serializable) { tx in
            try await tx.queryValue("SHOW transaction_isolation", as: String.self)
        }
        #expect(level == "serializable")
    }

    @Test func serializationFailuresAreRetried() async throws {
        let table = "ser_\(UUID().uuidString.prefix(8).lowercased())"
        try await TestDatabase.ownerPool.execute("CREATE TABLE \(unsafeRaw: table) (id int PRIMARY KEY, n int NOT NULL)")
        try await TestDatabase.grantRows(on: table)
        try await TestDatabase.pool.execute("INSERT INTO \(unsafeRaw: table) VALUES (1, 0)")
        defer { Task { try? await TestDatabase.ownerPool.execute("DROP TABLE \(unsafeRaw: table)") } }
        // Eight concurrent read-modify-write increments under SERIALIZABLE: conflicts abort with
        // 40001 and are retried, so every increment lands exactly once.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    try await TestDatabase.pool.withTransaction(isolation: .serializable, maxAttempts: 50) { tx in
                        let n = try await tx.queryValue("SELECT n FROM \(unsafeRaw: table) WHERE id = 1", as: Int32.self)
                        try await Task.sleep(for: .milliseconds(5))
                        try await tx.execute("UPDATE \(unsafeRaw: table) SET n = \(n + 1) WHERE id = 1")
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await TestDatabase.pool.queryValue("SELECT n FROM \(unsafeRaw: table)", as: Int32.self) == 8)
    }
}
