//! `GET /api/v1/customers/{id}/recommendations`: what to offer a customer next, each product
//! with why (bought together with one of theirs, or a best seller).

use crate::extract::{ApiPath, ApiQuery};
use crate::{ApiError, AppState, auth};
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use guanxi_app::customers::{self, Reveal};
use guanxi_domain::CustomerId;
use guanxi_domain::FieldError;
use guanxi_domain::access::{Action, Resource};
use guanxi_domain::time::to_rfc3339;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
pub struct RecommendationParams {
    /// How many products, 1 to 50 (default 10).
    limit: Option<usize>,
}

#[derive(Serialize, ToSchema)]
pub struct RecommendationView {
    sku: String,
    score: f32,
    /// `also_bought`, `also_viewed` or `popular`.
    reason: String,
    /// The customer's own product that led to it.
    because: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Recommendations {
    data: Vec<RecommendationView>,
    /// Products the model knows, and when it last learnt.
    products: usize,
    learnt_at: String,
}

#[utoipa::path(get, path = "/api/v1/customers/{id}/recommendations", tag = "customers",
    params(("id" = i64, Path), RecommendationParams),
    responses((status = 200, body = Recommendations), (status = 404), (status = 503, description = "the model has not learnt yet")))]
pub async fn recommendations(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(p): ApiQuery<RecommendationParams>,
) -> Result<Json<Recommendations>, ApiError> {
    let principal = auth::api_allowed(&state, &headers, Resource::Customers, Action::View).await?;
    let limit = match p.limit.unwrap_or(10) {
        n @ 1..=50 => n,
        _ => return Err(FieldError::new("limit", "must be between 1 and 50").into()),
    };
    let store = state.store.as_ref();
    let customer = store.customer(CustomerId(id)).await?.id;
    let masked = Reveal {
        fields: &[],
        reason: None,
        via: "api",
        ip: None,
    };
    customers::visibility(store, &principal, &[customer], masked).await?;
    let offer = state
        .intelligence
        .recommendations(store, customer, limit)
        .await?
        .ok_or(ApiError::Starting(
            "the recommendations have not been learnt yet",
        ))?;
    let data = offer
        .items
        .into_iter()
        .map(|r| RecommendationView {
            sku: r.sku,
            score: r.score,
            reason: r.reason.key().to_owned(),
            because: r.because,
        })
        .collect();
    Ok(Json(Recommendations {
        data,
        products: offer.products,
        learnt_at: to_rfc3339(offer.learnt_at),
    }))
}
