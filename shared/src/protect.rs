//! Inbound protection: load shedding above a concurrency limit (503 + `Retry-After`) and a
//! per-client rate limit (429 + `Retry-After`).
//!
//! Both answer before any work is done, so an overloaded or abused BFF stays responsive to the
//! clients within their share. The client is the TCP peer's IP address, unless that peer is one
//! of the configured `trusted_proxies` (the load balancer in front of the BFF, which would
//! otherwise put every user in one bucket): then it is the right-most hop of the forwarding chain
//! that is not a trusted proxy. The chain is `Forwarded` (RFC 7239, its `for=` parameters) when
//! the request has one, else `X-Forwarded-For`: a proxy that writes `Forwarded` is the one to
//! believe, and the two are never mixed. Entries left of the client are written by the client and
//! never believed, and with no trusted proxy configured (the default) both headers are ignored.
//!
//! [`TrustedProxies::client_ip`] is the one computation of the client's address: the outermost
//! layer ([`crate::request_id`]) stores it as [`ClientAddr`] for the access log, and the rate
//! limiter keys on that same value.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use ipnet::IpNet;
use serde::Deserialize;
use tokio::sync::Semaphore;

use crate::config::ConfigError;
use crate::problem::Problem;

/// Per-client rate limit. Env `…__SERVER__RATE_LIMIT__<KEY>`.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitSettings {
    /// Whether requests are limited per client IP. Default `true`.
    pub enabled: bool,
    /// Sustained requests per second per client. Default `100`.
    pub per_second: u32,
    /// Requests a client may send at once above the sustained rate. Default `200`.
    pub burst: u32,
    /// Addresses or CIDR ranges of the proxies in front of the BFF whose `Forwarded` (or, without
    /// one, `X-Forwarded-For`) names the client, for the rate limit and the access log, and whose
    /// `traceparent` is continued (see `server.trust_inbound_traceparent`); a proxy here must
    /// overwrite or strip a client's `Forwarded`, which wins over `X-Forwarded-For`. It is
    /// believed (a list, or one comma-separated string from the environment). Default none: the
    /// TCP peer is the client.
    #[serde(deserialize_with = "crate::config::list_or_comma_separated")]
    pub trusted_proxies: Vec<String>,
}

/// The setting's name in errors.
const TRUSTED_PROXIES_KEY: &str = "server.rate_limit.trusted_proxies";

impl RateLimitSettings {
    /// Refuses a trusted proxy that is not an address or a CIDR range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        TrustedProxies::parse(TRUSTED_PROXIES_KEY, &self.trusted_proxies).map(drop)
    }

    /// The trusted proxies; none when an entry is invalid (checked at start-up by
    /// [`Self::validate`]; settings built in code that skip it get the strict default).
    pub fn proxies(&self) -> TrustedProxies {
        TrustedProxies::parse(TRUSTED_PROXIES_KEY, &self.trusted_proxies).unwrap_or_default()
    }
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            per_second: 100,
            burst: 200,
            trusted_proxies: Vec::new(),
        }
    }
}

/// Sheds requests above `max_in_flight` concurrent ones, then refuses a client over its rate
/// (when a [`ClientRateLimiter`] is given): one layer, so a limiter that is off costs nothing.
#[derive(Debug, Clone)]
pub struct LoadShedder {
    permits: Arc<Semaphore>,
    rate_limiter: Option<ClientRateLimiter>,
}

impl LoadShedder {
    /// Allows `max_in_flight` requests at once, each client within `rate_limiter`'s rate.
    pub fn new(max_in_flight: usize, rate_limiter: Option<ClientRateLimiter>) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(max_in_flight.max(1))),
            rate_limiter,
        }
    }

    /// Middleware: a 503 problem with `Retry-After: 1` when the BFF is at capacity, a 429 when
    /// the client is over its rate.
    pub async fn middleware(self, request: Request, next: Next) -> Response {
        let Ok(_permit) = self.permits.try_acquire() else {
            metrics::counter!("http_requests_refused_total", "reason" => "overloaded").increment(1);
            return Problem::new(StatusCode::SERVICE_UNAVAILABLE)
                .with_detail("The service is at capacity; retry shortly.")
                .with_retry_after(1)
                .into_response();
        };
        if let Some(refused) = self
            .rate_limiter
            .as_ref()
            .and_then(|limiter| limiter.refusal(&request))
        {
            return refused;
        }
        next.run(request).await
    }
}

/// The proxies whose `Forwarded` or `X-Forwarded-For` names the client (see the module docs).
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Arc<[IpNet]>);

impl TrustedProxies {
    /// Parses addresses (`10.0.0.7`, `::1`) and CIDR ranges (`10.0.0.0/8`); `key` names the
    /// setting in the error.
    pub fn parse(key: &str, entries: &[String]) -> Result<Self, ConfigError> {
        entries
            .iter()
            .map(|entry| {
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| {
                        ConfigError::invalid(key, format!("{entry:?} is not an address or CIDR"))
                    })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(|nets| Self(nets.into()))
    }

    /// Says at start-up whose forwarding headers are believed; WARN when a range trusts every
    /// peer, which lets any client choose its own rate-limit key.
    fn log(&self) {
        if self.0.is_empty() {
            return;
        }
        let ranges: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        if self.0.iter().any(|net| net.prefix_len() == 0) {
            tracing::warn!(
                ?ranges,
                "server.rate_limit.trusted_proxies trusts every peer: any client can pick its \
                 own rate-limit key through Forwarded or X-Forwarded-For"
            );
        } else {
            tracing::info!(
                ?ranges,
                "the rate limit keys on Forwarded (else X-Forwarded-For) from these proxies"
            );
        }
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        // A v4 peer on a dual-stack socket arrives as ::ffff:a.b.c.d.
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// Whether `peer` is one of the trusted proxies.
    pub fn trusts_peer(&self, peer: IpAddr) -> bool {
        !self.0.is_empty() && self.trusts(peer)
    }

    /// The client's address: `peer`, unless `peer` is a trusted proxy; then the right-most
    /// hop of `Forwarded` (when present, else `X-Forwarded-For`) that is not one (each proxy
    /// appends the address it received from). An entry that is not an address (`unknown`, an
    /// obfuscated name, garbage) ends the walk at the hop that wrote it.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.trusts_peer(peer) {
            return peer;
        }
        if headers.contains_key(FORWARDED) {
            self.walk(peer, lines(headers, FORWARDED).map(forwarded_for))
        } else {
            let entries = lines(headers, X_FORWARDED_FOR).map(|entry| entry.parse().ok());
            self.walk(peer, entries)
        }
    }

    /// Walks hops right to left from `peer` to the first untrusted one.
    fn walk(&self, peer: IpAddr, hops: impl Iterator<Item = Option<IpAddr>>) -> IpAddr {
        let mut client = peer;
        for hop in hops {
            let Some(ip) = hop else {
                return client;
            };
            client = ip.to_canonical();
            if !self.trusts(client) {
                return client;
            }
        }
        client
    }
}

/// The `Forwarded` header (RFC 7239).
const FORWARDED: &str = "forwarded";
/// The de-facto `X-Forwarded-For` header.
const X_FORWARDED_FOR: &str = "x-forwarded-for";

/// The comma-separated entries of every `name` line, right-most first, trimmed; several header
/// lines form one list, in order (RFC 9110, 5.3). A line that is not text is one bad entry.
fn lines<'a>(headers: &'a HeaderMap, name: &str) -> impl Iterator<Item = &'a str> {
    headers
        .get_all(name)
        .iter()
        .rev()
        .flat_map(|line| line.to_str().unwrap_or("?").rsplit(','))
        .map(str::trim)
}

/// The address of one `Forwarded` element's `for=` parameter: a token or quoted string, an IPv4
/// address or a bracketed IPv6 one, either with an optional port (RFC 7239, 4 and 6).
fn forwarded_for(element: &str) -> Option<IpAddr> {
    let value = element.split(';').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("for")
            .then_some(value.trim())
    })?;
    let value = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value);
    if let Some(bracketed) = value.strip_prefix('[') {
        let (ip, rest) = bracketed.split_once(']')?;
        if !(rest.is_empty() || rest.strip_prefix(':').is_some_and(is_port)) {
            return None;
        }
        return ip.parse::<std::net::Ipv6Addr>().ok().map(IpAddr::V6);
    }
    match value.split_once(':') {
        Some((ip, port)) if is_port(port) => ip.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4),
        Some(_) => None,
        None => value.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4),
    }
}

fn is_port(port: &str) -> bool {
    port.parse::<u16>().is_ok()
}

/// The client address of a request, as [`TrustedProxies::client_ip`] computed it once; set by
/// the outermost layer, read by the rate limiter and the access log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

impl TrustedProxies {
    /// The client address of `request`: [`ClientAddr`] when the outer layer set it, else computed
    /// from the peer (none without one, e.g. a router called in-process).
    pub fn client_of(&self, request: &Request) -> Option<IpAddr> {
        if let Some(ClientAddr(ip)) = request.extensions().get::<ClientAddr>() {
            return Some(*ip);
        }
        request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| self.client_ip(info.0.ip(), request.headers()))
    }
}

/// Limits requests per client IP address.
#[derive(Debug, Clone)]
pub struct ClientRateLimiter {
    limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    proxies: TrustedProxies,
    checks: Arc<AtomicU64>,
}

impl ClientRateLimiter {
    /// A limiter with the configured sustained rate, burst and trusted proxies. The proxies are
    /// checked at start-up by [`RateLimitSettings::validate`]; settings built in code that skip
    /// it and hold an invalid entry trust no proxy (the strict default).
    pub fn new(settings: &RateLimitSettings) -> Self {
        let per_second = NonZeroU32::new(settings.per_second).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(settings.burst).unwrap_or(per_second);
        Self {
            limiter: Arc::new(RateLimiter::keyed(
                Quota::per_second(per_second).allow_burst(burst),
            )),
            proxies: TrustedProxies::parse(TRUSTED_PROXIES_KEY, &settings.trusted_proxies)
                .inspect(TrustedProxies::log)
                .unwrap_or_default(),
            checks: Arc::default(),
        }
    }

    /// A 429 problem with `Retry-After` when the client is over its rate, else `None`.
    pub fn refusal(&self, request: &Request) -> Option<Response> {
        if let Some(ip) = self.proxies.client_of(request) {
            // Forget idle clients now and then, so the table stays small.
            if self.checks.fetch_add(1, Ordering::Relaxed) % 10_000 == 9_999 {
                self.limiter.retain_recent();
                self.limiter.shrink_to_fit();
            }
            if let Err(not_until) = self.limiter.check_key(&ip) {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                metrics::counter!("http_requests_refused_total", "reason" => "rate_limited")
                    .increment(1);
                return Some(
                    Problem::new(StatusCode::TOO_MANY_REQUESTS)
                        .with_detail("Too many requests; slow down.")
                        .with_retry_after(wait.as_secs().max(1))
                        .into_response(),
                );
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(trusted: &[&str], peer: &str, forwarded: &[&str]) -> String {
        client_with(trusted, peer, &named("x-forwarded-for", forwarded))
    }

    fn client_with(trusted: &[&str], peer: &str, lines: &[(&str, &str)]) -> String {
        let entries: Vec<String> = trusted.iter().map(|&e| e.to_owned()).collect();
        let proxies = TrustedProxies::parse("proxies", &entries).unwrap();
        let mut headers = HeaderMap::new();
        for (name, line) in lines {
            let name = axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap();
            headers.append(name, line.parse().unwrap());
        }
        proxies
            .client_ip(peer.parse().unwrap(), &headers)
            .to_string()
    }

    fn named<'a>(name: &'a str, lines: &[&'a str]) -> Vec<(&'a str, &'a str)> {
        lines.iter().map(|line| (name, *line)).collect()
    }

    fn via_forwarded(peer: &str, lines: &[&str]) -> String {
        client_with(&["10.0.0.0/8"], peer, &named("forwarded", lines))
    }

    #[test]
    fn forwarded_from_a_trusted_proxy_names_the_right_most_untrusted_hop() {
        let lb = "10.0.0.2";
        assert_eq!(via_forwarded(lb, &["for=1.2.3.4"]), "1.2.3.4");
        assert_eq!(
            via_forwarded(lb, &["for=6.6.6.6, for=1.2.3.4;proto=https;by=10.0.0.2"]),
            "1.2.3.4"
        );
        assert_eq!(
            via_forwarded(lb, &["For=\"1.2.3.4:4711\", for=10.0.0.3"]),
            "1.2.3.4"
        );
        assert_eq!(
            via_forwarded(lb, &["for=\"[2001:db8:cafe::17]:4711\""]),
            "2001:db8:cafe::17"
        );
        assert_eq!(via_forwarded(lb, &["for=\"[2001:db8::1]\""]), "2001:db8::1");
        // Lines are one list, in order.
        assert_eq!(
            via_forwarded(lb, &["for=6.6.6.6", "for=1.2.3.4"]),
            "1.2.3.4"
        );
        // `unknown`, obfuscated names, garbage and elements without `for` end the walk.
        for stop in [
            "for=unknown",
            "for=_hidden",
            "proto=https",
            "for=1.2.3.4:port",
            "for=[2001:db8::1]x",
            "for=2001:db8::1",
        ] {
            assert_eq!(
                via_forwarded(lb, &[&format!("for=6.6.6.6, {stop}")]),
                lb,
                "{stop}"
            );
        }
        // From an untrusted peer it is ignored.
        assert_eq!(via_forwarded("192.0.2.9", &["for=1.2.3.4"]), "192.0.2.9");
    }

    #[test]
    fn forwarded_wins_over_x_forwarded_for_and_the_two_are_never_mixed() {
        let both = [("x-forwarded-for", "5.5.5.5"), ("forwarded", "for=1.2.3.4")];
        assert_eq!(client_with(&["10.0.0.0/8"], "10.0.0.2", &both), "1.2.3.4");
        let proxies_only = [
            ("x-forwarded-for", "5.5.5.5"),
            ("forwarded", "for=10.0.0.3"),
        ];
        assert_eq!(
            client_with(&["10.0.0.0/8"], "10.0.0.2", &proxies_only),
            "10.0.0.3"
        );
    }

    #[test]
    fn the_peer_is_the_client_unless_it_is_a_trusted_proxy() {
        assert_eq!(client(&[], "10.0.0.2", &["1.2.3.4"]), "10.0.0.2");
        assert_eq!(
            client(&["10.0.0.0/8"], "192.0.2.9", &["1.2.3.4"]),
            "192.0.2.9"
        );
        assert_eq!(client(&["10.0.0.0/8"], "10.0.0.2", &[]), "10.0.0.2");
    }

    #[test]
    fn the_right_most_untrusted_hop_is_the_client() {
        let lb = ["10.0.0.0/8"];
        assert_eq!(client(&lb, "10.0.0.2", &["1.2.3.4"]), "1.2.3.4");
        assert_eq!(client(&lb, "10.0.0.2", &["6.6.6.6, 1.2.3.4"]), "1.2.3.4");
        // Two proxies: the inner one appended the outer one's address.
        assert_eq!(
            client(&lb, "10.0.0.2", &["6.6.6.6, 1.2.3.4, 10.0.0.3"]),
            "1.2.3.4"
        );
        // Header lines are one list, in order.
        assert_eq!(client(&lb, "10.0.0.2", &["6.6.6.6", "1.2.3.4"]), "1.2.3.4");
        // Only proxies: the left-most is as far as the chain goes.
        assert_eq!(client(&lb, "10.0.0.2", &["10.0.0.9, 10.0.0.3"]), "10.0.0.9");
        // Garbage stops the walk at the hop that wrote it.
        assert_eq!(client(&lb, "10.0.0.2", &["1.2.3.4, junk"]), "10.0.0.2");
        assert_eq!(client(&lb, "10.0.0.2", &["junk, 1.2.3.4"]), "1.2.3.4");
    }

    #[test]
    fn v6_and_v4_mapped_addresses_are_matched_as_their_v4_selves() {
        assert_eq!(
            client(&["10.0.0.0/8"], "::ffff:10.0.0.2", &["2001:db8::1"]),
            "2001:db8::1"
        );
        assert_eq!(
            client(&["fd00::/8"], "fd00::1", &["::ffff:1.2.3.4"]),
            "1.2.3.4"
        );
        assert_eq!(client(&["::1"], "::1", &[" 2001:db8::2 "]), "2001:db8::2");
    }

    #[test]
    fn entries_are_addresses_or_ranges() {
        for good in ["10.0.0.1", "10.0.0.0/8", "::1", "fd00::/8"] {
            assert!(
                TrustedProxies::parse("k", &[good.to_owned()]).is_ok(),
                "{good}"
            );
        }
        for bad in ["", "10.0.0.0/33", "example.com", "10.0.0.*"] {
            assert!(
                TrustedProxies::parse("k", &[bad.to_owned()]).is_err(),
                "{bad}"
            );
        }
    }
}
