#!/usr/bin/env bash
# The benchmark of the BFFs: see bench/README.md.
#
#   bench/run.sh                  full run (3 repetitions, ~15-20 min), appends to bench/RESULTS.md
#   bench/run.sh --quick          smoke test (short runs, 1 repetition, ~3 min)
#
# Options:
#   --ports-offset N   add N to every port (upstreams 7001-7005, bff-web 8080, bff-mobile 8081,
#                      Node reference 8082, cache-less bff-web 8083 and bff-mobile 8084, the
#                      2000-id bff-web 8085 and bff-mobile 8086, the minimal BFF 8087 and its
#                      least-decoding twin 8088, dev-idp 7000),
#                      so the bench does not collide with a stack already running; each port can also
#                      be set alone: BENCH_PORT_UPSTREAMS (the first of five), BENCH_PORT_IDP,
#                      BENCH_PORT_WEB_MIXED, BENCH_PORT_MOBILE_MIXED, BENCH_PORT_WEB, BENCH_PORT_MOBILE,
#                      BENCH_PORT_NODE, BENCH_PORT_WEB_NOCACHE, BENCH_PORT_MOBILE_NOCACHE, BENCH_PORT_MINIMAL,
#                      BENCH_PORT_MINIMAL_LEAST
#   --no-pin           do not pin processes to CPUs (pinning needs 2 CPUs; it is off with fewer)
#   --no-wait          full run: do not wait for a quiet machine (1-min load average < 1.5)
#   --skip-build       use the binaries already built
#   anything after --  is passed to bench/bench.py (e.g. -- --only mp- --no-idle)
#
# Everything this script starts is stopped when it exits, on success, failure or Ctrl-C.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
OUT=$ROOT/bench/.out
COMMAND="bench/run.sh${*:+ $*}"
QUICK=0 OFFSET=0 PIN=1 WAIT=1 BUILD=1
EXTRA=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --quick) QUICK=1 ;;
    --ports-offset) OFFSET=$2; shift ;;
    --no-pin) PIN=0 ;;
    --no-wait) WAIT=0 ;;
    --skip-build) BUILD=0 ;;
    --) shift; EXTRA=("$@"); break ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[[ $(nproc) -ge 2 ]] || PIN=0
CPU_SUT=0 CPU_LOAD=1

UP=${BENCH_PORT_UPSTREAMS:-$((7001 + OFFSET))}
PORT_IDP=${BENCH_PORT_IDP:-$((7000 + OFFSET))}
PORT_WEB=${BENCH_PORT_WEB:-$((8080 + OFFSET))}
PORT_MOBILE=${BENCH_PORT_MOBILE:-$((8081 + OFFSET))}
PORT_NODE=${BENCH_PORT_NODE:-$((8082 + OFFSET))}
PORT_WEB_NOCACHE=${BENCH_PORT_WEB_NOCACHE:-$((8083 + OFFSET))}
PORT_MOBILE_NOCACHE=${BENCH_PORT_MOBILE_NOCACHE:-$((8084 + OFFSET))}
PORT_WEB_MIXED=${BENCH_PORT_WEB_MIXED:-$((8085 + OFFSET))}
PORT_MOBILE_MIXED=${BENCH_PORT_MOBILE_MIXED:-$((8086 + OFFSET))}
PORT_MINIMAL=${BENCH_PORT_MINIMAL:-$((8087 + OFFSET))}
PORT_MINIMAL_LEAST=${BENCH_PORT_MINIMAL_LEAST:-$((8088 + OFFSET))}
SERVICES=(catalog offers reviews recommendations accounts)

log() { printf '\n== %s\n' "$*"; }
pin() { if [[ $PIN == 1 ]]; then echo "taskset -c $1"; fi; }

# --- 1. tools -------------------------------------------------------------------------------------
apt_install() {
  echo "installing $* with apt-get"
  if [[ $(id -u) == 0 ]]; then SUDO=""; else SUDO=sudo; fi
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@"
}
command -v wrk >/dev/null || apt_install wrk
command -v taskset >/dev/null || apt_install util-linux
command -v curl >/dev/null || apt_install curl
node_major() { node --version 2>/dev/null | sed -E 's/^v([0-9]+).*/\1/' || echo 0; }
if [[ $(node_major) -lt 20 ]]; then apt_install nodejs npm; fi
if [[ $(node_major) -lt 20 ]]; then
  echo "Node.js 20 or later is needed for the reference (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ is needed" >&2; exit 1; }

# --- 2. build -------------------------------------------------------------------------------------
if [[ $BUILD == 1 ]]; then
  log "building release binaries"
  cargo build --release -p demo-upstreams -p bff-web -p bff-mobile
  # bff-web discovers its OpenID provider at start-up: the development one stands in.
  cargo build --release -p dev-idp
  cargo build --release --manifest-path bench/floor-client/Cargo.toml
  log "installing the Node reference (npm ci)"
  (cd bench/node-reference && npm ci --no-audit --no-fund --loglevel=error)
fi

# --- 3. start everything ------------------------------------------------------------------------------
for port in $(seq "$UP" $((UP + 4))) "$PORT_IDP" "$PORT_WEB" "$PORT_MOBILE" "$PORT_NODE" "$PORT_WEB_NOCACHE" "$PORT_MOBILE_NOCACHE" \
            "$PORT_WEB_MIXED" "$PORT_MOBILE_MIXED" "$PORT_MINIMAL" "$PORT_MINIMAL_LEAST"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "port $port is already in use: stop what listens there or use --ports-offset N" >&2
    exit 1
  fi
done

PIDS=()
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [[ ${#PIDS[@]} -gt 0 ]]; then
    echo "stopping ${#PIDS[@]} processes started by the bench"
    kill -TERM "${PIDS[@]}" 2>/dev/null || true
    for _ in $(seq 50); do
      local alive=0
      for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
      [[ $alive == 0 ]] && break
      sleep 0.1
    done
    kill -KILL "${PIDS[@]}" 2>/dev/null || true
    wait 2>/dev/null || true
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Enough file descriptors for 10,000 idle connections (inherited by everything started below).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
mkdir -p "$OUT/logs"

start() { # start NAME CPU ENV... -- COMMAND...
  local name=$1 cpu=$2; shift 2
  local envs=()
  while [[ $1 != -- ]]; do envs+=("$1"); shift; done
  shift
  # shellcheck disable=SC2046
  env "${envs[@]}" $(pin "$cpu") "$@" >"$OUT/logs/$name.log" 2>&1 &
  PIDS+=($!)
  printf -v "PID_${name//-/_}" '%s' "$!"
}

log "starting the demo upstreams (zero injected latency), the dev identity provider, the BFFs, the Node reference and the minimal BFF"
up_env=(DEMO_UPSTREAMS__TELEMETRY__FILTER=warn)
for i in "${!SERVICES[@]}"; do
  s=${SERVICES[$i]^^}
  up_env+=("DEMO_UPSTREAMS__${s}__PORT=$((UP + i))" "DEMO_UPSTREAMS__${s}__LATENCY__MEDIAN=0ms"
           "DEMO_UPSTREAMS__${s}__LATENCY__P99=0ms")
done
start upstreams "$CPU_LOAD" "${up_env[@]}" -- target/release/demo-upstreams --all
ISSUER=http://127.0.0.1:$PORT_IDP
start idp "$CPU_LOAD" DEV_IDP__PORT="$PORT_IDP" DEV_IDP__ISSUER="$ISSUER" DEV_IDP__TELEMETRY__FILTER=warn \
  -- target/release/dev-idp

bff_env() { # bff_env PREFIX PORT CACHE(true|false)
  local prefix=$1 port=$2 cache=$3
  echo "${prefix}__SERVER__PORT=$port ${prefix}__SERVER__RATE_LIMIT__ENABLED=false"
  echo "${prefix}__SERVER__MAX_IN_FLIGHT=20000 ${prefix}__TELEMETRY__FILTER=warn"
  # How long an idle keep-alive connection may wait (75 s by default): long enough here to hold
  # 10,000 of them open while they are counted. No effect on the load runs.
  echo "${prefix}__SERVER__KEEP_ALIVE_TIMEOUT=120s"
  # The identity provider, where the BFF's configuration has one (bff-web: [oidc], bff-mobile: [auth]).
  local crate=${prefix#BFF_}
  crate=bff-${crate,,}
  grep -aq '^\[oidc\]$' "target/release/$crate" && echo "${prefix}__OIDC__ISSUER=$ISSUER" || true
  grep -aq '^\[auth\]$' "target/release/$crate" && echo "${prefix}__AUTH__ISSUER=$ISSUER" || true
  for i in "${!SERVICES[@]}"; do
    local s=${SERVICES[$i]^^}
    echo "${prefix}__UPSTREAMS__${s}__URL=http://127.0.0.1:$((UP + i))"
    echo "${prefix}__UPSTREAMS__${s}__CACHE__ENABLED=$cache"
  done
}
# shellcheck disable=SC2046
start web "$CPU_SUT" $(bff_env BFF_WEB "$PORT_WEB" true) -- target/release/bff-web
# shellcheck disable=SC2046
start mobile "$CPU_SUT" $(bff_env BFF_MOBILE "$PORT_MOBILE" true) -- target/release/bff-mobile
# shellcheck disable=SC2046
start web_nocache "$CPU_SUT" $(bff_env BFF_WEB "$PORT_WEB_NOCACHE" false) -- target/release/bff-web
# shellcheck disable=SC2046
start mobile_nocache "$CPU_SUT" $(bff_env BFF_MOBILE "$PORT_MOBILE_NOCACHE" false) -- target/release/bff-mobile
# Cache on, for the runs over 2000 ids only: so the cached-screen runs above keep one screen's
# answers in their cache, and their memory figures are not those of 2000 cached products.
# shellcheck disable=SC2046
start web_mixed "$CPU_SUT" $(bff_env BFF_WEB "$PORT_WEB_MIXED" true) -- target/release/bff-web
# shellcheck disable=SC2046
start mobile_mixed "$CPU_SUT" $(bff_env BFF_MOBILE "$PORT_MOBILE_MIXED" true) -- target/release/bff-mobile
start node "$CPU_SUT" NODE_ENV=production PORT="$PORT_NODE" \
  CATALOG_URL="http://127.0.0.1:$UP" OFFERS_URL="http://127.0.0.1:$((UP + 1))" \
  REVIEWS_URL="http://127.0.0.1:$((UP + 2))" RECOMMENDATIONS_URL="http://127.0.0.1:$((UP + 3))" \
  -- node bench/node-reference/server.js
# The minimal BFF (floor-client --mode serve): the lower bound of any BFF of the mobile product and home
# screens (/v1/products/{id}, /v1/home) and of the web product and home pages (/api/products/{id}, /api/home).
minimal=(bench/floor-client/target/release/floor-client --mode serve --catalog "http://127.0.0.1:$UP"
  --offers "http://127.0.0.1:$((UP + 1))" --reviews "http://127.0.0.1:$((UP + 2))"
  --recommendations "http://127.0.0.1:$((UP + 3))")
start minimal "$CPU_SUT" -- "${minimal[@]}" --listen "$PORT_MINIMAL"
# The same, decoding only the fields its answer shows, borrowed from the bodies: the tighter bound.
start minimal_least "$CPU_SUT" -- "${minimal[@]}" --decode least --listen "$PORT_MINIMAL_LEAST"

wait_healthy() { # wait_healthy NAME PORT
  for _ in $(seq 100); do
    if curl -fsS -o /dev/null "http://127.0.0.1:$2/healthz"; then return 0; fi
    kill -0 "$(eval echo "\$PID_$1")" 2>/dev/null || break
    sleep 0.2
  done
  echo "$1 did not become healthy on port $2; its log ($OUT/logs/$1.log):" >&2
  tail -20 "$OUT/logs/$1.log" >&2
  exit 1
}
for i in "${!SERVICES[@]}"; do wait_healthy upstreams $((UP + i)); done
wait_healthy idp "$PORT_IDP"
wait_healthy web "$PORT_WEB"
wait_healthy mobile "$PORT_MOBILE"
wait_healthy web_nocache "$PORT_WEB_NOCACHE"
wait_healthy mobile_nocache "$PORT_MOBILE_NOCACHE"
wait_healthy web_mixed "$PORT_WEB_MIXED"
wait_healthy mobile_mixed "$PORT_MOBILE_MIXED"
wait_healthy node "$PORT_NODE"
wait_healthy minimal "$PORT_MINIMAL"
wait_healthy minimal_least "$PORT_MINIMAL_LEAST"

# --- 4. a quiet machine ---------------------------------------------------------------------------
if [[ $QUICK == 0 && $WAIT == 1 ]]; then
  for i in $(seq 16); do
    load=$(cut -d' ' -f1 /proc/loadavg)
    if awk -v l="$load" 'BEGIN { exit !(l < 1.5) }'; then break; fi
    if [[ $i == 16 ]]; then echo "load average still $load after 15 minutes: measuring anyway"; break; fi
    echo "load average $load ≥ 1.5: waiting a minute for the machine to quieten ($i/15)"
    sleep 60
  done
fi

# --- 5. measure -------------------------------------------------------------------------------------
log "measuring"
args=()
[[ $QUICK == 1 ]] && args+=(--quick)
BENCH_ROOT=$ROOT BENCH_OUT=$OUT BENCH_COMMAND=$COMMAND BENCH_PIN=$PIN BENCH_CPU_SUT=$CPU_SUT BENCH_CPU_LOAD=$CPU_LOAD \
BENCH_PID_UPSTREAMS=$PID_upstreams BENCH_PID_WEB=$PID_web BENCH_PID_MOBILE=$PID_mobile \
BENCH_PID_WEB_NOCACHE=$PID_web_nocache BENCH_PID_MOBILE_NOCACHE=$PID_mobile_nocache BENCH_PID_NODE=$PID_node \
BENCH_PID_WEB_MIXED=$PID_web_mixed BENCH_PID_MOBILE_MIXED=$PID_mobile_mixed BENCH_PID_MINIMAL=$PID_minimal \
BENCH_PID_MINIMAL_LEAST=$PID_minimal_least BENCH_PORT_MINIMAL_LEAST=$PORT_MINIMAL_LEAST \
BENCH_PORT_WEB_MIXED=$PORT_WEB_MIXED BENCH_PORT_MOBILE_MIXED=$PORT_MOBILE_MIXED BENCH_PORT_MINIMAL=$PORT_MINIMAL \
BENCH_PORT_WEB=$PORT_WEB BENCH_PORT_MOBILE=$PORT_MOBILE BENCH_PORT_NODE=$PORT_NODE \
BENCH_PORT_WEB_NOCACHE=$PORT_WEB_NOCACHE BENCH_PORT_MOBILE_NOCACHE=$PORT_MOBILE_NOCACHE \
BENCH_URL_CATALOG="http://127.0.0.1:$UP" BENCH_URL_OFFERS="http://127.0.0.1:$((UP + 1))" \
BENCH_URL_REVIEWS="http://127.0.0.1:$((UP + 2))" BENCH_URL_RECOMMENDATIONS="http://127.0.0.1:$((UP + 3))" \
  python3 bench/bench.py "${args[@]}" "${EXTRA[@]}"
