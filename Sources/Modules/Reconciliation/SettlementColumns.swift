/// Where each column of a settlement report is, found by its header name (never by position:
/// the processor adds and reorders columns between report versions). Names are Stripe's
/// itemised payout reconciliation report's; unknown columns are ignored.
struct SettlementColumns {
    let count: Int
    let payoutID: Int
    let payoutEffectiveAt: Int?
    let balanceTransactionID: Int
    let createdAt: Int
    let availableOn: Int?
    let currency: Int
    let gross: Int
    let fee: Int
    let net: Int
    let category: Int
    let sourceID: Int?
    let description: Int?
    let paymentIntentID: Int?
    /// The ledger transaction id we attach to every payment intent, as the report names it.
    let hourglassTransactionID: Int?

    static let metadataColumn = "payment_metadata[hourglass_txn_id]"

    init(header: SettlementCSV.Record) throws(SettlementCSVError) {
        var positions: [String: Int] = [:]
        for index in 0..<header.count {
            var name = String(decoding: header.field(index), as: UTF8.self).trimmingSpaces.lowercased()
            if index == 0, name.hasPrefix("\u{FEFF}") { name.removeFirst() }   // a byte-order mark from a spreadsheet
            guard !name.isEmpty else { continue }
            guard positions[name] == nil else { throw SettlementCSVError(line: 1, message: "the column \(name) appears twice") }
            positions[name] = index
        }
        func required(_ names: String...) throws(SettlementCSVError) -> Int {
            for name in names { if let position = positions[name] { return position } }
            throw SettlementCSVError(line: 1, message: "the header has no \(names[0]) column (is this an itemised payout reconciliation report?)")
        }
        count = header.count
        payoutID = try required("automatic_payout_id", "payout_id")
        payoutEffectiveAt = positions["automatic_payout_effective_at_utc"] ?? positions["automatic_payout_effective_at"]
        balanceTransactionID = try required("balance_transaction_id")
        createdAt = try required("created_utc", "created")
        availableOn = positions["available_on_utc"] ?? positions["available_on"]
        currency = try required("currency")
        gross = try required("gross")
        fee = try required("fee")
        net = try required("net")
        category = try required("reporting_category")
        sourceID = positions["source_id"]
        description = positions["description"]
        paymentIntentID = positions["payment_intent_id"]
        hourglassTransactionID = positions[Self.metadataColumn]
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        var scalars = Substring(self)
        while scalars.first == " " { scalars.removeFirst() }
        while scalars.last == " " { scalars.removeLast() }
        return String(scalars)
    }
}
