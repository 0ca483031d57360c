//! Liveness, readiness and metrics.

use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route("/healthz", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/readyz", get(ready))
        .route("/metrics", get(metrics))
}

/// Where to go from the root URL: the API description and health endpoints.
async fn index() -> Json<serde_json::Value> {
    Json(json!({
        "name": "Guanxi",
        "version": env!("CARGO_PKG_VERSION"),
        "api": "/api/v1/openapi.json",
        "tracking": "/v1/batch",
        "health": "/healthz",
    }))
}

/// Ready when the database answers.
async fn ready(State(state): State<AppState>) -> (StatusCode, Json<serde_json::Value>) {
    match state.store.ping().await {
        Ok(()) => (
            StatusCode::OK,
            Json(json!({"status": "ready", "database": state.store.backend()})),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "not ready: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "unavailable", "database": state.store.backend()})),
            )
        }
    }
}

async fn metrics(
    State(state): State<AppState>,
) -> ([(axum::http::HeaderName, &'static str); 1], String) {
    let jobs = state.store.job_counts().await.unwrap_or_default();
    let text = state.metrics.render(&[
        ("guanxi_jobs_queued", "jobs waiting to run", jobs.queued),
        ("guanxi_jobs_dead", "jobs that failed for good", jobs.dead),
    ]);
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        text,
    )
}
