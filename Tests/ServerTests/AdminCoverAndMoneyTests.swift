import AdminUI
import AppKernel
@testable import Billing
import Foundation
import Identity
import Postgres
import Rating
import TestSupport
import Testing

/// Reading an admin page the way a test (or a script) does: by its `data-field` hooks.
private enum Scrape {
    /// Every element carrying `data-field="name"`: its attributes and its inner HTML.
    static func elements(_ html: String, _ name: String) -> [(attributes: String, inner: String)] {
        var found: [(String, String)] = []
        var rest = html[...]
        while let hook = rest.range(of: "data-field=\"\(name)\"") {
            guard let open = rest[..<hook.lowerBound].lastIndex(of: "<"),
                  let close = rest[hook.upperBound...].firstIndex(of: ">") else { break }
            let tag = rest[rest.index(after: open)...].prefix { $0.isLetter }
            let start = rest.index(after: close)
            guard let end = rest[start...].range(of: "</\(tag)>") else { break }
            found.append((String(rest[hook.upperBound..<close]), String(rest[start..<end.lowerBound])))
            rest = rest[end.upperBound...]
        }
        return found
    }

    /// The shown text of the first such element (tags stripped, entities decoded).
    static func text(_ html: String, _ name: String) -> String? { elements(html, name).first.map { plain($0.inner) } }

    static func texts(_ html: String, _ name: String) -> [String] { elements(html, name).map { plain($0.inner) } }

    /// The UTC instant of the first such element's `<time>`.
    static func instant(_ html: String, _ name: String) -> String? {
        elements(html, name).first.flatMap { attribute("datetime", in: $0.inner) }
    }

    /// The full ids of short-id cells (`<code data-field="id" title="…">`).
    static func titles(_ html: String, _ name: String) -> [String] {
        elements(html, name).compactMap { attribute("title", in: $0.attributes) }
    }

    static func attribute(_ name: String, in text: String) -> String? {
        guard let start = text.range(of: "\(name)=\"") else { return nil }
        return String(text[start.upperBound...].prefix { $0 != "\"" })
    }

    static func plain(_ html: String) -> String {
        var text = html.replacingOccurrences(of: "<[^>]*>", with: "", options: .regularExpression)
        for (entity, character) in [("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&amp;", "&")] {
            text = text.replacingOccurrences(of: entity, with: character)
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// One section of a page (`<section … id="money">` to its end).
    static func section(_ html: String, _ id: String) -> String {
        guard let start = html.range(of: "id=\"\(id)\""), let end = html[start.upperBound...].range(of: "</section>") else { return "" }
        return String(html[start.lowerBound..<end.upperBound])
    }
}

private func money(_ value: Any?) -> String { AdminFormat.money(Int64(value as? Int ?? Int.min)) }

@Suite(.tags(.database)) struct AdminCoverAndMoneyTests {
    /// Quotes, policies, the wallet, transactions and statements as staff see them, against
    /// what the API gives the driver; search; driver 360; and the admin role kept out.
    @Test func pagesShowWhatTheAPIShows() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        let api = driver.client

        // A PAYG policy, a paid hourly block, and a quote left unbound.
        let paygQuote = try await driver.quote().json()
        let paygQuoteID = try #require(paygQuote["id"] as? String)
        let payg = try await api.json("POST", "/v1/policies", ["quote_id": paygQuoteID], token: driver.token,
                                      headers: [("Idempotency-Key", UUID().uuidString)]).json()
        let paygID = try #require(payg["id"] as? String)
        let card = try await driver.addCard("tok_visa")
        #expect(try await driver.topUp(2500, card: card).status == 201)
        let blockQuote = try await driver.quote(["product": "hourly", "hours": 2]).json()
        let block = try await api.json("POST", "/v1/policies", ["quote_id": blockQuote["id"]!], token: driver.token,
                                       headers: [("Idempotency-Key", UUID().uuidString)]).json()
        let blockID = try #require(block["id"] as? String)
        let openQuote = try await driver.quote(["usage": "ride_hail"]).json()
        let openQuoteID = try #require(openQuote["id"] as? String)

        let staff = try await StaffBrowser.signedIn(server, role: .support)

        // The quote page: every field the API shows, every factor, the rate table version.
        let apiQuote = try await api.json("GET", "/v1/quotes/\(paygQuoteID)", token: driver.token).json()
        let quotePage = try await staff.get("/admin/quotes/\(paygQuoteID)")
        #expect(quotePage.status == 200)
        let quoteHTML = quotePage.text
        #expect(Scrape.text(quoteHTML, "status") == apiQuote["status"] as? String)
        #expect(Scrape.text(quoteHTML, "status") == "bound")
        #expect(Scrape.text(quoteHTML, "product") == "payg")
        #expect(Scrape.text(quoteHTML, "usage") == apiQuote["usage"] as? String)
        for field in ["total_amount", "premium_amount", "ipt_amount", "hourly_rate_amount"] {
            #expect(Scrape.text(quoteHTML, field) == money(apiQuote[field]), "\(field)")
        }
        #expect(Scrape.text(quoteHTML, "rating_version") == String(apiQuote["rating_version"] as! Int))
        #expect(quoteHTML.contains("href=\"/admin/rating/\(apiQuote["rating_version"] as! Int)\""))
        #expect(Scrape.instant(quoteHTML, "valid_until") == apiQuote["valid_until"] as? String)
        #expect(Scrape.instant(quoteHTML, "created_at") == apiQuote["created_at"] as? String)
        #expect(Scrape.text(quoteHTML, "vehicle_id") == driver.vehicleID)
        let factors = try #require(apiQuote["factors"] as? [[String: Any]])
        #expect(factors.count == 6)
        for factor in factors {
            let name = factor["name"] as! String, value = Int64(factor["value"] as! Int)
            let shown = Scrape.plain(quoteHTML.components(separatedBy: "data-factor=\"\(name)\">").dropFirst().first?.components(separatedBy: "</span>").first ?? "")
            #expect(shown == (name == "base_rate" ? "\(AdminFormat.money(value)) per hour" : RatingAdmin.multiplier(value)), "\(name)")
            #expect(quoteHTML.contains((factor["band"] as! String).replacingOccurrences(of: "_", with: " ")))
        }
        #expect(quoteHTML.contains("×1.45"), "E1 is area band F")
        #expect(quoteHTML.contains("id=\"history\""))

        // The quotes list: status and product filters, by driver.
        let bound = try await staff.get("/admin/quotes?driver=\(driver.id)&status=bound&product=payg")
        #expect(bound.status == 200)
        #expect(bound.text.contains("/admin/quotes/\(paygQuoteID)") && !bound.text.contains("/admin/quotes/\(openQuoteID)"))
        #expect(!bound.text.contains("/admin/quotes/\(blockQuote["id"] as! String)"), "hourly is filtered out")
        let quoted = try await staff.get("/admin/quotes?driver=\(driver.id)&status=quoted")
        #expect(quoted.text.contains("/admin/quotes/\(openQuoteID)") && !quoted.text.contains("/admin/quotes/\(paygQuoteID)"))
        #expect(try await staff.get("/admin/quotes?status=expired&driver=\(driver.id)").text.contains("No quotes match."))
        #expect(bound.text.contains("/admin/quotes/declines?driver=\(driver.id)"))

        // The policy pages: as GET /v1/policies/{id} shows them.
        for policyID in [paygID, blockID] {
            let apiPolicy = try await api.json("GET", "/v1/policies/\(policyID)", token: driver.token).json()
            let page = try await staff.get("/admin/policies/\(policyID)")
            #expect(page.status == 200)
            let html = page.text
            #expect(Scrape.text(html, "number") == apiPolicy["number"] as? String)
            #expect(Scrape.text(html, "status") == (apiPolicy["status"] as? String)?.replacingOccurrences(of: "_", with: " "))
            #expect(Scrape.text(html, "product") == apiPolicy["product"] as? String)
            #expect(Scrape.text(html, "hourly_rate_amount") == money(apiPolicy["hourly_rate_amount"]))
            #expect(Scrape.text(html, "total_amount") == money(apiPolicy["total_amount"]))
            #expect(Scrape.text(html, "refund_amount") == money(apiPolicy["refund_amount"]))
            #expect(Scrape.text(html, "funding") == (apiPolicy["funding"] as? String ?? "—"))
            #expect(Scrape.instant(html, "starts_at") == apiPolicy["starts_at"] as? String)
            #expect(Scrape.instant(html, "paid_at") == apiPolicy["paid_at"] as? String)
            #expect(html.contains("href=\"/admin/drivers/\(driver.id)\""))
            #expect(html.contains("href=\"/admin/quotes/\(apiPolicy["quote_id"] as! String)\""))
            #expect(html.contains("href=\"/admin/vehicles/\(driver.vehicleID)\"") && html.contains("AB12CDE"))
            #expect(html.contains("text/html") && html.contains("application/pdf"), "both certificates")
            #expect(html.contains("id=\"history\""))
        }
        let apiBlock = try await api.json("GET", "/v1/policies/\(blockID)", token: driver.token).json()
        #expect(apiBlock["status"] as? String == "active")
        #expect(Scrape.instant(try await staff.get("/admin/policies/\(blockID)").text, "ends_at") == apiBlock["ends_at"] as? String)

        // The policies list, filtered by status as the API shows it, and by product.
        let active = try await staff.get("/admin/policies?driver=\(driver.id)&status=active")
        #expect(active.text.contains("/admin/policies/\(paygID)") && active.text.contains("/admin/policies/\(blockID)"))
        let hourly = try await staff.get("/admin/policies?driver=\(driver.id)&product=hourly")
        #expect(hourly.text.contains("/admin/policies/\(blockID)") && !hourly.text.contains("/admin/policies/\(paygID)"))
        #expect(try await staff.get("/admin/policies?driver=\(driver.id)&status=paused").text.contains("No policies match."))
        #expect(try await staff.get("/admin/policies?quote=\(paygQuoteID)").text.contains("/admin/policies/\(paygID)"))

        // Search: a policy number however it is typed, a policy id, a quote id.
        let number = try #require(payg["number"] as? String)
        for typed in [number, number.lowercased(), number.replacingOccurrences(of: "-", with: ""), " \(number.lowercased().replacingOccurrences(of: "-", with: " ")) "] {
            let found = try await staff.get("/admin/search?q=\(StaffBrowser.encode(typed))")
            #expect(found.status == 303, "\(typed)")
            #expect(found.header("location") == "/admin/policies/\(paygID)", "\(typed)")
        }
        #expect(try await staff.get("/admin/search?q=\(blockID.uppercased())").header("location") == "/admin/policies/\(blockID)")
        #expect(try await staff.get("/admin/search?q=\(openQuoteID)").header("location") == "/admin/quotes/\(openQuoteID)")

        // Money: driver 360 and the wallet page show GET /v1/wallet's numbers and GET /v1/transactions' items.
        let wallet = try await api.json("GET", "/v1/wallet", token: driver.token).json()
        let transactions = try await api.json("GET", "/v1/transactions", token: driver.token).json()["data"] as! [[String: Any]]
        #expect(transactions.count == 2)  // the top-up and the block bought from the wallet
        let balance = try #require(wallet["balance_amount"] as? Int)
        #expect(balance == 2500 - (blockQuote["total_amount"] as! Int))
        let dashboard = try await staff.get("/admin/drivers/\(driver.id)")
        #expect(dashboard.status == 200)
        for section in ["policies", "quotes", "money"] { #expect(dashboard.text.contains("id=\"\(section)\""), "\(section)") }
        let moneySection = Scrape.section(dashboard.text, "money")
        #expect(Scrape.text(moneySection, "balance_amount") == money(wallet["balance_amount"]))
        #expect(Scrape.text(moneySection, "promo_balance_amount") == money(wallet["promo_balance_amount"]))
        #expect(Scrape.titles(moneySection, "id") == transactions.map { $0["id"] as! String })
        #expect(Scrape.texts(moneySection, "amount") == transactions.map { money($0["amount"]) })
        #expect(Scrape.texts(moneySection, "ipt_amount") == transactions.map { money($0["ipt_amount"]) })
        #expect(Scrape.texts(moneySection, "funding") == transactions.map { $0["funding"] as! String })
        #expect(Scrape.texts(moneySection, "description") == transactions.map { $0["description"] as! String })
        #expect(moneySection.contains("data-check=\"ledger\"><span class=\"badge good\">ok</span>"))
        let policiesSection = Scrape.section(dashboard.text, "policies")
        #expect(policiesSection.contains(number) && policiesSection.contains(apiBlock["number"] as! String))
        let quotesSection = Scrape.section(dashboard.text, "quotes")
        #expect(quotesSection.contains("/admin/quotes/\(openQuoteID)") && quotesSection.contains("/admin/quotes/\(paygQuoteID)"))

        let walletPage = try await staff.get("/admin/wallets/\(driver.id)")
        #expect(walletPage.status == 200)
        #expect(Scrape.text(walletPage.text, "balance_amount") == money(wallet["balance_amount"]))
        #expect(Scrape.text(walletPage.text, "promo_balance_amount") == money(wallet["promo_balance_amount"]))
        let autoTopUp = try #require(wallet["auto_top_up"] as? [String: Any])
        #expect(Scrape.text(walletPage.text, "auto_top_up.enabled") == ((autoTopUp["enabled"] as? Bool) == true ? "on" : "off"))
        #expect(Scrape.text(walletPage.text, "auto_top_up.threshold_amount") == money(autoTopUp["threshold_amount"]))
        #expect(Scrape.text(walletPage.text, "auto_top_up.amount") == money(autoTopUp["amount"]))
        #expect(Scrape.titles(walletPage.text, "id") == transactions.map { $0["id"] as! String })
        #expect(walletPage.text.contains("visa •4242"))
        #expect(walletPage.text.contains("not paused"))

        // Billing: the same items, paginated like the API; the CSV is for finance, and on the trail.
        let listed = try await staff.get("/admin/billing/transactions?driver=\(driver.id)")
        #expect(listed.status == 200)
        #expect(Scrape.titles(listed.text, "id") == transactions.map { $0["id"] as! String })
        #expect(Scrape.texts(listed.text, "amount") == transactions.map { money($0["amount"]) })
        #expect(!listed.text.contains("data-action=\"export\""), "support may not export")
        #expect(try await staff.get("/admin/billing/transactions?driver=\(driver.id)&format=csv").status == 403)
        let finance = try await StaffBrowser.signedIn(server, role: .finance)
        let csv = try await finance.get("/admin/billing/transactions?driver=\(driver.id)&format=csv")
        #expect(csv.status == 200)
        #expect(csv.header("content-type")?.hasPrefix("text/csv") == true)
        let csvLines = csv.text.split(separator: "\r\n")
        #expect(csvLines.first == "id,type,amount,ipt_amount,currency,funding,description,related_id,created_at")
        #expect(csvLines.dropFirst().map { String($0.prefix(36)) } == transactions.map { $0["id"] as! String })
        for (line, item) in zip(csvLines.dropFirst(), transactions) {
            // Amounts stay numbers (the formula guard lets plain numbers through).
            let amount = item["amount"] as! Int
            #expect(line.contains(",\(item["type"] as! String),\(amount),"), "\(line)")
        }
        let exported = try await TestDatabase.pool.queryValue(
            "SELECT count(*)::int8 FROM audit.events WHERE action = 'billing.transactions_exported' AND object_id = \(driver.id)", as: Int.self)
        #expect(exported == 1)

        // This week's statement as the driver sees it.
        let week = try #require(BillingAdmin.isoWeek(of: Date()) as String?)
        let apiStatement = try await api.json("GET", "/v1/statements/\(week)", token: driver.token).json()
        let statement = try await staff.get("/admin/billing/statements/\(driver.id)/\(week)")
        #expect(statement.status == 200)
        for field in ["opening_balance_amount", "top_ups_amount", "charges_amount", "refunds_amount", "closing_balance_amount", "ipt_amount"] {
            #expect(Scrape.text(statement.text, field) == money(apiStatement[field]), "\(field)")
        }
        #expect(Scrape.text(statement.text, "closing_balance_amount") == money(balance))
        let lines = apiStatement["lines"] as! [[String: Any]]
        #expect(Scrape.titles(statement.text, "id") == lines.map { $0["id"] as! String })
        #expect(Scrape.texts(statement.text, "cash_amount") == lines.map { money($0["cash_amount"]) })
        #expect(try await staff.get("/admin/billing/statements/\(driver.id)").text.contains("/admin/billing/statements/\(driver.id)/\(week)"))
        #expect(try await staff.get("/admin/billing/statements/\(driver.id)/2099-W01").status == 404)

        // The admin role manages staff, not drivers or money.
        let admin = try await StaffBrowser.signedIn(server, role: .admin)
        for path in ["/admin/quotes", "/admin/quotes/\(paygQuoteID)", "/admin/policies", "/admin/policies/\(paygID)", "/admin/rating",
                     "/admin/rating/1", "/admin/rating/diff?from=1&to=1", "/admin/underwriting", "/admin/underwriting/1",
                     "/admin/wallets/\(driver.id)", "/admin/billing/transactions?driver=\(driver.id)",
                     "/admin/billing/statements/\(driver.id)", "/admin/billing/statements/\(driver.id)/\(week)"] {
            #expect(try await admin.get(path).status == 403, "\(path)")
            #expect(try await staff.get(path).status == 200, "\(path)")
        }
    }

    /// Below £0 a PAYG policy shows `paused`: on its page as in the API, in the filtered list,
    /// on driver 360 and in the ops home count.
    @Test func pausedPoliciesAreShownAndCounted() async throws {
        let server = try Fixtures.server(jobs: true)
        defer { Task { await server.stop() } }
        let (clocks, clockID) = try await TestClock.make(server, frozenAt: "2026-08-07T06:00:00Z")
        let driver = try await TestDriver.make(server, ["test_clock_id": clockID])
        let quote = try await driver.quote().json()
        let policyID = try await driver.client.json("POST", "/v1/policies", ["quote_id": quote["id"]!], token: driver.token).json()["id"] as! String
        let card = try await driver.addCard("tok_visa")
        #expect(try await driver.topUp(1000, card: card).status == 201)
        _ = try await driver.client.json("PATCH", "/v1/wallet", ["auto_top_up": ["enabled": false]], token: driver.token)
        #expect(try await driver.client.json("POST", "/v1/policies/\(policyID)/sessions", token: driver.token).status == 201)
        _ = try await clocks.json("POST", "/v1/test-clocks/\(clockID)/advance", ["frozen_time": "2026-08-07T12:00:00Z"])
        let sessionID = (try await driver.client.json("GET", "/v1/policies/\(policyID)/sessions", token: driver.token).json()["data"] as! [[String: Any]])[0]["id"]!
        _ = try await driver.client.json("POST", "/v1/sessions/\(sessionID)/end", token: driver.token)
        _ = try await clocks.json("POST", "/v1/test-clocks/\(clockID)/advance", ["frozen_time": "2026-08-07T12:30:00Z"])
        let apiPolicy = try await driver.client.json("GET", "/v1/policies/\(policyID)", token: driver.token).json()
        #expect(apiPolicy["status"] as? String == "paused")
        let wallet = try await driver.client.json("GET", "/v1/wallet", token: driver.token).json()
        #expect((wallet["balance_amount"] as? Int ?? 0) < 0)

        let staff = try await StaffBrowser.signedIn(server, role: .support)
        let page = try await staff.get("/admin/policies/\(policyID)")
        #expect(Scrape.text(page.text, "status")?.hasPrefix("paused") == true)
        #expect(page.text.contains("test clock"))
        let paused = try await staff.get("/admin/policies?status=paused&driver=\(driver.id)")
        #expect(paused.text.contains("/admin/policies/\(policyID)"))
        #expect(!(try await staff.get("/admin/policies?status=active&driver=\(driver.id)")).text.contains("/admin/policies/\(policyID)"))
        #expect(try await staff.get("/admin/policies?status=paused").text.contains("/admin/policies/\(policyID)"))

        let home = try await staff.get("/admin/")
        let card360 = try #require(home.text.components(separatedBy: "data-field=\"policies_paused_below__0\">").dropFirst().first)
        #expect(home.text.contains("href=\"/admin/policies?status=paused\""))
        let count = Int(Scrape.plain(card360.components(separatedBy: "</strong>")[0])) ?? 0
        #expect(count >= 1)

        let dashboard = try await staff.get("/admin/drivers/\(driver.id)")
        #expect(dashboard.text.contains("paused · \(money(wallet["balance_amount"]))"))
        let moneySection = Scrape.section(dashboard.text, "money")
        #expect(Scrape.text(moneySection, "balance_amount") == money(wallet["balance_amount"]))
        let transactions = try await driver.client.json("GET", "/v1/transactions", token: driver.token).json()["data"] as! [[String: Any]]
        #expect(Scrape.titles(moneySection, "id") == transactions.prefix(10).map { $0["id"] as! String })
        #expect(Scrape.texts(moneySection, "amount") == transactions.prefix(10).map { money($0["amount"]) })
        #expect(Scrape.section(dashboard.text, "policies").contains("<span class=\"badge warn\">paused</span>"))
        let walletPage = try await staff.get("/admin/wallets/\(driver.id)")
        #expect(walletPage.text.contains("<span class=\"badge warn\">paused</span>"))
        #expect(Scrape.text(walletPage.text, "auto_top_up.enabled") == "off")
    }

    /// Rate tables: the versions, one whole, and a diff between any two (a second version made
    /// here through the owner's connection: the server's role cannot write rate tables).
    /// Underwriting rules in words; declines with their reasons.
    @Test func rateTablesDiffAndUnderwritingRules() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let staff = try await StaffBrowser.signedIn(server, role: .pricing)

        let versions = try await staff.get("/admin/rating")
        #expect(versions.status == 200)
        #expect(versions.text.contains("href=\"/admin/rating/1\"") && versions.text.contains("in effect"))
        let one = try await staff.get("/admin/rating/1")
        #expect(one.status == 200)
        #expect(one.text.contains("£1.40") && one.text.contains("×1.15") && one.text.contains("E1, E2, EC"))
        #expect(try await staff.get("/admin/rating/999999").status == 404)
        #expect(try await staff.get("/admin/rating/diff?from=1&to=1").text.contains("price exactly alike"))

        // A later version, never in effect (it starts in 2999): dearer cars, a new 25-29 multiplier,
        // one area band added, one factor band gone.
        let next = try await TestDatabase.ownerPool.queryValue("SELECT coalesce(max(version), 0)::int4 + 1 FROM rating.rate_tables", as: Int32.self)
        try await TestDatabase.ownerPool.withTransaction { owner in
            try await owner.execute("INSERT INTO rating.rate_tables (version, effective_from, description) VALUES (\(next), '2999-01-01T00:00:00Z', 'Admin diff test')")
            try await owner.execute("INSERT INTO rating.base_rates SELECT \(next), vehicle_type, CASE WHEN vehicle_type = 'car' THEN 150 ELSE hourly_rate_amount END FROM rating.base_rates WHERE version = 1")
            try await owner.execute("""
                INSERT INTO rating.factors SELECT \(next), factor, band, lower_bound, upper_bound, CASE WHEN band = '25-29' THEN 12000 ELSE multiplier_bp END
                FROM rating.factors WHERE version = 1 AND NOT (factor = 'claims' AND band = '2+')
                """)
            try await owner.execute("INSERT INTO rating.area_bands SELECT \(next), postcode_prefix, band FROM rating.area_bands WHERE version = 1")
            try await owner.execute("INSERT INTO rating.area_bands VALUES (\(next), 'ZE', 'A')")
        }
        defer {
            Task {
                try? await TestDatabase.ownerPool.withTransaction { owner in
                    for table in ["area_bands", "factors", "base_rates", "rate_tables"] {
                        try await owner.execute("DELETE FROM rating.\(unsafeRaw: table) WHERE version = \(next)")
                    }
                }
            }
        }
        let diff = try await staff.get("/admin/rating/diff?from=1&to=\(next)")
        #expect(diff.status == 200)
        let html = diff.text
        #expect(html.contains("<td>car</td><td><span class=\"badge warn\">changed</span></td><td><span data-diff=\"old\">£1.40</span></td><td><span data-diff=\"new\">£1.50</span></td>"))
        #expect(html.contains("<span data-diff=\"old\">×1.15 (25 to 29)</span>") && html.contains("<span data-diff=\"new\">×1.20 (25 to 29)</span>"))
        #expect(html.contains("<td>ZE</td><td><span class=\"badge good\">added</span></td><td><span data-diff=\"old\">—</span></td><td><span data-diff=\"new\">band A</span></td>"))
        #expect(html.contains("Declared claims: 2+</td><td><span class=\"badge bad\">removed</span>"))
        #expect(html.contains("Admin diff test"), "the description changed too")
        #expect(!html.contains("<td>van</td>"), "unchanged rows are left out")
        #expect(html.contains("6 changes from version 1 to version \(next)."))
        let reverse = try await staff.get("/admin/rating/diff?from=\(next)&to=1")
        #expect(reverse.text.contains("<span data-diff=\"old\">£1.50</span>") && reverse.text.contains("<span data-diff=\"new\">£1.40</span>"))
        #expect(try await staff.get("/admin/rating").text.contains("scheduled"), "a version whose start is ahead")
        #expect(try await staff.get("/admin/rating/diff?from=1&to=999999").status == 404)
        #expect(try await staff.get("/admin/rating/diff?from=x&to=1").status == 422)

        let rules = try await staff.get("/admin/underwriting")
        #expect(rules.status == 200)
        for words in ["Drivers must be at least 19 years old", "at most 75 years old", "at least 1 whole year.", "No cover for provisional licence holders.",
                      "bicycle 30 years", "car £60,000.00", "BT, GY, JE, IM, ZE, HS", "too_young", "area_excluded"] {
            #expect(rules.text.contains(words), "\(words)")
        }
        let ruleSet = try await staff.get("/admin/underwriting/1")
        #expect(ruleSet.status == 200 && ruleSet.text.contains("in effect") && ruleSet.text.contains("id=\"history\""))

        // A decline is kept with every reason the driver was told.
        let young = try await TestDriver.make(server, ["date_of_birth": "2008-06-01", "licence_issued_on": "2026-06-01"])
        let declined = try await young.quote()
        #expect(declined.status == 422)
        let codes = ((try declined.json()["reasons"] as? [[String: Any]]) ?? []).compactMap { $0["code"] as? String }
        #expect(!codes.isEmpty)
        let list = try await staff.get("/admin/quotes?driver=\(young.id)")
        #expect(list.text.contains("No quotes match."))
        let declines = try await staff.get("/admin/quotes/declines?driver=\(young.id)")
        #expect(declines.status == 200)
        for code in codes { #expect(declines.text.contains("<code>\(code)</code>"), "\(code)") }
        let quotesSection = Scrape.section(try await staff.get("/admin/drivers/\(young.id)").text, "quotes")
        for code in codes { #expect(quotesSection.contains("<code>\(code)</code>"), "\(code) in driver 360") }
    }
}
