//! `guanxi secret generate` and `guanxi secret rotate`: the master key of personal data.
#![allow(clippy::print_stdout)] // `generate` prints the new secret alone on the last line.

use crate::Config;
use crate::secret_key::{key_file, master_key, write_new};
use anyhow::Context;
use guanxi_store_sql::{ConnectOptions, MasterKey, SqlStore};
use secrecy::{ExposeSecret, SecretString};
use std::io::BufRead;
use std::path::Path;

pub fn generate() {
    println!("A new secret key for GUANXI_SECRET_KEY. Keep it apart from the database's backups:");
    println!("{}", MasterKey::generate());
}

/// Re-seals every personal value under a new data key; with `new_secret_stdin`, also moves the
/// data keys under the secret read from stdin (rotating the master key). Run with the servers
/// stopped: a server still holding the old keys refuses writes until it is restarted.
pub async fn rotate(config: &Config, new_secret_stdin: bool) -> anyhow::Result<()> {
    let old = master_key(config)?.key;
    let new_secret = if new_secret_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        Some(SecretString::from(line.trim().to_owned()))
    } else {
        None
    };
    let new = match &new_secret {
        Some(secret) => {
            Some(MasterKey::parse(secret.expose_secret()).context("the new secret key (stdin)")?)
        }
        None => None,
    };
    let store = open(config, &old, new.as_ref()).await?;
    let resealed = store
        .rotate_master_key(&old, new.as_ref().unwrap_or(&old))
        .await;
    store.close().await;
    let resealed = resealed?;
    println!(
        "Re-sealed {} customers, {} identifiers and {} events with a new data key.",
        resealed.customers, resealed.identities, resealed.events
    );
    if let Some(secret) = new_secret {
        match (&config.secret_key, key_file(&config.database_url)?) {
            (None, Some(path)) => {
                replace_key_file(&path, secret.expose_secret())?;
                println!("The new secret key is in {}.", path.display());
            }
            _ => println!("Set GUANXI_SECRET_KEY to the new secret key before starting guanxi."),
        }
    }
    Ok(())
}

/// Opens the database with the old key, or with the new one if an interrupted rotation got as
/// far as re-wrapping the keys.
async fn open(
    config: &Config,
    old: &MasterKey,
    new: Option<&MasterKey>,
) -> anyhow::Result<SqlStore> {
    let connect = |key: &MasterKey| {
        let mut options = ConnectOptions::new(config.database_url.clone(), key.clone());
        options.max_connections = config.max_connections;
        async move { SqlStore::connect(&options).await }
    };
    match (connect(old).await, new) {
        (Ok(store), _) => Ok(store),
        (Err(_), Some(new)) => Ok(connect(new)
            .await
            .context("neither the current nor the new secret key opens the database")?),
        (Err(e), None) => Err(e).context("cannot open the database"),
    }
}

/// Puts `secret` in the key file in one step: written beside it, then renamed over it.
fn replace_key_file(path: &Path, secret: &str) -> anyhow::Result<()> {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".new");
    let next = path.with_file_name(name);
    match std::fs::remove_file(&next) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
        _ => {}
    }
    write_new(&next, secret).with_context(|| format!("cannot write {}", next.display()))?;
    std::fs::rename(&next, path).with_context(|| format!("cannot replace {}", path.display()))
}
