#!/usr/bin/env bash
# Coverage-guided fuzzing of the BFFs' untrusted-input parsers (cargo fuzz / libFuzzer).
#
#   scripts/fuzz.sh [SECONDS]      # SECONDS per target, default 30
#
# Builds every target in fuzz/ (nightly, AddressSanitizer, overflow checks on, its own target dir
# fuzz/target), runs each for SECONDS from its committed seed corpus (fuzz/corpus/<target>, read
# only) plus a scratch corpus (fuzz/target/corpus/<target>, kept between local runs), and prints
# one line per target. Fails when any target crashes, panics, leaks, times out or runs out of
# memory; the input is left in fuzz/artifacts/<target>/ (reproduce: cargo +nightly fuzz run
# --fuzz-dir fuzz -O -a <target> <file>). Installs cargo-fuzz when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-30}"
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "usage: $0 [SECONDS per target]" >&2; exit 2; }
CARGO_FUZZ_VERSION=0.13.2
FUZZ_DIR=fuzz
TARGET_DIR="${FUZZ_TARGET_DIR:-$FUZZ_DIR/target}"
# FUZZ_SANITIZER=none (CI) skips AddressSanitizer: the fuzzed code is safe Rust (unsafe is
# forbidden), and an uninstrumented build of the dependencies takes a fraction of the time.
SANITIZER="${FUZZ_SANITIZER:-address}"
BUILD_FLAGS=(--fuzz-dir "$FUZZ_DIR" -O -a -s "$SANITIZER" --target-dir "$TARGET_DIR")

if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzz: the nightly toolchain is required (rustup toolchain install nightly)" >&2
  exit 1
fi
if ! cargo fuzz --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then
  echo "== installing cargo-fuzz $CARGO_FUZZ_VERSION"
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi

echo "== building the fuzz targets"
build_started=$(date +%s)
cargo +nightly fuzz build "${BUILD_FLAGS[@]}"
echo "built in $(( $(date +%s) - build_started ))s"

mapfile -t targets < <(cargo +nightly fuzz list --fuzz-dir "$FUZZ_DIR")
failed=()
for target in "${targets[@]}"; do
  seeds="$FUZZ_DIR/corpus/$target"
  scratch="$TARGET_DIR/corpus/$target"
  mkdir -p "$scratch" "$seeds"
  log="$TARGET_DIR/logs/$target.log"
  mkdir -p "$(dirname "$log")"
  # New inputs go to the first directory (scratch); the committed seeds are only read.
  # -timeout: one input taking over 10 s is a hang; -rss_limit_mb: a leak or a blow-up.
  status=0
  cargo +nightly fuzz run "${BUILD_FLAGS[@]}" "$target" "$scratch" "$seeds" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    >"$log" 2>&1 || status=$?
  execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || true)
  done_line=$(grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -1 || true)
  cov=$(grep -o 'cov: [0-9]*' <<<"$done_line" | grep -o '[0-9]*' || true)
  ft=$(grep -o 'ft: [0-9]*' <<<"$done_line" | grep -o '[0-9]*' || true)
  corp=$(grep -o 'corp: [0-9]*' <<<"$done_line" | grep -o '[0-9]*' || true)
  if [[ $status -eq 0 ]]; then
    verdict=ok
  else
    verdict="FAILED (exit $status)"
    failed+=("$target")
  fi
  printf 'fuzz %-18s %s: %s execs in %ss, coverage %s edges, %s features, corpus %s\n' \
    "$target" "$verdict" "${execs:-?}" "$seconds" "${cov:-?}" "${ft:-?}" "${corp:-?}"
  if [[ $status -ne 0 ]]; then
    grep -E 'panicked at|ERROR: libFuzzer|SUMMARY|Test unit written|artifact_prefix' "$log" | head -20 || true
  fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz: ${#failed[@]} target(s) failed: ${failed[*]} (logs in $TARGET_DIR/logs, inputs in $FUZZ_DIR/artifacts)" >&2
  exit 1
fi
echo "fuzz: ${#targets[@]} targets, no crash"
