//! The per-process connection cap, and warnings that cannot flood the log.
//!
//! Every held connection costs a descriptor. Without a cap below the descriptor limit, a client
//! holding enough of them makes `accept` fail (EMFILE) for everyone else; with one, the excess is
//! accepted, answered 503 and closed at once, counted in `http_connections_refused_total`.

use std::time::{Duration, Instant};

/// Descriptors kept for everything but client connections (upstream pools, Redis, logs), as a
/// share of the limit: a quarter, at least this many.
const RESERVED_DESCRIPTORS: usize = 64;

/// The default `server.max_connections`: three quarters of the process's descriptor limit
/// (`RLIMIT_NOFILE`, read from `/proc/self/limits`), keeping at least 64 for everything else;
/// `768` (as for a limit of 1024) where the limit cannot be read.
pub fn default_max_connections() -> usize {
    descriptor_limit().map_or(768, max_connections_for)
}

/// The cap for a descriptor limit of `limit`.
pub fn max_connections_for(limit: usize) -> usize {
    let reserved = (limit / 4).max(RESERVED_DESCRIPTORS);
    limit.saturating_sub(reserved).max(1)
}

/// The soft `RLIMIT_NOFILE` of this process, when the system says it (Linux).
pub fn descriptor_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))?;
    let soft = line["Max open files".len()..].split_whitespace().next()?;
    match soft {
        "unlimited" => Some(usize::MAX),
        number => number.parse().ok(),
    }
}

/// A WARN that is logged at most once a second, with how many times it happened meanwhile.
#[derive(Debug, Default)]
pub(super) struct ThrottledWarning {
    unlogged: u64,
    last_logged: Option<Instant>,
}

impl ThrottledWarning {
    /// Counts one occurrence; calls `log` with the count since the last log line when a second
    /// has passed since it.
    pub(super) fn note(&mut self, log: impl FnOnce(u64)) {
        self.unlogged += 1;
        let due = self
            .last_logged
            .is_none_or(|at| at.elapsed() >= Duration::from_secs(1));
        if due {
            log(self.unlogged);
            self.unlogged = 0;
            self.last_logged = Some(Instant::now());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_cap_stays_below_the_descriptor_limit() {
        assert_eq!(max_connections_for(200), 136);
        assert_eq!(max_connections_for(1024), 768);
        assert_eq!(max_connections_for(20), 1);
        assert!(descriptor_limit().is_some_and(|limit| limit > 0));
    }

    #[test]
    fn a_throttled_warning_logs_once_a_second_with_the_count() {
        let mut warning = ThrottledWarning::default();
        let mut logged = Vec::new();
        for _ in 0..5 {
            warning.note(|count| logged.push(count));
        }
        assert_eq!(logged, [1]);
        warning.last_logged = Some(Instant::now() - Duration::from_secs(2));
        warning.note(|count| logged.push(count));
        assert_eq!(logged, [1, 5]);
    }
}
