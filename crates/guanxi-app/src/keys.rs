//! Secrets for machines: source write keys, Shopify webhook secrets and API keys. Keys are
//! random, shown once, and stored only as SHA-256 hashes (webhook secrets must stay readable
//! to check signatures).

use guanxi_store::{ApiKey, NewApiKey, NewSource, Source, Store};
use rand::RngCore;
use sha2::{Digest, Sha256};

pub const SOURCE_KINDS: &[&str] = &["segment", "shopify", "taobao", "jd", "api"];
pub const SCOPES: &[&str] = &["ingest", "read", "write", "admin"];

fn random_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}

pub fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// A new source and the secret to hand its owner: the write key, or for Shopify the webhook
/// secret (Shopify sources are also given a write key for the HTTP API).
pub struct CreatedSource {
    pub source: Source,
    pub secret: String,
}

pub async fn create_source(
    store: &dyn Store,
    name: &str,
    kind: &str,
) -> Result<CreatedSource, KeyError> {
    let name = name.trim();
    if name.is_empty()
        || name.len() > 64
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(KeyError::Invalid(
            "name",
            "must be 1–64 letters, digits, - or _".into(),
        ));
    }
    if !SOURCE_KINDS.contains(&kind) {
        return Err(KeyError::Invalid(
            "kind",
            format!("must be one of {}", SOURCE_KINDS.join(", ")),
        ));
    }
    let write_key = random_secret("wk_");
    let webhook_secret = (kind == "shopify").then(|| random_secret("whsec_"));
    let source = store
        .create_source(&NewSource {
            name: name.to_owned(),
            kind: kind.to_owned(),
            write_key_hash: hash_key(&write_key),
            webhook_secret: webhook_secret.clone(),
        })
        .await?;
    Ok(CreatedSource {
        source,
        secret: webhook_secret.unwrap_or(write_key),
    })
}

pub async fn create_api_key(
    store: &dyn Store,
    name: &str,
    scopes: &[String],
) -> Result<(ApiKey, String), KeyError> {
    if name.trim().is_empty() {
        return Err(KeyError::Invalid("name", "is empty".into()));
    }
    if scopes.is_empty() {
        return Err(KeyError::Invalid(
            "scopes",
            format!("give at least one of {}", SCOPES.join(", ")),
        ));
    }
    if let Some(bad) = scopes.iter().find(|s| !SCOPES.contains(&s.as_str())) {
        return Err(KeyError::Invalid(
            "scopes",
            format!("{bad:?} is not one of {}", SCOPES.join(", ")),
        ));
    }
    let key = random_secret("gx_");
    let stored = store
        .create_api_key(&NewApiKey {
            name: name.trim().to_owned(),
            key_hash: hash_key(&key),
            scopes: scopes.to_vec(),
        })
        .await?;
    Ok((stored, key))
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{0}: {1}")]
    Invalid(&'static str, String),
    #[error(transparent)]
    Store(#[from] guanxi_store::StoreError),
}
