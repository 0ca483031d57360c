//! `guanxi secret generate` and `guanxi secret rotate`: the master key of personal data.
#![allow(clippy::print_stdout)] // `generate` prints the new secret alone on the last line.

use crate::Config;
use crate::secret_key::{connect_options, key_file, master_key, write_new};
use anyhow::Context;
use guanxi_store_sql::{MasterKey, SqlStore};
use secrecy::{ExposeSecret, SecretString};
use std::io::BufRead;
use std::path::{Path, PathBuf};

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
    // Where the secret lives in a key file, the new one is on disk before anything is
    // re-wrapped under it: an interrupted rotation never leaves keys only a lost secret opens.
    let key_files = match (&new_secret, &config.secret_key) {
        (Some(secret), None) => match key_file(&config.database_url)? {
            Some(path) => Some(KeyFiles::prepare(&path, secret.expose_secret())?),
            None => None,
        },
        _ => None,
    };
    let store = open(config, &old, new.as_ref()).await?;
    let resealed = store
        .rotate_master_key(&old, new.as_ref().unwrap_or(&old))
        .await;
    store.close().await;
    let resealed = resealed?;
    println!(
        "Re-sealed {} customers, {} identifiers, {} events and {} suppressed addresses and \
         in-app messages with a new data key.",
        resealed.customers, resealed.identities, resealed.events, resealed.messaging
    );
    match (key_files, new_secret) {
        (Some(files), _) => {
            files.promote()?;
            println!(
                "The new secret key is in {}; the old one, which older backups need, is in {}.",
                files.current.display(),
                files.old.display()
            );
        }
        (None, Some(_)) => {
            println!("Set GUANXI_SECRET_KEY to the new secret key before starting guanxi.");
        }
        (None, None) => {}
    }
    Ok(())
}

/// The key file and its neighbours during a rotation: `guanxi.db.key.new` holds the new
/// secret until the rotation is done, then the current key becomes `guanxi.db.key.old`.
struct KeyFiles {
    current: PathBuf,
    new: PathBuf,
    old: PathBuf,
}

impl KeyFiles {
    /// Writes the new secret beside the key file, durably. A `.new` file left by an
    /// interrupted rotation is kept if it holds this secret and refused if another: the
    /// database's keys may already be wrapped under that one.
    fn prepare(current: &Path, secret: &str) -> anyhow::Result<Self> {
        let with_suffix = |suffix: &str| {
            let mut name = current.file_name().unwrap_or_default().to_os_string();
            name.push(suffix);
            current.with_file_name(name)
        };
        let files = Self {
            current: current.to_path_buf(),
            new: with_suffix(".new"),
            old: with_suffix(".old"),
        };
        match std::fs::read_to_string(&files.new) {
            Ok(earlier) if earlier.trim() == secret => {}
            Ok(_) => anyhow::bail!(
                "{} holds the secret of an earlier rotation that did not finish; run \
                 `guanxi secret rotate --new-secret-stdin` with that secret to finish it",
                files.new.display()
            ),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => write_new(&files.new, secret)
                .with_context(|| format!("cannot write {}", files.new.display()))?,
            Err(e) => return Err(e).context(format!("cannot read {}", files.new.display())),
        }
        Ok(files)
    }

    /// After the rotation: the current key becomes `.old`, the new one current.
    fn promote(&self) -> anyhow::Result<()> {
        std::fs::rename(&self.current, &self.old)
            .with_context(|| format!("cannot move {} aside", self.current.display()))?;
        std::fs::rename(&self.new, &self.current)
            .with_context(|| format!("cannot put the new key at {}", self.current.display()))
    }
}

/// Opens the database with the old key, or with the new one if an interrupted rotation got as
/// far as re-wrapping the keys.
async fn open(
    config: &Config,
    old: &MasterKey,
    new: Option<&MasterKey>,
) -> anyhow::Result<SqlStore> {
    let connect = |key: &MasterKey| {
        let options = connect_options(config, key);
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
