"""Times admin pages as a member of staff loads them: signs in over HTTP (password, then the
TOTP code `hourglass staff code` prints), then fetches each page REQUESTS times one after
another on one keep-alive connection and prints the median, p95 and worst, in milliseconds.
Every response must be 200 with the page's title, or the run fails: a fast error page is no
figure at all.
  python3 admin_pages.py --port 18090 --bin .build/release/hourglass --email ops@bench.example \
      --page "Ops home=/admin/" --page "Driver 360=/admin/drivers/<id>"
"""

import argparse
import http.client
import re
import statistics
import subprocess
import sys
import time
import urllib.parse

PASSWORD = "correct horse battery staple"


class Staff:
    def __init__(self, port):
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port)
        self.cookies = {}

    def request(self, method, path, form=None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"http://127.0.0.1:{self.port}"
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        text = response.read().decode()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, response.getheader("Location"), text

    @staticmethod
    def csrf(page):
        return re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)

    def sign_in(self, email, binary):
        _, _, page = self.request("GET", "/admin/login")
        status, location, _ = self.request("POST", "/admin/login", {"csrf": self.csrf(page), "email": email, "password": PASSWORD})
        assert status == 303 and "/admin/mfa" in location, (status, location)
        _, _, page = self.request("GET", "/admin/mfa")
        code = subprocess.run([binary, "staff", "code", "--email", email], check=True, capture_output=True, text=True).stdout.strip()
        status, location, _ = self.request("POST", "/admin/mfa", {"csrf": self.csrf(page), "code": code})
        assert status == 303, (status, location)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--bin", required=True)
    parser.add_argument("--email", required=True)
    parser.add_argument("--page", action="append", required=True, help="Name=/admin/path")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    arguments = parser.parse_args()

    staff = Staff(arguments.port)
    staff.sign_in(arguments.email, arguments.bin)
    print(f"{'page':<28} {'requests':>8} {'median ms':>10} {'p95 ms':>8} {'max ms':>8} {'KiB':>6}")
    failed = False
    for entry in arguments.page:
        name, _, path = entry.partition("=")
        samples = []
        size = 0
        for attempt in range(arguments.warmup + arguments.requests):
            started = time.perf_counter()
            status, _, text = staff.request("GET", path)
            elapsed = (time.perf_counter() - started) * 1000
            if status != 200 or "<title>" not in text:
                print(f"{name}: {path} answered {status}", file=sys.stderr)
                failed = True
                break
            size = len(text.encode())
            if attempt >= arguments.warmup:
                samples.append(elapsed)
        if samples:
            samples.sort()
            p95 = samples[max(0, int(round(0.95 * len(samples))) - 1)]
            print(f"{name:<28} {len(samples):>8} {statistics.median(samples):>10.1f} {p95:>8.1f} {samples[-1]:>8.1f} {size / 1024:>6.0f}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
