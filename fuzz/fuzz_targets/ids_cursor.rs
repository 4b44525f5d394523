//! Path parameters and cursors: product and category ids are accepted exactly when they are
//! `[A-Za-z0-9_-]{1,32}`; a cursor decodes only when it is the one `encode` gives for its offset
//! (so every accepted cursor round-trips byte for byte), and every page offset round-trips.
//! The check lives in `crates/fuzz-checks`, where `cargo test` also replays the corpus.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_checks::ids_cursor::check(data));
