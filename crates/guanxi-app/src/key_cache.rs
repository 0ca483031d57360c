//! Recently authenticated API keys, so a request does not cost a database round trip just to
//! learn who is calling. Entries live a few seconds: a revoked key stops working within that.

use crate::keys::hash_key;
use guanxi_store::{ApiKey, Store, StoreResult};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long an authenticated key is trusted without asking the database again.
const TTL: Duration = Duration::from_secs(10);
/// Bound on remembered keys; past it the cache starts over.
const CAPACITY: usize = 10_000;

#[derive(Default)]
pub struct KeyCache {
    entries: Mutex<HashMap<String, (ApiKey, Instant)>>,
}

impl KeyCache {
    /// The API key behind a bearer token (`NotFound` for unknown or revoked keys, never cached).
    pub async fn authenticate(&self, store: &dyn Store, token: &str) -> StoreResult<ApiKey> {
        let hash = hash_key(token);
        if let Some(key) = self.fresh(&hash) {
            return Ok(key);
        }
        let key = store.api_key_by_hash(&hash).await?;
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= CAPACITY {
                entries.clear();
            }
            entries.insert(hash, (key.clone(), Instant::now()));
        }
        Ok(key)
    }

    fn fresh(&self, hash: &str) -> Option<ApiKey> {
        let entries = self.entries.lock().ok()?;
        let (key, at) = entries.get(hash)?;
        (at.elapsed() < TTL).then(|| key.clone())
    }
}
