import AppKernel
import ArgumentParser
import Foundation
import HTTPServer
import Identity
import Payments
import Wallet
import WorkProviders
import Logging
import Postgres

/// `hourglass seed`: demo data for sandbox mode, created through the application's own API
/// (every validation applies) and safe to run repeatedly.
struct SeedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed",
        abstract: "Create demo data (sandbox only): drivers with history, and their card payments paid out and reconciled. Safe to run again.")

    @OptionGroup var options: CommonOptions

    static let email = "demo@example.com"
    static let historyEmail = "amira@example.com"
    static let password = "hourglass-demo"

    func run() async throws {
        let config = try Startup.loadConfig(options)
        guard config.environment.isSandbox else {
            Startup.printError("hourglass: seed creates demo data and runs only in development or test")
            throw ExitCode.failure
        }
        var logger = Logger(label: "hourglass.seed")
        logger.logLevel = .warning
        let pool = PostgresPool(configuration: Startup.databaseConfiguration(config), options: .init(maxConnections: 2))
        let app = AppContext(config: config, database: pool, logger: logger, expectedSchemaVersion: 0)
        let services = try Services.make(config, logger: logger, database: pool)
        let application = Application(context: app, modules: try installedModules(app, services: services))
        func call(_ method: HTTPMethod, _ path: String, _ body: [String: Any], token: String? = nil,
                  signedWith secret: String? = nil) async throws -> (Int, [String: Any]) {
            let body: [UInt8] = method == .get ? [] : Array(try JSONSerialization.data(withJSONObject: body))
            var headers: HTTPHeaders = ["host": "seed", "content-type": "application/json"]
            if let token { headers.add(name: "authorization", value: "Bearer \(token)") }
            if let secret {
                headers.add(name: "hourglass-signature",
                            value: WebhookSignature.sign(body: body, secret: secret, timestamp: Int(app.clock.now().timeIntervalSince1970)))
            }
            let head = HTTPRequestHead(method: method, target: path, path: path, query: nil, version: .http1_1, headers: headers,
                                       keepAlive: true, expectsContinue: false, contentLength: nil, isChunked: false)
            let response = await application.respond(to: HTTPRequest(
                head: head, body: body, remoteAddress: "127.0.0.1:0"))
            let json = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
            return (response.status.code, json)
        }

        let (signUpStatus, _) = try await call(.post, "/v1/drivers", [
            "email": Self.email, "password": Self.password, "full_name": "Demo Driver", "date_of_birth": "1990-05-17",
            "phone": "07700 900001", "postcode": "E1 6AN", "licence_number": "DRIVE905170DD9AB", "licence_type": "full",
            "licence_issued_on": "2010-08-01",
        ])
        guard signUpStatus == 201 || signUpStatus == 409 else {
            Startup.printError("hourglass: could not create the demo driver (HTTP \(signUpStatus))")
            throw ExitCode.failure
        }
        let (loginStatus, login) = try await call(.post, "/v1/auth/token", ["email": Self.email, "password": Self.password])
        guard loginStatus == 200, let token = login["token"] as? String else {
            Startup.printError("hourglass: the demo driver exists with another password (HTTP \(loginStatus))")
            throw ExitCode.failure
        }
        let (vehicleStatus, _) = try await call(.post, "/v1/vehicles", [
            "registration": "LB19 HGL", "type": "motorcycle", "make": "Honda", "model": "PCX125", "year": 2019,
            "value_amount": 250_000,
        ], token: token)
        guard vehicleStatus == 201 || vehicleStatus == 409 else {
            Startup.printError("hourglass: could not create the demo vehicle (HTTP \(vehicleStatus))")
            throw ExitCode.failure
        }
        // A standing PAYG policy, welcome credit and a Deliveroo link, so that a signed shift
        // event alone shows cover switching on.
        let (_, policies) = try await call(.get, "/v1/policies", [:], token: token)
        if (policies["data"] as? [Any])?.isEmpty ?? true {
            let (_, vehicles) = try await call(.get, "/v1/vehicles", [:], token: token)
            if let vehicleID = (vehicles["data"] as? [[String: Any]])?.first?["id"] as? String {
                let (_, quote) = try await call(.post, "/v1/quotes", ["vehicle_id": vehicleID, "product": "payg", "usage": "food_delivery"], token: token)
                if let quoteID = quote["id"] as? String { _ = try await call(.post, "/v1/policies", ["quote_id": quoteID], token: token) }
            }
        }
        if let driverID = try await Identity(app: app).accountID(email: Self.email) {
            let wallet = Wallet(app: app, payments: Payments(app: app, gateway: UnavailableGateway(), outcomes: PaymentOutcomes()))
            try await pool.withTransaction { transaction in
                try await wallet.grantPromo(driverID: driverID, amount: 2000, description: "Welcome credit",
                                            causedBy: "promo:seed-welcome", at: app.clock.now(), on: transaction)
            }
        }
        // The Deliveroo link, asked for by the driver and confirmed by the (sandbox) provider,
        // as it happens for real.
        let (linkStatus, link) = try await call(.post, "/v1/work-provider-links",
                                                ["provider": "deliveroo", "provider_driver_id": "demo-rider"], token: token)
        if linkStatus == 201, let code = link["link_code"] as? String,
           let secret = try config.section(WorkProvidersConfig.self).byName["deliveroo"]?.secret {
            _ = try await call(.post, "/v1/work-providers/deliveroo/link-confirmations",
                               ["provider_driver_id": "demo-rider", "link_code": code], signedWith: secret)
        }
        let historyCreated = try await seedHistory({ try await call($0, $1, $2, token: $3, signedWith: $4) }, config: config, now: app.clock.now())
        let settled = try await seedSettlement(application: application, services: services)
        await services.stop()
        await pool.close()
        print("demo driver: \(Self.email) / \(Self.password) (vehicle LB19HGL, PAYG policy, £20 welcome credit, deliveroo id demo-rider)")
        print("demo driver with history: \(Self.historyEmail) / \(Self.password) (on a test clock: a working day of shifts and sessions, "
              + "a 14-hour cut, an hourly block, a top-up, a claim, a pause)\(historyCreated ? "" : " (already there)")")
        for line in settled { print(line) }
    }

    /// A second driver, on a test clock two days back, with a working day behind them, so every
    /// section of driver 360 has something to show: two provider links, a joined session and a
    /// minimum-hour one, a card-paid hourly block, a claim with a photo, a night shift cut at 14
    /// hours that takes the balance below £0 (cover paused, the driver told), a statement.
    /// Made through the API like everything else; only once (false when the driver exists).
    func seedHistory(_ call: @escaping (HTTPMethod, String, [String: Any], String?, String?) async throws -> (Int, [String: Any]),
                     config: AppConfig, now: Date) async throws -> Bool {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let day = calendar.date(byAdding: .day, value: -2, to: calendar.startOfDay(for: now))!
        func at(_ hours: Double) -> String { RFC3339.format(day.addingTimeInterval(hours * 3600)) }
        let (_, clock) = try await call(.post, "/v1/test-clocks", ["frozen_time": at(7)], nil, nil)
        guard let clockID = clock["id"] as? String else { return false }
        let (signUp, created) = try await call(.post, "/v1/drivers", [
            "email": Self.historyEmail, "password": Self.password, "full_name": "Amira Khan", "date_of_birth": "1994-03-12",
            "phone": "07700 900123", "postcode": "E1 6AN", "licence_number": "KHANA903124AK9XY", "licence_type": "full",
            "licence_issued_on": "2015-06-01", "test_clock_id": clockID,
        ], nil, nil)
        guard signUp == 201, let token = created["token"] as? String else { return false }
        func advance(_ hours: Double) async throws { _ = try await call(.post, "/v1/test-clocks/\(clockID)/advance", ["frozen_time": at(hours)], nil, nil) }
        let (_, vehicle) = try await call(.post, "/v1/vehicles", ["registration": "YK21 HRV", "type": "car", "make": "Toyota", "model": "Corolla",
                                                                 "year": 2021, "value_amount": 1_450_000], token, nil)
        let vehicleID = vehicle["id"] as? String ?? ""
        let (_, quote) = try await call(.post, "/v1/quotes", ["vehicle_id": vehicleID, "product": "payg", "usage": "food_delivery"], token, nil)
        let (_, policy) = try await call(.post, "/v1/policies", ["quote_id": quote["id"] ?? ""], token, nil)
        let policyID = policy["id"] as? String ?? ""
        let (_, card) = try await call(.post, "/v1/payment-methods", ["token": "tok_visa"], token, nil)
        let cardID = card["id"] as? String ?? ""
        _ = try await call(.post, "/v1/wallet/top-ups", ["amount": 2000, "payment_method_id": cardID], token, nil)
        // Automatic top-ups off, so the night shift's charge shows a pause.
        _ = try await call(.patch, "/v1/wallet", ["auto_top_up": ["enabled": false]], token, nil)
        let secrets = try config.section(WorkProvidersConfig.self).byName
        for (provider, riderID) in [("deliveroo", "amira-rider"), ("uber_eats", "amira-ue")] {
            let (status, link) = try await call(.post, "/v1/work-provider-links", ["provider": provider, "provider_driver_id": riderID], token, nil)
            if status == 201, let code = link["link_code"] as? String, let secret = secrets[provider]?.secret {
                _ = try await call(.post, "/v1/work-providers/\(provider)/link-confirmations", ["provider_driver_id": riderID, "link_code": code], nil, secret)
            }
        }
        func shift(_ provider: String, _ riderID: String, _ id: String, _ type: String, _ hours: Double) async throws {
            guard let secret = secrets[provider]?.secret else { return }
            _ = try await call(.post, "/v1/work-providers/\(provider)/events", [
                "event_id": "seed-\(clockID.prefix(8))-\(id)-\(type == "shift_started" ? "start" : "end")", "provider_driver_id": riderID, "type": type, "occurred_at": at(hours), "shift_id": id,
            ], nil, secret)
        }
        // Morning: 08:00–08:20 and 08:45–11:00 join into one session (the second starts inside the paid hour).
        try await advance(11.1)
        try await shift("deliveroo", "amira-rider", "d1", "shift_started", 8)
        try await shift("deliveroo", "amira-rider", "d1", "shift_ended", 8 + 1 / 3)
        try await shift("deliveroo", "amira-rider", "d2", "shift_started", 8.75)
        try await shift("deliveroo", "amira-rider", "d2", "shift_ended", 11)
        try await advance(11.5)
        // A claim in the joined gap, with a photo.
        let (_, claim) = try await call(.post, "/v1/claims", [
            "policy_id": policyID, "occurred_at": at(9.5), "type": "accident", "description": "A car reversed into me at the lights.\nOnly the pannier was damaged.",
            "location": "Commercial Road, London E1", "third_parties": [["name": "J. Smith", "registration": "XY12 ABC", "insurer": "Acme"]],
        ], token, nil)
        _ = claim
        // Midday: 12:30–13:05 with an overlapping Uber Eats shift: one minimum hour, charged once.
        try await advance(13.2)
        try await shift("deliveroo", "amira-rider", "d3", "shift_started", 12.5)
        try await shift("uber_eats", "amira-ue", "u1", "shift_started", 12.6)
        try await shift("deliveroo", "amira-rider", "d3", "shift_ended", 13)
        try await shift("uber_eats", "amira-ue", "u1", "shift_ended", 13 + 1 / 12)
        // An hourly block for the afternoon, paid by card.
        let (_, block) = try await call(.post, "/v1/quotes", ["vehicle_id": vehicleID, "product": "hourly", "hours": 2, "starts_at": at(14),
                                                             "usage": "parcel_delivery"], token, nil)
        _ = try await call(.post, "/v1/policies", ["quote_id": block["id"] ?? "", "payment_method_id": cardID], token, nil)
        // The night: a 15-hour Uber Eats shift from 16:00, cut at 14 hours; its charge takes the balance below £0.
        try await advance(16.1)
        try await shift("uber_eats", "amira-ue", "u2", "shift_started", 16)
        try await advance(31.1)
        try await shift("uber_eats", "amira-ue", "u2", "shift_ended", 31)
        try await advance(32)
        return true
    }
}
