//! Passes over every stored row that holds personal data, sealing it with the current data key:
//! once after the upgrade that introduced sealing (rows written before it hold plain values),
//! and after each key rotation (rows sealed with a retired key). Both go in chunks, one short
//! transaction each, and can be interrupted and run again.

use crate::SqlStore;
use crate::backend::{Backend, map_err};
use crate::rows::get;
use crate::sealed::{
    SEALED_ENTRY, is_sealed_kind, name_index, open_properties, open_traits, seal_identity,
    seal_traits,
};
use crate::vault::Vault;
use guanxi_domain::personal::holds_personal;
use guanxi_domain::{EventKind, EventProperties};
use guanxi_store::{StoreResult, Traits};
use serde_json::Value;
use sqlx::any::AnyRow;

const CHUNK: i64 = 2_000;
/// The `data_migrations` entries of the passes over rows stored before sealing existed: sealing
/// them, then rebuilding the tables without their plain copies.
const SEAL_OLD_ROWS: &str = "seal_personal_data";
const PURGE_PLAIN_COPIES: &str = "purge_plain_copies";

/// Which rows a pass rewrites.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pass {
    /// Rows holding plain personal values.
    Unsealed,
    /// Rows sealed with a data key other than the current one.
    NotCurrent,
}

/// How many rows a pass rewrote, per table.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Resealed {
    pub customers: u64,
    pub identities: u64,
    pub events: u64,
    /// Suppressed addresses and in-app messages.
    pub messaging: u64,
}

/// Seals what was stored before sealing existed, then rebuilds the tables so no plain copy is
/// left in free pages; each step once per database, recorded when done, so a start that stops
/// between them (a full disk during `VACUUM`) finishes the rebuild next time.
pub(crate) async fn seal_rows_stored_before_sealing(store: &SqlStore) -> StoreResult<()> {
    if !done(store, SEAL_OLD_ROWS).await? {
        let resealed = run(store, Pass::Unsealed).await?;
        if resealed != Resealed::default() {
            tracing::info!(
                customers = resealed.customers,
                identities = resealed.identities,
                events = resealed.events,
                "sealed personal data stored before encryption at rest"
            );
        }
        record(store, SEAL_OLD_ROWS).await?;
    }
    if !done(store, PURGE_PLAIN_COPIES).await? {
        purge_old_copies(store).await?;
        record(store, PURGE_PLAIN_COPIES).await?;
    }
    Ok(())
}

async fn done(store: &SqlStore, step: &str) -> StoreResult<bool> {
    let row = sqlx::query("SELECT done_at FROM data_migrations WHERE name = $1")
        .bind(step.to_owned())
        .fetch_optional(&store.pool)
        .await
        .map_err(map_err)?;
    Ok(row.is_some())
}

async fn record(store: &SqlStore, step: &str) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO data_migrations (name, done_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(step.to_owned())
    .bind(chrono::Utc::now().timestamp_millis())
    .execute(&store.pool)
    .await
    .map_err(map_err)?;
    Ok(())
}

/// Rewritten rows leave their old versions behind in free pages (SQLite) or dead tuples
/// (PostgreSQL) until the space is reused: plain values after the first sealing, values under a
/// retired key after a rotation. Rebuilding the tables drops them. Both passes run rarely and
/// offline (at the upgrade's first start, in `guanxi secret rotate`), so the cost is paid once.
async fn purge_old_copies(store: &SqlStore) -> StoreResult<()> {
    let statements: &[&str] = match store.backend {
        Backend::Sqlite => &["VACUUM", "PRAGMA wal_checkpoint(TRUNCATE)"],
        Backend::Postgres => &["VACUUM FULL data_keys, customers, identities, events"],
    };
    for sql in statements {
        sqlx::raw_sql(sql)
            .execute(&store.pool)
            .await
            .map_err(map_err)?;
    }
    Ok(())
}

/// Re-seals everything a retired data key sealed with the current one.
async fn reseal_with_current_key(store: &SqlStore) -> StoreResult<Resealed> {
    Ok(Resealed {
        messaging: crate::reseal_messaging::reseal(store).await?,
        ..run(store, Pass::NotCurrent).await?
    })
}

async fn run(store: &SqlStore, pass: Pass) -> StoreResult<Resealed> {
    Ok(Resealed {
        customers: customers(store, pass).await?,
        identities: identities(store, pass).await?,
        events: events(store, pass).await?,
        messaging: 0,
    })
}

fn sealed_entry(map: &serde_json::Map<String, Value>) -> Option<&str> {
    map.get(SEALED_ENTRY).and_then(Value::as_str)
}

fn needs_sealing(vault: &Vault, pass: Pass, stored: &Value, names: bool) -> bool {
    let Value::Object(map) = stored else {
        return false;
    };
    match pass {
        Pass::Unsealed => map.iter().any(|(key, value)| {
            key != SEALED_ENTRY
                && (guanxi_domain::personal::classify(key, names).is_some()
                    || holds_personal(value, names))
        }),
        Pass::NotCurrent => sealed_entry(map).is_some_and(|s| !vault.is_current(s)),
    }
}

/// The next `CHUNK` rows by id after `after`: `columns_from` is a fixed `cols FROM table`.
async fn next_chunk(
    store: &SqlStore,
    columns_from: &'static str,
    after: i64,
) -> StoreResult<Vec<AnyRow>> {
    sqlx::query(&format!(
        "SELECT {columns_from} WHERE id > $1 ORDER BY id LIMIT $2"
    ))
    .bind(after)
    .bind(CHUNK)
    .fetch_all(&store.pool)
    .await
    .map_err(map_err)
}

/// Walks a table by id in chunks, one transaction each. `rewrite` answers the new values of a
/// row that needs rewriting (bound in order, then the row's id, into `update`), or `None`.
/// Answers how many rows it rewrote.
async fn rewrite_by_id(
    store: &SqlStore,
    columns_from: &'static str,
    update: &'static str,
    rewrite: impl Fn(&AnyRow) -> StoreResult<Option<Vec<Option<String>>>>,
) -> StoreResult<u64> {
    let (mut after, mut rewritten) = (0_i64, 0);
    loop {
        let rows = next_chunk(store, columns_from, after).await?;
        let Some(last) = rows.last() else {
            return Ok(rewritten);
        };
        after = get(last, "id")?;
        let mut tx = store.pool.begin().await.map_err(map_err)?;
        for row in &rows {
            let Some(values) = rewrite(row)? else {
                continue;
            };
            let mut q = sqlx::query(update);
            for value in values {
                q = q.bind(value);
            }
            q.bind(get::<i64>(row, "id")?)
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
            rewritten += 1;
        }
        tx.commit().await.map_err(map_err)?;
    }
}

async fn customers(store: &SqlStore, pass: Pass) -> StoreResult<u64> {
    let vault = &store.vault;
    rewrite_by_id(
        store,
        "id, traits, name_index FROM customers",
        "UPDATE customers SET traits = $1, name_index = $2 WHERE id = $3",
        |row| {
            let json: String = get(row, "traits")?;
            let traits: Traits = open_traits(vault, &json)?;
            let index_stale =
                get::<Option<String>>(row, "name_index")? != name_index(vault, &traits);
            if !(needs_sealing(vault, pass, &crate::rows::json(&json)?, true) || index_stale) {
                return Ok(None);
            }
            let sealed = seal_traits(vault, &traits);
            Ok(Some(vec![Some(sealed.json), sealed.name_index]))
        },
    )
    .await
}

async fn identities(store: &SqlStore, pass: Pass) -> StoreResult<u64> {
    let vault = &store.vault;
    let (mut after, mut rewritten) = ((String::new(), String::new()), 0);
    loop {
        // In key order; a re-sealed row's new value may sort later and come round again, as
        // sealed and current, so it is skipped.
        let rows = sqlx::query(
            "SELECT kind, value, sealed_value FROM identities \
             WHERE kind IN ('email', 'phone') AND (kind > $1 OR (kind = $1 AND value > $2)) \
             ORDER BY kind, value LIMIT $3",
        )
        .bind(after.0.clone())
        .bind(after.1.clone())
        .bind(CHUNK)
        .fetch_all(&store.pool)
        .await
        .map_err(map_err)?;
        let Some(last) = rows.last() else {
            return Ok(rewritten);
        };
        after = (get(last, "kind")?, get(last, "value")?);
        let mut tx = store.pool.begin().await.map_err(map_err)?;
        for row in &rows {
            let kind: String = get(row, "kind")?;
            let value: String = get(row, "value")?;
            let sealed: Option<String> = get(row, "sealed_value")?;
            let key = match (&sealed, pass) {
                (None, Pass::Unsealed) => crate::rows::identity(&kind, &value)?,
                (Some(s), Pass::NotCurrent) if !vault.is_current(s) => {
                    crate::sealed::open_identity(vault, &kind, &value, Some(s))?
                }
                _ => continue,
            };
            if !is_sealed_kind(key.kind()) {
                continue;
            }
            let (index, sealed) = seal_identity(vault, &key);
            sqlx::query(
                "UPDATE identities SET value = $1, sealed_value = $2 WHERE kind = $3 AND value = $4",
            )
            .bind(index)
            .bind(sealed)
            .bind(kind)
            .bind(value)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
            rewritten += 1;
        }
        tx.commit().await.map_err(map_err)?;
    }
}

async fn events(store: &SqlStore, pass: Pass) -> StoreResult<u64> {
    let vault = &store.vault;
    rewrite_by_id(
        store,
        "id, kind, properties FROM events",
        "UPDATE events SET properties = $1 WHERE id = $2",
        |row| {
            let kind = crate::rows::event_kind(&get::<String>(row, "kind")?)?;
            let json: String = get(row, "properties")?;
            let names = matches!(kind, EventKind::Identify | EventKind::Group);
            if !needs_sealing(vault, pass, &crate::rows::json(&json)?, names) {
                return Ok(None);
            }
            let properties = EventProperties::new(kind, &open_properties(vault, &json)?);
            let sealed = crate::sealed::seal_properties(vault, &properties).into_owned();
            Ok(Some(vec![Some(sealed)]))
        },
    )
    .await
}

impl SqlStore {
    /// Rotates the keys: every data key re-wrapped under `new`, a new data key sealing from now
    /// on, everything re-sealed with it and the old data keys dropped. Run it with the servers
    /// stopped (they hold the old keys); an interrupted rotation is finished by running it
    /// again with the same two secrets.
    pub async fn rotate_master_key(
        &self,
        old: &crate::MasterKey,
        new: &crate::MasterKey,
    ) -> StoreResult<Resealed> {
        let vault = crate::vault::rotate(&self.pool, self.backend, old, new).await?;
        let rotated = SqlStore {
            vault: std::sync::Arc::new(vault),
            ..self.clone()
        };
        let resealed = reseal_with_current_key(&rotated).await?;
        crate::vault::forget_retired_keys(&self.pool).await?;
        purge_old_copies(self).await?;
        Ok(resealed)
    }
}
