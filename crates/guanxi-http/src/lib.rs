//! The HTTP edge: the Segment-compatible tracking API, the JSON API under `/api/v1`, Shopify
//! webhooks, health/metrics, and the operator console. Everything is parsed and validated here; use cases live in
//! `guanxi-app`.

pub mod activity;
mod api;
mod auth;
mod body;
mod console;
mod delivery_reports;
mod error;
mod extract;
mod health;
mod message_links;
mod metrics;
mod provider_token;
mod segment;
mod shopify;
mod sms_replies;

pub use error::ApiError;
pub use metrics::Metrics;

use axum::Router;
use axum::serve::ListenerExt;
use guanxi_app::{Ingestor, ShopSettings};
use guanxi_store::Store;
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub ingestor: Ingestor,
    /// The shop's settings as last saved; read them afresh in each request.
    pub settings: ShopSettings,
    pub metrics: Arc<Metrics>,
    /// Recently authenticated API keys.
    pub keys: Arc<guanxi_app::key_cache::KeyCache>,
    /// The largest file the console accepts for import.
    pub max_upload_bytes: usize,
    /// What each source sent lately, for the console.
    pub activity: Arc<activity::SourceActivity>,
    /// This server's intelligence engine: scores from memory.
    pub intelligence: Arc<guanxi_app::intelligence::Intelligence>,
    /// Consent, templates, campaigns and the links in messages.
    pub messaging: guanxi_app::messaging::Messaging,
}

pub fn router(state: AppState) -> Router {
    let (api, openapi) = api::router().split_for_parts();
    let openapi = Arc::new(openapi);
    Router::new()
        .merge(segment::router())
        .merge(shopify::router())
        .merge(message_links::router())
        .merge(sms_replies::router())
        .merge(health::router())
        .merge(console::router(state.max_upload_bytes))
        .merge(api)
        .route(
            "/api/v1/openapi.json",
            axum::routing::get(move || {
                let doc = Arc::clone(&openapi);
                async move { axum::Json(doc.as_ref().clone()) }
            }),
        )
        .fallback(|| async { ApiError::NotFound("route") })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .with_state(state)
}

/// Serves until `shutdown` resolves, then finishes the requests in flight.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Answers are small and latency-bound (a client waits for each ack before its next batch):
    // without TCP_NODELAY, Nagle's algorithm can hold a reply back until the peer's delayed ACK.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY on a connection");
        }
    });
    // Connection info gives the audit log each log-in's address.
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
