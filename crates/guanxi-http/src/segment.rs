//! The Segment HTTP Tracking API at `/v1/*`, so existing Segment and RudderStack SDKs work
//! unchanged: write key as Basic user name or `writeKey`, gzip honoured, 32 KB per message,
//! 500 KB per batch, dedupe on `messageId`, `{"success":true}` only after the commit.

use crate::{ApiError, AppState, auth, body};
use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Json, Router};
use guanxi_app::{OutcomeStatus, WriteItem, WriteOp};
use guanxi_channels::segment::{self, Envelope};
use guanxi_domain::{EventKind, FieldError};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};
use std::sync::atomic::Ordering;

const MAX_MESSAGE_BYTES: usize = 32 * 1024;
const MAX_BATCH_BYTES: usize = 500 * 1024;

pub fn router() -> Router<AppState> {
    let mut router = Router::new()
        .route("/v1/batch", post(batch))
        .route("/v1/import", post(batch));
    for (path, short, kind) in [
        ("/v1/identify", "/v1/i", EventKind::Identify),
        ("/v1/track", "/v1/t", EventKind::Track),
        ("/v1/page", "/v1/p", EventKind::Page),
        ("/v1/screen", "/v1/s", EventKind::Screen),
        ("/v1/group", "/v1/g", EventKind::Group),
        ("/v1/alias", "/v1/a", EventKind::Alias),
    ] {
        let handler = post(
            move |state: State<AppState>, headers: HeaderMap, body: Body| {
                single(state, headers, body, kind)
            },
        );
        router = router.route(path, handler.clone()).route(short, handler);
    }
    router
}

#[derive(Deserialize)]
struct BatchBody<'a> {
    #[serde(borrow)]
    batch: Vec<&'a RawValue>,
    #[serde(rename = "writeKey")]
    write_key: Option<String>,
    #[serde(rename = "sentAt")]
    sent_at: Option<Value>,
    context: Option<Value>,
}

async fn batch(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let bytes = body::read(&headers, body, MAX_BATCH_BYTES).await?;
    let parsed: BatchBody = body::json(&bytes)?;
    let source =
        auth::source_by_write_key(&state, auth::basic_user(&headers).or(parsed.write_key)).await?;
    let accepted = async {
        let env = Envelope {
            source: source.id,
            source_name: &source.name,
            region: state.settings.current().region,
            received_at: chrono::Utc::now().timestamp_millis(),
            sent_at: parsed.sent_at.as_ref(),
        };
        let mut items = Vec::with_capacity(parsed.batch.len());
        for (i, raw) in parsed.batch.iter().enumerate() {
            let at = |e: FieldError| ApiError::Invalid(e.within(&format!("batch[{i}]")));
            if raw.get().len() > MAX_MESSAGE_BYTES {
                return Err(at(FieldError::new("", "is larger than 32 KB")));
            }
            let mut message: Value = serde_json::from_str(raw.get())
                .map_err(|e| ApiError::InvalidJson(e.to_string()))?;
            inherit_context(&mut message, parsed.context.as_ref());
            items.push(item(segment::parse(&message, None, &env).map_err(at)?));
        }
        write(&state, items).await
    }
    .await;
    state.activity.record(source.id, &accepted);
    accepted
}

async fn single(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
    kind: EventKind,
) -> Result<Json<Value>, ApiError> {
    let bytes = body::read(&headers, body, MAX_MESSAGE_BYTES).await?;
    let message: Value = body::json(&bytes)?;
    let body_key = message
        .get("writeKey")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let source = auth::source_by_write_key(&state, auth::basic_user(&headers).or(body_key)).await?;
    let env = Envelope {
        source: source.id,
        source_name: &source.name,
        region: state.settings.current().region,
        received_at: chrono::Utc::now().timestamp_millis(),
        sent_at: None,
    };
    let accepted = match segment::parse(&message, Some(kind), &env) {
        Ok(parsed) => write(&state, vec![item(parsed)]).await,
        Err(e) => Err(e.into()),
    };
    state.activity.record(source.id, &accepted);
    accepted
}

/// A batch-level `context` applies to messages that have none of their own.
fn inherit_context(message: &mut Value, context: Option<&Value>) {
    if let (Some(context), Value::Object(m)) = (context, message) {
        m.entry("context").or_insert_with(|| context.clone());
    }
}

fn item(message: segment::Message) -> WriteItem {
    let receipt = Some((message.event.source, message.event.message_id.clone()));
    let mut ops = vec![WriteOp::Event(message.event)];
    ops.extend(message.order.map(WriteOp::Order));
    WriteItem { receipt, ops }
}

async fn write(state: &AppState, items: Vec<WriteItem>) -> Result<Json<Value>, ApiError> {
    let outcomes = state.ingestor.write(items).await?;
    let duplicates = outcomes
        .iter()
        .filter(|o| o.status == OutcomeStatus::Duplicate)
        .count() as u64;
    state
        .metrics
        .events_duplicate
        .fetch_add(duplicates, Ordering::Relaxed);
    state
        .metrics
        .events_accepted
        .fetch_add(outcomes.len() as u64 - duplicates, Ordering::Relaxed);
    Ok(Json(json!({ "success": true })))
}
