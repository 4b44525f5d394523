//! The provider's state, shared by every handler: settings, the client registry (mutable by
//! tests), keys, grants and counters.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{PoisonError, RwLock};

use shared::config::ConfigError;

use crate::config::{ClientConfig, IdpConfig};
use crate::grants::Grants;
use crate::keys::KeyRing;
use crate::users::{self, User};

/// Everything the handlers share.
pub(crate) struct AppState {
    /// The validated settings (the `clients` and `auto_login` in here are the start-up values;
    /// the live ones are in `registry`).
    pub config: IdpConfig,
    /// Clients and auto-login, which tests may change at run time.
    registry: RwLock<Registry>,
    /// Signing keys.
    pub keys: KeyRing,
    /// Codes, refresh token families, revocations.
    pub grants: Grants,
    /// `GET /jwks` requests served.
    pub jwks_requests: AtomicUsize,
    /// `POST /token` requests received.
    pub token_requests: AtomicUsize,
}

struct Registry {
    clients: HashMap<String, ClientConfig>,
    auto_login: Option<&'static User>,
}

impl AppState {
    /// Validates `config` and generates the first signing key.
    pub fn new(config: IdpConfig) -> Result<Self, ConfigError> {
        let config = config.validated()?;
        let clients = config
            .clients
            .values()
            .map(|c| (c.client_id.clone(), c.clone()))
            .collect();
        let auto_login = config.auto_login.as_deref().and_then(users::find);
        Ok(Self {
            keys: KeyRing::new(config.key_grace),
            registry: RwLock::new(Registry {
                clients,
                auto_login,
            }),
            config,
            grants: Grants::default(),
            jwks_requests: AtomicUsize::new(0),
            token_requests: AtomicUsize::new(0),
        })
    }

    /// The issuer identifier.
    pub fn issuer(&self) -> &str {
        &self.config.issuer
    }

    /// The registered client with this id.
    pub fn client(&self, client_id: &str) -> Option<ClientConfig> {
        self.registry
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clients
            .get(client_id)
            .cloned()
    }

    /// Whether `audience` is one of a registered client's audiences (the only ones a token
    /// exchange may ask for).
    pub fn is_known_audience(&self, audience: &str) -> bool {
        self.registry
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clients
            .values()
            .any(|client| client.audiences.iter().any(|a| a == audience))
    }

    /// The user signed in without a login page, if any.
    pub fn auto_login(&self) -> Option<&'static User> {
        self.registry
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .auto_login
    }

    /// Sets or clears the auto-login user.
    pub fn set_auto_login(&self, user: Option<&'static User>) {
        self.registry
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .auto_login = user;
    }

    /// Changes a registered client in place; returns false when there is no such client.
    pub fn update_client(&self, client_id: &str, change: impl FnOnce(&mut ClientConfig)) -> bool {
        let mut registry = self
            .registry
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        match registry.clients.get_mut(client_id) {
            Some(client) => {
                change(client);
                true
            }
            None => false,
        }
    }

    /// Counts a JWKS request.
    pub fn count_jwks_request(&self) {
        self.jwks_requests.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a token request.
    pub fn count_token_request(&self) {
        self.token_requests.fetch_add(1, Ordering::Relaxed);
    }
}
