//! `return_to` sanitising: whatever comes in, what goes out is `/` or a same-origin relative
//! path, and sanitising it again changes nothing.

use crate::assert_same_origin_path;
use shared::auth::return_to::sanitize;

/// One fuzz input; panics when an invariant does not hold.
pub fn check(data: &[u8]) {
    let input = String::from_utf8_lossy(data);
    let out = sanitize(&input);
    assert_same_origin_path(&out);
    assert_eq!(sanitize(&out), out, "not idempotent for {input:?}");
    if out != "/" {
        // Kept values are normalised, never lengthened past the cap.
        assert!(out.len() <= shared::auth::return_to::MAX_LEN, "{out:?}");
    }
}
