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
use guanxi_domain::FieldError;
use serde_json::{Value, json};
use subtle::ConstantTimeEq;

pub fn router() -> Router<AppState> {
    Router::new().route("/webhooks/sms/replies", post(replies))
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
    let Some(expected) = state.messaging.config.sms_reply_token.as_deref() else {
        return Err(ApiError::NotFound("route"));
    };
    let given = headers
        .get("x-guanxi-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
        return Err(ApiError::Unauthorized(
            "the X-Guanxi-Token header is missing or wrong",
        ));
    }
    let bytes = body::read(&headers, body, 64 * 1024).await?;
    let parsed: Value = body::json(&bytes)?;
    let replies = match parsed {
        Value::Array(items) => items,
        one => vec![one],
    };
    let mut opted_out = 0;
    for (i, reply) in replies.iter().enumerate() {
        let phone = text_of(reply, &["phone", "phone_number", "mobile"])
            .ok_or_else(|| FieldError::new(format!("[{i}].phone"), "is required"))?;
        let text = text_of(reply, &["text", "content"])
            .ok_or_else(|| FieldError::new(format!("[{i}].text"), "is required"))?;
        if consent::sms_reply(&state.messaging, phone, text).await? {
            opted_out += 1;
        }
    }
    Ok(Json(json!({"success": true, "opted_out": opted_out})))
}
