"""Reconciliation for finance in Chromium (issue #13 item 4): a settlement report uploaded
through the form, its run and exceptions, one exception opened and resolved with a note, another
corrected with a ledger posting under four-eyes (the maker cannot approve it, another member of
finance does), and a resolved one reopened. Screenshots of the queue and an exception's page at
1366 and 390 px go to SCREENSHOT_DIR."""

import os
import subprocess
import tempfile
import unittest
import uuid

from selenium.webdriver.common.by import By

from admin_browser import BASE, AdminBrowserCase, api, driver_with_policy, staff

HEADER = ("automatic_payout_id,automatic_payout_effective_at_utc,balance_transaction_id,created_utc,available_on_utc,currency,"
          "gross,fee,net,reporting_category,source_id,description,customer_facing_amount,customer_facing_currency,payment_intent_id,"
          "payment_metadata[hourglass_txn_id]")


def query(statement):
    """One value from the server's database (what the test set up through the API)."""
    return subprocess.run(["psql", os.environ["DATABASE_URL"], "-Atqc", statement], check=True, capture_output=True, text=True).stdout.strip()


def line(payout, gross, fee, source, metadata="", category="charge", description="Hourglass top-up"):
    def minor(text):
        return int(text.replace(".", "").replace("-", "")) * (-1 if text.startswith("-") else 1)
    net = minor(gross) - minor(fee)
    net_text = ("-" if net < 0 else "") + f"{abs(net) // 100}.{abs(net) % 100:02d}"
    return ",".join([payout, "2026-11-20 00:00:00", "txn_" + uuid.uuid4().hex[:20], "2026-11-18 10:15:00", "2026-11-20 00:00:00", "gbp",
                     gross, fee, net_text, category, source, description, gross, "gbp", "pi_" + uuid.uuid4().hex[:20], metadata])


def settlement_report():
    """Two top-ups made through the API (our ledger books them; their clearing legs carry the
    processor's charge ids), one reported as paid and one 50p more than we booked; a charge
    our ledger never booked (a lost webhook); one that is not ours; the processor's own fee."""
    made = driver_with_policy("Nadia Reconcile")
    _, card = api("POST", "/v1/payment-methods", {"token": "tok_visa"}, made["token"])
    status, second = api("POST", "/v1/wallet/top-ups", {"amount": 1000, "payment_method_id": card["id"]}, made["token"])
    assert status == 201 and second["status"] == "succeeded", second
    driver = made["driver"]["id"]
    first = query(f"SELECT id FROM ledger.transactions WHERE driver_id = '{driver}' AND kind = 'top_up' AND amount = 2500")
    other = query(f"SELECT id FROM ledger.transactions WHERE related_id = '{second['id']}' AND kind = 'top_up'")
    payout = "po_" + uuid.uuid4().hex[:20]
    ch = lambda: "ch_" + uuid.uuid4().hex[:20]
    # The processor's charge ids, as our clearing legs recorded them (older legs have none).
    charge = lambda transaction: query(f"SELECT external_ref FROM ledger.clearing_legs WHERE transaction_id = '{transaction}'") or ch()
    lines = [
        line(payout, "25.00", "0.58", charge(first), first),
        line(payout, "10.50", "0.35", charge(other), other),
        line(payout, "7.50", "0.31", ch(), str(uuid.uuid4())),
        line(payout, "3.00", "0.25", ch()),
        line(payout, "-2.00", "0.00", "", category="fee", description="Radar screening fees"),
    ]
    handle, path = tempfile.mkstemp(prefix="settlement-", suffix=".csv")
    with os.fdopen(handle, "w") as out:
        out.write(HEADER + "\n" + "\n".join(lines) + "\n")
    return path, payout, driver


class ReconciliationInChromium(AdminBrowserCase):
    def phone_shot(self, name):
        """At 390 px: no sideways scrolling of the page (tables scroll in their boxes); the shot
        starts at the page's own content, below the navigation."""
        b = self.browser
        b.set_window_size(390, 844)
        self.assertLessEqual(b.execute_script("return document.documentElement.scrollWidth"), 390, "no sideways scrolling")
        b.execute_script("document.querySelector('main').scrollIntoView()")
        self.shoot(name)
        b.set_window_size(1366, 1000)
        b.execute_script("window.scrollTo(0, 0)")

    def upload(self, path):
        b = self.browser
        b.get(BASE + "/admin/reconciliation")
        form = b.find_element(By.CSS_SELECTOR, "form[data-action=upload_report]")
        form.find_element(By.NAME, "report").send_keys(path)
        before = b.title
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        self.wait_for(lambda: b.title != before, lambda: b.title)
        return b.find_element(By.TAG_NAME, "main").text

    def open_exception(self, title):
        """From the queue on screen, the exception whose kind is `title`."""
        b = self.browser
        link = b.find_element(By.XPATH, f"//table//a[normalize-space(text())='{title}']")
        href = link.get_attribute("href")
        b.get(href)
        return href

    def test_upload_resolve_correct_with_four_eyes_and_reopen(self):
        path, payout, driver = settlement_report()
        self.addCleanup(os.remove, path)
        finance = staff("finance")
        self.sign_in(finance)
        b = self.browser

        # Upload: the summary, then the run with its counts and payout.
        summary = self.upload(path)
        self.assertIn("Imported " + os.path.basename(path), summary)
        self.assertEqual(self.field("line_count"), "5")
        self.assertEqual(self.field("matched_count"), "1")
        self.assertEqual(self.field("exception_count"), "3")
        b.find_element(By.LINK_TEXT, "Open the run").click()
        self.wait_for(lambda: b.title.startswith("Run ·"), lambda: b.title)
        self.assertEqual(self.field("outcome_amount_mismatch"), "1")
        self.assertIn(payout, b.find_element(By.ID, "payouts").text)
        run = b.current_url.rsplit("/", 1)[1]
        # The same file again changes nothing.
        self.assertIn("nothing changed", self.upload(path))

        # The queue of this run's exceptions, as finance sees it.
        b.get(BASE + f"/admin/reconciliation/exceptions?run={run}")
        queue = b.find_element(By.TAG_NAME, "main").text
        for title in ["Amount differs", "Settled, not in our ledger", "Not ours"]:
            self.assertIn(title, queue)
        self.shoot("reconciliation-queue-1366")
        self.phone_shot("reconciliation-queue-390")

        # "Not ours": resolved with a note.
        not_ours = self.open_exception("Not ours")
        effect = self.act("resolve_exception", reason="other", note="A test charge the processor made on our account")
        self.assertIn("Resolve Not ours", effect)
        self.confirm()
        b.get(not_ours)
        self.assertEqual(self.field("status"), "resolved")
        self.assertEqual(self.field("resolution_note"), "A test charge the processor made on our account")

        # "Settled, not in our ledger": corrected against premium income, which needs another person.
        b.get(BASE + f"/admin/reconciliation/exceptions?run={run}")
        missing = self.open_exception("Settled, not in our ledger")
        self.assertIn("£7.50", self.field("processor_amount"))
        self.shoot("reconciliation-exception-1366")
        self.phone_shot("reconciliation-exception-390")
        effect = self.act("correct_exception", {"account": "premium_income"}, reason="ops_error", note="A card block whose webhook never came")
        self.assertIn("debit Settlement suspense and credit Premium income £7.50", effect)
        self.assertIn("another person’s approval", effect)
        self.confirm()
        self.assertIn("/admin/approvals/", b.current_url)
        approval = b.current_url
        # The maker has no approve button, and a hand-made POST is refused.
        self.assertEqual(b.find_elements(By.CSS_SELECTOR, "form[data-action=approve]"), [])
        b.get(missing)
        self.assertEqual(self.field("status"), "open", "nothing moves until someone else approves")

        checker = self.new_browser()
        checker.sign_in(staff("finance"))
        checker.browser.get(approval)
        self.assertIn("A card block whose webhook never came", checker.browser.find_element(By.TAG_NAME, "main").text)
        self.assertIn("approved", checker.decide("approve", note="seen in the processor's dashboard"))
        b.get(missing)
        self.assertEqual(self.field("status"), "resolved")
        posting = b.find_element(By.CSS_SELECTOR, "[data-field=correcting_transaction_id] a").get_attribute("href")
        b.get(posting)
        self.assertEqual(self.field("balanced"), "yes: entries sum to zero")
        self.assertIn("Settlement suspense", b.find_element(By.TAG_NAME, "main").text)

        # Reopen the one resolved with a note: back in the open queue.
        b.get(not_ours)
        self.act("reopen_exception", reason="ops_error", note="The processor says it is ours after all")
        self.confirm()
        b.get(not_ours)
        self.assertEqual(self.field("status"), "open")
        self.assertIn("reconciliation.exception_reopened", b.find_element(By.TAG_NAME, "main").text)
        self.assertEqual(self.console_errors(), [])

    def test_support_reads_but_cannot_upload_or_work_exceptions(self):
        self.sign_in(staff("support"))
        b = self.browser
        b.get(BASE + "/admin/reconciliation")
        self.assertEqual(b.find_elements(By.CSS_SELECTOR, "form[data-action=upload_report]"), [])
        b.get(BASE + "/admin/reconciliation/exceptions")
        self.assertEqual(b.find_element(By.TAG_NAME, "h1").text, "Reconciliation exceptions")


if __name__ == "__main__":
    unittest.main(verbosity=2)
