# Sourced by the scripts that run the debug binaries (browser tests, schema fuzzing, contracts,
# the README journey). Builds every workspace binary with the feature resolution of
# `cargo test --workspace` (tests included: dev-dependencies add features, e.g. reqwest's
# cookies), so after CI's test step only the binaries without tests of their own are linked,
# instead of a second build of the dependencies with other features.
# Sets DEBUG_BIN to their directory.
debug_bins() {
  cargo build -q --workspace --bins --tests
  DEBUG_BIN="$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/debug"
}
