//! Resilience of upstream calls: retries under a budget, a circuit breaker and a concurrency cap
//! per upstream.
//!
//! - **Retries** only for idempotent methods and transient failures (unreachable, reset, 502/503,
//!   timeouts while the screen still has time), with full-jitter exponential backoff, and under a
//!   **retry budget**: each call deposits `budget_ratio` tokens, each retry spends one, plus a small
//!   floor per second. When an upstream is 100% down, attempts per call stay near
//!   `1 + budget_ratio` instead of multiplying the load by `max_attempts`.
//! - **Circuit breaker per route class**: each typed client method names its route class
//!   (`catalog.search` apart from `catalog.products`), and each class has its own circuit, so one
//!   slow or broken route cannot fail every screen that uses the upstream. `failure_threshold`
//!   consecutive failures open it; while open, calls fail at once without touching the upstream;
//!   after `open_for` one probe call is let through (half-open) and its success closes the
//!   circuit. Settings are shared by the upstream's classes, with per-class overrides
//!   (`route_circuits`).
//! - **What is a failure**: an upstream fault (unreachable, reset, 5xx, its own 504, garbage) or
//!   a timeout of the upstream's own `timeout`. A call cut short by the BFF's screen deadline, or
//!   abandoned because the client went away (its future dropped), says nothing about the upstream
//!   and is not counted: otherwise anyone could open a circuit by asking for slow screens.
//! - **Bulkhead**: at most `max_concurrency` calls in flight per upstream; excess fails fast, so one
//!   slow upstream cannot hold every task and connection of the BFF.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use rand::Rng;
use serde::{Deserialize, Serialize};
use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::Instant;

use super::ErrorKind;
use crate::config::ConfigError;

/// How one upstream's calls are protected.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ResilienceSettings {
    /// Retries of idempotent calls.
    pub retries: RetrySettings,
    /// The circuit breaker of every route class of this upstream.
    pub circuit: CircuitSettings,
    /// Per route class (`search`, `products`, ...: the names the typed client gives its calls),
    /// the circuit settings that differ from `circuit`. Env
    /// `…__UPSTREAMS__<NAME>__RESILIENCE__ROUTE_CIRCUITS__<CLASS>__<KEY>`. Default none.
    pub route_circuits: BTreeMap<String, CircuitOverride>,
    /// Most calls in flight to this upstream; more fail fast. Default `256`.
    pub max_concurrency: usize,
}

/// Retry policy. Env `…__UPSTREAMS__<NAME>__RESILIENCE__RETRIES__<KEY>`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetrySettings {
    /// Attempts per call, the first included; 1 disables retries. Default `3`.
    pub max_attempts: u32,
    /// Backoff before the first retry (doubled each time, fully jittered). Default `10ms`.
    #[serde(with = "humantime_serde")]
    pub backoff_base: Duration,
    /// Longest backoff. Default `200ms`.
    #[serde(with = "humantime_serde")]
    pub backoff_max: Duration,
    /// Retries allowed per call, on average. Default `0.2` (20% extra load at most).
    pub budget_ratio: f64,
    /// Retries allowed per second regardless of traffic, so a quiet BFF can still retry.
    /// Default `5`.
    pub budget_min_per_second: f64,
}

/// Circuit breaker policy. Env `…__UPSTREAMS__<NAME>__RESILIENCE__CIRCUIT__<KEY>`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct CircuitSettings {
    /// Consecutive failures that open the circuit. Default `5`.
    pub failure_threshold: u32,
    /// How long it stays open before a probe is let through. Default `5s`.
    #[serde(with = "humantime_serde")]
    pub open_for: Duration,
}

/// The circuit settings of one route class that differ from the upstream's `circuit`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct CircuitOverride {
    /// Consecutive failures that open this class's circuit. Default: the upstream's.
    pub failure_threshold: Option<u32>,
    /// How long this class's circuit stays open. Default: the upstream's.
    #[serde(with = "humantime_serde")]
    pub open_for: Option<Duration>,
}

impl ResilienceSettings {
    /// Refuses an override of a route class the upstream's client does not have (`classes`);
    /// `prefix` is the settings key of this upstream's `resilience`.
    pub fn validate(&self, prefix: &str, classes: &[&str]) -> Result<(), ConfigError> {
        match self
            .route_circuits
            .keys()
            .find(|class| !classes.contains(&class.as_str()))
        {
            Some(class) => Err(ConfigError::invalid(
                &format!("{prefix}.route_circuits.{class}"),
                format!("not a route class of this upstream (one of {classes:?})"),
            )),
            None => Ok(()),
        }
    }

    /// The circuit settings of `class`: the upstream's, with the class's overrides.
    fn circuit_of(&self, class: &str) -> CircuitSettings {
        let mut circuit = self.circuit.clone();
        if let Some(over) = self.route_circuits.get(class) {
            circuit.failure_threshold = over.failure_threshold.unwrap_or(circuit.failure_threshold);
            circuit.open_for = over.open_for.unwrap_or(circuit.open_for);
        }
        circuit
    }
}

impl Default for ResilienceSettings {
    fn default() -> Self {
        Self {
            retries: RetrySettings::default(),
            circuit: CircuitSettings::default(),
            route_circuits: BTreeMap::new(),
            max_concurrency: 256,
        }
    }
}

impl Default for RetrySettings {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            backoff_base: Duration::from_millis(10),
            backoff_max: Duration::from_millis(200),
            budget_ratio: 0.2,
            budget_min_per_second: 5.0,
        }
    }
}

impl Default for CircuitSettings {
    fn default() -> Self {
        Self {
            failure_threshold: 5,
            open_for: Duration::from_secs(5),
        }
    }
}

impl ErrorKind {
    /// Whether another attempt may succeed: the failure was in transport or a transient status.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Unreachable | Self::Interrupted | Self::Timeout | Self::Failed(502 | 503)
        )
    }
}

/// The per-upstream guard: budget and bulkhead, and a breaker per route class.
#[derive(Debug)]
pub(crate) struct Guard {
    name: &'static str,
    settings: ResilienceSettings,
    budget: Mutex<Budget>,
    /// The circuit of each route class called so far (absent: closed, no failures).
    circuits: Mutex<HashMap<&'static str, Circuit>>,
    in_flight: Semaphore,
}

#[derive(Debug)]
struct Budget {
    tokens: f64,
    refilled_at: Instant,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Circuit {
    Closed { failures: u32 },
    Open { until: Instant },
    HalfOpen { probe_started: Instant },
}

/// What the breaker decided for one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admission {
    /// A normal attempt.
    Normal,
    /// The one probe of a half-open circuit.
    Probe,
}

/// What one finished attempt says about the upstream's route class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// It answered (possibly "not found" or "refused": the request's fault, not its own).
    Healthy,
    /// It failed or exceeded its own `timeout`.
    Faulty,
    /// The screen's deadline cut the attempt short: no verdict on the upstream.
    Cancelled,
}

impl Verdict {
    /// The verdict on an attempt that ended with `outcome` (not cut by the screen's deadline).
    pub(crate) fn of(outcome: Result<(), &ErrorKind>) -> Self {
        match outcome {
            Err(kind) if kind.is_upstream_fault() => Self::Faulty,
            _ => Self::Healthy,
        }
    }
}

impl Guard {
    pub(crate) fn new(name: &'static str, settings: &ResilienceSettings) -> Self {
        Self {
            name,
            settings: settings.clone(),
            budget: Mutex::new(Budget {
                tokens: settings.retries.budget_min_per_second,
                refilled_at: Instant::now(),
            }),
            circuits: Mutex::new(HashMap::new()),
            in_flight: Semaphore::new(settings.max_concurrency.max(1)),
        }
    }

    /// Takes a bulkhead slot, or fails fast when the upstream already has too many calls.
    pub(crate) fn enter(&self) -> Result<SemaphorePermit<'_>, ErrorKind> {
        self.in_flight.try_acquire().map_err(|_| {
            metrics::counter!("upstream_rejected_total", "upstream" => self.name, "reason" => "bulkhead")
                .increment(1);
            ErrorKind::Overloaded
        })
    }

    /// Asks the breaker of `route` whether an attempt may go out.
    pub(crate) fn admit(&self, route: &'static str) -> Result<Admission, ErrorKind> {
        let open_for = self.settings.circuit_of(route).open_for;
        let mut circuits = lock(&self.circuits);
        let circuit = circuits
            .entry(route)
            .or_insert(Circuit::Closed { failures: 0 });
        match *circuit {
            Circuit::Closed { .. } => Ok(Admission::Normal),
            Circuit::Open { until } if Instant::now() >= until => {
                *circuit = Circuit::HalfOpen {
                    probe_started: Instant::now(),
                };
                self.publish(route, *circuit);
                Ok(Admission::Probe)
            }
            // A probe whose caller gave up (its future was dropped) never reports back; after
            // `open_for` another probe may go.
            Circuit::HalfOpen { probe_started } if probe_started.elapsed() >= open_for => {
                *circuit = Circuit::HalfOpen {
                    probe_started: Instant::now(),
                };
                Ok(Admission::Probe)
            }
            Circuit::Open { .. } | Circuit::HalfOpen { .. } => {
                metrics::counter!(
                    "upstream_rejected_total",
                    "upstream" => self.name,
                    "route" => route,
                    "reason" => "circuit_open"
                )
                .increment(1);
                Err(ErrorKind::CircuitOpen)
            }
        }
    }

    /// Tells the breaker of `route` how an attempt went.
    pub(crate) fn record(&self, route: &'static str, admission: Admission, verdict: Verdict) {
        let settings = self.settings.circuit_of(route);
        let mut circuits = lock(&self.circuits);
        let circuit = circuits
            .entry(route)
            .or_insert(Circuit::Closed { failures: 0 });
        let next = match (*circuit, verdict) {
            // A cancelled probe leaves the circuit half-open; the next call may probe at once.
            (Circuit::HalfOpen { .. }, Verdict::Cancelled) if admission == Admission::Probe => {
                Circuit::Open {
                    until: Instant::now(),
                }
            }
            (current, Verdict::Cancelled) => current,
            (_, Verdict::Healthy) => Circuit::Closed { failures: 0 },
            (Circuit::Closed { failures }, Verdict::Faulty)
                if failures + 1 < settings.failure_threshold =>
            {
                Circuit::Closed {
                    failures: failures + 1,
                }
            }
            (Circuit::HalfOpen { .. }, Verdict::Faulty) if admission != Admission::Probe => {
                *circuit
            }
            (_, Verdict::Faulty) => Circuit::Open {
                until: Instant::now() + settings.open_for,
            },
        };
        if std::mem::discriminant(&next) != std::mem::discriminant(&*circuit) {
            if matches!(next, Circuit::Open { .. }) && verdict == Verdict::Faulty {
                tracing::warn!(upstream = self.name, route, "circuit opened");
            } else if matches!(next, Circuit::Closed { .. }) {
                tracing::info!(upstream = self.name, route, "circuit closed");
            }
            self.publish(route, next);
        }
        *circuit = next;
    }

    fn publish(&self, route: &'static str, circuit: Circuit) {
        let state = match circuit {
            Circuit::Closed { .. } => 0.0,
            Circuit::Open { .. } => 1.0,
            Circuit::HalfOpen { .. } => 2.0,
        };
        metrics::gauge!("upstream_circuit_state", "upstream" => self.name, "route" => route)
            .set(state);
    }

    /// Credits the retry budget for one new call.
    pub(crate) fn deposit(&self) {
        let mut budget = lock(&self.budget);
        budget.tokens = (budget.tokens + self.settings.retries.budget_ratio).min(self.cap());
    }

    /// Whether another attempt is allowed for a call that failed with `kind` after `attempts`
    /// attempts; spends a budget token if so.
    pub(crate) fn may_retry(&self, kind: &ErrorKind, idempotent: bool, attempts: u32) -> bool {
        if !idempotent || !kind.is_transient() || attempts >= self.settings.retries.max_attempts {
            return false;
        }
        let retries = &self.settings.retries;
        let mut budget = lock(&self.budget);
        let now = Instant::now();
        let elapsed = now.duration_since(budget.refilled_at).as_secs_f64();
        budget.refilled_at = now;
        budget.tokens = (budget.tokens + elapsed * retries.budget_min_per_second).min(self.cap());
        if budget.tokens >= 1.0 {
            budget.tokens -= 1.0;
            metrics::counter!("upstream_retries_total", "upstream" => self.name).increment(1);
            true
        } else {
            metrics::counter!("upstream_retries_denied_total", "upstream" => self.name)
                .increment(1);
            false
        }
    }

    /// The full-jitter backoff before retry number `retry` (1-based).
    pub(crate) fn backoff(&self, retry: u32) -> Duration {
        let retries = &self.settings.retries;
        let ceiling = retries
            .backoff_base
            .saturating_mul(1 << retry.saturating_sub(1).min(16))
            .min(retries.backoff_max);
        ceiling.mul_f64(rand::rng().random::<f64>())
    }

    /// The most tokens the budget holds, so a long quiet spell cannot bank a retry storm.
    fn cap(&self) -> f64 {
        let retries = &self.settings.retries;
        (retries.budget_min_per_second + 100.0 * retries.budget_ratio).max(1.0)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
