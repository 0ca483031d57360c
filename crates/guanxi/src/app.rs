//! The assembled application: store, writer and HTTP state, built from a `Config`.

use crate::Config;
use anyhow::Context;
use guanxi_app::ingest::WriterConfig;
use guanxi_app::{Ingestor, Settings};
use guanxi_http::{AppState, Metrics};
use guanxi_store::{KeyStore, Store, StoreError};
use guanxi_store_sql::SqlStore;
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// The source the orders API writes to when a caller names `api`.
pub const API_SOURCE: &str = "api";

pub struct App {
    pub store: Arc<SqlStore>,
    pub ingestor: Ingestor,
    pub settings: Settings,
    max_upload_bytes: usize,
    writer: JoinHandle<()>,
}

impl App {
    /// Connects (migrating the database), starts the writer and makes sure the `api` source exists.
    pub async fn build(config: &Config) -> anyhow::Result<Self> {
        let settings = config.settings()?;
        let store = Arc::new(crate::secret_key::connect(config).await?);
        let (ingestor, writer) =
            Ingestor::start(store.clone() as Arc<dyn Store>, WriterConfig::default());
        let app = Self {
            store,
            ingestor,
            settings,
            max_upload_bytes: config.max_upload_mb.saturating_mul(1024 * 1024),
            writer,
        };
        app.ensure_api_source().await?;
        Ok(app)
    }

    async fn ensure_api_source(&self) -> anyhow::Result<()> {
        match self.store.source_by_name(API_SOURCE).await {
            Ok(_) => Ok(()),
            Err(StoreError::NotFound(_)) => {
                match guanxi_app::keys::create_source(self.store.as_ref(), API_SOURCE, "api").await
                {
                    // Another replica created it first: fine.
                    Ok(_) | Err(guanxi_app::keys::KeyError::Store(StoreError::Conflict(_))) => {
                        Ok(())
                    }
                    Err(e) => Err(e.into()),
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    pub fn state(&self) -> AppState {
        AppState {
            store: self.store.clone(),
            ingestor: self.ingestor.clone(),
            settings: self.settings,
            metrics: Arc::new(Metrics::default()),
            keys: Arc::default(),
            max_upload_bytes: self.max_upload_bytes,
            activity: Arc::default(),
        }
    }

    /// Serves on `listener` until `shutdown`, then lets the writer commit what it accepted.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        guanxi_http::serve(listener, self.state(), shutdown)
            .await
            .context("the HTTP server failed")?;
        self.shutdown().await;
        Ok(())
    }

    /// Stops the writer after it has answered everything queued, and closes the database.
    pub async fn shutdown(self) {
        let Self {
            store,
            ingestor,
            writer,
            ..
        } = self;
        drop(ingestor);
        if let Err(e) = writer.await {
            tracing::error!(error = %e, "the writer stopped abnormally");
        }
        store.close().await;
    }
}
