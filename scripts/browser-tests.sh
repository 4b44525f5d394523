#!/usr/bin/env bash
# The storefront page in a real browser: headless Debian Chromium driven by playwright-core
# (e2e/browser/) against a local stack of separate processes: the dev identity provider, the
# five demo upstreams (one process each, so one can be stopped) and bff-web, all debug builds on
# ports 17100-17105 and 18100. Installs what is missing, always stops everything it started.
# Screenshots and logs: target/browser-tests/.
#
# Usage: scripts/browser-tests.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

out="$root/target/browser-tests"
logs="$out/logs"
rm -rf "$out"
mkdir -p "$logs"

idp_port=17100
bff_port=18100
declare -A upstream_ports=([catalog]=17101 [offers]=17102 [reviews]=17103 [recommendations]=17104 [accounts]=17105)
# `localhost`, not 127.0.0.1: browsers treat it as a secure context, so the strict
# `__Host-session` cookie (`Secure`) works over plain HTTP and no cookie relaxation is needed.
idp_url="http://localhost:$idp_port"
bff_url="http://localhost:$bff_port"

echo "== packages"
export DEBIAN_FRONTEND=noninteractive
if [ ! -x /usr/bin/chromium ]; then
  apt-get update -qq
  apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
fi
# (Debian's wrapper script may complain on stderr about its own environment checks.)
/usr/bin/chromium --version 2>/dev/null
if ! command -v npm >/dev/null 2>&1; then
  apt-get update -qq
  apt-get install -y -qq nodejs npm >/dev/null
fi
(cd e2e/browser && npm ci --no-audit --no-fund --loglevel=error)

echo "== debug binaries"
source scripts/lib/debug-bins.sh
debug_bins
bin="$DEBUG_BIN"

pids=()
cleanup() {
  status=$?
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  if [ "$status" -ne 0 ]; then
    echo "== browser tests failed; the last log lines of each process follow"
    for log in "$logs"/*.log; do
      echo "-- $log"
      tail -n 30 "$log" || true
    done
  fi
  exit "$status"
}
trap cleanup EXIT INT TERM

# Waits until `$@` (a --health-check command) succeeds, for at most 60 s.
wait_healthy() {
  local name=$1
  shift
  for _ in $(seq 1 120); do
    if "$@" >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.5
  done
  echo "$name did not become healthy" >&2
  return 1
}

echo "== dev-idp on $idp_port"
# shellcheck source=lib/dev-idp-web-client.sh
source scripts/lib/dev-idp-web-client.sh
dev_idp_web_client "$bff_url" >"$out/dev-idp.toml"
DEV_IDP__ISSUER="$idp_url" DEV_IDP__PORT="$idp_port" \
  "$bin/dev-idp" --config "$out/dev-idp.toml" >"$logs/dev-idp.log" 2>&1 &
pids+=($!)
wait_healthy dev-idp env DEV_IDP__PORT="$idp_port" "$bin/dev-idp" --config "$out/dev-idp.toml" --health-check

echo "== demo upstreams on 17101-17105"
for service in catalog offers reviews recommendations accounts; do
  port=${upstream_ports[$service]}
  DEMO_UPSTREAMS__CATALOG__PUBLIC_BASE_URL="http://localhost:${upstream_ports[catalog]}" \
    DEMO_UPSTREAMS__AUTH__ISSUER="$idp_url" \
    "$bin/demo-upstreams" --service "$service" --port "$port" >"$logs/$service.log" 2>&1 &
  pids+=($!)
  if [ "$service" = recommendations ]; then
    recommendations_pid=$!
  fi
done
for service in catalog offers reviews recommendations accounts; do
  port=${upstream_ports[$service]}
  wait_healthy "$service" "$bin/demo-upstreams" --service "$service" --port "$port" --health-check
done

echo "== bff-web on $bff_port"
export BFF_WEB__SERVER__PORT="$bff_port"
export BFF_WEB__SERVER__PUBLIC_ORIGIN="$bff_url"
export BFF_WEB__OIDC__ISSUER="$idp_url"
export BFF_WEB__OIDC__REDIRECT_URI="$bff_url/auth/callback"
export BFF_WEB__OIDC__POST_LOGOUT_REDIRECT_URI="$bff_url/"
export BFF_WEB__STOREFRONT__IMAGE_ORIGIN="http://localhost:${upstream_ports[catalog]}"
for service in catalog offers reviews recommendations accounts; do
  upper=$(echo "$service" | tr '[:lower:]' '[:upper:]')
  export "BFF_WEB__UPSTREAMS__${upper}__URL=http://127.0.0.1:${upstream_ports[$service]}"
done
# Debug builds of every service on a shared 2-core machine: generous screen deadlines.
for screen in HOME PRODUCT SEARCH REVIEWS ME CART; do
  export "BFF_WEB__SCREENS__${screen}=3s"
done
# The stopped-recommendations test wants the shelf gone at once, not served stale from cache.
export BFF_WEB__UPSTREAMS__RECOMMENDATIONS__CACHE__ENABLED=false
"$bin/bff-web" >"$logs/bff-web.log" 2>&1 &
pids+=($!)
wait_healthy bff-web "$bin/bff-web" --health-check

echo "== browser tests"
cd e2e/browser
STOREFRONT_URL="$bff_url" RECOMMENDATIONS_PID="$recommendations_pid" OUTPUT_DIR="$out" \
  CHROMIUM=/usr/bin/chromium timeout 300 node --test --test-reporter=spec storefront.test.js
ls "$out"/*.png
