//! Where to send the browser after login or logout: same-origin relative paths only.
//!
//! [`sanitize`] judges the value after URL parsing: it is joined to a dummy base and must keep the
//! base's origin, and what comes out is checked again (so `/a/..//evil.example` is caught after
//! normalisation). Before that, the raw value must be printable ASCII without whitespace or a
//! backslash, start with one `/` (not `//`), and stay so once percent-decoded (up to three
//! times, so `%2F%2F`, `%5C` and double encodings are caught). The result's path has no empty
//! segment (`/a//b`): proxies and servers that collapse `//` would read another path, and no page
//! needs one. Anything else becomes `/`.

use std::borrow::Cow;

use percent_encoding::percent_decode_str;
use url::{Position, Url};

/// Where the browser goes when the value given is refused.
pub const FALLBACK: &str = "/";

/// The longest value accepted.
pub const MAX_LEN: usize = 2048;

const BASE: &str = "https://bff.invalid/";

/// The value if it is a same-origin relative path (normalised by URL parsing), else `/`.
pub fn sanitize(input: &str) -> String {
    judge(input).unwrap_or_else(|| FALLBACK.to_owned())
}

fn judge(input: &str) -> Option<String> {
    if !acceptable(input) {
        return None;
    }
    let base = Url::parse(BASE).ok()?;
    let joined = base.join(input).ok()?;
    if joined.origin() != base.origin()
        || !joined.username().is_empty()
        || joined.password().is_some()
    {
        return None;
    }
    let path = &joined[Position::BeforePath..];
    (acceptable(path) && !has_empty_segment(path)).then(|| path.to_owned())
}

/// The raw checks, applied to the value and to each of its percent-decodings.
fn acceptable(value: &str) -> bool {
    if value.is_empty() || value.len() > MAX_LEN {
        return false;
    }
    // Raw: printable ASCII only — no whitespace, no control, no Unicode look-alikes.
    if !value.bytes().all(|b| b.is_ascii_graphic()) || !relative_path(value) {
        return false;
    }
    let mut current = Cow::Borrowed(value);
    for _ in 0..3 {
        let Ok(decoded) = percent_decode_str(&current).decode_utf8() else {
            return false;
        };
        if decoded == current {
            return true;
        }
        if decoded.chars().any(suspicious) || !relative_path(&decoded) {
            return false;
        }
        current = Cow::Owned(decoded.into_owned());
    }
    // Still decoding after three rounds: nobody legitimate nests encodings this deep.
    false
}

/// Starts with exactly one `/` and has no backslash anywhere (browsers read `\` as `/`).
fn relative_path(value: &str) -> bool {
    value.starts_with('/') && !value.starts_with("//") && !value.contains('\\')
}

/// Whether the path part (before `?` or `#`) has `//` anywhere (the query may: `?next=//x`).
fn has_empty_segment(value: &str) -> bool {
    value
        .split(['?', '#'])
        .next()
        .is_some_and(|path| path.contains("//"))
}

/// Characters that have no business in a decoded path: controls, whitespace other than the
/// space of an encoded query, and invisible formatting or direction overrides.
fn suspicious(c: char) -> bool {
    c.is_control()
        || (c.is_whitespace() && c != ' ')
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_origin_relative_paths_are_kept() {
        let cases = [
            ("/", "/"),
            ("/orders", "/orders"),
            ("/orders/42?tab=items#top", "/orders/42?tab=items#top"),
            ("/search?q=red%20shoes", "/search?q=red%20shoes"),
            ("/a/b/../c", "/a/c"),
            ("/caf%C3%A9", "/caf%C3%A9"),
            (
                "/path?next=//not-a-host-here",
                "/path?next=//not-a-host-here",
            ),
            ("/@evil.example", "/@evil.example"),
            ("/foo%2F%2Fbar", "/foo%2F%2Fbar"),
        ];
        for (input, expected) in cases {
            assert_eq!(sanitize(input), expected, "{input:?}");
        }
    }

    #[test]
    fn open_redirect_payloads_fall_back_to_the_root() {
        let payloads = [
            "",
            "evil.example",
            "//evil.example",
            "///evil.example",
            "////evil.example",
            "//evil.example/%2F..",
            "/\\evil.example",
            "\\\\evil.example",
            "\\/evil.example",
            "/\\/evil.example",
            "https://evil.example",
            "HTTPS://evil.example",
            "http:evil.example",
            "https:/evil.example",
            "http:/\\evil.example",
            "//evil.example@good.example",
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "java\nscript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "/%2F%2Fevil.example",
            "%2F%2Fevil.example",
            "/%2fevil.example",
            "/%5Cevil.example",
            "/%5cevil.example",
            "%5C%5Cevil.example",
            "/%252F%252Fevil.example",
            "/%25252F%25252Fevil.example",
            "/%2525252F%2525252Fevil.example",
            "/a/..//evil.example",
            "/%2e%2e//evil.example",
            "/a//evil.example",
            "/orders//",
            "/a/.//b",
            "/./%2e/..//evil.example",
            " /orders",
            "/orders ",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\nSet-Cookie: a=b",
            "/%0d%0aLocation:%20https://evil.example",
            "/%09/evil.example",
            "/%00",
            "/orders\u{0}",
            "/\u{3000}/evil.example",
            "/\u{a0}",
            "/\u{202e}lmth.exe",
            "/%E2%80%AEgnp.exe",
            "/%FF",
            "?next=/x",
            "#/x",
            "./orders",
            "../orders",
            "\u{ff0f}\u{ff0f}evil.example",
        ];
        for payload in payloads {
            assert_eq!(sanitize(payload), "/", "{payload:?}");
        }
    }

    #[test]
    fn a_value_longer_than_the_cap_falls_back() {
        assert_eq!(sanitize(&format!("/{}", "a".repeat(MAX_LEN))), "/");
    }

    #[test]
    fn sanitising_twice_changes_nothing() {
        for input in ["/a/b/../c", "/x?y=z#w", "//evil.example", "/a b"] {
            let once = sanitize(input);
            assert_eq!(sanitize(&once), once, "{input:?}");
        }
    }
}
