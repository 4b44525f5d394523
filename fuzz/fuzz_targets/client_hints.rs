//! Client hints: any query and hint headers give a 400 problem (for a malformed query value)
//! or a device whose target width lies in what width × DPR can be once clamped; the rendition
//! picked is always one of the image's, and for the catalog's rendition set it is in that set.
//! The check lives in `crates/fuzz-checks`, where `cargo test` also replays the corpus.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_checks::client_hints::check(data));
