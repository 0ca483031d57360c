//! `guanxi serve`: listen, optionally load the demo shop, print the URL, stop on Ctrl-C/SIGTERM.
#![allow(clippy::print_stdout)] // Printing the URL is this command's job.

use crate::{App, Config};
use anyhow::Context;
use guanxi_store::{KeyStore, StaffStore};

pub async fn run(config: &Config, demo: bool) -> anyhow::Result<()> {
    let app = App::build(config).await?;
    if demo {
        // "Empty" means nothing but the built-in api source.
        if app.store.list_sources().await?.len() <= 1 {
            println!("Loading the demo shop (10,000 customers)…");
            let loaded = super::demo::load(&app, 10_000, 42).await?;
            println!("{loaded}");
        } else {
            println!("The database already has data; not loading the demo shop.");
        }
    }
    let owner_password = if demo {
        let password = super::users::demo_owner(&app).await?;
        super::demo_engagement::load(&app).await?;
        Some(password)
    } else {
        None
    };
    if !demo && app.store.count_users().await? == 0 {
        println!(
            "No staff accounts yet: create the first with `guanxi user create --email YOU@SHOP --role owner`."
        );
    }
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(listen = %addr, database = app.store.backend_kind().name(), "serving");
    println!("Guanxi is ready: http://{addr}/  (API: http://{addr}/api/v1/openapi.json)");
    if let Some(password) = owner_password {
        println!(
            "Sign in as {} with the password {password}",
            super::users::DEMO_OWNER
        );
    }
    app.serve(listener, shutdown_signal()).await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
