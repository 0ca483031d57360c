//! Prometheus counters, kept in atomics and rendered as text at `/metrics`.

use crate::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct Metrics {
    pub requests_2xx: AtomicU64,
    pub requests_4xx: AtomicU64,
    pub requests_5xx: AtomicU64,
    pub events_accepted: AtomicU64,
    pub events_duplicate: AtomicU64,
    pub orders_written: AtomicU64,
    pub webhooks_received: AtomicU64,
}

impl Metrics {
    pub fn render(&self, extra: &[(&str, &str, i64)]) -> String {
        let mut out = String::new();
        let counters = [
            (
                "guanxi_http_responses_total{class=\"2xx\"}",
                &self.requests_2xx,
            ),
            (
                "guanxi_http_responses_total{class=\"4xx\"}",
                &self.requests_4xx,
            ),
            (
                "guanxi_http_responses_total{class=\"5xx\"}",
                &self.requests_5xx,
            ),
            ("guanxi_events_accepted_total", &self.events_accepted),
            ("guanxi_events_duplicate_total", &self.events_duplicate),
            ("guanxi_orders_written_total", &self.orders_written),
            ("guanxi_webhooks_received_total", &self.webhooks_received),
        ];
        let _ = writeln!(out, "# TYPE guanxi_http_responses_total counter");
        for (name, value) in counters {
            let _ = writeln!(out, "{name} {}", value.load(Ordering::Relaxed));
        }
        for (name, help, value) in extra {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
            );
        }
        out
    }
}

/// Counts responses by class and logs each request by its route pattern — never the raw
/// URI, whose query may carry an e-mail or phone.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let method = request.method().clone();
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let counter = match status {
        500.. => &state.metrics.requests_5xx,
        400..=499 => &state.metrics.requests_4xx,
        _ => &state.metrics.requests_2xx,
    };
    counter.fetch_add(1, Ordering::Relaxed);
    tracing::debug!(http.method = %method, http.route = %route, http.status = status, duration_ms = started.elapsed().as_millis() as u64, "request");
    response
}
