#!/usr/bin/env bash
# Flame graphs of bff-mobile's product screen, cold (every cache off) and cached (every upstream
# answer and the screen itself fresh in the caches): where the CPU time of one request goes.
#
#   bench/flamegraph.sh            writes bench/flamegraph-mobile-product-{cold,cached}.svg
#
# Builds bff-mobile with frame pointers and line tables (its own target dir, target/profiling),
# the demo upstreams in release, and `inferno` (cargo install) when missing; samples the BFF with
# `perf record -g` at 999 Hz for 10 s under wrk (16 connections). Needs perf, wrk, taskset and 2 CPUs:
# the BFF on CPU 0, the upstreams and wrk on CPU 1. Everything it starts stops when it exits.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
OUT=$ROOT/bench/.out/flamegraph
SECONDS_SAMPLED=${FLAME_SECONDS:-10}
UP=${FLAME_PORT_UPSTREAMS:-17101}
PORT=${FLAME_PORT_BFF:-18181}
SERVICES=(catalog offers reviews recommendations accounts)
mkdir -p "$OUT"

for tool in perf wrk taskset curl; do
  command -v "$tool" >/dev/null || { echo "$tool is needed" >&2; exit 1; }
done
command -v inferno-flamegraph >/dev/null || cargo install inferno --locked
cargo build --release -p demo-upstreams
CARGO_PROFILE_RELEASE_DEBUG=line-tables-only RUSTFLAGS="-C force-frame-pointers=yes" \
  cargo build --release -p bff-mobile --target-dir target/profiling

PIDS=()
cleanup() { kill "${PIDS[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT

up_env=(DEMO_UPSTREAMS__TELEMETRY__FILTER=warn)
bff_env=(BFF_MOBILE__SERVER__RATE_LIMIT__ENABLED=false BFF_MOBILE__SERVER__MAX_IN_FLIGHT=20000
         BFF_MOBILE__TELEMETRY__FILTER=warn BFF_MOBILE__AUTH__ISSUER=http://127.0.0.1:9)
for i in "${!SERVICES[@]}"; do
  s=${SERVICES[$i]^^}
  up_env+=("DEMO_UPSTREAMS__${s}__PORT=$((UP + i))" "DEMO_UPSTREAMS__${s}__LATENCY__MEDIAN=0ms"
           "DEMO_UPSTREAMS__${s}__LATENCY__P99=0ms")
  bff_env+=("BFF_MOBILE__UPSTREAMS__${s}__URL=http://127.0.0.1:$((UP + i))")
done
env "${up_env[@]}" taskset -c 1 target/release/demo-upstreams --all >"$OUT/upstreams.log" 2>&1 &
PIDS+=($!)

profile() { # profile NAME CACHE(true|false) WRK-ENV...
  local name=$1 cache=$2; shift 2
  local cache_env=()
  for s in "${SERVICES[@]}"; do cache_env+=("BFF_MOBILE__UPSTREAMS__${s^^}__CACHE__ENABLED=$cache"); done
  env "${bff_env[@]}" "${cache_env[@]}" BFF_MOBILE__SCREEN_CACHE__ENABLED="$cache" \
    BFF_MOBILE__SERVER__PORT="$PORT" BFF_MOBILE__SERVER__ADMIN_PORT=$((PORT + 1)) \
    taskset -c 0 target/profiling/release/bff-mobile >"$OUT/$name.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  for _ in $(seq 100); do curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" && break; sleep 0.2; done
  # Warm-up: pools, caches.
  env "$@" taskset -c 1 wrk -t1 -c16 -d3s -s bench/wrk/screen.lua "http://127.0.0.1:$PORT" >/dev/null
  env "$@" taskset -c 1 wrk -t1 -c16 -d$((SECONDS_SAMPLED + 4))s -s bench/wrk/screen.lua \
    "http://127.0.0.1:$PORT" >"$OUT/$name.wrk" &
  local wrk=$!
  sleep 1
  perf record -F 999 -g -p "$pid" -o "$OUT/$name.perf" -- sleep "$SECONDS_SAMPLED" 2>"$OUT/$name.perf.log"
  wait "$wrk"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  perf script -i "$OUT/$name.perf" 2>/dev/null | inferno-collapse-perf >"$OUT/$name.folded"
  inferno-flamegraph --title "bff-mobile product screen, $name ($(date -u +%F))" --width 1600 \
    <"$OUT/$name.folded" >"bench/flamegraph-mobile-product-$name.svg"
  echo "bench/flamegraph-mobile-product-$name.svg ($(wc -l <"$OUT/$name.folded") stacks)"
}
for i in "${!SERVICES[@]}"; do
  for _ in $(seq 100); do curl -fsS -o /dev/null "http://127.0.0.1:$((UP + i))/healthz" && break; sleep 0.2; done
done
profile cold false BENCH_PATH=/v1/products/ BENCH_ROTATE=2000
profile cached true BENCH_PATH=/v1/products/p00042
