//! Serializers for the settings' secrets, so that the settings can be printed
//! (`--check-config`) without them: `#[serde(serialize_with = "masked::secret")]` on a secret
//! field prints [`MASK`]; on a URL, only its password is masked, so where it points stays visible.

use secrecy::{ExposeSecret as _, SecretString};
use serde::Serializer;
use url::Url;

/// What a secret is printed as.
pub const MASK: &str = "***";

/// A secret: [`MASK`].
pub fn secret<S: Serializer>(_: &SecretString, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(MASK)
}

/// An optional secret: [`MASK`] when set, `null` when not.
pub fn optional_secret<S: Serializer>(
    value: &Option<SecretString>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(_) => serializer.serialize_str(MASK),
        None => serializer.serialize_none(),
    }
}

/// A URL that may carry a password (`redis://:password@host:6379/`): the URL with the password
/// masked; [`MASK`] whole if it does not parse.
pub fn optional_secret_url<S: Serializer>(
    value: &Option<SecretString>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(text) => match Url::parse(text.expose_secret()) {
            Ok(parsed) => serializer.serialize_str(without_password(&parsed).as_str()),
            Err(_) => serializer.serialize_str(MASK),
        },
        None => serializer.serialize_none(),
    }
}

/// A URL with its password, if any, masked.
pub fn url<S: Serializer>(value: &Url, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(without_password(value).as_str())
}

/// An optional URL with its password, if any, masked.
pub fn optional_url<S: Serializer>(value: &Option<Url>, serializer: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(url) => serializer.serialize_str(without_password(url).as_str()),
        None => serializer.serialize_none(),
    }
}

/// `url` with [`MASK`] in place of its password.
fn without_password(url: &Url) -> Url {
    let mut masked = url.clone();
    if url.password().is_some() {
        // Fails only for URLs that cannot have a password, which then have none.
        let _ = masked.set_password(Some(MASK));
    }
    masked
}

#[cfg(test)]
mod tests {
    use serde::Serialize;

    use super::*;

    #[derive(Serialize)]
    struct Example {
        #[serde(serialize_with = "secret")]
        secret: SecretString,
        #[serde(serialize_with = "optional_secret")]
        unset: Option<SecretString>,
        #[serde(serialize_with = "optional_secret_url")]
        redis: Option<SecretString>,
        #[serde(serialize_with = "optional_secret_url")]
        not_a_url: Option<SecretString>,
        #[serde(serialize_with = "url")]
        upstream: Url,
    }

    #[test]
    fn secrets_and_passwords_in_urls_are_masked_and_the_rest_is_kept() {
        let example = Example {
            secret: SecretString::from("s3cret"),
            unset: None,
            redis: Some(SecretString::from("redis://:hunter2@redis.internal:6379/0")),
            not_a_url: Some(SecretString::from("hunter2")),
            upstream: Url::parse("https://user:pw@catalog.internal/").unwrap(),
        };
        let printed = serde_json::to_string(&example).unwrap();
        assert_eq!(
            printed,
            r#"{"secret":"***","unset":null,"redis":"redis://:***@redis.internal:6379/0","not_a_url":"***","upstream":"https://user:***@catalog.internal/"}"#
        );
        for leaked in ["s3cret", "hunter2", ":pw@"] {
            assert!(!printed.contains(leaked), "{leaked} in {printed}");
        }
    }
}
