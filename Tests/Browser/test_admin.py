"""Admin pages in a real headless Chromium (Debian's chromium and chromium-driver; nothing is
downloaded). Run by scripts/browser-test against a server it starts (BASE_URL, HOURGLASS_BIN,
and a database the tests may write to). Each test makes its data through the REST API and
the command line, as people do, then uses the pages as a member of staff would."""

import unittest

from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By

from admin_browser import BASE, AdminBrowserCase, api, driver_through_the_api, staff


class AdminInChromium(AdminBrowserCase):
    def test_search_and_driver_360_show_what_the_api_shows(self):
        made = driver_through_the_api()
        self.sign_in(staff("senior_ops"))
        driver_id = made["driver"]["id"]
        # Policy number, claim reference and email each lead to their page.
        self.assertTrue(self.search(made["policy"]["number"].lower()).endswith("/admin/policies/" + made["policy"]["id"]))
        self.assertTrue(self.search(made["claim"]["reference"]).endswith("/admin/claims/" + made["claim"]["id"]))
        self.assertTrue(self.search(made["driver"]["email"].upper()).endswith("/admin/drivers/" + driver_id))
        self.assertEqual(self.browser.find_element(By.TAG_NAME, "h1").text, "Priya Shah")
        self.shoot("driver-360")
        # The same balance and transactions as the driver's app sees.
        _, wallet = api("GET", "/v1/wallet", token=made["token"])
        pounds = "£{:,.2f}".format(wallet["balance_amount"] / 100).replace("£-", "−£")
        self.assertEqual(self.field("balance_amount"), pounds)
        _, transactions = api("GET", "/v1/transactions", token=made["token"])
        money = self.browser.find_element(By.ID, "money").text
        for item in transactions["data"]:
            self.assertIn(item["description"], money)
        self.assertEqual(self.console_errors(), [])

    def test_a_script_in_a_name_is_text(self):
        made = driver_through_the_api(full_name="<script>alert(1)</script>")
        self.sign_in(staff("support"))
        self.browser.get(BASE + "/admin/drivers/" + made["driver"]["id"])
        with self.assertRaises(NoAlertPresentException):
            self.browser.switch_to.alert.text
        self.assertEqual(self.browser.find_element(By.TAG_NAME, "h1").text, "<script>alert(1)</script>")
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;", self.browser.page_source)
        self.assertEqual(self.console_errors(), [])

    def test_no_console_errors_on_any_page(self):
        made = driver_through_the_api()
        self.sign_in(staff("engineer"))
        links = {a.get_attribute("href") for a in self.browser.find_elements(By.CSS_SELECTOR, "nav.side a")}
        self.assertGreater(len(links), 15)
        pages = sorted(links) + [BASE + path for path in [
            "/admin/drivers/" + made["driver"]["id"], "/admin/policies/" + made["policy"]["id"], "/admin/claims/" + made["claim"]["id"],
            "/admin/cover/lookup?driver=" + made["driver"]["id"] + "&at=2026-12-01T12:00", "/admin/search?q=nothing-like-this"]]
        for page in pages:
            self.browser.get(page)
            self.assertNotIn(self.browser.title, ["Something went wrong · Hourglass ops"], page)
            self.assertEqual(self.console_errors(), [], page)

    def test_a_post_without_its_csrf_token_is_refused(self):
        self.sign_in(staff("support"))
        b = self.browser
        b.get(BASE + "/admin/identity/sessions")
        b.execute_script("document.querySelector('form[data-action=logout] input[name=csrf]').remove()")
        b.find_element(By.CSS_SELECTOR, "form[data-action=logout] button").click()
        self.wait_for(lambda: b.find_element(By.TAG_NAME, "h1").text == "Not allowed", lambda: b.find_element(By.TAG_NAME, "h1").text)
        b.get(BASE + "/admin/")
        self.assertEqual(b.title, "Ops home · Hourglass ops", "still signed in: the forged post did nothing")

    def test_support_is_refused_the_staff_pages(self):
        self.sign_in(staff("support"))
        self.browser.get(BASE + "/admin/identity/staff")
        self.assertEqual(self.browser.find_element(By.TAG_NAME, "h1").text, "Not allowed")
        self.assertNotIn("/admin/identity/staff", [a.get_attribute("href").replace(BASE, "") for a in self.browser.find_elements(By.CSS_SELECTOR, "nav.side a")])

    def test_it_is_usable_on_a_phone(self):
        made = driver_through_the_api()
        self.sign_in(staff("support"))
        self.browser.set_window_size(390, 844)
        self.browser.get(BASE + "/admin/drivers/" + made["driver"]["id"])
        width = self.browser.execute_script("return document.documentElement.scrollWidth")
        self.assertLessEqual(width, 390, "no sideways scrolling of the page itself (tables scroll in their boxes)")
        self.shoot("driver-360-phone")


if __name__ == "__main__":
    unittest.main(verbosity=2)
