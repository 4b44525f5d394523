//! [`SessionId`]: the opaque, random id a session cookie carries.

use std::fmt;

use crate::auth::secret::random_urlsafe;

/// A session's id: what the cookie carries. `Debug` is redacted (it is a credential).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SessionId(String);

impl SessionId {
    /// A new random id (32 bytes, base64url).
    pub fn generate() -> Self {
        Self(random_urlsafe(32))
    }

    /// An id from a cookie value; `None` unless it has the shape of a generated id, so garbage
    /// never reaches the store.
    pub fn parse(value: &str) -> Option<Self> {
        (value.len() == 43
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        .then(|| Self(value.to_owned()))
    }

    /// The value to put in the cookie.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionId([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_are_random_43_characters_and_garbage_is_not_an_id() {
        let id = SessionId::generate();
        assert_eq!(id.as_str().len(), 43);
        assert_ne!(id, SessionId::generate());
        assert_eq!(SessionId::parse(id.as_str()), Some(id.clone()));
        assert!(!format!("{id:?}").contains(id.as_str()));
        for garbage in [
            "",
            "abc",
            &"a".repeat(44),
            &format!("{}=", &id.as_str()[..42]),
        ] {
            assert_eq!(SessionId::parse(garbage), None, "{garbage}");
        }
    }
}
