#!/usr/bin/env bash
# Builds every binary of the stack as a static release binary and lays out a Docker build context
# (target/docker-context/) for docker/Dockerfile.prebuilt. The checkers (load-check, stack-check)
# are built in the same invocation: one set of packages means one feature resolution, so CI's
# rolling restart, hardening and compose steps share this one release build.
#
#   scripts/build-static.sh          # build, and lay out the context
#   scripts/build-static.sh --dir    # print the directory of the binaries (no build)
#
# STATIC_PROFILE picks the cargo profile: `release` (the default, what images ship) or `ci`
# (the same optimisation without cross-crate LTO: CI's end-to-end steps test behaviour, and a cold
# build is minutes shorter on two cores).
set -euo pipefail
cd "$(dirname "$0")/.."
bins=(bff-web bff-mobile demo-upstreams dev-idp)
checkers=(load-check stack-check)
target=x86_64-unknown-linux-gnu
profile="${STATIC_PROFILE:-release}"
built="${CARGO_TARGET_DIR:-target}/$target/$profile"
if [[ "${1:-}" == --dir ]]; then
  (cd "$built" && pwd)
  exit 0
fi
args=()
for bin in "${bins[@]}" "${checkers[@]}"; do args+=(-p "$bin"); done
RUSTFLAGS='-C target-feature=+crt-static' cargo build --profile "$profile" --locked --target "$target" "${args[@]}"
mkdir -p target/docker-context
for bin in "${bins[@]}"; do
  cp "$built/$bin" target/docker-context/
done
cp docker/Dockerfile.prebuilt target/docker-context/
# The images trust the host's public roots (Debian's ca-certificates).
roots=/etc/ssl/certs/ca-certificates.crt
if [ ! -s "$roots" ]; then
  echo "no CA bundle at $roots: install ca-certificates" >&2
  exit 1
fi
cp "$roots" target/docker-context/
echo "static binaries in target/docker-context: ${bins[*]}"
