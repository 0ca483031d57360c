//! The one error type of the HTTP edge and its mapping to status codes:
//! `{"error":{"code":"…","message":"…","field":"…"}}`. Internal errors are logged with their
//! cause and answered with a generic message that leaks nothing.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use guanxi_app::IngestError;
use guanxi_domain::FieldError;
use guanxi_store::StoreError;
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Invalid(FieldError),
    #[error("the body is not valid JSON: {0}")]
    InvalidJson(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    Unauthorized(&'static str),
    /// Names what is missing: a permission, a field that may not be revealed, a data scope.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0} already exists")]
    Conflict(&'static str),
    #[error("too many requests; retry shortly")]
    Overloaded,
    #[error("the database is busy or unavailable; retry shortly")]
    Unavailable,
    /// Something this server builds at start is not ready yet; says what.
    #[error("{0}; retry shortly")]
    Starting(&'static str),
    #[error("internal error")]
    Internal(String),
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        Self::Invalid(e)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => Self::NotFound(what),
            StoreError::Conflict(what) => Self::Conflict(what),
            StoreError::Busy(cause) => {
                tracing::warn!(error = %cause, "database busy");
                Self::Unavailable
            }
            StoreError::Other(cause) => {
                // The whole cause chain, for whoever reads the server log.
                let mut chain = cause.to_string();
                let mut source = cause.source();
                while let Some(s) = source {
                    chain.push_str(": ");
                    chain.push_str(&s.to_string());
                    source = s.source();
                }
                Self::Internal(chain)
            }
        }
    }
}

impl From<guanxi_domain::access::Denied> for ApiError {
    fn from(e: guanxi_domain::access::Denied) -> Self {
        Self::Forbidden(e.to_string())
    }
}

impl From<guanxi_app::customers::AccessError> for ApiError {
    fn from(e: guanxi_app::customers::AccessError) -> Self {
        match e {
            guanxi_app::customers::AccessError::Denied(d) => d.into(),
            guanxi_app::customers::AccessError::Store(s) => s.into(),
        }
    }
}

impl From<guanxi_app::ActionError> for ApiError {
    fn from(e: guanxi_app::ActionError) -> Self {
        match e {
            guanxi_app::ActionError::Denied(d) => d.into(),
            guanxi_app::ActionError::Invalid(field, reason) => {
                Self::Invalid(FieldError::new(field, reason))
            }
            guanxi_app::ActionError::Store(s) => s.into(),
        }
    }
}

impl From<guanxi_app::segments::SegmentError> for ApiError {
    fn from(e: guanxi_app::segments::SegmentError) -> Self {
        match e {
            guanxi_app::segments::SegmentError::Action(a) => a.into(),
            guanxi_app::segments::SegmentError::Rule(r) => {
                Self::Invalid(FieldError::new(r.at, r.reason))
            }
        }
    }
}

impl From<guanxi_app::messaging::MessagingError> for ApiError {
    fn from(e: guanxi_app::messaging::MessagingError) -> Self {
        match e {
            guanxi_app::messaging::MessagingError::Action(a) => a.into(),
            guanxi_app::messaging::MessagingError::Invalid(f) => Self::Invalid(f),
        }
    }
}

impl From<IngestError> for ApiError {
    fn from(e: IngestError) -> Self {
        match e {
            IngestError::Overloaded => Self::Overloaded,
            IngestError::Closed => Self::Unavailable,
            IngestError::Store(s) => s.into(),
            IngestError::Invalid(f) => Self::Invalid(f),
        }
    }
}

impl ApiError {
    /// The HTTP status and the `code` the error answer carries.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::Invalid(_) => (StatusCode::BAD_REQUEST, "invalid"),
            Self::InvalidJson(_) => (StatusCode::BAD_REQUEST, "invalid_json"),
            Self::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            Self::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Self::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            Self::Overloaded => (StatusCode::TOO_MANY_REQUESTS, "overloaded"),
            Self::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            Self::Starting(_) => (StatusCode::SERVICE_UNAVAILABLE, "starting"),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Self::Internal(cause) = &self {
            tracing::error!(error = %cause, "request failed");
        }
        let (status, code) = self.status_and_code();
        let (message, field) = match &self {
            Self::Invalid(f) => (f.reason.clone(), Some(f.field.clone())),
            other => (other.to_string(), None),
        };
        let mut error = json!({ "code": code, "message": message });
        if let Some(field) = field {
            error["field"] = json!(field);
        }
        let mut response = (status, axum::Json(json!({ "error": error }))).into_response();
        if matches!(
            self,
            Self::Overloaded | Self::Unavailable | Self::Starting(_)
        ) {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}
