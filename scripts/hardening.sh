#!/usr/bin/env bash
# Load and resource-limit hardening of the BFFs (issue #7): builds release binaries, starts the
# dev identity provider, the demo upstreams and the BFFs on ports 17300-17310 / 18300-18310, and
# runs `load-check` against them:
#   idle       10,000 keep-alive connections held open; connections held, RSS;
#   slowloris  connections trickling header bytes while a normal client measures p50/p99;
#   silent     connections that never send a request closed in time; /healthz under ulimit -n 200;
#   oversize   oversized head, header, bodies and query strings (both BFFs);
#   chaos      steady screen traffic while every upstream's fault switches at random.
# Prints a table of figures, appends it (with the machine and the command) to bench/HARDENING.md,
# and exits non-zero when an assertion failed. Everything it started is stopped on exit.
#
# Usage: scripts/hardening.sh [--quick]   (--quick: the bounded CI form, about 4 minutes)
set -euo pipefail

QUICK=0
[[ "${1:-}" == "--quick" ]] && QUICK=1
cd "$(dirname "$0")/.."
ROOT=$PWD

# Chaos memory: in one minute the caches are still filling (the last quarter's median RSS was up
# to 1.9x the second quarter's in healthy runs), so the quick form allows 2.5x (+16 MiB) and
# relies on the 256 MiB ceiling for leaks; the full form's four minutes allow 2x.
if ((QUICK)); then
  IDLE_CONNS=10000 IDLE_HOLD=10s
  SLOW_CONNS=2000 SLOW_DURATION=20s
  CHAOS_DURATION=60s RSS_GROWTH=1.5
else
  IDLE_CONNS=10000 IDLE_HOLD=30s
  SLOW_CONNS=5000 SLOW_DURATION=60s
  CHAOS_DURATION=240s RSS_GROWTH=1.0
fi

# 10,000 held connections need 10,000 descriptors in the client and as many in the BFF (the BFF
# inherits this limit).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if (($(ulimit -n) < 10240)); then
  echo "hardening: ulimit -n is $(ulimit -n); 10,000 connections need at least 10240" >&2
  exit 1
fi

command -v curl >/dev/null || { apt-get update -qq && apt-get install -y -qq curl >/dev/null; }

SCRIPT=hardening
# shellcheck source=lib/release-stack.sh
source "$ROOT/scripts/lib/release-stack.sh"
release_bins

WORK=$(mktemp -d /tmp/hardening.XXXXXX)
PIDS=()
cleanup() {
  local status=$?
  stop_pids "${PIDS[@]}"
  tidy_work "$status"
}
trap cleanup EXIT INT TERM

stack_ports 17300
MOBILE_PORT=18301
WEB_PORT=18302


"$BIN/dev-idp" --port $IDP_PORT >"$WORK/dev-idp.log" 2>&1 &
PIDS+=($!)
start_upstreams "DEMO_UPSTREAMS__CATALOG__PUBLIC_BASE_URL=http://localhost:${UPSTREAM_PORT[catalog]}"
PIDS+=("$UPSTREAMS_PID")
wait_stack_healthy

BFF_PID=
# Starts one BFF (mobile or web) with the given extra settings; sets BFF_PID and BFF_LOG.
start_bff() { # mobile|web name KEY=VALUE...
  local kind=$1 name=$2
  shift 2
  local prefix port
  if [[ $kind == mobile ]]; then prefix=BFF_MOBILE port=$MOBILE_PORT; else prefix=BFF_WEB port=$WEB_PORT; fi
  BFF_LOG=$WORK/bff-$kind-$name.log
  local settings=(
    "${prefix}__SERVER__PORT=$port"
    "${prefix}__TELEMETRY__FORMAT=json"
    $(bff_upstream_env "$prefix")
  )
  if [[ $kind == mobile ]]; then
    settings+=("BFF_MOBILE__AUTH__ISSUER=$ISSUER")
  else
    settings+=("BFF_WEB__OIDC__ISSUER=$ISSUER" "BFF_WEB__SERVER__PUBLIC_ORIGIN=http://localhost:$port"
      "BFF_WEB__OIDC__REDIRECT_URI=http://localhost:$port/auth/callback"
      "BFF_WEB__OIDC__POST_LOGOUT_REDIRECT_URI=http://localhost:$port/")
  fi
  # BFF_ULIMIT=N: the BFF runs with `ulimit -n N` (the same PID: the shell execs it).
  sh -c 'ulimit -n "$0" && exec "$@"' "${BFF_ULIMIT:-$(ulimit -n)}" \
    env "${settings[@]}" "$@" "$BIN/bff-$kind" >"$BFF_LOG" 2>&1 &
  BFF_PID=$!
  PIDS+=("$BFF_PID")
  wait_healthy "http://127.0.0.1:$port/healthz" 30
}

stop_bff() {
  kill -TERM "$BFF_PID" 2>/dev/null || true
  wait "$BFF_PID" 2>/dev/null || true
}

ROWS=$WORK/rows.md
FAILED=()
check() { # name, command...
  local name=$1
  shift
  echo "hardening: $name" >&2
  if ! "$@" | tee -a "$ROWS"; then
    FAILED+=("$name")
    echo "| $name | RESULT | FAIL |" >>"$ROWS"
  fi
}

MOBILE=http://127.0.0.1:$MOBILE_PORT
WEB=http://127.0.0.1:$WEB_PORT

# idle: every connection comes from 127.0.0.1, so the per-client rate limit (keyed on the peer IP)
# would answer most of the 10,000 requests 429: off. The header read timeout also bounds how long
# an idle keep-alive connection may wait for its next request, so it is raised above the hold time:
# this run measures what holding connections costs, slowloris below measures the timeout.
start_bff mobile idle BFF_MOBILE__SERVER__RATE_LIMIT__ENABLED=false \
  BFF_MOBILE__SERVER__KEEP_ALIVE_TIMEOUT=120s BFF_MOBILE__SERVER__MAX_IN_FLIGHT=1024 \
  BFF_MOBILE__SERVER__MAX_CONNECTIONS=$((IDLE_CONNS + 100))
check idle "$BIN/load-check" idle --conns $IDLE_CONNS --hold $IDLE_HOLD --target $MOBILE --pid "$BFF_PID"
stop_bff

# slowloris: the defence under test is the header read timeout, set to its default (5 s)
# explicitly; the attacking connections never finish a request, so the rate limit never sees them,
# but the normal client (4 loops, ~150 req/s from 127.0.0.1) would exceed the default 100/s: off.
# Load shedding stays at its default: it counts requests, which the attack never completes.
start_bff mobile slowloris BFF_MOBILE__SERVER__RATE_LIMIT__ENABLED=false \
  BFF_MOBILE__SERVER__HEADER_READ_TIMEOUT=5s BFF_MOBILE__SERVER__MAX_IN_FLIGHT=1024
check slowloris "$BIN/load-check" slowloris --conns $SLOW_CONNS --duration $SLOW_DURATION \
  --target $MOBILE --path /v1/home --max-p99 1000ms --min-success 0.99 --min-cut-share 0.9
stop_bff

# silent: connections that never send a request (nothing, half an HTTP/2 preface, preface +
# SETTINGS, unfinished HEADERS) are closed within the header-read timeout; then, with the BFF's
# descriptor limit at 200 (its default connection cap follows: 136), one client holds 220 silent
# connections and /healthz from a fresh connection must answer within the timeout + 2 s.
BFF_ULIMIT=200 start_bff mobile silent BFF_MOBILE__SERVER__HEADER_READ_TIMEOUT=5s
check silent "$BIN/load-check" silent --target $MOBILE --header-read-timeout 5s --conns 220
stop_bff

# oversize: the limits under test are the defaults (16 KiB head, 64 KiB body), set explicitly;
# the handful of requests stays far below the rate limit, which stays on.
start_bff mobile oversize BFF_MOBILE__SERVER__MAX_HEADER_BYTES=16384 BFF_MOBILE__SERVER__MAX_BODY_BYTES=65536
check oversize-mobile "$BIN/load-check" --label "oversize (mobile)" oversize --target $MOBILE --max-header-bytes 16384 --max-body-bytes 65536 \
  --post-path /v1/cart/items --search-path /v1/search
stop_bff
start_bff web oversize BFF_WEB__SERVER__MAX_HEADER_BYTES=16384 BFF_WEB__SERVER__MAX_BODY_BYTES=65536
check oversize-web "$BIN/load-check" --label "oversize (web)" oversize --target $WEB --max-header-bytes 16384 --max-body-bytes 65536 \
  --post-path /api/cart/items --search-path /api/search --header "X-CSRF: 1"
stop_bff

# chaos: steady traffic from 127.0.0.1 far above 100 req/s: rate limit off, so every answer
# reflects the upstream faults rather than the limiter. Load shedding at its default (1024 in
# flight) is never reached by 8 clients. Request timeout default (10 s): a screen that overran it
# would be a 503 problem, and the client calls anything over 12 s a hang.
upstream_urls=()
for port in "${UPSTREAM_PORT[@]}"; do upstream_urls+=(--upstream "http://127.0.0.1:$port"); done
start_bff mobile chaos BFF_MOBILE__SERVER__RATE_LIMIT__ENABLED=false BFF_MOBILE__SERVER__REQUEST_TIMEOUT=10s
check chaos-mobile "$BIN/load-check" --label "chaos (mobile)" chaos --target $MOBILE --duration $CHAOS_DURATION "${upstream_urls[@]}" \
  --pid "$BFF_PID" --bff-log "$BFF_LOG" --hang-after 12s --max-rss-growth "$RSS_GROWTH"
stop_bff
start_bff web chaos BFF_WEB__SERVER__RATE_LIMIT__ENABLED=false BFF_WEB__SERVER__REQUEST_TIMEOUT=10s
check chaos-web "$BIN/load-check" --label "chaos (web)" chaos --target $WEB --duration $CHAOS_DURATION "${upstream_urls[@]}" \
  --pid "$BFF_PID" --bff-log "$BFF_LOG" --hang-after 12s --max-rss-growth "$RSS_GROWTH" --header "X-CSRF: 1" \
  --path /api/home --path '/api/products/{id}' --path '/api/search?q={q}' --path '/api/products/{id}/reviews'
stop_bff

# The record: machine, command, figures.
mode=full
((QUICK)) && mode=quick
{
  echo
  echo "## $(date -u +%Y-%m-%dT%H:%MZ), $mode run, commit $(git rev-parse --short HEAD)"
  echo
  echo "Machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), \
$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM, $(uname -sr)."
  echo "Command: \`scripts/hardening.sh${1:+ $1}\`"
  echo
  echo "| check | figure | value |"
  echo "|---|---|---|"
  cat "$ROWS"
  if ((${#FAILED[@]})); then echo; echo "FAILED: ${FAILED[*]}"; fi
} >"$WORK/section.md"
cat "$WORK/section.md"
[[ -f bench/HARDENING.md ]] || cat >bench/HARDENING.md <<'EOF'
# Hardening figures

Appended by `scripts/hardening.sh` (load, slowloris, oversized requests, chaos) and
`scripts/rolling-restart.sh` (rolling restart behind nginx). Each section names the machine and
the command that produced it. What each check asserts is in the scripts' headers and in
`crates/load-check`.
EOF
cat "$WORK/section.md" >>bench/HARDENING.md

if ((${#FAILED[@]})); then
  echo "hardening: FAILED: ${FAILED[*]} (logs in $WORK)" >&2
  exit 1
fi
echo "hardening: all checks passed" >&2
