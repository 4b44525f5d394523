//! `ETag` on successful GET responses and `304 Not Modified` when the client already has them.
//!
//! Mobile clients on metered networks revalidate instead of downloading a screen again. The tag
//! is a hash of the uncompressed body, marked weak (`W/`) because the compression layer may send
//! the same representation with different content codings. A handler that already knows its
//! tag (a screen served from [`crate::screen_cache`]) sets it itself; the body is then not hashed
//! again, only compared.

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hyper::body::Body as _;

/// Bodies larger than this are passed through untagged rather than buffered.
const MAX_TAGGED_BODY: u64 = 2 * 1024 * 1024;

/// Tags 200 responses to GET and HEAD (the answer `next` gives), and answers 304 when
/// `If-None-Match` matches. A step of the server's stack (`server::answer_checks`).
pub async fn tagged<F>(request: Request, next: impl FnOnce(Request) -> F) -> Response
where
    F: Future<Output = Response>,
{
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return next(request).await;
    }
    let if_none_match = request.headers().get(header::IF_NONE_MATCH).cloned();
    let response = next(request).await;
    if response.status() == StatusCode::OK
        && let Some(tag) = response.headers().get(header::ETAG)
    {
        return match if_none_match {
            Some(v) if matches(&v, tag) => not_modified(response.headers(), tag.clone()),
            _ => response,
        };
    }
    if response.status() != StatusCode::OK
        || response
            .headers()
            .get(header::CACHE_CONTROL)
            .is_some_and(|v| v.as_bytes().windows(8).any(|w| w == b"no-store"))
        || response
            .body()
            .size_hint()
            .upper()
            .is_none_or(|len| len > MAX_TAGGED_BODY)
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_TAGGED_BODY as usize).await else {
        return crate::problem::Problem::internal().into_response();
    };
    let tag = tag_of(&bytes);
    if if_none_match.is_some_and(|v| matches(&v, &tag)) {
        return not_modified(&parts.headers, tag);
    }
    parts.headers.insert(header::ETAG, tag);
    Response::from_parts(parts, Body::from(bytes))
}

/// The weak tag of an uncompressed body: XXH3 (64 bits), the same in every process and instance,
/// and fast enough to hash a 30 KB web screen in about a microsecond.
pub fn tag_of(body: &[u8]) -> HeaderValue {
    let tag = format!("W/\"{:016x}\"", xxhash_rust::xxh3::xxh3_64(body));
    HeaderValue::from_str(&tag).expect("hex digits and quotes are a valid header value")
}

/// The `304` for a response with `headers`: what a cache needs to update its copy, no body.
fn not_modified(headers: &axum::http::HeaderMap, tag: HeaderValue) -> Response {
    let mut not_modified = StatusCode::NOT_MODIFIED.into_response();
    for name in [header::CACHE_CONTROL, header::VARY, header::EXPIRES] {
        for value in headers.get_all(&name) {
            not_modified
                .headers_mut()
                .append(name.clone(), value.clone());
        }
    }
    not_modified.headers_mut().insert(header::ETAG, tag);
    not_modified
}

/// Weak comparison (RFC 9110 §13.1.2: `W/` prefixes are ignored) of an `If-None-Match` list
/// (or `*`) against our tag, weak or strong; the demo upstreams' strong tags use it too.
pub fn matches(if_none_match: &HeaderValue, tag: &HeaderValue) -> bool {
    let Ok(list) = if_none_match.to_str() else {
        return false;
    };
    let ours = tag.to_str().unwrap_or_default().trim_start_matches("W/");
    list.split(',')
        .map(str::trim)
        .any(|candidate| candidate == "*" || candidate.trim_start_matches("W/") == ours)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_compares_weakly_and_accepts_lists_and_star() {
        // Our weak tags, and the demo upstreams' strong ones.
        for (tag, yes, no) in [
            (
                "W/\"abc\"",
                ["W/\"abc\"", "\"abc\"", "\"x\", W/\"abc\"", "*"],
                ["\"abd\"", "", "W/\"ab\""],
            ),
            (
                "\"00ff\"",
                ["\"00ff\"", "W/\"00ff\"", "\"1\", \"00ff\"", "*"],
                ["\"00fe\"", "00ff", ""],
            ),
        ] {
            let tag = HeaderValue::from_static(tag);
            for yes in yes {
                assert!(
                    matches(&HeaderValue::from_static(yes), &tag),
                    "{yes} {tag:?}"
                );
            }
            for no in no {
                assert!(
                    !matches(&HeaderValue::from_static(no), &tag),
                    "{no} {tag:?}"
                );
            }
        }
    }
}
