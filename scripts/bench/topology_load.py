#!/usr/bin/env python3
"""Driver-journey load across several `hourglass serve` processes, for scripts/bench/topology.

Round robin on the client side (the load balancer): request n goes to server n mod N, over
keep-alive connections, one per (thread, server). A poller asks every server's /health every
200 ms throughout. Mix per driver: GET /v1/me, GET /v1/cover, GET /v1/transactions,
POST /v1/quotes, keyed top-ups (each key sent twice, to two different servers: the second must
be the first's replay) and signed Deliveroo shift events (started/ended, some delivered twice,
to two servers). Writes a JSON summary (statuses, latencies per route, health failures, what
it sent) for the shell script to check against the database. Python standard library only.
"""
import argparse
import hashlib
import hmac
import http.client
import json
import random
import threading
import time
import uuid
from datetime import datetime, timezone


def now_text():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class Balancer:
    """Hands out server ports in turn; one keep-alive connection per (thread, server)."""

    def __init__(self, ports):
        self.ports = ports
        self.counter = 0
        self.lock = threading.Lock()
        self.local = threading.local()

    def next_port(self, avoid=None):
        with self.lock:
            self.counter += 1
            port = self.ports[self.counter % len(self.ports)]
        if avoid is not None and port == avoid and len(self.ports) > 1:
            port = self.ports[(self.ports.index(port) + 1) % len(self.ports)]
        return port

    def request(self, method, path, body=None, headers=None, port=None):
        port = port or self.next_port()
        connections = self.local.__dict__.setdefault("connections", {})
        data = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        all_headers = {"Content-Type": "application/json"} if data else {}
        all_headers.update(headers or {})
        for attempt in range(2):
            connection = connections.get(port) or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connections[port] = connection
            try:
                start = time.monotonic()
                connection.request(method, path, body=data or None, headers=all_headers)
                response = connection.getresponse()
                payload = response.read()
                elapsed = time.monotonic() - start
                return port, response.status, dict(response.getheaders()), payload, elapsed
            except (http.client.HTTPException, OSError):
                connection.close()
                connections.pop(port, None)
                if attempt == 1:
                    raise
        raise RuntimeError("unreachable")


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.routes = {}
        self.errors = []

    def record(self, route, status, elapsed):
        with self.lock:
            entry = self.routes.setdefault(route, {"statuses": {}, "latencies": []})
            entry["statuses"][str(status)] = entry["statuses"].get(str(status), 0) + 1
            entry["latencies"].append(elapsed)

    def error(self, text):
        with self.lock:
            if len(self.errors) < 50:
                self.errors.append(text)


def sign(secret, body):
    stamp = int(time.time())
    mac = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={mac}"


class Driver:
    """One signed-up driver with a PAYG policy, a card and a Deliveroo link."""

    def __init__(self, index, balancer, secret):
        self.index, self.balancer, self.secret = index, balancer, secret
        self.rider = f"topology-{uuid.uuid4().hex[:12]}"
        self.shift = None
        self.lock = threading.Lock()

    def call(self, method, path, body=None, headers=None, port=None, expect=(200, 201)):
        all_headers = {"Authorization": f"Bearer {self.token}"} if getattr(self, "token", None) else {}
        all_headers.update(headers or {})
        _, status, _, payload, _ = self.balancer.request(method, path, body, all_headers, port)
        if status not in expect:
            raise RuntimeError(f"{method} {path}: {status} {payload[:200]!r}")
        return json.loads(payload) if payload else {}

    def set_up(self):
        signed_up = self.call("POST", "/v1/drivers", {
            "email": f"{self.rider}@example.com", "password": "correct horse battery", "full_name": "Topology Driver",
            "date_of_birth": "1991-04-02", "phone": "07700 900456", "postcode": "e1 6an",
            "licence_number": "DRIVE904021TD9AB", "licence_type": "full", "licence_issued_on": "2012-06-01"})
        self.token, self.id = signed_up["token"], signed_up["driver"]["id"]
        self.vehicle = self.call("POST", "/v1/vehicles", {"registration": "ab12 cde", "type": "car", "make": "Toyota",
                                                          "model": "Prius", "year": 2019, "value_amount": 1_200_000})["id"]
        quote = self.call("POST", "/v1/quotes", {"vehicle_id": self.vehicle, "product": "payg", "usage": "food_delivery"})
        self.policy = self.call("POST", "/v1/policies", {"quote_id": quote["id"]})["id"]
        self.card = self.call("POST", "/v1/payment-methods", {"token": "tok_visa"})["id"]
        code = self.call("POST", "/v1/work-provider-links", {"provider": "deliveroo", "provider_driver_id": self.rider})["link_code"]
        self.provider_call("/v1/work-providers/deliveroo/link-confirmations", {"provider_driver_id": self.rider, "link_code": code})

    def provider_call(self, path, event, port=None):
        body = json.dumps(event, sort_keys=True).encode()
        _, status, _, payload, elapsed = self.balancer.request(
            "POST", path, body, {"Hourglass-Signature": sign(self.secret, body)}, port)
        if status not in (200, 201, 202):
            raise RuntimeError(f"POST {path}: {status} {payload[:200]!r}")
        return status, elapsed


def journey_step(driver, stats, sent, rng):
    balancer = driver.balancer
    auth = {"Authorization": f"Bearer {driver.token}"}
    roll = rng.random()
    if roll < 0.30:
        route, (_, status, _, _, elapsed) = "GET /v1/me", balancer.request("GET", "/v1/me", headers=auth)
    elif roll < 0.50:
        route, (_, status, _, _, elapsed) = "GET /v1/cover", balancer.request("GET", "/v1/cover", headers=auth)
    elif roll < 0.60:
        route, (_, status, _, _, elapsed) = "GET /v1/transactions", balancer.request("GET", "/v1/transactions", headers=auth)
    elif roll < 0.70:
        body = {"vehicle_id": driver.vehicle, "product": "payg", "usage": "food_delivery"}
        route, (_, status, _, _, elapsed) = "POST /v1/quotes", balancer.request("POST", "/v1/quotes", body, auth)
    elif roll < 0.80:
        route = "POST /v1/wallet/top-ups"
        key = str(uuid.uuid4())
        body = {"amount": rng.choice([500, 1000, 2000]), "payment_method_id": driver.card}
        headers = dict(auth, **{"Idempotency-Key": key})
        first_port, status, _, first, elapsed = balancer.request("POST", "/v1/wallet/top-ups", body, headers)
        # The same key again, through the other server: the replay, never a second charge.
        _, again, replay_headers, second, _ = balancer.request("POST", "/v1/wallet/top-ups", body, headers,
                                                               port=balancer.next_port(avoid=first_port))
        with stats.lock:
            sent["top_up_keys"] += 1
            if status == 201:
                sent["top_ups_succeeded"] += 1
            if (again, second) != (status, first) or replay_headers.get("idempotent-replayed") != "true":
                sent["replay_mismatches"] += 1
                stats.errors.append(f"replay of {key}: {status} then {again}") if len(stats.errors) < 50 else None
    else:
        route = "POST shift event"
        with driver.lock:
            if driver.shift is None:
                driver.shift, kind = str(uuid.uuid4()), "shift_started"
            else:
                kind = "shift_ended"
            event = {"event_id": str(uuid.uuid4()), "provider_driver_id": driver.rider, "type": kind,
                     "occurred_at": now_text(), "shift_id": driver.shift}
            if kind == "shift_ended":
                driver.shift = None
            status, elapsed = event_status(driver, event)
            with stats.lock:
                sent["shift_events"] += 1
            if rng.random() < 0.2:  # providers retry deliveries: the same event, another server
                event_status(driver, event)
                with stats.lock:
                    sent["shift_event_redeliveries"] += 1
    stats.record(route, status, elapsed)


def event_status(driver, event):
    body = json.dumps(event, sort_keys=True).encode()
    _, status, _, _, elapsed = driver.balancer.request(
        "POST", "/v1/work-providers/deliveroo/events", body, {"Hourglass-Signature": sign(driver.secret, body)})
    return status, elapsed


def poll_health(ports, stop, health):
    connections = {}
    while not stop.is_set():
        for port in ports:
            try:
                connection = connections.get(port) or http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connections[port] = connection
                connection.request("GET", "/health")
                response = connection.getresponse()
                response.read()
                status = response.status
            except (http.client.HTTPException, OSError) as error:
                connections.pop(port, None)
                status = f"error: {error}"
            health["checks"] += 1
            if status != 200:
                health["failures"].append(f"{port} at {now_text()}: {status}")
        stop.wait(0.2)


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ports", required=True, help="comma-separated server ports")
    parser.add_argument("--drivers", type=int, default=100)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--secret", required=True, help="PROVIDER_DELIVEROO_SECRET")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    ports = [int(port) for port in args.ports.split(",")]
    balancer, stats = Balancer(ports), Stats()
    sent = {"top_up_keys": 0, "top_ups_succeeded": 0, "replay_mismatches": 0, "shift_events": 0, "shift_event_redeliveries": 0}
    health = {"checks": 0, "failures": []}
    stop = threading.Event()
    poller = threading.Thread(target=poll_health, args=(ports, stop, health), daemon=True)
    poller.start()

    drivers = [Driver(index, balancer, args.secret) for index in range(args.drivers)]
    setup_failures = []

    def set_up(chunk):
        for driver in chunk:
            try:
                driver.set_up()
            except Exception as error:  # noqa: BLE001 - every failure is reported, none hidden
                setup_failures.append(f"driver {driver.index}: {error}")
    started = time.monotonic()
    workers = [threading.Thread(target=set_up, args=(drivers[i::args.threads],)) for i in range(args.threads)]
    for worker in workers: worker.start()
    for worker in workers: worker.join()
    setup_seconds = time.monotonic() - started
    ready = [driver for driver in drivers if hasattr(driver, "card")]

    deadline = time.monotonic() + args.duration

    def run(seed):
        rng = random.Random(seed)
        while time.monotonic() < deadline and ready:
            try:
                journey_step(rng.choice(ready), stats, sent, rng)
            except Exception as error:  # noqa: BLE001
                stats.error(f"request failed: {error}")
                stats.record("transport error", 0, 0.0)
    started = time.monotonic()
    workers = [threading.Thread(target=run, args=(seed,)) for seed in range(args.threads)]
    for worker in workers: worker.start()
    for worker in workers: worker.join()
    load_seconds = time.monotonic() - started
    # Every shift still open ends now, so the checks see closed sessions.
    for driver in ready:
        if driver.shift:
            event = {"event_id": str(uuid.uuid4()), "provider_driver_id": driver.rider, "type": "shift_ended",
                     "occurred_at": now_text(), "shift_id": driver.shift}
            status, _ = event_status(driver, event)
            stats.record("POST shift event", status, 0.0)
            sent["shift_events"] += 1
            driver.shift = None
    stop.set()
    poller.join()

    routes = {}
    for route, entry in sorted(stats.routes.items()):
        latencies = entry["latencies"]
        routes[route] = {"count": len(latencies), "statuses": entry["statuses"],
                         "p50_ms": round(percentile(latencies, 0.50) * 1000, 1), "p99_ms": round(percentile(latencies, 0.99) * 1000, 1)}
    total = sum(route["count"] for route in routes.values())
    five_xx = sum(count for route in routes.values() for status, count in route["statuses"].items() if status.startswith("5"))
    summary = {"drivers_ready": len(ready), "setup_seconds": round(setup_seconds, 1), "setup_failures": setup_failures[:20],
               "load_seconds": round(load_seconds, 1), "requests": total, "requests_per_second": round(total / load_seconds, 1),
               "five_xx": five_xx, "transport_errors": routes.get("transport error", {}).get("count", 0),
               "routes": routes, "sent": sent, "health_checks": health["checks"], "health_failures": health["failures"][:50],
               "errors": stats.errors, "driver_ids": [driver.id for driver in ready]}
    with open(args.out, "w") as out:
        json.dump(summary, out, indent=1)


if __name__ == "__main__":
    main()
