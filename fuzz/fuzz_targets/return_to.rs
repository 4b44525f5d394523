//! `return_to` sanitising: whatever comes in, what goes out is `/` or a same-origin relative
//! path, and sanitising it again changes nothing.
#![no_main]

use bff_fuzz::assert_same_origin_path;
use libfuzzer_sys::fuzz_target;
use shared::auth::return_to::sanitize;

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);
    let out = sanitize(&input);
    assert_same_origin_path(&out);
    assert_eq!(sanitize(&out), out, "not idempotent for {input:?}");
    if out != "/" {
        // Kept values are normalised, never lengthened past the cap.
        assert!(out.len() <= shared::auth::return_to::MAX_LEN, "{out:?}");
    }
});
