"""Pricing and engineers' actions in Chromium: a rate table drafted by pricing, shown as a diff,
priced with a what-if and published only when finance approves (the maker cannot approve, nor can
another pricing person); a draft is never used for quotes, and quotes before the effective instant
keep the old version while those after it get the new one; a broken draft is refused with its
reasons; underwriting rules the same way; jobs retried, run now and cancelled where that makes
sense and refused where it does not; a notification resent as a new one; support sees no forms
and is refused."""

import datetime
import os
import subprocess
import time
import unittest
import uuid
from zoneinfo import ZoneInfo

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from admin_browser import BASE, AdminBrowserCase, api, staff

LONDON = ZoneInfo("Europe/London")


def sql(statement):
    """One statement as the server's own database role (jobs as a worker would leave them)."""
    return subprocess.run(["psql", os.environ["DATABASE_URL"], "-qtAX", "-v", "ON_ERROR_STOP=1", "-c", statement],
                          check=True, capture_output=True, text=True).stdout.strip()


def rfc3339(instant):
    return instant.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def start_ahead(years):
    """A start years ahead, in whole minutes: (UTC instant, what a datetime-local input holds)."""
    instant = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=365 * years)).replace(second=0, microsecond=0)
    return instant, instant.astimezone(LONDON).strftime("%Y-%m-%dT%H:%M")


def api_driver(postcode="E1 6AN", clock=None):
    """A driver with a car, signed up through the API (on a test clock when given)."""
    suffix = uuid.uuid4().hex[:10]
    body = {"email": f"pricing-{suffix}@example.com", "password": "correct horse battery", "full_name": "Priya Shah",
            "date_of_birth": "1991-04-02", "phone": "07700 900456", "postcode": postcode,
            "licence_number": "SHAHP904021PS9AB", "licence_type": "full", "licence_issued_on": "2012-05-01"}
    if clock:
        body["test_clock_id"] = clock
    status, signed = api("POST", "/v1/drivers", body)
    assert status == 201, signed
    registration = "P" + suffix[:5].upper() + "1"
    status, vehicle = api("POST", "/v1/vehicles", {"registration": registration, "type": "car", "make": "Toyota", "model": "Yaris",
                                                  "year": 2020, "value_amount": 900000}, signed["token"])
    assert status == 201, vehicle
    return {"token": signed["token"], "id": signed["driver"]["id"], "vehicle": vehicle["id"], "registration": registration}


def quote(driver):
    return api("POST", "/v1/quotes", {"vehicle_id": driver["vehicle"], "product": "payg", "usage": "food_delivery"}, driver["token"])


def clock_at(instant):
    status, clock = api("POST", "/v1/test-clocks", {"frozen_time": rfc3339(instant)})
    assert status == 201, clock
    return clock["id"]


class ActionCase(AdminBrowserCase):
    def main(self):
        return self.browser.find_element(By.TAG_NAME, "main").text

    def fill(self, name, fields=None, reason=None, note=None, textareas=None):
        """Sets the fields of form `data-action=name` (through the DOM, so a datetime-local input
        takes a value in any locale), picks the reason, submits, and answers the next page's text."""
        b = self.browser
        form = b.find_element(By.CSS_SELECTOR, f"form[data-action={name}]")
        for field, value in {**(fields or {}), **(textareas or {})}.items():
            element = form.find_element(By.NAME, field)
            b.execute_script("arguments[0].value = arguments[1];", element, value)
        if reason is not None:
            Select(form.find_element(By.NAME, "reason")).select_by_value(reason)
        if note is not None:
            form.find_element(By.NAME, "note").send_keys(note)
        b.execute_script("document.body.dataset.old = 'yes';")
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        self.wait_for(lambda: b.execute_script("return document.body.dataset.old") is None and b.execute_script("return document.readyState") == "complete",
                      lambda: b.title)
        return self.main()

    def post(self, path, fields):
        """A POST a browser could send without the form being shown (a stale or crafted one)."""
        b = self.browser
        csrf = b.find_element(By.CSS_SELECTOR, "input[name=csrf]").get_attribute("value")
        b.execute_script("""
            const form = document.createElement('form'); form.method = 'post'; form.action = arguments[0];
            for (const [name, value] of Object.entries(arguments[1])) {
              const input = document.createElement('input'); input.type = 'hidden'; input.name = name; input.value = value; form.appendChild(input);
            }
            document.body.dataset.old = 'yes'; document.body.appendChild(form); form.submit();""", path, {**fields, "csrf": csrf})
        self.wait_for(lambda: b.execute_script("return document.body.dataset.old") is None and b.execute_script("return document.readyState") == "complete",
                      lambda: b.title)
        return self.main()

    def forms(self, name):
        return self.browser.find_elements(By.CSS_SELECTOR, f"form[data-action={name}]")

    def value(self, name):
        return self.browser.find_element(By.CSS_SELECTOR, f'[data-field="{name}"]').text

    def new_browser(self):
        other = super().new_browser()
        other.__class__ = ActionCase
        return other


class PricingInChromium(ActionCase):
    def dearer_cars_draft(self, description):
        """Pricing starts a draft on the rate tables page and makes cars dearer (car £1.60, ages
        30-49 ×1.10); answers the draft page's URL."""
        b = self.browser
        b.get(BASE + "/admin/rating")
        self.fill("draft_rates", {"description": description, "note": "autumn review"})
        self.assertIn("/edit", b.current_url)
        age = b.find_element(By.NAME, "factor.age").get_attribute("value")
        self.assertIn("30-49 30 49 1.00", age)
        self.fill("save_rate_draft", {"base.car": "1.60", "factor.age": age.replace("30-49 30 49 1.00", "30-49 30 49 1.10"),
                                      "note": "cars cost more to repair"})
        self.assertRegex(b.current_url, r"/admin/rating/drafts/[0-9a-f-]{36}$")
        return b.current_url

    def test_pricing_drafts_finance_publishes_and_quotes_follow_the_effective_instant(self):
        b = self.browser
        self.sign_in(staff("pricing"))
        draft = self.dearer_cars_draft("Dearer cars " + uuid.uuid4().hex[:6])
        text = self.main()
        self.assertIn("2 changes from version 1, the version in effect.", text)
        self.assertEqual([e.text for e in b.find_elements(By.CSS_SELECTOR, "#diff [data-diff=old]")], ["£1.40", "×1.00 (30 to 49)"])
        self.assertEqual([e.text for e in b.find_elements(By.CSS_SELECTOR, "#diff [data-diff=new]")], ["£1.60", "×1.10 (30 to 49)"])

        # What-if for a driver made through the API: the version in effect prices as a real quote does.
        driver = api_driver()
        status, today = quote(driver)
        self.assertEqual((status, today["rating_version"], today["hourly_rate_amount"]), (201, 1, 203))
        self.fill("what_if", {"driver": driver["id"], "vehicle": driver["registration"], "hours": "4"})
        self.assertEqual(self.value("payg.food_delivery.a"), "£2.03")
        self.assertEqual(self.value("payg.food_delivery.b"), "£2.55")  # 160 × 1.10 × 1.45 (E1, band F)
        self.assertEqual(self.value("hourly.food_delivery.b"), "£10.20")
        self.assertIn("+£0.52 (+25.6%)", self.main())
        self.assertEqual(self.console_errors(), [])

        # Publication with an effective instant: four-eyes, the maker cannot approve.
        b.get(draft)
        start, local = start_ahead(10)
        effect = self.fill("publish_rates", {"effective_from": local}, reason="other", note="autumn rates")
        self.assertIn("as a new rate table version, in force from", effect)
        self.assertIn("another person’s approval", effect)
        self.assertIn("£1.40 → £1.60", effect)
        page = self.confirm()
        self.assertIn("/admin/approvals/", b.current_url)
        # Pricing may never approve a publication (it lacks pricing_publish): no form, and a POST is refused.
        self.assertIn("Someone whose role may approve this action must decide it.", page)
        self.assertEqual(self.forms("approve"), [])
        approval = b.current_url
        self.assertIn("Not allowed", self.post(approval.replace(BASE, "") + "/approve", {"note": "me"}) + b.title)

        other = self.new_browser()
        other.sign_in(staff("pricing"))
        other.browser.get(approval)
        self.assertEqual(other.browser.find_elements(By.CSS_SELECTOR, "form[data-action=approve]"), [])
        self.assertIn("Someone whose role may approve this action must decide it.", other.browser.find_element(By.TAG_NAME, "main").text)

        finance = self.new_browser()
        finance.sign_in(staff("finance"))
        finance.browser.get(BASE + "/admin/approvals")
        self.assertIn(approval.replace(BASE, ""), finance.browser.page_source)
        finance.browser.get(approval)
        self.assertIn("£1.40 → £1.60", finance.browser.find_element(By.TAG_NAME, "main").text)
        result = finance.decide("approve", note="loss ratios checked")
        self.assertIn("approved", result)
        self.assertIn("Published rate table version", result)
        version = int(result.split("Published rate table version ")[1].split(",")[0])
        b.get(draft)
        self.assertIn(f"as version {version}", self.main())
        self.assertEqual(self.forms("publish_rates"), [])
        b.get(BASE + f"/admin/rating/{version}")
        self.assertIn("scheduled", self.main())

        # Quotes: before the instant the version then in force, after it the new one; a quote keeps its version.
        clock = clock_at(start - datetime.timedelta(hours=1))
        sandboxed = api_driver(clock=clock)
        status, before = quote(sandboxed)
        self.assertEqual(status, 201)
        self.assertNotEqual(before["rating_version"], version)
        status, _ = api("POST", f"/v1/test-clocks/{clock}/advance", {"frozen_time": rfc3339(start + datetime.timedelta(minutes=1))})
        self.assertEqual(status, 200)
        status, after = quote(sandboxed)
        self.assertEqual((status, after["rating_version"], after["hourly_rate_amount"]), (201, version, 255))
        _, kept = api("GET", f"/v1/quotes/{before['id']}", token=sandboxed["token"])
        self.assertEqual(kept["rating_version"], before["rating_version"])
        # Today is still before the instant.
        self.assertEqual(quote(driver)[1]["rating_version"], 1)

    def test_a_draft_is_never_used_and_support_sees_no_forms(self):
        b = self.browser
        self.sign_in(staff("pricing"))
        draft = self.dearer_cars_draft("Never published " + uuid.uuid4().hex[:6])
        driver = api_driver()
        status, made = quote(driver)
        self.assertEqual((status, made["rating_version"], made["hourly_rate_amount"]), (201, 1, 203))

        support = self.new_browser()
        support.sign_in(staff("support"))
        support.browser.get(draft)
        self.assertIn("draft: not in force", support.browser.find_element(By.TAG_NAME, "main").text)
        for name in ["publish_rates", "discard_rate_draft"]:
            self.assertEqual(support.browser.find_elements(By.CSS_SELECTOR, f"form[data-action={name}]"), [])
        self.assertEqual(support.browser.find_elements(By.LINK_TEXT, "Edit this draft"), [])
        draft_id = draft.rsplit("/", 1)[1]
        refused = ActionCase.post(support, "/admin/actions/publish_rates", {"object": draft_id, "reason": "other", "note": "sneak"})
        self.assertEqual(support.browser.title, "Not allowed · Hourglass ops")
        self.assertIn("pricing_draft", refused)
        support.browser.get(BASE + "/admin/rating")
        self.assertEqual(support.browser.find_elements(By.CSS_SELECTOR, "form[data-action=draft_rates]"), [])

        # Finance approves publications but does not draft them: no publish form for finance either.
        finance = self.new_browser()
        finance.sign_in(staff("finance"))
        finance.browser.get(draft)
        self.assertEqual(finance.browser.find_elements(By.CSS_SELECTOR, "form[data-action=publish_rates]"), [])

    def test_a_broken_draft_or_a_past_start_is_refused_with_the_reasons(self):
        b = self.browser
        self.sign_in(staff("pricing"))
        draft = self.dearer_cars_draft("Broken " + uuid.uuid4().hex[:6])
        b.get(draft + "/edit")
        age = b.find_element(By.NAME, "factor.age").get_attribute("value")
        text = self.fill("save_rate_draft", {"factor.age": age.replace("19-20 19 20 1.60", ""), "base.van": "free", "note": "oops"})
        self.assertIn("This draft was not saved", text)
        self.assertIn("“free” is not an amount in pounds and pence", text)
        text = self.fill("save_rate_draft", {"factor.age": age.replace("19-20 19 20 1.60", ""), "base.van": "1.65"})
        self.assertIn("Age: 19, 20 are priced today but not by this draft.", text)
        b.get(draft)
        self.assertEqual(self.value("revision"), "2", "nothing was saved")
        text = self.fill("publish_rates", {"effective_from": "2020-01-01T00:00"}, reason="other", note="backdated")
        self.assertEqual(b.title, "Check the form · Hourglass ops")
        self.assertIn("the start must be in the future", text)


class UnderwritingInChromium(ActionCase):
    # PL, not TR: the Swift suite, which runs first on the same database, publishes a rule set
    # years ahead that excludes TR, and this test's quotes before its own start fall under it.
    def test_rules_are_drafted_and_finance_publishes_them(self):
        b = self.browser
        self.sign_in(staff("pricing"))
        b.get(BASE + "/admin/underwriting")
        self.fill("draft_rules", {"description": "No Plymouth " + uuid.uuid4().hex[:6]})
        self.assertIn("/edit", b.current_url)
        areas = b.find_element(By.NAME, "excluded_postcode_areas").get_attribute("value")
        text = self.fill("save_rule_draft", {"min_age": "15", "refused_licence_types": "provisonal", "note": "exclude TR"})
        self.assertIn("This draft was not saved", text)
        self.assertIn("“provisonal” is not a licence type", text)
        self.fill("save_rule_draft", {"min_age": "19", "refused_licence_types": "provisional", "excluded_postcode_areas": areas + " PL"})
        text = self.main()
        self.assertIn("1 change from rule set 1, the rule set in effect.", text)
        self.assertEqual(b.find_element(By.CSS_SELECTOR, "#diff [data-diff=new]").text, "No cover in the postcode areas BT, GY, JE, IM, ZE, HS, PL.")

        plymouth = api_driver(postcode="PL1 1AA")
        self.assertEqual(quote(plymouth)[0], 201, "a draft is never applied")
        start, local = start_ahead(10)
        self.fill("publish_rules", {"effective_from": local}, reason="other", note="PL losses")
        self.confirm()
        self.assertEqual(self.forms("approve"), [])
        approval = b.current_url
        finance = self.new_browser()
        finance.sign_in(staff("finance"))
        finance.browser.get(approval)
        self.assertIn("Published underwriting rule set", finance.decide("approve", note="agreed"))

        clock = clock_at(start - datetime.timedelta(minutes=10))
        sandboxed = api_driver(postcode="PL1 1AA", clock=clock)
        self.assertEqual(quote(sandboxed)[0], 201)
        api("POST", f"/v1/test-clocks/{clock}/advance", {"frozen_time": rfc3339(start + datetime.timedelta(minutes=10))})
        status, declined = quote(sandboxed)
        self.assertEqual(status, 422)
        self.assertEqual([reason["code"] for reason in declined["reasons"]], ["area_excluded"])
        self.assertEqual(quote(plymouth)[0], 201)


class JobsInChromium(ActionCase):
    def job(self, kind, status, queue="default", attempts=0, max_attempts=3, error=None, run_at="now()", locked=False):
        return int(sql(f"""
            INSERT INTO jobs.jobs (queue, kind, status, attempts, max_attempts, last_error, run_at, locked_by, locked_until, finished_at)
            VALUES ('{queue}', '{kind}', '{status}', {attempts}, {max_attempts}, {"'" + error + "'" if error else "NULL"}, {run_at},
                    {"'elsewhere:0'" if locked else "NULL"}, {"now() + interval '1 hour'" if locked else "NULL"},
                    {"now()" if status in ("dead", "succeeded") else "NULL"}) RETURNING id"""))

    def state(self, job):
        return sql(f"SELECT status FROM jobs.jobs WHERE id = {job}")

    def eventually(self, condition, seconds=15):
        deadline = time.time() + seconds
        while time.time() < deadline:
            if condition():
                return True
            time.sleep(0.2)
        return False

    def test_jobs_are_retried_run_now_and_cancelled_where_that_makes_sense(self):
        b = self.browser
        self.sign_in(staff("engineer"))
        # Real kinds the server's workers run (a harmless clean-up), dead and scheduled.
        dead = self.job("kernel.rate_limit_cleanup", "dead", attempts=3, max_attempts=3, error="connection reset")
        b.get(BASE + f"/admin/jobs/{dead}")
        self.assertEqual(self.forms("cancel_job") + self.forms("run_job"), [])
        effect = self.fill("retry_job", reason="ops_error", note="database restarted")
        self.assertIn(f"Run job #{dead} (kernel.rate_limit_cleanup) once more now: attempt 4", effect)
        self.assertIn("is queued to run now", self.confirm())
        self.assertIn("is queued to run now", self.replay())
        self.assertTrue(self.eventually(lambda: self.state(dead) == "succeeded"), "the retried job ran")
        self.assertEqual(sql(f"SELECT count(*) FROM audit.events WHERE action = 'jobs.retried' AND object_id = '{dead}'"), "1")

        scheduled = self.job("kernel.rate_limit_cleanup", "queued", run_at="now() + interval '1 day'")
        b.get(BASE + f"/admin/jobs/{scheduled}")
        self.fill("run_job", reason="other", note="clean up before the load test")
        self.assertIn("is due now", self.confirm())
        self.assertTrue(self.eventually(lambda: self.state(scheduled) == "succeeded"), "the job ran now")

        cancelled = self.job("kernel.rate_limit_cleanup", "queued", run_at="now() + interval '1 hour'")
        b.get(BASE + f"/admin/jobs/{cancelled}")
        self.fill("cancel_job", reason="duplicate")
        self.assertIn("is cancelled: it will not run", self.confirm())
        sql(f"UPDATE jobs.jobs SET run_at = now() - interval '1 minute' WHERE id = {cancelled}")
        time.sleep(2)
        self.assertEqual(self.state(cancelled), "cancelled")
        b.get(BASE + "/admin/jobs?state=cancelled")
        self.assertIn(f"/admin/jobs/{cancelled}", b.page_source)
        self.assertEqual(self.console_errors(), [])

    def test_what_makes_no_sense_is_refused(self):
        b = self.browser
        queue = "browser-" + uuid.uuid4().hex[:8]  # no worker takes these
        succeeded = self.job("test.browser", "succeeded", queue=queue, attempts=1)
        running = self.job("test.browser", "running", queue=queue, attempts=1, locked=True)
        queued = self.job("test.browser", "queued", queue=queue, run_at="now() + interval '1 day'")
        self.sign_in(staff("engineer"))
        b.get(BASE + f"/admin/jobs/{succeeded}")
        self.assertEqual(self.forms("retry_job") + self.forms("cancel_job") + self.forms("run_job"), [])
        text = self.post("/admin/actions/retry_job", {"object": str(succeeded), "reason": "other", "note": "again"})
        self.assertEqual(b.title, "Conflict · Hourglass ops")
        self.assertIn("a succeeded job cannot be retried", text)
        b.get(BASE + f"/admin/jobs/{running}")
        self.assertEqual(self.forms("cancel_job"), [])
        self.assertIn("a running job cannot be cancelled", self.post("/admin/actions/cancel_job", {"object": str(running), "reason": "other", "note": "stop"}))
        # The job starts running between the confirmation page and the click: refused, nothing changed.
        b.get(BASE + f"/admin/jobs/{queued}")
        self.fill("cancel_job", reason="other", note="not needed")
        sql(f"UPDATE jobs.jobs SET status = 'running', locked_by = 'elsewhere:1', locked_until = now() + interval '1 hour' WHERE id = {queued}")
        self.assertIn("a running job cannot be cancelled", self.confirm())
        self.assertEqual(self.state(queued), "running")

        support = self.new_browser()
        support.sign_in(staff("support"))
        support.browser.get(BASE + f"/admin/jobs/{queued}")
        self.assertEqual(support.browser.title, "Not allowed · Hourglass ops")
        support.browser.get(BASE + "/admin/")
        ActionCase.post(support, "/admin/actions/retry_job", {"object": str(succeeded), "reason": "other", "note": "x"})
        self.assertEqual(support.browser.title, "Not allowed · Hourglass ops")


class NotificationsInChromium(ActionCase):
    def test_a_notification_is_resent_and_the_original_kept(self):
        # A driver on a test clock whose hand-started session is cut at 14 hours: they are told.
        now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        clock = clock_at(now)
        driver = api_driver(clock=clock)
        token = driver["token"]
        _, made = quote(driver)
        _, policy = api("POST", "/v1/policies", {"quote_id": made["id"]}, token)
        _, card = api("POST", "/v1/payment-methods", {"token": "tok_visa"}, token)
        status, payment = api("POST", "/v1/wallet/top-ups", {"amount": 5000, "payment_method_id": card["id"]}, token)
        self.assertEqual((status, payment["status"]), (201, "succeeded"))
        status, session = api("POST", f"/v1/policies/{policy['id']}/sessions", None, token)
        self.assertEqual(status, 201, session)
        api("POST", f"/v1/test-clocks/{clock}/advance", {"frozen_time": rfc3339(now + datetime.timedelta(hours=15))})
        _, feed = api("GET", "/v1/notifications", token=token)
        cut = [n for n in feed["data"] if n["kind"] == "session_cut"]
        self.assertEqual(len(cut), 1, feed)
        original = cut[0]
        api("POST", f"/v1/notifications/{original['id']}/read", None, token)

        b = self.browser
        self.sign_in(staff("engineer"))
        b.get(BASE + "/admin/drivers/" + driver["id"])
        b.find_element(By.CSS_SELECTOR, f"a[href='/admin/notifications/{original['id']}']").click()
        self.wait_for(lambda: "Notification:" in b.title, lambda: b.title)
        self.assertIn("Not resent.", self.main())
        effect = self.fill("resend_notification", reason="requested_by_driver", note="dismissed it by mistake")
        self.assertIn("Send “Cover stopped after 14 hours” to this driver again", effect)
        self.assertIn("the driver has it again, unread", self.confirm())
        self.assertIn("the driver has it again, unread", self.replay())
        _, feed = api("GET", "/v1/notifications", token=token)
        cut = [n for n in feed["data"] if n["kind"] == "session_cut"]
        self.assertEqual(len(cut), 2, "resent once, the original kept")
        copy = [n for n in cut if n["id"] != original["id"]][0]
        self.assertEqual((copy["title"], copy["body"], copy["read_at"]), (original["title"], original["body"], None))
        self.assertIsNotNone([n for n in cut if n["id"] == original["id"]][0]["read_at"])
        self.assertEqual(sql(f"SELECT count(*) FROM audit.events WHERE action = 'notifications.resent' AND object_id = '{original['id']}'"), "1")

        # Pricing may not resend (support and engineers may: OPS.md has support resend what we sent).
        support = self.new_browser()
        support.sign_in(staff("pricing"))
        support.browser.get(BASE + f"/admin/notifications/{original['id']}")
        self.assertEqual(support.browser.find_elements(By.CSS_SELECTOR, "form[data-action=resend_notification]"), [])
        ActionCase.post(support, "/admin/actions/resend_notification", {"object": original["id"], "reason": "other", "note": "x"})
        self.assertEqual(support.browser.title, "Not allowed · Hourglass ops")
        _, feed = api("GET", "/v1/notifications", token=token)
        self.assertEqual(len([n for n in feed["data"] if n["kind"] == "session_cut"]), 2)


if __name__ == "__main__":
    unittest.main(verbosity=2)
