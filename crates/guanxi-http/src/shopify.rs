//! Shopify webhooks at `/webhooks/shopify/{source}`: the HMAC-SHA256 of the raw body is
//! checked in constant time, replays are recognised by the webhook's event id, and the answer
//! comes as soon as the write commits.

use crate::{ApiError, AppState, body};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine;
use guanxi_app::{WriteItem, WriteOp};
use guanxi_channels::shopify_webhook::{self, ShopifyRecord, ShopifyTopic};
use guanxi_domain::{FieldError, IdentityKey, IdentityKind, OrderChange};
use guanxi_store::{Source, StoreError};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use std::sync::atomic::Ordering;

const MAX_WEBHOOK_BYTES: usize = 2 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new().route("/webhooks/shopify/{source}", post(receive))
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// Constant-time comparison of the body's HMAC with the signature Shopify sent.
fn signature_matches(secret: &str, body: &[u8], signature: &str) -> bool {
    let Ok(expected) = base64::engine::general_purpose::STANDARD.decode(signature) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

async fn receive(
    State(state): State<AppState>,
    Path(source_name): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let source = match state.store.source_by_name(&source_name).await {
        Ok(s) if s.kind == "shopify" => s,
        Ok(_) | Err(StoreError::NotFound(_)) => return Err(ApiError::NotFound("shopify source")),
        Err(e) => return Err(e.into()),
    };
    let delivered = deliver(&state, &source, &headers, body).await;
    state.activity.record(source.id, &delivered);
    delivered
}

/// Checks, parses and writes one webhook delivery from a known Shopify source.
async fn deliver(
    state: &AppState,
    source: &Source,
    headers: &HeaderMap,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let bytes = body::read(headers, body, MAX_WEBHOOK_BYTES).await?;
    let secret = source.webhook_secret.as_deref().unwrap_or_default();
    let signature = header(headers, "x-shopify-hmac-sha256")
        .ok_or(ApiError::Unauthorized("missing X-Shopify-Hmac-Sha256"))?;
    if secret.is_empty() || !signature_matches(secret, &bytes, signature) {
        return Err(ApiError::Unauthorized(
            "the webhook signature does not match",
        ));
    }
    state
        .metrics
        .webhooks_received
        .fetch_add(1, Ordering::Relaxed);
    let Some(topic) =
        header(headers, "x-shopify-topic").and_then(|t| t.parse::<ShopifyTopic>().ok())
    else {
        // Topics we do not use are acknowledged so Shopify does not retry them.
        return Ok(Json(json!({ "success": true, "ignored": true })));
    };
    // Shopify retries a refused delivery for 48 hours and then deletes the subscription, so a
    // payload we cannot use is acknowledged, logged by field, and skipped.
    let record = match body::json::<Value>(&bytes)
        .map_err(|e| FieldError::new("body", e.to_string()))
        .and_then(|payload| {
            shopify_webhook::parse(topic, &payload, source.id, state.settings.current().region)
        }) {
        Ok(record) => record,
        Err(e) => {
            tracing::warn!(source.id = source.id.0, topic = topic.as_str(), field = %e.field, "unusable Shopify webhook skipped");
            return Ok(Json(
                json!({ "success": true, "ignored": true, "error": { "field": e.field, "message": e.reason } }),
            ));
        }
    };
    let op = match record {
        ShopifyRecord::Order(OrderChange::Upsert(mut order)) => {
            if order.customer.identities.is_empty() {
                // A guest checkout with no usable contact: one stable customer per order, as imports do.
                let kind = IdentityKind::External {
                    source: source.name.clone(),
                };
                let key = IdentityKey::new(
                    kind,
                    &format!("order:{}", order.external_id),
                    state.settings.current().region,
                )?;
                order.customer.identities.push(key);
            }
            WriteOp::Order(OrderChange::Upsert(order))
        }
        ShopifyRecord::Order(change) => WriteOp::Order(change),
        ShopifyRecord::Profile(profile) => WriteOp::Profile(profile),
        ShopifyRecord::Nothing => return Ok(Json(json!({ "success": true, "ignored": true }))),
    };
    let receipt = header(headers, "x-shopify-event-id")
        .or_else(|| header(headers, "x-shopify-webhook-id"))
        .map(|id| (source.id, format!("shopify:{id}")));
    let outcomes = state
        .ingestor
        .write(vec![WriteItem {
            receipt,
            ops: vec![op],
        }])
        .await?;
    let duplicate = outcomes
        .first()
        .is_some_and(|o| o.status == guanxi_app::OutcomeStatus::Duplicate);
    Ok(Json(json!({ "success": true, "duplicate": duplicate })))
}
