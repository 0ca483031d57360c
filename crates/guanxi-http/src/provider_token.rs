//! Callbacks from the shop's providers (SMS replies, delivery reports) carry a token the shop
//! configured, in `X-Guanxi-Token`, compared in constant time. Without a configured token the
//! callback does not exist.

use crate::ApiError;
use axum::http::HeaderMap;
use subtle::ConstantTimeEq;

pub fn require(headers: &HeaderMap, expected: Option<&str>) -> Result<(), ApiError> {
    let Some(expected) = expected else {
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
    Ok(())
}
