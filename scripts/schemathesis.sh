#!/usr/bin/env bash
# Schema-driven API fuzzing of both BFFs with schemathesis, from the OpenAPI documents they serve
# at /openapi.json.
#
#   scripts/schemathesis.sh [MAX_EXAMPLES]     # test cases per operation and phase, default 25
#
# Builds the debug binaries, starts the dev identity provider (17200), the five demo upstreams
# (17201-17205), bff-web (18200) and bff-mobile (18201) on 127.0.0.1, configured through
# environment variables only; signs in (a session cookie for bff-web, which also gets
# `X-CSRF: 1`; a bearer token from the code flow with PKCE for bff-mobile) and runs schemathesis
# against each BFF, signed in and anonymous. Checks: no 5xx, responses that match the documented
# schema, status code and content type. Then bff-web's GraphQL endpoint, signed in and anonymous:
# random valid operations of bff-web/schema.graphql (tools/graphql-types/fuzz.mjs,
# GRAPHQL_FUZZ_COUNT each, default 300): no 5xx, every answer well-formed. Everything started is stopped on exit. Reports (JUnit)
# and the services' logs are in target/schemathesis/. SCHEMATHESIS_SEED fixes the data (default 1).
set -euo pipefail
cd "$(dirname "$0")/.."

examples="${1:-25}"
[[ "$examples" =~ ^[0-9]+$ ]] || { echo "usage: $0 [MAX_EXAMPLES]" >&2; exit 2; }
seed="${SCHEMATHESIS_SEED:-1}"
ST_VERSION=4.32.5
OUT=target/schemathesis
LOGS="$OUT/logs"
IDP_PORT=17200
WEB_PORT=18200
MOBILE_PORT=18201
IDP="http://127.0.0.1:$IDP_PORT"
WEB="http://127.0.0.1:$WEB_PORT"
MOBILE="http://127.0.0.1:$MOBILE_PORT"
mkdir -p "$LOGS"

# shellcheck source=lib/children.sh
source scripts/lib/children.sh

need_apt=()
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need_apt+=(python3-venv)
if [[ ${#need_apt[@]} -gt 0 ]]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

echo "== schemathesis $ST_VERSION (venv in $OUT/venv)"
if ! "$OUT/venv/bin/st" --version 2>/dev/null | grep -q "$ST_VERSION"; then
  python3 -m venv "$OUT/venv"
  "$OUT/venv/bin/pip" install -q --disable-pip-version-check "schemathesis==$ST_VERSION"
fi

echo "== building the services"
source scripts/lib/debug-bins.sh
debug_bins

# The provider's clients, registered for this script's ports (the file overrides the defaults).
cat >"$OUT/dev-idp.toml" <<EOF
issuer = "$IDP"
# The mobile sign-in below names its user by login_hint, without the login form.
allow_login_hint = true
port = $IDP_PORT
access_token_ttl = "30m"
[clients.web]
redirect_uris = ["$WEB/auth/callback"]
post_logout_redirect_uris = ["$WEB/"]
EOF

start() {
  local name=$1
  shift
  "$@" >"$LOGS/$name.log" 2>&1 &
  pids+=($!)
}

upstream_env=() web_env=() mobile_env=()
for pair in catalog:17201 offers:17202 reviews:17203 recommendations:17204 accounts:17205; do
  name=${pair%%:*} port=${pair##*:}
  upper=${name^^}
  upstream_env+=("DEMO_UPSTREAMS__${upper}__PORT=$port")
  web_env+=("BFF_WEB__UPSTREAMS__${upper}__URL=http://127.0.0.1:$port")
  mobile_env+=("BFF_MOBILE__UPSTREAMS__${upper}__URL=http://127.0.0.1:$port")
done

wait_healthy() {
  local name=$1 url=$2
  for _ in $(seq 1 120); do
    curl -fsS -o /dev/null "$url/healthz" 2>/dev/null && return 0
    sleep 0.5
  done
  echo "$name did not become healthy; its log:" >&2
  tail -20 "$LOGS/$name.log" >&2
  exit 1
}

echo "== starting dev-idp, the demo upstreams, bff-web and bff-mobile"
# The provider first: accounts and recommendations discover its keys when they start.
start dev-idp env DEV_IDP__TELEMETRY__FILTER=warn \
  "$DEBUG_BIN"/dev-idp --config "$OUT/dev-idp.toml"
wait_healthy dev-idp "$IDP"
start demo-upstreams env "${upstream_env[@]}" \
  DEMO_UPSTREAMS__CATALOG__PUBLIC_BASE_URL=http://127.0.0.1:17201 \
  DEMO_UPSTREAMS__AUTH__ISSUER="$IDP" DEMO_UPSTREAMS__TELEMETRY__FILTER=warn \
  "$DEBUG_BIN"/demo-upstreams --all

wait_healthy demo-upstreams http://127.0.0.1:17205

# The BFFs discover the provider at start-up, so they start once it answers. Rate limits are
# raised so that schemathesis measures the API, not the limiter.
start bff-web env "${web_env[@]}" \
  BFF_WEB__SERVER__PORT=$WEB_PORT BFF_WEB__SERVER__PUBLIC_ORIGIN="$WEB" \
  BFF_WEB__SERVER__RATE_LIMIT__ENABLED=false \
  BFF_WEB__OIDC__ISSUER="$IDP" BFF_WEB__OIDC__REDIRECT_URI="$WEB/auth/callback" \
  BFF_WEB__OIDC__POST_LOGOUT_REDIRECT_URI="$WEB/" \
  BFF_WEB__COOKIES__SECURE=false BFF_WEB__STOREFRONT__IMAGE_ORIGIN=http://127.0.0.1:17201 \
  BFF_WEB__TELEMETRY__FILTER=warn \
  "$DEBUG_BIN"/bff-web
start bff-mobile env "${mobile_env[@]}" \
  BFF_MOBILE__SERVER__PORT=$MOBILE_PORT BFF_MOBILE__SERVER__RATE_LIMIT__ENABLED=false \
  BFF_MOBILE__AUTH__ISSUER="$IDP" BFF_MOBILE__TELEMETRY__FILTER=warn \
  "$DEBUG_BIN"/bff-mobile
wait_healthy bff-web "$WEB"
wait_healthy bff-mobile "$MOBILE"

echo "== signing in (ada)"
# Prints `session-cookie<TAB>access-token`: the web login through the provider's form, and the
# mobile app's code flow with PKCE (login_hint, switched on for this provider above).
credentials=$(IDP="$IDP" WEB="$WEB" python3 - <<'PY'
import base64, hashlib, html, json, os, re, secrets, urllib.parse, urllib.request

IDP, WEB = os.environ["IDP"], os.environ["WEB"]

class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None

opener = urllib.request.build_opener(NoRedirect)

def call(url, data=None, headers=None):
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers=headers or {})
    try:
        response = opener.open(request, timeout=10)
    except urllib.error.HTTPError as error:  # 3xx and 4xx arrive here without redirects
        response = error
    return response.status, response.headers, response.read().decode()

def cookies(headers):
    return "; ".join(c.split(";", 1)[0] for c in headers.get_all("Set-Cookie") or [])

# Web: BFF login -> provider form -> callback -> session cookie.
status, headers, _ = call(f"{WEB}/auth/login?return_to=/")
login_cookie, to_provider = cookies(headers), headers["Location"]
_, _, page = call(to_provider)
request = html.unescape(re.search(r'name="request" value="([^"]*)"', page).group(1))
_, headers, _ = call(f"{IDP}/login", {"request": request, "username": "ada", "password": "demo", "action": "login"})
_, headers, _ = call(headers["Location"], headers={"Cookie": login_cookie})
session = cookies(headers)
assert session, "no session cookie from the callback"

# Mobile: code flow with PKCE for the public client.
verifier = secrets.token_urlsafe(48)
challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
redirect = "http://127.0.0.1:8765/callback"
query = urllib.parse.urlencode({
    "response_type": "code", "client_id": "mobile-app", "redirect_uri": redirect,
    "scope": "openid profile email offline_access", "state": "s", "code_challenge": challenge,
    "code_challenge_method": "S256", "login_hint": "ada"})
_, headers, _ = call(f"{IDP}/authorize?{query}")
code = urllib.parse.parse_qs(urllib.parse.urlparse(headers["Location"]).query)["code"][0]
status, _, body = call(f"{IDP}/token", {"grant_type": "authorization_code", "code": code,
    "redirect_uri": redirect, "client_id": "mobile-app", "code_verifier": verifier})
assert status == 200, f"token endpoint: {status}"
print(f"{session}\t{json.loads(body)['access_token']}")
PY
)
session_cookie=${credentials%%$'\t'*}
access_token=${credentials##*$'\t'}
# The credentials must work, or every signed-in run would only see 401s.
me_web=$(curl -s -o /dev/null -w '%{http_code}' -H 'X-CSRF: 1' -H "Cookie: $session_cookie" "$WEB/api/me")
me_mobile=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $access_token" "$MOBILE/v1/me")
echo "signed in: GET /api/me $me_web, GET /v1/me $me_mobile"
if [[ "$me_web" != 200 || "$me_mobile" != 200 ]]; then
  echo "schemathesis: signing in failed; see $LOGS" >&2
  exit 1
fi

st_run() {
  local name=$1 url=$2
  shift 2
  echo "== schemathesis: $name"
  local status=0
  "$OUT/venv/bin/st" run "$url/openapi.json" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --phases examples,coverage,fuzzing --max-examples "$examples" --seed "$seed" \
    --workers 1 --request-timeout 10 --no-color \
    --report junit --report-junit-path "$OUT/$name.junit.xml" \
    "$@" >"$OUT/$name.log" 2>&1 || status=$?
  # The summary: the per-check counts and the verdict.
  sed -n '/SUMMARY/,$p' "$OUT/$name.log" | grep -v '^\s*$' | head -40
  if [[ $status -ne 0 ]]; then
    echo "schemathesis: $name FAILED (exit $status); details in $OUT/$name.log" >&2
    failures+=("$name")
  fi
}

failures=()
st_run web-signed-in "$WEB" -H 'X-CSRF: 1' -H "Cookie: $session_cookie" --exclude-path /auth/logout
st_run web-anonymous "$WEB" -H 'X-CSRF: 1'
st_run mobile-signed-in "$MOBILE" -H "Authorization: Bearer $access_token"
st_run mobile-anonymous "$MOBILE"

# bff-web's GraphQL endpoint: random valid operations of its schema (and over-limit ones), signed
# in and anonymous (tools/graphql-types/fuzz.mjs: no 5xx, every answer well-formed).
echo "== GraphQL fuzzing of bff-web (${GRAPHQL_FUZZ_COUNT:-300} operations each)"
command -v npm >/dev/null 2>&1 || { export DEBIAN_FRONTEND=noninteractive; apt-get update -qq; apt-get install -y -qq nodejs npm >/dev/null; }
(cd tools/graphql-types && timeout 300 npm ci --no-audit --no-fund --loglevel=error)
for who in signed-in anonymous; do
  cookie=""
  [[ $who == signed-in ]] && cookie="$session_cookie"
  if node tools/graphql-types/fuzz.mjs "$WEB/graphql" "${GRAPHQL_FUZZ_COUNT:-300}" "$seed" "$cookie" \
    >"$OUT/graphql-$who.log" 2>&1; then
    tail -2 "$OUT/graphql-$who.log"
  else
    head -20 "$OUT/graphql-$who.log"
    echo "graphql fuzzing ($who) FAILED; details in $OUT/graphql-$who.log" >&2
    failures+=("graphql-$who")
  fi
done

# A 5xx the checks did not see (e.g. a panic on a path schemathesis does not report) is in the logs.
if grep -l 'panicked at' "$LOGS"/*.log >/dev/null 2>&1; then
  echo "schemathesis: a service panicked:" >&2
  grep -h -A3 'panicked at' "$LOGS"/*.log | head -20 >&2
  failures+=(panic)
fi
if [[ ${#failures[@]} -gt 0 ]]; then
  echo "schemathesis: failed: ${failures[*]}" >&2
  exit 1
fi
echo "schemathesis: both BFFs conform to their OpenAPI documents"
