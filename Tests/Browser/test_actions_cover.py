"""Cover actions in Chromium (issue #12, item 2, and the provider secret rotation of item 6):
cancel and deactivate a policy, re-issue its certificate, force-close a session, start and end
cover by hand, unlink a provider account, re-apply a kept event, rotate a provider's secret.
Each through its form and confirmation page, with the unhappy paths: a replayed confirmation
acts once, a stale form for something already done is refused with a clear message, support
sees no form and gets 403, a rotation needs a second engineer."""

import hashlib
import hmac
import json
import os
import time
import urllib.error
import urllib.request
import uuid
import datetime

from selenium.webdriver.common.by import By

from admin_browser import BASE, AdminBrowserCase, api, driver_through_the_api, driver_with_policy, staff


def now_text(offset_seconds=0):
    instant = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=offset_seconds)
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def provider_post(provider, path, payload, secret=None):
    """A signed work-provider request (Hourglass-Signature: t=<unix>,v1=<HMAC-SHA256 of "t.body">)."""
    secret = secret or os.environ[f"PROVIDER_{provider.upper()}_SECRET"]
    body = json.dumps(payload, sort_keys=True).encode()
    timestamp = str(int(time.time()))
    signature = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    request = urllib.request.Request(BASE + path, data=body, method="POST")
    request.add_header("content-type", "application/json")
    request.add_header("hourglass-signature", f"t={timestamp},v1={signature}")
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def shift_event(provider, rider, kind="shift_started", secret=None, at=None):
    event_id = f"{rider}-{uuid.uuid4().hex[:8]}"
    status, _ = provider_post(provider, f"/v1/work-providers/{provider}/events",
                              {"event_id": event_id, "provider_driver_id": rider, "type": kind, "occurred_at": at or now_text(-60)}, secret)
    return status, event_id


def link(made, provider, rider):
    status, pending = api("POST", "/v1/work-provider-links", {"provider": provider, "provider_driver_id": rider}, made["token"])
    assert status == 201, pending
    status, active = provider_post(provider, f"/v1/work-providers/{provider}/link-confirmations",
                                   {"provider_driver_id": rider, "link_code": pending["link_code"]})
    assert status == 200, active
    return active


class CoverActionsInChromium(AdminBrowserCase):
    def main_text(self, case=None):
        return (case or self).browser.find_element(By.TAG_NAME, "main").text

    def sessions(self, made):
        return api("GET", f"/v1/policies/{made['policy']['id']}/sessions", token=made["token"])[1]["data"]

    def policy_status(self, made):
        return api("GET", f"/v1/policies/{made['policy']['id']}", token=made["token"])[1]["status"]

    def post_form(self, path, fields):
        """Posts a form to `path` with this page's CSRF token, as a hand-made request would."""
        b = self.browser
        before = b.current_url
        b.execute_script("""
            const form = document.createElement('form'); form.method = 'post'; form.action = arguments[0];
            const fields = Object.assign({csrf: document.querySelector('input[name=csrf]').value}, arguments[1]);
            for (const [name, value] of Object.entries(fields)) {
              const input = document.createElement('input'); input.type = 'hidden'; input.name = name; input.value = value; form.appendChild(input);
            }
            document.body.appendChild(form); form.submit();""", path, fields)
        self.wait_for(lambda: b.current_url != before, lambda: b.current_url)
        return b.find_element(By.TAG_NAME, "h1").text

    # cancel_policy

    def test_cancel_states_the_closing_charge_acts_once_and_a_stale_form_is_refused(self):
        made = driver_through_the_api()   # cover started by hand: a session is running
        page = BASE + "/admin/policies/" + made["policy"]["id"]
        self.sign_in(staff("senior_ops"))
        colleague = self.new_browser()
        colleague.sign_in(staff("senior_ops"))
        colleague.browser.get(page)       # a second person with the policy open
        self.browser.get(page)
        effect = self.act("cancel_policy", reason="requested_by_driver", note="moving abroad")
        self.assertIn("ends then and is charged as closed", effect)
        self.assertIn("No refund", effect)
        self.assertEqual(self.policy_status(made), "active", "nothing happens before Confirm")
        self.assertIn("Cancelled", self.confirm())
        self.assertIn("Cancelled", self.replay())
        self.assertEqual(self.policy_status(made), "cancelled")
        sessions = self.sessions(made)
        self.assertEqual([s["status"] for s in sessions], ["closed"])
        self.assertEqual(sessions[0]["billed_minutes"], 60)
        _, transactions = api("GET", "/v1/transactions", token=made["token"])
        self.assertEqual(len([t for t in transactions["data"] if t["type"] == "session_charge"]), 1, "charged once")
        # The colleague's page still shows the form: it is refused with the reason.
        refused = colleague.act("cancel_policy", reason="requested_by_driver")
        self.assertIn("the policy is already cancelled", refused)
        self.browser.get(page)
        self.assertEqual(self.browser.find_elements(By.CSS_SELECTOR, "form[data-action=cancel_policy]"), [])
        self.assertEqual(self.console_errors(), [])

    # deactivate_policy and reissue_certificate

    def test_deactivate_and_reissue_the_certificate(self):
        made = driver_with_policy()
        page = BASE + "/admin/policies/" + made["policy"]["id"]
        self.sign_in(staff("senior_ops"))
        self.browser.get(page)
        effect = self.act("reissue_certificate", reason="requested_by_driver", note="lost the PDF")
        self.assertIn("revision 2", effect)
        self.assertIn("Issued revision 2", self.confirm())
        self.assertIn("Issued revision 2", self.replay())
        self.browser.get(page)
        effect = self.act("deactivate_policy", reason="fraud", note="account shared with a friend")
        self.assertIn("no new cover starts under it", effect)
        self.assertIn("Deactivated", self.confirm())
        self.assertEqual(self.policy_status(made), "deactivated")
        certificate = urllib.request.Request(BASE + f"/v1/policies/{made['policy']['id']}/certificate")
        certificate.add_header("authorization", "Bearer " + made["token"])
        with urllib.request.urlopen(certificate) as response:
            self.assertIn("DEACTIVATED", response.read().decode())
        # No cover starts under it now.
        status, _ = api("POST", f"/v1/policies/{made['policy']['id']}/sessions", None, made["token"])
        self.assertEqual(status, 409)
        self.browser.get(page)
        self.assertEqual(self.browser.find_elements(By.CSS_SELECTOR, "form[data-action=deactivate_policy]"), [])

    # force_close_session

    def test_force_close_acts_once_and_a_closed_session_is_refused(self):
        made = driver_through_the_api()
        session = self.sessions(made)[0]
        page = BASE + "/admin/cover/sessions/" + session["id"]
        self.sign_in(staff("senior_ops"))
        colleague = self.new_browser()
        colleague.sign_in(staff("senior_ops"))
        colleague.browser.get(page)
        self.browser.get(page)
        effect = self.act("force_close_session", reason="ops_error", note="shift stuck open")
        self.assertIn("60 billed minutes", effect)
        self.assertEqual(self.sessions(made)[0]["status"], "active", "nothing happens before Confirm")
        self.assertIn("Closed session", self.confirm())
        self.assertIn("Closed session", self.replay())
        closed = self.sessions(made)
        self.assertEqual([s["status"] for s in closed], ["closed"])
        self.assertEqual(closed[0]["charged_amount"], made["policy"]["hourly_rate_amount"])
        self.assertFalse(api("GET", "/v1/cover", token=made["token"])[1]["covered"])
        refused = colleague.act("force_close_session", reason="ops_error")
        self.assertIn("already closed", refused)

    # start_cover and end_cover

    def test_start_and_end_cover_by_hand(self):
        made = driver_with_policy()
        page = BASE + "/admin/drivers/" + made["driver"]["id"]
        self.sign_in(staff("senior_ops"))
        self.browser.get(page)
        self.assertEqual(self.browser.find_elements(By.CSS_SELECTOR, "form[data-action=end_cover]"), [], "nothing to end yet")
        effect = self.act("start_cover", reason="requested_by_driver", note="app would not start cover")
        self.assertIn("a session opens and its first hour", effect)
        self.assertFalse(api("GET", "/v1/cover", token=made["token"])[1]["covered"])
        self.assertIn("Started cover by hand", self.confirm())
        self.assertIn("Started cover by hand", self.replay())
        self.assertTrue(api("GET", "/v1/cover", token=made["token"])[1]["covered"])
        self.assertEqual(len(self.sessions(made)), 1)
        self.browser.get(page)
        self.assertEqual(self.browser.find_elements(By.CSS_SELECTOR, "form[data-action=start_cover]"), [], "already covered")
        colleague = self.new_browser()
        colleague.sign_in(staff("senior_ops"))
        colleague.browser.get(page)
        effect = self.act("end_cover", reason="requested_by_driver")
        self.assertIn("End the cover this driver started by hand", effect)
        self.assertIn("Ended cover by hand", self.confirm())
        refused = colleague.act("end_cover", reason="requested_by_driver")
        self.assertIn("no cover started by hand is running", refused)

    def test_cover_cannot_start_without_a_policy_in_force(self):
        made = driver_with_policy()
        api("POST", f"/v1/policies/{made['policy']['id']}/cancel", None, made["token"])
        self.sign_in(staff("senior_ops"))
        self.browser.get(BASE + "/admin/drivers/" + made["driver"]["id"])
        self.assertEqual(self.browser.find_elements(By.CSS_SELECTOR, "form[data-action=start_cover]"), [])
        heading = self.post_form("/admin/actions/start_cover", {"object": made["driver"]["id"], "reason": "requested_by_driver"})
        self.assertEqual(heading, "Conflict")
        self.assertIn("no pay-as-you-go policy in force", self.main_text())

    # unlink_provider and reapply_event

    def test_unlink_a_provider_and_reapply_a_kept_event(self):
        made = driver_with_policy()
        rider = "rider-" + uuid.uuid4().hex[:8]
        # An event arrives before the account is linked: kept, applying to nobody.
        status, event_id = shift_event("deliveroo", rider)
        self.assertEqual(status, 202)
        self.sign_in(staff("senior_ops"))
        event_page = BASE + f"/admin/work-providers/events/deliveroo/{event_id}"
        self.browser.get(event_page)
        self.assertEqual(self.browser.find_elements(By.CSS_SELECTOR, "form[data-action=reapply_event]"), [])
        heading = self.post_form("/admin/actions/reapply_event", {"object": f"deliveroo:{event_id}", "reason": "ops_error"})
        self.assertEqual(heading, "Check the form")
        self.assertIn("No link applies this event", self.main_text())

        active = link(made, "deliveroo", rider)
        self.browser.get(event_page)
        effect = self.act("reapply_event", reason="ops_error", note="their job failed")
        self.assertIn("the cover engine recomputes their sessions", effect)
        self.assertIn("Queued the cover engine", self.confirm())
        self.assertIn("Queued the cover engine", self.replay())

        self.browser.get(BASE + "/admin/drivers/" + made["driver"]["id"])
        effect = self.act("unlink_provider", reason="requested_by_driver", note="stopped riding for them")
        self.assertIn("events after it are kept but cover nobody", effect)
        self.assertIn("Unlinked deliveroo", self.confirm())
        self.assertIn("Unlinked deliveroo", self.replay())
        _, links = api("GET", "/v1/work-provider-links", token=made["token"])
        self.assertEqual([l["status"] for l in links["data"] if l["id"] == active["id"]], ["unlinked"])
        self.browser.get(BASE + "/admin/drivers/" + made["driver"]["id"])
        self.assertEqual(self.browser.find_elements(By.CSS_SELECTOR, "form[data-action=unlink_provider]"), [])
        # Later events are still accepted and kept. (Event instants are whole seconds: wait for
        # the next one, or the event would be in the unlink's second and, happening before it, apply.)
        time.sleep(1.1)
        status, later = shift_event("deliveroo", rider, at=now_text())
        self.assertEqual(status, 202)
        self.browser.get(BASE + f"/admin/work-providers/events/deliveroo/{later}")
        self.assertIn("nobody yet", self.main_text())

    # Provider secret rotation

    def test_rotating_a_provider_secret_needs_a_second_engineer_and_overlaps(self):
        provider = "uber_eats"
        original = os.environ["PROVIDER_UBER_EATS_SECRET"]
        page = BASE + f"/admin/work-providers/providers/{provider}"
        self.sign_in(staff("engineer"))
        self.browser.get(page)
        self.assertNotIn(original, self.browser.page_source)
        effect = self.act("rotate_provider_secret", reason="other", note="yearly rotation")
        self.assertIn("keeps verifying for", effect)
        self.assertIn("another person’s approval", effect)
        filed = self.confirm()
        self.assertIn("/admin/approvals/", self.browser.current_url)
        self.assertIn("another person must approve it", filed)
        self.assertEqual(self.browser.find_elements(By.CSS_SELECTOR, "form[data-action=approve]"), [])
        approval = self.browser.current_url

        checker = self.new_browser()
        checker.sign_in(staff("engineer"))
        checker.browser.get(approval)
        self.assertIn("yearly rotation", checker.browser.find_element(By.TAG_NAME, "main").text)
        self.assertIn("approved", checker.decide("approve", note="ticket SEC-7"))
        checker.browser.get(page)
        self.assertEqual(checker.browser.find_elements(By.CSS_SELECTOR, "form[data-action=reveal_secret]"), [], "only the maker sees it")

        self.browser.get(page)
        form = self.browser.find_element(By.CSS_SELECTOR, "form[data-action=reveal_secret]")
        form.find_element(By.CSS_SELECTOR, "button").click()
        self.wait_for(lambda: self.browser.title.startswith("New secret"), lambda: self.browser.title)
        secret = self.field("secret")
        self.assertEqual(len(secret), 64)
        self.browser.get(page)
        self.assertEqual(self.browser.find_elements(By.CSS_SELECTOR, "form[data-action=reveal_secret]"), [], "shown once")
        self.assertNotIn(secret, self.browser.page_source)
        # Both secrets verify during the overlap; a wrong one does not.
        rider = "rot-" + uuid.uuid4().hex[:8]
        self.assertEqual(shift_event(provider, rider, secret=secret)[0], 202)
        self.assertEqual(shift_event(provider, rider, secret=original)[0], 202)
        self.assertEqual(shift_event(provider, rider, secret="wrong")[0], 401)

    # Roles

    def test_support_sees_no_cover_forms_and_is_refused(self):
        made = driver_through_the_api()
        session = self.sessions(made)[0]
        self.sign_in(staff("support"))
        for path, action in [("/admin/policies/" + made["policy"]["id"], "cancel_policy"),
                             ("/admin/policies/" + made["policy"]["id"], "reissue_certificate"),
                             ("/admin/cover/sessions/" + session["id"], "force_close_session"),
                             ("/admin/drivers/" + made["driver"]["id"], "end_cover"),
                             ("/admin/work-providers/providers/deliveroo", "rotate_provider_secret")]:
            self.browser.get(BASE + path)
            self.assertEqual(self.browser.find_elements(By.CSS_SELECTOR, f"form[data-action={action}]"), [], action)
        self.browser.get(BASE + "/admin/policies/" + made["policy"]["id"])
        self.assertEqual(self.post_form("/admin/actions/cancel_policy", {"object": made["policy"]["id"], "reason": "requested_by_driver"}), "Not allowed")
        self.browser.get(BASE + "/admin/cover/sessions/" + session["id"])
        self.assertEqual(self.post_form("/admin/actions/force_close_session", {"object": session["id"], "reason": "ops_error"}), "Not allowed")
        self.assertEqual(self.policy_status(made), "active")
        self.assertEqual(self.sessions(made)[0]["status"], "active")


if __name__ == "__main__":
    import unittest
    unittest.main(verbosity=2)
