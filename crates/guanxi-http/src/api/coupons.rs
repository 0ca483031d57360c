//! Coupon codes the messages carried (`{{ coupon_code }}`): the shop's checkout asks whether a
//! code is genuine and whose it is.

use crate::extract::ApiPath;
use crate::{ApiError, AppState, auth};
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use guanxi_app::messaging::coupons;
use guanxi_domain::time::to_rfc3339;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct CouponDoc {
    code: String,
    customer_id: i64,
    delivery_id: i64,
    /// `campaign:ID` or `journey:…`: what sent it.
    origin: String,
    channel: String,
    sent_at: Option<String>,
}

/// A genuine code answers who it was sent to and by what; anything else is 404. Whether it
/// was already used, and what it is worth, is the shop's (and later the loyalty module's).
#[utoipa::path(get, path = "/api/v1/coupons/{code}", tag = "messaging", params(("code" = String, Path)),
    responses((status = 200, body = CouponDoc), (status = 404)))]
pub async fn check(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(code): ApiPath<String>,
) -> Result<Json<CouponDoc>, ApiError> {
    let principal = auth::api_principal(&state, &headers).await?;
    let Some(d) = coupons::lookup(&state.messaging, &principal, &code).await? else {
        return Err(ApiError::NotFound("coupon"));
    };
    Ok(Json(CouponDoc {
        code: code.trim().to_ascii_uppercase(),
        customer_id: d.customer.0,
        delivery_id: d.id,
        origin: d.origin,
        channel: d.channel.as_str().to_owned(),
        sent_at: d.sent_at.map(to_rfc3339),
    }))
}
