"""Claims handling, staff administration and internal notes in Chromium: the claims team
moves a claim on and asks for more while the driver follows in the API; other roles see no
forms and are refused; a role change waits for a second admin; a note stays inside."""

import datetime
import time
import unittest

from selenium.webdriver.common.by import By

from admin_browser import BASE, AdminBrowserCase, api, driver_through_the_api, staff

PNG = bytes([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) + bytes(64)


def upload(token, claim_id):
    import urllib.request
    request = urllib.request.Request(BASE + f"/v1/claims/{claim_id}/attachments", data=PNG, method="POST")
    request.add_header("content-type", "image/png")
    request.add_header("authorization", "Bearer " + token)
    with urllib.request.urlopen(request) as response:
        return response.status


class ClaimsAndStaffInChromium(AdminBrowserCase):
    def forged_post(self, path, fields):
        """A POST the page does not offer, with a valid CSRF token (what a curious user could send)."""
        b = self.browser
        csrf = b.find_element(By.CSS_SELECTOR, "form[data-action=logout] input[name=csrf]").get_attribute("value")
        b.execute_script("""
            const form = document.createElement('form'); form.method = 'post'; form.action = arguments[0];
            for (const [name, value] of Object.entries(arguments[1])) {
              const input = document.createElement('input'); input.type = 'hidden'; input.name = name; input.value = value; form.appendChild(input);
            }
            document.body.appendChild(form); form.submit();""", path, dict(fields, csrf=csrf))
        self.wait_for(lambda: "/admin/actions/" in b.current_url or b.title.startswith("Not allowed"), lambda: b.title)
        return b.find_element(By.TAG_NAME, "h1").text

    def test_the_claims_team_handles_a_claim_and_the_driver_follows_it(self):
        made = driver_through_the_api()
        claim = made["claim"]
        self.sign_in(staff("claims"))
        self.browser.get(BASE + "/admin/claims/" + claim["id"])
        self.assertIn("covered", self.browser.find_element(By.ID, "cover-evidence").text)
        effect = self.act("claim_status", {"status": "in_review", "message": "A handler has your claim."})
        self.assertIn("from submitted to in review", effect)
        self.confirm()
        _, shown = api("GET", "/v1/claims/" + claim["id"], token=made["token"])
        self.assertEqual([h["status"] for h in shown["status_history"]], ["submitted", "in_review"])
        self.assertEqual(shown["status_history"][-1]["message"], "A handler has your claim.")

        self.browser.get(BASE + "/admin/claims/" + claim["id"])
        self.act("request_info", {"message": "Please send a photo of the damage."}, reason="other", note="liability")
        self.confirm()
        _, shown = api("GET", "/v1/claims/" + claim["id"], token=made["token"])
        self.assertEqual(shown["information_requests"][0]["message"], "Please send a photo of the damage.")
        self.assertIsNone(shown["information_requests"][0]["answered_at"])
        self.assertEqual(upload(made["token"], claim["id"]), 201)
        _, shown = api("GET", "/v1/claims/" + claim["id"], token=made["token"])
        self.assertIsNotNone(shown["information_requests"][0]["answered_at"])

        # Settling is possible from review; afterwards the form offers no move and the driver cannot withdraw.
        self.browser.get(BASE + "/admin/claims/" + claim["id"])
        self.act("claim_status", {"status": "settled"})
        self.confirm()
        self.browser.get(BASE + "/admin/claims/" + claim["id"])
        self.assertEqual(self.browser.find_elements(By.CSS_SELECTOR, "form[data-action=claim_status]"), [])
        status, _ = api("POST", f"/v1/claims/{claim['id']}/withdraw", token=made["token"])
        self.assertEqual(status, 409)
        self.assertEqual(self.console_errors(), [])

    def test_support_sees_no_claim_forms_and_is_refused(self):
        made = driver_through_the_api()
        self.sign_in(staff("support"))
        self.browser.get(BASE + "/admin/claims/" + made["claim"]["id"])
        self.assertEqual(self.browser.find_elements(By.CSS_SELECTOR, "form[data-action=claim_status]"), [])
        heading = self.forged_post("/admin/actions/claim_status", {"object": made["claim"]["id"], "status": "in_review", "reason": "goodwill"})
        self.assertEqual(heading, "Not allowed")
        _, shown = api("GET", "/v1/claims/" + made["claim"]["id"], token=made["token"])
        self.assertEqual(shown["status"], "submitted")

    def test_a_role_change_waits_for_a_second_admin(self):
        member = staff("support")
        self.sign_in(staff("admin"))
        self.browser.get(BASE + "/admin/identity/staff")
        self.browser.find_element(By.XPATH, f"//td[text()='{member}']/preceding-sibling::td/a").click()
        self.wait_for(lambda: "/admin/identity/staff/" in self.browser.current_url, lambda: self.browser.current_url)
        effect = self.act("change_role", {"role": "finance"}, reason="other", note="moved to finance")
        self.assertIn("finance instead of support", effect)
        page = self.confirm()
        self.assertIn("another person must approve it", page)
        approval = self.browser.current_url
        checker = self.new_browser()
        checker.sign_in(staff("admin"))
        checker.browser.get(approval)
        self.assertIn("approved", checker.decide("approve", note="HR ticket"))
        self.browser.get(BASE + "/admin/identity/staff")
        row = self.browser.find_element(By.XPATH, f"//td[text()='{member}']/..").text
        self.assertIn("finance", row)

    def test_notes_stay_with_staff(self):
        made = driver_through_the_api()
        self.sign_in(staff("support"))
        self.browser.get(BASE + "/admin/drivers/" + made["driver"]["id"])
        self.act("add_note", {"text": "Prefers email; hard of hearing."})
        self.confirm()
        self.browser.get(BASE + "/admin/drivers/" + made["driver"]["id"])
        self.assertIn("Prefers email; hard of hearing.", self.browser.find_element(By.ID, "notes").text)
        for path in ["/v1/me", "/v1/notifications", "/v1/claims"]:
            status, body = api("GET", path, token=made["token"])
            self.assertNotIn("hard of hearing", str(body))


if __name__ == "__main__":
    unittest.main(verbosity=2)
