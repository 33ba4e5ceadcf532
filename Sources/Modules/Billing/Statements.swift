import AppKernel
import Documents
import Foundation
import HTTPServer
import Ledger
import Postgres

/// Weekly statements (Monday 00:00 to Monday 00:00 UTC, ISO weeks), built from the ledger so
/// that they reconcile to the penny:
///
///     opening + top_ups − charges + refunds + adjustments = closing        (the cash wallet)
///     promo.opening + credited − spent + refunded = promo.closing          (promotional credit)
///
/// Card-paid blocks and their card refunds never touch the wallet: they are listed, and totalled
/// under `card`, but in no wallet total. Every posting is dated with the driver's "now" when it
/// is made (their clock only moves forward), so once a week has ended on that clock nothing more
/// can be dated in it: only then is the statement final, and it is stored once, immutably.
struct Statements: Sendable {
    let app: AppContext

    struct Statement: Encodable {
        let week: String
        let startsAt: Date
        let endsAt: Date
        let currency = "GBP"
        let openingBalanceAmount: Int64
        let topUpsAmount: Int64
        /// Cover paid from the cash balance (sessions, blocks and fees).
        let chargesAmount: Int64
        /// Refunds into the cash balance.
        let refundsAmount: Int64
        /// Anything else that moved the cash balance (ops adjustments).
        let adjustmentsAmount: Int64
        let closingBalanceAmount: Int64
        let promo: PromoTotals
        let card: CardTotals
        /// IPT included in the cover bought this week, however it was paid.
        let iptAmount: Int64
        let lines: [Line]
        let final: Bool
    }

    struct PromoTotals: Encodable {
        let openingBalanceAmount: Int64
        let creditedAmount: Int64
        let spentAmount: Int64
        let refundedAmount: Int64
        let adjustmentsAmount: Int64
        let closingBalanceAmount: Int64
    }

    struct CardTotals: Encodable {
        let purchasesAmount: Int64
        let refundsAmount: Int64
    }

    /// A transaction line with what it did to each balance.
    struct Line: Encodable {
        let id: UUID
        let type: TransactionKind
        let amount: Int64
        let cashAmount: Int64
        let promoAmount: Int64
        let iptAmount: Int64
        let currency: String
        let funding: String
        let description: String
        let relatedId: UUID?
        let createdAt: Date

        init(_ line: StatementLine) {
            let transaction = line.transaction
            id = transaction.id
            type = transaction.type
            amount = transaction.amount
            cashAmount = line.cashAmount
            promoAmount = line.promoAmount
            iptAmount = transaction.iptAmount
            currency = transaction.currency
            funding = transaction.funding
            description = transaction.description
            relatedId = transaction.relatedId
            createdAt = transaction.createdAt
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(type, forKey: .type)
            try container.encode(amount, forKey: .amount)
            try container.encode(cashAmount, forKey: .cashAmount)
            try container.encode(promoAmount, forKey: .promoAmount)
            try container.encode(iptAmount, forKey: .iptAmount)
            try container.encode(currency, forKey: .currency)
            try container.encode(funding, forKey: .funding)
            try container.encode(description, forKey: .description)
            try container.encode(relatedId, forKey: .relatedId)
            try container.encode(createdAt, forKey: .createdAt)
        }

        enum CodingKeys: String, CodingKey {
            case id, type, amount, cashAmount, promoAmount, iptAmount, currency, funding, description, relatedId, createdAt
        }
    }

    func show(driverID: UUID, week: String, now: Date) async throws -> HTTPResponse {
        guard let start = Self.weekStart(week) else {
            throw AppError.notFound("no week \(week): use an ISO week such as 2026-W48")
        }
        let end = start.addingTimeInterval(7 * 86_400)
        guard start <= now else { throw AppError.notFound("week \(week) has not started yet") }
        if let stored = try await Documents(app: app).statement(for: driverID, period: week) {
            return HTTPResponse(status: .ok, contentType: stored.contentType, body: stored.body)
        }
        let statement = try await build(driverID: driverID, week: week, start: start, end: end, now: now)
        let response = try HTTPResponse.json(statement)
        if statement.final {
            try await Documents(app: app).storeStatement(for: driverID, period: week, contentType: "application/json",
                                                         body: response.body, at: now)
        }
        return response
    }

    /// The week's statement as the ledger has it at `now`; `final` once the week is over.
    func build(driverID: UUID, week: String, start: Date, end: Date, now: Date) async throws -> Statement {
        let ledger = Ledger()
        // One snapshot: the lines and both balances are read in one transaction, so a posting
        // landing meanwhile cannot make the totals disagree with the balances.
        return try await app.database.withTransaction(isolation: .repeatableRead) { transaction in
            let lines = try await ledger.statementLines(of: driverID, from: start, to: end, on: transaction)
            let opening = try await ledger.driverBalances(driverID, before: start, on: transaction)
            let closing = try await ledger.driverBalances(driverID, before: end, on: transaction)
            return Self.statement(week: week, start: start, end: end, opening: opening, closing: closing, lines: lines,
                                  final: end <= now)
        }
    }

    static func statement(week: String, start: Date, end: Date, opening: (cash: Int64, promo: Int64),
                          closing: (cash: Int64, promo: Int64), lines: [StatementLine], final: Bool) -> Statement {
        let charges: Set<TransactionKind> = [.sessionCharge, .blockPurchase, .fee]
        func total(_ kinds: Set<TransactionKind>, _ value: (StatementLine) -> Int64) -> Int64 {
            lines.filter { kinds.contains($0.transaction.type) }.reduce(0) { $0 + value($1) }
        }
        func others(than kinds: Set<TransactionKind>, _ value: (StatementLine) -> Int64) -> Int64 {
            lines.filter { !kinds.contains($0.transaction.type) }.reduce(0) { $0 + value($1) }
        }
        let card = lines.filter { $0.transaction.funding == "card" }
        let cashKinds = charges.union([.topUp, .refund]), promoKinds = charges.union([.promoCredit, .refund])
        return Statement(
            week: week, startsAt: start, endsAt: end, openingBalanceAmount: opening.cash,
            topUpsAmount: total([.topUp], \.cashAmount), chargesAmount: -total(charges, \.cashAmount),
            refundsAmount: total([.refund], \.cashAmount), adjustmentsAmount: others(than: cashKinds, \.cashAmount),
            closingBalanceAmount: closing.cash,
            promo: PromoTotals(openingBalanceAmount: opening.promo, creditedAmount: total([.promoCredit], \.promoAmount),
                               spentAmount: -total(charges, \.promoAmount), refundedAmount: total([.refund], \.promoAmount),
                               adjustmentsAmount: others(than: promoKinds, \.promoAmount), closingBalanceAmount: closing.promo),
            card: CardTotals(purchasesAmount: -card.filter { charges.contains($0.transaction.type) }.reduce(0) { $0 + $1.transaction.amount },
                             refundsAmount: card.filter { $0.transaction.type == .refund }.reduce(0) { $0 + $1.transaction.amount }),
            iptAmount: total(charges) { $0.transaction.iptAmount }, lines: lines.map(Line.init), final: final)
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
