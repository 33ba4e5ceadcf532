import AdminUI
import AppKernel
import Foundation
@testable import Hourglass
import Identity
import Jobs
import Logging
import Notifications
import Postgres
import TestSupport
import Testing

/// The text of a form's controls on an admin page (what a browser would send back).
enum FormScrape {
    static func textarea(_ html: String, _ name: String) -> String? {
        guard let open = html.range(of: "name=\"\(name)\""), let start = html[open.upperBound...].firstIndex(of: ">"),
              let end = html[start...].range(of: "</textarea>") else { return nil }
        return unescape(String(html[html.index(after: start)..<end.lowerBound]))
    }

    static func input(_ html: String, _ name: String) -> String? {
        guard let open = html.range(of: "name=\"\(name)\""), let close = html[open.upperBound...].firstIndex(of: ">") else { return nil }
        let tag = html[open.upperBound..<close]
        guard let value = tag.range(of: "value=\"") else { return "" }
        return unescape(String(tag[value.upperBound...].prefix { $0 != "\"" }))
    }

    static func unescape(_ text: String) -> String {
        text.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'").replacingOccurrences(of: "&lt;", with: "<")
            .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
    }

    /// Every field of a rate table draft's edit form, as shown.
    static func rateDraftFields(_ html: String) -> [String: String] {
        var fields: [String: String] = [:]
        for name in ["revision", "description"] + ["bicycle", "e_scooter", "motorcycle", "car", "van"].map({ "base.\($0)" }) {
            fields[name] = input(html, name)
        }
        for name in ["age", "licence_years", "area_band", "usage", "claims"].map({ "factor.\($0)" }) + ["area_bands"] {
            fields[name] = textarea(html, name)
        }
        return fields
    }
}

/// Rate tables and underwriting rules: drafted by pricing, shown as a diff and priced with a
/// what-if, published with an effective instant only when finance approves (OPS.md four-eyes,
/// `publish_rates`, `publish_rules`). Serialized: each test publishes a version that starts
/// after the previous test's (years ahead, so no other suite's quote is priced by it).
@Suite(.tags(.database), .serialized) struct PricingActionTests {
    static func auditEvents(_ action: String, object: String) async throws -> [(actor: String, reason: String?, text: String?, approval: UUID?, after: String?)] {
        try await TestDatabase.pool.queryAll("""
            SELECT actor, reason_code, reason_text, approval_id, after::text FROM audit.events WHERE action = \(action) AND object_id = \(object)
            ORDER BY occurred_at
            """) { (try $0.decode(String.self, at: 0), try $0.decode(String?.self, at: 1), try $0.decode(String?.self, at: 2),
                    try $0.decode(UUID?.self, at: 3), try $0.decode(String?.self, at: 4)) }
    }

    /// An effective instant after every version already published (other than the far-future
    /// one another suite adds for a moment), at least five years ahead, in whole minutes.
    static func nextStart(_ table: String) async throws -> Date {
        try await TestDatabase.pool.queryValue("""
            SELECT date_trunc('minute', greatest(now() + interval '5 years',
                   coalesce((SELECT max(effective_from) FROM \(unsafeRaw: table) WHERE effective_from < '2900-01-01'), now()) + interval '1 day'))
            """, as: Date.self)
    }

    static func ratingInEffect() async throws -> Int {
        Int(try await TestDatabase.pool.queryValue(
            "SELECT version FROM rating.rate_tables WHERE effective_from <= now() ORDER BY version DESC LIMIT 1", as: Int32.self))
    }

    static func draftID(_ response: TestResponse, _ prefix: String) throws -> String {
        let location = try #require(response.header("location"), "\(response.status) \(response.text.prefix(400))")
        #expect(location.hasPrefix(prefix))
        return String(location.dropFirst(prefix.count).prefix(36))
    }

    /// A draft started from the version in effect, edited (car £1.40 → £1.60, ages 30-49
    /// ×1.00 → ×1.10) and saved; its id.
    static func dearerCarsDraft(_ pricing: StaffBrowser, description: String) async throws -> String {
        let inEffect = try await ratingInEffect()
        let created = try await pricing.post("/admin/rating/drafts", ["from": String(inEffect), "description": description, "note": "autumn review"])
        #expect(created.status == 303)
        let id = try draftID(created, "/admin/rating/drafts/")
        let edit = try await pricing.get("/admin/rating/drafts/\(id)/edit")
        #expect(edit.status == 200 && edit.text.contains("data-action=\"save_rate_draft\""))
        var fields = FormScrape.rateDraftFields(edit.text)
        #expect(fields["base.car"] == "1.40")
        #expect(fields["factor.age"]?.contains("30-49 30 49 1.00") == true)
        fields["base.car"] = "1.60"
        fields["factor.age"] = fields["factor.age"]?.replacingOccurrences(of: "30-49 30 49 1.00", with: "30-49 30 49 1.10")
        fields["note"] = "cars cost more to repair"
        let saved = try await pricing.post("/admin/rating/drafts/\(id)", fields)
        #expect(saved.status == 303, "\(saved.text.prefix(600))")
        return id
    }

    @Test func aRateTableIsDraftedDiffedPricedAndPublishedOnlyWithFinance() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let inEffect = try await Self.ratingInEffect()
        let pricing = try await StaffBrowser.signedIn(server, role: .pricing, name: "Pricer Pat")
        let list = try await pricing.get("/admin/rating")
        #expect(list.text.contains("data-action=\"draft_rates\""))

        let id = try await Self.dearerCarsDraft(pricing, description: "Dearer cars \(UUID().uuidString.prefix(6))")
        #expect(try await Self.auditEvents("rating.draft_created", object: id).count == 1)
        let saves = try await Self.auditEvents("rating.draft_saved", object: id)
        #expect(saves.count == 1)
        #expect(saves.first?.actor.hasPrefix("staff:") == true && saves.first?.text == "cars cost more to repair")
        #expect(saves.first?.after?.contains("\"car\": 160") == true)

        // The draft against the version in effect: only what changed.
        let page = try await pricing.get("/admin/rating/drafts/\(id)")
        #expect(page.status == 200)
        #expect(page.text.contains("2 changes from version \(inEffect), the version in effect."))
        #expect(page.text.contains("<td>car</td><td><span class=\"badge warn\">changed</span></td><td><span data-diff=\"old\">£1.40</span></td><td><span data-diff=\"new\">£1.60</span></td>"))
        #expect(page.text.contains("<span data-diff=\"old\">×1.00 (30 to 49)</span>") && page.text.contains("<span data-diff=\"new\">×1.10 (30 to 49)</span>"))
        let diff = page.text.components(separatedBy: "id=\"what-if\"")[0]
        #expect(!diff.contains("<td>van</td>"), "unchanged rows are left out of the diff")
        #expect(page.text.contains("data-action=\"publish_rates\""))

        // A draft that cannot price what the version in effect prices is not saved, and says why.
        let edit = try await pricing.get("/admin/rating/drafts/\(id)/edit")
        var fields = FormScrape.rateDraftFields(edit.text)
        #expect(fields["revision"] == "2")
        fields["note"] = "try"
        var broken = fields
        broken["factor.age"] = (fields["factor.age"] ?? "").replacingOccurrences(of: "19-20 19 20 1.60", with: "")
        let gap = try await pricing.post("/admin/rating/drafts/\(id)", broken)
        #expect(gap.status == 422)
        #expect(gap.text.contains("Age: 19, 20 are priced today but not by this draft."))
        broken = fields
        broken["factor.age"] = (fields["factor.age"] ?? "") + "\n75+ lots"
        broken["base.van"] = "free"
        let unreadable = try await pricing.post("/admin/rating/drafts/\(id)", broken)
        #expect(unreadable.status == 422)
        #expect(unreadable.text.contains("“free” is not an amount in pounds and pence"))
        #expect(unreadable.text.contains("Age line 7 (“75+ lots”)"))
        #expect(unreadable.text.contains("75+ lots"), "what was typed comes back")
        #expect(try await Self.auditEvents("rating.draft_saved", object: id).count == 1, "nothing saved")

        // What-if: a driver and vehicle under the version in effect and under the draft, priced
        // by the same function as a quote (the published side equals a real quote today).
        let driver = try await TestDriver.make(server)
        let quote = try await driver.quote().json()
        #expect(quote["rating_version"] as? Int == inEffect, "a draft is never used for quotes")
        let published = try #require(quote["hourly_rate_amount"] as? Int)
        #expect(published == 203)
        let whatIf = AdminPageReader(try await pricing.get("/admin/rating/what-if?a=\(inEffect)&b=\(id)&driver=\(driver.id)&vehicle=AB12CDE&hours=3"))
        #expect(whatIf.text("payg.food_delivery.a") == "£2.03")
        // £1.60 × 1.10 (30-49) × 1.45 (E1, band F) = 255.2p → £2.55.
        #expect(whatIf.text("payg.food_delivery.b") == "£2.55")
        #expect(whatIf.text("hourly.food_delivery.b") == "£7.65")
        #expect(whatIf.text("payg.ride_hail.a") == "£2.94", "203 × 1.45 = 294.35p")
        #expect(whatIf.html.contains("+£0.52 (+25.6%)"))
        let same = AdminPageReader(try await pricing.get("/admin/rating/what-if?a=\(inEffect)&b=\(inEffect)&driver=\(driver.id)&vehicle=\(driver.vehicleID)"))
        #expect(same.text("payg.usage_unknown.a") == nil && same.text("payg.parcel_delivery.b") == "£2.23" && same.html.contains("<span class=\"muted\">same</span>"))
        #expect(try await pricing.get("/admin/rating/what-if?b=\(id)&driver=\(driver.id)&vehicle=ZZ99ZZZ").status == 404)
        #expect(try await pricing.get("/admin/rating/what-if?b=\(id)&driver=nobody&vehicle=AB12CDE").status == 422)

        // Support reads the draft but has no form, and is refused every write.
        let support = try await StaffBrowser.signedIn(server, role: .support)
        let supportPage = try await support.get("/admin/rating/drafts/\(id)")
        #expect(supportPage.status == 200)
        #expect(!supportPage.text.contains("data-action=\"publish_rates\"") && !supportPage.text.contains("/edit\""))
        #expect(!(try await support.get("/admin/rating")).text.contains("data-action=\"draft_rates\""))
        #expect(try await support.plan("publish_rates", ["object": id, "reason": "other", "note": "x"]).page.status == 403)
        #expect(try await support.post("/admin/rating/drafts/\(id)", fields).status == 403)
        #expect(try await support.get("/admin/rating/drafts/\(id)/edit").status == 403)

        // Publication: always four-eyes. The start must be ahead; the maker files it.
        let start = try await Self.nextStart("rating.rate_tables")
        #expect(try await pricing.plan("publish_rates", ["object": id, "effective_from": "2020-01-01T00:00", "reason": "other", "note": "x"]).page.status == 422)
        let (plan, token) = try await pricing.plan("publish_rates", ["object": id, "revision": "2", "effective_from": RFC3339.format(start),
                                                                    "reason": "other", "note": "autumn rates"])
        #expect(plan.status == 200, "\(plan.text.prefix(600))")
        #expect(plan.text.contains("as a new rate table version, in force from \(AdminFormat.localText(start))"))
        #expect(plan.text.contains("another person’s approval") && plan.text.contains("£1.40 → £1.60"))
        let approval = try #require(token)
        #expect(try await pricing.confirm("publish_rates", token: approval).header("location") == "/admin/approvals/\(approval)")
        #expect(try await TestDatabase.pool.queryValue("SELECT count(*)::int8 FROM rating.rate_tables WHERE effective_from = \(start)", as: Int64.self) == 0)

        // Pricing cannot approve its own publication, nor can another pricing person; finance can.
        #expect(try await pricing.post("/admin/approvals/\(approval)/approve", ["note": "me"]).status == 403)
        let otherPricing = try await StaffBrowser.signedIn(server, role: .pricing)
        #expect(try await otherPricing.post("/admin/approvals/\(approval)/approve", [:]).status == 403)
        let finance = try await StaffBrowser.signedIn(server, role: .finance, name: "Finance Fi")
        let inbox = try await finance.get("/admin/approvals/\(approval)")
        #expect(inbox.text.contains("data-action=\"approve\"") && inbox.text.contains("£1.40 → £1.60"))
        #expect(try await finance.post("/admin/approvals/\(approval)/approve", ["note": "checked the loss ratios"]).status == 303)
        #expect(try await finance.post("/admin/approvals/\(approval)/approve", [:]).status == 409, "approved once")
        let version = Int(try await TestDatabase.pool.queryValue("SELECT published_version FROM rating.drafts WHERE id = \(UUID(uuidString: id)!)", as: Int32.self))
        #expect(try await TestDatabase.pool.queryValue("SELECT effective_from FROM rating.rate_tables WHERE version = \(Int32(version))", as: Date.self) == start)
        #expect(try await TestDatabase.pool.queryValue("SELECT hourly_rate_amount FROM rating.base_rates WHERE version = \(Int32(version)) AND vehicle_type = 'car'", as: Int64.self) == 160)
        let events = try await Self.auditEvents("rating.published", object: String(version))
        #expect(events.count == 1)
        #expect(events.first?.approval == UUID(uuidString: approval) && events.first?.reason == "other" && events.first?.text == "autumn rates")
        #expect(events.first?.actor.hasPrefix("staff:") == true)
        #expect((try await pricing.get("/admin/rating/drafts/\(id)")).text.contains("as version \(version)"))
        #expect((try await pricing.get("/admin/rating/\(version)")).text.contains("scheduled"))
        #expect(try await pricing.plan("publish_rates", ["object": id, "reason": "other", "note": "again"]).page.status == 409)

        // Quotes: before the start the old version, after it the new; a quote keeps its version.
        let (clocks, clockID) = try await TestClock.make(server, frozenAt: RFC3339.format(start.addingTimeInterval(-3600)))
        let sandboxed = try await TestDriver.make(server, ["test_clock_id": clockID])
        let before = try await sandboxed.quote().json()
        #expect(before["rating_version"] as? Int == inEffect && before["hourly_rate_amount"] as? Int == 203)
        let advanced = try await clocks.json("POST", "/v1/test-clocks/\(clockID)/advance", ["frozen_time": RFC3339.format(start.addingTimeInterval(60))])
        #expect(advanced.status == 200)
        let after = try await sandboxed.quote().json()
        #expect(after["rating_version"] as? Int == version && after["hourly_rate_amount"] as? Int == 255)
        let kept = try await sandboxed.client.json("GET", "/v1/quotes/\(before["id"] as! String)", token: sandboxed.token).json()
        #expect(kept["rating_version"] as? Int == inEffect && kept["hourly_rate_amount"] as? Int == 203)
        // Real time is still before the start: today's quotes are priced as before.
        #expect(try await driver.quote().json()["rating_version"] as? Int == inEffect)
    }

    @Test func anExpiredStaleOrEmptyPublicationNeverPublishes() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let pricing = try await StaffBrowser.signedIn(server, role: .pricing)
        let finance = try await StaffBrowser.signedIn(server, role: .finance)
        let versions = { try await TestDatabase.pool.queryValue("SELECT count(*)::int8 FROM rating.rate_tables", as: Int64.self) }
        let count = try await versions()
        let start = try await Self.nextStart("rating.rate_tables")

        // Expired: 72 hours went by.
        let first = try await Self.dearerCarsDraft(pricing, description: "Expiring")
        let (_, old) = try await pricing.act("publish_rates", ["object": first, "effective_from": RFC3339.format(start), "reason": "other", "note": "x"])
        try await TestDatabase.pool.execute("UPDATE admin.action_requests SET expires_at = now() - interval '1 minute' WHERE id = \(UUID(uuidString: old)!)")
        #expect(try await finance.post("/admin/approvals/\(old)/approve", [:]).status == 410)

        // Stale: the draft was edited after the publication was filed; it cannot be approved.
        let second = try await Self.dearerCarsDraft(pricing, description: "Edited after filing")
        let (_, stale) = try await pricing.act("publish_rates", ["object": second, "effective_from": RFC3339.format(start), "reason": "other", "note": "x"])
        var fields = FormScrape.rateDraftFields(try await pricing.get("/admin/rating/drafts/\(second)/edit").text)
        fields["base.van"] = "1.99"
        fields["note"] = "one more change"
        #expect(try await pricing.post("/admin/rating/drafts/\(second)", fields).status == 303)
        let refused = try await finance.post("/admin/approvals/\(stale)/approve", [:])
        #expect(refused.status == 409)
        #expect(refused.text.contains("edited after this publication was asked for"))
        #expect(try await finance.post("/admin/approvals/\(stale)/reject", ["note": "changed since"]).status == 303)

        // Nothing to publish: a copy of the version in effect.
        let copy = try Self.draftID(try await pricing.post("/admin/rating/drafts", ["from": String(try await Self.ratingInEffect()), "description": "Same"]),
                                    "/admin/rating/drafts/")
        let empty = try await pricing.plan("publish_rates", ["object": copy, "reason": "other", "note": "x"])
        #expect(empty.page.status == 422 && empty.page.text.contains("nothing to publish"))
        // A discarded draft cannot be published or edited.
        #expect(try await pricing.post("/admin/rating/drafts/\(copy)/discard", ["note": "not needed"]).status == 303)
        #expect(try await pricing.plan("publish_rates", ["object": copy, "reason": "other", "note": "x"]).page.status == 409)
        #expect(try await pricing.get("/admin/rating/drafts/\(copy)/edit").status == 409)
        #expect(try await Self.auditEvents("rating.draft_discarded", object: copy).count == 1)
        #expect(try await versions() == count, "no version was added")

        // In the database too: the server's role cannot write a version, and the publishing
        // function publishes only an open draft at the revision asked for.
        for statement: SQL in ["INSERT INTO rating.base_rates (version, vehicle_type, hourly_rate_amount) VALUES (1, 'tram', 1)",
                               "UPDATE rating.factors SET multiplier_bp = 1 WHERE version = 1",
                               "DELETE FROM rating.area_bands WHERE version = 1"] {
            let error = await #expect(throws: PostgresError.self) { try await TestDatabase.pool.execute(statement) }
            #expect(error?.sqlState == "42501", "\(statement)")
        }
        for (draft, revision) in [(copy, 1), (second, 1)] {
            let error = await #expect(throws: PostgresError.self) {
                try await TestDatabase.pool.execute("SELECT rating.publish_draft(\(UUID(uuidString: draft)!), \(Int32(revision)), now() + interval '10 years', now())")
            }
            #expect(error?.sqlState == "55000", "discarded, or not at that revision")
        }
        #expect(try await versions() == count)
        #expect(try await TestDatabase.pool.queryValue("SELECT count(*)::int8 FROM audit.events WHERE action = 'rating.published' AND owner_id = ANY(\([first, second, copy]))",
                                                      as: Int64.self) == 0)
    }

    @Test func underwritingRulesAreDraftedAndPublishedTheSameWay() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let inEffect = Int(try await TestDatabase.pool.queryValue(
            "SELECT version FROM underwriting.rule_sets WHERE effective_from <= now() ORDER BY version DESC LIMIT 1", as: Int32.self))
        let pricing = try await StaffBrowser.signedIn(server, role: .pricing)
        #expect((try await pricing.get("/admin/underwriting")).text.contains("data-action=\"draft_rules\""))
        let created = try await pricing.post("/admin/underwriting/drafts", ["from": String(inEffect), "description": "No Cornwall", "note": "claims in TR"])
        let id = try Self.draftID(created, "/admin/underwriting/drafts/")
        let edit = try await pricing.get("/admin/underwriting/drafts/\(id)/edit")
        #expect(edit.text.contains("data-action=\"save_rule_draft\""))
        var fields: [String: String] = ["note": "exclude TR"]
        for name in ["revision", "description", "min_age", "max_age", "min_licence_years", "refused_licence_types", "excluded_postcode_areas"]
            + ["bicycle", "e_scooter", "motorcycle", "car", "van"].flatMap({ ["max_vehicle_age_years.\($0)", "max_vehicle_value_amount.\($0)"] }) {
            fields[name] = FormScrape.input(edit.text, name)
        }
        #expect(fields["min_age"] == "19" && fields["max_vehicle_value_amount.car"] == "60000.00")
        #expect(fields["excluded_postcode_areas"] == "BT GY JE IM ZE HS")

        var wrong = fields
        wrong["min_age"] = "nineteen"
        wrong["refused_licence_types"] = "provisonal"
        let unreadable = try await pricing.post("/admin/underwriting/drafts/\(id)", wrong)
        #expect(unreadable.status == 422 && unreadable.text.contains("must be a whole number, not “nineteen”"))
        wrong["min_age"] = "19"
        let unknown = try await pricing.post("/admin/underwriting/drafts/\(id)", wrong)
        #expect(unknown.status == 422 && unknown.text.contains("“provisonal” is not a licence type"))

        fields["excluded_postcode_areas"] = "BT GY JE IM ZE HS tr"
        #expect(try await pricing.post("/admin/underwriting/drafts/\(id)", fields).status == 303)
        let page = try await pricing.get("/admin/underwriting/drafts/\(id)")
        #expect(page.text.contains("1 change from rule set \(inEffect), the rule set in effect."))
        #expect(page.text.contains("<span data-diff=\"new\">No cover in the postcode areas BT, GY, JE, IM, ZE, HS, TR.</span>"))

        // A driver in TR is quoted until the new rules are in force, declined after.
        let cornish = try await TestDriver.make(server, ["postcode": "TR1 1AA"])
        #expect(try await cornish.quote().status == 201, "a draft is never applied")
        let start = try await Self.nextStart("underwriting.rule_sets")
        let (plan, token) = try await pricing.plan("publish_rules", ["object": id, "effective_from": RFC3339.format(start), "reason": "other", "note": "TR losses"])
        #expect(plan.status == 200 && plan.text.contains("as a new underwriting rule set"))
        let approval = try #require(token)
        #expect(try await pricing.confirm("publish_rules", token: approval).header("location") == "/admin/approvals/\(approval)")
        #expect(try await pricing.post("/admin/approvals/\(approval)/approve", [:]).status == 403)
        let finance = try await StaffBrowser.signedIn(server, role: .finance)
        #expect(try await finance.post("/admin/approvals/\(approval)/approve", ["note": "ok"]).status == 303)
        let version = Int(try await TestDatabase.pool.queryValue("SELECT published_version FROM underwriting.drafts WHERE id = \(UUID(uuidString: id)!)", as: Int32.self))
        let events = try await Self.auditEvents("underwriting.published", object: String(version))
        #expect(events.count == 1 && events.first?.approval == UUID(uuidString: approval) && events.first?.text == "TR losses")

        let (clocks, clockID) = try await TestClock.make(server, frozenAt: RFC3339.format(start.addingTimeInterval(-600)))
        let sandboxed = try await TestDriver.make(server, ["test_clock_id": clockID, "postcode": "TR1 1AA"])
        #expect(try await sandboxed.quote().status == 201)
        _ = try await clocks.json("POST", "/v1/test-clocks/\(clockID)/advance", ["frozen_time": RFC3339.format(start.addingTimeInterval(600))])
        let declined = try await sandboxed.quote()
        #expect(declined.status == 422)
        let codes = ((try declined.json()["reasons"] as? [[String: Any]]) ?? []).compactMap { $0["code"] as? String }
        #expect(codes == ["area_excluded"])
        #expect(try await cornish.quote().status == 201, "real time is still before the start")
    }
}

/// The jobs a test's own worker ran.
actor RanJobs {
    var ids: [Int64] = []
    func add(_ id: Int64) { ids.append(id) }
}

/// Engineers' actions on jobs and notifications (OPS.md: retry_job, cancel_job, run_job,
/// resend_notification; permission `operate`).
@Suite(.tags(.database)) struct JobAndNotificationActionTests {
    @Test func jobsAreRetriedCancelledAndRunNowOnlyWhenThatMakesSense() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let engineer = try await StaffBrowser.signedIn(server, role: .engineer)
        // Jobs in a queue of their own: only the worker made here takes them.
        let queue = "actions-\(UUID().uuidString.prefix(8))"
        defer { Task { try? await TestDatabase.pool.execute("DELETE FROM jobs.jobs WHERE queue = \(queue)") } }
        func insert(_ columns: SQL) async throws -> Int64 {
            try await TestDatabase.pool.queryValue("INSERT INTO jobs.jobs (queue, kind, status, attempts, max_attempts, last_error, run_at, locked_by, locked_until, finished_at) VALUES (\(queue), \(columns)) RETURNING id", as: Int64.self)
        }
        let dead = try await insert("'test.flaky', 'dead', 3, 3, 'boom', now() - interval '1 hour', NULL, NULL, now()")
        let scheduled = try await insert("'test.flaky', 'queued', 0, 3, NULL, now() + interval '1 day', NULL, NULL, NULL")
        let doomed = try await insert("'test.flaky', 'queued', 1, 5, 'flaky', now() + interval '1 hour', NULL, NULL, NULL")
        let running = try await insert("'test.flaky', 'running', 1, 3, NULL, now(), 'elsewhere:0', now() + interval '1 hour', NULL")
        let succeeded = try await insert("'test.flaky', 'succeeded', 1, 3, NULL, now() - interval '1 hour', NULL, NULL, now()")
        let ran = RanJobs()
        let worker = JobQueue(database: TestDatabase.pool, logger: Logger(label: "test"), name: queue)
        worker.register("test.flaky") { job in await ran.add(job.id) }
        #expect(try await worker.runNext(worker: "test") == false, "nothing of this queue is due")

        // A dead job: only Retry is offered; it runs once more.
        let deadPage = try await engineer.get("/admin/jobs/\(dead)")
        #expect(deadPage.text.contains("data-action=\"retry_job\"") && !deadPage.text.contains("data-action=\"cancel_job\"") && !deadPage.text.contains("data-action=\"run_job\""))
        let (plan, token) = try await engineer.plan("retry_job", ["object": String(dead), "reason": "ops_error", "note": "the bug is fixed"])
        #expect(plan.text.contains("Run job #\(dead) (test.flaky) once more now: attempt 4"))
        let id = try #require(token)
        #expect(try await engineer.confirm("retry_job", token: id).status == 303)
        #expect(try await engineer.confirm("retry_job", token: id).header("location") == "/admin/action-requests/\(id)", "a replay shows the first result")
        #expect(try await TestDatabase.pool.queryValue("SELECT status || ' ' || max_attempts FROM jobs.jobs WHERE id = \(dead)", as: String.self) == "queued 4")
        #expect(try await worker.runNext(worker: "test"))
        #expect(await ran.ids == [dead])
        #expect(try await TestDatabase.pool.queryValue("SELECT status FROM jobs.jobs WHERE id = \(dead)", as: String.self) == "succeeded")
        let events = try await TestDatabase.pool.queryAll("""
            SELECT actor, reason_code, reason_text, before ->> 'status', after ->> 'status' FROM audit.events WHERE action = 'jobs.retried' AND object_id = \(String(dead))
            """) { (try $0.decode(String.self, at: 0), try $0.decode(String?.self, at: 1), try $0.decode(String?.self, at: 2),
                    try $0.decode(String?.self, at: 3), try $0.decode(String?.self, at: 4)) }
        #expect(events.count == 1)
        #expect(events.first?.0.hasPrefix("staff:") == true && events.first?.1 == "ops_error" && events.first?.2 == "the bug is fixed")
        #expect(events.first?.3 == "dead" && events.first?.4 == "queued")

        // A scheduled job runs now.
        #expect((try await engineer.get("/admin/jobs/\(scheduled)")).text.contains("data-action=\"run_job\""))
        _ = try await engineer.act("run_job", ["object": String(scheduled), "reason": "other", "note": "needed today"])
        #expect(try await worker.runNext(worker: "test"))
        #expect(await ran.ids == [dead, scheduled])

        // A failed job waiting for its retry is cancelled: it never runs, and is listed as cancelled.
        let doomedPage = try await engineer.get("/admin/jobs/\(doomed)")
        #expect(doomedPage.text.contains("data-action=\"cancel_job\"") && doomedPage.text.contains("data-action=\"retry_job\""))
        _ = try await engineer.act("cancel_job", ["object": String(doomed), "reason": "duplicate"])
        try await TestDatabase.pool.execute("UPDATE jobs.jobs SET run_at = now() - interval '1 minute' WHERE id = \(doomed)")
        #expect(try await worker.runNext(worker: "test") == false)
        #expect(AdminPageReader(try await engineer.get("/admin/jobs/\(doomed)")).status("state") == "cancelled")
        #expect((try await engineer.get("/admin/jobs?state=cancelled")).text.contains("/admin/jobs/\(doomed)\""))
        #expect(!(try await engineer.get("/admin/jobs")).text.contains("/admin/jobs/\(doomed)\""), "finished: not listed by default")

        // What makes no sense is refused, with the reason.
        let noRetry = try await engineer.plan("retry_job", ["object": String(succeeded), "reason": "other", "note": "again"])
        #expect(noRetry.page.status == 409 && noRetry.page.text.contains("a succeeded job cannot be retried"))
        #expect(!(try await engineer.get("/admin/jobs/\(succeeded)")).text.contains("data-action=\"retry_job\""))
        let noCancel = try await engineer.plan("cancel_job", ["object": String(running), "reason": "other", "note": "stop"])
        #expect(noCancel.page.status == 409 && noCancel.page.text.contains("a running job cannot be cancelled"))
        #expect(try await engineer.plan("cancel_job", ["object": String(doomed), "reason": "other", "note": "twice"]).page.status == 409)
        #expect(try await engineer.plan("run_job", ["object": String(dead), "reason": "other", "note": "x"]).page.status == 409)
        #expect(try await engineer.plan("retry_job", ["object": "999999999999", "reason": "other", "note": "x"]).page.status == 404)
        #expect(try await engineer.plan("retry_job", ["object": "seven", "reason": "other", "note": "x"]).page.status == 422)

        // Checked again when confirmed: a job a worker took meanwhile is not cancelled.
        let raced = try await insert("'test.flaky', 'queued', 0, 3, NULL, now() + interval '1 day', NULL, NULL, NULL")
        let (_, racedToken) = try await engineer.plan("cancel_job", ["object": String(raced), "reason": "other", "note": "stop it"])
        try await TestDatabase.pool.execute("UPDATE jobs.jobs SET status = 'running', locked_by = 'elsewhere:1', locked_until = now() + interval '1 minute' WHERE id = \(raced)")
        let late = try await engineer.confirm("cancel_job", token: try #require(racedToken))
        #expect(late.status == 409 && late.text.contains("a running job cannot be cancelled"))
        #expect(try await TestDatabase.pool.queryValue("SELECT status FROM jobs.jobs WHERE id = \(raced)", as: String.self) == "running")
        #expect(try await TestDatabase.pool.queryValue("SELECT count(*)::int8 FROM audit.events WHERE action = 'jobs.cancelled' AND object_id = \(String(raced))", as: Int64.self) == 0)

        // Roles without `operate` see no form and are refused.
        let support = try await StaffBrowser.signedIn(server, role: .support)
        #expect(try await support.get("/admin/jobs/\(scheduled)").status == 403)
        #expect(try await support.plan("retry_job", ["object": String(succeeded), "reason": "other", "note": "x"]).page.status == 403)
        let seniorOps = try await StaffBrowser.signedIn(server, role: .seniorOps)
        #expect(try await seniorOps.plan("run_job", ["object": String(raced), "reason": "other", "note": "x"]).page.status == 403)
    }

    @Test func aNotificationIsResentAsANewOneAndTheOriginalKept() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        let driverID = try #require(UUID(uuidString: driver.id))
        try await Notifications(app: server.app).notify(driverID, kind: "auto_top_up_failed", title: "Your automatic top-up failed",
                                                        body: "We could not take £20.00 from your card.", cause: "test:\(UUID().uuidString)", at: Date())
        let feed = { try await driver.client.json("GET", "/v1/notifications", token: driver.token).json()["data"] as! [[String: Any]] }
        let original = try #require(try await feed().first?["id"] as? String)
        #expect(try await driver.client.json("POST", "/v1/notifications/\(original)/read", token: driver.token).status == 200)

        let engineer = try await StaffBrowser.signedIn(server, role: .engineer)
        let dashboard = try await engineer.get("/admin/drivers/\(driver.id)")
        #expect(dashboard.text.contains("/admin/notifications/\(original)"))
        let page = try await engineer.get("/admin/notifications/\(original)")
        #expect(page.status == 200 && page.text.contains("data-action=\"resend_notification\"") && page.text.contains("Not resent."))
        let (plan, token) = try await engineer.plan("resend_notification", ["object": original, "reason": "requested_by_driver", "note": "deleted it by mistake"])
        #expect(plan.text.contains("Send “Your automatic top-up failed” to this driver again"))
        let id = try #require(token)
        let done = try await engineer.confirm("resend_notification", token: id)
        #expect(done.status == 303)
        #expect(try await engineer.confirm("resend_notification", token: id).status == 303)

        // The driver has it twice: the new one unread, the original kept as it was (read).
        let items = try await feed()
        #expect(items.count == 2)
        let copy = try #require(items.first { $0["id"] as? String != original })
        #expect(copy["title"] as? String == "Your automatic top-up failed" && copy["body"] as? String == "We could not take £20.00 from your card.")
        #expect(copy["read_at"] is NSNull && copy["kind"] as? String == "auto_top_up_failed")
        #expect(!((items.first { $0["id"] as? String == original })?["read_at"] is NSNull))
        let copyPage = try await engineer.get("/admin/notifications/\(copy["id"] as! String)")
        #expect(copyPage.text.contains("href=\"/admin/notifications/\(original)\""))
        #expect((try await engineer.get("/admin/notifications/\(original)")).text.contains("/admin/notifications/\(copy["id"] as! String)"))
        let events = try await TestDatabase.pool.queryAll("""
            SELECT actor, reason_code, reason_text, owner_id FROM audit.events WHERE action = 'notifications.resent' AND object_id = \(original)
            """) { (try $0.decode(String.self, at: 0), try $0.decode(String?.self, at: 1), try $0.decode(String?.self, at: 2), try $0.decode(String?.self, at: 3)) }
        #expect(events.count == 1)
        #expect(events.first?.1 == "requested_by_driver" && events.first?.2 == "deleted it by mistake" && events.first?.3 == driver.id)

        // Support may resend too (OPS.md: support resends what we sent); pricing reads the page with no form and may not.
        let support = try await StaffBrowser.signedIn(server, role: .support)
        #expect(try await support.get("/admin/notifications/\(original)").text.contains("data-action=\"resend_notification\""))
        let pricing = try await StaffBrowser.signedIn(server, role: .pricing)
        let pricingPage = try await pricing.get("/admin/notifications/\(original)")
        #expect(pricingPage.status == 200 && !pricingPage.text.contains("data-action=\"resend_notification\""))
        #expect(try await pricing.plan("resend_notification", ["object": original, "reason": "other", "note": "x"]).page.status == 403)
        #expect(try await engineer.plan("resend_notification", ["object": UUID().uuidString, "reason": "other", "note": "x"]).page.status == 404)
        #expect(try await feed().count == 2)
    }
}
