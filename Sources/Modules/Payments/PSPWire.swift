import Foundation

/// The card processor's JSON, request and response, as Codable types (its API is
/// PaymentIntents-style; field names are the processor's snake_case, spelled out in
/// `CodingKeys` so that metadata keys are never rewritten by a key strategy).
enum PSPWire {
    struct PaymentMethodRequest: Encodable { let token: String }

    struct PaymentMethod: Decodable {
        let id: String
        let brand: String
        let last4: String
    }

    struct IntentRequest: Encodable {
        let amount: Int64
        let currency: String
        let paymentMethod: String
        let confirm = true
        let offSession: Bool
        let metadata: [String: String]

        enum CodingKeys: String, CodingKey {
            case amount, currency, confirm, metadata
            case paymentMethod = "payment_method", offSession = "off_session"
        }
    }

    struct Intent: Decodable {
        struct PaymentError: Decodable { let code: String? }
        struct NextAction: Decodable {
            struct Redirect: Decodable { let url: String }
            let redirectToURL: Redirect?
            enum CodingKeys: String, CodingKey { case redirectToURL = "redirect_to_url" }
        }
        /// `latest_charge` is the charge's id, or the charge itself when the request expanded it.
        struct ChargeReference: Decodable {
            let id: String
            init(from decoder: any Decoder) throws {
                if let id = try? decoder.singleValueContainer().decode(String.self) {
                    self.id = id
                } else {
                    struct Expanded: Decodable { let id: String }
                    id = try Expanded(from: decoder).id
                }
            }
        }
        let id: String
        let status: GatewayIntent.Status
        let metadata: [String: String]?
        let lastPaymentError: PaymentError?
        let nextAction: NextAction?
        let latestCharge: ChargeReference?

        enum CodingKeys: String, CodingKey {
            case id, status, metadata
            case lastPaymentError = "last_payment_error", nextAction = "next_action", latestCharge = "latest_charge"
        }

        var gatewayIntent: GatewayIntent {
            GatewayIntent(id: id, status: status, failureCode: lastPaymentError?.code, redirectURL: nextAction?.redirectToURL?.url,
                          metadata: metadata ?? [:], chargeID: latestCharge?.id)
        }
    }

    struct RefundRequest: Encodable {
        let paymentIntent: String
        let amount: Int64
        let metadata: [String: String]
        enum CodingKeys: String, CodingKey { case amount, metadata, paymentIntent = "payment_intent" }
    }

    struct Refund: Decodable {
        let id: String
        let paymentIntent: String
        let amount: Int64
        let status: String
        let metadata: [String: String]?
        enum CodingKeys: String, CodingKey { case id, amount, status, metadata, paymentIntent = "payment_intent" }

        var gatewayRefund: GatewayRefund {
            GatewayRefund(id: id, intentID: paymentIntent, amount: amount, status: status, metadata: metadata ?? [:])
        }
    }

    /// A transfer of settled funds to our bank account.
    struct Payout: Decodable {
        let id: String
        let amount: Int64
        let currency: String
        let status: String
        /// Unix seconds.
        let arrivalDate: Int?
        enum CodingKeys: String, CodingKey { case id, amount, currency, status, arrivalDate = "arrival_date" }
    }

    struct SearchResult<Item: Decodable>: Decodable { let data: [Item] }

    /// A report run (Reporting API): `pending` until the processor has made its file.
    struct ReportRun: Decodable {
        struct File: Decodable { let url: String? }
        let id: String
        let status: String
        let result: File?
    }

    struct ErrorBody: Decodable {
        struct Detail: Decodable {
            let code: String?
            let message: String?
        }
        let error: Detail?
    }

    /// A webhook event: its type says which object `data.object` is.
    struct Event<Object: Decodable>: Decodable {
        struct Payload: Decodable { let object: Object }
        let id: String
        let type: String
        let data: Payload
    }

    /// The envelope alone, to learn the type before decoding the object.
    struct EventHeader: Decodable {
        let id: String
        let type: String
    }

    static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        try JSONDecoder().decode(type, from: data)
    }

    static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(value)
    }
}
