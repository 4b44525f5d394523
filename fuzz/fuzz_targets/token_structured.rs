//! Structure-aware token fuzzing: a valid signed access token whose header and claims are
//! mutated field by field (known-interesting values, arbitrary text, numbers, times around
//! now), then signed by the right key, another key, HMAC with the public key, or not at all.
//!
//! Oracles: the untouched token signed by the trusted key is accepted (so the target can fail);
//! a token is accepted only when it was signed by the trusted key its `kid` names with that
//! key's algorithm, carries no `crit`, has the access-token `typ`, and its claims hold.
//! The check lives in `crates/fuzz-checks`, where `cargo test` also replays the corpus.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_checks::token_structured::check(data));
