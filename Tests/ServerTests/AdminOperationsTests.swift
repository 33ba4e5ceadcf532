import AdminUI
import AppKernel
import Documents
import Foundation
import Identity
import Notifications
import Postgres
import TestSupport
import Testing

/// Provider links and the event inspector, the job queue, claims with their attachments,
/// documents and notifications, as staff see them: the same values as the API, found by
/// search, on driver 360 and ops home, closed to roles without the permission.
@Suite(.tags(.database)) struct AdminOperationsTests {
    @Test func providerLinksEventsAndTheJobQueue() async throws {
        let server = try Fixtures.server(jobs: true)
        defer { Task { await server.stop() } }
        let driver = try await TestDriver.make(server)
        let p = UUID().uuidString.prefix(8).lowercased()
        let rider = "rider-\(p)", ghost = "ghost-\(p)"
        #expect(try await driver.link(server.port, "deliveroo", rider) == 200)
        let deliveroo = ProviderClient(connection: try TestConnection(port: server.port), provider: "deliveroo")
        let now = Date()
        let startedAt = RFC3339.format(now.addingTimeInterval(-1800))
        #expect(try await deliveroo.send("\(p)-start", driver: rider, "shift_started", startedAt, shift: "\(p)-s1").status == 202)
        // An account nobody has linked yet: kept, waiting; the second happened first but came last.
        #expect(try await deliveroo.send("\(p)-g2", driver: ghost, "shift_started", RFC3339.format(now.addingTimeInterval(-600)), shift: "g2").status == 202)
        #expect(try await deliveroo.send("\(p)-g1", driver: ghost, "shift_ended", RFC3339.format(now.addingTimeInterval(-1200)), shift: "g1").status == 202)

        let staff = try await StaffBrowser.signedIn(server, role: .support)
        let apiLink = try #require((try await driver.client.json("GET", "/v1/work-provider-links", token: driver.token).json()["data"] as? [[String: Any]])?.first)
        let linkID = try #require(apiLink["id"] as? String)

        // The link's page shows what GET /v1/work-provider-links says.
        let linkPage = try await staff.get("/admin/work-providers/links/\(linkID)")
        #expect(linkPage.status == 200)
        let link = AdminPageReader(linkPage)
        #expect(link.text("provider") == apiLink["provider"] as? String)
        #expect(link.text("provider_driver_id") == apiLink["provider_driver_id"] as? String)
        #expect(link.status("status") == apiLink["status"] as? String)
        #expect(link.text("driver_id") == apiLink["driver_id"] as? String)
        #expect(link.instant("created_at") == apiLink["created_at"] as? String)
        #expect(link.instant("confirmed_at") == apiLink["confirmed_at"] as? String)
        #expect(linkPage.text.contains("\(p)-start"), "the account's events")
        let active = try await staff.get("/admin/work-providers/links?provider=deliveroo&status=active")
        #expect(active.text.contains("/admin/work-providers/links/\(linkID)"))
        #expect(!(try await staff.get("/admin/work-providers/links?status=pending&provider=deliveroo")).text.contains("/admin/work-providers/links/\(linkID)"))

        // The inspector: what each event said, and its outcome.
        let eventPage = try await staff.get("/admin/work-providers/events/deliveroo/\(p)-start")
        #expect(eventPage.status == 200)
        let event = AdminPageReader(eventPage)
        #expect(event.text("event_id") == "\(p)-start")
        #expect(event.text("provider_driver_id") == rider)
        #expect(event.status("type") == "shift_started")
        #expect(event.text("shift_id") == "\(p)-s1")
        #expect(event.instant("occurred_at") == startedAt)
        #expect(event.text("outcome")?.hasPrefix("linked") == true)
        #expect(eventPage.text.contains("/admin/work-providers/links/\(linkID)") && eventPage.text.contains("/admin/drivers/\(driver.id)"))
        #expect(event.text("payload")?.contains(rider) == true)
        let waiting = AdminPageReader(try await staff.get("/admin/work-providers/events/deliveroo/\(p)-g2"))
        #expect(waiting.text("outcome")?.hasPrefix("waiting for a link") == true)
        #expect(waiting.text("link_deadline")?.contains("left for a link") == true)
        #expect(waiting.text("outcome")?.contains("late") == false)
        let late = AdminPageReader(try await staff.get("/admin/work-providers/events/deliveroo/\(p)-g1"))
        #expect(late.text("outcome")?.contains("late") == true)
        #expect(try await staff.get("/admin/work-providers/events/deliveroo/no-such-event").status == 404)

        let waitingList = try await staff.get("/admin/work-providers/events?outcome=waiting_for_link&provider_driver_id=\(ghost)")
        #expect(waitingList.status == 200)
        #expect(waitingList.text.contains("\(p)-g1") && waitingList.text.contains("\(p)-g2") && !waitingList.text.contains("\(p)-start"))
        let lateList = try await staff.get("/admin/work-providers/events?outcome=late&provider_driver_id=\(ghost)")
        #expect(lateList.text.contains("\(p)-g1") && !lateList.text.contains("\(p)-g2"))
        // Keyset pages: after g1 (the newest arrival of the account) comes g2, not g1 again.
        let g1Arrival = try await TestDatabase.pool.queryValue(
            "SELECT received_at FROM work_providers.events WHERE provider = 'deliveroo' AND event_id = \("\(p)-g1")", as: Date.self)
        let afterG1 = "\(Int64((g1Arrival.timeIntervalSince1970 * 1_000_000).rounded())).deliveroo.\(p)-g1"
        let nextPage = try await staff.get("/admin/work-providers/events?provider_driver_id=\(ghost)&cursor=\(StaffBrowser.encode(afterG1))")
        #expect(nextPage.status == 200)
        #expect(nextPage.text.contains("\(p)-g2") && !nextPage.text.contains(">\(p)-g1<"))
        #expect(try await staff.get("/admin/work-providers/events?cursor=nonsense").status == 400)
        let linkedList = try await staff.get("/admin/work-providers/events?outcome=linked&provider=deliveroo&type=shift_started&provider_driver_id=\(rider)")
        #expect(linkedList.text.contains("\(p)-start"))
        #expect(!(try await staff.get("/admin/work-providers/events?type=shift_ended&provider_driver_id=\(rider)")).text.contains("\(p)-start"))

        // Ops home's queue, search, driver 360.
        let home = AdminPageReader(try await staff.get("/admin/"))
        #expect((home.count("events_waiting_for_a_link") ?? 0) >= 2)
        #expect(home.count("dead_jobs") == nil, "support has no jobs permission")
        for (query, target) in [(rider, "/admin/work-providers/links/\(linkID)"), (linkID, "/admin/work-providers/links/\(linkID)"),
                                ("\(p)-start", "/admin/work-providers/events/deliveroo/\(p)-start"),
                                (ghost, "/admin/work-providers/events?provider_driver_id=\(ghost)")] {
            let found = try await staff.get("/admin/search?q=\(StaffBrowser.encode(query))")
            #expect(found.status == 303, "\(query)")
            #expect(found.header("location") == target, "\(query)")
        }
        let d360 = try await staff.get("/admin/drivers/\(driver.id)")
        #expect(d360.text.contains("id=\"provider-links\""))
        #expect(d360.text.contains("\(p)-start") && d360.text.contains("deliveroo (\(rider))"))

        // The cover engine's job for the event, seen by an engineer.
        let key = "event:deliveroo:\(p)-start"
        #expect(try await eventually {
            try await TestDatabase.pool.queryValue("SELECT status FROM jobs.jobs WHERE unique_key = \(key)", as: String.self) == "succeeded"
        })
        let jobID = try await TestDatabase.pool.queryValue("SELECT id FROM jobs.jobs WHERE unique_key = \(key)", as: Int64.self)
        let engineer = try await StaffBrowser.signedIn(server, role: .engineer)
        let jobPage = try await engineer.get("/admin/jobs/\(jobID)")
        #expect(jobPage.status == 200)
        let job = AdminPageReader(jobPage)
        #expect(job.text("kind") == "cover.apply_provider_events")
        #expect(job.status("state") == "succeeded")
        #expect(job.text("unique_key") == key)
        #expect(job.text("payload")?.contains(rider) == true)
        #expect((try await engineer.get("/admin/work-providers/events/deliveroo/\(p)-start")).text.contains("/admin/jobs/\(jobID)"))
        #expect(!eventPage.text.contains("/admin/jobs/\(jobID)"), "support is not shown links it cannot open")
        #expect(AdminPageReader(eventPage).inner("outcome").isEmpty == false)

        // A dead job and one waiting for its retry, in a queue of their own (no worker takes them).
        let queue = "admin-test-\(p)"
        let dead = try await TestDatabase.pool.queryValue("""
            INSERT INTO jobs.jobs (queue, kind, status, attempts, max_attempts, last_error, finished_at)
            VALUES (\(queue), 'test.admin_dead', 'dead', 3, 3, \("boom \(p)"), now()) RETURNING id
            """, as: Int64.self)
        let retrying = try await TestDatabase.pool.queryValue("""
            INSERT INTO jobs.jobs (queue, kind, status, attempts, max_attempts, last_error, run_at)
            VALUES (\(queue), 'test.admin_flaky', 'queued', 1, 5, 'flaky', now() + interval '1 hour') RETURNING id
            """, as: Int64.self)
        defer { Task { try? await TestDatabase.pool.execute("DELETE FROM jobs.jobs WHERE queue = \(queue)") } }
        let deadList = try await engineer.get("/admin/jobs?state=dead")
        #expect(deadList.status == 200)
        #expect(deadList.text.contains("/admin/jobs/\(dead)\"") && !deadList.text.contains("/admin/jobs/\(retrying)\""))
        let failedList = try await engineer.get("/admin/jobs?state=failed&kind=test.admin_flaky")
        #expect(failedList.text.contains("/admin/jobs/\(retrying)\"") && !failedList.text.contains("/admin/jobs/\(dead)\""))
        #expect((try await engineer.get("/admin/jobs")).text.contains("/admin/jobs/\(dead)\""), "not succeeded: listed by default")
        let retryingCreated = try await TestDatabase.pool.queryValue("SELECT created_at FROM jobs.jobs WHERE id = \(retrying)", as: Date.self)
        let afterRetrying = "\(Int64((retryingCreated.timeIntervalSince1970 * 1_000_000).rounded()))_\(retrying)"
        let olderJobs = try await engineer.get("/admin/jobs?cursor=\(afterRetrying)")
        #expect(olderJobs.text.contains("/admin/jobs/\(dead)\"") && !olderJobs.text.contains("/admin/jobs/\(retrying)\""))
        let deadPage = AdminPageReader(try await engineer.get("/admin/jobs/\(dead)"))
        #expect(deadPage.status("state") == "dead")
        #expect(deadPage.text("last_error") == "boom \(p)")
        #expect(deadPage.text("attempts") == "3 of 3")
        let retryPage = try await engineer.get("/admin/jobs/\(retrying)")
        #expect(AdminPageReader(retryPage).status("state") == "failed")
        #expect(retryPage.text.contains("Retry at"))
        let runAt = try await TestDatabase.pool.queryValue("SELECT run_at FROM jobs.jobs WHERE id = \(retrying)", as: Date.self)
        #expect(AdminPageReader(retryPage).instant("run_at") == RFC3339.format(runAt))
        #expect((AdminPageReader(try await engineer.get("/admin/")).count("dead_jobs") ?? 0) >= 1)
        #expect(try await engineer.get("/admin/jobs/999999999999").status == 404)
        #expect(try await engineer.get("/admin/jobs/not-a-number").status == 404)
        // The test server's workers queue each recurring job's next slot within seconds.
        #expect(try await eventually(15) { try await engineer.get("/admin/jobs/schedules").text.contains("cover.sweep") })

        // Jobs are for engineers; the admin role reads nothing.
        for path in ["/admin/jobs", "/admin/jobs/\(dead)", "/admin/jobs/schedules"] {
            #expect(try await staff.get(path).status == 403, "\(path)")
        }
        let admin = try await StaffBrowser.signedIn(server, role: .admin)
        for path in ["/admin/work-providers/links", "/admin/work-providers/links/\(linkID)", "/admin/work-providers/events",
                     "/admin/work-providers/events/deliveroo/\(p)-start", "/admin/jobs", "/admin/jobs/\(dead)", "/admin/jobs/schedules"] {
            #expect(try await admin.get(path).status == 403, "\(path)")
        }
    }

    @Test func claimsAttachmentsDocumentsAndNotifications() async throws {
        let server = try Fixtures.server()
        defer { Task { await server.stop() } }
        let (clocks, clockID) = try await TestClock.make(server, frozenAt: "2026-09-01T09:00:00Z")
        let driver = try await TestDriver.make(server, ["test_clock_id": clockID])
        let quote = try await driver.quote().json()
        let policyID = try await driver.client.json("POST", "/v1/policies", ["quote_id": quote["id"]!], token: driver.token).json()["id"] as! String
        let card = try await driver.addCard("tok_visa")
        #expect(try await driver.topUp(2000, card: card).status == 201)
        let session = try await driver.client.json("POST", "/v1/policies/\(policyID)/sessions", token: driver.token).json()
        _ = try await clocks.json("POST", "/v1/test-clocks/\(clockID)/advance", ["frozen_time": "2026-09-01T10:30:00Z"])
        _ = try await driver.client.json("POST", "/v1/sessions/\(session["id"]!)/end", token: driver.token)
        let created = try await driver.client.json("POST", "/v1/claims", [
            "policy_id": policyID, "occurred_at": "2026-09-01T09:30:00Z", "type": "accident",
            "description": "Rear-ended at a junction <b>hard</b>", "location": "Commercial Road, E1",
            "third_parties": [["name": "J. Smith", "registration": "XY12 ABC", "insurer": "Acme", "phone": "07700 900999"]],
        ], token: driver.token)
        #expect(created.status == 201)
        let claimID = try created.json()["id"] as! String
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 7, count: 100)
        let attached = try await driver.client.request("POST", "/v1/claims/\(claimID)/attachments",
                                                       headers: [("Authorization", "Bearer \(driver.token)"), ("Content-Type", "image/png")], body: png)
        #expect(attached.status == 201)
        let attachmentID = try attached.json()["id"] as! String
        let apiClaim = try await driver.client.json("GET", "/v1/claims/\(claimID)", token: driver.token).json()
        let reference = try #require(apiClaim["reference"] as? String)

        let staff = try await StaffBrowser.signedIn(server, role: .support)
        let claimPage = try await staff.get("/admin/claims/\(claimID)")
        #expect(claimPage.status == 200)
        let claim = AdminPageReader(claimPage)
        #expect(claim.text("reference") == reference)
        #expect(claim.status("status") == apiClaim["status"] as? String)
        #expect(claim.text("type") == apiClaim["type"] as? String)
        #expect(claim.text("location") == apiClaim["location"] as? String)
        #expect(claim.text("description") == apiClaim["description"] as? String)
        #expect(claimPage.text.contains("&lt;b&gt;hard&lt;/b&gt;"), "escaped")
        #expect(claim.instant("occurred_at") == apiClaim["occurred_at"] as? String)
        #expect(claim.instant("created_at") == apiClaim["created_at"] as? String)
        #expect(claim.text("attachments") == String(apiClaim["attachments"] as! Int))
        #expect(claim.inner("policy_id").first?.contains(policyID) == true)
        #expect(claim.inner("session_id").first?.contains(apiClaim["session_id"] as! String) == true)
        #expect(claimPage.text.contains("XY12 ABC") && claimPage.text.contains("Acme"))
        #expect(!claimPage.text.contains("07700 900999"), "the third party's phone is masked")

        // Each attachment opens through an admin GET, with its type and disposition.
        let attachmentPath = "/admin/claims/\(claimID)/attachments/\(attachmentID)"
        #expect(claimPage.text.contains(attachmentPath))
        let file = try await staff.get(attachmentPath)
        #expect(file.status == 200)
        #expect(file.header("content-type") == "image/png")
        #expect(file.header("content-disposition")?.hasPrefix("inline; filename=") == true)
        #expect(file.header("x-content-type-options") == "nosniff")
        #expect(file.header("content-security-policy")?.contains("sandbox") == true)
        #expect(file.body == png)
        #expect(try await staff.get("/admin/claims/\(UUID().uuidString.lowercased())/attachments/\(attachmentID)").status == 404)

        let submitted = try await staff.get("/admin/claims?status=submitted&type=accident")
        #expect(submitted.status == 200 && submitted.text.contains(reference))
        #expect(!(try await staff.get("/admin/claims?type=theft&driver=\(driver.id)")).text.contains(reference))
        #expect((try await staff.get("/admin/claims?driver=\(driver.id)")).text.contains(reference))
        #expect((AdminPageReader(try await staff.get("/admin/")).count("claims_awaiting_triage") ?? 0) >= 1)
        for query in [reference, reference.lowercased(), reference.replacingOccurrences(of: "-", with: ""), claimID] {
            let found = try await staff.get("/admin/search?q=\(StaffBrowser.encode(query))")
            #expect(found.status == 303, "\(query)")
            #expect(found.header("location") == "/admin/claims/\(claimID)", "\(query)")
        }

        // The policy's certificate as stored, and the bytes the driver is served.
        let certificate = try #require(try await Documents(app: server.app).certificate(for: UUID(uuidString: policyID)!))
        let documentID = certificate.id.uuidString.lowercased()
        let documentPage = try await staff.get("/admin/documents/\(documentID)")
        #expect(documentPage.status == 200)
        let document = AdminPageReader(documentPage)
        #expect(document.text("kind") == "certificate")
        #expect(document.text("revision") == "1")
        #expect(document.instant("created_at") == RFC3339.format(certificate.createdAt))
        #expect(document.text("sha256") == certificate.sha256)
        #expect(documentPage.text.contains("/admin/policies/\(policyID)"))
        let served = try await driver.client.json("GET", "/v1/policies/\(policyID)/certificate", token: driver.token)
        let stored = try await staff.get("/admin/documents/\(documentID)/content")
        #expect(stored.status == 200)
        #expect(stored.header("content-type") == served.header("content-type"))
        #expect(stored.body == served.body)
        #expect(stored.header("content-disposition")?.hasPrefix("inline") == true)
        #expect(stored.header("content-security-policy")?.contains("sandbox") == true)
        #expect(try await staff.get("/admin/search?q=\(documentID)").header("location") == "/admin/documents/\(documentID)")
        #expect(try await staff.get("/admin/documents/\(UUID().uuidString.lowercased())").status == 404)

        // A finished week's statement is stored: driver 360 lists it.
        _ = try await clocks.json("POST", "/v1/test-clocks/\(clockID)/advance", ["frozen_time": "2026-09-08T10:00:00Z"])
        #expect(try await driver.client.json("GET", "/v1/statements/2026-W36", token: driver.token).status == 200)

        // Notifications: the driver's feed, read or not.
        let driverUUID = UUID(uuidString: driver.id)!
        let cause = UUID().uuidString
        try await Notifications(app: server.app).notify(driverUUID, kind: "test_notice", title: "Read me", body: "First <notice>",
                                                        cause: "admin-test:\(cause):1", at: Date())
        try await Notifications(app: server.app).notify(driverUUID, kind: "test_notice", title: "Left unread", body: "Second notice",
                                                        cause: "admin-test:\(cause):2", at: Date().addingTimeInterval(1))
        let feed = try await driver.client.json("GET", "/v1/notifications", token: driver.token).json()["data"] as! [[String: Any]]
        let first = try #require(feed.first { $0["title"] as? String == "Read me" })
        #expect(try await driver.client.json("POST", "/v1/notifications/\(first["id"]!)/read", token: driver.token).status == 200)

        let d360 = try await staff.get("/admin/drivers/\(driver.id)")
        #expect(d360.status == 200)
        #expect(d360.text.contains("id=\"claims\"") && d360.text.contains(reference))
        #expect(d360.text.contains("id=\"documents\"") && d360.text.contains("2026-W36"))
        #expect(d360.text.contains("id=\"notifications\"") && d360.text.contains("Read me") && d360.text.contains("Left unread"))
        #expect(d360.text.contains("First &lt;notice&gt;"))
        let notifications = d360.text.components(separatedBy: "id=\"notifications\"")[1]
        #expect(notifications.contains(">read<") && notifications.contains(">not read<"))

        let admin = try await StaffBrowser.signedIn(server, role: .admin)
        for path in ["/admin/claims", "/admin/claims/\(claimID)", attachmentPath, "/admin/documents/\(documentID)",
                     "/admin/documents/\(documentID)/content"] {
            #expect(try await admin.get(path).status == 403, "\(path)")
        }
    }
}
