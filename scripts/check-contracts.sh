#!/usr/bin/env bash
# Contract checks, for CI and before a push:
# 1. breaking changes of each committed OpenAPI document against the previous commit of main
#    (CONTRACT_BASE, default HEAD~1): listed as warnings for bff-web, failing for paths under /v1
#    (bff-mobile: apps in the field cannot all update at once);
# 2. the web team's TypeScript types (bff-web/types/api.d.ts) are what openapi-typescript
#    generates from bff-web/openapi.json now;
# 3. bff-web's GraphQL schema (bff-web/schema.graphql): breaking changes against CONTRACT_BASE
#    fail (graphql-js findBreakingChanges, tools/graphql-types/breaking.mjs), and the TypeScript
#    types of the storefront's operations (bff-web/types/graphql.d.ts) are what @graphql-codegen
#    generates now.
# That each committed document is what the code generates is checked by the contract tests
# (`cargo test -p bff-web --test api contract`, same for bff-mobile; the GraphQL schema, manifest
# and operations module: `cargo test -p bff-web --test api graphql_safety::the_committed`).
set -euo pipefail
cd "$(dirname "$0")/.."

base="${CONTRACT_BASE:-HEAD~1}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
status=0

# same_as_generated COMMITTED GENERATED TOOL_DIR: the committed file is what TOOL_DIR's
# `npm run generate` writes (else the diff, the command, and status=1).
same_as_generated() {
  if diff -u "$1" "$2" >"$tmp/generated.diff"; then
    echo "$1 is up to date"
  else
    head -n 40 "$tmp/generated.diff"
    echo "$1 is stale; regenerate it with:"
    echo "  (cd $3 && npm ci && npm run generate)"
    status=1
  fi
}

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
same_as_generated bff-web/types/api.d.ts "$tmp/api.d.ts" tools/openapi-types

echo "== GraphQL schema of bff-web"
(cd tools/graphql-types && timeout 300 npm ci --no-audit --no-fund --loglevel=error)
schema=bff-web/schema.graphql
if ! git rev-parse -q --verify "$base^{commit}" >/dev/null 2>&1; then
  echo "$schema: no commit $base; breaking changes not checked"
elif ! git cat-file -e "$base:$schema" 2>/dev/null; then
  echo "$schema: not in $base yet; breaking changes not checked"
else
  git show "$base:$schema" >"$tmp/previous.graphql"
  node tools/graphql-types/breaking.mjs "$tmp/previous.graphql" "$schema" || status=1
fi
(cd tools/graphql-types && GRAPHQL_TYPES_OUT="$tmp/graphql.d.ts" \
  node_modules/.bin/graphql-codegen --config codegen.yml --silent >/dev/null)
same_as_generated bff-web/types/graphql.d.ts "$tmp/graphql.d.ts" tools/graphql-types

if [ "$status" -eq 0 ]; then echo "contracts: ok"; else echo "contracts: FAILED"; fi
exit "$status"
