import Foundation
import TestSupport
import Testing

/// The bad-input battery for vehicles, quotes and policies: every malformed request is a 4xx
/// problem+json naming the field, and writes nothing.
@Suite(.tags(.database)) struct BadInputTests {
    @Test(arguments: [
        ("registration", .missing, 422), ("registration", .text("!!"), 422), ("registration", .number(12), 422),
        ("type", .text("tractor"), 422), ("type", .missing, 422),
        ("make", .text(""), 422), ("make", .text(String(repeating: "m", count: 51)), 422),
        ("model", .missing, 422), ("model", .array, 422),
        ("year", .number(1900), 422), ("year", .number(2100), 422), ("year", .text("2019"), 422),
        ("value_amount", .number(0), 422), ("value_amount", .number(-500), 422), ("value_amount", .number(100_000_001), 422),
        ("value_amount", .text("£12,000"), 422), ("value_amount", .null, 422),
    ] as [(String, FieldValue, Int)])
    func vehicleFields(field: String, value: FieldValue, status: Int) async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        var body: [String: Any] = ["registration": "XY19 ZZZ", "type": "van", "make": "Ford", "model": "Transit",
                                   "year": 2019, "value_amount": 1_500_000]
        body[field] = value.json
        let response = try await driver.client.json("POST", "/v1/vehicles", body, token: driver.token)
        #expect(response.status == status, "\(field)=\(value)")
        let fields = (try response.json()["errors"] as? [[String: Any]])?.compactMap { $0["field"] as? String } ?? []
        #expect(fields.contains(field), "\(field): \(response.text)")
        let list = try await driver.client.json("GET", "/v1/vehicles", token: driver.token).json()
        #expect((list["data"] as? [Any])?.count == 1, "nothing written")
    }

    @Test func quoteAndPolicyBodies() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        for (body, status, field) in [
            (["product": "payg", "usage": "food_delivery"], 422, "vehicle_id"),
            (["vehicle_id": "nope", "product": "payg", "usage": "food_delivery"], 422, "vehicle_id"),
            (["vehicle_id": driver.vehicleID, "product": 1, "usage": "food_delivery"], 422, "product"),
            (["vehicle_id": driver.vehicleID, "product": "hourly", "usage": "food_delivery", "hours": "two"], 422, "hours"),
            (["vehicle_id": driver.vehicleID, "product": "hourly", "usage": "food_delivery", "hours": 1.5], 422, "hours"),
            (["vehicle_id": driver.vehicleID, "product": "hourly", "usage": "food_delivery", "hours": 9_007_199_254_740_993], 422, "hours"),
            (["vehicle_id": driver.vehicleID, "product": "hourly", "usage": "food_delivery", "hours": -3], 422, "hours"),
        ] as [([String: Any], Int, String)] {
            let response = try await driver.client.json("POST", "/v1/quotes", body, token: driver.token)
            #expect(response.status == status, "\(body)")
            let fields = (try response.json()["errors"] as? [[String: Any]])?.compactMap { $0["field"] as? String } ?? []
            #expect(fields.contains(field), "\(body): \(response.text)")
        }
        for (body, status) in [([String: Any](), 422), (["quote_id": 7], 422), (["quote_id": "x"], 422),
                               (["quote_id": UUID().uuidString], 404)] as [([String: Any], Int)] {
            #expect(try await driver.client.json("POST", "/v1/policies", body, token: driver.token).status == status, "\(body)")
        }
        let badKey = try await driver.client.json("POST", "/v1/policies", ["quote_id": UUID().uuidString], token: driver.token,
                                                  headers: [("Idempotency-Key", String(repeating: "k", count: 300))])
        #expect(badKey.status == 400)
        for path in ["/v1/quotes/not-a-uuid", "/v1/policies/not-a-uuid", "/v1/vehicles/\(UUID().uuidString)"] {
            #expect(try await driver.client.json("GET", path, token: driver.token).status == 404, "\(path)")
        }
        #expect(try await driver.client.json("GET", "/v1/policies?limit=0", token: driver.token).status == 400)
        #expect(try await driver.client.json("GET", "/v1/policies?cursor=garbage", token: driver.token).status == 400)
        #expect(try await driver.client.json("GET", "/v1/policies", token: driver.token).json()["data"] != nil)
        #expect((try await driver.client.json("POST", "/v1/policies", nil, token: driver.token)).status == 400)
    }

    @Test func pagination() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        for index in 0..<4 {
            let body: [String: Any] = ["registration": "PG\(index)9 ABC", "type": "car", "make": "Kia", "model": "Niro",
                                       "year": 2020, "value_amount": 900_000]
            #expect(try await driver.client.json("POST", "/v1/vehicles", body, token: driver.token).status == 201)
        }
        var seen: [String] = []
        var path = "/v1/vehicles?limit=2"
        while true {
            let page = try await driver.client.json("GET", path, token: driver.token).json()
            seen += (page["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            guard let cursor = page["next_cursor"] as? String else { break }
            path = "/v1/vehicles?limit=2&cursor=\(cursor)"
        }
        #expect(seen.count == 5)
        #expect(Set(seen).count == 5)
        let capped = try await driver.client.json("GET", "/v1/vehicles?limit=5000", token: driver.token)
        #expect(capped.status == 200)
    }

    @Test func concurrentBindsWithOneKeyCreateOnePolicy() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        let quoteID = try await driver.quote().json()["id"] as! String
        let key = UUID().uuidString
        let statuses = try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
            for _ in 0..<8 {
                group.addTask {
                    let client = try TestConnection(port: server.port)
                    let response = try await client.json("POST", "/v1/policies", ["quote_id": quoteID], token: driver.token,
                                                         headers: [("Idempotency-Key", key)])
                    return (response.status, response.body)
                }
            }
            var results: [(Int, [UInt8])] = []
            for try await result in group { results.append(result) }
            return results
        }
        // Each request either created the policy, replayed that same response, or was told the
        // first is still in flight; never a second policy.
        #expect(statuses.allSatisfy { [201, 409].contains($0.0) })
        let created = statuses.filter { $0.0 == 201 }
        #expect(!created.isEmpty)
        #expect(Set(created.map(\.1)).count == 1)
        let policies = try await driver.client.json("GET", "/v1/policies", token: driver.token).json()
        #expect((policies["data"] as? [Any])?.count == 1)
    }

    @Test func hourlyStartsFollowTheTestClock() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let client = try TestConnection(port: server.port)
        let clockID = try await client.json("POST", "/v1/test-clocks", ["frozen_time": "2026-05-01T08:00:00Z"]).json()["id"] as! String
        let driver = try await TestDriver.make(server, ["test_clock_id": clockID])
        let inSixDays = try await driver.quote(["product": "hourly", "hours": 4, "starts_at": "2026-05-07T08:00:00Z"])
        #expect(inSixDays.status == 201)
        #expect(try inSixDays.json()["ends_at"] as? String == "2026-05-07T12:00:00Z")
        let inEightDays = try await driver.quote(["product": "hourly", "hours": 4, "starts_at": "2026-05-09T08:00:00Z"])
        #expect(inEightDays.status == 422)
        let now = try await driver.quote(["product": "hourly", "hours": 1])
        #expect(try now.json()["starts_at"] as? String == "2026-05-01T08:00:00Z")
    }
}
