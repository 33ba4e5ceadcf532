"""Shared by the browser tests: the server under test (BASE_URL, HOURGLASS_BIN), the REST API
as a driver's app calls it, staff accounts made with `hourglass staff create`, and a Chromium
test case that signs in with a TOTP code and takes actions through their forms."""

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
from selenium.webdriver.support.ui import Select, WebDriverWait

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


def driver_with_policy(full_name="Priya Shah"):
    """A driver made through the API: a car, a PAYG policy, a card and £25 in the wallet, not covered."""
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
    return {"token": token, "driver": signed["driver"], "policy": policy}


def driver_through_the_api(full_name="Priya Shah"):
    """`driver_with_policy`, then cover by hand and a claim inside it."""
    made = driver_with_policy(full_name)
    token, policy = made["token"], made["policy"]
    # Cover by hand, then a claim a moment into it (instants are whole seconds).
    status, session = api("POST", f"/v1/policies/{policy['id']}/sessions", None, token)
    assert status == 201, session
    time.sleep(2)
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    status, claim = api("POST", "/v1/claims", {"policy_id": policy["id"], "occurred_at": now, "type": "damage",
                                              "description": "Mirror knocked off", "location": "Whitechapel Road"}, token)
    assert status == 201, claim
    return dict(made, claim=claim)


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


class AdminBrowserCase(unittest.TestCase):
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

    def act(self, name, fields=None, reason="requested_by_driver", note=None):
        """Fills the form `data-action=name` on the current page and submits it: answers the
        confirmation page's text (the exact effect) without confirming."""
        b = self.browser
        form = b.find_element(By.CSS_SELECTOR, f"form[data-action={name}]")
        for field, value in (fields or {}).items():
            element = form.find_element(By.NAME, field)
            if element.tag_name == "select":
                Select(element).select_by_value(value)
            else:
                element.clear()
                element.send_keys(value)
        if reason is not None:
            Select(form.find_element(By.NAME, "reason")).select_by_value(reason)
        if note is not None:
            form.find_element(By.NAME, "note").send_keys(note)
        before = b.current_url
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        self.wait_for(lambda: b.current_url != before or "Confirm" in b.title or "Not allowed" in b.title or b.find_elements(By.CSS_SELECTOR, ".notice.bad"),
                      lambda: b.title)
        return b.find_element(By.TAG_NAME, "main").text

    def confirm(self):
        """Presses Confirm on a confirmation page; answers the result page's text. Keeps the
        form's fields, so `replay` can send the very same confirmation again."""
        b = self.browser
        form = b.find_element(By.CSS_SELECTOR, "form[data-action=confirm]")
        self.last_confirmation = (form.get_attribute("action"),
                                  {i.get_attribute("name"): i.get_attribute("value") for i in form.find_elements(By.CSS_SELECTOR, "input[type=hidden]")})
        before = b.title
        b.find_element(By.CSS_SELECTOR, "form[data-action=confirm] button").click()
        self.wait_for(lambda: b.title != before, lambda: b.title)
        return b.find_element(By.TAG_NAME, "main").text

    def replay(self):
        """Sends the last confirmation again, as a double click or a resent request would."""
        b = self.browser
        action, fields = self.last_confirmation
        before = b.current_url
        b.execute_script("""
            const form = document.createElement('form'); form.method = 'post'; form.action = arguments[0];
            for (const [name, value] of Object.entries(arguments[1])) {
              const input = document.createElement('input'); input.type = 'hidden'; input.name = name; input.value = value; form.appendChild(input);
            }
            document.body.appendChild(form); form.submit();""", action, fields)
        self.wait_for(lambda: b.execute_script("return document.readyState") == "complete" and b.current_url != before or "/admin/" in b.current_url and b.title, lambda: b.title)
        time.sleep(0.3)
        return b.find_element(By.TAG_NAME, "main").text

    def decide(self, verdict, note=""):
        """Approves or rejects the approval on the current page."""
        b = self.browser
        form = b.find_element(By.CSS_SELECTOR, f"form[data-action={verdict}]")
        if note:
            form.find_element(By.NAME, "note").send_keys(note)
        before = b.page_source
        form.find_element(By.CSS_SELECTOR, "button").click()
        self.wait_for(lambda: b.page_source != before, lambda: b.title)
        return b.find_element(By.TAG_NAME, "main").text

    def new_browser(self):
        """A second person at another desk (a checker for four-eyes)."""
        other = AdminBrowserCase.__new__(AdminBrowserCase)
        other.browser = browser()
        self.addCleanup(other.browser.quit)
        return other

