#!/usr/bin/env bash
# Side-by-side A/B of two bff-mobile binaries (the allocator change of 2026-11-27): the same stack,
# both BFFs running at once, wrk alternating between them on the cached product screen.
# Usage: OLD=path/to/bff-mobile bench/allocator-ab.sh   (NEW defaults to target/release/bff-mobile)
set -u
BIN=${CARGO_TARGET_DIR:-$(cd "$(dirname "$0")/.." && pwd)/target}/release
PIDS=()
trap 'kill ${PIDS[@]} 2>/dev/null; wait 2>/dev/null' EXIT
$BIN/dev-idp --port 17300 >/tmp/allocator-ab-idp.log 2>&1 & PIDS+=($!)
env DEMO_UPSTREAMS__CATALOG__PORT=17301 DEMO_UPSTREAMS__OFFERS__PORT=17302 DEMO_UPSTREAMS__REVIEWS__PORT=17303 DEMO_UPSTREAMS__RECOMMENDATIONS__PORT=17304 DEMO_UPSTREAMS__ACCOUNTS__PORT=17305 $BIN/demo-upstreams --all >/tmp/allocator-ab-up.log 2>&1 & PIDS+=($!)
sleep 2
start() { # bin port
  env BFF_MOBILE__SERVER__PORT=$2 BFF_MOBILE__AUTH__ISSUER=http://localhost:17300 BFF_MOBILE__SERVER__RATE_LIMIT__ENABLED=false \
    BFF_MOBILE__UPSTREAMS__CATALOG__URL=http://127.0.0.1:17301 BFF_MOBILE__UPSTREAMS__OFFERS__URL=http://127.0.0.1:17302 BFF_MOBILE__UPSTREAMS__REVIEWS__URL=http://127.0.0.1:17303 BFF_MOBILE__UPSTREAMS__RECOMMENDATIONS__URL=http://127.0.0.1:17304 BFF_MOBILE__UPSTREAMS__ACCOUNTS__URL=http://127.0.0.1:17305 \
    $1 >/tmp/allocator-ab-$2.log 2>&1 &
  PIDS+=($!); eval "PID_$2=$!"
}
start "${OLD:?set OLD to the baseline bff-mobile}" 18401
start "${NEW:-$BIN/bff-mobile}" 18402
sleep 2
for p in 18401 18402; do wrk -t1 -c16 -d3s http://127.0.0.1:$p/v1/products/p00042 >/dev/null; done
for round in 1 2 3; do
  for p in 18401 18402; do
    r=$(wrk -t1 -c16 -d8s --latency http://127.0.0.1:$p/v1/products/p00042 | awk '/Requests\/sec/{rps=$2} /^ +50%/{p50=$2} /^ +99%/{p99=$2} /Non-2xx/{n=$NF} END{print rps, p50, p99, "non2xx=" (n==""?0:n)}')
    pid=$(eval echo \$PID_$p); rss=$(awk '/VmRSS/{print $2}' /proc/$pid/status)
    echo "round $round port $p ($([ $p = 18401 ] && echo OLD || echo NEW)): $r rss=${rss}KiB"
  done
done
