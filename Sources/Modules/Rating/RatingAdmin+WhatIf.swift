import AdminUI
import AppKernel
import Drivers
import Foundation
import HTTPServer
import Vehicles

/// "This driver and vehicle under version 3 and under the draft": the price of each product
/// for each usage, computed by the same `RateTable.price` a quote uses, from the driver's facts
/// as a quote takes them today (age and licence years on the day, postcode district, declared
/// claims). Underwriting is not applied: a driver it declines gets no quote under any version.
extension RatingAdmin {
    /// One side of the comparison: a published version (`3`) or a draft (its id).
    struct WhatIfSide {
        let label: String
        let contents: RateTableContents
        let version: Int
    }

    func whatIfSide(_ text: String) async throws -> WhatIfSide {
        if let version = Int(text), version > 0, version <= Int(Int32.max) {
            guard let contents = try await drafts.contents(version: version, on: app.database) else { throw AppError.notFound("no rate table version \(version)") }
            return WhatIfSide(label: "Version \(version)", contents: contents, version: version)
        }
        if let id = UUID(uuidString: text) {
            guard let draft = try await store.draft(id) else { throw AppError.notFound("no such rate table draft") }
            return WhatIfSide(label: draft.state == .published ? "Draft (published as version \(draft.publishedVersion ?? 0))" : "Draft “\(draft.description)”",
                              contents: draft.contents, version: 0)
        }
        throw AppError.invalid("compare a version number or a draft's id")
    }

    func whatIfForm(_ request: AdminRequest, a: String, b: String, driver: String, vehicle: String, hours: Int = 8) -> HTML {
        AdminHTML.section("What if", id: "what-if", """
            <form method="get" action="/admin/rating/what-if" data-action="what_if" class="filters">\
            <input type="hidden" name="a" value="\(a)"><input type="hidden" name="b" value="\(b)">\
            <label>Driver id <input type="text" name="driver" value="\(driver)" placeholder="the driver's id"></label>\
            <label>Vehicle <input type="text" name="vehicle" value="\(vehicle)" placeholder="registration or vehicle id"></label>\
            <label>Hours of a block <input type="number" name="hours" min="1" max="24" value="\(hours)"></label>\
            <button type="submit">Price it</button></form>
            """)
    }

    func whatIf(_ request: AdminRequest) async throws -> AdminResponse {
        let query = request.query
        let inEffect = try await store.versionInEffect(at: request.now)
        guard let bText = query["b"] else { throw AppError.invalid("compare two tables: ?a=<version>&b=<version or draft id>") }
        let aText = query["a"] ?? inEffect.map(String.init) ?? ""
        let sides = [try await whatIfSide(aText), try await whatIfSide(bText)]
        let hours = try query["hours"].map { text -> Int in
            guard let hours = Int(text), (1...24).contains(hours) else { throw AppError.invalid("a block is 1 to 24 hours") }
            return hours
        } ?? 8
        let form = whatIfForm(request, a: aText, b: bText, driver: query["driver"] ?? "", vehicle: query["vehicle"] ?? "", hours: hours)
        let crumbs = [("Rate tables", "/admin/rating")] + (UUID(uuidString: bText).map { [("Draft", Self.draftPath($0))] } ?? [])
        let title = "What if: \(sides[0].label) and \(sides[1].label)"
        guard query["driver"] != nil || query["vehicle"] != nil else {
            return .page(AdminView(title: title, body: form, crumbs: crumbs))
        }
        let (profile, vehicle) = try await whatIfSubject(driver: query["driver"], vehicle: query["vehicle"])
        let today = LocalDate(utcDateOf: request.now)
        let age = profile.dateOfBirth.wholeYears(until: today), licenceYears = profile.licenceIssuedOn.wholeYears(until: today)
        let usages = Array(Set(sides.flatMap { $0.contents.factors.filter { $0.factor == "usage" }.map(\.band) })).sorted()
        func facts(_ usage: String) -> RatingFacts {
            RatingFacts(vehicleType: vehicle.type.rawValue, age: age, licenceYears: licenceYears, postcodeDistrict: profile.postcodeDistrict,
                        usage: usage, declaredClaims: profile.declaredClaims)
        }
        func price(_ side: WhatIfSide, _ usage: String) -> Result<RatedPrice, RatingError> {
            Result(catching: { try side.contents.table(version: side.version).price(facts(usage)) }).mapError { $0 as? RatingError ?? RatingError(description: "\($0)") }
        }
        func cell(_ result: Result<RatedPrice, RatingError>, times: Int64, usage: String, side: Int, product: String) -> HTML {
            switch result {
            case .success(let price):
                return "<span data-field=\"\(product).\(usage).\(side == 0 ? "a" : "b")\">\(AdminFormat.money(price.hourlyRateAmount * times))</span>"
            case .failure(let error): return "<span class=\"badge bad\">cannot price: \(error.description)</span>"
            }
        }
        func change(_ a: Result<RatedPrice, RatingError>, _ b: Result<RatedPrice, RatingError>, times: Int64) -> HTML {
            guard case .success(let old) = a, case .success(let new) = b else { return "—" }
            let difference = (new.hourlyRateAmount - old.hourlyRateAmount) * times
            let percent = old.hourlyRateAmount == 0 ? 0 : Double(new.hourlyRateAmount - old.hourlyRateAmount) * 100 / Double(old.hourlyRateAmount)
            if difference == 0 { return "<span class=\"muted\">same</span>" }
            return "\(difference > 0 ? "+" : "")\(AdminFormat.money(difference)) (\(String(format: "%+.1f", percent))%)"
        }
        let rows = usages.map { usage -> [HTML] in
            let a = price(sides[0], usage), b = price(sides[1], usage)
            return ["\(usage.replacingOccurrences(of: "_", with: " "))",
                    cell(a, times: 1, usage: usage, side: 0, product: "payg"), cell(b, times: 1, usage: usage, side: 1, product: "payg"), change(a, b, times: 1),
                    cell(a, times: Int64(hours), usage: usage, side: 0, product: "hourly"), cell(b, times: Int64(hours), usage: usage, side: 1, product: "hourly"),
                    change(a, b, times: Int64(hours))]
        }
        let prices = AdminHTML.table(["Usage", "PAYG: \(sides[0].label)", "PAYG: \(sides[1].label)", "PAYG change",
                                      "\(hours) h block: \(sides[0].label)", "\(hours) h block: \(sides[1].label)", "Block change"],
                                     rows, empty: "Neither table has a usage band.", numeric: [1, 2, 3, 4, 5, 6])
        // The bands that produced each side's price (the usage row above shows its own factor).
        let sample = usages.first ?? ""
        let factorRows = ["base_rate", "age", "licence_years", "area_band", "claims"].map { name -> [HTML] in
            let shown = sides.map { side -> HTML in
                guard case .success(let price) = price(side, sample), let factor = price.factors.first(where: { $0.name == name }) else { return "—" }
                return name == "base_rate" ? "\(AdminFormat.money(factor.value)) (\(factor.band.replacingOccurrences(of: "_", with: " ")))"
                    : "\(factor.band): \(Self.multiplier(factor.value))"
            }
            return ["\(name == "base_rate" ? "Base rate" : Self.factorTitle(name))"] + shown
        }
        let subject = AdminHTML.fields([
            .init("Driver", "\(AdminHTML.link("/admin/drivers/\(profile.id.uuidString.lowercased())", profile.fullName))"),
            .init("Vehicle", text: "\(vehicle.registration), \(vehicle.type.rawValue.replacingOccurrences(of: "_", with: " ")) (\(vehicle.make) \(vehicle.model))"),
            .init("Facts today", text: "age \(age), licence held \(licenceYears) year\(licenceYears == 1 ? "" : "s"), postcode district \(profile.postcodeDistrict), "
                                        + "\(profile.declaredClaims) declared claim\(profile.declaredClaims == 1 ? "" : "s")"),
        ])
        let note = AdminHTML.notice("Prices include IPT. PAYG is the first hour (its minimum); a block is \(hours) hour\(hours == 1 ? "" : "s") at the hourly rate. "
                                    + "Underwriting is not applied here: a driver it declines gets no quote under either.")
        let body = form + AdminHTML.section("Priced for", subject) + note + AdminHTML.section("Prices", id: "prices", prices)
            + AdminHTML.section("Bands applied", AdminHTML.table(["Factor", sides[0].label, sides[1].label], factorRows))
        return .page(AdminView(title: title, body: body, crumbs: crumbs))
    }

    /// The driver and vehicle asked for: a vehicle id or registration (with the driver's id, or
    /// the registration's newest vehicle and its driver).
    func whatIfSubject(driver: String?, vehicle: String?) async throws -> (DriverProfile, Vehicle) {
        let driverID = try driver.map { text -> UUID in
            guard let id = UUID(uuidString: text) else { throw AppError.invalid("the driver is their id") }
            return id
        }
        guard let vehicleText = vehicle else { throw AppError.invalid("name the vehicle: its registration or id") }
        let found: Vehicle?
        if let id = UUID(uuidString: vehicleText) {
            guard let driverID else { throw AppError.invalid("a vehicle id needs the driver's id too (or type the registration)") }
            found = try await Vehicles(app: app).vehicle(id, ownedBy: driverID)
        } else {
            found = try await Vehicles(app: app).vehicles(registration: vehicleText).first { driverID == nil || $0.driverId == driverID }
        }
        guard let found else { throw AppError.notFound("no such vehicle\(driverID == nil ? "" : " of that driver")") }
        guard let profile = try await Drivers(app: app).profile(driverID ?? found.driverId) else { throw AppError.notFound("no such driver") }
        return (profile, found)
    }
}
