//! [`RedisStore`]: sessions shared by every instance, with the refresh lease (`SET NX PX`).

use std::time::Duration;

use futures::future::BoxFuture;

use super::store::{decode, encode, lease_key, ms, session_key};
use super::{Session, SessionId, SessionStore, StoreError};

/// Sessions in Redis: JSON values written with `SET … PX <ttl>`. One multiplexed connection that
/// reconnects by itself.
#[derive(Clone)]
pub struct RedisStore {
    connection: redis::aio::ConnectionManager,
    prefix: String,
}

crate::debug_showing!(RedisStore { prefix });

fn redis_error(error: &redis::RedisError) -> StoreError {
    StoreError(format!("redis: {error}"))
}

impl RedisStore {
    /// Connects to `url` (fails now if Redis cannot be reached); every command and reconnection
    /// attempt times out after `timeout`.
    pub async fn connect(
        url: &str,
        prefix: impl Into<String>,
        timeout: Duration,
    ) -> Result<Self, StoreError> {
        let client = redis::Client::open(url).map_err(|e| redis_error(&e))?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(2);
        let connection = tokio::time::timeout(
            timeout * 4,
            redis::aio::ConnectionManager::new_with_config(client, config),
        )
        .await
        .map_err(|_| StoreError("redis: connection timed out".to_owned()))?
        .map_err(|e| redis_error(&e))?;
        Ok(Self {
            connection,
            prefix: prefix.into(),
        })
    }

    async fn get(&self, key: String) -> Result<Option<Vec<u8>>, StoreError> {
        let mut connection = self.connection.clone();
        redis::cmd("GET")
            .arg(key)
            .query_async::<Option<Vec<u8>>>(&mut connection)
            .await
            .map_err(|e| redis_error(&e))
    }

    async fn set(&self, key: String, value: Vec<u8>, ttl: Duration) -> Result<(), StoreError> {
        let mut connection = self.connection.clone();
        redis::cmd("SET")
            .arg(key)
            .arg(value)
            .arg("PX")
            .arg(ms(ttl).max(1))
            .query_async::<()>(&mut connection)
            .await
            .map_err(|e| redis_error(&e))
    }
}

impl SessionStore for RedisStore {
    fn load<'a>(&'a self, id: &'a SessionId) -> BoxFuture<'a, Result<Option<Session>, StoreError>> {
        Box::pin(async move {
            let bytes = self.get(session_key(&self.prefix, id)).await?;
            Ok(bytes.and_then(|bytes| decode(&bytes)))
        })
    }

    fn save<'a>(
        &'a self,
        id: &'a SessionId,
        session: &'a Session,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            self.set(session_key(&self.prefix, id), encode(session)?, ttl)
                .await
        })
    }

    fn delete<'a>(&'a self, id: &'a SessionId) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let mut connection = self.connection.clone();
            redis::cmd("DEL")
                .arg(session_key(&self.prefix, id))
                .query_async::<()>(&mut connection)
                .await
                .map_err(|e| redis_error(&e))
        })
    }

    fn acquire_refresh_lease<'a>(
        &'a self,
        id: &'a SessionId,
        holder: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            let mut connection = self.connection.clone();
            let set: Option<String> = redis::cmd("SET")
                .arg(lease_key(&self.prefix, id))
                .arg(holder)
                .arg("NX")
                .arg("PX")
                .arg(ms(ttl).max(1))
                .query_async(&mut connection)
                .await
                .map_err(|e| redis_error(&e))?;
            Ok(set.is_some())
        })
    }

    fn release_refresh_lease<'a>(
        &'a self,
        id: &'a SessionId,
        holder: &'a str,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        // Delete only our own lease: one that expired and was taken by another instance stays.
        const RELEASE: &str = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";
        Box::pin(async move {
            let mut connection = self.connection.clone();
            redis::cmd("EVAL")
                .arg(RELEASE)
                .arg(1)
                .arg(lease_key(&self.prefix, id))
                .arg(holder)
                .query_async::<()>(&mut connection)
                .await
                .map_err(|e| redis_error(&e))
        })
    }
}
