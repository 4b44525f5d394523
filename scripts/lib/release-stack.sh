# Sourced by scripts/hardening.sh, scripts/rolling-restart.sh and bench/gateway-vs-bff.sh: the
# release binaries and the processes of a local stack. Callers set ROOT and SCRIPT (their name, for messages).

# Sets BIN: BIN_DIR when given (CI builds the binaries once, statically, for the compose images
# too), else the release binaries built here.
release_bins() {
  if [[ -n "${BIN_DIR:-}" ]]; then
    BIN=$(cd "$BIN_DIR" && pwd)
  else
    echo "$SCRIPT: building release binaries" >&2
    cargo build --release --quiet -p bff-mobile -p bff-web -p demo-upstreams -p dev-idp -p load-check
    BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release
  fi
}

# Installs Debian's PACKAGE when COMMAND is missing.
need() { # command package
  command -v "$1" >/dev/null && return 0
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" >/dev/null
}

# Sets NGINX to Debian's nginx, installed (nginx-light, else nginx) when missing.
need_nginx() {
  if ! command -v nginx >/dev/null && [[ ! -x /usr/sbin/nginx ]]; then need nginx nginx-light || need nginx nginx; fi
  NGINX=$(command -v nginx || echo /usr/sbin/nginx)
}

# Starts nginx in the background (its pid in NGINX_PID) with $WORK/nginx.conf: the process settings
# (foreground, one worker, pid and logs and temporary files under $WORK), then stdin as the body of
# its http block. Callers stop it with SIGTERM to $WORK/nginx.pid (or NGINX_PID).
start_nginx() {
  mkdir -p "$WORK/nginx"
  {
    cat <<EOF
daemon off;
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 1024; }
http {
  client_body_temp_path $WORK/nginx/body;
  proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fastcgi;
  uwsgi_temp_path $WORK/nginx/uwsgi;
  scgi_temp_path $WORK/nginx/scgi;
EOF
    cat
    echo "}"
  } >"$WORK/nginx.conf"
  "$NGINX" -c "$WORK/nginx.conf" -p "$WORK/nginx" >"$WORK/nginx.out" 2>&1 &
  NGINX_PID=$!
}

# SIGTERM to every pid given, then SIGKILL to any still running after 5 s.
stop_pids() {
  local pid
  for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "$@"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
}

# Sets the ports of a local stack from BASE: IDP_PORT=BASE, UPSTREAM_PORT (an associative array by
# service) BASE+1 to BASE+5, and ISSUER, the provider's URL.
stack_ports() { # base
  IDP_PORT=$1
  declare -gA UPSTREAM_PORT=([catalog]=$(($1 + 1)) [offers]=$(($1 + 2)) [reviews]=$(($1 + 3))
    [recommendations]=$(($1 + 4)) [accounts]=$(($1 + 5)))
  ISSUER=http://localhost:$IDP_PORT
}

# Starts every demo upstream on its UPSTREAM_PORT, trusting ISSUER's tokens, with any further
# settings given (KEY=VALUE), logging to $WORK/demo-upstreams.log; its pid in UPSTREAMS_PID.
start_upstreams() { # KEY=VALUE...
  local settings=("DEMO_UPSTREAMS__AUTH__ISSUER=$ISSUER") service
  for service in "${!UPSTREAM_PORT[@]}"; do
    settings+=("DEMO_UPSTREAMS__${service^^}__PORT=${UPSTREAM_PORT[$service]}")
  done
  env "${settings[@]}" "$@" "$BIN/demo-upstreams" --all >"$WORK/demo-upstreams.log" 2>&1 &
  UPSTREAMS_PID=$!
}

# Waits until the provider and every upstream are healthy, then builds the catalog's search index
# once, before anything is measured.
wait_stack_healthy() {
  wait_healthy "$ISSUER/.well-known/openid-configuration" 30
  local port
  for port in "${UPSTREAM_PORT[@]}"; do wait_healthy "http://127.0.0.1:$port/healthz" 30; done
  curl -fs -o /dev/null --max-time 30 \
    "http://127.0.0.1:${UPSTREAM_PORT[catalog]}/products/search?q=warm&limit=1"
}

# The settings that point a BFF (its env PREFIX, e.g. BFF_WEB) at every upstream, one a line.
bff_upstream_env() { # PREFIX
  local service
  for service in "${!UPSTREAM_PORT[@]}"; do
    echo "$1__UPSTREAMS__${service^^}__URL=http://127.0.0.1:${UPSTREAM_PORT[$service]}"
  done
}

wait_healthy() { # url, seconds
  for _ in $(seq $(($2 * 10))); do
    curl -fs -o /dev/null --max-time 1 "$1" && return 0
    sleep 0.1
  done
  echo "$SCRIPT: $1 not healthy after $2 s" >&2
  return 1
}

# On success removes WORK; on failure keeps it for the post-mortem, each log cut to its last
# 8 MiB: a chaos run logs every request, and a kept directory must not fill the disk of the
# machine that runs CI on the next submission. KEEP_WORK=1 keeps everything.
tidy_work() { # exit status
  [[ -n "${WORK:-}" && -d $WORK ]] || return 0
  if [[ ${KEEP_WORK:-0} == 1 ]]; then
    echo "$SCRIPT: logs kept in $WORK" >&2
  elif (($1 == 0)); then
    rm -rf "$WORK"
  else
    local log
    for log in "$WORK"/*.log; do
      [[ -f $log ]] || continue
      if (($(stat -c %s "$log") > 8388608)); then
        tail -c 8388608 "$log" >"$log.tail" && mv "$log.tail" "$log"
      fi
    done
    echo "$SCRIPT: failed; logs (each cut to its last 8 MiB) kept in $WORK" >&2
  fi
}
