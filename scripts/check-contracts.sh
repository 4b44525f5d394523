#!/usr/bin/env bash
# Contract checks, for CI and before a push:
# 1. breaking changes of each committed OpenAPI document against the previous commit of main
#    (CONTRACT_BASE, default HEAD~1): listed as warnings for bff-web, failing for paths under /v1
#    (bff-mobile: apps in the field cannot all update at once);
# 2. the web team's TypeScript types (bff-web/types/api.d.ts) are what openapi-typescript
#    generates from bff-web/openapi.json now.
# That each committed document is what the code generates is checked by the contract tests
# (`cargo test -p bff-web --test api contract`, same for bff-mobile).
set -euo pipefail
cd "$(dirname "$0")/.."

base="${CONTRACT_BASE:-HEAD~1}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
status=0

echo "== breaking changes against $base"
source scripts/lib/debug-bins.sh
debug_bins
diff_tool="$DEBUG_BIN/contract-diff"
for doc in bff-web/openapi.json bff-mobile/openapi.json; do
  if ! git rev-parse -q --verify "$base^{commit}" >/dev/null 2>&1; then
    echo "$doc: no commit $base (first commit or shallow clone); skipped"
    continue
  fi
  if ! git cat-file -e "$base:$doc" 2>/dev/null; then
    echo "$doc: not in $base yet; skipped"
    continue
  fi
  git show "$base:$doc" >"$tmp/previous.json"
  "$diff_tool" "$tmp/previous.json" "$doc" --fail-under /v1 || status=1
done

echo "== TypeScript types of bff-web"
if ! command -v npm >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq nodejs npm >/dev/null
fi
(cd tools/openapi-types && timeout 300 npm ci --no-audit --no-fund --loglevel=error)
tools/openapi-types/node_modules/.bin/openapi-typescript bff-web/openapi.json \
  --output "$tmp/api.d.ts" >/dev/null
if diff -u bff-web/types/api.d.ts "$tmp/api.d.ts" >"$tmp/types.diff"; then
  echo "bff-web/types/api.d.ts is up to date"
else
  head -n 40 "$tmp/types.diff"
  echo "bff-web/types/api.d.ts is stale; regenerate it with:"
  echo "  (cd tools/openapi-types && npm ci && npm run generate)"
  status=1
fi

if [ "$status" -eq 0 ]; then echo "contracts: ok"; else echo "contracts: FAILED"; fi
exit "$status"
