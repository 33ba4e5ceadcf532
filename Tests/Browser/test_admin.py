"""Admin pages in a real headless Chromium (Debian's chromium and chromium-driver; nothing is
downloaded). Run by scripts/browser-test against a server it starts (BASE_URL, HOURGLASS_BIN,
and a database the tests may write to). Each test makes its data through the REST API and
the command line, as people do, then uses the pages as a member of staff would."""

import datetime
import json
import os
import time
import subprocess
import unittest
import urllib.error
import urllib.request
import uuid

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

BASE = os.environ["BASE_URL"]
BIN = os.environ["HOURGLASS_BIN"]
SHOTS = os.environ.get("SCREENSHOT_DIR")


def api(method, path, body=None, token=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(BASE + path, data=data, method=method)
    if body is not None:
        request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def driver_through_the_api(full_name="Priya Shah"):
    """A driver with a vehicle, a PAYG policy, a card, a top-up, an hourly block and a claim."""
    suffix = uuid.uuid4().hex[:10]
    status, signed = api("POST", "/v1/drivers", {
        "email": f"browser-{suffix}@example.com", "password": "correct horse battery", "full_name": full_name,
        "date_of_birth": "1991-04-02", "phone": "07700 900456", "postcode": "E1 6AN",
        "licence_number": "SHAHP904021PS9AB", "licence_type": "full", "licence_issued_on": "2012-05-01"})
    assert status == 201, signed
    token = signed["token"]
    _, vehicle = api("POST", "/v1/vehicles", {"registration": "B" + suffix[:5].upper() + "1", "type": "car",
                                             "make": "Toyota", "model": "Yaris", "year": 2020, "value_amount": 900000}, token)
    _, quote = api("POST", "/v1/quotes", {"vehicle_id": vehicle["id"], "product": "payg", "usage": "food_delivery"}, token)
    _, policy = api("POST", "/v1/policies", {"quote_id": quote["id"]}, token)
    _, card = api("POST", "/v1/payment-methods", {"token": "tok_visa"}, token)
    status, payment = api("POST", "/v1/wallet/top-ups", {"amount": 2500, "payment_method_id": card["id"]}, token)
    assert status == 201 and payment["status"] == "succeeded", payment
    # Cover by hand, then a claim a moment into it (instants are whole seconds).
    status, session = api("POST", f"/v1/policies/{policy['id']}/sessions", None, token)
    assert status == 201, session
    time.sleep(2)
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    status, claim = api("POST", "/v1/claims", {"policy_id": policy["id"], "occurred_at": now, "type": "damage",
                                              "description": "Mirror knocked off", "location": "Whitechapel Road"}, token)
    assert status == 201, claim
    return {"token": token, "driver": signed["driver"], "policy": policy, "claim": claim}


def staff(role):
    email = f"{role}-{uuid.uuid4().hex[:8]}@ops.example"
    subprocess.run([BIN, "staff", "create", "--email", email, "--role", role, "--name", f"Browser {role}",
                    "--password", "correct horse battery staple"], check=True, capture_output=True)
    return email


def browser():
    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1366,1000"]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=options, service=Service(executable_path="/usr/bin/chromedriver"))


class AdminInChromium(unittest.TestCase):
    def setUp(self):
        self.browser = browser()

    def tearDown(self):
        self.browser.quit()

    def sign_in(self, email):
        b = self.browser
        b.get(BASE + "/admin/")
        self.assertIn("/admin/login", b.current_url)
        b.find_element(By.NAME, "email").send_keys(email)
        b.find_element(By.NAME, "password").send_keys("correct horse battery staple")
        b.find_element(By.CSS_SELECTOR, "form[data-action=login] button").click()
        self.wait_for(lambda: "/admin/mfa" in b.current_url, lambda: b.find_element(By.TAG_NAME, "main").text)
        code = subprocess.run([BIN, "staff", "code", "--email", email], check=True, capture_output=True, text=True).stdout.strip()
        b.find_element(By.NAME, "code").send_keys(code)
        b.find_element(By.CSS_SELECTOR, "form[data-action=mfa] button").click()
        self.wait_for(lambda: b.title == "Ops home · Hourglass ops", lambda: b.current_url)

    def wait_for(self, condition, describe, seconds=10):
        """Waits for a navigation a click started (clicks return before the next page loads)."""
        def holds(_):
            try:
                return condition()
            except Exception:  # the old page's elements go stale while the new one loads
                return False
        try:
            WebDriverWait(self.browser, seconds).until(holds)
        except Exception:
            self.fail(describe())

    def search(self, text):
        b = self.browser
        box = b.find_element(By.CSS_SELECTOR, "form.search input[name=q]")
        box.clear()
        box.send_keys(text)
        before = b.current_url
        b.find_element(By.CSS_SELECTOR, "form.search button").click()
        self.wait_for(lambda: b.current_url != before and "/admin/search" not in b.current_url, lambda: b.current_url)
        return b.current_url

    def field(self, name):
        return self.browser.find_element(By.CSS_SELECTOR, f"[data-field={name}]").text

    def console_errors(self):
        return [entry for entry in self.browser.get_log("browser") if entry["level"] == "SEVERE"]

    def shoot(self, name):
        if SHOTS:
            self.browser.save_screenshot(os.path.join(SHOTS, name + ".png"))

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
