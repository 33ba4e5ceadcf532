import AppKernel
import HTTPServer

/// The OpenAPI 3.1 description of every route, served at `GET /openapi.json`.
/// `ServerTests/OpenAPITests` fails when a route and this document disagree.
enum OpenAPIDocument {
    static func build(sandbox: Bool) -> JSONValue {
        var paths: [String: [String: JSONValue]] = [:]
        func add(_ method: String, _ path: String, _ operation: JSONValue) { paths[path, default: [:]][method] = operation }

        add("get", "/health/live", op("Liveness: the process is up (no database)", tag: "ops", auth: false, responses: ["200": json("Status")]))
        add("get", "/health", op("Readiness: database and migrations checks", tag: "ops", auth: false,
                                 responses: ["200": json("Health"), "503": json("Health")]))
        add("get", "/metrics", op("Prometheus metrics (requests, latency, pool, jobs)", tag: "ops", auth: false,
                                  responses: ["200": .object(["description": .string("Prometheus text format"),
                                                              "content": .object(["text/plain": .object([:])])])]))
        add("get", "/openapi.json", op("This document", tag: "ops", auth: false, responses: ["200": .object(["description": .string("OpenAPI 3.1")])]))

        add("post", "/v1/drivers", op("Sign up", tag: "drivers", auth: false, body: "SignUp",
                                      responses: ["201": json("SignedUp"), "409": problem, "422": problem]))
        add("get", "/v1/me", op("The driver's profile", tag: "drivers", responses: ["200": json("Driver")]))
        add("post", "/v1/auth/token", op("Log in", tag: "identity", auth: false, body: "Login",
                                         responses: ["200": json("Token"), "401": problem, "429": problem]))
        add("delete", "/v1/auth/token", op("Log out (revoke this token)", tag: "identity", responses: ["204": .object(["description": .string("Revoked")])]))

        add("post", "/v1/vehicles", op("Add a vehicle", tag: "vehicles", body: "NewVehicle",
                                       responses: ["201": json("Vehicle"), "409": problem, "422": problem]))
        add("get", "/v1/vehicles", op("List vehicles", tag: "vehicles", list: true, responses: ["200": json("VehicleList")]))
        add("get", "/v1/vehicles/{id}", op("One vehicle", tag: "vehicles", id: true, responses: ["200": json("Vehicle"), "404": problem]))

        add("post", "/v1/quotes", op("Get a quote (underwritten and priced)", tag: "quotes", body: "NewQuote",
                                     responses: ["201": json("Quote"), "404": problem, "422": problem]))
        add("get", "/v1/quotes/{id}", op("One quote", tag: "quotes", id: true, responses: ["200": json("Quote"), "404": problem]))

        add("post", "/v1/policies", op("Bind a quote", tag: "policies", body: "Bind", idempotent: true,
                                       responses: ["201": json("Policy"), "404": problem, "409": problem, "422": problem]))
        add("get", "/v1/policies", op("List policies", tag: "policies", list: true, responses: ["200": json("PolicyList")]))
        add("get", "/v1/policies/{id}", op("One policy", tag: "policies", id: true, responses: ["200": json("Policy"), "404": problem]))
        add("post", "/v1/policies/{id}/cancel", op("Cancel a policy", tag: "policies", id: true, idempotent: true,
                                                   responses: ["200": json("Policy"), "404": problem, "409": problem]))
        add("get", "/v1/policies/{id}/certificate", op("Certificate of motor insurance (HTML, or PDF with Accept: application/pdf)",
                                                       tag: "policies", id: true,
                                                       responses: ["200": .object(["description": .string("Printable certificate"),
                                                                                   "content": .object(["text/html": .object([:]),
                                                                                                       "application/pdf": .object([:])])]),
                                                                   "404": problem]))
        add("post", "/v1/payment-methods", op("Save a card from a PSP token", tag: "payments", body: "NewCard",
                                              responses: ["201": json("PaymentMethod"), "422": problem, "502": problem, "503": problem]))
        add("get", "/v1/payment-methods", op("List saved cards", tag: "payments", responses: ["200": json("PaymentMethodList")]))
        add("get", "/v1/payments/{id}", op("One payment", tag: "payments", id: true, responses: ["200": json("Payment"), "404": problem]))
        add("post", "/v1/payments/{id}/confirm", op("Final state after SCA", tag: "payments", id: true,
                                                    responses: ["200": json("Payment"), "404": problem]))
        add("post", "/v1/webhooks/psp", op("Signed card processor events (PSP-Signature)", tag: "payments", auth: false,
                                           responses: ["200": .object(["description": .string("Acknowledged")]), "401": problem]))
        add("get", "/v1/wallet", op("Balances and auto top-up", tag: "wallet", responses: ["200": json("Wallet")]))
        add("patch", "/v1/wallet", op("Change auto top-up", tag: "wallet", body: "WalletPatch",
                                      responses: ["200": json("Wallet"), "422": problem]))
        add("post", "/v1/wallet/top-ups", op("Top up by card (SCA when asked)", tag: "wallet", body: "TopUp", idempotent: true,
                                             responses: ["201": json("Payment"), "404": problem, "409": problem, "422": problem]))
        add("get", "/v1/transactions", op("Itemised money history, newest first", tag: "billing", list: true,
                                          responses: ["200": json("TransactionList")]))
        add("get", "/v1/statements/{week}", .object(["summary": .string("Weekly statement (ISO week, e.g. 2026-W48)"),
            "tags": .array([.string("billing")]), "security": .array([.object(["bearer": .array([])])]),
            "parameters": .array([parameter("week", in: "path", required: true, schema: ["type": .string("string"), "pattern": .string("^[0-9]{4}-W[0-9]{2}$")])]),
            "responses": .object(["200": json("Statement"), "401": problem, "404": problem])]))
        add("post", "/v1/work-provider-links", op("Link the driver to a work provider", tag: "work providers", body: "NewLink",
                                                  responses: ["201": json("Link"), "409": problem, "422": problem]))
        add("post", "/v1/work-providers/{provider}/events", .object([
            "summary": .string("Signed shift events from a work provider (Hourglass-Signature: t=…,v1=…)"),
            "tags": .array([.string("work providers")]),
            "parameters": .array([parameter("provider", in: "path", required: true, schema: ["type": .string("string")])]),
            "requestBody": .object(["required": .bool(true), "content": .object(["application/json": .object(["schema": ref("ShiftEvent")])])]),
            "responses": .object(["202": .object(["description": .string("Stored (or a duplicate)")]), "400": problem,
                                  "401": problem, "404": problem, "422": problem]),
        ]))
        add("post", "/v1/policies/{id}/sessions", op("Start PAYG cover by hand", tag: "cover", id: true,
                                                     responses: ["201": json("Session"), "404": problem, "409": problem, "422": problem]))
        add("post", "/v1/sessions/{id}/end", op("End the driver's manual cover", tag: "cover", id: true,
                                                responses: ["200": json("Session"), "404": problem]))
        add("get", "/v1/policies/{id}/sessions", op("A policy's cover sessions", tag: "cover", id: true,
                                                    responses: ["200": json("SessionList"), "404": problem]))
        add("get", "/v1/cover", .object([
            "summary": .string("Was the driver covered at an instant?"), "tags": .array([.string("cover")]),
            "security": .array([.object(["bearer": .array([])])]),
            "parameters": .array([parameter("at", in: "query", required: false, schema: ["type": .string("string"), "format": .string("date-time")])]),
            "responses": .object(["200": json("CoverAnswer"), "400": problem, "401": problem]),
        ]))
        add("post", "/v1/claims", op("Report a claim (the policy must have covered that instant)", tag: "claims", body: "NewClaim",
                                     responses: ["201": json("Claim"), "404": problem, "422": problem]))
        add("get", "/v1/claims", op("List claims", tag: "claims", list: true, responses: ["200": json("ClaimList")]))
        add("get", "/v1/claims/{id}", op("One claim", tag: "claims", id: true, responses: ["200": json("Claim"), "404": problem]))
        add("post", "/v1/claims/{id}/attachments", .object([
            "summary": .string("Attach a photo or PDF (raw body with its Content-Type, 10 MB max)"), "tags": .array([.string("claims")]),
            "security": .array([.object(["bearer": .array([])])]),
            "parameters": .array([parameter("id", in: "path", required: true, schema: ["type": .string("string"), "format": .string("uuid")])]),
            "requestBody": .object(["required": .bool(true), "content": .object([
                "image/jpeg": .object([:]), "image/png": .object([:]), "image/heic": .object([:]), "application/pdf": .object([:]),
            ])]),
            "responses": .object(["201": json("Attachment"), "400": problem, "401": problem, "404": problem, "413": problem, "415": problem]),
        ]))
        add("get", "/v1/notifications", op("What we told the driver, newest first", tag: "notifications", list: true,
                                           responses: ["200": json("NotificationList")]))
        add("post", "/v1/notifications/{id}/read", op("Mark a notification read", tag: "notifications", id: true,
                                                      responses: ["200": json("Notification"), "404": problem]))
        if sandbox {
            add("post", "/v1/test-clocks", op("Create a test clock (sandbox)", tag: "test clocks", auth: false, body: "ClockTime",
                                              responses: ["201": json("TestClock")]))
            add("get", "/v1/test-clocks/{id}", op("One test clock (sandbox)", tag: "test clocks", auth: false, id: true,
                                                  responses: ["200": json("TestClock"), "404": problem]))
            add("post", "/v1/test-clocks/{id}/advance", op("Advance a test clock and run what fell due (sandbox)", tag: "test clocks",
                                                           auth: false, id: true, body: "ClockTime",
                                                           responses: ["200": json("TestClock"), "404": problem, "422": problem]))
        }
        return .object([
            "openapi": .string("3.1.0"),
            "info": .object(["title": .string("Hourglass API"), "version": .string("1"),
                             "description": .string("Motor cover by the hour for gig-economy drivers. Money is in integer minor units (pence); instants are RFC 3339 UTC.")]),
            "paths": .object(paths.mapValues { .object($0) }),
            "components": .object(["schemas": .object(schemas), "securitySchemes": .object([
                "bearer": .object(["type": .string("http"), "scheme": .string("bearer")]),
            ])]),
        ])
    }

    private static var problem: JSONValue { json("Problem", type: "application/problem+json") }

    private static func json(_ schema: String, type: String = "application/json") -> JSONValue {
        .object(["description": .string(schema), "content": .object([type: .object(["schema": ref(schema)])])])
    }

    private static func ref(_ name: String) -> JSONValue { .object(["$ref": .string("#/components/schemas/\(name)")]) }

    private static func op(_ summary: String, tag: String, auth: Bool = true, id: Bool = false, list: Bool = false,
                           body: String? = nil, idempotent: Bool = false, responses: [String: JSONValue]) -> JSONValue {
        var operation: [String: JSONValue] = ["summary": .string(summary), "tags": .array([.string(tag)])]
        var parameters: [JSONValue] = []
        if id { parameters.append(parameter("id", in: "path", required: true, schema: ["type": .string("string"), "format": .string("uuid")])) }
        if list {
            parameters.append(parameter("limit", in: "query", required: false, schema: ["type": .string("integer"), "minimum": .integer(1), "default": .integer(50)]))
            parameters.append(parameter("cursor", in: "query", required: false, schema: ["type": .string("string")]))
        }
        if idempotent {
            parameters.append(parameter("Idempotency-Key", in: "header", required: false,
                                        schema: ["type": .string("string"), "minLength": .integer(1), "maxLength": .integer(255)]))
        }
        if !parameters.isEmpty { operation["parameters"] = .array(parameters) }
        if let body {
            operation["requestBody"] = .object(["required": .bool(true), "content": .object(["application/json": .object(["schema": ref(body)])])])
        }
        var allResponses = responses
        if auth {
            operation["security"] = .array([.object(["bearer": .array([])])])
            allResponses["401"] = problem
        }
        if body != nil { allResponses["400"] = problem }
        operation["responses"] = .object(allResponses)
        return .object(operation)
    }

    private static func parameter(_ name: String, in location: String, required: Bool, schema: [String: JSONValue]) -> JSONValue {
        .object(["name": .string(name), "in": .string(location), "required": .bool(required), "schema": .object(schema)])
    }

    private static func object(_ properties: [String: JSONValue], required: [String] = []) -> JSONValue {
        var schema: [String: JSONValue] = ["type": .string("object"), "properties": .object(properties)]
        if !required.isEmpty { schema["required"] = .array(required.map { .string($0) }) }
        return .object(schema)
    }

    private static let string: JSONValue = .object(["type": .string("string")])
    private static let nullableString: JSONValue = .object(["type": .array([.string("string"), .string("null")])])
    private static let integer: JSONValue = .object(["type": .string("integer")])
    private static let uuid: JSONValue = .object(["type": .string("string"), "format": .string("uuid")])
    private static let date: JSONValue = .object(["type": .string("string"), "format": .string("date")])
    private static let instant: JSONValue = .object(["type": .string("string"), "format": .string("date-time")])
    private static let nullableInstant: JSONValue = .object(["type": .array([.string("string"), .string("null")]), "format": .string("date-time")])
    private static let amount: JSONValue = .object(["type": .string("integer"), "description": .string("minor units (pence)")])
    private static func enumeration(_ values: [String]) -> JSONValue {
        .object(["type": .string("string"), "enum": .array(values.map { .string($0) })])
    }
    private static func list(_ item: String) -> JSONValue {
        object(["data": .object(["type": .string("array"), "items": ref(item)]), "next_cursor": nullableString],
               required: ["data", "next_cursor"])
    }

    private static var schemas: [String: JSONValue] {
        [
            "Status": object(["status": string]),
            "Health": object(["status": enumeration(["ok", "error"]), "checks": .object(["type": .string("object")])]),
            "Problem": object(["type": string, "title": string, "status": integer, "detail": string, "request_id": string,
                               "errors": .object(["type": .string("array"), "items": object(["field": string, "message": string])]),
                               "reasons": .object(["type": .string("array"), "items": object(["code": string, "message": string])])],
                              required: ["type", "title", "status", "detail"]),
            "SignUp": object(["email": string, "password": .object(["type": .string("string"), "minLength": .integer(10)]),
                              "full_name": string, "date_of_birth": date, "phone": string, "postcode": string,
                              "licence_number": string, "licence_type": enumeration(["full", "provisional", "eu", "international"]),
                              "licence_issued_on": date, "declared_claims": integer, "test_clock_id": uuid],
                             required: ["email", "password", "full_name", "date_of_birth", "phone", "postcode", "licence_number",
                                        "licence_type", "licence_issued_on"]),
            "Driver": object(["id": uuid, "email": string, "full_name": string, "date_of_birth": date, "phone": string,
                              "postcode": string, "licence_number": string, "licence_type": string, "licence_issued_on": date,
                              "declared_claims": integer, "test_clock_id": nullableString, "created_at": instant]),
            "SignedUp": object(["driver": ref("Driver"), "token": string, "token_expires_at": instant]),
            "Login": object(["email": string, "password": string], required: ["email", "password"]),
            "Token": object(["token": string, "expires_at": instant]),
            "NewVehicle": object(["registration": string, "type": enumeration(["bicycle", "e_scooter", "motorcycle", "car", "van"]),
                                  "make": string, "model": string, "year": integer, "value_amount": amount],
                                 required: ["registration", "type", "make", "model", "year", "value_amount"]),
            "Vehicle": object(["id": uuid, "driver_id": uuid, "registration": string, "type": string, "make": string, "model": string,
                               "year": integer, "value_amount": amount, "currency": string, "created_at": instant]),
            "VehicleList": list("Vehicle"),
            "NewQuote": object(["vehicle_id": uuid, "product": enumeration(["payg", "hourly"]),
                                "usage": enumeration(["food_delivery", "parcel_delivery", "ride_hail"]),
                                "hours": .object(["type": .string("integer"), "minimum": .integer(1), "maximum": .integer(24)]),
                                "starts_at": instant], required: ["vehicle_id", "product", "usage"]),
            "Quote": object(["id": uuid, "status": enumeration(["quoted", "bound", "expired"]), "product": string, "usage": string,
                             "vehicle_id": uuid, "hours": integer, "starts_at": nullableInstant, "ends_at": nullableInstant,
                             "currency": string, "hourly_rate_amount": amount, "premium_amount": amount, "ipt_amount": amount,
                             "total_amount": amount, "valid_until": instant, "rating_version": integer,
                             "factors": .object(["type": .string("array"), "items": object(["name": string, "band": string, "value": integer])]),
                             "created_at": instant]),
            "Bind": object(["quote_id": uuid, "payment_method_id": uuid], required: ["quote_id"]),
            "Policy": object(["id": uuid, "number": string,
                              "status": enumeration(["pending_payment", "scheduled", "active", "paused", "cancelled", "expired", "deactivated"]),
                              "product": string, "usage": string, "driver_id": uuid, "vehicle_id": uuid, "quote_id": uuid,
                              "starts_at": instant, "ends_at": nullableInstant, "hourly_rate_amount": amount, "total_amount": amount,
                              "currency": string, "created_at": instant, "cancelled_at": nullableInstant]),
            "PolicyList": list("Policy"),
            "NewCard": object(["token": string], required: ["token"]),
            "PaymentMethod": object(["id": uuid, "brand": string, "last4": string, "is_default": .object(["type": .string("boolean")]),
                                     "created_at": instant]),
            "PaymentMethodList": list("PaymentMethod"),
            "Payment": object(["id": uuid, "amount": amount, "currency": string,
                               "status": enumeration(["processing", "requires_action", "succeeded", "failed"]),
                               "purpose": enumeration(["top_up", "auto_top_up", "block_purchase"]), "failure_code": nullableString,
                               "next_action": .object(["type": .array([.string("object"), .string("null")]),
                                                       "properties": .object(["type": string, "redirect_url": string])]),
                               "created_at": instant]),
            "Wallet": object(["balance_amount": amount, "promo_balance_amount": amount, "currency": string,
                              "auto_top_up": object(["enabled": .object(["type": .string("boolean")]), "threshold_amount": amount, "amount": amount])]),
            "WalletPatch": object(["auto_top_up": object(["enabled": .object(["type": .string("boolean")]), "threshold_amount": amount,
                                                          "amount": amount])], required: ["auto_top_up"]),
            "TopUp": object(["amount": .object(["type": .string("integer"), "minimum": .integer(500), "maximum": .integer(50000)]),
                             "payment_method_id": uuid], required: ["amount", "payment_method_id"]),
            "Transaction": object(["id": uuid, "type": enumeration(["top_up", "session_charge", "block_purchase", "refund", "fee", "promo_credit"]),
                                   "amount": amount, "ipt_amount": amount, "currency": string,
                                   "funding": enumeration(["card", "wallet", "promo", "mixed", "none"]), "description": string,
                                   "related_id": nullableString, "created_at": instant]),
            "TransactionList": list("Transaction"),
            "NewClaim": object(["policy_id": uuid, "occurred_at": instant, "type": enumeration(["accident", "theft", "damage", "injury"]),
                                "description": string, "location": string,
                                "third_parties": .object(["type": .string("array"), "items": object(["name": string, "registration": string,
                                                                                                      "insurer": string, "phone": string])])],
                               required: ["policy_id", "occurred_at", "type", "description", "location"]),
            "Claim": object(["id": uuid, "reference": string, "status": string, "policy_id": uuid, "session_id": nullableString,
                             "occurred_at": instant, "type": string, "description": string, "location": string,
                             "third_parties": .object(["type": .string("array")]), "attachments": integer, "created_at": instant]),
            "ClaimList": list("Claim"),
            "Attachment": object(["id": uuid, "content_type": string, "size_bytes": integer, "sha256": string]),
            "NewLink": object(["provider": string, "provider_driver_id": string], required: ["provider", "provider_driver_id"]),
            "Link": object(["provider": string, "provider_driver_id": string, "driver_id": uuid]),
            "ShiftEvent": object(["event_id": string, "provider_driver_id": string, "type": enumeration(["shift_started", "shift_ended"]),
                                  "occurred_at": instant, "shift_id": string],
                                 required: ["event_id", "provider_driver_id", "type", "occurred_at"]),
            "Session": object(["id": uuid, "policy_id": uuid, "status": enumeration(["active", "closed"]), "started_at": instant,
                               "ended_at": nullableInstant, "covered_until": instant, "was_cut": .object(["type": .string("boolean")]),
                               "billed_minutes": integer, "hourly_rate_amount": amount, "charged_amount": amount, "ipt_amount": amount,
                               "currency": string]),
            "SessionList": list("Session"),
            "CoverAnswer": object(["at": instant, "covered": .object(["type": .string("boolean")]), "policy_id": nullableString,
                                   "session_id": nullableString]),
            "Notification": object(["id": uuid, "kind": string, "title": string, "body": string, "created_at": instant,
                                    "read_at": nullableInstant]),
            "NotificationList": list("Notification"),
            "Statement": object(["week": string, "starts_at": instant, "ends_at": instant, "currency": string,
                                 "opening_balance_amount": amount, "closing_balance_amount": amount, "top_ups_amount": amount,
                                 "charges_amount": amount, "ipt_amount": amount, "refunds_amount": amount,
                                 "lines": .object(["type": .string("array"), "items": ref("Transaction")]),
                                 "final": .object(["type": .string("boolean")])]),
            "ClockTime": object(["frozen_time": instant], required: ["frozen_time"]),
            "TestClock": object(["id": uuid, "frozen_time": instant]),
        ]
    }
}

/// Serves the document (built once at start-up).
struct OpenAPIModule: AppModule {
    static let name = "openapi"
    let document: [UInt8]

    init(sandbox: Bool) {
        document = (try? JSON.encode(OpenAPIDocument.build(sandbox: sandbox))) ?? []
    }

    func registerRoutes(on routes: RouteCollector) {
        let response = HTTPResponse(status: .ok, contentType: "application/json", body: document)
        routes.get("/openapi.json") { _, _ in response }
    }
}
