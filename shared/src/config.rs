//! Layered configuration: built-in defaults, an optional file, then environment variables.
//!
//! Every binary of the workspace loads its settings the same way, so an SRE learns the scheme once:
//! `PREFIX__SECTION__KEY=value`, with `__` between levels (`BFF_WEB__SERVER__PORT=9090`).
//! Settings structs use `#[serde(deny_unknown_fields)]`, so a misspelt key stops start-up with
//! a message naming it instead of being silently ignored.

use std::path::Path;

use config::{Config, Environment, File, FileFormat};
use serde::de::DeserializeOwned;

/// Why settings could not be loaded; the message names the offending key or file.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(String);

impl ConfigError {
    /// A validation failure found after deserialising, naming the key.
    pub fn invalid(key: &str, why: impl std::fmt::Display) -> Self {
        Self(format!("{key}: {why}"))
    }
}

/// Loads `T` from `defaults_toml`, then `file` (if given, it must exist), then environment
/// variables starting with `{env_prefix}__`.
pub fn load<T: DeserializeOwned>(
    env_prefix: &str,
    defaults_toml: &str,
    file: Option<&Path>,
) -> Result<T, ConfigError> {
    load_from(env_prefix, defaults_toml, file, None)
}

/// Like [`load`], but with the environment given as pairs instead of read from the process
/// (tests use this to avoid racing on the process environment).
pub fn load_from<T: DeserializeOwned>(
    env_prefix: &str,
    defaults_toml: &str,
    file: Option<&Path>,
    env: Option<Vec<(String, String)>>,
) -> Result<T, ConfigError> {
    let mut builder = Config::builder().add_source(File::from_str(defaults_toml, FileFormat::Toml));
    if let Some(path) = file {
        builder = builder.add_source(File::from(path).required(true));
    }
    let mut environment = Environment::with_prefix(env_prefix)
        .prefix_separator("__")
        .separator("__")
        .try_parsing(true);
    if let Some(vars) = env {
        environment = environment.source(Some(vars.into_iter().collect()));
    }
    builder
        .add_source(environment)
        .build()
        .and_then(Config::try_deserialize)
        .map_err(|e| ConfigError(e.to_string()))
}
