import AppKernel
import Foundation
import Postgres
import TestSupport
import Testing

/// Every supported type survives a trip through a bound parameter and back.
@Suite(.tags(.database)) struct DecodingTests {
    func roundTrip<T: PostgresEncodable & PostgresDecodable & Equatable>(_ value: T, as sqlType: String) async throws {
        let back = try await TestDatabase.pool.queryValue("SELECT \(value)::\(unsafeRaw: sqlType)", as: T.self)
        #expect(back == value, "\(sqlType)")
    }

    @Test func scalarsRoundTrip() async throws {
        try await roundTrip(true, as: "boolean")
        try await roundTrip(false, as: "boolean")
        try await roundTrip(Int16.min, as: "int2")
        try await roundTrip(Int32.max, as: "int4")
        try await roundTrip(Int64.min, as: "int8")
        try await roundTrip(Int(42), as: "int8")
        try await roundTrip(3.141592653589793, as: "float8")
        try await roundTrip(-0.1, as: "float8")
        try await roundTrip("plain", as: "text")
        try await roundTrip("quotes ' \" back\\slash, commas {braces} and ünïcødé 🚗", as: "text")
        try await roundTrip("", as: "text")
        try await roundTrip(UUID(), as: "uuid")
        try await roundTrip(Data([0, 1, 2, 0xfe, 0xff]), as: "bytea")
        try await roundTrip(Data(), as: "bytea")
        try await roundTrip(LocalDate("2000-02-29")!, as: "date")
        try await roundTrip(LocalDate("0001-01-01")!, as: "date")
        try await roundTrip(PostgresNumeric("-12345678901234567890.000000000123")!, as: "numeric")
        try await roundTrip(PostgresJSON(text: #"{"a": [1, 2, {"b": null}]}"#), as: "jsonb")
    }

    @Test func timestampsKeepMicroseconds() async throws {
        let instant = Date(timeIntervalSince1970: 1_795_000_000.123456)
        let back = try await TestDatabase.pool.queryValue("SELECT \(instant)", as: Date.self)
        #expect(abs(back.timeIntervalSince1970 - instant.timeIntervalSince1970) < 0.000_001)
        let before1970 = Date(timeIntervalSince1970: -86_400 * 365.25 * 30 + 0.5)
        let back2 = try await TestDatabase.pool.queryValue("SELECT \(before1970)", as: Date.self)
        #expect(abs(back2.timeIntervalSince1970 - before1970.timeIntervalSince1970) < 0.000_001)
        // A timestamp written with another offset is the same instant.
        let parsed = try await TestDatabase.pool.queryValue("SELECT '2026-11-26 18:30:00+02:30'::timestamptz", as: Date.self)
        #expect(parsed == Date(timeIntervalSince1970: 1_795_708_800))
    }

    @Test func arraysRoundTrip() async throws {
        try await roundTrip(["a", "b,c", "\"quoted\"", "back\\slash", "NULL", "", "{x}"], as: "text[]")
        try await roundTrip([Int](), as: "int8[]")
        try await roundTrip([1, -2, Int.max], as: "int8[]")
        try await roundTrip([Int32(7), 8], as: "int4[]")
        try await roundTrip([UUID(), UUID()], as: "uuid[]")
        let withNull = try await TestDatabase.pool.queryValue("SELECT ARRAY['x', NULL]::text[]", as: [String?].self)
        #expect(withNull == ["x", nil])
    }

    @Test func nullsDecodeOnlyIntoOptionals() async throws {
        let row = try await TestDatabase.pool.queryOne("SELECT NULL::int8, NULL::text, \(Int?.none), \(String?.some("x"))") { $0 }
        #expect(try row.decode(Int?.self, at: 0) == nil)
        #expect(try row.decode(String?.self, at: 1) == nil)
        #expect(try row.decode(Int?.self, at: 2) == nil)
        #expect(try row.decode(String?.self, at: 3) == "x")
        #expect(row.isNull(at: 0))
        #expect(throws: PostgresError.self) { try row.decode(Int.self, at: 0) }
    }

    @Test func decodingTheWrongTypeIsAnError() async throws {
        let row = try await TestDatabase.pool.queryOne("SELECT 'abc'::text AS name, 2147483648::int8 AS big") { $0 }
        let error = #expect(throws: PostgresError.self) { try row.decode(Int.self, at: 0) }
        #expect(error?.code == .decoding)
        #expect(throws: PostgresError.self) { try row.decode(Int32.self, column: "big") }
        #expect(throws: PostgresError.self) { try row.decode(Int.self, column: "missing") }
        #expect(try row.decode(String.self, column: "name") == "abc")
    }

    @Test func nulBytesAreRefusedNotTruncated() async throws {
        let error = await #expect(throws: PostgresError.self) {
            try await TestDatabase.pool.query("SELECT \("abc\u{0}def")")
        }
        #expect(error?.code == .invalidParameter)
    }

    @Test func interpolationNeverSplicesValues() {
        let hostile = "'; DROP TABLE x; --"
        let sql: SQL = "SELECT * FROM t WHERE a = \(hostile) AND b = \(3)"
        #expect(sql.text == "SELECT * FROM t WHERE a = $1 AND b = $2")
        #expect(sql.binds.map(\.text) == [hostile, "3"])
        let nested: SQL = "SELECT 1 WHERE \(SQL.joined(["x = \(1)", "y = \(2)"], separator: " AND ")) AND z = \(3)"
        #expect(nested.text == "SELECT 1 WHERE x = $1 AND y = $2 AND z = $3")
        #expect(!sql.description.contains("DROP") || sql.description == sql.text)
    }
}

extension Tag {
    @Tag static var database: Self
}
