//! `config/default.toml` is the one place that lists every setting: a field added to any
//! settings struct without its default (or, for one without a default, a commented example)
//! fails here.

use bff_mobile::settings::{
    AppSettings, ImageSettings, ScreenDeadlines, Settings, TokenExchangeClient,
};
use shared::auth::jwks::JwksSettings;
use shared::auth::validator::JwtSettings;
use shared::config::{assert_every_setting_listed, field_names};

const DEFAULTS: &str = include_str!("../../config/default.toml");

#[test]
fn default_toml_lists_every_setting() {
    assert_every_setting_listed(
        DEFAULTS,
        &[
            ("", field_names::<Settings>()),
            ("screens", field_names::<ScreenDeadlines>()),
            ("app", field_names::<AppSettings>()),
            ("images", field_names::<ImageSettings>()),
            ("auth", field_names::<JwtSettings>()),
            ("auth.jwks", field_names::<JwksSettings>()),
            ("auth.token_exchange", field_names::<TokenExchangeClient>()),
        ],
    );
}
