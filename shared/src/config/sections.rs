//! A settings section that two crates share, split by key: a BFF's own keys next to a shared
//! struct's (`oidc` in bff-web, `auth` in bff-mobile), each part still refusing unknown keys.

/// Reads a section as a table, takes out the keys `own` (this crate's), and returns them with
/// the rest as a [`config::Value`] that still deserialises with `config`'s conversions (numbers
/// and booleans given as environment strings) and still refuses unknown keys.
pub fn split_section<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
    section: &str,
    own: &[&str],
) -> Result<(config::Map<String, config::Value>, config::Value), D::Error> {
    let mut table = <config::Value as serde::Deserialize>::deserialize(deserializer)?
        .into_table()
        .map_err(|e| <D::Error as serde::de::Error>::custom(format!("{section}: {e}")))?;
    let mut taken = config::Map::new();
    for key in own {
        if let Some(value) = table.remove(*key) {
            taken.insert((*key).to_owned(), value);
        }
    }
    Ok((taken, config::Value::from(table)))
}

/// Deserialises the key `key` taken out by [`split_section`]; a missing key is an error.
pub fn take<T: serde::de::DeserializeOwned, E: serde::de::Error>(
    own: &mut config::Map<String, config::Value>,
    section: &str,
    key: &str,
) -> Result<T, E> {
    let value = own
        .remove(key)
        .ok_or_else(|| E::custom(format!("{section}: missing field `{key}`")))?;
    T::deserialize(value).map_err(|e| E::custom(format!("{section}.{key}: {e}")))
}
