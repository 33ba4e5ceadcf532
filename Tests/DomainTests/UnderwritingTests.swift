@testable import Underwriting
import Testing

struct UnderwritingTests {
    let rules = RuleSet(version: 1, minAge: 19, maxAge: 75, minLicenceYears: 1, refusedLicenceTypes: ["provisional"],
                        maxVehicleAgeYears: ["car": 20], maxVehicleValueAmount: ["car": 6_000_000],
                        excludedPostcodeAreas: ["BT", "IM"])

    func applicant(age: Int = 30, licence: String = "full", years: Int = 5, district: String = "E1", vehicleAge: Int = 3,
                   value: Int64 = 1_000_000) -> Applicant {
        Applicant(age: age, licenceType: licence, licenceYears: years, postcodeDistrict: district, vehicleType: "car",
                  vehicleAgeYears: vehicleAge, vehicleValueAmount: value)
    }

    @Test func acceptsTheOrdinaryCase() { #expect(rules.evaluate(applicant()).isEmpty) }

    @Test func boundariesAreInclusive() {
        #expect(rules.evaluate(applicant(age: 19)).isEmpty)
        #expect(rules.evaluate(applicant(age: 75)).isEmpty)
        #expect(rules.evaluate(applicant(years: 1)).isEmpty)
        #expect(rules.evaluate(applicant(vehicleAge: 20, value: 6_000_000)).isEmpty)
        #expect(rules.evaluate(applicant(age: 18)).map(\.code) == ["too_young"])
        #expect(rules.evaluate(applicant(age: 76)).map(\.code) == ["too_old"])
    }

    @Test func listsEveryReason() {
        let reasons = rules.evaluate(applicant(age: 18, licence: "provisional", years: 0, district: "IM1", vehicleAge: 21, value: 6_000_001))
        #expect(reasons.map(\.code) == ["too_young", "licence_type_refused", "licence_too_recent", "vehicle_too_old",
                                        "vehicle_value_too_high", "area_excluded"])
        #expect(Declined(reasons: reasons).problemSlug == "declined")
    }

    @Test func excludedAreasMatchTheLettersOnly() {
        #expect(rules.evaluate(applicant(district: "BT9")).map(\.code) == ["area_excluded"])
        #expect(rules.evaluate(applicant(district: "B1")).isEmpty)  // Birmingham is not Belfast
    }
}
