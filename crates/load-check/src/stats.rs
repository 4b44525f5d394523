//! Latency percentiles and a process's memory from `/proc`.

use std::time::Duration;

/// Latencies of one kind of request.
#[derive(Debug, Default)]
pub struct Latencies(Vec<Duration>);

impl Latencies {
    pub fn push(&mut self, latency: Duration) {
        self.0.push(latency);
    }

    pub fn extend(&mut self, other: Self) {
        self.0.extend(other.0);
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The `a` and `b` quantiles in milliseconds, for the report (`12.0 ms / 48.5 ms`).
    pub fn pair_ms(&mut self, a: f64, b: f64) -> String {
        format!("{} / {}", ms(self.quantile(a)), ms(self.quantile(b)))
    }

    /// The `q` quantile (0.0 to 1.0), nearest rank; zero when empty.
    pub fn quantile(&mut self, q: f64) -> Duration {
        if self.0.is_empty() {
            return Duration::ZERO;
        }
        self.0.sort_unstable();
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss,
            reason = "a rank within a vector's length"
        )]
        let rank = ((q * self.0.len() as f64).ceil() as usize).clamp(1, self.0.len());
        self.0[rank - 1]
    }
}

/// Milliseconds with one decimal, for the report.
pub fn ms(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

/// Resident memory of a process, from `/proc/PID/status`.
#[derive(Debug, Clone, Copy)]
pub struct Memory {
    /// `VmRSS`: resident now, in KiB.
    pub rss_kib: u64,
    /// `VmHWM`: the highest resident size so far, in KiB.
    pub peak_kib: u64,
}

/// Reads the memory of `pid`; `None` when there is no such process or no `/proc`.
pub fn memory(pid: u32) -> Option<Memory> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kib| kib.parse::<u64>().ok())
    };
    Some(Memory {
        rss_kib: field("VmRSS:")?,
        peak_kib: field("VmHWM:")?,
    })
}

/// KiB as MiB with one decimal.
pub fn mib(kib: u64) -> String {
    #[allow(clippy::cast_precision_loss, reason = "a memory size for display")]
    let mib = kib as f64 / 1024.0;
    format!("{mib:.1} MiB")
}
