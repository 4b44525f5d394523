//! `config/default.toml` is the one place that lists every setting: a field added to any
//! settings struct without its default (or, for one without a default, a commented example)
//! fails here.

use bff_web::settings::{CookieSettings, ScreenDeadlines, Settings};
use bff_web::storefront::StorefrontSettings;
use shared::auth::jwks::JwksSettings;
use shared::auth::oidc::OidcSettings;
use shared::auth::session::SessionSettings;
use shared::config::{assert_every_setting_listed, field_names};

const DEFAULTS: &str = include_str!("../../config/default.toml");

#[test]
fn default_toml_lists_every_setting() {
    assert_every_setting_listed(
        DEFAULTS,
        &[
            // The web BFF's own keys beside shared's, in the sections it extends.
            ("server", &["public_origin"]),
            ("", field_names::<Settings>()),
            ("screens", field_names::<ScreenDeadlines>()),
            ("oidc", field_names::<OidcSettings>()),
            ("oidc", &["post_logout_redirect_uri"]),
            ("oidc.jwks", field_names::<JwksSettings>()),
            ("session", field_names::<SessionSettings>()),
            ("cookies", field_names::<CookieSettings>()),
            ("storefront", field_names::<StorefrontSettings>()),
            #[cfg(feature = "graphql")]
            (
                "graphql",
                field_names::<bff_web::graphql::GraphqlSettings>(),
            ),
            #[cfg(feature = "graphql")]
            (
                "graphql.persisted",
                field_names::<bff_web::graphql::PersistedSettings>(),
            ),
        ],
    );
}
