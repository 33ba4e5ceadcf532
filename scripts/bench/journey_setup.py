#!/usr/bin/env python3
"""Makes the drivers of the journey load test through the REST API, as a driver's app would:
sign-up, a vehicle, a PAYG quote bound into a policy, a tok_visa card, a £50 keyed top-up, and a
Deliveroo link the provider confirms with a signed request. Writes a Lua table for journey.lua.

  journey_setup.py --url http://127.0.0.1:18280 --drivers 1000 --out drivers.lua
  (PROVIDER_DELIVEROO_SECRET in the environment signs the link confirmations)
"""
import argparse
import hashlib
import hmac
import http.client
import json
import os
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse


class Client:
    """One keep-alive connection per worker thread."""

    def __init__(self, url):
        parsed = urlparse(url)
        self.host, self.port = parsed.hostname, parsed.port or 80
        self.connection = None

    def call(self, method, path, body=None, token=None, headers=None, raw=None):
        """JSON in, (status, JSON) out; `raw` sends bytes as they are (a signed body)."""
        payload = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        all_headers = {"content-type": "application/json"} if payload is not None else {}
        if token:
            all_headers["authorization"] = "Bearer " + token
        all_headers.update(headers or {})
        for attempt in range(3):
            try:
                if self.connection is None:
                    self.connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
                self.connection.request(method, path, body=payload, headers=all_headers)
                response = self.connection.getresponse()
                text = response.read()
                return response.status, (json.loads(text) if text else {})
            except (ConnectionError, http.client.HTTPException, OSError):
                # A keep-alive connection the server closed while idle: open another.
                self.connection = None
                if attempt == 2:
                    raise
        raise RuntimeError("unreachable")


def signature(secret, body):
    t = str(int(time.time()))
    return "t=" + t + ",v1=" + hmac.new(secret.encode(), (t + ".").encode() + body, hashlib.sha256).hexdigest()


local = threading.local()


def make_driver(url, run, n, secret):
    if not hasattr(local, "client"):
        local.client = Client(url)
    client = local.client

    def expect(status, body, wanted, what):
        if status != wanted:
            raise RuntimeError(f"driver {n}: {what} answered {status}: {body}")
        return body

    signed_up = expect(*client.call("POST", "/v1/drivers", {
        "email": f"journey-{run}-{n}@example.com", "password": "correct horse battery",
        "full_name": f"Journey Driver {n}", "date_of_birth": "1990-05-17", "phone": "07700 900123",
        "postcode": "E1 6AN", "licence_number": "KHANA903124AK9XY", "licence_type": "full",
        "licence_issued_on": "2012-06-01"}), 201, "sign-up")
    token = signed_up["token"]
    vehicle = expect(*client.call("POST", "/v1/vehicles", {
        "registration": "AB12 CDE", "type": "car", "make": "Toyota", "model": "Prius", "year": 2019,
        "value_amount": 1200000}, token), 201, "vehicle")["id"]
    quote = expect(*client.call("POST", "/v1/quotes", {"vehicle_id": vehicle, "product": "payg",
                                                       "usage": "food_delivery"}, token), 201, "quote")["id"]
    expect(*client.call("POST", "/v1/policies", {"quote_id": quote}, token,
                        {"idempotency-key": str(uuid.uuid4())}), 201, "bind")
    card = expect(*client.call("POST", "/v1/payment-methods", {"token": "tok_visa"}, token), 201, "card")["id"]
    top_up = expect(*client.call("POST", "/v1/wallet/top-ups", {"amount": 5000, "payment_method_id": card}, token,
                                 {"idempotency-key": str(uuid.uuid4())}), 201, "top-up")
    if top_up.get("status") != "succeeded":
        raise RuntimeError(f"driver {n}: the top-up is {top_up.get('status')}")
    provider_id = f"jr-{run}-{n}"
    code = expect(*client.call("POST", "/v1/work-provider-links", {"provider": "deliveroo",
                                                                  "provider_driver_id": provider_id}, token),
                  201, "link request")["link_code"]
    body = json.dumps({"provider_driver_id": provider_id, "link_code": code}).encode()
    expect(*client.call("POST", "/v1/work-providers/deliveroo/link-confirmations", raw=body,
                        headers={"hourglass-signature": signature(secret, body)}), 200, "link confirmation")
    return {"token": token, "vehicle": vehicle, "card": card, "provider_id": provider_id}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--drivers", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    secret = os.environ.get("PROVIDER_DELIVEROO_SECRET")
    if not secret:
        sys.exit("set PROVIDER_DELIVEROO_SECRET (the server's) to sign the link confirmations")
    run = uuid.uuid4().hex[:8]
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=args.workers) as pool:
        drivers = list(pool.map(lambda n: make_driver(args.url, run, n, secret), range(1, args.drivers + 1)))
    with open(args.out, "w") as out:
        out.write("return {\n")
        for d in drivers:
            out.write('  {token="%s", vehicle="%s", card="%s", provider_id="%s"},\n'
                      % (d["token"], d["vehicle"], d["card"], d["provider_id"]))
        out.write("}\n")
    print(f"{len(drivers)} drivers in {time.monotonic() - started:.1f} s (run {run})", file=sys.stderr)


if __name__ == "__main__":
    main()
