#!/usr/bin/env python3
"""Login-start flood against a running bff-web: RSS before and after (SECURITY.md, "Anonymous
server-side state").

Sends N cookie-less `GET /auth/login?return_to=/<2 KB>` over keep-alive connections, round-robin
over A forwarded client addresses (`X-Forwarded-For: 198.51.100.x`, documentation addresses that
are never contacted; the BFF must trust the local peer: `server.rate_limit.trusted_proxies`),
then prints bff-web's VmRSS before, after, and after a pause, and the status counts.

    python3 bench/login-flood.py --port 18300 --pid <bff-web pid> [--requests 100000] [--addresses 100]

Only loopback is contacted; the loop is bounded by --requests.
"""

import argparse
import collections
import http.client
import threading
import time


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def worker(port, requests, addresses, offset, step, counts, lock):
    path = "/auth/login?return_to=/" + "a" * 2000
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    local = collections.Counter()
    for i in range(offset, requests, step):
        address = f"198.51.100.{i % addresses + 1}"
        connection.request("GET", path, headers={"X-Forwarded-For": address})
        response = connection.getresponse()
        response.read()
        local[response.status] += 1
        if response.getheader("Connection", "").lower() == "close":
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    with lock:
        counts.update(local)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--addresses", type=int, default=100)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    assert 1 <= args.addresses <= 254

    before = rss_kib(args.pid)
    counts, lock = collections.Counter(), threading.Lock()
    started = time.monotonic()
    threads = [
        threading.Thread(
            target=worker,
            args=(args.port, args.requests, args.addresses, t, args.threads, counts, lock),
        )
        for t in range(args.threads)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    after = rss_kib(args.pid)
    time.sleep(5)
    settled = rss_kib(args.pid)
    print(f"requests: {sum(counts.values())} in {elapsed:.1f} s; statuses: {dict(counts)}")
    print(f"RSS before: {before / 1024:.1f} MiB")
    print(f"RSS after:  {after / 1024:.1f} MiB (+{(after - before) / 1024:.1f} MiB)")
    print(f"RSS 5 s later: {settled / 1024:.1f} MiB (+{(settled - before) / 1024:.1f} MiB)")


if __name__ == "__main__":
    main()
