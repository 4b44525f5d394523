//! Upstream JSON: arbitrary bytes decoded into each typed upstream model exactly as the clients
//! decode them (`serde_json::from_slice`), and whatever decodes is shaped into every view of
//! both BFFs that uses it and serialised, as a screen would. No panic (overflow checks are on),
//! the mobile texts stay within their caps, and every view serialises to valid JSON.
//!
//! The first byte picks the model; the rest is the body.
//! The check lives in `crates/fuzz-checks`, where `cargo test` also replays the corpus.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_checks::upstream_json::check(data));
