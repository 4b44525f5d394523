#!/usr/bin/env bash
# The compose end-to-end test: builds the images from static binaries (no registry needed),
# brings the whole stack up with the same compose file, service names, health checks and
# environment users get, then drives it through its published ports only:
#   a mobile journey, a web journey, recommendations stopped and restarted, and a restart of
#   bff-web under a stream of requests. Tears everything down (down -v), also on failure.
set -euo pipefail
cd "$(dirname "$0")/.."

project=storefront-e2e
files=(-f docker-compose.yml -f docker-compose.prebuilt.yml -f scripts/compose-e2e.override.yml)
compose() {
  if docker compose version >/dev/null 2>&1; then
    docker compose -p "$project" "${files[@]}" "$@"
  else
    docker-compose -p "$project" "${files[@]}" "$@"
  fi
}
cleanup() {
  status=$?
  if [ "$status" -ne 0 ]; then
    echo "== compose e2e failed; service logs follow"
    compose logs --no-color --tail=80 || true
  fi
  compose down -v --remove-orphans >/dev/null 2>&1 || true
  exit "$status"
}
trap cleanup EXIT

echo "== static binaries and images"
# One static release build (shared with CI's rolling-restart and hardening steps) gives the
# images and the checker.
scripts/build-static.sh
check="$(scripts/build-static.sh --dir)/stack-check"
compose build

echo "== up"
compose up -d
$check wait --seconds 120

echo "== journeys"
$check mobile-journey
$check web-journey

echo "== recommendations down: both homes degrade, not fail"
compose stop recommendations
$check homes --degraded --within 30
compose start recommendations
$check homes --within 60

echo "== bff-web restarted under a stream of requests"
mkdir -p target
# One instance behind Docker's port proxy: the restart is a short outage, and the check asserts
# that every failure falls within it and that the BFF answers again (zero loss through a restart
# is scripts/rolling-restart.sh's check, two instances behind nginx).
$check stream --seconds 25 --max-unavailable 15 > target/compose-e2e-stream.txt &
stream=$!
sleep 5
compose restart -t 15 bff-web
stream_status=0
wait "$stream" || stream_status=$?
cat target/compose-e2e-stream.txt
[ "$stream_status" -eq 0 ] || { echo "compose e2e: the restart stream failed" >&2; exit 1; }

echo "== compose e2e: ok"
