#!/usr/bin/env bash
# The whole sign-in story against an OpenID Certified provider that the team did not write:
# panva's oidc-provider (npm, pinned in e2e/oidc-provider/package-lock.json), configured as a
# deployment would be (e2e/oidc-provider/provider.js). Starts it (and a second one that takes only
# client_secret_post, with a second bff-web), the five demo upstreams and both BFFs (debug
# builds) on free ports; runs stack-check's web and mobile journeys, then
# e2e/oidc-provider/journeys.js: one PASS/FAIL line per journey, `journeys: N passed, N failed`,
# non-zero on any failure. Stops everything it started. Logs: target/oidc-provider-e2e/.
#
# Access tokens live OIDC_E2E_TOKEN_TTL seconds (default 10) so that bff-web's refresh and the
# expiry checks happen within the run.
#
# Usage: scripts/oidc-provider-e2e.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
started=$SECONDS

out="$root/target/oidc-provider-e2e"
rm -rf "$out"
mkdir -p "$out"
ttl=${OIDC_E2E_TOKEN_TTL:-10}

echo "== packages"
if ! command -v npm >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq nodejs npm >/dev/null
fi
# node_modules is kept while the lock file is unchanged (its hash is noted beside it); npm's own
# cache (~/.npm) makes a reinstall offline.
(
  cd e2e/oidc-provider
  lock=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [[ "$(cat node_modules/.lock-sha256 2>/dev/null)" != "$lock" ]]; then
    npm ci --no-audit --no-fund --loglevel=error --prefer-offline
    echo "$lock" >node_modules/.lock-sha256
  fi
)
echo "oidc-provider $(node -p 'require("./e2e/oidc-provider/node_modules/oidc-provider/package.json").version'), node $(node --version)"

echo "== debug binaries"
source scripts/lib/debug-bins.sh
debug_bins
bin="$DEBUG_BIN"

# Free ports, chosen by the kernel: provider, five upstreams, two BFFs and their admin ports.
read -r idp catalog offers reviews recommendations accounts web mobile web_admin mobile_admin \
  idp_post web_post web_post_admin < <(
  python3 -c '
import socket
socks = [socket.socket() for _ in range(13)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])
for s in socks: s.close()')
issuer="http://localhost:$idp"
web_url="http://localhost:$web"
issuer_post="http://localhost:$idp_post"
web_post_url="http://localhost:$web_post"
mobile_url="http://localhost:$mobile"
web_secret="web-$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')"
mobile_secret="mobile-$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')"

# No setting of the caller's environment leaks into the stack.
while IFS='=' read -r name _; do
  case "$name" in
    DEMO_UPSTREAMS__* | BFF_WEB__* | BFF_MOBILE__* | BFF_WEB_CONFIG | BFF_MOBILE_CONFIG | OIDC_*) unset "$name" ;;
  esac
done < <(env)

source scripts/lib/children.sh
on_exit() {
  status=$?
  if ((status != 0)); then
    echo "== failed; the last log lines of each process (all in $out/)"
    for log in "$out"/*.log; do
      echo "-- $log"
      tail -n 15 "$log" || true
    done
  fi
  stop_children
  echo "oidc-provider end-to-end: $((SECONDS - started)) s"
}
trap on_exit EXIT

wait_for() { # NAME URL
  for _ in $(seq 1 240); do
    curl -fsS -o /dev/null "$2" 2>/dev/null && return 0
    sleep 0.25
  done
  echo "$1 did not answer at $2" >&2
  return 1
}

echo "== oidc-provider at $issuer"
OIDC_ISSUER="$issuer" OIDC_WEB_ORIGIN="$web_url" OIDC_WEB_SECRET="$web_secret" \
  OIDC_MOBILE_SECRET="$mobile_secret" OIDC_ACCESS_TOKEN_TTL="$ttl" OIDC_CONTROL=1 \
  node e2e/oidc-provider/provider.js >"$out/oidc-provider.log" 2>&1 &
pids+=($!)
# A second provider that announces only client_secret_post, with a second bff-web: the client
# authentication bff-web picks from discovery.
OIDC_ISSUER="$issuer_post" OIDC_WEB_ORIGIN="$web_post_url" OIDC_WEB_SECRET="$web_secret" \
  OIDC_CLIENT_AUTH=client_secret_post OIDC_ACCESS_TOKEN_TTL="$ttl" OIDC_CONTROL=1 \
  node e2e/oidc-provider/provider.js >"$out/oidc-provider-post.log" 2>&1 &
pids+=($!)
wait_for oidc-provider "$issuer/.well-known/openid-configuration"
wait_for oidc-provider-post "$issuer_post/.well-known/openid-configuration"

echo "== demo upstreams"
DEMO_UPSTREAMS__AUTH__ISSUER="$issuer" DEMO_UPSTREAMS__AUTH__ACCOUNTS_AUDIENCE=accounts \
  DEMO_UPSTREAMS__AUTH__RECOMMENDATIONS_AUDIENCE=recommendations \
  DEMO_UPSTREAMS__CATALOG__PORT="$catalog" DEMO_UPSTREAMS__OFFERS__PORT="$offers" \
  DEMO_UPSTREAMS__REVIEWS__PORT="$reviews" DEMO_UPSTREAMS__RECOMMENDATIONS__PORT="$recommendations" \
  DEMO_UPSTREAMS__ACCOUNTS__PORT="$accounts" \
  DEMO_UPSTREAMS__CATALOG__PUBLIC_BASE_URL="http://localhost:$catalog" \
  "$bin/demo-upstreams" --all >"$out/demo-upstreams.log" 2>&1 &
pids+=($!)

# Each BFF's settings for this provider: what every release knows, then what issue 18 adds
# (resource indicators, token exchange per upstream). A BFF that refuses the latter (the Rust
# side not merged yet) starts without them, and the journeys name them when they fail.
web_env=(
  BFF_WEB__SERVER__PORT="$web" BFF_WEB__SERVER__ADMIN_PORT="$web_admin"
  BFF_WEB__SERVER__PUBLIC_ORIGIN="$web_url"
  BFF_WEB__OIDC__ISSUER="$issuer" BFF_WEB__OIDC__CLIENT_ID=bff-web
  BFF_WEB__OIDC__CLIENT_SECRET="$web_secret"
  BFF_WEB__OIDC__REDIRECT_URI="$web_url/auth/callback"
  BFF_WEB__OIDC__POST_LOGOUT_REDIRECT_URI="$web_url/"
  BFF_WEB__OIDC__LOGOUT_ID_TOKEN_HINT=true
  # Tokens live $ttl s: refresh when 2 s remain (the default 30 s would refresh on every call).
  BFF_WEB__SESSION__REFRESH_MARGIN=2s
  BFF_WEB__STOREFRONT__IMAGE_ORIGIN="http://localhost:$catalog"
)
web_new=(
  BFF_WEB__OIDC__RESOURCE=urn:storefront:bff-web
  BFF_WEB__UPSTREAMS__ACCOUNTS__AUDIENCE=accounts
  BFF_WEB__UPSTREAMS__RECOMMENDATIONS__AUDIENCE=recommendations
)
mobile_env=(
  BFF_MOBILE__SERVER__PORT="$mobile" BFF_MOBILE__SERVER__ADMIN_PORT="$mobile_admin"
  BFF_MOBILE__AUTH__ISSUER="$issuer" BFF_MOBILE__AUTH__AUDIENCE=bff-mobile
  # The expired-token journey waits for expiry plus this.
  BFF_MOBILE__AUTH__LEEWAY=1s
)
mobile_new=(
  BFF_MOBILE__AUTH__TOKEN_EXCHANGE__CLIENT_ID=bff-mobile
  BFF_MOBILE__AUTH__TOKEN_EXCHANGE__CLIENT_SECRET="$mobile_secret"
  BFF_MOBILE__UPSTREAMS__ACCOUNTS__AUDIENCE=accounts
  BFF_MOBILE__UPSTREAMS__RECOMMENDATIONS__AUDIENCE=recommendations
)
for service in catalog offers reviews recommendations accounts; do
  upper=$(echo "$service" | tr '[:lower:]' '[:upper:]')
  web_env+=("BFF_WEB__UPSTREAMS__${upper}__URL=http://127.0.0.1:${!service}")
  mobile_env+=("BFF_MOBILE__UPSTREAMS__${upper}__URL=http://127.0.0.1:${!service}")
done
# Debug builds of every service on a shared 2-core machine: generous screen deadlines.
for screen in HOME PRODUCT SEARCH REVIEWS ME CART; do
  web_env+=("BFF_WEB__SCREENS__${screen}=3s")
done
for screen in HOME PRODUCT SEARCH ME CART; do
  mobile_env+=("BFF_MOBILE__SCREENS__${screen}=3s")
done

unsupported=()
start_bff() { # NAME base settings... -- new settings...
  local name=$1
  shift
  local base=() new=() accepted=() setting
  while [[ $1 != -- ]]; do base+=("$1"); shift; done
  shift
  new=("$@")
  if ! env "${base[@]}" "$bin/$name" --check-config >"$out/${name_log:-$name}-check.log" 2>&1; then
    echo "FAIL: $name --check-config" >&2
    cat "$out/${name_log:-$name}-check.log" >&2
    exit 1
  fi
  for setting in "${new[@]}"; do
    if env "${base[@]}" "${accepted[@]}" "$setting" "$bin/$name" --check-config >/dev/null 2>&1; then
      accepted+=("$setting")
    else
      [[ -n ${name_log:-} ]] && continue
      unsupported+=("${setting%%=*}")
      echo "NOTE: $name refuses ${setting%%=*} (issue 18's Rust side not merged?): started without it"
    fi
  done
  env "${base[@]}" "${accepted[@]}" "$bin/$name" >"$out/${name_log:-$name}.log" 2>&1 &
  pids+=($!)
}
wait_for demo-upstreams "http://127.0.0.1:$accounts/healthz"
echo "== bff-web at $web_url, bff-mobile at $mobile_url"
start_bff bff-web "${web_env[@]}" -- "${web_new[@]}"
web_post_env=()
for setting in "${web_env[@]}"; do
  case "$setting" in
    BFF_WEB__SERVER__PORT=*) setting="BFF_WEB__SERVER__PORT=$web_post" ;;
    BFF_WEB__SERVER__ADMIN_PORT=*) setting="BFF_WEB__SERVER__ADMIN_PORT=$web_post_admin" ;;
    *) setting=${setting//$web_url/$web_post_url} setting=${setting//$issuer/$issuer_post} ;;
  esac
  web_post_env+=("$setting")
done
name_log=bff-web-post start_bff bff-web "${web_post_env[@]}" -- "${web_new[@]}"
start_bff bff-mobile "${mobile_env[@]}" -- "${mobile_new[@]}"
wait_for bff-web "$web_url/healthz"
wait_for bff-web-post "$web_post_url/healthz"
wait_for bff-mobile "$mobile_url/healthz"
echo "stack up after $((SECONDS - started)) s"

echo "== journeys"
# First the stack-check journeys that CI also runs against dev-idp (compose, the README journey),
# signing in through this provider's own pages.
passed=0 failed=0
for journey in web-journey mobile-journey; do
  if RUST_BACKTRACE=0 "$bin/stack-check" --web "$web_url" --mobile "$mobile_url" --idp "$issuer" \
    --mobile-resource urn:storefront:bff-mobile "$journey" >"$out/stack-check-$journey.log" 2>&1; then
    echo "PASS stack-check $journey: $(tail -n 1 "$out/stack-check-$journey.log")"
    passed=$((passed + 1))
  else
    echo "FAIL stack-check $journey: $(head -n 1 "$out/stack-check-$journey.log")"
    failed=$((failed + 1))
  fi
done
ISSUER="$issuer" WEB="$web_url" MOBILE="$mobile_url" WEB_SECRET="$web_secret" \
  MOBILE_SECRET="$mobile_secret" ACCESS_TOKEN_TTL="$ttl" MOBILE_LEEWAY=1 \
  UNSUPPORTED="${unsupported[*]}" WEB_POST="$web_post_url" ISSUER_POST="$issuer_post" \
  PRIOR_PASSED=$passed PRIOR_FAILED=$failed \
  timeout 240 node e2e/oidc-provider/journeys.js
