#!/usr/bin/env bash
# Builds every binary of the stack as a static release binary and lays out a Docker build context
# (target/docker-context/) for docker/Dockerfile.prebuilt.
set -euo pipefail
cd "$(dirname "$0")/.."
bins=(bff-web bff-mobile demo-upstreams dev-idp)
target=x86_64-unknown-linux-gnu
args=()
for bin in "${bins[@]}"; do args+=(-p "$bin"); done
RUSTFLAGS='-C target-feature=+crt-static' cargo build --release --locked --target "$target" "${args[@]}"
built="${CARGO_TARGET_DIR:-target}/$target/release"
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
