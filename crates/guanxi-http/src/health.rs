//! Liveness, readiness and metrics.

use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/readyz", get(ready))
        .route("/metrics", get(metrics))
}

/// Ready when the database answers and the writer takes requests.
async fn ready(State(state): State<AppState>) -> (StatusCode, Json<serde_json::Value>) {
    let database = state.store.backend();
    if !state.ingestor.is_running() {
        tracing::error!("not ready: the writer has stopped");
        let body = json!({"status": "unavailable", "database": database, "writer": "stopped"});
        return (StatusCode::SERVICE_UNAVAILABLE, Json(body));
    }
    match state.store.ping().await {
        Ok(()) => (
            StatusCode::OK,
            Json(json!({"status": "ready", "database": database})),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "not ready: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "unavailable", "database": database})),
            )
        }
    }
}

async fn metrics(
    State(state): State<AppState>,
) -> ([(axum::http::HeaderName, &'static str); 1], String) {
    // A database that cannot answer shows as down, not as an empty queue.
    let gauges = match state.store.job_counts().await {
        Ok(jobs) => vec![
            ("guanxi_store_up", "whether the database answers", 1),
            ("guanxi_jobs_queued", "jobs waiting to run", jobs.queued),
            ("guanxi_jobs_dead", "jobs that failed for good", jobs.dead),
        ],
        Err(e) => {
            tracing::warn!(error = %e, "metrics: database unreachable");
            vec![("guanxi_store_up", "whether the database answers", 0)]
        }
    };
    let text = state.metrics.render(&gauges);
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        text,
    )
}
