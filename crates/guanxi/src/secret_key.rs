//! Where the master key that guards personal data at rest comes from.
//!
//! `secret_key` (`GUANXI_SECRET_KEY`) when it is set. Without it, a SQLite database keeps a key
//! file beside itself (`guanxi.db.key`, made on first start, owner-only), so the two-command
//! set-up needs no configuration and a copy of the database alone (`guanxi backup`) holds no
//! readable personal data. PostgreSQL has no folder of its own and its replicas must share one
//! key, so it needs the setting.

use crate::Config;
use anyhow::Context;
use guanxi_store_sql::{ConnectOptions, MasterKey, SqlStore, WrongSecret};
use secrecy::ExposeSecret;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A master key, and the key file this start made for it, if it made one.
#[derive(Debug)]
pub struct ResolvedKey {
    pub key: MasterKey,
    made_file: Option<PathBuf>,
}

impl ResolvedKey {
    /// Removes the key file this start made, after the database refused it as the wrong
    /// secret: the database already has keys, so the file was made for a copied backup or in
    /// place of a lost key file, and sealed nothing. Answers the path, so the message can say
    /// where the right key file belongs. Never called on other failures: a file that may have
    /// sealed something is kept.
    fn remove_made_key_file(self) -> std::io::Result<Option<PathBuf>> {
        let Some(path) = self.made_file else {
            return Ok(None);
        };
        std::fs::remove_file(&path)?;
        Ok(Some(path))
    }
}

/// The master key for `config`'s database, making the key file if this is its first start.
pub fn master_key(config: &Config) -> anyhow::Result<ResolvedKey> {
    if let Some(secret) = &config.secret_key {
        let key = MasterKey::parse(secret.expose_secret()).context("GUANXI_SECRET_KEY")?;
        return Ok(ResolvedKey {
            key,
            made_file: None,
        });
    }
    match key_file(&config.database_url)? {
        Some(path) => read_or_create(&path),
        None => anyhow::bail!(
            "GUANXI_SECRET_KEY must be set for PostgreSQL: every replica needs the same key to \
             read personal data. `guanxi secret generate` prints a new one; keep it apart from \
             the database's backups."
        ),
    }
}

/// How to reach `config`'s database with `key`.
pub fn connect_options(config: &Config, key: &MasterKey) -> ConnectOptions {
    let mut options = ConnectOptions::new(config.database_url.clone(), key.clone());
    options.max_connections = config.max_connections;
    options
}

/// Connects to `config`'s database with its master key.
pub async fn connect(config: &Config) -> anyhow::Result<SqlStore> {
    let resolved = master_key(config)?;
    match SqlStore::connect(&connect_options(config, &resolved.key)).await {
        Ok(store) => Ok(store),
        Err(e) if WrongSecret::is(&e) => match resolved.remove_made_key_file()? {
            Some(path) => Err(e).context(format!(
                "cannot open the database: it was sealed with another key. Set \
                 GUANXI_SECRET_KEY, or put its key file at {}",
                path.display()
            )),
            None => Err(e).context("cannot open the database"),
        },
        Err(e) => Err(e).context("cannot open the database"),
    }
}

/// The key file of a SQLite database (`guanxi.db` → `guanxi.db.key`); `None` for PostgreSQL.
pub fn key_file(database_url: &str) -> anyhow::Result<Option<PathBuf>> {
    let database = guanxi_store_sql::sqlite_database_path(database_url)?;
    Ok(database.map(|db| {
        let mut name = db.file_name().unwrap_or_default().to_os_string();
        name.push(".key");
        db.with_file_name(name)
    }))
}

fn read_or_create(path: &Path) -> anyhow::Result<ResolvedKey> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(ResolvedKey {
            key: MasterKey::parse(&text)
                .with_context(|| format!("the key file {} is not a key", path.display()))?,
            made_file: None,
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let secret = MasterKey::generate();
            match write_new(path, &secret) {
                Ok(()) => {
                    tracing::warn!(
                        key_file = %path.display(),
                        "GUANXI_SECRET_KEY is not set: personal data is sealed with a new key kept \
                         beside the database; keep a copy of it apart from the database's backups"
                    );
                    Ok(ResolvedKey {
                        key: MasterKey::parse(&secret)?,
                        made_file: Some(path.to_path_buf()),
                    })
                }
                // Another process made it first: use theirs.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read_or_create(path),
                Err(e) => Err(e).with_context(|| format!("cannot write {}", path.display())),
            }
        }
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Writes `secret` to a new file that only its owner may read, durably.
pub fn write_new(path: &Path, secret: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    writeln!(file, "{secret}")?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sqlite_database_keeps_its_key_beside_it() {
        assert_eq!(
            key_file("sqlite://guanxi-data/guanxi.db?mode=rwc").expect("url"),
            Some(PathBuf::from("guanxi-data/guanxi.db.key"))
        );
        assert_eq!(key_file("postgres://u@h/db").expect("url"), None);
    }

    #[test]
    fn the_key_file_is_made_once_and_read_after() {
        let dir = tempfile::tempdir().expect("dir");
        let config = Config {
            database_url: format!("sqlite://{}/shop/guanxi.db", dir.path().display()),
            ..Config::default()
        };
        master_key(&config).expect("made");
        let path = dir.path().join("shop/guanxi.db.key");
        let text = std::fs::read_to_string(&path).expect("written");
        assert!(MasterKey::parse(&text).is_ok());
        master_key(&config).expect("read");
        assert_eq!(
            std::fs::read_to_string(&path).expect("kept"),
            text,
            "not made again"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o077, 0, "only the owner may read the key file");
        }
    }

    #[test]
    fn postgres_needs_the_setting() {
        let config = Config {
            database_url: "postgres://u@127.0.0.1/db".into(),
            ..Config::default()
        };
        let error = master_key(&config).expect_err("no key").to_string();
        assert!(error.contains("GUANXI_SECRET_KEY"), "{error}");
    }
}
