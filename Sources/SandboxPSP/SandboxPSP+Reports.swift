import Foundation
import Synchronization
import HTTPServer

/// The Reporting API, for the one report reconciliation reads: Stripe's itemised payout
/// reconciliation report (`payout_reconciliation.itemized.5`) of one payout. A report run makes a
/// file; `GET /v1/files/{id}/contents` downloads it (with the API key, as the real files host
/// wants). Amounts are decimal major units and currencies lower case, unlike the rest of the API.
extension SandboxPSP {
    /// The report type the sandbox can run.
    public static let itemisedPayoutReport = "payout_reconciliation.itemized.5"

    /// The report's columns, in the order the real report (and `../shared/recon/gen.py`) writes them.
    static let reportHeader = [
        "automatic_payout_id", "automatic_payout_effective_at_utc", "balance_transaction_id", "created_utc", "available_on_utc",
        "currency", "gross", "fee", "net", "reporting_category", "source_id", "description", "customer_facing_amount",
        "customer_facing_currency", "payment_intent_id", "payment_metadata[hourglass_txn_id]",
    ]

    /// For tests of a slow report: runs created from now on answer `pending` for this many
    /// retrievals before they succeed (0, the default, succeeds at once).
    public func delayReportRuns(polls: Int) { reportDelay.withLock { $0 = max(0, polls) } }

    /// `POST /v1/reporting/report_runs` with `report_type` and `parameters[payout]`.
    func createReportRun(_ body: [String: Any], host: String?) -> HTTPResponse {
        guard let type = body["report_type"] as? String, !type.isEmpty else {
            return Self.error(400, "parameter_missing", "report_type is required")
        }
        guard type == Self.itemisedPayoutReport else {
            return Self.error(400, "parameter_invalid", "report type \(type) is not available in the sandbox")
        }
        guard let payoutID = (body["parameters"] as? [String: Any])?["payout"] as? String, !payoutID.isEmpty else {
            return Self.error(400, "parameter_missing", "parameters[payout] is required for \(type)")
        }
        let polls = reportDelay.withLock { $0 }
        let run = state.withLock { state -> ReportRun? in
            guard let payout = state.payouts[payoutID] else { return nil }
            let run = ReportRun(id: Self.newID("frr"), reportType: type, payoutID: payoutID, fileID: Self.newID("file"), created: Date(),
                                pendingPolls: polls)
            state.files[run.fileID] = Self.report(of: payout, in: state)
            state.reportRuns[run.id] = run
            return run
        }
        guard let run else { return Self.error(404, "resource_missing", "no such payout: \(payoutID)") }
        return Self.json(render(run, host: host))
    }

    /// `GET /v1/reporting/report_runs/{id}`: `pending` for as many retrievals as it was told to
    /// wait, then `succeeded` with its file.
    func retrieveReportRun(_ id: String, host: String?) -> HTTPResponse {
        let run = state.withLock { state -> ReportRun? in
            guard var run = state.reportRuns[id] else { return nil }
            let shown = run
            if run.pendingPolls > 0 { run.pendingPolls -= 1 }
            state.reportRuns[id] = run
            return shown
        }
        guard let run else { return Self.error(404, "resource_missing", "no such report run: \(id)") }
        return Self.json(render(run, host: host))
    }

    /// `GET /v1/files/{id}/contents`: the report as CSV.
    func fileContents(_ id: String) -> HTTPResponse {
        guard let file = state.withLock({ $0.files[id] }) else { return Self.error(404, "resource_missing", "no such file: \(id)") }
        return HTTPResponse(status: .ok, contentType: "text/csv; charset=utf-8", body: file)
    }

    private func render(_ run: ReportRun, host: String?) -> [String: Any] {
        let succeeded = run.pendingPolls == 0
        // The file is downloaded from the API's own host (the in-process sandbox's loopback port).
        let base = apiBaseURL.withLock { $0 } ?? "http://\(host ?? "127.0.0.1")"
        let size = state.withLock { $0.files[run.fileID]?.count ?? 0 }
        let result: Any = succeeded
            ? ["id": run.fileID, "object": "file", "purpose": "finance_report_run", "type": "csv", "size": size,
               "filename": "\(run.id).csv", "url": "\(base)/v1/files/\(run.fileID)/contents"] as [String: Any]
            : NSNull()
        return ["id": run.id, "object": "reporting.report_run", "livemode": false, "report_type": run.reportType,
                "parameters": ["payout": run.payoutID], "created": Int(run.created.timeIntervalSince1970),
                "status": succeeded ? "succeeded" : "pending", "result": result,
                "succeeded_at": succeeded ? Int(run.created.timeIntervalSince1970) as Any : NSNull()]
    }

    /// The payout's report: one line per balance transaction it paid out, in the order they were made.
    static func report(of payout: Payout, in state: State) -> [UInt8] {
        var text = reportHeader.joined(separator: ",") + "\n"
        let included = Set(payout.balanceTransactionIDs)
        for movement in state.balanceTransactions where included.contains(movement.id) {
            let fields = [
                payout.id, timestamp(payout.arrival), movement.id, timestamp(movement.created), timestamp(movement.created),
                movement.currency, majorUnits(movement.gross, movement.currency), majorUnits(movement.fee, movement.currency),
                majorUnits(movement.net, movement.currency), movement.category, movement.sourceID, movement.description,
                majorUnits(movement.gross, movement.currency), movement.currency, movement.intentID, movement.hourglassTransactionID ?? "",
            ]
            text += fields.map(csvField).joined(separator: ",") + "\n"
        }
        return Array(text.utf8)
    }

    /// Minor units as the report writes them: "12.50" for pounds, "1250" for yen, "1.250" for dinars.
    static func majorUnits(_ amount: Int64, _ currency: String) -> String {
        let exponent = exponent(of: currency)
        guard exponent > 0 else { return String(amount) }
        var scale: Int64 = 1
        for _ in 0..<exponent { scale *= 10 }
        let magnitude = amount.magnitude
        let fraction = String(magnitude % UInt64(scale))
        return "\(amount < 0 ? "-" : "")\(magnitude / UInt64(scale)).\(String(repeating: "0", count: exponent - fraction.count))\(fraction)"
    }

    /// ISO 4217 minor-unit digits of the currencies the processor charges in (two unless listed).
    static func exponent(of currency: String) -> Int {
        let zeroDecimal: Set = ["bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"]
        let threeDecimal: Set = ["bhd", "jod", "kwd", "omr", "tnd"]
        return zeroDecimal.contains(currency) ? 0 : threeDecimal.contains(currency) ? 3 : 2
    }

    /// `YYYY-MM-DD HH:MM:SS`, UTC.
    static func timestamp(_ instant: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: instant)
        return String(format: "%04d-%02d-%02d %02d:%02d:%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0,
                      parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0)
    }

    /// RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled.
    static func csvField(_ value: String) -> String {
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
