"""The action flow in Chromium, through promotional credit: the form, the confirmation page
with the exact effect, a replayed confirmation that credits once, four-eyes where the maker
cannot approve and another person can, and a role without the permission (pricing) seeing no form."""

import unittest

from selenium.webdriver.common.by import By

from admin_browser import BASE, AdminBrowserCase, api, driver_through_the_api, staff


class ActionFlowInChromium(AdminBrowserCase):
    def promo(self, made):
        return api("GET", "/v1/wallet", token=made["token"])[1]["promo_balance_amount"]

    def test_credit_is_confirmed_once_even_when_the_confirmation_is_sent_twice(self):
        made = driver_through_the_api()
        before = self.promo(made)
        self.sign_in(staff("senior_ops"))
        self.browser.get(BASE + "/admin/wallets/" + made["driver"]["id"])
        effect = self.act("grant_credit", {"amount": "5.00", "description": "Sorry for the wait"}, reason="goodwill")
        self.assertIn("Give £5.00 of promotional credit", effect)
        self.assertEqual(self.promo(made), before, "nothing moves before Confirm")
        self.assertIn("Granted £5.00", self.confirm())
        # The same confirmation sent again (a double click, a resent request): the first result, no second credit.
        self.assertIn("Granted £5.00", self.replay())
        self.assertEqual(self.promo(made), before + 500)
        _, transactions = api("GET", "/v1/transactions", token=made["token"])
        self.assertEqual(len([t for t in transactions["data"] if t["description"] == "Sorry for the wait"]), 1)
        self.assertEqual(self.console_errors(), [])

    def test_four_eyes_the_maker_cannot_approve_and_a_checker_can(self):
        made = driver_through_the_api()
        before = self.promo(made)
        self.sign_in(staff("senior_ops"))
        self.browser.get(BASE + "/admin/wallets/" + made["driver"]["id"])
        effect = self.act("grant_credit", {"amount": "25.00"}, reason="ops_error", note="charged twice on Tuesday")
        self.assertIn("another person’s approval", effect)
        page = self.confirm()
        self.assertIn("/admin/approvals/", self.browser.current_url)
        self.assertIn("another person must approve it", page)
        self.assertEqual(self.browser.find_elements(By.CSS_SELECTOR, "form[data-action=approve]"), [])
        self.assertEqual(self.promo(made), before)
        approval = self.browser.current_url

        checker = self.new_browser()
        checker.sign_in(staff("finance"))
        checker.browser.get(BASE + "/admin/approvals")
        self.assertIn(approval.replace(BASE, ""), checker.browser.page_source)
        checker.browser.get(approval)
        self.assertIn("charged twice on Tuesday", checker.browser.find_element(By.TAG_NAME, "main").text)
        result = checker.decide("approve", note="matches the duplicate charge")
        self.assertIn("approved", result)
        self.assertEqual(self.promo(made), before + 2500)

    def test_pricing_sees_no_credit_form(self):
        made = driver_through_the_api()
        self.sign_in(staff("pricing"))
        self.browser.get(BASE + "/admin/wallets/" + made["driver"]["id"])
        self.assertEqual(self.browser.find_elements(By.CSS_SELECTOR, "form[data-action=grant_credit]"), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
