//! [`MemoryStore`]: sessions in this process (one instance; lost on restart).

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;

use super::store::{decode, encode, session_key};
use super::{Session, SessionId, SessionStore, StoreError};

/// Sessions in this process's memory. Expired entries are invisible at once and purged at the
/// next write (at most once a second) or by [`MemoryStore::purge_expired`].
#[derive(Default)]
pub struct MemoryStore {
    prefix: String,
    entries: Mutex<HashMap<String, (Instant, Vec<u8>)>>,
    last_purge: Mutex<Option<Instant>>,
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore")
            .field("entries", &self.len())
            .finish()
    }
}

impl MemoryStore {
    /// An empty store whose keys start with `prefix`.
    pub fn new(prefix: impl Into<String>) -> Self {
        Self {
            prefix: prefix.into(),
            ..Self::default()
        }
    }

    /// Entries held, expired ones not yet purged included.
    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether the store holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every expired entry.
    pub fn purge_expired(&self) {
        let now = Instant::now();
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|_, (expires, _)| *expires > now);
        *self.last_purge.lock().unwrap_or_else(|e| e.into_inner()) = Some(now);
    }

    fn get(&self, key: &str) -> Option<Vec<u8>> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let fresh = entries
            .get(key)
            .is_some_and(|(expires, _)| *expires > Instant::now());
        if !fresh {
            entries.remove(key);
            return None;
        }
        entries.get(key).map(|(_, value)| value.clone())
    }

    fn set(&self, key: String, value: Vec<u8>, ttl: Duration) {
        let due = self
            .last_purge
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_none_or(|at| at.elapsed() >= Duration::from_secs(1));
        if due {
            self.purge_expired();
        }
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, (Instant::now() + ttl, value));
    }
}

impl SessionStore for MemoryStore {
    fn load<'a>(&'a self, id: &'a SessionId) -> BoxFuture<'a, Result<Option<Session>, StoreError>> {
        let found = self
            .get(&session_key(&self.prefix, id))
            .and_then(|bytes| decode(&bytes));
        Box::pin(async move { Ok(found) })
    }

    fn save<'a>(
        &'a self,
        id: &'a SessionId,
        session: &'a Session,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let result =
            encode(session).map(|bytes| self.set(session_key(&self.prefix, id), bytes, ttl));
        Box::pin(async move { result })
    }

    fn delete<'a>(&'a self, id: &'a SessionId) -> BoxFuture<'a, Result<(), StoreError>> {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&session_key(&self.prefix, id));
        Box::pin(async { Ok(()) })
    }

    fn entry_count(&self) -> Option<usize> {
        Some(self.len())
    }
}
