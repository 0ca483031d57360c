//! `guanxi apikey create`, `guanxi source create|list`, `guanxi migrate`, `guanxi backup`.
#![allow(clippy::print_stdout)] // These commands print their results; secrets alone on the last line.

use crate::{App, Config};
use guanxi_app::credentials::{self, By, CredentialError};
use guanxi_store::KeyStore;
use std::path::Path;

pub async fn create_api_key(config: &Config, name: &str, scopes: &[String]) -> anyhow::Result<()> {
    let app = App::build(config).await?;
    let (key, secret) =
        credentials::issue_api_key(app.store.as_ref(), &By::CommandLine, name, scopes).await?;
    println!(
        "Created API key {} ({}) with scopes {}. It is shown once:",
        key.id,
        key.name,
        key.scopes.join(",")
    );
    println!("{secret}");
    app.shutdown().await;
    Ok(())
}

pub async fn create_source(config: &Config, name: &str, kind: &str) -> anyhow::Result<()> {
    let app = App::build(config).await?;
    let created = credentials::register_source(app.store.as_ref(), &By::CommandLine, name, kind)
        .await
        .map_err(|e| match e {
            CredentialError::Invalid("name", reason) if reason.contains("taken") => {
                anyhow::anyhow!(
                    "a source named {:?} already exists (see `guanxi source list`)",
                    name.trim()
                )
            }
            e => e.into(),
        })?;
    let what = if kind == "shopify" {
        "webhook secret"
    } else {
        "write key"
    };
    println!(
        "Created source {} ({}). Its {what} is shown once:",
        created.source.name, created.source.kind
    );
    println!("{}", created.secret);
    app.shutdown().await;
    Ok(())
}

pub async fn list_sources(config: &Config) -> anyhow::Result<()> {
    let app = App::build(config).await?;
    for s in app.store.list_sources().await? {
        println!("{}\t{}\t{}", s.id, s.name, s.kind);
    }
    app.shutdown().await;
    Ok(())
}

pub async fn migrate(config: &Config) -> anyhow::Result<()> {
    let app = App::build(config).await?;
    println!(
        "The {} database is up to date.",
        app.store.backend_kind().name()
    );
    app.shutdown().await;
    Ok(())
}

pub async fn backup(config: &Config, file: &Path) -> anyhow::Result<()> {
    if file.exists() {
        anyhow::bail!("{} exists; choose a new file", file.display());
    }
    let app = App::build(config).await?;
    let path = file
        .to_str()
        .ok_or_else(|| anyhow::anyhow!("the backup path is not UTF-8"))?;
    app.store.backup_to(path).await?;
    println!("Backed up to {}.", file.display());
    // The copy's personal data opens only with the key it was sealed with.
    match (
        &config.secret_key,
        crate::secret_key::key_file(&config.database_url)?,
    ) {
        (None, Some(key)) => println!(
            "Its personal data is sealed with the key in {}: keep a copy of that file apart from \
             the backup, and restore them side by side ({}.key).",
            key.display(),
            file.display()
        ),
        _ => println!(
            "Its personal data is sealed with GUANXI_SECRET_KEY: restore it with that key."
        ),
    }
    app.shutdown().await;
    Ok(())
}
