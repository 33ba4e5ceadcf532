/// How many decimal places a currency's major unit has (ISO 4217 as card processors use it):
/// the settlement report gives amounts in major units ("12.50"), our ledger in minor (1250).
enum CurrencyExponent {
    /// Charged in whole units: ¥1000 is 1000 minor units.
    static let zeroDecimal: Set<String> = ["BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV",
                                          "XAF", "XOF", "XPF"]
    static let threeDecimal: Set<String> = ["BHD", "JOD", "KWD", "OMR", "TND"]

    static func of(_ currency: String) -> Int {
        if zeroDecimal.contains(currency) { return 0 }
        if threeDecimal.contains(currency) { return 3 }
        return 2
    }
}
