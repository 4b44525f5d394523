#!/usr/bin/env bash
# The README's cargo quick start, exactly as written, signed in: the four commands with their
# defaults only (no settings file, every DEV_IDP__/DEMO_UPSTREAMS__/BFF_WEB__/BFF_MOBILE__ variable
# removed), then the signed-in journeys of both BFFs through their public ports
# (crates/stack-check): web — login through dev-idp's form with username and password,
# /auth/session, /api/me, /api/cart, cart add and remove, logout; mobile — code + PKCE as the
# public client `mobile-app` (the login form, since login_hint is off by default), /v1/me, home,
# product, cart add. Also: /readyz answers on the admin ports (9080, 9081) and is a 404 problem on
# the public ones.
#
#   scripts/readme-journey.sh
#
# The quick start's ports are fixed (7000-7005, 8080, 8081, and the admin ports 9080, 9081): if
# any is taken, the script FAILS (exit 1) naming it, rather than testing something else.
# Logs: target/readme-journey/.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=target/readme-journey
mkdir -p "$OUT"
PORTS=(7000 7001 7002 7003 7004 7005 8080 8081 9080 9081)

port_taken() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}
taken=()
for port in "${PORTS[@]}"; do
  if port_taken "$port"; then taken+=("$port"); fi
done
if [[ ${#taken[@]} -gt 0 ]]; then
  echo "FAIL: the README's quick start needs ports ${PORTS[*]}; in use: ${taken[*]}." >&2
  echo "      Stop what listens there (docker compose down?) and run again." >&2
  exit 1
fi

echo "== building (the quick start's cargo run would build the same)"
source scripts/lib/debug-bins.sh
debug_bins

# Nothing from the caller's environment may configure the services: only what the README says.
clean_env=(env)
while IFS='=' read -r name _; do
  case "$name" in
    DEV_IDP__* | DEMO_UPSTREAMS__* | BFF_WEB__* | BFF_MOBILE__* | BFF_WEB_CONFIG | BFF_MOBILE_CONFIG)
      clean_env+=(-u "$name") ;;
  esac
done < <(env)

# shellcheck source=lib/children.sh
source scripts/lib/children.sh

run() {
  local log=$1
  shift
  "${clean_env[@]}" "$@" >"$OUT/$log.log" 2>&1 &
  pids+=($!)
}

# The binaries `cargo run -p <crate>` would run, with the README's arguments (started directly:
# on a shared machine a `cargo run` can wait minutes on the build lock).
bin="$DEBUG_BIN"
echo "== the README's four commands"
run demo-upstreams "$bin/demo-upstreams" --all
run dev-idp "$bin/dev-idp"
run bff-web "$bin/bff-web"
run bff-mobile "$bin/bff-mobile"

check="$bin/stack-check"
failed() {
  echo "FAIL: $1 (logs in $OUT/)" >&2
  tail -n 20 "$OUT"/*.log >&2 || true
  exit 1
}
"$check" wait --seconds 120 || failed "the stack did not become healthy"
for port in 7001 7002 7003 7004 7005; do
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" && break
    sleep 0.2
  done
done

echo "== /readyz: admin ports only"
for pair in 8080:9080 8081:9081; do
  public=${pair%%:*} admin=${pair##*:}
  status=$(curl -s -o "$OUT/readyz-public-$public.json" -w '%{http_code} %{content_type}' \
    "http://127.0.0.1:$public/readyz")
  [[ "$status" == "404 application/problem+json" ]] ||
    failed "/readyz on the public port $public: $status (want 404 problem+json)"
  status=$(curl -s -o "$OUT/readyz-admin-$admin.json" -w '%{http_code}' "http://127.0.0.1:$admin/readyz")
  [[ "$status" == "200" ]] && grep -q '"ready"' "$OUT/readyz-admin-$admin.json" ||
    failed "/readyz on the admin port $admin: $status $(cat "$OUT/readyz-admin-$admin.json")"
done
echo "ok"

echo "== signed-in journeys"
"$check" web-journey || failed "the web journey"
"$check" mobile-journey || failed "the mobile journey"
echo "readme journey: ok"
