//! [`AccessClaims`]: the claims of a validated access token.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::TokenError;

/// The claims of a validated access token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AccessClaims {
    /// The subject: the user (or the client, for client-credentials tokens).
    pub sub: String,
    /// The issuer (equal to the configured one).
    pub iss: String,
    /// The audiences (containing this service).
    pub aud: Vec<String>,
    /// Expiry, seconds since the epoch.
    pub exp: u64,
    /// Issue time, seconds since the epoch.
    pub iat: u64,
    /// Not-before, seconds since the epoch, if set.
    pub nbf: Option<u64>,
    /// The granted scopes (`scope`, space-separated, or a `scp` array).
    pub scope: Vec<String>,
    /// The OAuth client the token was issued to (RFC 9068 `client_id`), if set.
    pub client_id: Option<String>,
    /// The token's id, if set.
    pub jti: Option<String>,
    /// Every other claim, untouched (e.g. roles).
    pub extra: Map<String, Value>,
}

impl AccessClaims {
    /// Whether `scope` was granted.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scope.iter().any(|s| s == scope)
    }

    pub(super) fn from_claims(mut claims: Map<String, Value>) -> Result<Self, TokenError> {
        fn string(value: Option<Value>, name: &'static str) -> Result<Option<String>, TokenError> {
            match value {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s)),
                Some(_) => Err(TokenError::Malformed(name)),
            }
        }
        fn number(value: Option<Value>, name: &'static str) -> Result<Option<u64>, TokenError> {
            match value {
                None | Some(Value::Null) => Ok(None),
                Some(Value::Number(n)) => n.as_u64().map(Some).ok_or(TokenError::Malformed(name)),
                Some(_) => Err(TokenError::Malformed(name)),
            }
        }
        let required = |v: Option<String>, name: &str| {
            v.filter(|s| !s.is_empty())
                .ok_or_else(|| TokenError::MissingClaim(name.to_owned()))
        };
        let sub = required(string(claims.remove("sub"), "sub")?, "sub")?;
        let iss = required(string(claims.remove("iss"), "iss")?, "iss")?;
        let aud = audiences(claims.remove("aud"))?;
        let exp = number(claims.remove("exp"), "exp")?
            .ok_or_else(|| TokenError::MissingClaim("exp".to_owned()))?;
        let iat = number(claims.remove("iat"), "iat")?
            .ok_or_else(|| TokenError::MissingClaim("iat".to_owned()))?;
        let nbf = number(claims.remove("nbf"), "nbf")?;
        let mut scope: Vec<String> = string(claims.remove("scope"), "scope")?
            .map(|s| {
                s.split(' ')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        if scope.is_empty()
            && let Some(Value::Array(items)) = claims.remove("scp")
        {
            scope = items
                .into_iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect();
        }
        let client_id = string(claims.remove("client_id"), "client_id")?;
        let jti = string(claims.remove("jti"), "jti")?;
        Ok(Self {
            sub,
            iss,
            aud,
            exp,
            iat,
            nbf,
            scope,
            client_id,
            jti,
            extra: claims,
        })
    }
}

/// `aud` as a list: a string or an array of strings.
pub(crate) fn audiences(value: Option<Value>) -> Result<Vec<String>, TokenError> {
    match value {
        Some(Value::String(s)) => Ok(vec![s]),
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|v| match v {
                Value::String(s) => Ok(s),
                _ => Err(TokenError::Malformed("aud")),
            })
            .collect(),
        None | Some(Value::Null) => Err(TokenError::MissingClaim("aud".to_owned())),
        Some(_) => Err(TokenError::Malformed("aud")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_come_from_the_space_separated_scope_claim_or_a_scp_array() {
        let base = serde_json::json!({
            "sub": "u1", "iss": "i", "aud": "a", "exp": 2, "iat": 1, "scope": "orders:read  profile"
        });
        let claims = AccessClaims::from_claims(base.as_object().unwrap().clone()).unwrap();
        assert_eq!(claims.scope, ["orders:read", "profile"]);
        assert!(claims.has_scope("profile"));
        assert!(!claims.has_scope("orders"));
        let scp = serde_json::json!({
            "sub": "u1", "iss": "i", "aud": ["a", "b"], "exp": 2, "iat": 1, "scp": ["x"], "role": "admin"
        });
        let claims = AccessClaims::from_claims(scp.as_object().unwrap().clone()).unwrap();
        assert_eq!(claims.scope, ["x"]);
        assert_eq!(claims.aud, ["a", "b"]);
        assert_eq!(claims.extra["role"], "admin");
    }
}
