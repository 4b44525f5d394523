#!/usr/bin/env bash
# A/B of two bff-mobile release binaries (e.g. before and after a change), side by side in one
# run: CPU time per request of each, cached (every cache on) and cold (every cache off).
#
#   bench/ab-mobile.sh BIN_A BIN_B PATH...     e.g. /tmp/before/bff-mobile target/release/bff-mobile /v1/home
#
# The BFFs pinned to CPU 0, the demo upstreams (zero injected latency, ports 17001-17005) and wrk
# to CPU 1; per path and repetition, A then B, 2 s warm-up, SECS (default 5) measured with 16
# connections; CPU from /proc (user + system). Prints µs per request × 1000. Needs target/release/
# demo-upstreams, wrk and taskset.
set -euo pipefail
A=$1 B=$2; shift 2
R=$(cd "$(dirname "$0")/.." && pwd)/target/release
UP=17001
pids=()
trap 'kill ${pids[@]} 2>/dev/null; wait 2>/dev/null' EXIT
env DEMO_UPSTREAMS__TELEMETRY__FILTER=warn $(for i in 0 1 2 3 4; do s=(CATALOG OFFERS REVIEWS RECOMMENDATIONS ACCOUNTS); echo DEMO_UPSTREAMS__${s[$i]}__PORT=$((UP+i)) DEMO_UPSTREAMS__${s[$i]}__LATENCY__MEDIAN=0ms DEMO_UPSTREAMS__${s[$i]}__LATENCY__P99=0ms; done) taskset -c 1 $R/demo-upstreams --all >${TMPDIR:-/tmp}/ab-mobile-up.log 2>&1 & pids+=($!)
start() { # start BIN PORT CACHE
  env BFF_MOBILE__SERVER__PORT=$2 BFF_MOBILE__SERVER__ADMIN_PORT=$(($2+1000)) BFF_MOBILE__SERVER__RATE_LIMIT__ENABLED=false BFF_MOBILE__SERVER__MAX_IN_FLIGHT=20000 BFF_MOBILE__TELEMETRY__FILTER=warn BFF_MOBILE__AUTH__ISSUER=http://127.0.0.1:9 \
   $(for i in 0 1 2 3 4; do s=(CATALOG OFFERS REVIEWS RECOMMENDATIONS ACCOUNTS); echo BFF_MOBILE__UPSTREAMS__${s[$i]}__URL=http://127.0.0.1:$((UP+i)) BFF_MOBILE__UPSTREAMS__${s[$i]}__CACHE__ENABLED=$3; done) \
   taskset -c 0 $1 >${TMPDIR:-/tmp}/ab-mobile-bff-$2.log 2>&1 & pids+=($!)
}
start $A 18081 true; PA_C=$!; start $B 18091 true; PB_C=$!
start $A 18082 false; PA_N=$!; start $B 18092 false; PB_N=$!
sleep 3
cpu() { awk '{print $14+$15}' /proc/$1/stat; }
run() { # run PID PORT PATH
  curl -s -o /dev/null http://127.0.0.1:$2$3
  wrk -t1 -c8 -d2s http://127.0.0.1:$2$3 >/dev/null
  local c0=$(cpu $1); local out=$(taskset -c 1 wrk -t1 -c16 -d${SECS:-5}s http://127.0.0.1:$2$3); local c1=$(cpu $1)
  local n=$(echo "$out" | awk '/requests in/{print $1}')
  echo "$(( (c1-c0)*10000000/n )) µs/req×1000 ($n req) $(echo "$out" | awk '/Non-2xx/{print "NON2XX "$0}')"
}
for path in "$@"; do
  for rep in 1 2; do
    echo "$path rep $rep: A cached $(run $PA_C 18081 $path) | B cached $(run $PB_C 18091 $path)"
    echo "$path rep $rep: A nocache $(run $PA_N 18082 $path) | B nocache $(run $PB_N 18092 $path)"
  done
done
