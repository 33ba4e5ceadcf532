public import Foundation

/// A ledger account. Drivers' accounts are created on first use.
public enum LedgerAccount: Sendable, Hashable {
    case driverCash(UUID), driverPromo(UUID), pspClearing, premiumIncome, iptPayable, promoFunding
    /// Staff corrections of a driver's cash, up or down (`adjust_wallet`).
    case walletAdjustments
    /// Negative balances written off (`write_off`).
    case badDebt

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
        }
    }

    var kind: String {
        switch self {
        case .driverCash, .driverPromo, .iptPayable: "liability"
        case .pspClearing: "asset"
        case .premiumIncome: "income"
        case .promoFunding, .walletAdjustments, .badDebt: "expense"
        }
    }
}

/// What a driver sees of a posting in GET /v1/transactions.
public enum TransactionKind: String, Sendable, Codable, CaseIterable {
    case topUp = "top_up", sessionCharge = "session_charge", blockPurchase = "block_purchase", refund, fee, promoCredit = "promo_credit"
    /// A cash correction by staff, up or down; a negative cash balance written off to zero.
    case adjustment, writeOff = "write_off"
}

