#!/usr/bin/env bash
# Several instances behave as one, behind nginx: three bff-mobile instances (stateless) and three
# bff-web instances sharing one redis-server session store (`session.replicated`), behind one nginx
# (Debian's) on port 18390, while `load-check stream` sends requests for the whole run: the mobile
# screens, and bff-web's screens and `/api/me` of one signed-in session, whose requests nginx
# spreads over the three web instances. Mid-run, instance 3 of each BFF is killed (SIGKILL, no
# drain: a crashed pod or a lost node) and started again; then instances 1 and 2 of each are
# rolled (SIGTERM, wait for exit 0, start, wait healthy), as a rolling update does.
# Checks: no request failed (beyond those nginx retried on another instance, which the client never
# sees, and which are counted); the session stayed signed in throughout (a lost session is a 401
# in the stream) and every web instance served it; at the end each instance, asked directly, still
# knows the session. Exits non-zero otherwise, or when a rolled instance did not exit 0.
# Everything it started is stopped on exit.
#
# nginx: `proxy_next_upstream error timeout` retries an idempotent request on the other instance
# when an instance refuses the connection or closes a kept-alive one (GET only: nginx never retries
# a POST once sent), `max_fails=1 fail_timeout=3s` is the passive health check that takes a
# stopped instance out of rotation, `keepalive` reuses connections to the instances.
#
# Ports: dev-idp 17350, demo upstreams 17351-17355, redis 17360, bff-mobile 18351-18353,
# bff-web 18354-18356 (admin ports: each + 1000), nginx 18390.
#
# Usage: scripts/rolling-restart.sh   (about 1 minute after the build)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

SCRIPT=rolling-restart
# shellcheck source=lib/release-stack.sh
source "$ROOT/scripts/lib/release-stack.sh"
need_nginx
need redis-server redis-server
need curl curl
release_bins

WORK=$(mktemp -d /tmp/rolling-restart.XXXXXX)
declare -A PID=()
cleanup() {
  local status=$?
  [[ -f $WORK/nginx.pid ]] && kill -TERM "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  stop_pids "${PID[@]}"
  tidy_work "$status"
}
trap cleanup EXIT INT TERM

stack_ports 17350
REDIS_PORT=17360
declare -A BFF_PORT=([mobile1]=18351 [mobile2]=18352 [mobile3]=18353 [web1]=18354 [web2]=18355 [web3]=18356)
LB_PORT=18390
LB=http://localhost:$LB_PORT


# The provider signs everybody in as Ada without a login page, and knows the load balancer's
# callback.
# shellcheck source=lib/dev-idp-web-client.sh
source "$ROOT/scripts/lib/dev-idp-web-client.sh"
{
  echo 'auto_login = "demo-user-1"'
  dev_idp_web_client "$LB"
} >"$WORK/dev-idp.toml"
"$BIN/dev-idp" --port $IDP_PORT --config "$WORK/dev-idp.toml" >"$WORK/dev-idp.log" 2>&1 &
PID[idp]=$!
start_upstreams
PID[upstreams]=$UPSTREAMS_PID
redis-server --port $REDIS_PORT --bind 127.0.0.1 --save '' --appendonly no >"$WORK/redis.log" 2>&1 &
PID[redis]=$!
wait_stack_healthy

start_instance() { # mobile1…mobile3|web1…web3
  local name=$1 port=${BFF_PORT[$1]} settings=()
  local prefix=BFF_MOBILE
  [[ $name == web* ]] && prefix=BFF_WEB
  mapfile -t settings < <(bff_upstream_env "$prefix")
  settings+=("${prefix}__SERVER__PORT=$port" "${prefix}__TELEMETRY__FORMAT=json"
    # Every request reaches the BFFs from nginx on 127.0.0.1: one client as far as the per-IP
    # rate limit can tell. The stream is faster than 100 req/s, so the limit is off here.
    "${prefix}__SERVER__RATE_LIMIT__ENABLED=false"
    # Draining takes as long as the slowest in-flight request; keep the grace period short.
    "${prefix}__SERVER__SHUTDOWN_GRACE=5s")
  if [[ $prefix == BFF_MOBILE ]]; then
    settings+=("BFF_MOBILE__AUTH__ISSUER=$ISSUER")
  else
    settings+=("BFF_WEB__OIDC__ISSUER=$ISSUER" "BFF_WEB__SERVER__PUBLIC_ORIGIN=$LB"
      "BFF_WEB__OIDC__REDIRECT_URI=$LB/auth/callback" "BFF_WEB__OIDC__POST_LOGOUT_REDIRECT_URI=$LB/"
      # One session store for every instance: a session survives the restart of the instance
      # that created it. Plain-HTTP cookies for curl's cookie jar.
      "BFF_WEB__SESSION__STORE=redis" "BFF_WEB__SESSION__REDIS_URL=redis://127.0.0.1:$REDIS_PORT/"
      "BFF_WEB__SESSION__REPLICATED=true" "BFF_WEB__COOKIES__SECURE=false")
  fi
  local kind=${name%[0-9]}
  env "${settings[@]}" "$BIN/bff-$kind" >>"$WORK/$name.log" 2>&1 &
  PID[$name]=$!
  wait_healthy "http://127.0.0.1:$port/healthz" 30
}

for name in mobile1 mobile2 mobile3 web1 web2 web3; do start_instance "$name"; done

start_nginx <<EOF
  access_log $WORK/nginx-access.log;
  upstream bff_mobile {
    server 127.0.0.1:${BFF_PORT[mobile1]} max_fails=1 fail_timeout=3s;
    server 127.0.0.1:${BFF_PORT[mobile2]} max_fails=1 fail_timeout=3s;
    server 127.0.0.1:${BFF_PORT[mobile3]} max_fails=1 fail_timeout=3s;
    keepalive 16;
  }
  upstream bff_web {
    server 127.0.0.1:${BFF_PORT[web1]} max_fails=1 fail_timeout=3s;
    server 127.0.0.1:${BFF_PORT[web2]} max_fails=1 fail_timeout=3s;
    server 127.0.0.1:${BFF_PORT[web3]} max_fails=1 fail_timeout=3s;
    keepalive 16;
  }
  server {
    listen 127.0.0.1:$LB_PORT;
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header Host \$http_host;
    proxy_connect_timeout 1s;
    proxy_read_timeout 15s;
    proxy_next_upstream error timeout;
    proxy_next_upstream_tries 3;
    location /v1/ { proxy_pass http://bff_mobile; }
    location / { proxy_pass http://bff_web; }
  }
EOF
PID[nginx]=$NGINX_PID
wait_healthy "$LB/v1/home" 10

# Sign in through the load balancer (the provider signs Ada in at once); the stream then asks for
# her profile with the session cookie, whichever instance answers.
curl -fs -o /dev/null -L --max-redirs 5 -c "$WORK/cookies" -b "$WORK/cookies" "$LB/auth/login"
SESSION=$(awk '$6 == "session" { print $7 }' "$WORK/cookies")
[[ -n $SESSION ]] || { echo "rolling-restart: signing in gave no session cookie" >&2; cat "$WORK/cookies" >&2; exit 1; }
curl -fs -o /dev/null -H "X-CSRF: 1" -H "Cookie: session=$SESSION" "$LB/api/me" ||
  { echo "rolling-restart: /api/me refused the fresh session" >&2; exit 1; }

"$BIN/load-check" --label "rolling restart: mobile" stream --target "$LB" --stop-file "$WORK/stop" \
  --path /v1/home --path '/v1/products/{id}' --path '/v1/search?q={q}' \
  --clients 3 >"$WORK/stream-mobile.md" 2>"$WORK/stream-mobile.err" &
STREAM_MOBILE=$!
"$BIN/load-check" --label "rolling restart: web" stream --target "$LB" --stop-file "$WORK/stop" \
  --header "X-CSRF: 1" --header "Cookie: session=$SESSION" \
  --path /api/home --path '/api/products/{id}' --path /api/me \
  --clients 3 >"$WORK/stream-web.md" 2>"$WORK/stream-web.err" &
STREAM_WEB=$!

sleep 3
RESTARTS=()
FAILED=0
# Instance 3 of each BFF dies mid-stream, without a chance to drain, and is started again (the
# kubelet's restart); nginx retries the requests it dropped on the others.
for name in mobile3 web3; do
  echo "rolling-restart: killing $name" >&2
  kill -KILL "${PID[$name]}"
  wait "${PID[$name]}" 2>/dev/null || true
  RESTARTS+=("$name SIGKILL")
done
sleep 1
for name in mobile3 web3; do start_instance "$name"; done
sleep 4
for name in mobile1 web1 mobile2 web2; do
  echo "rolling-restart: restarting $name" >&2
  kill -TERM "${PID[$name]}"
  status=0
  wait "${PID[$name]}" || status=$?
  RESTARTS+=("$name exit $status")
  ((status == 0)) || FAILED=1
  start_instance "$name"
  # Let nginx's fail_timeout lapse so the instance is back in rotation before the next one goes.
  sleep 4
done
sleep 2
touch "$WORK/stop"
status=0
wait $STREAM_MOBILE || status=1
wait $STREAM_WEB || status=1
((status == 0)) || FAILED=1

# The session moved between instances: each web instance served its /api/me (logs are appended
# across restarts), and each, asked directly, still knows it.
SERVED=()
for name in web1 web2 web3; do
  served=$(grep -c '"path":"/api/me".*"status":200\|"status":200.*"path":"/api/me"' "$WORK/$name.log" || true)
  SERVED+=("$name $served")
  ((served > 0)) || { echo "rolling-restart: $name never served the session's /api/me" >&2; FAILED=1; }
  curl -fs -o /dev/null -H "X-CSRF: 1" -H "Cookie: session=$SESSION" "http://127.0.0.1:${BFF_PORT[$name]}/api/me" ||
    { echo "rolling-restart: $name no longer knows the session" >&2; FAILED=1; }
done
# A lost session would have been a 401 for /api/me in the stream (counted as failed there too).
SESSIONS_LOST=$(grep -c '^stream: /api/me: 401' "$WORK/stream-web.err" || true)
((SESSIONS_LOST == 0)) || FAILED=1
# Requests nginx sent to a dead or closing instance and retried on another (the client saw none).
RETRIED=$(grep -c 'while connecting to upstream\|while reading response header from upstream' "$WORK/nginx-error.log" || true)

{
  echo
  echo "## $(date -u +%Y-%m-%dT%H:%MZ), rolling restart, commit $(git rev-parse --short HEAD)"
  echo
  echo "Machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), \
$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM, $(uname -sr); $("$NGINX" -v 2>&1)."
  echo "Command: \`scripts/rolling-restart.sh\`. Three instances per BFF, one Redis. Restarts (signal, exit status): ${RESTARTS[*]}."
  echo "The signed-in session's \`/api/me\` answered 200 by: ${SERVED[*]}; sessions lost: $SESSIONS_LOST;" \
    "requests nginx retried on another instance: $RETRIED."
  echo
  echo "| check | figure | value |"
  echo "|---|---|---|"
  cat "$WORK/stream-mobile.md" "$WORK/stream-web.md"
  if ((FAILED)); then echo; echo "FAILED (logs in $WORK)"; fi
} >"$WORK/section.md"
cat "$WORK/section.md"
cat "$WORK/section.md" >>bench/HARDENING.md

if ((FAILED)); then
  echo "rolling-restart: FAILED; lost requests:" >&2
  grep -h 'stream:' "$WORK"/stream-*.err | sort | uniq -c | head -20 >&2 || true
  exit 1
fi
echo "rolling-restart: no request lost" >&2
