import AppKernel
import Documents
import Foundation
import HTTPServer
import Identity
import Ledger

/// Weekly statements (Monday 00:00 to Monday 00:00 UTC, ISO weeks): opening and closing
/// balance, every line, and totals with IPT. A week that has ended on the driver's clock is
/// stored once, immutably, and served from the store afterwards.
struct Statements: Sendable {
    let app: AppContext
    let identity: Identity

    struct Statement: Encodable {
        let week: String
        let startsAt: Date
        let endsAt: Date
        let currency = "GBP"
        let openingBalanceAmount: Int64
        let closingBalanceAmount: Int64
        let topUpsAmount: Int64
        /// Gross spent on cover (sessions and blocks, wallet or card).
        let chargesAmount: Int64
        let iptAmount: Int64
        let refundsAmount: Int64
        let lines: [DriverTransaction]
        let final: Bool
    }

    func show(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        let caller = try await identity.authenticate(request, context)
        let now = caller.context.now
        let week = try context.parameter("week")
        guard let start = Self.weekStart(week) else {
            throw AppError.notFound("no week \(week): use an ISO week such as 2026-W48")
        }
        let end = start.addingTimeInterval(7 * 86_400)
        guard start <= now else { throw AppError.notFound("week \(week) has not started yet") }
        if let stored = try await Documents(app: app).statement(for: caller.driverID, period: week) {
            return HTTPResponse(status: .ok, contentType: stored.contentType, body: stored.body)
        }
        let ledger = Ledger()
        let lines = try await ledger.transactions(of: caller.driverID, from: start, to: end, on: app.database)
        let opening = try await ledger.cashBalance(of: caller.driverID, before: start, on: app.database)
        let closing = try await ledger.cashBalance(of: caller.driverID, before: min(end, now.addingTimeInterval(1)), on: app.database)
        let charges = lines.filter { $0.type == .sessionCharge || $0.type == .blockPurchase }
        let statement = Statement(
            week: week, startsAt: start, endsAt: end, openingBalanceAmount: opening, closingBalanceAmount: closing,
            topUpsAmount: lines.filter { $0.type == .topUp }.reduce(0) { $0 + $1.amount },
            chargesAmount: charges.reduce(0) { $0 - $1.amount }, iptAmount: charges.reduce(0) { $0 + $1.iptAmount },
            refundsAmount: lines.filter { $0.type == .refund }.reduce(0) { $0 + $1.amount }, lines: lines, final: end <= now)
        let response = try HTTPResponse.json(statement)
        if statement.final {
            try await Documents(app: app).storeStatement(for: caller.driverID, period: week, contentType: "application/json",
                                                         body: response.body, at: now)
        }
        return response
    }

    /// `2026-W48` → Monday 23 November 2026 00:00 UTC (ISO 8601 week dates).
    static func weekStart(_ text: String) -> Date? {
        let parts = text.split(separator: "-W")
        guard parts.count == 2, let year = Int(parts[0]), (2000...2100).contains(year), let week = Int(parts[1]), week >= 1 else { return nil }
        // Week 1 contains 4 January; its Monday starts the ISO year.
        guard let january4 = LocalDate(year: year, month: 1, day: 4) else { return nil }
        let weekday = ((january4.dayNumber % 7) + 7 + 3) % 7  // 0 = Monday (1970-01-01 was a Thursday)
        let firstMonday = january4.dayNumber - weekday
        guard let nextJanuary4 = LocalDate(year: year + 1, month: 1, day: 4) else { return nil }
        let nextFirstMonday = nextJanuary4.dayNumber - ((nextJanuary4.dayNumber % 7) + 7 + 3) % 7
        let weeks = (nextFirstMonday - firstMonday) / 7
        guard week <= weeks else { return nil }
        return Date(timeIntervalSince1970: Double(firstMonday + (week - 1) * 7) * 86_400)
    }
}
