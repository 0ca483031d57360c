//! Recently authenticated API keys and source write keys, so a request does not cost a
//! database round trip just to learn who is calling (under heavy ingest that read took longer
//! than parsing the batch). Entries live a few seconds: a revoked key stops working within that.

use crate::keys::hash_key;
use guanxi_store::{ApiKey, Source, Store, StoreResult};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long an authenticated key is trusted without asking the database again.
const TTL: Duration = Duration::from_secs(10);
/// Bound on remembered keys of each kind; past it that cache starts over.
const CAPACITY: usize = 10_000;

#[derive(Default)]
pub struct KeyCache {
    api_keys: Remembered<ApiKey>,
    sources: Remembered<Source>,
}

impl KeyCache {
    /// The API key behind a bearer token (`NotFound` for unknown or revoked keys, never cached).
    pub async fn authenticate(&self, store: &dyn Store, token: &str) -> StoreResult<ApiKey> {
        self.api_keys
            .get_or_load(token, async |hash| store.api_key_by_hash(hash).await)
            .await
    }

    /// Drops a revoked key at once, so this process refuses it from the next request on
    /// (other replicas within `TTL`).
    pub fn forget_api_key(&self, id: i64) {
        self.api_keys.forget(|key| key.id == id);
    }

    /// The source a write key belongs to (`NotFound` for unknown keys, never cached).
    pub async fn source(&self, store: &dyn Store, write_key: &str) -> StoreResult<Source> {
        self.sources
            .get_or_load(write_key, async |hash| {
                store.source_by_write_key(hash).await
            })
            .await
    }
}

/// Values by key hash, each trusted for `TTL`.
struct Remembered<V> {
    entries: Mutex<HashMap<String, (V, Instant)>>,
}

impl<V> Default for Remembered<V> {
    fn default() -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
        }
    }
}

impl<V: Clone> Remembered<V> {
    /// The value behind `secret`, remembered or loaded by its hash (failures are not kept).
    async fn get_or_load(
        &self,
        secret: &str,
        load: impl AsyncFnOnce(&str) -> StoreResult<V>,
    ) -> StoreResult<V> {
        let hash = hash_key(secret);
        if let Some(value) = self.fresh(&hash) {
            return Ok(value);
        }
        let value = load(&hash).await?;
        self.keep(hash, value.clone());
        Ok(value)
    }

    fn forget(&self, matches: impl Fn(&V) -> bool) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.retain(|_, (value, _)| !matches(value));
        }
    }

    fn fresh(&self, hash: &str) -> Option<V> {
        let entries = self.entries.lock().ok()?;
        let (value, at) = entries.get(hash)?;
        (at.elapsed() < TTL).then(|| value.clone())
    }

    fn keep(&self, hash: String, value: V) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= CAPACITY {
                entries.clear();
            }
            entries.insert(hash, (value, Instant::now()));
        }
    }
}
