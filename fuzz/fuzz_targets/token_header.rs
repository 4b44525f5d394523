//! An arbitrary `Authorization` header value, through the bearer parser and the token validator
//! exactly as the extractors use them. No panic; a refused header never reaches the validator;
//! a token is accepted only with claims that hold.
//! The check lives in `crates/fuzz-checks`, where `cargo test` also replays the corpus.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_checks::token_header::check(data));
