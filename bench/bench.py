#!/usr/bin/env python3
"""The measurements of bench/run.sh: scenarios, wrk and floor runs, medians, tables, RESULTS.md.

run.sh builds everything, starts the processes under test and exports their PIDs and ports
(BENCH_* variables below); this script only measures. Standard library only. See bench/README.md
for what each figure means.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

ENV = os.environ
ROOT = ENV.get("BENCH_ROOT", os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH = os.path.join(ROOT, "bench")
LUA = os.path.join(BENCH, "wrk", "screen.lua")
FLOOR = os.path.join(BENCH, "floor-client", "target", "release", "floor-client")
PIN = ENV.get("BENCH_PIN", "1") == "1"
CPU_SUT = ENV.get("BENCH_CPU_SUT", "0")  # the process under test (BFF, Node, floor client)
CPU_LOAD = ENV.get("BENCH_CPU_LOAD", "1")  # wrk and the upstreams
IDS = 2000  # products of the demo catalog: p00001 .. p02000
FIXED = "p00042"

PROC = {  # name -> (pid variable, port variable)
    "upstreams": ("BENCH_PID_UPSTREAMS", None),
    "web": ("BENCH_PID_WEB", "BENCH_PORT_WEB"),
    "mobile": ("BENCH_PID_MOBILE", "BENCH_PORT_MOBILE"),
    "web_nocache": ("BENCH_PID_WEB_NOCACHE", "BENCH_PORT_WEB_NOCACHE"),
    "mobile_nocache": ("BENCH_PID_MOBILE_NOCACHE", "BENCH_PORT_MOBILE_NOCACHE"),
    "node": ("BENCH_PID_NODE", "BENCH_PORT_NODE"),
    "web_mixed": ("BENCH_PID_WEB_MIXED", "BENCH_PORT_WEB_MIXED"),
    "mobile_mixed": ("BENCH_PID_MOBILE_MIXED", "BENCH_PORT_MOBILE_MIXED"),
    "minimal": ("BENCH_PID_MINIMAL", "BENCH_PORT_MINIMAL"),
    "minimal_least": ("BENCH_PID_MINIMAL_LEAST", "BENCH_PORT_MINIMAL_LEAST"),
}
UPSTREAM_URLS = {
    name: ENV.get(f"BENCH_URL_{name.upper()}", f"http://127.0.0.1:{port}")
    for name, port in [("catalog", 7001), ("offers", 7002), ("reviews", 7003), ("recommendations", 7004)]
}
# The Rust BFFs, with `/metrics` on their admin port (the minimal BFF has none).
RUST = {"web", "mobile", "web_nocache", "mobile_nocache", "web_mixed", "mobile_mixed"}
PROC_LABEL = {
    "web": "bff-web, cache on (one product's and the home's answers cached)",
    "mobile": "bff-mobile, cache on (one product's and the home's answers cached)",
    "web_mixed": "bff-web, cache on, after the 2000-id runs",
    "mobile_mixed": "bff-mobile, cache on, after the 2000-id runs",
    "web_nocache": "bff-web, cache off",
    "mobile_nocache": "bff-mobile, cache off",
    "node": "Node reference",
    "minimal": "minimal BFF (floor-client --mode serve)",
    "minimal_least": "minimal BFF, least decoding (floor-client --mode serve --decode least)",
}


def pid(proc: str) -> int:
    return int(ENV[PROC[proc][0]])


def base_url(proc: str) -> str:
    return f"http://127.0.0.1:{ENV[PROC[proc][1]]}"


# --- the scenarios ---------------------------------------------------------------------------------
# kind "wrk": wrk against `proc` at `path` (+ rotating ids when `rotate`);
# kind "floor": floor-client issuing `screen`'s upstream calls directly.


def S(key, group, label, kind, proc=None, path=None, rotate=False, screen=None, graphql=False):
    return dict(key=key, group=group, label=label, kind=kind, proc=proc, path=path, rotate=rotate, screen=screen,
                graphql=graphql)


# The product page as one GraphQL query (bff-web/graphql/operations/ProductPage.graphql with the
# fragments it spreads: the text its committed manifest holds, as the storefront sends it), for the
# `graphql` scenarios: POST /graphql with `{"id": pNNNNN}`.
def graphql_query() -> str:
    path = os.path.join(ROOT, "bff-web", "graphql", "manifest.json")
    with open(path, encoding="utf-8") as f:
        operations = json.load(f)["operations"]
    return next(o["body"] for o in operations if o["name"] == "ProductPage")


SCENARIOS = [
    S("mp-rust-cold", "mobile product", "Rust bff-mobile, cache off, 2000 ids", "wrk", "mobile_nocache", "/v1/products/", True),
    S("mp-node-cold", "mobile product", "Node reference, 2000 ids", "wrk", "node", "/v1/products/", True),
    S("mp-floor", "mobile product", "floor: its 8 upstream calls direct, 2000 ids", "floor", screen="mobile-product", rotate=True),
    S("mp-minimal", "mobile product", "minimal BFF: hyper server, the 8 calls, sonic-rs decode of the same fields, a JSON "
      "answer; nothing else, 2000 ids", "wrk", "minimal", "/v1/products/", True),
    S("mp-minimal-least", "mobile product", "minimal BFF, decoding only the fields it shows, borrowed: 2000 ids", "wrk",
      "minimal_least", "/v1/products/", True),
    S("mp-rust-cached", "mobile product", f"Rust bff-mobile, cached ({FIXED})", "wrk", "mobile", f"/v1/products/{FIXED}"),
    S("mp-node-fixed", "mobile product", f"Node reference ({FIXED}, no cache)", "wrk", "node", f"/v1/products/{FIXED}"),
    S("mp-rust-mixed", "mobile product", "Rust bff-mobile, cache on, 2000 ids", "wrk", "mobile_mixed", "/v1/products/", True),
    S("wp-rust-cold", "web product", "Rust bff-web, cache off, 2000 ids", "wrk", "web_nocache", "/api/products/", True),
    S("wp-node-cold", "web product", "Node reference, 2000 ids", "wrk", "node", "/api/products/", True),
    S("wp-floor", "web product", "floor: its 9 upstream calls direct, 2000 ids", "floor", screen="web-product", rotate=True),
    S("wp-minimal", "web product", "minimal BFF: hyper server, the 9 calls, sonic-rs decode of the same fields, a JSON "
      "answer; nothing else, 2000 ids", "wrk", "minimal", "/api/products/", True),
    S("wp-rust-cached", "web product", f"Rust bff-web, cached ({FIXED})", "wrk", "web", f"/api/products/{FIXED}"),
    S("wp-node-fixed", "web product", f"Node reference ({FIXED}, no cache)", "wrk", "node", f"/api/products/{FIXED}"),
    S("wp-rust-graphql-cold", "web product", "Rust bff-web GraphQL (ProductPage query), cache off, 2000 ids", "wrk",
      "web_nocache", "/graphql", True, graphql=True),
    S("wp-rust-mixed", "web product", "Rust bff-web, cache on, 2000 ids", "wrk", "web_mixed", "/api/products/", True),
    S("mh-rust-cold", "mobile home", "Rust bff-mobile, cache off", "wrk", "mobile_nocache", "/v1/home"),
    S("mh-floor", "mobile home", "floor: its 5 upstream calls direct", "floor", screen="mobile-home"),
    S("mh-minimal", "mobile home", "minimal BFF: hyper server, the 5 calls, sonic-rs decode of the same fields, a JSON "
      "answer; nothing else", "wrk", "minimal", "/v1/home"),
    S("mh-rust-cached", "mobile home", "Rust bff-mobile, cached", "wrk", "mobile", "/v1/home"),
    S("wh-rust-cold", "web home", "Rust bff-web, cache off", "wrk", "web_nocache", "/api/home"),
    S("wh-floor", "web home", "floor: its 6 upstream calls direct", "floor", screen="web-home"),
    S("wh-minimal", "web home", "minimal BFF: hyper server, the 6 calls, sonic-rs decode of the same fields, a JSON "
      "answer; nothing else", "wrk", "minimal", "/api/home"),
    S("wh-rust-cached", "web home", "Rust bff-web, cached", "wrk", "web", "/api/home"),
]
# Which floor gives the upstream-call p50s a wrk scenario's "BFF-added" latency is computed from.
FLOOR_OF = {"mp": "mp-floor", "wp": "wp-floor", "mh": "mh-floor", "wh": "wh-floor"}


# --- process probes --------------------------------------------------------------------------------


def cpu_split_us(p: int) -> tuple[float, float]:
    """(utime, stime) of every thread of process `p`, in microseconds."""
    with open(f"/proc/{p}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = 1e6 / os.sysconf("SC_CLK_TCK")
    return int(fields[11]) * tick, int(fields[12]) * tick


def cpu_us(p: int) -> float:
    """utime + stime of every thread of process `p`, in microseconds."""
    return sum(cpu_split_us(p))


def status_kb(p: int, key: str) -> int:
    with open(f"/proc/{p}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def reset_peak_rss(p: int) -> None:
    """Resets VmHWM to the current RSS (Linux ≥ 4.0), so the next VmHWM is this run's peak."""
    try:
        with open(f"/proc/{p}/clear_refs", "w") as f:
            f.write("5")
    except OSError as error:
        print(f"  (cannot reset peak RSS of {p}: {error}; VmHWM is the lifetime peak)", file=sys.stderr)


def metrics(proc: str) -> dict:
    """Counters of a Rust BFF's /metrics, summed over labels, that tell what a run did."""
    # `/metrics` is on the admin listener: the public port + 1000 (the BFFs' default).
    admin = f"http://127.0.0.1:{int(ENV[PROC[proc][1]]) + 1000}"
    text = urllib.request.urlopen(admin + "/metrics", timeout=10).read().decode()
    out = {"upstream_calls": 0.0, "cache_hit": 0.0, "cache_miss": 0.0, "degraded": 0.0, "connections_opened": 0.0}
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        m = re.match(r"^(\w+)(\{[^}]*\})?\s+([0-9.eE+-]+)$", line)
        if not m:
            continue
        name, labels, value = m.group(1), m.group(2) or "", float(m.group(3))
        if name == "upstream_requests_total":
            out["upstream_calls"] += value
        elif name == "upstream_cache_total" and 'result="hit"' in labels:
            out["cache_hit"] += value
        elif name == "upstream_cache_total" and 'result="miss"' in labels:
            out["cache_miss"] += value
        elif name == "screen_sections_degraded_total":
            out["degraded"] += value
        elif name == "upstream_connections_opened_total":
            out["connections_opened"] += value
    return out


def pinned(cpu: str) -> list[str]:
    return ["taskset", "-c", cpu] if PIN else []


# --- load generators ---------------------------------------------------------------------------------


def wrk(url_base: str, path: str, rotate: bool, connections: int, seconds: float, graphql: bool = False) -> dict:
    env = dict(ENV, BENCH_PATH=path)
    if graphql:
        env["BENCH_GRAPHQL_QUERY"] = json.dumps(graphql_query())
    if rotate:
        env["BENCH_ROTATE"] = str(IDS)
    threads = 1 if PIN else min(2, connections)
    cmd = pinned(CPU_LOAD) + [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s",
        "--timeout", "5s", "--latency", "-s", LUA, url_base + (path if not rotate or graphql else path + FIXED),
    ]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    line = next((l for l in out.splitlines() if l.startswith("WRK_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{out}")
    r = json.loads(line[len("WRK_JSON "):])
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
    r["errors"] = sum(r[k] for k in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts"))
    return r


def floor_client(screen: str, rotate: bool, mode: str, connections: int, seconds: float, warmup: float) -> dict:
    cmd = pinned(CPU_SUT) + [
        FLOOR, "--screen", screen, "--ids", f"rotate:{IDS}" if rotate else FIXED, "--mode", mode,
        "--connections", str(connections), "--duration", str(seconds), "--warmup", str(warmup),
        "--measure-pid", str(pid("upstreams")),
    ]
    for name, url in UPSTREAM_URLS.items():
        cmd += [f"--{name}", url]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


# --- one scenario, one repetition ----------------------------------------------------------------------


def run_wrk_scenario(s: dict, d: dict, first: bool) -> dict:
    proc, p = s["proc"], pid(s["proc"])
    base = base_url(proc)
    wrk(base, s["path"], s["rotate"], 64, d["warmup_first"] if first else d["warmup"], s["graphql"])
    before = metrics(proc) if proc in RUST else None
    reset_peak_rss(p)
    (user0, sys0), up0 = cpu_split_us(p), cpu_us(pid("upstreams"))
    # The warm-up's end cancelled the screens in flight, and with them connections the pools now
    # open again: the pools are read again a quarter into the run, for the steady state.
    settled = {}
    snapshot = threading.Timer(d["load"] / 4, lambda: settled.update(metrics(proc))) if before else None
    if snapshot:
        snapshot.start()
    load = wrk(base, s["path"], s["rotate"], 64, d["load"], s["graphql"])
    if snapshot:
        snapshot.join()
    (user1, sys1), up1 = cpu_split_us(p), cpu_us(pid("upstreams"))
    peak = status_kb(p, "VmHWM")
    after = metrics(proc) if proc in RUST else None
    # CPU per request at one connection too: no batching of wake-ups and syscalls across requests,
    # which makes a screen cheaper at 64 connections by more for some paths than for others.
    (user2, sys2) = cpu_split_us(p)
    one = wrk(base, s["path"], s["rotate"], 1, d["one"], s["graphql"])
    (user3, sys3) = cpu_split_us(p)
    n = max(load["requests"], 1)
    r = {
        "rps": load["rps"], "p50": load["p50_us"], "p90": load["p90_us"], "p99": load["p99_us"],
        "p50_1c": one["p50_us"], "p99_1c": one["p99_us"],
        "cpu_us": (user1 + sys1 - user0 - sys0) / n, "user_share": (user1 - user0) / max(user1 + sys1 - user0 - sys0, 1),
        "upstream_cpu_us": (up1 - up0) / n,
        "cpu_us_1c": (user3 + sys3 - user2 - sys2) / max(one["requests"], 1),
        "peak_rss_mb": peak / 1024, "errors": load["errors"] + one["errors"], "requests": load["requests"],
    }
    if before and after:
        r["upstream_calls_per_req"] = (after["upstream_calls"] - before["upstream_calls"]) / n
        hits = after["cache_hit"] - before["cache_hit"]
        misses = after["cache_miss"] - before["cache_miss"]
        r["cache_hit_ratio"] = hits / (hits + misses) if hits + misses > 0 else None
        r["degraded"] = after["degraded"] - before["degraded"]
        # New upstream connections per request in the last three quarters of the timed run at
        # 64 connections (per upstream call there, times the calls per request): a pool too
        # small for the work reopens connections all the time.
        if settled:
            calls = after["upstream_calls"] - settled["upstream_calls"]
            opened = after["connections_opened"] - settled["connections_opened"]
            r["new_connections_per_req"] = opened / calls * r["upstream_calls_per_req"] if calls else 0.0
    return r


def run_floor_scenario(s: dict, d: dict, first: bool) -> dict:
    warm = d["warmup_first"] if first else d["warmup"]
    load = floor_client(s["screen"], s["rotate"], "screen", 64, d["load"], warm)
    one = floor_client(s["screen"], s["rotate"], "screen", 1, d["one"], 0.5)
    calls = floor_client(s["screen"], s["rotate"], "calls", 1, d["one"], 0.5)
    r = {
        "rps": load["screens_per_s"], "p50": load["p50_us"], "p90": load["p90_us"], "p99": load["p99_us"],
        "p50_1c": one["p50_us"], "p99_1c": one["p99_us"],
        "upstream_cpu_us": load["measured_cpu_us_per_screen"], "client_cpu_us": load.get("client_cpu_us_per_screen"),
        "calls_per_screen": load["calls_per_screen"], "errors": load["errors"] + one["errors"] + calls["errors"],
        "slowest_call_p50": max(calls["call_p50_us"].values()) if calls["call_p50_us"] else None,
        "slowest_call": max(calls["call_p50_us"], key=calls["call_p50_us"].get) if calls["call_p50_us"] else None,
        "requests": load["screens"],
    }
    # The fixed-id variant of the product floors, for the Node runs on one id.
    if s["screen"].endswith("product"):
        fixed = floor_client(s["screen"], False, "calls", 1, d["one"], 0.5)
        fixed_one = floor_client(s["screen"], False, "screen", 1, d["one"], 0.5)
        r["slowest_call_p50_fixed"] = max(fixed["call_p50_us"].values()) if fixed["call_p50_us"] else None
        r["p50_1c_fixed"] = fixed_one["p50_us"]
    return r


# --- preflight: every screen answers 200, complete, and the Node reference answers the same ------------


def fetch_json(url: str):
    request = urllib.request.Request(url, headers={"X-CSRF": "1"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read())


def differences(a, b, path="") -> list[str]:
    """Structural differences; numbers compare as numbers (4.0 == 4)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = [f"{path}.{k}: only in the BFF" for k in a.keys() - b.keys()]
        out += [f"{path}.{k}: only in Node" for k in b.keys() - a.keys()]
        for k in a.keys() & b.keys():
            out += differences(a[k], b[k], f"{path}.{k}")
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} items vs {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{path}[{i}]")]
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return [] if abs(a - b) < 1e-6 else [f"{path}: {a} vs {b}"]
    return [] if a == b else [f"{path}: {str(a)[:60]!r} vs {str(b)[:60]!r}"]


def preflight() -> list[str]:
    notes = []
    for s in SCENARIOS:
        if s["kind"] != "wrk" or s["graphql"]:
            continue
        path = s["path"] + ("p00001" if s["rotate"] else "")
        status, body = fetch_json(base_url(s["proc"]) + path)
        if status != 200 or "degraded" in body:
            raise RuntimeError(f"{s['key']}: {path} answered {status}, degraded={body.get('degraded')}")
    for s in SCENARIOS:
        if s["graphql"]:
            body = json.dumps({"query": graphql_query(), "variables": {"id": "p00001"}}).encode()
            request = urllib.request.Request(base_url(s["proc"]) + s["path"], data=body, headers={
                "X-CSRF": "1", "Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=10) as response:
                answer = json.loads(response.read())
            if answer.get("errors") or not answer.get("data", {}).get("product"):
                raise RuntimeError(f"{s['key']}: the GraphQL product page answered {str(answer)[:300]}")
    for bff, path in [("mobile", "/v1/products/"), ("web", "/api/products/")]:
        for product in ["p00001", FIXED, "p01999"]:
            _, rust = fetch_json(base_url(bff) + path + product)
            _, node = fetch_json(base_url("node") + path + product)
            diff = differences(rust, node)
            if diff:
                notes.append(f"{path}{product}: Node differs from bff-{bff}: " + "; ".join(diff[:5]))
    if not notes:
        notes.append("the Node reference's JSON equals the Rust BFFs' (p00001, p00042, p01999, both screens)")
    return notes


# --- idle keep-alive connections -------------------------------------------------------------------------


async def hold_connections(port: int, path: str, count: int, server_pid: int) -> dict:
    """Opens `count` keep-alive connections, sends one request on each, reads the answer, leaves them
    idle and measures the server's RSS."""
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-CSRF: 1\r\n\r\n".encode()
    gate = asyncio.Semaphore(256)
    conns = []
    failures = 0

    async def one():
        nonlocal failures
        async with gate:
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
                if length:
                    await reader.readexactly(int(length.group(1)))
                else:  # chunked
                    while True:
                        size = int((await reader.readline()).strip() or b"0", 16)
                        await reader.readexactly(size + 2)
                        if size == 0:
                            break
                conns.append((reader, writer))
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                failures += 1

    rss_before = status_kb(server_pid, "VmRSS")
    started = time.monotonic()
    await asyncio.gather(*(one() for _ in range(count)))
    opened_in = time.monotonic() - started
    await asyncio.sleep(3)
    rss = status_kb(server_pid, "VmRSS")
    fds = len(os.listdir(f"/proc/{server_pid}/fd"))
    open_now = sum(1 for reader, _ in conns if not reader.at_eof())
    for _, writer in conns:
        writer.close()
    await asyncio.sleep(1)
    return {
        "requested": count, "established": len(conns), "failures": failures, "still_open": open_now,
        "opened_in_s": opened_in, "rss_before_mb": rss_before / 1024, "rss_mb": rss / 1024,
        "server_fds": fds,
        "kb_per_conn": (rss - rss_before) / max(open_now, 1),
    }


# --- tables ----------------------------------------------------------------------------------------------


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(v, digits=0, unit=""):
    if v is None:
        return "—"
    if digits == 0:
        return f"{v:,.0f}{unit}"
    return f"{v:,.{digits}f}{unit}"


def ms(us):
    return "—" if us is None else (f"{us / 1000:.2f} ms" if us >= 1000 else f"{us:.0f} µs")


def summarise(results: dict) -> dict:
    """Median over repetitions of every figure of every scenario, plus derived figures."""
    m = {}
    for key, reps in results.items():
        fields = set().union(*(r.keys() for r in reps))
        m[key] = {f: med([r.get(f) for r in reps]) if all(isinstance(r.get(f), (int, float, type(None))) for r in reps)
                  else reps[0].get(f) for f in fields}
        m[key]["reps"] = len(reps)
    for s in SCENARIOS:
        if s["kind"] != "wrk" or s["key"] not in m:
            continue
        floor = m.get(FLOOR_OF[s["key"][:2]])
        r = m[s["key"]]
        calls_upstream = s["proc"] in ("node", "mobile_nocache", "web_nocache", "minimal", "minimal_least")
        if floor and calls_upstream:
            fixed = not s["rotate"] and s["key"][:2] in ("mp", "wp")
            slowest = floor.get("slowest_call_p50_fixed" if fixed else "slowest_call_p50")
            floor_p50 = floor.get("p50_1c_fixed" if fixed else "p50_1c")
            # Medians: the BFF's p50 at 1 connection minus the floor's (both medians of 3 runs).
            r["added_vs_slowest"] = r["p50_1c"] - slowest if slowest is not None else None
            r["added_vs_floor"] = r["p50_1c"] - floor_p50 if floor_p50 is not None else None
    return m


def table(m: dict) -> str:
    head = ("| screen | implementation | req/s @64 | p50 @64 | p90 @64 | p99 @64 | p50 @1 conn | "
            "BFF-added p50 @1 (vs slowest call / vs floor) | CPU µs/req (user share) | upstream CPU µs/req | "
            "upstream calls/req (cache hits; new upstream connections/req) | peak RSS @64 |")
    lines = [head, "|" + "---|" * 12]
    for s in SCENARIOS:
        r = m.get(s["key"])
        if not r:
            continue
        if s["kind"] == "floor":
            added = f"slowest call alone {ms(r.get('slowest_call_p50'))}"
            cpu = f"(client {fmt(r.get('client_cpu_us'))})" if r.get("client_cpu_us") is not None else "—"
            calls = f"{r['calls_per_screen']}"
            rss = "—"
        else:
            added = (f"{ms(r['added_vs_slowest'])} / {ms(r['added_vs_floor'])}"
                     if r.get("added_vs_slowest") is not None else "—")
            cpu = f"{fmt(r['cpu_us'], 1 if r['cpu_us'] < 100 else 0)} ({r['user_share'] * 100:.0f}% user)"
            calls = fmt(r.get("upstream_calls_per_req"), 2) if "upstream_calls_per_req" in r else "—"
            if r.get("cache_hit_ratio") is not None:
                calls += f" ({r['cache_hit_ratio'] * 100:.1f}%)"
            if r.get("new_connections_per_req") is not None:
                calls += f"; {r['new_connections_per_req']:.3f} new conn."
            rss = fmt(r["peak_rss_mb"], 1, " MB")
        lines.append(
            f"| {s['group']} | {s['label']} | {fmt(r['rps'])} | {ms(r['p50'])} | {ms(r['p90'])} | "
            f"{ms(r['p99'])} | {ms(r['p50_1c'])} | {added} | {cpu} | {fmt(r.get('upstream_cpu_us'), 1)} | "
            f"{calls} | {rss} |")
    return "\n".join(lines)


def invalid_notes(results: dict) -> list[str]:
    """Runs that met errors, non-2xx answers or degraded screens: their figures are not comparable."""
    out = []
    for s in SCENARIOS:
        reps = results.get(s["key"], [])
        errors = [r.get("errors", 0) for r in reps]
        degraded = [r.get("degraded") or 0 for r in reps]
        requests = [r.get("requests", 0) for r in reps]
        if any(errors) or any(degraded):
            out.append(f"- ⚠ {s['group']}, {s['label']}: per repetition {errors} failed or non-2xx requests and "
                       f"{[int(x) for x in degraded]} degraded sections out of {requests} requests: "
                       "these figures are NOT comparable (failed requests are cheap).")
    if any("mixed" in line for line in out):
        out.append(
            "  The cache-on 2000-id failures are a bug of `shared::upstream::cache`, not of the bench: "
            "when every caller of an in-flight (single-flight) upstream GET goes away, as when wrk closes its "
            "connections at the end of a run, the flight stays in the in-flight map with its first caller's "
            "deadline; the next request for that URL joins it, gets an immediate `timed out` (504, or a "
            "degraded section), and enough of them in a row open the upstream's circuit breaker.")
    return out + ([""] if out else [])


# The screens measured against their floor client: (key prefix, name, goal for cold CPU/req ÷ floor).
FLOOR_SCREENS = [("mp", "mobile product"), ("wp", "web product"), ("mh", "mobile home"), ("wh", "web home")]
FLOOR_GOALS = {"mp": 1.3, "wp": 1.5, "mh": 1.3, "wh": 1.5}


def per_rep_ratios(results: dict, a: str, b: str, field: str, field_b: str | None = None) -> list[float]:
    """a's `field` ÷ b's `field_b` (default the same field), per repetition: measured side by side."""
    field_b = field_b or field
    return [ra[field] / rb[field_b] for ra, rb in zip(results.get(a, []), results.get(b, []))
            if ra.get(field) and rb.get(field_b)]


def ratio_lines(m: dict, results: dict) -> list[str]:
    """Ratios measured side by side: per repetition, then the median (and the range)."""

    def show(label, a, b, field, field_b=None):
        v = per_rep_ratios(results, a, b, field, field_b)
        if not v:
            return None
        rng = f" (runs: {', '.join(f'{x:.3f}' for x in v)})" if len(v) > 1 else ""
        return f"- {label}: **{statistics.median(v):.3f}**{rng}", statistics.median(v)

    out = []
    pairs = [
        *[(f"{name}, CPU/req, Rust cold (cache off) ÷ the floor client", f"{k}-rust-cold", f"{k}-floor", "cpu_us", "client_cpu_us")
          for k, name in FLOOR_SCREENS],
        # The lower bound of the first ratio: what the least possible BFF costs over the floor.
        ("mobile product, CPU/req, minimal BFF ÷ the floor client", "mp-minimal", "mp-floor", "cpu_us", "client_cpu_us"),
        ("mobile product, CPU/req, Rust cold ÷ minimal BFF", "mp-rust-cold", "mp-minimal", "cpu_us"),
        # Tighter still: a BFF decoding only what it shows, borrowed from the bodies.
        ("mobile product, CPU/req, minimal BFF (least decoding) ÷ the floor client", "mp-minimal-least", "mp-floor",
         "cpu_us", "client_cpu_us"),
        ("mobile product, CPU/req, Rust cold ÷ minimal BFF (least decoding)", "mp-rust-cold", "mp-minimal-least",
         "cpu_us"),
        # The same lower bound for the web product page (the minimal BFF's `/api/products/{id}`).
        ("web product, CPU/req, minimal BFF ÷ the floor client", "wp-minimal", "wp-floor", "cpu_us", "client_cpu_us"),
        ("web product, CPU/req, Rust cold ÷ minimal BFF", "wp-rust-cold", "wp-minimal", "cpu_us"),
        # And for both homes (the minimal BFF's `/v1/home` and `/api/home`).
        ("mobile home, CPU/req, minimal BFF ÷ the floor client", "mh-minimal", "mh-floor", "cpu_us", "client_cpu_us"),
        ("mobile home, CPU/req, Rust cold ÷ minimal BFF", "mh-rust-cold", "mh-minimal", "cpu_us"),
        ("web home, CPU/req, minimal BFF ÷ the floor client", "wh-minimal", "wh-floor", "cpu_us", "client_cpu_us"),
        ("web home, CPU/req, Rust cold ÷ minimal BFF", "wh-rust-cold", "wh-minimal", "cpu_us"),
        ("mobile product, CPU/req, Rust cold (cache off) ÷ Node", "mp-rust-cold", "mp-node-cold", "cpu_us"),
        ("mobile product, CPU/req, Rust cached ÷ Node (same id)", "mp-rust-cached", "mp-node-fixed", "cpu_us"),
        ("mobile product, CPU/req, Rust cache on 2000 ids ÷ Node 2000 ids", "mp-rust-mixed", "mp-node-cold", "cpu_us"),
        ("web product, CPU/req, Rust cold (cache off) ÷ Node", "wp-rust-cold", "wp-node-cold", "cpu_us"),
        ("web product, CPU/req, Rust cached ÷ Node (same id)", "wp-rust-cached", "wp-node-fixed", "cpu_us"),
        ("web product, CPU/req, GraphQL query ÷ REST /api/products/{id} (both cache off)", "wp-rust-graphql-cold",
         "wp-rust-cold", "cpu_us"),
        ("web product, CPU/req at 1 connection, GraphQL query ÷ REST /api/products/{id} (both cache off)",
         "wp-rust-graphql-cold", "wp-rust-cold", "cpu_us_1c"),
        ("mobile product, req/s @64, Rust cold ÷ Node", "mp-rust-cold", "mp-node-cold", "rps"),
        ("web product, req/s @64, Rust cold ÷ Node", "wp-rust-cold", "wp-node-cold", "rps"),
        ("mobile product, p50 @1 conn, Rust cold ÷ Node", "mp-rust-cold", "mp-node-cold", "p50_1c"),
        ("mobile product, req/s @64, Rust cold ÷ floor", "mp-rust-cold", "mp-floor", "rps"),
        ("mobile product, p50 @1 conn, Rust cold ÷ floor", "mp-rust-cold", "mp-floor", "p50_1c"),
        ("web product, req/s @64, Rust cold ÷ floor", "wp-rust-cold", "wp-floor", "rps"),
        ("mobile home, req/s @64, Rust cold ÷ floor", "mh-rust-cold", "mh-floor", "rps"),
        ("web home, req/s @64, Rust cold ÷ floor", "wh-rust-cold", "wh-floor", "rps"),
    ]
    for label, a, b, field, *field_b in pairs:
        shown = show(label, a, b, field, *field_b)
        if shown:
            out.append(shown[0])
    return out


def goals(m: dict, idle: dict, results: dict) -> list[str]:
    def ratio(a, b, field="cpu_us", field_b=None):
        """Median of the per-repetition ratios (side by side), as in the ratio list."""
        values = per_rep_ratios(results, a, b, field, field_b)
        return statistics.median(values) if values else None

    out = []

    def goal(text, value, limit, shown, stretch=None):
        if value is None:
            out.append(f"- {text}: not measured")
            return
        met = "**met**" if value <= limit else "**missed**"
        if stretch is not None and value <= stretch:
            met += " (stretch met too)"
        elif stretch is not None:
            met += " (stretch missed)"
        out.append(f"- {text}: {shown} → {met}")

    for k, name in FLOOR_SCREENS:
        v = ratio(f"{k}-rust-cold", f"{k}-floor", "cpu_us", "client_cpu_us")
        goal(f"{name[0].upper()}{name[1:]} CPU/req ≤ {FLOOR_GOALS[k]}× its floor client's, cold cache", v,
             FLOOR_GOALS[k], f"{v:.2f}×" if v else "—")
    cold = ratio("mp-rust-cold", "mp-node-cold")
    goal("Mobile product CPU/req ≤ 1/4 of Node's, cold cache (stretch 1/5)", cold, 0.25,
         f"{cold:.3f} = 1/{1 / cold:.1f}" if cold else "—", stretch=0.2)
    cached = ratio("mp-rust-cached", "mp-node-fixed")
    goal("Mobile product CPU/req ≤ 1/10 of Node's with cached upstream answers", cached, 0.1,
         f"{cached:.3f} = 1/{1 / cached:.1f}" if cached else "—")
    for key, name in [("mp-rust-cold", "mobile product"), ("wp-rust-cold", "web product"),
                      ("mh-rust-cold", "mobile home"), ("wh-rust-cold", "web home")]:
        r = m.get(key)
        v = r.get("added_vs_slowest") if r else None
        goal(f"BFF-added p50 at 1 connection ≤ 100 µs, {name} (BFF p50 − slowest upstream call p50)", v, 100,
             ms(v) + (f"; vs the floor's whole fan-out: {ms(r.get('added_vs_floor'))}" if r else ""))
    for proc, label in [("web", "bff-web"), ("mobile", "bff-mobile")]:
        peaks = {s["key"]: m[s["key"]]["peak_rss_mb"] for s in SCENARIOS
                 if s["key"] in m and s.get("proc") in (proc, proc + "_nocache")}
        v = max(peaks.values()) if peaks else None
        detail = ", ".join(f"{k} {x:.1f}" for k, x in peaks.items())
        mixed = m.get(("mp" if proc == "mobile" else "wp") + "-rust-mixed")
        goal(f"Peak RSS under 64 connections ≤ 40 MB, {label} (highest of its cache-off and cached-screen runs)",
             v, 40, f"{fmt(v, 1, ' MB')} ({detail} MB)"
             + (f"; with the cache filled by 2000 products: {mixed['peak_rss_mb']:.1f} MB" if mixed else ""))
    for proc in ["web_nocache", "mobile_nocache", "web", "mobile", "web_mixed", "mobile_mixed"]:
        r = idle.get(proc)
        v = r["rss_mb"] if r else None
        goal(f"RSS with {r['requested'] if r else 10000:,} idle keep-alive connections ≤ 150 MB, {PROC_LABEL[proc]}",
             v, 150, fmt(v, 1, " MB") + (f" ({r['still_open']:,} open; {r['rss_before_mb']:.1f} MB before)" if r else ""))
    for key, name in [("mp-rust-cold", "mobile product"), ("wp-rust-cold", "web product"),
                      ("mh-rust-cold", "mobile home"), ("wh-rust-cold", "web home")]:
        r = m.get(key)
        v = r.get("new_connections_per_req") if r else None
        goal(f"New upstream connections per request at 64 concurrent screens ≈ 0 (≤ 0.001), {name}, cache off",
             v, 0.001, fmt(v, 4))
    for key, name, limit in [("mp-rust-cached", "mobile product", 30), ("wp-rust-cached", "web product", 50),
                             ("mh-rust-cached", "mobile home", 30), ("wh-rust-cached", "web home", 50)]:
        r = m.get(key)
        v = r["cpu_us"] if r else None
        goal(f"Cached screen ≤ {limit} µs CPU, {name}", v, limit, fmt(v, 1, " µs"))
    return out


def machine(load_before: str) -> list[str]:
    def cmd(*c):
        try:
            return subprocess.run(c, capture_output=True, text=True).stdout.strip().splitlines()[0]
        except (OSError, IndexError):
            return "?"

    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    wrk_version = (wrk_version.stdout + wrk_version.stderr).strip().splitlines()[0]
    return [
        f"- machine: {os.cpu_count()} CPUs ({cmd('nproc')} usable), {model}, kernel {platform.release()}",
        f"- {cmd('rustc', '--version')}; node {cmd('node', '--version')}; {wrk_version.split(' [')[0]}; "
        f"Python {platform.python_version()}",
        f"- pinning: " + (f"yes: BFF / Node / floor client on CPU {CPU_SUT} (`taskset -c {CPU_SUT}`), wrk and "
                          f"the upstreams on CPU {CPU_LOAD}" if PIN else "no"),
        f"- load average before the run: {load_before}; after: {open('/proc/loadavg').read().split()[:3]}",
    ]


# --- main --------------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short runs, one repetition (smoke test)")
    parser.add_argument("--only", default="", help="comma-separated scenario key prefixes (development)")
    parser.add_argument("--no-idle", action="store_true", help="skip the idle-connections measurement")
    parser.add_argument("--results", default=os.path.join(BENCH, "RESULTS.md"))
    a = parser.parse_args()
    d = (dict(warmup_node=2, warmup_first=2, warmup=1, load=3, one=2, reps=1, idle=2000) if a.quick else
         dict(warmup_node=8, warmup_first=4, warmup=2, load=8, one=4, reps=3, idle=10000))
    scenarios = [s for s in SCENARIOS if not a.only or any(s["key"].startswith(p) for p in a.only.split(","))]
    load_before = " ".join(open("/proc/loadavg").read().split()[:3])
    started = dt.datetime.now(dt.timezone.utc)

    print("preflight: every screen answers 200 and complete; Node reference vs Rust BFF JSON", flush=True)
    notes = preflight()
    for note in notes:
        print("  " + note)

    # V8 compiles the hot paths of the Node reference after some thousands of requests: warm each
    # of its routes up before anything is measured (the per-scenario warm-ups then keep it warm).
    for s in scenarios:
        if s["kind"] == "wrk" and s["proc"] == "node":
            wrk(base_url("node"), s["path"], s["rotate"], 64, d["warmup_node"])
    print(f"warmed up the Node reference ({d['warmup_node']}s per route)", flush=True)

    results: dict[str, list] = {}
    for rep in range(d["reps"]):
        groups: dict[str, list] = {}
        for s in scenarios:
            groups.setdefault(s["group"], []).append(s)
        for group in groups.values():
            # Alternate the order inside a group between repetitions, so drift favours no side.
            for s in (group if rep % 2 == 0 else list(reversed(group))):
                t = time.monotonic()
                r = (run_wrk_scenario if s["kind"] == "wrk" else run_floor_scenario)(s, d, rep == 0)
                results.setdefault(s["key"], []).append(r)
                extra = ""
                if r.get("cpu_us") is not None:
                    extra = f"  CPU {r['cpu_us']:.1f} µs/req  peak RSS {r['peak_rss_mb']:.1f} MB"
                print(f"[rep {rep + 1}/{d['reps']}] {s['key']:<15} {r['rps']:>9,.0f} req/s  p50 {ms(r['p50']):>9}  "
                      f"p99 {ms(r['p99']):>9}  p50@1 {ms(r['p50_1c']):>9}{extra}  errors {r['errors']}"
                      f"  ({time.monotonic() - t:.0f}s)", flush=True)
                if r["errors"]:
                    print(f"  WARNING: {s['key']}: {r['errors']} errors or non-2xx answers", flush=True)
                if r.get("degraded"):
                    print(f"  WARNING: {s['key']}: {r['degraded']:.0f} degraded sections", flush=True)

    idle = {}
    if not a.no_idle:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        count = min(d["idle"], hard - 200)
        for proc, path in [("web_nocache", f"/api/products/{FIXED}"), ("mobile_nocache", f"/v1/products/{FIXED}"),
                           ("web", f"/api/products/{FIXED}"), ("mobile", f"/v1/products/{FIXED}"),
                           ("web_mixed", f"/api/products/{FIXED}"), ("mobile_mixed", f"/v1/products/{FIXED}"),
                           ("node", f"/v1/products/{FIXED}")]:
            r = asyncio.run(hold_connections(int(ENV[PROC[proc][1]]), path, count, pid(proc)))
            idle[proc] = r
            print(f"idle connections, {proc}: {r['still_open']:,}/{count:,} open, RSS {r['rss_before_mb']:.1f} → "
                  f"{r['rss_mb']:.1f} MB ({r['kb_per_conn']:.1f} KB/conn), opened in {r['opened_in_s']:.1f}s",
                  flush=True)

    m = summarise(results)
    finished = dt.datetime.now(dt.timezone.utc)
    out = [
        f"## {started:%Y-%m-%d %H:%M} UTC: {'quick' if a.quick else 'full'} run",
        "",
        f"Command: `{ENV.get('BENCH_COMMAND', 'bench/run.sh')}` (finished {finished:%H:%M} UTC, "
        f"{(finished - started).total_seconds() / 60:.0f} min). "
        f"{d['reps']} repetition(s), median shown; wrk {d['load']}s at 64 connections and {d['one']}s at 1 "
        f"connection after a {d['warmup_first']}s/{d['warmup']}s warm-up, per scenario and repetition.",
        "",
        *machine(load_before),
        *[f"- {note}" for note in notes],
        "",
        table(m),
        "",
        *invalid_notes(results),
        "Ratios, measured side by side in each repetition (median of the per-repetition ratios):",
        "",
        *ratio_lines(m, results),
        "",
    ]
    if idle:
        out += [
            "Idle keep-alive connections (one screen request each, then idle; RSS 3 s after the last opened):",
            "",
            "| process | connections open | RSS before | RSS with them | KB per connection |",
            "|---|---|---|---|---|",
            *[f"| {PROC_LABEL[p]} | {r['still_open']:,} of {r['requested']:,} | "
              f"{r['rss_before_mb']:.1f} MB | {r['rss_mb']:.1f} MB | {r['kb_per_conn']:.1f} |" for p, r in idle.items()],
            "",
        ]
    out += ["Goals:", "", *goals(m, idle, results), ""]
    text = "\n".join(out)
    print("\n" + text)
    new = not os.path.exists(a.results)
    with open(a.results, "a") as f:
        if new:
            f.write("# Benchmark results\n\nAppended by `bench/run.sh`; how to read them: `bench/README.md`.\n\n")
        f.write(text + "\n")
    with open(os.path.join(ENV.get("BENCH_OUT", BENCH), "last-run.json"), "w") as f:
        json.dump({"results": results, "medians": m, "idle": idle}, f, indent=1, default=str)
    print(f"appended to {a.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
