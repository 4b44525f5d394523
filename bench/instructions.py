#!/usr/bin/env python3
"""Instructions per request of the BFFs' cold screens, counted by callgrind: a figure that does not
move with the machine's load, for A/B comparisons of two builds and for ratios such as GraphQL ÷ REST.

    bench/instructions.py                       # target/release binaries, every screen
    bench/instructions.py --only web-            # the screens whose key starts so
    bench/instructions.py --web /tmp/old/bff-web --web target/release/bff-web   # A/B of two builds
    bench/instructions.py --only mobile-product --keep /tmp/cg    # then: callgrind_annotate /tmp/cg/cg-*.out.1
    bench/instructions.py --only product --minimal                 # and the minimal BFF beside each
    bench/instructions.py --screen-cache                            # the cached screens (screen cache hits)

CPU time per request (bench/run.sh) stays the figure of the goals: instructions leave out cache
misses and the kernel, so a change that allocates less can gain more time than instructions, and a
ratio of instructions is not a ratio of time (bench/RESULTS.md has both, side by side). This tool is
for deciding whether a change helps when the machine is too noisy for time to tell.

Each BFF runs under `valgrind --tool=callgrind` (about 50× slower) with every cache off (or, with
`--upstream-cache`, the upstream caches on and 50 ids warmed up: screens built from cache hits;
with `--screen-cache`, the screen cache on too and 10 ids warmed up: every answer a kept screen,
well within the offers' 5 s freshness),
against the demo upstreams (zero injected latency, not under valgrind). Per screen: WARMUP requests, then the
counters are zeroed, N requests one after the other on one keep-alive connection (ids p00001… in
turn), and the counters dumped. Every answer must be 200 (and a GraphQL answer free of errors).
Needs valgrind (`apt-get install valgrind`) and target/release/demo-upstreams.
"""

from __future__ import annotations

import argparse
import glob
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time

from bench import IDS, graphql_query

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RELEASE = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release")
SERVICES = ["catalog", "offers", "reviews", "recommendations", "accounts"]
UPSTREAM_PORT = 17201


# key: (BFF, method, path; `{id}` is replaced by the rotating product id, GraphQL when body is set)
SCREENS = {
    "web-product": ("web", "/api/products/{id}", False),
    "web-graphql": ("web", "/graphql", True),
    "web-home": ("web", "/api/home", False),
    "mobile-product": ("mobile", "/v1/products/{id}", False),
    "mobile-home": ("mobile", "/v1/home", False),
}
RATIOS = [("web-graphql", "web-product", "GraphQL product page ÷ REST /api/products/{id}")]
# The screens the minimal BFF (bench/floor-client `--mode serve`, bench/README.md) serves, and the
# ones its `--decode least` variant decodes differently (it answers the web pages as `same` does).
MINIMAL_SCREENS = ["mobile-product", "web-product", "mobile-home", "web-home"]
LEAST_SCREENS = ["mobile-product", "mobile-home"]
MINIMAL = os.path.join(ROOT, "bench", "floor-client", "target", "release", "floor-client")


def wait_healthy(port: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/healthz")
            if c.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"nothing healthy on port {port} after {seconds:.0f} s")


def requests(port: int, path: str, graphql: bool, count: int, start: int, ids: int) -> None:
    """`count` requests on one connection; exits on any answer that is not a clean 200."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    query = graphql_query() if graphql else None
    for i in range(start, start + count):
        pid = "p%05d" % (i % ids + 1)
        headers = {"X-CSRF": "1"}
        if graphql:
            headers["Content-Type"] = "application/json"
            c.request("POST", path, json.dumps({"query": query, "variables": {"id": pid}}), headers)
        else:
            c.request("GET", path.replace("{id}", pid), headers=headers)
        r = c.getresponse()
        body = r.read()
        if r.status != 200 or (graphql and b'"errors"' in body):
            raise SystemExit(f"{path} ({pid}): {r.status} {body[:300]!r}")


def bff_env(kind: str, port: int, upstream_cache: bool, screen_cache: bool) -> dict:
    prefix = "BFF_WEB" if kind == "web" else "BFF_MOBILE"
    env = dict(os.environ)
    env.update({
        f"{prefix}__SERVER__PORT": str(port),
        f"{prefix}__SERVER__ADMIN_PORT": str(port + 1000),
        f"{prefix}__SERVER__RATE_LIMIT__ENABLED": "false",
        f"{prefix}__TELEMETRY__FILTER": "warn",
    })
    # Discovery is lazy in both BFFs: nothing listens there, and no screen here needs it.
    env[f"{prefix}__OIDC__ISSUER" if kind == "web" else f"{prefix}__AUTH__ISSUER"] = "http://127.0.0.1:9"
    if kind == "web":
        env[f"{prefix}__GRAPHQL__DEADLINE"] = "30s"
    # The rendered screen only when asked (`--screen-cache`): with the upstream cache on and the
    # screen cache off, each screen is built from cache hits.
    env[f"{prefix}__SCREEN_CACHE__ENABLED"] = str(screen_cache).lower()
    for i, service in enumerate(SERVICES):
        s = service.upper()
        env[f"{prefix}__UPSTREAMS__{s}__URL"] = f"http://127.0.0.1:{UPSTREAM_PORT + i}"
        env[f"{prefix}__UPSTREAMS__{s}__CACHE__ENABLED"] = str(upstream_cache).lower()
        # valgrind slows the BFF ~50×: no call may miss its deadline because of it.
        env[f"{prefix}__UPSTREAMS__{s}__TIMEOUT"] = "30s"
    return env


def measure(binary: str, kind: str, screens: list[str], args, port: int, out: str) -> dict:
    """Instructions per request of `binary` for each of `screens` (all of the same BFF)."""
    prefix = os.path.join(out, f"cg-{port}")
    command, env = [binary], os.environ
    if kind.startswith("minimal-"):
        bases = [f"http://127.0.0.1:{UPSTREAM_PORT + i}" for i in range(4)]
        command += ["--mode", "serve", "--decode", kind.removeprefix("minimal-"), "--listen", str(port),
                    "--catalog", bases[0], "--offers", bases[1], "--reviews", bases[2],
                    "--recommendations", bases[3]]
    else:
        env = bff_env(kind, port, args.upstream_cache, args.screen_cache)
    proc = subprocess.Popen(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={prefix}.out", *command],
        env=env, stdout=subprocess.DEVNULL, stderr=open(f"{prefix}.log", "w"))
    results = {}
    try:
        wait_healthy(port, 120)
        for dump, screen in enumerate(screens, start=1):
            _, path, graphql = SCREENS[screen]
            requests(port, path, graphql, args.warmup, 0, args.ids)
            subprocess.run(["callgrind_control", "--zero", str(proc.pid)], check=True, capture_output=True)
            requests(port, path, graphql, args.n, args.warmup, args.ids)
            subprocess.run(["callgrind_control", "--dump", str(proc.pid)], check=True, capture_output=True)
            dumped = f"{prefix}.out.{dump}"
            for _ in range(100):
                if os.path.exists(dumped):
                    break
                time.sleep(0.1)
            with open(dumped, encoding="utf-8") as f:
                total = next(int(l.split()[1]) for l in f if l.startswith(("summary:", "totals:")))
            results[screen] = total / args.n
    finally:
        proc.terminate()
        proc.wait()
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--web", action="append", help="bff-web binary (twice: an A/B); default target/release")
    ap.add_argument("--mobile", action="append", help="bff-mobile binary (twice: an A/B)")
    ap.add_argument("--only", default="", help="comma-separated key prefixes of the screens")
    ap.add_argument("-n", type=int, default=200, help="requests measured per screen (default 200)")
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--upstream-cache", action="store_true",
                    help="upstream caches on (the screen cache stays off): screens built from cache hits")
    ap.add_argument("--screen-cache", action="store_true",
                    help="the cached screens: upstream caches and the screen cache on, every answer served "
                         "from the screen cache (the path of the cached-screen goals)")
    ap.add_argument("--ids", type=int, default=None,
                    help="products in turn (default 2000; 50 with --upstream-cache, 10 with --screen-cache, all warmed up)")
    ap.add_argument("--keep", metavar="DIR", help="keep callgrind's files there (for callgrind_annotate)")
    ap.add_argument("--minimal", action="store_true",
                    help=f"also the minimal BFF ({MINIMAL}, --mode serve) on the screens it serves "
                         f"({', '.join(MINIMAL_SCREENS)}), the lower bound (and its --decode least variant on "
                         f"{', '.join(LEAST_SCREENS)})")
    args = ap.parse_args()
    if args.screen_cache:
        if args.minimal:
            raise SystemExit("--screen-cache measures the BFFs' cached screens; the minimal BFF has no cache")
        args.upstream_cache = True
    if args.ids is None:
        args.ids = 10 if args.screen_cache else 50 if args.upstream_cache else IDS
    prefixes = [p for p in args.only.split(",") if p]
    screens = [s for s in SCREENS if not prefixes or any(s.startswith(p) for p in prefixes)]
    binaries = {"web": args.web or [os.path.join(RELEASE, "bff-web")],
                "mobile": args.mobile or [os.path.join(RELEASE, "bff-mobile")]}
    up_env = dict(os.environ, DEMO_UPSTREAMS__TELEMETRY__FILTER="warn")
    for i, service in enumerate(SERVICES):
        s = service.upper()
        up_env.update({f"DEMO_UPSTREAMS__{s}__PORT": str(UPSTREAM_PORT + i),
                       f"DEMO_UPSTREAMS__{s}__LATENCY__MEDIAN": "0ms",
                       f"DEMO_UPSTREAMS__{s}__LATENCY__P99": "0ms"})
    upstreams = subprocess.Popen([os.path.join(RELEASE, "demo-upstreams"), "--all"], env=up_env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    table = {}
    minimal = []  # (screen, decode, instructions) of the minimal BFF
    try:
        wait_healthy(UPSTREAM_PORT, 30)
        with tempfile.TemporaryDirectory(prefix="instructions-") as scratch:
            out = args.keep or scratch
            os.makedirs(out, exist_ok=True)
            port = 18700
            for kind in ("web", "mobile"):
                mine = [s for s in screens if SCREENS[s][0] == kind]
                if not mine:
                    continue
                for binary in binaries[kind]:
                    port += 10
                    for screen, ir in measure(binary, kind, mine, args, port, out).items():
                        table.setdefault(screen, []).append((binary, ir))
            for decode, served in [("same", MINIMAL_SCREENS), ("least", LEAST_SCREENS)]:
                mine = [s for s in screens if s in served]
                if args.minimal and mine:
                    port += 10
                    for screen, ir in measure(MINIMAL, f"minimal-{decode}", mine, args, port, out).items():
                        minimal.append((screen, decode, ir))
    finally:
        upstreams.terminate()
        upstreams.wait()
    caches = ("upstream caches and screen cache on" if args.screen_cache
              else "upstream caches on, screen cache off" if args.upstream_cache else "cache off")
    print(f"instructions per request (callgrind, {caches}, {args.ids} ids, {args.n} requests after {args.warmup}):")
    for screen, rows in table.items():
        cells = " | ".join(f"{b}: {ir / 1000:,.0f} k" for b, ir in rows)
        change = f"  (B ÷ A {rows[1][1] / rows[0][1]:.3f})" if len(rows) == 2 else ""
        print(f"  {screen:15} {cells}{change}")
    for screen, decode, bound in minimal:
        ratios = ", ".join(f"{ir / bound:.3f}" for _, ir in table.get(screen, []))
        print(f"  {screen:15} minimal BFF (--decode {decode}): {bound / 1000:,.0f} k; BFF ÷ it: {ratios}")
    for num, den, label in RATIOS:
        if num in table and den in table:
            ratios = ", ".join(f"{a[1] / b[1]:.3f}" for a, b in zip(table[num], table[den]))
            print(f"  {label}: {ratios}")


if __name__ == "__main__":
    sys.exit(main())
