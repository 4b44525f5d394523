//! Layered configuration: defaults, then environment, with errors that name the key.

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    server: Server,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Server {
    port: u16,
    #[serde(with = "humantime_serde")]
    request_timeout: std::time::Duration,
}

const DEFAULTS: &str = "[server]\nport = 8080\nrequest_timeout = \"10s\"\n";

fn load(env: &[(&str, &str)]) -> Result<Settings, shared::config::ConfigError> {
    let env = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    shared::config::load_from("APP", DEFAULTS, None, Some(env))
}

#[test]
fn defaults_apply_when_nothing_overrides_them() {
    let settings = load(&[]).unwrap();
    assert_eq!(settings.server.port, 8080);
    assert_eq!(settings.server.request_timeout.as_secs(), 10);
}

#[test]
fn environment_variables_override_with_double_underscores_between_levels() {
    let settings = load(&[
        ("APP__SERVER__PORT", "9090"),
        ("APP__SERVER__REQUEST_TIMEOUT", "250ms"),
    ])
    .unwrap();
    assert_eq!(settings.server.port, 9090);
    assert_eq!(settings.server.request_timeout.as_millis(), 250);
}

#[test]
fn an_invalid_value_names_its_key() {
    let error = load(&[("APP__SERVER__PORT", "eighty")])
        .unwrap_err()
        .to_string();
    assert!(error.contains("port"), "{error}");
}

#[test]
fn a_misspelt_key_stops_loading_and_is_named() {
    let error = load(&[("APP__SERVER__PROT", "1")]).unwrap_err().to_string();
    assert!(error.contains("prot"), "{error}");
}
