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
        abstract: "Create demo data (sandbox only): a driver with a vehicle. Safe to run again.")

    @OptionGroup var options: CommonOptions

    static let email = "demo@example.com"
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
        await services.stop()
        await pool.close()
        print("demo driver: \(Self.email) / \(Self.password) (vehicle LB19HGL, PAYG policy, £20 welcome credit, deliveroo id demo-rider)")
    }
}
