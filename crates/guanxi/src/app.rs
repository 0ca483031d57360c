//! The assembled application: store, writer and HTTP state, built from a `Config`.

use crate::Config;
use anyhow::Context;
use guanxi_app::ingest::WriterConfig;
use guanxi_app::intelligence::Intelligence;
use guanxi_app::journeys::JourneyRunner;
use guanxi_app::messaging::{Clock, Dispatcher, Messaging};
use guanxi_app::{Ingestor, ShopSettings};
use guanxi_http::{AppState, Metrics};
use guanxi_store::{KeyStore, Store, StoreError};
use guanxi_store_sql::SqlStore;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// The source the orders API writes to when a caller names `api`.
pub const API_SOURCE: &str = "api";

/// How often a server reads the shop settings again, to follow a change saved on another.
const SETTINGS_REFRESH: Duration = Duration::from_secs(30);

pub struct App {
    pub store: Arc<SqlStore>,
    pub ingestor: Ingestor,
    pub settings: ShopSettings,
    max_upload_bytes: usize,
    writer: JoinHandle<()>,
    pub intelligence: Arc<Intelligence>,
    /// Consent, templates, campaigns; its clock can be replaced before `serve` (tests).
    pub messaging: Messaging,
    /// Whether `serve` sends messages and runs journeys in the background; tests that drive
    /// a manual clock drain deliveries and tick journeys themselves instead.
    pub send_in_background: bool,
}

impl App {
    /// Connects (migrating the database), starts the writer and makes sure the `api` source exists.
    pub async fn build(config: &Config) -> anyhow::Result<Self> {
        let defaults = config.settings()?;
        let store = Arc::new(crate::secret_key::connect(config).await?);
        let settings = ShopSettings::load(store.as_ref(), defaults)
            .await
            .context("the shop settings saved in the database cannot be read")?;
        let intelligence = Arc::new(Intelligence::default());
        let (ingestor, writer) = Ingestor::start(
            store.clone() as Arc<dyn Store>,
            WriterConfig {
                committed: intelligence.wake_handle(),
                ..WriterConfig::default()
            },
        );
        let messaging = Messaging {
            store: store.clone() as Arc<dyn Store>,
            settings: settings.clone(),
            clock: Clock::system(),
            config: Arc::new(config.messaging()?),
            intelligence: intelligence.clone(),
        };
        let app = Self {
            messaging,
            send_in_background: true,
            store,
            ingestor,
            settings,
            max_upload_bytes: config.max_upload_mb.saturating_mul(1024 * 1024),
            writer,
            intelligence,
        };
        app.ensure_api_source().await?;
        // Before anything serves: every server and command sees the same segments.
        guanxi_app::builtin_segments::ensure(app.store.as_ref())
            .await
            .context("the built-in segments could not be created")?;
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
            settings: self.settings.clone(),
            metrics: Arc::new(Metrics::default()),
            keys: Arc::default(),
            max_upload_bytes: self.max_upload_bytes,
            activity: Arc::default(),
            intelligence: self.intelligence.clone(),
            messaging: self.messaging.clone(),
        }
    }

    /// Serves on `listener` until `shutdown`, then lets the writer commit what it accepted.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        // Only a server follows other servers' settings and needs the engine: commands such as
        // `import` never start them.
        let settings_refresh =
            tokio::spawn(follow_settings(self.settings.clone(), self.store.clone()));
        let intelligence = tokio::spawn({
            let (engine, store, settings) = (
                self.intelligence.clone(),
                self.store.clone(),
                self.settings.clone(),
            );
            async move { engine.run(store.as_ref(), &settings).await }
        });
        let dispatcher = Dispatcher::new(self.messaging.clone())
            .map_err(|e| anyhow::anyhow!("messaging cannot start: {e}"))?;
        let dispatcher = self
            .send_in_background
            .then(|| tokio::spawn(Arc::new(dispatcher).run()));
        let journeys = self.send_in_background.then(|| {
            let runner = JourneyRunner::new(self.messaging.clone(), self.ingestor.clone());
            tokio::spawn(Arc::new(runner).run())
        });
        let served = guanxi_http::serve(listener, self.state(), shutdown).await;
        for task in [dispatcher, journeys].into_iter().flatten() {
            task.abort();
        }
        intelligence.abort();
        settings_refresh.abort();
        served.context("the HTTP server failed")?;
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

/// Reads the shop settings again now and then, so a change saved on another server reaches this
/// one within `SETTINGS_REFRESH`.
async fn follow_settings(settings: ShopSettings, store: Arc<SqlStore>) {
    let mut tick = tokio::time::interval(SETTINGS_REFRESH);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tick.tick().await;
        if let Err(e) = settings.refresh(store.as_ref()).await {
            tracing::warn!(error = %e, "could not read the shop settings again; keeping the last ones");
        }
    }
}
