//! `Authorization: Bearer <token>` (RFC 6750 §2.1): the only place a token is taken from —
//! never the query string, never a cookie.
//!
//! The scheme is case-insensitive; exactly one space separates it from exactly one token of
//! `b64token` characters. A header longer than the token cap is refused before anything else
//! looks at it, and so is a request with more than one `Authorization` header.

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;

const SCHEME: &str = "Bearer";

/// Why the `Authorization` header does not carry a usable bearer token.
#[derive(Debug, Clone, Copy, thiserror::Error, PartialEq, Eq)]
pub enum BearerError {
    /// More than one `Authorization` header.
    #[error("more than one Authorization header")]
    Multiple,
    /// Longer than the cap (checked first, before any parsing).
    #[error("Authorization header larger than {max} bytes")]
    TooLarge {
        /// The largest header accepted.
        max: usize,
    },
    /// Another scheme (e.g. `Basic`).
    #[error("not a Bearer authorization")]
    NotBearer,
    /// `Bearer` without exactly one well-formed token after exactly one space.
    #[error("malformed Bearer authorization")]
    Malformed,
}

/// The largest `Authorization` value accepted for tokens of at most `max_token_bytes`.
pub fn max_header_bytes(max_token_bytes: usize) -> usize {
    SCHEME.len() + 1 + max_token_bytes
}

/// The bearer token of the request: `Ok(None)` when it has no `Authorization` header.
pub fn bearer_token(
    headers: &HeaderMap,
    max_token_bytes: usize,
) -> Result<Option<&str>, BearerError> {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(BearerError::Multiple);
    }
    parse_bearer(value.as_bytes(), max_token_bytes).map(Some)
}

/// Parses one `Authorization` value into its token.
pub fn parse_bearer(value: &[u8], max_token_bytes: usize) -> Result<&str, BearerError> {
    let max = max_header_bytes(max_token_bytes);
    if value.len() > max {
        return Err(BearerError::TooLarge { max });
    }
    let Some(space) = value.iter().position(|b| *b == b' ') else {
        return Err(if value.eq_ignore_ascii_case(SCHEME.as_bytes()) {
            BearerError::Malformed
        } else {
            BearerError::NotBearer
        });
    };
    let (scheme, rest) = (&value[..space], &value[space + 1..]);
    if !scheme.eq_ignore_ascii_case(SCHEME.as_bytes()) {
        return Err(BearerError::NotBearer);
    }
    if !is_b64token(rest) {
        return Err(BearerError::Malformed);
    }
    std::str::from_utf8(rest).map_err(|_| BearerError::Malformed)
}

/// `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`
fn is_b64token(token: &[u8]) -> bool {
    let body_len = token.len() - token.iter().rev().take_while(|b| **b == b'=').count();
    body_len > 0
        && token[..body_len]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    const MAX: usize = 64;

    #[test]
    fn the_scheme_is_case_insensitive() {
        for header in [
            "Bearer abc.def.ghi",
            "bearer abc.def.ghi",
            "BEARER abc.def.ghi",
            "bEaReR abc.def.ghi",
        ] {
            assert_eq!(
                parse_bearer(header.as_bytes(), MAX),
                Ok("abc.def.ghi"),
                "{header}"
            );
        }
    }

    #[test]
    fn b64token_characters_and_trailing_padding_are_accepted() {
        assert_eq!(parse_bearer(b"Bearer a-._~+/Z9==", MAX), Ok("a-._~+/Z9=="));
    }

    #[test]
    fn anything_but_one_space_and_one_token_is_malformed() {
        for header in [
            "Bearer",
            "Bearer ",
            "Bearer  abc",
            "Bearer abc ",
            "Bearer abc def",
            "Bearer\tabc",
            "Bearer abc,def",
            "Bearer \"abc\"",
            "Bearer ==",
            "Bearer =abc",
            "Bearer abc\u{e9}",
        ] {
            assert!(
                matches!(
                    parse_bearer(header.as_bytes(), MAX),
                    Err(BearerError::Malformed | BearerError::NotBearer)
                ),
                "{header:?}"
            );
        }
    }

    #[test]
    fn other_schemes_are_not_bearer() {
        for header in [
            "Basic dXNlcjpwYXNz",
            "Bearerabc",
            "DPoP abc",
            "Token abc",
            "",
        ] {
            assert_eq!(
                parse_bearer(header.as_bytes(), MAX),
                Err(BearerError::NotBearer),
                "{header}"
            );
        }
    }

    #[test]
    fn an_oversized_header_is_refused_before_it_is_parsed() {
        // Garbage that would be malformed is reported as too large: the size is judged first.
        let header = format!("Bearer {}", " ".repeat(MAX + 1));
        assert_eq!(
            parse_bearer(header.as_bytes(), MAX),
            Err(BearerError::TooLarge { max: MAX + 7 })
        );
        let at_cap = format!("Bearer {}", "a".repeat(MAX));
        assert!(parse_bearer(at_cap.as_bytes(), MAX).is_ok());
    }

    #[test]
    fn no_header_is_none_and_two_headers_are_refused() {
        let mut headers = HeaderMap::new();
        assert_eq!(bearer_token(&headers, MAX), Ok(None));
        headers.append(AUTHORIZATION, HeaderValue::from_static("Bearer a"));
        assert_eq!(bearer_token(&headers, MAX), Ok(Some("a")));
        headers.append(AUTHORIZATION, HeaderValue::from_static("Bearer b"));
        assert_eq!(bearer_token(&headers, MAX), Err(BearerError::Multiple));
    }
}
