//! `return_to` sanitising: whatever comes in, what goes out is `/` or a same-origin relative
//! path, and sanitising it again changes nothing.
//! The check lives in `crates/fuzz-checks`, where `cargo test` also replays the corpus.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_checks::return_to::check(data));
