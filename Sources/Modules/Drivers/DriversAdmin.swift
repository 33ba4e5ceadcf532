public import AdminUI
public import AppKernel
import Audit
public import Foundation
import HTTPServer
import Identity

/// Drivers in the admin: the list, search by email, phone, licence or id, and the header of
/// driver 360 (name, contact details masked until revealed, age, licence years, postcode).
public struct DriversAdmin: AdminSection {
    let app: AppContext
    let identity: Identity
    var store: DriversStore { DriversStore(database: app.database) }

    public var navigation: [AdminNavItem] { [AdminNavItem("Drivers", "/admin/drivers", group: "Drivers")] }

    public var pages: [AdminPage] {
        [
            .get("/admin/drivers", .read) { try await list($0) },
            .post("/admin/drivers/{id}/reveal", .revealPII) { try await reveal($0) },
        ]
    }

    func list(_ request: AdminRequest) async throws -> AdminResponse {
        var filter = DriversStore.ListFilter()
        filter.name = request.query["name"]
        filter.postcode = request.query["postcode"]?.uppercased()
        filter.licenceTypes = request.query.all("licence_type")
        let csv = request.query["format"] == "csv"
        let page = try PageRequest(query: csv ? "limit=200" : Self.pageQuery(request))
        let rows = try await store.list(filter, page: page)
        let (drivers, next) = page.page(rows) { PageRequest.Cursor(createdAt: $0.createdAt, id: $0.id) }
        let accounts = try await identity.accounts(drivers.map(\.id))
        if csv {
            guard request.staff.may(AdminPermission.export.rawValue) else { throw AppError(status: .forbidden, slug: "forbidden", detail: "Exports need the export permission.") }
            try await Audit.record("drivers.exported", AuditObject("driver_list", "export"),
                                   after: .object(["rows": .integer(Int64(drivers.count)), "filters": .string(request.query.pairs.map { "\($0.name)=\($0.value)" }.joined(separator: "&"))]),
                                   on: app.database)
            return .csv(filename: "drivers.csv", text: AdminCSV.render(
                header: ["id", "full_name", "email", "postcode", "licence_type", "created_at"],
                rows: drivers.map { [ $0.id.uuidString.lowercased(), $0.fullName, accounts[$0.id]?.email ?? "", $0.postcode, $0.licenceType.rawValue, RFC3339.format($0.createdAt)] }))
        }
        let table = AdminHTML.table(["Driver", "Email", "Postcode", "Licence", "Signed up"], drivers.map { driver in
            [AdminHTML.link("/admin/drivers/\(driver.id.uuidString.lowercased())", driver.fullName), "\(accounts[driver.id]?.email ?? "")",
             "\(driver.postcode)", "\(driver.licenceType.rawValue)", AdminFormat.time(driver.createdAt)]
        }, empty: "No drivers match.")
        let filters = AdminHTML.filters(request, [
            .init("name", "Name contains", .text(placeholder: "Amira")),
            .init("postcode", "Postcode starts", .text(placeholder: "E1")),
            .init("licence_type", "Licence", .choices(LicenceType.allCases.map(\.rawValue))),
        ], exportable: true)
        return .page(AdminView(title: "Drivers", body: filters + table + AdminHTML.pager(request, next: next)))
    }

    /// Only `cursor` goes to the page request; filters are read separately.
    static func pageQuery(_ request: AdminRequest) -> String? {
        request.query["cursor"].map { "cursor=\($0)" }
    }

    public func search(_ query: AdminSearchQuery) async throws -> [AdminSearchHit] {
        var ids: [UUID] = []
        if query.text.contains("@"), let id = try await identity.accountID(email: query.lowercased) { ids.append(id) }
        let matches = try await store.matching(phone: query.phone.flatMap(UKFormats.phone) ?? query.phone, licence: query.compact.isEmpty ? nil : query.compact,
                                               id: query.uuid)
        let profiles = matches + (try await store.find(ids: ids.filter { id in !matches.contains { $0.id == id } }))
        let accounts = try await identity.accounts(profiles.map(\.id))
        return profiles.map { driver in
            AdminSearchHit(type: "Drivers", title: driver.fullName,
                           facts: "\(accounts[driver.id]?.email ?? "") · \(driver.postcode) · signed up \(AdminFormat.localText(driver.createdAt, seconds: false))",
                           path: "/admin/drivers/\(driver.id.uuidString.lowercased())")
        }
    }

    public func driver360(_ driverID: UUID, _ request: AdminRequest) async throws -> AdminDriverContribution {
        guard let driver = try await store.find(id: driverID) else { return AdminDriverContribution() }
        let account = try await identity.account(driverID)
        let today = LocalDate(utcDateOf: request.now)
        var banner: HTML?
        var badges: [HTML] = []
        if let clockID = account?.testClockID, let clock = try await TestClockStore(database: app.database).find(id: clockID) {
            banner = "<div class=\"banner\">Sandbox driver on test clock <code>\(clockID.uuidString.lowercased())</code>: their time is \(AdminFormat.time(clock.frozenTime)).</div>"
            badges.append(AdminHTML.badge("test clock", .warn))
        }
        let revealForm: HTML = request.staff.may(AdminPermission.revealPII.rawValue)
            ? AdminHTML.actionForm(request, action: "/admin/drivers/\(driverID.uuidString.lowercased())/reveal", name: "reveal_pii",
                                   fields: "<input type=\"hidden\" name=\"reason\" value=\"requested_by_driver\">", submit: "Reveal phone and licence")
            : ""
        let facts: [AdminHTML.Field] = [
            .init("Email", field: "email", text: account?.email ?? "—"),
            .init("Phone", field: "phone", text: AdminFormat.masked(driver.phone)),
            .init("Licence", field: "licence_number", "\(AdminFormat.masked(driver.licenceNumber)) · \(driver.licenceType.rawValue) · held \(driver.licenceIssuedOn.wholeYears(until: today)) years"),
            .init("Age", text: "\(driver.dateOfBirth.wholeYears(until: today)) (born \(driver.dateOfBirth))"),
            .init("Postcode", field: "postcode", text: driver.postcode),
            .init("Declared claims", field: "declared_claims", text: String(driver.declaredClaims)),
            .init("Signed up", field: "created_at", AdminFormat.time(driver.createdAt)),
            .init("Driver id", field: "id", "<code>\(driverID.uuidString.lowercased())</code> \(revealForm)"),
        ]
        return AdminDriverContribution(facts: facts, badges: badges, banner: banner, title: driver.fullName)
    }

    /// Shows the full phone and licence number, on the trail with who, when and why.
    func reveal(_ request: AdminRequest) async throws -> AdminResponse {
        let id = try request.id()
        guard let driver = try await store.find(id: id) else { throw AppError.notFound("no such driver") }
        try await Audit.record("drivers.pii_revealed", AuditObject.driver(id), reason: (request.form["reason"] ?? "other", request.form["note"]),
                               on: app.database)
        let body = AdminHTML.section("Contact details", AdminHTML.fields([
            .init("Phone", field: "phone", text: driver.phone), .init("Licence number", field: "licence_number", text: driver.licenceNumber),
        ])) + "<p class=\"muted\">This view is on the audit trail. <a href=\"/admin/drivers/\(id.uuidString.lowercased())\">Back to the driver</a></p>"
        return .page(AdminView(title: driver.fullName, body: body, crumbs: [("Drivers", "/admin/drivers")]))
    }
}
