import Foundation
import Postgres
import TestSupport
import Testing

@Suite(.tags(.database)) struct CopyAndNotifyTests {
    @Test func copyFromLoadsRowsWithEscapesAndNulls() async throws {
        try await TestDatabase.withRollback { tx in
            try await tx.execute("CREATE TEMP TABLE rates (name text, value int8, note text)")
            let rows: [[any PostgresEncodable]] = (0..<1000).map { index in
                ["factor \(index)", index, index % 2 == 0 ? "tab\there\nnewline \\ slash" : String?.none]
            }
            let copied = try await tx.copyFrom("COPY rates (name, value, note) FROM STDIN", rows: rows)
            #expect(copied == 1000)
            #expect(try await tx.queryValue("SELECT sum(value)::int8 FROM rates", as: Int.self) == 499_500)
            #expect(try await tx.queryValue("SELECT count(*) FROM rates WHERE note IS NULL", as: Int.self) == 500)
            let note = try await tx.queryValue("SELECT note FROM rates WHERE value = 0", as: String.self)
            #expect(note == "tab\there\nnewline \\ slash")
        }
    }

    @Test func copyErrorsAreReportedAndTheConnectionStaysUsable() async throws {
        try await TestDatabase.withRollback { tx in
            try await tx.execute("CREATE TEMP TABLE numbers (n int4 NOT NULL)")
            await #expect(throws: PostgresError.self) {
                try await tx.withTransaction { inner in
                    _ = try await inner.copyFrom("COPY numbers (n) FROM STDIN", rows: [["not a number"]])
                }
            }
            #expect(try await tx.queryValue("SELECT count(*) FROM numbers", as: Int.self) == 0)
        }
    }

    @Test func listenReceivesNotifications() async throws {
        let channel = "test_\(UUID().uuidString.prefix(8).lowercased())"
        let listener = PostgresListener(configuration: TestDatabase.configuration, channels: [channel])
        defer { listener.stop() }
        var iterator = listener.events.makeAsyncIterator()
        #expect(await iterator.next() == .listening)
        _ = try await TestDatabase.pool.query("SELECT pg_notify(\(channel), \("payload one"))")
        #expect(await iterator.next() == .notification(channel: channel, payload: "payload one"))
    }
}
