#!/usr/bin/env python3
"""The drivers' side of the money drills (issue #14): scripts/bench/psp-faults and
scripts/bench/pg-restart run it. Each drill is three steps with a JSON state file between them,
so that the shell script can start and stop processes (the recovery worker, PostgreSQL) in
between:

  drill_client.py setup    STATE --api URL --drivers N [--link-provider]
  drill_client.py topups   STATE --api URL --psp URL --psp-key KEY --count N ...   (psp-faults)
  drill_client.py mixed    STATE --api URL --seconds S --restart CMD ...          (pg-restart)
  drill_client.py check    STATE --api URL --psp URL --psp-key KEY --db URL ...

A client behaves as a phone app: a request without an answer, a 5xx or a 409 is sent again
with the same Idempotency-Key after a growing pause, for a bounded time. Our books are then
checked against the card processor's own records (its test-helper API, which faults never
touch) and against what the clients were told.
"""
import argparse
import concurrent.futures
import hashlib
import hmac
import http.client
import json
import os
import random
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid


def request(base, method, path, body=None, token=None, headers=None, timeout=40):
    """(status, parsed JSON or None); status 0 when no answer came."""
    url = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
    data = None
    all_headers = dict(headers or {})
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        all_headers.setdefault("Content-Type", "application/json")
    if token:
        all_headers["Authorization"] = "Bearer " + token
    try:
        connection.request(method, path, body=data, headers=all_headers)
        response = connection.getresponse()
        text = response.read()
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = None
        return response.status, parsed
    except (OSError, http.client.HTTPException):
        return 0, None
    finally:
        connection.close()


def retrying(send, patience):
    """Calls send() until it gets a final answer (2xx, or a 4xx other than 409) or `patience`
    seconds pass; returns (status, body, history) with history [(time, status), ...]."""
    history, pause, started = [], 0.1, time.time()
    while True:
        status, body = send()
        history.append((time.time(), status))
        if 200 <= status < 300 or (400 <= status < 500 and status != 409):
            return status, body, history
        if time.time() - started + pause > patience:
            return status, body, history
        time.sleep(pause)
        pause = min(pause * 2, 2.0)


def sign(secret, body):
    stamp = str(int(time.time()))
    mac = hmac.new(secret.encode(), (stamp + ".").encode() + body, hashlib.sha256).hexdigest()
    return "t=%s,v1=%s" % (stamp, mac)


def sign_up(api, index, link_provider, provider_secret):
    body = {"email": "drill-%d-%s@example.com" % (index, uuid.uuid4().hex[:8]), "password": "correct horse battery",
            "full_name": "Drill Driver", "date_of_birth": "1990-03-12", "phone": "07700 900123", "postcode": "e1 6an",
            "licence_number": "KHANA903124AK9XY", "licence_type": "full", "licence_issued_on": "2015-06-01"}
    status, created = retrying(lambda: request(api, "POST", "/v1/drivers", body), 30)[:2]
    if status != 201:
        raise SystemExit("sign-up failed: %s %s" % (status, created))
    token = created["token"]
    vehicle = {"registration": "ab12 cde", "type": "car", "make": "Toyota", "model": "Prius", "year": 2019, "value_amount": 1200000}
    status, car = retrying(lambda: request(api, "POST", "/v1/vehicles", vehicle, token), 30)[:2]
    if status != 201:
        raise SystemExit("vehicle failed: %s %s" % (status, car))
    status, card = retrying(lambda: request(api, "POST", "/v1/payment-methods", {"token": "tok_visa"}, token), 30)[:2]
    if status != 201:
        raise SystemExit("card failed: %s %s" % (status, card))
    driver = {"id": created["driver"]["id"], "token": token, "vehicle_id": car["id"], "card": card["id"]}
    if link_provider:
        rider = "drill-rider-%d-%s" % (index, uuid.uuid4().hex[:6])
        status, link = request(api, "POST", "/v1/work-provider-links", {"provider": "deliveroo", "provider_driver_id": rider}, token)
        if status != 201:
            raise SystemExit("link request failed: %s %s" % (status, link))
        confirm = json.dumps({"provider_driver_id": rider, "link_code": link["link_code"]}).encode()
        status, confirmed = request(api, "POST", "/v1/work-providers/deliveroo/link-confirmations", confirm,
                                    headers={"Hourglass-Signature": sign(provider_secret, confirm)})
        if status not in (200, 201):
            raise SystemExit("link confirmation failed: %s %s" % (status, confirmed))
        driver["rider"] = rider
    return driver


def setup(args):
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        drivers = list(pool.map(lambda i: sign_up(args.api, i, args.link_provider, args.provider_secret), range(args.drivers)))
    save(args.state, {"drivers": drivers, "requests": []})
    print("set up %d drivers with a card%s" % (len(drivers), " and a linked provider account" if args.link_provider else ""))


def top_up(api, driver, amount, patience):
    key = "topup-" + uuid.uuid4().hex
    status, body, history = retrying(lambda: request(api, "POST", "/v1/wallet/top-ups", {"amount": amount, "payment_method_id": driver["card"]},
                                                     driver["token"], {"Idempotency-Key": key}), patience)
    return {"kind": "top_up", "driver": driver["id"], "key": key, "amount": amount, "status": status, "history": history,
            "payment": (body or {}).get("id") if 200 <= status < 300 else None,
            "payment_status": (body or {}).get("status") if 200 <= status < 300 else None}


def topups(args):
    state = load(args.state)
    drivers = state["drivers"]
    request(args.psp, "POST", "/v1/test_helpers/faults", {"rate": args.fault_rate, "faults": args.faults.split(","), "seed": args.seed,
                                                          "latency_ms": args.latency_ms, "timeout_ms": args.timeout_ms},
            headers={"Authorization": "Bearer " + args.psp_key})
    rng = random.Random(args.seed)
    # Some clients never retry (the app was closed): their unanswered payments are the
    # recovery job's to settle.
    plan = [(drivers[i % len(drivers)], rng.choice([500, 1000, 1500, 2000, 2500]), 0 if rng.random() < args.abandon else args.patience)
            for i in range(args.count)]
    started = time.time()
    with concurrent.futures.ThreadPoolExecutor(args.concurrency) as pool:
        results = list(pool.map(lambda item: top_up(args.api, item[0], item[1], item[2]), plan))
    elapsed = time.time() - started
    status, faults = request(args.psp, "GET", "/v1/test_helpers/faults", headers={"Authorization": "Bearer " + args.psp_key})
    if args.recovery_fault_rate is not None:
        request(args.psp, "POST", "/v1/test_helpers/faults", {"rate": args.recovery_fault_rate, "faults": args.faults.split(","),
                                                              "seed": args.seed + 1}, headers={"Authorization": "Bearer " + args.psp_key})
    state["requests"] = results
    state["faults"] = faults
    state["load_seconds"] = elapsed
    save(args.state, state)


def mixed(args):
    """Each driver: keyed top-ups, one keyed policy binding and signed shift events, for
    `seconds`; `restart` runs once, `restart_after` seconds in, and the moment it returns is
    when the database is back."""
    state = load(args.state)
    drivers = state["drivers"]
    results, lock, stop_at = [], threading.Lock(), time.time() + args.seconds
    timing = {}

    def shift_event(driver, number):
        event_id = "drill-%s-%d" % (driver["rider"], number)
        kind = "shift_started" if number % 2 == 0 else "shift_ended"
        payload = json.dumps({"event_id": event_id, "provider_driver_id": driver["rider"], "type": kind,
                              "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}).encode()
        status, body, history = retrying(lambda: request(args.api, "POST", "/v1/work-providers/deliveroo/events", payload,
                                                         headers={"Hourglass-Signature": sign(args.provider_secret, payload)}), args.patience)
        return {"kind": "shift_event", "driver": driver["id"], "key": event_id, "status": status, "history": history}

    def bind(driver):
        status, quote, history = retrying(lambda: request(args.api, "POST", "/v1/quotes", {"vehicle_id": driver["vehicle_id"], "product": "payg",
                                                                                          "usage": "food_delivery"}, driver["token"]), args.patience)
        if status != 201:
            return {"kind": "quote", "driver": driver["id"], "key": "", "status": status, "history": history}
        key = "bind-" + uuid.uuid4().hex
        status, policy, history = retrying(lambda: request(args.api, "POST", "/v1/policies", {"quote_id": quote["id"]}, driver["token"],
                                                           {"Idempotency-Key": key}), args.patience)
        return {"kind": "binding", "driver": driver["id"], "key": key, "status": status, "history": history,
                "policy": (policy or {}).get("id") if 200 <= status < 300 else None}

    def run(driver):
        mine, number = [bind(driver)], 0
        while time.time() < stop_at:
            mine.append(top_up(args.api, driver, 500, args.patience))
            mine.append(shift_event(driver, number))
            number += 1
            time.sleep(args.pause)
        with lock:
            results.extend(mine)

    def restart():
        time.sleep(args.restart_after)
        timing["restart_started"] = time.time()
        done = subprocess.run(args.restart, shell=True)
        timing["database_back"] = time.time()
        timing["restart_status"] = done.returncode

    threads = [threading.Thread(target=run, args=(driver,)) for driver in drivers] + [threading.Thread(target=restart)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    state["requests"], state["timing"] = results, timing
    save(args.state, state)


def psql(db, sql):
    out = subprocess.run(["psql", db, "-XtA", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-c", sql], capture_output=True, text=True, check=True)
    return [line.split("\t") for line in out.stdout.splitlines() if line]


def check(args):
    state = load(args.state)
    drivers, requests = state["drivers"], state["requests"]
    problems = []
    driver_ids = "ARRAY[%s]::uuid[]" % ",".join("'%s'" % d["id"] for d in drivers)
    # Recovery: every payment of the drill settles (the shell started the worker just before).
    started, left = time.time(), None
    while time.time() - started < args.recovery_wait:
        left = int(psql(args.db, "SELECT count(*) FROM payments.payments WHERE driver_id = ANY(%s) AND status IN ('processing', 'requires_action')"
                        % driver_ids)[0][0])
        if left == 0:
            break
        time.sleep(0.5)
    recovery_seconds = time.time() - (args.recovery_started or started)
    if left:
        problems.append("%d payments still unsettled after %d s of recovery" % (left, args.recovery_wait))

    status, listed = request(args.psp, "GET", "/v1/test_helpers/intents", headers={"Authorization": "Bearer " + args.psp_key})
    if status != 200:
        raise SystemExit("cannot list the processor's intents: %s" % status)
    charged = [i for i in listed["data"] if i["status"] == "succeeded"]
    by_payment = {}
    for intent in charged:
        by_payment.setdefault(intent["metadata"].get("payment_id"), []).append(intent)
    twice = [p for p, found in by_payment.items() if len(found) > 1]
    if twice:
        problems.append("%d payments charged more than once at the processor" % len(twice))
    payments = {row[0]: row for row in psql(args.db, "SELECT id, driver_id, status, amount FROM payments.payments WHERE driver_id = ANY(%s)" % driver_ids)}
    booked = {}
    for row in psql(args.db, "SELECT related_id, count(*), sum(amount) FROM ledger.transactions WHERE kind = 'top_up' AND driver_id = ANY(%s) GROUP BY related_id" % driver_ids):
        booked[row[0]] = (int(row[1]), int(row[2]))
    unbooked = [p for p in by_payment if p not in booked]
    if unbooked:
        problems.append("%d charges at the processor without a ledger entry" % len(unbooked))
    double = [p for p, (count, _) in booked.items() if count > 1]
    if double:
        problems.append("%d payments booked more than once" % len(double))
    phantom = [p for p in booked if p not in by_payment]
    if phantom:
        problems.append("%d top-ups booked that the processor never charged" % len(phantom))
    not_succeeded = [p for p in by_payment if payments.get(p, [None, None, None])[2] != "succeeded"]
    if not_succeeded:
        problems.append("%d charges whose payment is not recorded as succeeded" % len(not_succeeded))

    # Per driver: the top-ups booked equal the processor's charges; with no cover charged in
    # the drill (no shift events), the wallet itself does too.
    booked_by_driver = {row[0]: int(row[1]) for row in psql(args.db, "SELECT driver_id, sum(amount) FROM ledger.transactions WHERE kind = 'top_up' AND driver_id = ANY(%s) GROUP BY driver_id" % driver_ids)}
    spends = any(r["kind"] == "shift_event" for r in requests)
    wallet_mismatch = 0
    for driver in drivers:
        expected = sum(i["amount"] for p, found in by_payment.items() for i in found[:1] if payments.get(p, [None, None])[1] == driver["id"])
        if booked_by_driver.get(driver["id"], 0) != expected:
            wallet_mismatch += 1
            continue
        if not spends:
            status, wallet = retrying(lambda: request(args.api, "GET", "/v1/wallet", token=driver["token"]), 30)[:2]
            if status != 200 or wallet["balance_amount"] != expected:
                wallet_mismatch += 1
    if wallet_mismatch:
        problems.append("%d wallets differ from the processor's successful charges" % wallet_mismatch)

    # What the clients were told must be in the database, once.
    told = [r for r in requests if r["kind"] == "top_up" and 200 <= r["status"] < 300]
    lost = [r for r in told if r["payment"] not in payments or (r["payment_status"] == "succeeded" and r["payment"] not in booked)]
    if lost:
        problems.append("%d top-ups answered 2xx that are not in the database" % len(lost))
    bindings = [r for r in requests if r["kind"] == "binding" and 200 <= r["status"] < 300]
    if bindings:
        policies = {row[0]: int(row[1]) for row in psql(args.db, "SELECT driver_id, count(*) FROM policies.policies WHERE driver_id = ANY(%s) GROUP BY driver_id" % driver_ids)}
        for r in bindings:
            if policies.get(r["driver"], 0) != 1:
                problems.append("driver %s bound once but has %d policies" % (r["driver"], policies.get(r["driver"], 0)))
    events = [r for r in requests if r["kind"] == "shift_event" and 200 <= r["status"] < 300]
    if events:
        stored = {row[0] for row in psql(args.db, "SELECT event_id FROM work_providers.events WHERE provider = 'deliveroo' AND event_id LIKE 'drill-%'")}
        missing = [r for r in events if r["key"] not in stored]
        if missing:
            problems.append("%d shift events answered 2xx that are not stored" % len(missing))
    invariants = subprocess.run([os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "check-invariants"), args.db],
                                capture_output=True, text=True)
    if invariants.returncode != 0:
        problems.append("invariants broken: " + invariants.stderr.strip().replace("\n", "; ")[:400])

    summary = {"recovery_seconds": recovery_seconds, "unsettled": args.unsettled, "charged": len(charged), "booked": sum(c for c, _ in booked.values()),
               "twice": len(twice), "unbooked": len(unbooked), "wallet_mismatches": wallet_mismatch}
    timing = state.get("timing")
    if timing:
        back = timing["database_back"]
        late = [r for r in requests if any(s == 409 and t > back + args.answer_within for t, s in r["history"])]
        unanswered = [r for r in requests if not (200 <= r["status"] < 500) or r["status"] == 409]
        slowest = max([r["history"][-1][0] - back for r in requests if r["history"][0][0] < back and len(r["history"]) > 1] or [0])
        summary.update(late_409=len(late), unanswered=len(unanswered), slowest_retry_after_back=slowest)
        if late:
            problems.append("%d keys still answered 409 more than %g s after the database was back" % (len(late), args.answer_within))
        if unanswered:
            problems.append("%d requests never got a final answer" % len(unanswered))
        health_started = time.time()
        while request(args.api, "GET", "/health")[0] != 200 and time.time() - health_started < 30:
            time.sleep(0.2)
        if request(args.api, "GET", "/health")[0] != 200:
            problems.append("/health is not green 30 s after the load")
    state["summary"], state["problems"] = summary, problems
    save(args.state, state)
    report(state)
    sys.exit(1 if problems else 0)


def report(state):
    requests, summary = state["requests"], state["summary"]
    kinds = sorted({r["kind"] for r in requests})
    print("---- summary ----")
    for kind in kinds:
        mine = [r for r in requests if r["kind"] == kind]
        ok = sum(1 for r in mine if 200 <= r["status"] < 300)
        retries = sum(len(r["history"]) - 1 for r in mine)
        conflicts = sum(1 for r in mine for _, s in r["history"] if s == 409)
        print("%-12s %5d sent  %5d ok (2xx)  %4d failed  %5d retries  %4d answers of 409" % (kind, len(mine), ok, len(mine) - ok, retries, conflicts))
        last = {}
        for r in mine:
            if not 200 <= r["status"] < 300:
                last[r["status"]] = last.get(r["status"], 0) + 1
        if last:
            print("%-12s failed with final status: %s (0: no answer)" % ("", ", ".join("%d × %d" % (n, s) for s, n in sorted(last.items()))))
    topups = [r for r in requests if r["kind"] == "top_up" and 200 <= r["status"] < 300]
    if topups:
        print("top-ups answered succeeded: %d, failed (card): %d" % (sum(1 for r in topups if r["payment_status"] == "succeeded"),
                                                                   sum(1 for r in topups if r["payment_status"] == "failed")))
    if "faults" in state and state["faults"]:
        injected = state["faults"]["injected"]
        print("faults injected: %d of %d processor calls (%s)" % (sum(injected.values()), state["faults"]["calls"],
                                                                  ", ".join("%s %d" % kv for kv in sorted(injected.items()))))
    if "load_seconds" in state:
        print("load: %.1f s" % state["load_seconds"])
    timing = state.get("timing")
    if timing:
        print("restart: pg_ctl took %.1f s (exit %d); slowest retried request answered %.1f s after the database was back"
              % (timing["database_back"] - timing["restart_started"], timing["restart_status"], summary["slowest_retry_after_back"]))
        print("keys answered 409 after the database was back (beyond the grace): %d; requests never answered: %d"
              % (summary["late_409"], summary["unanswered"]))
    if summary.get("unsettled") is not None:
        print("left unsettled by the load (for the recovery job): %d payments" % summary["unsettled"])
    print("recovery: %.1f s; processor charges %d, booked %d, charged twice %d, unbooked %d, wallet mismatches %d"
          % (summary["recovery_seconds"], summary["charged"], summary["booked"], summary["twice"], summary["unbooked"], summary["wallet_mismatches"]))
    print("mismatches: %d" % len(state["problems"]))
    for problem in state["problems"]:
        print("  FAIL: " + problem)


def load(path):
    with open(path) as handle:
        return json.load(handle)


def save(path, state):
    with open(path, "w") as handle:
        json.dump(state, handle)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("step", choices=["setup", "topups", "mixed", "check"])
    parser.add_argument("state")
    parser.add_argument("--api", required=True)
    parser.add_argument("--psp")
    parser.add_argument("--psp-key")
    parser.add_argument("--db")
    parser.add_argument("--drivers", type=int, default=100)
    parser.add_argument("--link-provider", action="store_true")
    parser.add_argument("--provider-secret", default=os.environ.get("PROVIDER_DELIVEROO_SECRET", ""))
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=1000)
    parser.add_argument("--fault-rate", type=float, default=0.1)
    parser.add_argument("--faults", default="latency,5xx,timeout,drop")
    parser.add_argument("--latency-ms", type=int, default=500)
    parser.add_argument("--timeout-ms", type=int, default=16000)
    parser.add_argument("--recovery-fault-rate", type=float)
    parser.add_argument("--abandon", type=float, default=0.1, help="share of top-ups whose client never retries")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--patience", type=float, default=60, help="seconds a client keeps retrying one key")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--pause", type=float, default=0.05)
    parser.add_argument("--restart")
    parser.add_argument("--restart-after", type=float, default=8)
    parser.add_argument("--recovery-wait", type=float, default=120)
    parser.add_argument("--answer-within", type=float, default=5)
    parser.add_argument("--recovery-started", type=float, help="when the recovery worker was started (epoch seconds)")
    parser.add_argument("--unsettled", type=int, help="payments left unsettled when the load ended")
    args = parser.parse_args()
    {"setup": setup, "topups": topups, "mixed": mixed, "check": check}[args.step](args)


if __name__ == "__main__":
    main()
