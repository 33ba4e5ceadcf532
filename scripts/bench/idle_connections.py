#!/usr/bin/env python3
"""Holds N idle keep-alive connections open against a server, reports its RSS, and checks that
another client is still answered promptly meanwhile (issue #3's 10,000-connection goal)."""
import argparse, resource, selectors, socket, statistics, time

def rss_mb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--connections", type=int, default=10000)
    parser.add_argument("--path", default="/health/live")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, args.connections + 1024), hard))

    request = f"GET {args.path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode()
    before = rss_mb(args.pid)
    sockets, selector = [], selectors.DefaultSelector()
    start = time.monotonic()
    for _ in range(args.connections):
        connection = socket.create_connection(("127.0.0.1", args.port))
        connection.sendall(request)
        connection.setblocking(False)
        selector.register(connection, selectors.EVENT_READ)
        sockets.append(connection)
    answered = 0
    deadline = time.monotonic() + 60
    while answered < len(sockets) and time.monotonic() < deadline:
        for key, _ in selector.select(timeout=1):
            data = key.fileobj.recv(4096)
            if data.startswith(b"HTTP/1.1 200"):
                answered += 1
            selector.unregister(key.fileobj)
    opened = time.monotonic() - start
    time.sleep(1)
    held = rss_mb(args.pid)

    latencies = []
    probe = socket.create_connection(("127.0.0.1", args.port))
    for _ in range(200):
        t0 = time.monotonic()
        probe.sendall(request)
        response = probe.recv(4096)
        latencies.append((time.monotonic() - t0) * 1000)
        assert response.startswith(b"HTTP/1.1 200"), response[:40]
    latencies.sort()
    alive = sum(1 for s in sockets if s.fileno() != -1)
    print(f"idle keep-alive connections: {answered}/{args.connections} answered and held open ({opened:.1f} s to open)")
    print(f"server RSS: {before:.1f} MB before, {held:.1f} MB holding them ({(held - before) * 1024 / max(1, answered):.1f} KB each)")
    print(f"another client meanwhile: p50 {statistics.median(latencies):.2f} ms, p99 {latencies[int(len(latencies) * 0.99) - 1]:.2f} ms over 200 requests")
    for s in sockets:
        s.close()
    return 0 if answered == args.connections else 1

if __name__ == "__main__":
    raise SystemExit(main())
