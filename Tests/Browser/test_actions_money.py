"""The money actions in Chromium (OPS.md "Actions", issue #12 item 1): a card payment refunded to
its card from the payment's page, a wallet-paid purchase refunded to the wallet, cash adjusted up
and down, a negative balance written off, each through its form and confirmation page, with the
result checked through the driver's REST API. The unhappy paths: a maker cannot approve their
own refund, support sees no refund form and is refused the POST, a replayed confirmation refunds
once, an expired approval cannot be executed, a refund larger than what is left is refused with
the amounts, and the other refusals each action has."""

import datetime
import os
import subprocess
import time
import unittest
import uuid

from selenium.webdriver.common.by import By

from admin_browser import BASE, AdminBrowserCase, api, staff


def new_driver(clock=None):
    """A driver made through the API, with a car (and on a test clock when given)."""
    suffix = uuid.uuid4().hex[:10]
    body = {"email": f"money-{suffix}@example.com", "password": "correct horse battery", "full_name": "Sam Okafor",
            "date_of_birth": "1990-02-03", "phone": "07700 900123", "postcode": "E1 6AN",
            "licence_number": "OKAFO902030SO9AB", "licence_type": "full", "licence_issued_on": "2011-05-01"}
    if clock:
        body["test_clock_id"] = clock
    status, signed = api("POST", "/v1/drivers", body)
    assert status == 201, signed
    token = signed["token"]
    # Automatic top-ups off: these tests decide what is in the wallet.
    status, body = api("PATCH", "/v1/wallet", {"auto_top_up": {"enabled": False}}, token)
    assert status == 200, body
    status, vehicle = api("POST", "/v1/vehicles", {"registration": "M" + suffix[:5].upper() + "1", "type": "car", "make": "Toyota",
                                                    "model": "Yaris", "year": 2020, "value_amount": 900000}, token)
    assert status == 201, vehicle
    return {"token": token, "id": signed["driver"]["id"], "vehicle": vehicle["id"]}


def add_card(driver):
    status, card = api("POST", "/v1/payment-methods", {"token": "tok_visa"}, driver["token"])
    assert status == 201, card
    return card["id"]


def top_up(driver, amount, card=None):
    status, payment = api("POST", "/v1/wallet/top-ups", {"amount": amount, "payment_method_id": card or add_card(driver)}, driver["token"])
    assert status == 201 and payment["status"] == "succeeded", payment
    return payment["id"]


def buy_block(driver):
    """Three hours of cover starting in two hours, paid from the wallet (£6.09 for this car)."""
    starts = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    status, quote = api("POST", "/v1/quotes", {"vehicle_id": driver["vehicle"], "product": "hourly", "usage": "food_delivery",
                                               "hours": 3, "starts_at": starts}, driver["token"])
    assert status == 201, quote
    status, policy = api("POST", "/v1/policies", {"quote_id": quote["id"]}, driver["token"])
    assert status == 201, policy
    return policy


def wallet(driver):
    _, body = api("GET", "/v1/wallet", token=driver["token"])
    return body["balance_amount"], body["promo_balance_amount"]


def transactions(driver):
    _, body = api("GET", "/v1/transactions?limit=200", token=driver["token"])
    return body["data"]


def sql(statement):
    """A statement against the server's database (the test owns it), as a test's clock would."""
    subprocess.run(["psql", os.environ["DATABASE_URL"], "-qc", statement], check=True, capture_output=True)


def post_form(case, path, fields):
    """A form POST made by hand in `case`'s browser session (as a script would), with its CSRF
    token: answers the page's title and text."""
    b = case.browser
    csrf = b.find_element(By.CSS_SELECTOR, "input[name=csrf]").get_attribute("value")
    before = b.current_url
    b.execute_script("""
        const form = document.createElement('form'); form.method = 'post'; form.action = arguments[0];
        for (const [name, value] of Object.entries(arguments[1])) {
          const input = document.createElement('input'); input.type = 'hidden'; input.name = name; input.value = value; form.appendChild(input);
        }
        document.body.appendChild(form); form.submit();""", path, dict(fields, csrf=csrf))
    case.wait_for(lambda: b.current_url != before and b.execute_script("return document.readyState") == "complete", lambda: b.title)
    return b.title, b.find_element(By.TAG_NAME, "main").text


def eventually(condition, seconds=10):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


class MoneyActionsInChromium(AdminBrowserCase):
    def tearDown(self):
        # After every money test the ledger's invariants hold: each posting sums to zero and
        # every driver's balance is the sum of their entries (the admin's ledger check).
        try:
            self.browser.get(BASE + "/admin/ledger/check")
            if "/admin/login" not in self.browser.current_url:
                self.assertEqual(self.field("check_result"), "passed")
        finally:
            super().tearDown()

    # refund

    def test_a_top_up_is_refunded_to_the_card_once_even_when_the_confirmation_is_sent_twice(self):
        driver = new_driver()
        payment = top_up(driver, 2000)
        self.sign_in(staff("senior_ops"))
        self.browser.get(BASE + "/admin/payments/" + payment)
        effect = self.act("refund", {"amount": "12.50"}, reason="requested_by_driver", note="topped up by mistake")
        self.assertIn(f"Refund £12.50 to Visa •4242 from payment {payment[:8]}; balance after £7.50.", effect)
        self.assertIn("£20.00 → £7.50", effect)
        self.assertEqual(wallet(driver)[0], 2000, "nothing moves before Confirm")
        # Recorded on confirming, sent to the card processor once that commits (booked when it says so).
        self.assertIn("Refund £12.50 to Visa •4242 requested; the card processor confirms within minutes. "
                      "£7.50 left to refund of this payment.", self.confirm())
        # The same confirmation again (a double click, a resent request): the first result, no second refund.
        self.assertIn("Refund £12.50 to Visa •4242 requested", self.replay())
        self.assertEqual(wallet(driver)[0], 750)
        refunds = [t for t in transactions(driver) if t["type"] == "refund"]
        self.assertEqual([(t["amount"], t["funding"]) for t in refunds], [(-1250, "wallet")])
        # The payment's page lists the refund, done.
        self.browser.get(BASE + "/admin/payments/" + payment)
        self.assertIn("succeeded", self.browser.find_element(By.ID, "refunds").text)
        self.assertEqual(self.console_errors(), [])

    def test_a_refund_larger_than_what_is_left_is_refused_with_the_amounts(self):
        driver = new_driver()
        payment = top_up(driver, 2000)
        self.sign_in(staff("finance"))
        self.browser.get(BASE + "/admin/payments/" + payment)
        self.act("refund", {"amount": "7.50"})
        self.confirm()
        self.browser.get(BASE + "/admin/payments/" + payment)
        refused = self.act("refund", {"amount": "30.00"})
        self.assertEqual(self.browser.title.split(" · ")[0], "Check the form")
        self.assertIn("£30.00 asked, £12.50 left to refund of £20.00", refused)
        self.assertEqual(wallet(driver)[0], 1250)
        # A refund of a top-up never takes the cash below zero: spend some, then ask for the rest.
        buy_block(driver)
        self.browser.get(BASE + "/admin/payments/" + payment)
        refused = self.act("refund", {})
        self.assertIn("below £0.00", refused)
        self.assertEqual(wallet(driver)[0], 1250 - 609)

    def test_four_eyes_the_maker_cannot_approve_their_own_refund_and_an_expired_one_never_runs(self):
        driver = new_driver()
        payment = top_up(driver, 20000)
        self.sign_in(staff("senior_ops"))
        self.browser.get(BASE + "/admin/payments/" + payment)
        effect = self.act("refund", {"amount": "60.00"}, reason="duplicate", note="charged twice")
        self.assertIn("another person’s approval (a refund over £50.00", effect)
        page = self.confirm()
        self.assertIn("/admin/approvals/", self.browser.current_url)
        self.assertIn("another person must approve it", page)
        self.assertEqual(self.browser.find_elements(By.CSS_SELECTOR, "form[data-action=approve]"), [])
        approval = self.browser.current_url
        # Posting the approval anyway is refused on the server.
        title, text = post_form(self, approval.replace(BASE, "") + "/approve", {"note": "mine"})
        self.assertEqual(title.split(" · ")[0], "Not allowed")
        self.assertIn("another person must approve it", text)
        self.assertEqual(wallet(driver)[0], 20000)

        checker = self.new_browser()
        checker.sign_in(staff("finance"))
        checker.browser.get(approval)
        self.assertIn("charged twice", checker.browser.find_element(By.TAG_NAME, "main").text)
        self.assertIn("approved", checker.decide("approve", note="the duplicate is on the statement"))
        self.assertEqual(wallet(driver)[0], 14000)

        # Another one, left for 72 hours: it can no longer be approved.
        self.browser.get(BASE + "/admin/payments/" + payment)
        self.act("refund", {"amount": "55.00"}, reason="duplicate")
        self.confirm()
        late = self.browser.current_url.rsplit("/", 1)[1]
        sql(f"UPDATE admin.action_requests SET expires_at = now() - interval '1 minute' WHERE id = '{late}'")
        checker.browser.get(BASE + "/admin/approvals/" + late)
        self.assertIn("expired", checker.browser.find_element(By.CSS_SELECTOR, "[data-field=state]").text)
        self.assertEqual(checker.browser.find_elements(By.CSS_SELECTOR, "form[data-action=approve]"), [])
        _, text = post_form(checker, f"/admin/approvals/{late}/approve", {})
        self.assertIn("expired", text)
        self.assertEqual(wallet(driver)[0], 14000)

    def test_support_sees_no_refund_form_and_is_refused_the_post(self):
        driver = new_driver()
        payment = top_up(driver, 2000)
        self.sign_in(staff("support"))
        self.browser.get(BASE + "/admin/payments/" + payment)
        self.assertEqual(self.browser.find_elements(By.CSS_SELECTOR, "form[data-action=refund]"), [])
        title, _ = post_form(self, "/admin/actions/refund", {"object": payment, "amount": "5.00", "reason": "goodwill"})
        self.assertEqual(title.split(" · ")[0], "Not allowed")
        self.assertEqual(wallet(driver)[0], 2000)

    # refund_to_wallet

    def test_a_wallet_paid_block_is_refunded_to_the_wallet_never_beyond_what_it_took(self):
        driver = new_driver()
        top_up(driver, 2000)
        policy = buy_block(driver)
        purchase = next(t for t in transactions(driver) if t["type"] == "block_purchase")
        self.sign_in(staff("senior_ops"))
        self.browser.get(BASE + "/admin/wallets/" + driver["id"])
        # The latest purchases paid from the wallet are offered by their ledger id.
        options = [o.get_attribute("value") for o in self.browser.find_elements(By.CSS_SELECTOR, "#wallet-purchases option")]
        self.assertIn(purchase["id"], options)
        effect = self.act("refund_to_wallet", {"transaction": purchase["id"], "amount": "2.00"}, reason="ops_error")
        self.assertIn("Refund £2.00 of the hourly block", effect)
        self.assertIn("£13.91 → £15.91", effect)
        self.assertIn("Refunded £2.00 to the wallet; balance now £15.91", self.confirm())
        self.browser.get(BASE + "/admin/wallets/" + driver["id"])
        refused = self.act("refund_to_wallet", {"transaction": purchase["id"], "amount": "5.00"}, reason="ops_error")
        self.assertIn("£5.00 asked, £4.09 left to refund of £6.09", refused)
        self.browser.get(BASE + "/admin/wallets/" + driver["id"])
        self.act("refund_to_wallet", {"transaction": purchase["id"]}, reason="ops_error")
        self.confirm()
        self.assertEqual(wallet(driver), (2000, 0))
        refunds = [t for t in transactions(driver) if t["type"] == "refund"]
        self.assertEqual(sorted(t["amount"] for t in refunds), [200, 409])
        self.assertTrue(all(t["related_id"] == policy["id"] for t in refunds))
        # A top-up is not a purchase.
        top = next(t for t in transactions(driver) if t["type"] == "top_up")
        self.browser.get(BASE + "/admin/wallets/" + driver["id"])
        self.assertIn("not a purchase", self.act("refund_to_wallet", {"transaction": top["id"]}, reason="ops_error"))

    # adjust_wallet

    def test_cash_is_adjusted_up_and_down_never_below_zero(self):
        driver = new_driver()
        top_up(driver, 1000)
        self.sign_in(staff("finance"))
        self.browser.get(BASE + "/admin/wallets/" + driver["id"])
        effect = self.act("adjust_wallet", {"direction": "credit", "amount": "4.00", "description": "Missed payout"}, reason="ops_error")
        self.assertIn("Add £4.00 to this driver’s cash balance (“Missed payout”); balance after £14.00.", effect)
        self.assertIn("Added £4.00; balance now £14.00.", self.confirm())
        self.browser.get(BASE + "/admin/wallets/" + driver["id"])
        effect = self.act("adjust_wallet", {"direction": "debit", "amount": "1.50"}, reason="duplicate")
        self.assertIn("£14.00 → £12.50", effect)
        self.confirm()
        self.browser.get(BASE + "/admin/wallets/" + driver["id"])
        refused = self.act("adjust_wallet", {"direction": "debit", "amount": "20.00"}, reason="duplicate")
        self.assertIn("below £0.00", refused)
        self.assertEqual(wallet(driver)[0], 1250)
        lines = [(t["type"], t["amount"], t["description"]) for t in transactions(driver) if t["type"] == "adjustment"]
        self.assertEqual(lines, [("adjustment", -150, "Balance adjustment"), ("adjustment", 400, "Missed payout")])
        # The wallet page shows them as the API does.
        self.browser.get(BASE + "/admin/wallets/" + driver["id"])
        self.assertIn("Missed payout", self.browser.find_element(By.ID, "transactions").text)

    # write_off

    def test_a_negative_balance_is_written_off_with_another_persons_approval(self):
        # A test clock: a session by hand runs 13 hours on £10, which the balance cannot pay.
        start = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        status, clock = api("POST", "/v1/test-clocks", {"frozen_time": start.strftime("%Y-%m-%dT%H:%M:%SZ")})
        self.assertEqual(status, 201, clock)
        driver = new_driver(clock["id"])
        top_up(driver, 1000)
        _, quote = api("POST", "/v1/quotes", {"vehicle_id": driver["vehicle"], "product": "payg", "usage": "food_delivery"}, driver["token"])
        _, policy = api("POST", "/v1/policies", {"quote_id": quote["id"]}, driver["token"])
        status, session = api("POST", f"/v1/policies/{policy['id']}/sessions", None, driver["token"])
        self.assertEqual(status, 201, session)
        later = (start + datetime.timedelta(hours=13)).strftime("%Y-%m-%dT%H:%M:%SZ")
        status, body = api("POST", f"/v1/test-clocks/{clock['id']}/advance", {"frozen_time": later})
        self.assertEqual(status, 200, body)
        status, body = api("POST", f"/v1/sessions/{session['id']}/end", None, driver["token"])
        self.assertEqual(status, 200, body)
        after = (start + datetime.timedelta(hours=13, minutes=15)).strftime("%Y-%m-%dT%H:%M:%SZ")
        status, body = api("POST", f"/v1/test-clocks/{clock['id']}/advance", {"frozen_time": after})
        self.assertEqual(status, 200, body)
        # The session is charged as it closes (a job, when the clock moved past it).
        self.assertTrue(eventually(lambda: wallet(driver)[0] < 0), wallet(driver))
        owed = -wallet(driver)[0]
        pounds = f"£{owed // 100}.{owed % 100:02d}"

        self.sign_in(staff("senior_ops"))
        self.browser.get(BASE + "/admin/wallets/" + driver["id"])
        effect = self.act("write_off", {}, reason="other", note="driver unreachable")
        self.assertIn(f"Write off the {pounds} this driver owes (a cash balance of −{pounds}) to bad debt; balance after £0.00.", effect)
        self.assertIn("another person’s approval (every write-off)", effect)
        self.confirm()
        self.assertIn("/admin/approvals/", self.browser.current_url)
        self.assertEqual(self.browser.find_elements(By.CSS_SELECTOR, "form[data-action=approve]"), [])
        self.assertEqual(wallet(driver)[0], -owed)

        checker = self.new_browser()
        checker.sign_in(staff("finance"))
        checker.browser.get(self.browser.current_url)
        self.assertIn("approved", checker.decide("approve", note="agreed"))
        self.assertEqual(wallet(driver)[0], 0)
        lines = [(t["amount"], t["funding"]) for t in transactions(driver) if t["type"] == "write_off"]
        self.assertEqual(lines, [(owed, "wallet")])
        # Nothing is left to write off: the form is gone.
        self.browser.get(BASE + "/admin/wallets/" + driver["id"])
        self.assertEqual(self.browser.find_elements(By.CSS_SELECTOR, "form[data-action=write_off]"), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
