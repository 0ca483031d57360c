//! Reading request bodies with limits: gzip is honoured whatever the content type, and the
//! limit applies to the decompressed size so a small bomb cannot blow up memory.

use crate::ApiError;
use axum::body::{Body, Bytes};
use axum::http::HeaderMap;
use std::io::Read;

/// Compressed bodies larger than this are refused before decompression.
const MAX_WIRE_BYTES: usize = 2 * 1024 * 1024;

pub async fn read(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes, ApiError> {
    let too_large = || ApiError::TooLarge(format!("the body is larger than {} KB", limit / 1024));
    let raw = axum::body::to_bytes(body, MAX_WIRE_BYTES.max(limit))
        .await
        .map_err(|_| too_large())?;
    let gzip = headers
        .get(axum::http::header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("gzip"));
    let bytes = if gzip {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&raw[..])
            .take(limit as u64 + 1)
            .read_to_end(&mut out)
            .map_err(|e| {
                ApiError::InvalidJson(format!("the gzip body cannot be decompressed: {e}"))
            })?;
        Bytes::from(out)
    } else {
        raw
    };
    if bytes.len() > limit {
        return Err(too_large());
    }
    Ok(bytes)
}

/// Parses JSON, naming line and column of the first problem.
pub fn json<'a, T: serde::Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| ApiError::InvalidJson(e.to_string()))
}
