//! Aggregation: a screen's upstream calls under one deadline, with partial failure.
//!
//! A handler starts a [`Screen`] with its deadline, then runs its upstream calls concurrently,
//! each wrapped as `critical` (the screen cannot be shown without it: failure is a 502/504
//! problem) or `optional` (failure or lateness leaves the section out and names it in the
//! response's `degraded` list). No call outlives the deadline, so a screen never hangs.

use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use axum::http::{HeaderValue, header};
use axum::response::Response;
use futures::FutureExt as _;
use serde::Serialize;
use tokio::time::Instant;
use utoipa::ToSchema;

use crate::problem::Problem;
use crate::request_id;
use crate::trace_context::TraceContext;
use crate::upstream::{CallContext, ErrorKind, UpstreamError};

/// A section a screen can do without, as named in a response's `degraded` list (and in the
/// `screen_sections_degraded_total` metric). Declared in alphabetical order: the list is sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    /// Product names and images of a cart's lines.
    Catalog,
    /// The category list (home links, breadcrumbs).
    Categories,
    /// Prices and stock.
    Offers,
    /// Related, popular or personalised products.
    Recommendations,
    /// Ratings and reviews.
    Reviews,
}

impl Section {
    /// The name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Catalog => "catalog",
            Self::Categories => "categories",
            Self::Offers => "offers",
            Self::Recommendations => "recommendations",
            Self::Reviews => "reviews",
        }
    }
}

/// How long a screen's answer may be kept: `complete` when every section is in and nothing was
/// served stale, `incomplete` otherwise, so that clients revalidate (cheaply, by `ETag`) and get
/// the full screen as soon as the upstream is back instead of keeping the partial one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CachePolicy {
    /// `Cache-Control` of a complete screen.
    pub complete: &'static str,
    /// `Cache-Control` of a degraded screen, or one with a stale source.
    pub incomplete: &'static str,
}

impl CachePolicy {
    /// A public screen: shared caches may keep it for 30 seconds.
    pub const PUBLIC: Self = Self {
        complete: "public, max-age=30",
        incomplete: "no-cache",
    };
    /// A screen chosen for the request's user: for the user's own cache only.
    pub const PRIVATE: Self = Self {
        complete: "private, max-age=30",
        incomplete: "private, no-cache",
    };
}

/// Names the upstreams whose answers were served stale from the cache because they failed.
pub static STALE_HEADER: http::HeaderName = http::HeaderName::from_static("x-stale-sources");

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// One screen request in flight: its deadline, its request id, and the sections it had to drop.
#[derive(Debug)]
pub struct Screen {
    deadline: Instant,
    /// The request id as the header forwarded on every call (a plain id: always a valid value).
    request_id_header: Option<HeaderValue>,
    trace: Option<TraceContext>,
    degraded: Mutex<Vec<Section>>,
    stale: Mutex<Vec<&'static str>>,
    sources: Mutex<Sources>,
}

/// How long the upstream answers a screen was built from stay true for every user.
#[derive(Debug, Clone, Copy)]
enum Sources {
    /// No upstream answer yet.
    None,
    /// All shared and fresh until the earliest of them expires.
    FreshUntil(std::time::Instant),
    /// At least one was personal, not stored, or not cached at all.
    Unshared,
}

impl Screen {
    /// Starts the clock: every upstream call of this screen must finish within `budget`.
    pub fn start(budget: Duration) -> Self {
        Self {
            deadline: Instant::now() + budget,
            request_id_header: request_id::current().and_then(|id| HeaderValue::try_from(id).ok()),
            trace: request_id::current_trace(),
            degraded: Mutex::new(Vec::new()),
            stale: Mutex::new(Vec::new()),
            sources: Mutex::new(Sources::None),
        }
    }

    /// Notes an upstream answer the screen uses: `Some(until)` when it is fresh for every user
    /// until then (a shared cache entry), `None` when it is not (personal, uncacheable, or not
    /// from the cache). See [`Self::shared_until`].
    pub fn note_source(&self, shared_until: Option<std::time::Instant>) {
        let mut sources = lock(&self.sources);
        *sources = match (*sources, shared_until) {
            (Sources::Unshared, _) | (_, None) => Sources::Unshared,
            (Sources::None, Some(until)) => Sources::FreshUntil(until),
            (Sources::FreshUntil(earlier), Some(until)) => Sources::FreshUntil(earlier.min(until)),
        };
    }

    /// Until when this screen's answer is the same for everyone who asks: while every upstream
    /// answer it was built from is fresh in the shared cache, and only when it is complete and
    /// nothing was served stale. `None` when it may not be kept (see [`crate::screen_cache`]).
    pub fn shared_until(&self) -> Option<std::time::Instant> {
        let Sources::FreshUntil(until) = *lock(&self.sources) else {
            return None;
        };
        let complete = !self.is_degraded() && lock(&self.stale).is_empty();
        (complete && std::time::Instant::now() < until).then_some(until)
    }

    /// Time left before the deadline (zero once past it).
    pub fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    /// The id of the request this screen serves, forwarded to upstreams.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id_header
            .as_ref()
            .and_then(|value| value.to_str().ok())
    }

    /// What an upstream call needs to know of this screen.
    pub fn call_context(&self) -> CallContext {
        CallContext {
            deadline: self.deadline,
            request_id_header: self.request_id_header.clone(),
            trace: self.trace.clone(),
        }
    }

    /// Notes that an upstream's answer came from the cache past its freshness, because the
    /// upstream failed (`stale-if-error`); the response says so in `X-Stale-Sources`.
    pub fn mark_stale(&self, upstream: &'static str) {
        let mut stale = lock(&self.stale);
        if !stale.contains(&upstream) {
            stale.push(upstream);
        }
    }

    /// Runs a call the screen cannot do without; its failure becomes the response's problem
    /// (404 for a missing resource, 504 for lateness, 502 otherwise).
    ///
    /// This and [`Screen::optional`] and [`always`] are combinators, not `async fn`s: an
    /// `async fn` keeps the future it is given and, beside it, the future it awaits, so each
    /// wrapper doubled the call inside a screen's join (a web product page was 26 KB, most of
    /// it such copies, and every move of it a `memcpy`).
    pub fn critical<T>(
        &self,
        call: impl Future<Output = Result<T, UpstreamError>>,
    ) -> impl Future<Output = Result<T, Problem>> {
        tokio::time::timeout_at(self.deadline, call).map(|answer| match answer {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => {
                if error.kind != ErrorKind::NotFound {
                    tracing::warn!(%error, "critical upstream call failed");
                }
                Err(error.to_problem())
            }
            Err(_) => {
                tracing::warn!("critical upstream call missed the screen deadline");
                Err(Problem::gateway_timeout(
                    "A service this request needs did not answer in time.",
                ))
            }
        })
    }

    /// Runs a call the screen can do without: on failure or lateness the section is marked
    /// degraded and `None` is returned.
    pub fn optional<T>(
        &self,
        section: Section,
        call: impl Future<Output = Result<T, UpstreamError>>,
    ) -> impl Future<Output = Option<T>> {
        tokio::time::timeout_at(self.deadline, call).map(move |answer| match answer {
            Ok(Ok(value)) => Some(value),
            Ok(Err(error)) => {
                tracing::warn!(section = section.as_str(), %error, "optional section left out");
                self.degrade(section);
                None
            }
            Err(_) => {
                tracing::warn!(
                    section = section.as_str(),
                    "optional section missed the screen deadline"
                );
                self.degrade(section);
                None
            }
        })
    }

    /// The upstreams whose answers were served stale.
    pub fn stale(&self) -> Vec<&'static str> {
        lock(&self.stale).clone()
    }

    /// Marks a section as left out.
    pub fn degrade(&self, section: Section) {
        let mut degraded = lock(&self.degraded);
        if !degraded.contains(&section) {
            crate::metrics::record_degraded(section.as_str());
            degraded.push(section);
        }
    }

    /// The sections left out, sorted, or `None` when the screen is complete (so the field can be
    /// skipped in the response).
    pub fn degraded(&self) -> Option<Vec<Section>> {
        let mut degraded = lock(&self.degraded).clone();
        if degraded.is_empty() {
            None
        } else {
            degraded.sort_unstable();
            Some(degraded)
        }
    }

    /// Renders the screen's view as JSON with the `Cache-Control` of `cache` (its `incomplete`
    /// one when a section was left out or a source served stale) and `X-Stale-Sources`.
    pub fn respond<T: Serialize>(&self, view: &T, cache: CachePolicy) -> Response {
        let stale = lock(&self.stale).join(", ");
        let cache_control = if self.is_degraded() || !stale.is_empty() {
            cache.incomplete
        } else {
            cache.complete
        };
        let mut response = crate::json::response(view);
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(cache_control),
        );
        if let Some(value) = Some(&stale)
            .filter(|s| !s.is_empty())
            .and_then(|s| HeaderValue::from_str(s).ok())
        {
            response.headers_mut().insert(STALE_HEADER.clone(), value);
        }
        response
    }

    /// Whether any section was left out.
    pub fn is_degraded(&self) -> bool {
        !lock(&self.degraded).is_empty()
    }
}

/// Lifts an optional section (which cannot fail: it yields `None` and marks itself degraded)
/// into the `Result` that `tokio::try_join!` expects, so a failed critical call answers at once.
pub fn always<T>(section: impl Future<Output = T>) -> impl Future<Output = Result<T, Problem>> {
    section.map(Ok)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    #[tokio::test]
    async fn a_screen_is_shared_until_its_first_source_expires_and_only_when_complete() {
        let now = Instant::now();
        let (soon, later) = (now + Duration::from_secs(5), now + Duration::from_secs(60));
        let screen = Screen::start(Duration::from_secs(1));
        assert_eq!(
            screen.shared_until(),
            None,
            "no source: nothing to vouch for it"
        );
        screen.note_source(Some(later));
        screen.note_source(Some(soon));
        assert_eq!(screen.shared_until(), Some(soon));

        let personal = Screen::start(Duration::from_secs(1));
        personal.note_source(Some(later));
        personal.note_source(None);
        personal.note_source(Some(later));
        assert_eq!(
            personal.shared_until(),
            None,
            "one unshared source is enough"
        );

        let degraded = Screen::start(Duration::from_secs(1));
        degraded.note_source(Some(later));
        degraded.degrade(Section::Offers);
        assert_eq!(degraded.shared_until(), None);

        let stale = Screen::start(Duration::from_secs(1));
        stale.note_source(Some(later));
        stale.mark_stale("offers");
        assert_eq!(stale.shared_until(), None);

        let expired = Screen::start(Duration::from_secs(1));
        expired.note_source(Some(now));
        assert_eq!(expired.shared_until(), None);
    }
}
