//! `config/default.toml` is the one place that lists every setting: a field added to any
//! settings struct without its default (or, for one without a default, a commented example)
//! fails here.

use bff_web::settings::{CookieSettings, ScreenDeadlines, Settings};
use bff_web::storefront::StorefrontSettings;
use shared::auth::jwks::JwksSettings;
use shared::auth::oidc::OidcSettings;
use shared::auth::session::SessionSettings;
use shared::config::{field_names, unlisted_common_keys, unlisted_keys};

const DEFAULTS: &str = include_str!("../../config/default.toml");

#[test]
fn default_toml_lists_every_setting() {
    let mut unlisted = unlisted_common_keys(DEFAULTS);
    // The web BFF's own keys beside shared's, in the sections it extends.
    unlisted.extend(unlisted_keys(DEFAULTS, "server", &["public_origin"]));
    unlisted.extend(unlisted_keys(
        DEFAULTS,
        "oidc",
        &["post_logout_redirect_uri"],
    ));
    for (section, fields) in [
        ("", field_names::<Settings>()),
        ("screens", field_names::<ScreenDeadlines>()),
        ("oidc", field_names::<OidcSettings>()),
        ("oidc.jwks", field_names::<JwksSettings>()),
        ("session", field_names::<SessionSettings>()),
        ("cookies", field_names::<CookieSettings>()),
        ("storefront", field_names::<StorefrontSettings>()),
    ] {
        assert!(!fields.is_empty(), "no fields read for [{section}]");
        unlisted.extend(unlisted_keys(DEFAULTS, section, fields));
    }
    assert!(
        unlisted.is_empty(),
        "not in config/default.toml: {unlisted:?}"
    );
}
