#!/usr/bin/env bash
# Gateway vs BFF (issue #15): the mobile screens built by an app through a generic gateway (nginx
# in front of the five upstreams) vs from bff-mobile, and the web screens through the gateway vs
# bff-web, over shaped links between the "phone" and the edge. See bench/README.md.
#
#   bench/gateway-vs-bff.sh            full run: 3G, 4G, Wi-Fi (mobile) and desktop (web), 20 runs
#                                      per case; writes bench/GATEWAY-VS-BFF.md and
#                                      bench/gateway-vs-bff.svg (installs matplotlib with pip)
#   bench/gateway-vs-bff.sh --quick    CI: 3G only, mobile only, 5 runs per case; fails unless the
#                                      BFF answers each screen in one request, its product screen
#                                      is ≤ 25% of the gateway path's bytes, and its time to each
#                                      screen on 3G is < 0.5× the gateway path's, with the
#                                      upstreams answering at once (the networks alone). Writes
#                                      nothing into the tree.
# Options: --runs N (runs per case), --skip-build. BIN_DIR=dir uses the binaries there.
#
# Two network namespaces, made here and removed on exit: "phone" (the client) and "edge" (nginx,
# both BFFs, the demo upstreams, each on the edge's loopback), joined by a veth pair. Bandwidth:
# `tc tbf` on each end's egress (the edge's is the downlink, the phone's the uplink). Latency: this
# kernel has no netem, so a relay in the edge (bench/gateway_vs_bff.py relay) adds half the
# round-trip time to every chunk in each direction; it also counts the bytes both ways.
# Needs root (ip netns, tc), python3, curl, nginx (installed with apt-get when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SCRIPT=gateway-vs-bff
HARNESS=$ROOT/bench/gateway_vs_bff.py
# shellcheck source=../scripts/lib/release-stack.sh
source "$ROOT/scripts/lib/release-stack.sh"

# name, round-trip time (ms), downlink, uplink (tc rates)
PROFILES_MOBILE=("3G 300 1600kbit 768kbit" "4G 70 12mbit 12mbit" "Wi-Fi 20 50mbit 50mbit")
# Lighthouse's desktop throttling: 40 ms, 10 Mbit/s each way.
PROFILE_DESKTOP="desktop 40 10mbit 10mbit"
# The edge: the relay on the veth address (80: HTTP/1.1, 81: HTTP/2 over cleartext), nginx behind it.
PHONE_IP=10.203.0.1 EDGE_IP=10.203.0.2 NGINX_PORT=8000 NGINX_H2_PORT=8002

# --- inside the edge namespace: the servers, then the profiles one after the other ---------------------
if [[ ${1:-} == --inside ]]; then
  # From the outer invocation: WORK NS_PHONE VETH_PHONE VETH_EDGE BIN NGINX QUICK RUNS H2
  PIDS=()
  cleanup_inside() {
    [[ -f $WORK/nginx.pid ]] && kill -TERM "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
    stop_pids "${PIDS[@]}"
  }
  trap cleanup_inside EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  ip link set lo up

  # The demo upstreams, on their default ports. Full run: at their default injected latency
  # (what the storefront's services cost in the data centre, ~40 ms a screen, paid by both paths
  # alike). Quick run (CI): answering at once, so the gate compares the networks alone; with the
  # default latency the data centre's share keeps the 3G ratio just above 0.5 (GATEWAY-VS-BFF.md).
  upstream_env=(DEMO_UPSTREAMS__TELEMETRY__FILTER=warn)
  if [[ $QUICK == 1 ]]; then
    for service in CATALOG OFFERS REVIEWS RECOMMENDATIONS ACCOUNTS; do
      upstream_env+=("DEMO_UPSTREAMS__${service}__LATENCY__MEDIAN=0ms" "DEMO_UPSTREAMS__${service}__LATENCY__P99=0ms")
    done
  fi
  env "${upstream_env[@]}" "$BIN/demo-upstreams" --all >"$WORK/demo-upstreams.log" 2>&1 &
  PIDS+=($!)
  for port in 7001 7002 7003 7004 7005; do wait_healthy "http://127.0.0.1:$port/healthz" 30; done
  # The BFFs as shipped, on their default ports, but: every request comes from nginx (one client
  # for the rate limit), and their upstream cache is off, so a screen makes every upstream call
  # each time, like the app through the gateway (which caches nothing).
  for bff in web mobile; do
    prefix=BFF_${bff^^}
    settings=("${prefix}__SERVER__RATE_LIMIT__ENABLED=false" "${prefix}__TELEMETRY__FILTER=warn")
    for service in CATALOG OFFERS REVIEWS RECOMMENDATIONS ACCOUNTS; do
      settings+=("${prefix}__UPSTREAMS__${service}__CACHE__ENABLED=false")
    done
    env "${settings[@]}" "$BIN/bff-$bff" >"$WORK/bff-$bff.log" 2>&1 &
    PIDS+=($!)
  done
  wait_healthy http://127.0.0.1:8080/healthz 30
  wait_healthy http://127.0.0.1:8081/healthz 30

  # The generic gateway: one path prefix per upstream service, gzip on (the level and threshold the
  # BFFs use), keep-alive to the phone and to the services. The BFFs sit behind the same nginx (the
  # edge a BFF is reached through), which passes their own compressed answers through.
  start_nginx <<EOF
  access_log off;
  keepalive_timeout 300s;
  keepalive_requests 10000;
  gzip on;
  gzip_comp_level 6;
  gzip_min_length 1024;
  gzip_proxied any;
  gzip_vary on;
  gzip_types application/json application/problem+json;
  upstream catalog { server 127.0.0.1:7001; keepalive 16; }
  upstream offers { server 127.0.0.1:7002; keepalive 16; }
  upstream reviews { server 127.0.0.1:7003; keepalive 16; }
  upstream recommendations { server 127.0.0.1:7004; keepalive 16; }
  upstream accounts { server 127.0.0.1:7005; keepalive 16; }
  upstream bff_web { server 127.0.0.1:8080; keepalive 16; }
  upstream bff_mobile { server 127.0.0.1:8081; keepalive 16; }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    listen 127.0.0.1:$NGINX_H2_PORT http2;
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    location /catalog/ { proxy_pass http://catalog/; }
    location /offers/ { proxy_pass http://offers/; }
    location /reviews/ { proxy_pass http://reviews/; }
    location /recommendations/ { proxy_pass http://recommendations/; }
    location /accounts/ { proxy_pass http://accounts/; }
    location /api/ { proxy_pass http://bff_web; }
    location /v1/ { proxy_pass http://bff_mobile; }
  }
EOF
  PIDS+=("$NGINX_PID")
  wait_healthy "http://127.0.0.1:$NGINX_PORT/catalog/healthz" 10
  wait_healthy "http://127.0.0.1:$NGINX_PORT/v1/home" 10

  shape() { # dev rate
    local rate=${2%bit}
    local bytes_per_s=$(($(numfmt --from=si "${rate^^}") / 8))
    # A link sends its bytes one after the other at its rate. A token bucket alone does not: its
    # burst leaves at once, so on a 3G profile the first 3 KB after every idle moment (most of a
    # screen's answers) would cost no time at all. The peak rate (1% over the rate, one frame of
    # bucket) paces the burst too: only each idle period's first frame is free.
    # Burst: 2 ms at the rate, at least two full frames; a queue deep enough that TCP never sees a
    # drop (a drop would cost a 200 ms retransmission timeout no network profile asked for).
    local burst=$((bytes_per_s / 500 > 3028 ? bytes_per_s / 500 : 3028))
    local peak=$((bytes_per_s * 8 * 101 / 100))
    echo "tc qdisc replace dev $1 root tbf rate $2 burst $burst peakrate ${peak}bit mtu 1514 limit 4000000"
  }
  run_profile() { # platform "name rtt down up"
    local platform=$1 name rtt down up
    read -r name rtt down up <<<"$2"
    echo "== $name ($platform): RTT ${rtt} ms, ${down} down, ${up} up" >&2
    $(shape "$VETH_EDGE" "$down")
    ip netns exec "$NS_PHONE" $(shape "$VETH_PHONE" "$up")
    python3 "$HARNESS" relay --route "$EDGE_IP:80=127.0.0.1:$NGINX_PORT" \
      --route "$EDGE_IP:81=127.0.0.1:$NGINX_H2_PORT" --rtt-ms "$rtt" --control "$WORK/relay.sock" \
      >"$WORK/relay-$name.log" 2>&1 &
    local relay=$!
    for _ in $(seq 50); do [[ -S $WORK/relay.sock ]] && break; sleep 0.1; done
    local h2=()
    [[ $H2 == 1 ]] && h2=(--h2-edge "$EDGE_IP:81")
    ip netns exec "$NS_PHONE" python3 "$HARNESS" client --edge "$EDGE_IP:80" "${h2[@]}" \
      --control "$WORK/relay.sock" --profile "$name" --platform "$platform" --runs "$RUNS" \
      --out "$WORK/result-$platform-$name.json"
    stop_pids "$relay"
    rm -f "$WORK/relay.sock"
  }
  if [[ $QUICK == 1 ]]; then
    run_profile mobile "${PROFILES_MOBILE[0]}"
  else
    for profile in "${PROFILES_MOBILE[@]}"; do run_profile mobile "$profile"; done
    run_profile web "$PROFILE_DESKTOP"
  fi
  exit 0
fi

# --- outside: tools, binaries, the namespaces ------------------------------------------------------
QUICK=0 RUNS="" BUILD=1
while [[ $# -gt 0 ]]; do
  case $1 in
    --quick) QUICK=1 ;;
    --runs) RUNS=$2; shift ;;
    --skip-build) BUILD=0 ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
if [[ -z $RUNS ]]; then RUNS=$((QUICK ? 5 : 20)); fi
[[ $(id -u) == 0 ]] || { echo "$SCRIPT: needs root (network namespaces, tc)" >&2; exit 1; }
need_nginx
need curl curl
need tc iproute2
# The full run: the chart (matplotlib) and the gateway over HTTP/2 too (h2, a client for it).
H2=0
if [[ $QUICK == 0 ]]; then
  python3 -c 'import matplotlib, h2' 2>/dev/null || python3 -m pip install --quiet matplotlib h2
  H2=1
fi
if [[ $BUILD == 0 && -z ${BIN_DIR:-} ]]; then BIN_DIR=${CARGO_TARGET_DIR:-$ROOT/target}/release; fi
release_bins

WORK=$(mktemp -d /tmp/gateway-vs-bff.XXXXXX)
NS_PHONE=gwb-$$-phone NS_EDGE=gwb-$$-edge VETH_PHONE=gwb$$p VETH_EDGE=gwb$$e
INSIDE=""
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [[ -n $INSIDE ]]; then stop_pids "$INSIDE"; fi
  ip netns del "$NS_PHONE" 2>/dev/null || true
  ip netns del "$NS_EDGE" 2>/dev/null || true
  tidy_work "$status"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ip netns add "$NS_PHONE"
ip netns add "$NS_EDGE"
ip link add "$VETH_PHONE" type veth peer name "$VETH_EDGE"
ip link set "$VETH_PHONE" netns "$NS_PHONE"
ip link set "$VETH_EDGE" netns "$NS_EDGE"
ip -n "$NS_PHONE" addr add "$PHONE_IP/30" dev "$VETH_PHONE"
ip -n "$NS_EDGE" addr add "$EDGE_IP/30" dev "$VETH_EDGE"
ip -n "$NS_PHONE" link set "$VETH_PHONE" up
ip -n "$NS_EDGE" link set "$VETH_EDGE" up
ip -n "$NS_PHONE" link set lo up

started=$SECONDS
# At a higher priority (nice -10) than builds: the bench itself needs little CPU, but on a shared
# machine a busy neighbour would otherwise delay the relay's timers and the client's wake-ups.
WORK=$WORK NS_PHONE=$NS_PHONE VETH_PHONE=$VETH_PHONE VETH_EDGE=$VETH_EDGE BIN=$BIN NGINX=$NGINX \
  QUICK=$QUICK RUNS=$RUNS H2=$H2 nice -n -10 ip netns exec "$NS_EDGE" "$0" --inside &
INSIDE=$!
wait "$INSIDE"
INSIDE=""
minutes=$(awk -v s=$((SECONDS - started)) 'BEGIN { printf "%.1f", s / 60 }')

results=("$WORK"/result-*.json)
if [[ $QUICK == 1 ]]; then
  python3 "$HARNESS" report --md "$WORK/GATEWAY-VS-BFF.md" "${results[@]}" >/dev/null
  cat "$WORK/GATEWAY-VS-BFF.md"
  python3 "$HARNESS" check "${results[@]}"
else
  # The order of the table and the chart: 3G, 4G, Wi-Fi, then the web's desktop.
  ordered=("$WORK/result-mobile-3G.json" "$WORK/result-mobile-4G.json" "$WORK/result-mobile-Wi-Fi.json"
           "$WORK/result-web-desktop.json")
  python3 "$HARNESS" report --md bench/GATEWAY-VS-BFF.md --svg bench/gateway-vs-bff.svg \
    --note "$(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD): \`bench/gateway-vs-bff.sh$([[ $RUNS != 20 ]] && echo " --runs $RUNS")\`, $RUNS runs per case, $minutes min (after the build)" \
    --note "machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(uname -sr), $("$NGINX" -v 2>&1 | sed 's/.*: //'), Python $(python3 -c 'import platform; print(platform.python_version())')" \
    --note "networks (phone ↔ edge): 3G RTT 300 ms, 1.6 Mbit/s down, 768 kbit/s up; 4G RTT 70 ms, 12 Mbit/s each way; Wi-Fi RTT 20 ms, 50 Mbit/s each way; desktop (web, Lighthouse's desktop throttling) RTT 40 ms, 10 Mbit/s each way" \
    --note "a new product id and search text each run (the same for every path); the demo upstreams at their default injected latency; the BFFs' upstream cache off" \
    "${ordered[@]}"
  python3 "$HARNESS" check "${ordered[@]}" || true
fi
