//! Logs: `tracing` with a filter from configuration, human-readable or JSON.

use serde::Deserialize;
use tracing_subscriber::EnvFilter;

/// How a binary logs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelemetrySettings {
    /// `pretty` for a terminal, `json` for a log pipeline. Default `pretty`; env `…__TELEMETRY__FORMAT`.
    pub format: LogFormat,
    /// An `EnvFilter` directive, e.g. `info,shared=debug`. Default `info`; env `…__TELEMETRY__FILTER`.
    pub filter: String,
}

/// The log line format.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line.
    Json,
}

impl Default for TelemetrySettings {
    fn default() -> Self {
        Self {
            format: LogFormat::Pretty,
            filter: "info".to_owned(),
        }
    }
}

/// Installs the global subscriber; call once, first thing in `main`. A second call is a no-op.
pub fn init(settings: &TelemetrySettings) {
    let filter = EnvFilter::try_new(&settings.filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = match settings.format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}
