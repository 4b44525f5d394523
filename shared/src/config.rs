//! Layered configuration: built-in defaults, an optional file, then environment variables.
//!
//! Every binary of the workspace loads its settings the same way, so an SRE learns the scheme once:
//! `PREFIX__SECTION__KEY=value`, with `__` between levels (`BFF_WEB__SERVER__PORT=9090`).
//! Settings structs use `#[serde(deny_unknown_fields)]`, so a misspelt key stops start-up with
//! a message naming it instead of being silently ignored.

use std::path::Path;

use config::{Config, Environment, File, FileFormat};
use serde::de::DeserializeOwned;

pub mod masked;
pub mod sections;

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

/// For a service's configuration `$config` (which has `fn validated(self) -> Result<Self,
/// ConfigError>`, the checks serde cannot make), with the environment prefix `$prefix` and the
/// built-in `config/default.toml` text `$defaults_toml`: `Default` (the built-in defaults alone;
/// they must be valid) and `$config::load(file)` (defaults, then the file, then the environment).
#[macro_export]
macro_rules! layered_config {
    ($config:ident, $prefix:expr, $defaults_toml:expr) => {
        impl ::std::default::Default for $config {
            /// The built-in defaults of `config/default.toml`, without file or environment.
            fn default() -> Self {
                $crate::config::load_from($prefix, $defaults_toml, None, Some(Vec::new()))
                    .and_then(Self::validated)
                    .expect("the built-in defaults are valid")
            }
        }

        impl $config {
            /// Loads defaults, then `file` (if given), then the `PREFIX__*` environment
            /// variables, and validates the result.
            pub fn load(
                file: Option<&::std::path::Path>,
            ) -> Result<Self, $crate::config::ConfigError> {
                $crate::config::load($prefix, $defaults_toml, file).and_then(Self::validated)
            }
        }
    };
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

/// Checks each screen's deadline (`("screens.home", …)`): between 1 ms and 60 s, so that a zero
/// or a typo in units cannot fail or hang every request of a screen.
pub fn check_deadlines(deadlines: &[(&str, std::time::Duration)]) -> Result<(), ConfigError> {
    for &(key, deadline) in deadlines {
        if deadline.is_zero() || deadline > std::time::Duration::from_secs(60) {
            return Err(ConfigError::invalid(key, "must be between 1ms and 60s"));
        }
    }
    Ok(())
}

/// The serialized field names of a settings struct (`#[derive(Deserialize)]`), read from the
/// derive itself, so a test can check that `config/default.toml` lists every key: the
/// defaults file is the one place an SRE looks.
pub fn field_names<'de, T: serde::Deserialize<'de>>() -> &'static [&'static str] {
    let mut fields = None;
    // The probe refuses everything; the derive has told it the names by then.
    let _ = T::deserialize(FieldProbe(&mut fields));
    fields.unwrap_or_default()
}

/// A deserializer that records the field list a struct's derive asks for, then fails.
struct FieldProbe<'a>(&'a mut Option<&'static [&'static str]>);

impl<'de> serde::Deserializer<'de> for FieldProbe<'_> {
    type Error = serde::de::value::Error;

    fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(serde::de::Error::custom("not a struct"))
    }

    fn deserialize_struct<V: serde::de::Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = Some(fields);
        Err(serde::de::Error::custom("probed"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

/// The keys of `fields` that `defaults_toml` does not list under `section` (`"server"`,
/// `"upstreams.catalog.resilience.retries"`): neither as a value nor, for keys without a
/// default (an optional URL, say), as a commented-out example line `# key = …` in that section.
pub fn unlisted_keys(defaults_toml: &str, section: &str, fields: &[&str]) -> Vec<String> {
    let parsed = Config::builder()
        .add_source(File::from_str(defaults_toml, FileFormat::Toml))
        .build();
    let commented = commented_keys(defaults_toml, section);
    fields
        .iter()
        .filter(|field| {
            let path = if section.is_empty() {
                (**field).to_owned()
            } else {
                format!("{section}.{field}")
            };
            let has_value = parsed
                .as_ref()
                .is_ok_and(|config| config.get::<config::Value>(&path).is_ok());
            !has_value && !commented.iter().any(|key| key == *field)
        })
        .map(|field| format!("{section}.{field}"))
        .collect()
}

/// The keys of `# key = …` lines inside `[section]` of a TOML text.
fn commented_keys(text: &str, section: &str) -> Vec<String> {
    let mut in_section = section.is_empty();
    let mut keys = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_section = line.trim_matches(['[', ']']).trim() == section;
        } else if in_section
            && let Some((key, _)) = line.strip_prefix('#').and_then(|rest| rest.split_once('='))
        {
            let key = key.trim();
            if !key.is_empty() && !key.contains(' ') {
                keys.push(key.to_owned());
            }
        }
    }
    keys
}

/// The keys of the sections every BFF has (`server`, `server.rate_limit`, each upstream with its
/// resilience and cache, `telemetry`) that `defaults_toml` does not list. Each BFF's tests add
/// their own sections.
pub fn unlisted_common_keys(defaults_toml: &str) -> Vec<String> {
    use crate::upstream::{UpstreamSettings, UpstreamsSettings, cache, resilience};
    let mut sections: Vec<(String, &[&str])> = vec![
        (
            "server".into(),
            field_names::<crate::server::ServerSettings>(),
        ),
        (
            "server.rate_limit".into(),
            field_names::<crate::protect::RateLimitSettings>(),
        ),
        ("upstreams".into(), field_names::<UpstreamsSettings>()),
        (
            "telemetry".into(),
            field_names::<crate::telemetry::TelemetrySettings>(),
        ),
        (
            "telemetry.otlp".into(),
            field_names::<crate::telemetry::OtlpSettings>(),
        ),
        (
            "screen_cache".into(),
            field_names::<crate::screen_cache::ScreenCacheSettings>(),
        ),
    ];
    for upstream in field_names::<UpstreamsSettings>() {
        let base = format!("upstreams.{upstream}");
        sections.extend([
            (base.clone(), field_names::<UpstreamSettings>()),
            (
                format!("{base}.resilience"),
                field_names::<resilience::ResilienceSettings>(),
            ),
            (
                format!("{base}.resilience.retries"),
                field_names::<resilience::RetrySettings>(),
            ),
            (
                format!("{base}.resilience.circuit"),
                field_names::<resilience::CircuitSettings>(),
            ),
            (
                format!("{base}.cache"),
                field_names::<cache::CacheSettings>(),
            ),
        ]);
    }
    sections
        .iter()
        .flat_map(|(section, fields)| unlisted_keys(defaults_toml, section, fields))
        .collect()
}

/// A BFF's test that `defaults_toml` lists every setting: panics naming each key of the common
/// sections ([`unlisted_common_keys`]) and of the BFF's own `sections` (`("screens",
/// field_names::<ScreenDeadlines>())`, or a literal list of keys a BFF adds to a shared
/// section) that it does not list, or a section whose fields could not be read.
#[cfg(feature = "test-helpers")]
pub fn assert_every_setting_listed(defaults_toml: &str, sections: &[(&str, &[&str])]) {
    let mut unlisted = unlisted_common_keys(defaults_toml);
    for &(section, fields) in sections {
        assert!(!fields.is_empty(), "no fields read for [{section}]");
        unlisted.extend(unlisted_keys(defaults_toml, section, fields));
    }
    assert!(
        unlisted.is_empty(),
        "not in config/default.toml: {unlisted:?}"
    );
}

/// A TOML list, or a comma-separated string (how a list arrives from one environment variable).
pub fn list_or_comma_separated<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<String>, D::Error> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum ListOrString {
        List(Vec<String>),
        String(String),
    }
    Ok(
        match <ListOrString as serde::Deserialize>::deserialize(deserializer)? {
            ListOrString::List(list) => list,
            ListOrString::String(joined) => joined
                .split(',')
                .map(str::trim)
                .filter(|entry| !entry.is_empty())
                .map(str::to_owned)
                .collect(),
        },
    )
}
