//! [`TokenRefresher`]: what renews a session's tokens.

use futures::future::BoxFuture;

use crate::auth::oidc::{OidcClient, RefreshError, TokenSet};

/// What refreshes a session's tokens: the [`OidcClient`], or a test double.
pub trait TokenRefresher: Send + Sync {
    /// New tokens for `tokens`, or why not.
    fn refresh<'a>(&'a self, tokens: &'a TokenSet)
    -> BoxFuture<'a, Result<TokenSet, RefreshError>>;
}

impl TokenRefresher for OidcClient {
    fn refresh<'a>(
        &'a self,
        tokens: &'a TokenSet,
    ) -> BoxFuture<'a, Result<TokenSet, RefreshError>> {
        Box::pin(OidcClient::refresh(self, tokens))
    }
}
