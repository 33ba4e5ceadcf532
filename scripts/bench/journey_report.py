#!/usr/bin/env python3
"""Turns journey.lua's JSON and the CPU tick counts into the README's markdown table.

  journey_report.py OUT_JSON --ticks-hz 100 --server-ticks N --pg-ticks N --psp-ticks N [--peer "compare line"]
"""
import argparse
import json

LABELS = [
    ("me", "`GET /v1/me`"),
    ("cover", "`GET /v1/cover`"),
    ("transactions", "`GET /v1/transactions`"),
    ("quote", "`POST /v1/quotes`"),
    ("shift", "`POST /v1/work-providers/deliveroo/events` (signed shift event)"),
    ("topup", "`POST /v1/wallet/top-ups` (keyed, card)"),
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("result")
    parser.add_argument("--ticks-hz", type=float, default=100)
    parser.add_argument("--server-ticks", type=int, default=0)
    parser.add_argument("--pg-ticks", type=int, default=0)
    parser.add_argument("--psp-ticks", type=int, default=0)
    parser.add_argument("--peer", default="", help="compare.sh's result line for /v1/me")
    parser.add_argument("--title", default="")
    args = parser.parse_args()
    with open(args.result) as f:
        result = json.load(f)
    routes = result["routes"]
    total = sum(r["requests"] for r in routes.values())
    print()
    if args.title:
        print(args.title)
        print()
    print("| route | share | req/s | p50 | p99 | non-2xx |")
    print("|---|---:|---:|---:|---:|---:|")
    for key, label in LABELS:
        r = routes[key]
        if r["requests"] == 0:
            continue
        print(f"| {label} | {100 * r['requests'] / max(total, 1):.0f}% | {r['rps']:,.0f} | {r['p50_ms']:.2f} ms "
              f"| {r['p99_ms']:.2f} ms | {r['non2xx']} |")
    print(f"| **all** | 100% | **{total / result['seconds']:,.0f}** | | | "
          f"{sum(r['non2xx'] for r in routes.values())} |")
    print()

    def per_request(ticks):
        return ticks / args.ticks_hz * 1e6 / max(total, 1)

    cpu = f"CPU per request (whole mix): server {per_request(args.server_ticks):.0f} µs"
    if args.pg_ticks:
        cpu += f", PostgreSQL {per_request(args.pg_ticks):.0f} µs (all its processes)"
    if args.psp_ticks:
        cpu += f"; the sandbox card processor, a separate process, {per_request(args.psp_ticks):.0f} µs"
    print(cpu + f". {total:,} requests in {result['seconds']:.1f} s; "
          f"5xx {sum(r['s5xx'] for r in routes.values())}, answers without our request id {result['unmatched']}, "
          f"socket errors {result['socket_errors']}, timeouts {result['timeouts']}.")
    if args.peer:
        # compare.sh: "/v1/me c64  ours_rps p50 p99  peer_rps p50 p99  ratio"
        f = args.peer.split()
        print()
        print("| case | Hourglass req/s, p50, p99 | peer req/s, p50, p99 | ours / peer |")
        print("|---|---|---|---|")
        print(f"| `GET /v1/me`, {f[1][1:]} connections | {int(float(f[2])):,}, {f[3]} ms, {f[4]} ms "
              f"| {int(float(f[5])):,}, {f[6]} ms, {f[7]} ms | **{f[8]}** |")


if __name__ == "__main__":
    main()
