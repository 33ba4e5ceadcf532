import AppKernel
@testable import Quotes
@testable import Rating
@testable import Billing
import Testing

struct PricingTests {
    let table = RateTable(
        version: 7,
        baseRates: ["car": 140, "bicycle": 45],
        factors: [
            "age": [.init(band: "19-24", lower: 19, upper: 24, multiplierBP: 13500), .init(band: "25+", lower: 25, upper: 200, multiplierBP: 10000)],
            "licence_years": [.init(band: "1", lower: 1, upper: 1, multiplierBP: 13000), .init(band: "2+", lower: 2, upper: 200, multiplierBP: 10000)],
            "claims": [.init(band: "0", lower: 0, upper: 0, multiplierBP: 10000), .init(band: "1+", lower: 1, upper: 20, multiplierBP: 12500)],
            "usage": [.init(band: "food_delivery", lower: nil, upper: nil, multiplierBP: 10000),
                      .init(band: "ride_hail", lower: nil, upper: nil, multiplierBP: 14500)],
            "area_band": [.init(band: "C", lower: nil, upper: nil, multiplierBP: 10000), .init(band: "F", lower: nil, upper: nil, multiplierBP: 14500)],
        ],
        areaBands: ["E1": "F", "SW1": "F"])

    func facts(age: Int = 30, years: Int = 5, district: String = "LS1", usage: String = "food_delivery", claims: Int = 0,
               vehicle: String = "car") -> RatingFacts {
        RatingFacts(vehicleType: vehicle, age: age, licenceYears: years, postcodeDistrict: district, usage: usage, declaredClaims: claims)
    }

    @Test func recordsEveryFactorAndTheVersion() throws {
        let price = try table.price(facts())
        #expect(price.rateTableVersion == 7)
        #expect(price.hourlyRateAmount == 140)
        #expect(price.factors.map(\.name) == ["base_rate", "age", "licence_years", "area_band", "usage", "claims"])
        #expect(price.factors.map(\.band) == ["car", "25+", "2+", "C", "food_delivery", "0"])
    }

    @Test func roundsOnceAtTheEnd() throws {
        // 140 × 1.35 × 1.30 × 1.45 × 1.45 × 1.25 = 645.73 → 646; rounding after each factor would give 648.
        let price = try table.price(facts(age: 20, years: 1, district: "E1", usage: "ride_hail", claims: 1))
        #expect(price.hourlyRateAmount == 646)
        // 45 × 1.35 = 60.75 → 61 (half up).
        #expect(try table.price(facts(age: 22, vehicle: "bicycle")).hourlyRateAmount == 61)
    }

    @Test func areaBandsMatchDistrictThenArea() {
        #expect(table.areaBand(forDistrict: "SW1A") == "F")  // a sub-district of SW1
        #expect(table.areaBand(forDistrict: "SW19") == "C")  // another district, not SW1
        #expect(table.areaBand(forDistrict: "E1") == "F")
        #expect(table.areaBand(forDistrict: "E17") == "C")
    }

    @Test func aMissingBandIsAConfigurationError() {
        #expect(throws: RatingError.self) { try table.price(facts(age: 18)) }
        #expect(throws: RatingError.self) { try table.price(facts(vehicle: "van")) }
    }

    @Test func iptIsThreeTwentyEighthsOfGrossRoundedHalfUp() {
        #expect(Quote.ipt(ofGross: 203) == 22)   // 21.75 → 22
        #expect(Quote.ipt(ofGross: 140) == 15)   // exactly 15
        #expect(Quote.ipt(ofGross: 14) == 2)     // 1.5 → 2
        for total in Int64(0)...5000 {
            let ipt = Quote.ipt(ofGross: total)
            let premium = total - ipt
            // One half-penny rounding of the IPT moves the premium too: |error| ≤ 0.5 × 1.12.
            #expect(abs(Double(ipt) - Double(premium) * 0.12) <= 0.56 + 1e-9, "total \(total)")
            #expect(abs(Double(ipt) - Double(total) * 3 / 28) <= 0.5, "total \(total)")
        }
    }
}

struct ISOWeekTests {
    @Test func weekStarts() {
        #expect(Statements.weekStart("2026-W48").map(RFC3339.format) == "2026-11-23T00:00:00Z")
        #expect(Statements.weekStart("2026-W01").map(RFC3339.format) == "2025-12-29T00:00:00Z")
        #expect(Statements.weekStart("2020-W53").map(RFC3339.format) == "2020-12-28T00:00:00Z")
        #expect(Statements.weekStart("2021-W53") == nil)
        #expect(Statements.weekStart("2026-W00") == nil)
        #expect(Statements.weekStart("2026-48") == nil)
    }
}
