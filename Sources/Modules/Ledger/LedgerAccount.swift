public import Foundation

/// A ledger account. Drivers' accounts are created on first use.
public enum LedgerAccount: Sendable, Hashable {
    case driverCash(UUID), driverPromo(UUID), pspClearing, premiumIncome, iptPayable, promoFunding
    /// Staff corrections of a driver's cash, up or down (`adjust_wallet`).
    case walletAdjustments
    /// Negative balances written off (`write_off`).
    case badDebt
    /// Settlement (reconciliation): our bank account, where the processor pays out; what the
    /// processor charged us; and settled money not yet explained (the exceptions), per currency.
    case bank(currency: String), processorFees(currency: String), settlementSuspense(currency: String)

    /// The currency of the house, in which accounts without a currency suffix are kept.
    public static let homeCurrency = "GBP"

    public var id: String {
        switch self {
        case .driverCash(let driver): "driver:\(driver.uuidString.lowercased()):cash"
        case .driverPromo(let driver): "driver:\(driver.uuidString.lowercased()):promo"
        case .pspClearing: "psp_clearing"
        case .premiumIncome: "premium_income"
        case .iptPayable: "ipt_payable"
        case .promoFunding: "promo_funding"
        case .walletAdjustments: "wallet_adjustments"
        case .badDebt: "bad_debt"
        case .bank(let currency): Self.perCurrency("bank", currency)
        case .processorFees(let currency): Self.perCurrency("processor_fees", currency)
        case .settlementSuspense(let currency): Self.perCurrency("settlement_suspense", currency)
        }
    }

    /// `bank` in pounds, `bank:eur` in euros: the home currency keeps the plain name.
    private static func perCurrency(_ base: String, _ currency: String) -> String {
        currency.uppercased() == homeCurrency ? base : "\(base):\(currency.lowercased())"
    }

    var currency: String {
        switch self {
        case .bank(let currency), .processorFees(let currency), .settlementSuspense(let currency): currency.uppercased()
        default: Self.homeCurrency
        }
    }

    var kind: String {
        switch self {
        case .driverCash, .driverPromo, .iptPayable: "liability"
        case .pspClearing, .bank, .settlementSuspense: "asset"
        case .premiumIncome: "income"
        case .promoFunding, .walletAdjustments, .badDebt, .processorFees: "expense"
        }
    }
}

/// What a driver sees of a posting in GET /v1/transactions.
public enum TransactionKind: String, Sendable, Codable, CaseIterable {
    case topUp = "top_up", sessionCharge = "session_charge", blockPurchase = "block_purchase", refund, fee, promoCredit = "promo_credit"
    /// A cash correction by staff, up or down; a negative cash balance written off to zero.
    case adjustment, writeOff = "write_off"
    /// House postings no driver sees: a payout's settlement, and a correction made while
    /// working a reconciliation exception.
    case settlement, reconciliationCorrection = "reconciliation_correction"

    /// The kinds a driver's own postings can have (GET /v1/transactions).
    public static let driverFacing: [TransactionKind] = allCases.filter { $0 != .settlement && $0 != .reconciliationCorrection }
}

