//! Search cursors: opaque to the app, a versioned offset to the BFF.
//!
//! A cursor is base64url without padding of `v1:<offset>`. The app only hands back what it got,
//! so anything else is refused strictly: wrong base64, another version, a non-canonical number,
//! an offset that is not a page boundary or lies beyond the deepest page served. The version
//! prefix lets a later release change the encoding (e.g. to keyset paging) while still reading,
//! or cleanly refusing, the cursors of apps in the field.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Results per search page.
pub const PAGE_SIZE: u32 = 20;
/// The deepest offset served: deep pages are expensive for the catalog and useless on a phone.
pub const MAX_OFFSET: u32 = 10_000;

const PREFIX: &str = "v1:";
/// Longer cursors are refused before decoding (the longest valid one is `v1:10000`, 11 chars).
const MAX_ENCODED_LEN: usize = 32;

/// A cursor the app sent that this BFF never issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid cursor")]
pub struct InvalidCursor;

/// The cursor of the page starting at `offset`.
pub fn encode(offset: u32) -> String {
    URL_SAFE_NO_PAD.encode(format!("{PREFIX}{offset}"))
}

/// The offset a cursor stands for.
pub fn decode(cursor: &str) -> Result<u32, InvalidCursor> {
    if cursor.is_empty() || cursor.len() > MAX_ENCODED_LEN {
        return Err(InvalidCursor);
    }
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| InvalidCursor)?;
    let text = std::str::from_utf8(&bytes).map_err(|_| InvalidCursor)?;
    let digits = text.strip_prefix(PREFIX).ok_or(InvalidCursor)?;
    let canonical = (1..=5).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    if !canonical {
        return Err(InvalidCursor);
    }
    let offset: u32 = digits.parse().map_err(|_| InvalidCursor)?;
    if offset > MAX_OFFSET || !offset.is_multiple_of(PAGE_SIZE) {
        return Err(InvalidCursor);
    }
    Ok(offset)
}

/// The cursor of the page after the one at `offset` with `shown` results, if there is one
/// that may be served.
pub fn next(offset: u32, shown: usize, total: u32) -> Option<String> {
    let shown = u32::try_from(shown).ok()?;
    let next = offset.checked_add(PAGE_SIZE)?;
    (shown == PAGE_SIZE && next < total && next <= MAX_OFFSET).then(|| encode(next))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(text: &str) -> String {
        URL_SAFE_NO_PAD.encode(text)
    }

    #[test]
    fn cursors_round_trip_and_are_opaque() {
        for offset in [0, 20, 40, 9_980, 10_000] {
            let cursor = encode(offset);
            assert!(!cursor.contains('='), "{cursor}");
            assert_eq!(decode(&cursor), Ok(offset));
        }
        assert_eq!(encode(40), "djE6NDA");
    }

    #[test]
    fn anything_not_issued_is_refused() {
        let padded = base64::engine::general_purpose::URL_SAFE.encode("v1:40");
        let standard = base64::engine::general_purpose::STANDARD.encode("v1:40?");
        for cursor in [
            String::new(),
            "%%%".to_owned(),
            "djE6NDA=".to_owned(),
            padded,
            standard,
            "djE6NDB".to_owned(), // non-zero trailing bits
            raw("v2:40"),
            raw("V1:40"),
            raw("40"),
            raw("v1:"),
            raw("v1:abc"),
            raw("v1:-20"),
            raw("v1:+20"),
            raw("v1: 20"),
            raw("v1:20 "),
            raw("v1:020"),
            raw("v1:4.0"),
            raw("v1:30"),
            raw("v1:10020"),
            raw("v1:99999999999999999999"),
            raw("v1:40\0"),
            "A".repeat(33),
        ] {
            assert_eq!(decode(&cursor), Err(InvalidCursor), "{cursor:?}");
        }
    }

    #[test]
    fn the_next_cursor_exists_only_while_results_remain() {
        assert_eq!(next(0, 20, 45), Some(encode(20)));
        assert_eq!(next(20, 20, 45), Some(encode(40)));
        assert_eq!(next(40, 5, 45), None);
        assert_eq!(next(20, 20, 40), None);
        assert_eq!(next(0, 0, 0), None);
        assert_eq!(next(9_980, 20, 50_000), Some(encode(10_000)));
        assert_eq!(next(10_000, 20, 50_000), None);
    }
}
