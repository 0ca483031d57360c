//! Replies to SMS, pushed by the gateway: `POST /webhooks/sms/replies` with the configured
//! token in `X-Guanxi-Token`, and `{"phone": "…", "text": "…"}` (Aliyun's `phone_number` and
//! `content` too, one or many). "回T退订": an opt-out reply withdraws SMS consent.

use crate::{ApiError, AppState, body};
use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use guanxi_app::messaging::consent;
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/webhooks/sms/replies", post(replies))
        .route(
            "/webhooks/deliveries",
            post(crate::delivery_reports::receive),
        )
}

fn text_of<'a>(reply: &'a Value, keys: &[&str]) -> Option<&'a str> {
    keys.iter()
        .find_map(|k| reply.get(*k).and_then(Value::as_str))
}

async fn replies(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    crate::provider_token::require(&headers, state.messaging.config.sms_reply_token.as_deref())?;
    let bytes = body::read(&headers, body, 64 * 1024).await?;
    let parsed: Value = body::json(&bytes)?;
    let replies = match parsed {
        Value::Array(items) => items,
        one => vec![one],
    };
    // One unreadable reply must not hold back the opt-outs after it (gateways resend a batch
    // that failed whole): it is counted and skipped.
    let (mut opted_out, mut unreadable) = (0, 0);
    for reply in &replies {
        let phone = text_of(reply, &["phone", "phone_number", "mobile"]);
        let text = text_of(reply, &["text", "content"]);
        let (Some(phone), Some(text)) = (phone, text) else {
            unreadable += 1;
            continue;
        };
        match consent::sms_reply(&state.messaging, phone, text).await {
            Ok(true) => opted_out += 1,
            Ok(false) => {}
            Err(guanxi_app::messaging::MessagingError::Invalid(_)) => unreadable += 1,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Json(
        json!({"success": true, "opted_out": opted_out, "unreadable": unreadable}),
    ))
}
