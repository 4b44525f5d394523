//! A call's URL: the upstream's base, then percent-encoded path segments and query pairs,
//! written once as text and parsed once, as the path of the `Uri` the transport sends (the
//! scheme and host are the base's, parsed at start-up).
//!
//! Through `url::Url` a call's URL was serialised, re-parsed by the path setter and then parsed
//! whole again into a `Uri`: about 3% of a cold mobile screen's instructions (issue #13,
//! bench/RESULTS.md). The encoding is `url`'s, so the upstreams see the same bytes.

use bytes::Bytes;
use http::Uri;
use http::uri::{Authority, PathAndQuery, Scheme};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use url::Url;
use url::form_urlencoded::byte_serialize;

/// What a path segment of an `http(s)` URL has percent-encoded: `url`'s set for a special
/// scheme's path segment, so that a `/`, `?`, `#`, `\` or `%` inside a segment stays inside it.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'`')
    .add(b'#')
    .add(b'?')
    .add(b'{')
    .add(b'}')
    .add(b'/')
    .add(b'%')
    .add(b'\\');

/// An upstream's base URL, split once into what every call to it shares.
#[derive(Debug, Clone)]
pub(crate) struct BaseUrl {
    scheme: Scheme,
    authority: Authority,
    /// The base's path without its trailing `/`: `""` for a bare host, `"/api"` for a prefix.
    path: Box<str>,
}

/// Why a base URL cannot address an upstream.
#[derive(Debug, thiserror::Error)]
pub enum BaseUrlError {
    /// Not `http` or `https`.
    #[error("the scheme must be http or https")]
    Scheme,
    /// A query or fragment, which no call could keep.
    #[error("must not have a query or a fragment")]
    QueryOrFragment,
    /// No host, or one `http::Uri` does not take.
    #[error("must name a host")]
    Host,
}

impl BaseUrl {
    /// Splits `base`, which must be `http(s)://host[:port][/path]`.
    pub(crate) fn new(base: &Url) -> Result<Self, BaseUrlError> {
        let scheme = match base.scheme() {
            "http" => Scheme::HTTP,
            "https" => Scheme::HTTPS,
            _ => return Err(BaseUrlError::Scheme),
        };
        if base.query().is_some() || base.fragment().is_some() {
            return Err(BaseUrlError::QueryOrFragment);
        }
        if base.host_str().is_none_or(str::is_empty) {
            return Err(BaseUrlError::Host);
        }
        let authority = Authority::try_from(base.authority()).map_err(|_| BaseUrlError::Host)?;
        Ok(Self {
            scheme,
            authority,
            path: base.path().trim_end_matches('/').into(),
        })
    }

    /// The URI of `segments` (each percent-encoded as one segment) and `query` (form-encoded)
    /// under the base. A segment that is `.` or `..` is left out, as `url`'s path setter does:
    /// no segment can move the path up.
    pub(crate) fn uri<'q>(
        &self,
        segments: &[&str],
        query: impl IntoIterator<Item = (&'q str, &'q str)>,
    ) -> Uri {
        let mut text = String::with_capacity(self.path.len() + 64);
        text.push_str(&self.path);
        for segment in segments {
            if matches!(*segment, "." | "..") {
                continue;
            }
            text.push('/');
            text.extend(utf8_percent_encode(segment, SEGMENT));
        }
        if text.is_empty() {
            text.push('/');
        }
        for (i, (name, value)) in query.into_iter().enumerate() {
            text.push(if i == 0 { '?' } else { '&' });
            text.extend(byte_serialize(name.as_bytes()));
            text.push('=');
            text.extend(byte_serialize(value.as_bytes()));
        }
        let mut parts = http::uri::Parts::default();
        parts.scheme = Some(self.scheme.clone());
        parts.authority = Some(self.authority.clone());
        // Every byte written above is one a path and query may hold, so this parse succeeds;
        // were it ever to fail, the call goes to the base's root rather than anywhere else.
        parts.path_and_query = Some(
            PathAndQuery::from_maybe_shared(Bytes::from(text))
                .unwrap_or_else(|_| PathAndQuery::from_static("/")),
        );
        Uri::from_parts(parts).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The URL `url` built (the way calls were made before this module), as text.
    fn through_url(base: &str, segments: &[&str], query: &[(&str, &str)]) -> String {
        let mut url = Url::parse(base).unwrap();
        url.path_segments_mut()
            .unwrap()
            .pop_if_empty()
            .extend(segments);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url.to_string()
    }

    fn built(base: &str, segments: &[&str], query: &[(&str, &str)]) -> String {
        BaseUrl::new(&Url::parse(base).unwrap())
            .unwrap()
            .uri(segments, query.iter().copied())
            .to_string()
    }

    #[test]
    fn encodes_as_url_does() {
        let segments: &[&[&str]] = &[
            &["products", "p00042"],
            &["products", "a/b"],
            &["products", "..", "x"],
            &["products", ".", "x"],
            &["products", "a?b#c"],
            &["products", "100%"],
            &["products", "%2e%2e"],
            &["products", "a\\b"],
            &["products", "sp ace", "q\"uo<t>e`{}"],
            &["products", "ünï€ode"],
            &["products", "...", "a.b"],
            &["products", ""],
            &[],
            &["healthz"],
        ];
        let queries: &[&[(&str, &str)]] = &[
            &[],
            &[("limit", "6")],
            &[("ids", "p1,p2,p3"), ("view", "card")],
            &[("q", "red shoes & socks=1+1 ü/?#%")],
        ];
        for base in [
            "http://127.0.0.1:7001",
            "http://127.0.0.1:7001/",
            "https://catalog.internal/api/v2/",
            "http://catalog:8080/prefix",
            "http://user:secret@catalog:8080/",
        ] {
            for segments in segments {
                for query in queries {
                    assert_eq!(
                        built(base, segments, query),
                        through_url(base, segments, query),
                        "{base} {segments:?} {query:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn no_segment_leaves_its_place() {
        let uri = BaseUrl::new(&Url::parse("http://h/api/").unwrap())
            .unwrap()
            .uri(&["products", "../../admin", "..", "a/../b"], []);
        assert_eq!(uri.path(), "/api/products/..%2F..%2Fadmin/a%2F..%2Fb");
        assert_eq!(uri.host(), Some("h"));
    }

    #[test]
    fn refuses_bases_no_call_could_use() {
        for (base, error) in [
            ("ftp://h/", "scheme"),
            ("http://h/?a=1", "query"),
            ("http://h/#top", "fragment"),
            ("unix:/run/x.sock", "scheme"),
        ] {
            let refused = BaseUrl::new(&Url::parse(base).unwrap()).unwrap_err();
            assert!(refused.to_string().contains(error), "{base}: {refused}");
        }
    }
}
