#!/usr/bin/env bash
# How bff-mobile's upstream pools fill under load: the product screen, every cache off, at 64
# connections (one wrk run), read in WINDOWS windows of 5 s: the upstream calls made and the
# connections opened (`upstream_connections_opened_total`) in each. In steady state no window
# opens any (bench/RESULTS.md, 2026-12-06 21:01).
#
#   bench/pool-fill.sh            uses target/release (cargo build --release -p bff-mobile -p demo-upstreams)
set -euo pipefail
cd "$(dirname "$0")/.."
WINDOWS=${WINDOWS:-6} UP=${POOL_FILL_PORT_UPSTREAMS:-17101} PORT=${POOL_FILL_PORT_BFF:-18181}
up_env=(DEMO_UPSTREAMS__TELEMETRY__FILTER=warn)
bff_env=(BFF_MOBILE__SERVER__RATE_LIMIT__ENABLED=false BFF_MOBILE__SERVER__MAX_IN_FLIGHT=20000
         BFF_MOBILE__TELEMETRY__FILTER=warn BFF_MOBILE__AUTH__ISSUER=http://127.0.0.1:9
         BFF_MOBILE__SCREEN_CACHE__ENABLED=false BFF_MOBILE__SERVER__PORT="$PORT"
         BFF_MOBILE__SERVER__ADMIN_PORT=$((PORT + 1)))
i=0
for s in CATALOG OFFERS REVIEWS RECOMMENDATIONS ACCOUNTS; do
  up_env+=("DEMO_UPSTREAMS__${s}__PORT=$((UP + i))" "DEMO_UPSTREAMS__${s}__LATENCY__MEDIAN=0ms"
           "DEMO_UPSTREAMS__${s}__LATENCY__P99=0ms")
  bff_env+=("BFF_MOBILE__UPSTREAMS__${s}__URL=http://127.0.0.1:$((UP + i))"
            "BFF_MOBILE__UPSTREAMS__${s}__CACHE__ENABLED=false")
  i=$((i + 1))
done
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null || true' EXIT
env "${up_env[@]}" target/release/demo-upstreams --all >/dev/null 2>&1 &
PIDS+=($!)
env "${bff_env[@]}" target/release/bff-mobile >/dev/null 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" 2>/dev/null && break; sleep 0.2; done
opened() { # the connections every upstream's pool has opened so far, in all
  curl -fsS "http://127.0.0.1:$((PORT + 1))/metrics" \
    | awk '/^upstream_connections_opened_total/ {s += $2} END {print s + 0}'
}
calls() { # upstream calls made so far
  curl -fsS "http://127.0.0.1:$((PORT + 1))/metrics" | awk '/^upstream_requests_total/ {s += $2} END {print s + 0}'
}
# One continuous wrk run: a run that ends cancels the screens in flight, and with them their
# upstream calls, whose connections cannot be reused; the next run opens them again.
BENCH_PATH=/v1/products/ BENCH_ROTATE=2000 wrk -t1 -c64 -d$((WINDOWS * 5 + 2))s -s bench/wrk/screen.lua \
  "http://127.0.0.1:$PORT/v1/products/p00001" >/dev/null &
PIDS+=($!)
last_opened=0 last_calls=0
for window in $(seq "$WINDOWS"); do
  sleep 5
  now_opened=$(opened) now_calls=$(calls)
  echo "window $window: $((now_calls - last_calls)) upstream calls, $((now_opened - last_opened)) connections opened" \
    "($now_opened in all)"
  last_opened=$now_opened last_calls=$now_calls
done
