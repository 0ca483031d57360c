//! The `data_keys` table: the data keys and the index key, each wrapped by the master key.

use super::Vault;
use super::master::{KEY_BYTES, MasterKey, random_key};
use crate::backend::{Backend, map_err};
use crate::rows::get;
use guanxi_store::{StoreError, StoreResult};
use sqlx::AnyPool;
use zeroize::Zeroizing;

const DATA: &str = "data";
const INDEX: &str = "index";

/// The id of the data key that seals from now on.
pub(crate) const CURRENT_DATA_KEY: &str =
    "SELECT id FROM data_keys WHERE purpose = 'data' AND retired_at IS NULL";

struct StoredKey {
    id: i64,
    purpose: String,
    wrapped: String,
    retired: bool,
}

impl StoredKey {
    /// What the wrapping binds each key to: its row and purpose.
    fn label(&self) -> String {
        format!("{} {}", self.id, self.purpose)
    }
}

async fn stored_keys(executor: impl sqlx::AnyExecutor<'_>) -> StoreResult<Vec<StoredKey>> {
    let rows = sqlx::query("SELECT id, purpose, wrapped, retired_at FROM data_keys ORDER BY id")
        .fetch_all(executor)
        .await
        .map_err(map_err)?;
    rows.iter()
        .map(|r| {
            Ok(StoredKey {
                id: get(r, "id")?,
                purpose: get(r, "purpose")?,
                wrapped: get(r, "wrapped")?,
                retired: get::<Option<i64>>(r, "retired_at")?.is_some(),
            })
        })
        .collect()
}

/// The secret key given does not open this database's data keys. Carried inside
/// `StoreError::Other`, so a caller can tell it from other failures (`WrongSecret::is`).
#[derive(Debug, thiserror::Error)]
#[error(
    "the secret key does not open this database's data keys: it is not the key its personal \
     data was sealed with (GUANXI_SECRET_KEY)"
)]
pub struct WrongSecret;

impl WrongSecret {
    /// Whether `e` says the secret key was the wrong one (and nothing else failed).
    pub fn is(e: &StoreError) -> bool {
        matches!(e, StoreError::Other(cause) if cause.downcast_ref::<WrongSecret>().is_some())
    }
}

fn wrong_secret() -> StoreError {
    StoreError::Other(Box::new(WrongSecret))
}

/// Opens the database's keys with `master`, creating them the first time.
pub(crate) async fn load_or_create(pool: &AnyPool, master: &MasterKey) -> StoreResult<Vault> {
    for _ in 0..2 {
        let stored = stored_keys(pool).await?;
        if !stored.is_empty() {
            return unwrap_all(&stored, |k| master.unwrap(&k.label(), &k.wrapped));
        }
        // Two processes starting on a new database race here; the primary key lets one win,
        // and the other loads what it wrote.
        match create_first_keys(pool, master).await {
            Ok(()) | Err(StoreError::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Err(StoreError::other("the data keys could not be created"))
}

async fn create_first_keys(pool: &AnyPool, master: &MasterKey) -> StoreResult<()> {
    let now = chrono::Utc::now().timestamp_millis();
    let mut tx = pool.begin().await.map_err(map_err)?;
    for (id, purpose) in [(1_i64, INDEX), (2, DATA)] {
        let key = Zeroizing::new(random_key());
        let wrapped = master.wrap(&format!("{id} {purpose}"), &key);
        insert_key(&mut *tx, id, purpose, &wrapped, now).await?;
    }
    tx.commit().await.map_err(map_err)
}

async fn insert_key(
    executor: impl sqlx::AnyExecutor<'_>,
    id: i64,
    purpose: &str,
    wrapped: &str,
    now: i64,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO data_keys (id, purpose, wrapped, created_at) VALUES ($1, $2, $3, $4)")
        .bind(id)
        .bind(purpose.to_owned())
        .bind(wrapped.to_owned())
        .bind(now)
        .execute(executor)
        .await
        .map_err(map_err)?;
    Ok(())
}

fn unwrap_all(
    stored: &[StoredKey],
    unwrap: impl Fn(&StoredKey) -> Option<Zeroizing<[u8; KEY_BYTES]>>,
) -> StoreResult<Vault> {
    let mut data = Vec::new();
    let mut current = None;
    let mut index = None;
    for key in stored {
        let plain = unwrap(key).ok_or_else(wrong_secret)?;
        let id = u32::try_from(key.id).map_err(|_| StoreError::other("data key id"))?;
        match (key.purpose.as_str(), key.retired) {
            (INDEX, false) => index = Some(plain),
            (INDEX, true) => {}
            (DATA, retired) => {
                if !retired {
                    current = Some(id);
                }
                data.push((id, plain));
            }
            (other, _) => {
                return Err(StoreError::other(format!(
                    "unknown data key purpose {other:?}"
                )));
            }
        }
    }
    let (Some(current), Some(index)) = (current, index) else {
        return Err(StoreError::other(
            "the database has no current data key or no index key",
        ));
    };
    let data: Vec<(u32, &[u8; KEY_BYTES])> = data.iter().map(|(id, k)| (*id, &**k)).collect();
    Ok(Vault::new(current, &data, &index))
}

/// Re-wraps every key under `new` (opening each with `old`, or with `new` if an interrupted
/// rotation re-wrapped it already) and starts a new data key. What the older data keys sealed
/// still opens; `reseal` then moves it to the new key and `forget_retired_keys` drops them.
pub(crate) async fn rotate(
    pool: &AnyPool,
    backend: Backend,
    old: &MasterKey,
    new: &MasterKey,
) -> StoreResult<Vault> {
    let now = chrono::Utc::now().timestamp_millis();
    let mut tx = pool.begin().await.map_err(map_err)?;
    if backend == Backend::Postgres {
        // SQLite's writer lock is taken by the first write below; PostgreSQL needs asking.
        sqlx::query("LOCK TABLE data_keys IN EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
    }
    if backend == Backend::Postgres {
        // Writers that started before this commit see the epoch moved and check their keys.
        sqlx::query("UPDATE writer_epoch SET epoch = epoch + 1")
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
    }
    let stored = stored_keys(&mut *tx).await?;
    if stored.is_empty() {
        return Err(StoreError::other("the database has no data keys to rotate"));
    }
    for key in &stored {
        let label = key.label();
        let plain = old
            .unwrap(&label, &key.wrapped)
            .or_else(|| new.unwrap(&label, &key.wrapped))
            .ok_or_else(wrong_secret)?;
        sqlx::query("UPDATE data_keys SET wrapped = $1 WHERE id = $2")
            .bind(new.wrap(&label, &plain))
            .bind(key.id)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
    }
    sqlx::query("UPDATE data_keys SET retired_at = $1 WHERE purpose = $2 AND retired_at IS NULL")
        .bind(now)
        .bind(DATA)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
    let next = stored.iter().map(|k| k.id).max().unwrap_or(0) + 1;
    let key = Zeroizing::new(random_key());
    insert_key(
        &mut *tx,
        next,
        DATA,
        &new.wrap(&format!("{next} {DATA}"), &key),
        now,
    )
    .await?;
    let stored = stored_keys(&mut *tx).await?;
    tx.commit().await.map_err(map_err)?;
    unwrap_all(&stored, |k| new.unwrap(&k.label(), &k.wrapped))
}

/// Drops retired data keys, once nothing sealed with them is left.
pub(crate) async fn forget_retired_keys(pool: &AnyPool) -> StoreResult<u64> {
    let done = sqlx::query("DELETE FROM data_keys WHERE purpose = $1 AND retired_at IS NOT NULL")
        .bind(DATA)
        .execute(pool)
        .await
        .map_err(map_err)?;
    Ok(done.rows_affected())
}
