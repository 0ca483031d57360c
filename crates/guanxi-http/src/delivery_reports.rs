//! Delivery reports from e-mail relays and SMS gateways: `POST /webhooks/deliveries` with the
//! configured token in `X-Guanxi-Token` and one report or a list of them:
//! `{"delivery_id": 12, "status": "bounced", "reason": "550 no such user"}`. An e-mail report
//! may name the message by its `message_id` (`<delivery-12@guanxi>`) instead; `status` is
//! `delivered`, `bounced` (hard), `soft_bounced` or `complained`.

use crate::{ApiError, AppState, body};
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use guanxi_app::messaging::reports::{self, Outcome};
use serde_json::{Value, json};

/// The delivery a report names: its id, or the Message-ID the e-mail went out with.
fn delivery_of(report: &Value) -> Option<i64> {
    if let Some(id) = report.get("delivery_id").and_then(|v| {
        v.as_i64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
    }) {
        return Some(id);
    }
    report
        .get("message_id")
        .and_then(Value::as_str)?
        .trim_matches(['<', '>'])
        .strip_prefix("delivery-")?
        .split('@')
        .next()?
        .parse()
        .ok()
}

pub async fn receive(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    crate::provider_token::require(&headers, state.messaging.config.report_token.as_deref())?;
    let bytes = body::read(&headers, body, 256 * 1024).await?;
    let reports = match body::json::<Value>(&bytes)? {
        Value::Array(items) => items,
        one => vec![one],
    };
    // A provider resends a batch that failed whole: one unreadable report is counted and
    // skipped rather than holding back the rest.
    let (mut applied, mut unknown, mut unreadable) = (0, 0, 0);
    for report in &reports {
        let outcome = report
            .get("status")
            .and_then(Value::as_str)
            .map(Outcome::parse);
        let (Some(id), Some(Ok(outcome))) = (delivery_of(report), outcome) else {
            unreadable += 1;
            continue;
        };
        let reason = report.get("reason").and_then(Value::as_str);
        if reports::report(&state.messaging, id, outcome, reason).await? {
            applied += 1;
        } else {
            unknown += 1;
        }
    }
    Ok(Json(
        json!({"success": true, "applied": applied, "unchanged": unknown, "unreadable": unreadable}),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_names_its_delivery_by_id_or_message_id() {
        assert_eq!(delivery_of(&json!({"delivery_id": 12})), Some(12));
        assert_eq!(delivery_of(&json!({"delivery_id": "12"})), Some(12));
        assert_eq!(
            delivery_of(&json!({"message_id": "<delivery-12@guanxi>"})),
            Some(12)
        );
        assert_eq!(delivery_of(&json!({"message_id": "<abc@mail>"})), None);
    }
}
