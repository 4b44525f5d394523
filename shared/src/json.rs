//! JSON response bodies, written by sonic-rs into a `Vec`.
//!
//! sonic-rs writes the bytes serde_json writes (tests below), from the same `Serialize` impls,
//! but scans strings for characters to escape 16 bytes at a time where serde_json goes byte by
//! byte: the web screens are mostly image URLs and `srcset` strings (bench/RESULTS.md,
//! 2026-12-07 11:20: web product 0.88× the instructions with sonic-rs on both sides of a screen).
//!
//! axum's `Json` serialises through a `BytesMut` writer, where every fragment (each quote, key,
//! separator and run of a string) pays the writer's per-call bookkeeping; a screen is a few
//! thousand such writes. A `Vec` takes them as plain `extend_from_slice`. The `Vec` is the
//! thread's, kept from one response to the next, and the body is one copy of it at its exact
//! length: a fresh `Vec` grew by doubling, five reallocations and copies for a web product page
//! (19-27 KB).
//! A value that fails to serialise (a bug: the views are plain data) answers a 500 problem,
//! where axum's `Json` would answer `text/plain` with serde's message.

use std::cell::RefCell;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Serialize;

use crate::problem::Problem;

/// The largest scratch buffer a thread keeps for the next response; a larger one is dropped.
const SCRATCH_KEPT: usize = 256 * 1024;

thread_local! {
    /// Where each response of the thread is written before its copy into the body.
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// `200 OK`, `Content-Type: application/json`, `value` as the body.
pub fn response<T: Serialize + ?Sized>(value: &T) -> Response {
    match written(value) {
        Ok(body) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            body,
        )
            .into_response(),
        Err(error) => {
            tracing::error!(%error, "a response body did not serialise");
            Problem::internal().into_response()
        }
    }
}

/// `value` as JSON bytes, written in the thread's scratch buffer (or a new one, should a
/// `Serialize` impl ever call back in here).
fn written<T: Serialize + ?Sized>(value: &T) -> sonic_rs::Result<Bytes> {
    SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
        Ok(mut scratch) => {
            scratch.clear();
            let outcome = sonic_rs::to_writer(&mut *scratch, value);
            let body = outcome.map(|()| Bytes::copy_from_slice(&scratch));
            if scratch.capacity() > SCRATCH_KEPT {
                *scratch = Vec::new();
            }
            body
        }
        Err(_) => sonic_rs::to_vec(value).map(Bytes::from),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use axum::body::to_bytes;
    use axum::http::StatusCode;

    use super::*;

    #[tokio::test]
    async fn a_value_larger_than_the_first_buffer_becomes_the_bytes_serde_json_gives() {
        let items: Vec<String> = (0..500).map(|i| format!("item {i}")).collect();
        let value = serde_json::json!({ "name": "a \"quoted\"\nline", "n": [1, 2.5, null], "items": items });
        let response = response(&value);
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
        let body = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        assert!(body.len() > 1024);
        assert_eq!(body, serde_json::to_vec(&value).unwrap());
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&body).unwrap(),
            value
        );
    }

    /// The bytes are serde_json's for every kind of string and number the views hold: escapes,
    /// control characters, the JavaScript line separators, non-ASCII, and floats.
    #[tokio::test]
    async fn strings_and_numbers_are_written_as_serde_json_writes_them() {
        let mut strings: Vec<String> = (0u8..0x80).map(|b| format!("a{}b", b as char)).collect();
        strings.extend(
            [
                "",
                "\"",
                "\\",
                "/",
                "</script>",
                "\u{2028}\u{2029}",
                "é",
                "日本語",
                "😀",
                "\u{7f}\u{80}\u{ff}",
                "a\tb\nc\rd",
                "\u{0}",
            ]
            .map(String::from),
        );
        // Runs longer than a SIMD lane, with the escape at every position.
        for at in 0..40 {
            let mut long = "x".repeat(40);
            long.insert(at, '"');
            strings.push(long);
        }
        let numbers = [
            0.0,
            -0.0,
            1.0,
            0.1,
            1.5e-7,
            2.5e300,
            f64::MAX,
            f64::MIN_POSITIVE,
            4.99,
        ];
        let integers = [0i64, -1, i64::MIN, i64::MAX];
        let value = serde_json::json!({ "s": strings, "f": numbers, "i": integers, "u": u64::MAX });
        let body = to_bytes(response(&value).into_body(), usize::MAX)
            .await
            .unwrap();
        assert_eq!(
            std::str::from_utf8(&body).unwrap(),
            serde_json::to_string(&value).unwrap()
        );
    }

    #[tokio::test]
    async fn a_body_larger_than_the_kept_scratch_is_whole_and_the_next_small_one_exact() {
        let large = "x".repeat(SCRATCH_KEPT * 2);
        let body = to_bytes(response(&large).into_body(), usize::MAX)
            .await
            .unwrap();
        assert_eq!(body, serde_json::to_vec(&large).unwrap());
        SCRATCH.with(|scratch| assert!(scratch.borrow().capacity() <= SCRATCH_KEPT));
        let body = to_bytes(response(&[1, 2]).into_body(), usize::MAX)
            .await
            .unwrap();
        assert_eq!(&body[..], b"[1,2]");
    }

    /// A value whose serialisation writes another response meanwhile (the scratch is in use).
    struct Nested;

    impl Serialize for Nested {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let inner = written(&["inner"]).unwrap();
            serializer.serialize_str(std::str::from_utf8(&inner).unwrap())
        }
    }

    #[tokio::test]
    async fn a_response_written_while_another_is_being_written_gets_its_own_buffer() {
        let body = to_bytes(response(&[Nested]).into_body(), usize::MAX)
            .await
            .unwrap();
        assert_eq!(&body[..], br#"["[\"inner\"]"]"#);
    }

    #[tokio::test]
    async fn a_float_that_is_not_finite_is_null_as_serde_json_writes_it() {
        let value = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY];
        let body = to_bytes(response(&value).into_body(), usize::MAX)
            .await
            .unwrap();
        assert_eq!(&body[..], serde_json::to_vec(&value).unwrap());
    }

    #[tokio::test]
    async fn a_value_that_does_not_serialise_is_a_500_problem_without_serdes_message() {
        // A map with non-string keys cannot be JSON.
        let value: BTreeMap<(u8, u8), u8> = [((1, 2), 3)].into();
        let response = response(&value);
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "application/problem+json"
        );
        let body = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        let text = std::str::from_utf8(&body).unwrap();
        assert!(!text.contains("key must be"), "{text}");
    }
}
