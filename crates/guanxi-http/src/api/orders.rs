//! `POST /api/v1/orders` (upsert by source + external id), `GET /api/v1/orders/{id}`,
//! `POST /api/v1/orders/{id}/refunds`.

use super::views::{OrderView, WriteResult};
use crate::extract::ApiPath;
use crate::{ApiError, AppState, auth, body};
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use guanxi_app::{OutcomeStatus, WriteItem, WriteOp};
use guanxi_domain::ShopTimeZone;
use guanxi_domain::access::{Action, Resource};
use guanxi_domain::time::parse_timestamp;
use guanxi_domain::{
    Currency, FieldError, IdentityKey, IdentityKind, Money, OrderChange, OrderCustomer, OrderInput,
    OrderItemInput, OrderStatus, RefundInput,
};
use guanxi_store::StoreError;
use serde::Deserialize;
use serde_json::Value;
use std::sync::atomic::Ordering;
use utoipa::ToSchema;

const MAX_ORDER_BYTES: usize = 512 * 1024;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderBody {
    /// The name of the source (channel) the order belongs to.
    source: String,
    external_id: String,
    status: String,
    currency: String,
    /// Decimal string, e.g. "88.00".
    total: String,
    created_at: String,
    customer: CustomerBody,
    #[serde(default)]
    items: Vec<ItemBody>,
    #[serde(default)]
    refunds: Vec<RefundBody>,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct CustomerBody {
    email: Option<String>,
    phone: Option<String>,
    name: Option<String>,
    /// The shop's own user id; scoped to the order's source.
    user_id: Option<String>,
    /// Any other identifiers, e.g. `{"type":"taobao_buyer","value":"tb123"}`.
    #[serde(default)]
    identities: Vec<IdentityBody>,
}

#[derive(Deserialize, ToSchema)]
pub struct IdentityBody {
    #[serde(rename = "type")]
    kind: String,
    value: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemBody {
    sku: String,
    name: String,
    category: Option<String>,
    quantity: i64,
    price: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundBody {
    external_id: String,
    amount: String,
    /// Defaults to now.
    created_at: Option<String>,
    reason: Option<String>,
}

fn instant(raw: &str, field: &str) -> Result<i64, FieldError> {
    parse_timestamp(raw, ShopTimeZone::UTC)
        .ok_or_else(|| FieldError::new(field, "must be an RFC 3339 timestamp"))
}

fn refund_input(body: &RefundBody, currency: Currency) -> Result<RefundInput, FieldError> {
    if body.external_id.trim().is_empty() {
        return Err(FieldError::new("external_id", "is empty"));
    }
    let amount =
        Money::parse(&body.amount, currency).map_err(|e| FieldError::new("amount", e.reason))?;
    if amount.minor() <= 0 {
        return Err(FieldError::new("amount", "must be positive"));
    }
    Ok(RefundInput {
        external_id: body.external_id.trim().to_owned(),
        amount,
        created_at: match &body.created_at {
            Some(at) => instant(at, "created_at")?,
            None => chrono::Utc::now().timestamp_millis(),
        },
        reason: body.reason.clone(),
    })
}

fn customer(
    body: &CustomerBody,
    source: &str,
    state: &AppState,
) -> Result<OrderCustomer, FieldError> {
    let region = state.settings.current().region;
    let mut identities = Vec::new();
    if let Some(u) = &body.user_id {
        identities.push(
            IdentityKey::new(
                IdentityKind::UserId {
                    source: source.to_owned(),
                },
                u,
                region,
            )
            .map_err(|e| FieldError::new("user_id", e.reason))?,
        );
    }
    for (i, id) in body.identities.iter().enumerate() {
        let at = |e: FieldError| FieldError::new("", e.reason).within(&format!("identities[{i}]"));
        let kind = IdentityKind::parse(&id.kind).map_err(at)?;
        identities.push(IdentityKey::new(kind, &id.value, region).map_err(at)?);
    }
    if let Some(e) = &body.email {
        identities.push(IdentityKey::new(IdentityKind::Email, e, region)?);
    }
    if let Some(p) = &body.phone {
        identities.push(IdentityKey::new(IdentityKind::Phone, p, region)?);
    }
    if identities.is_empty() {
        return Err(FieldError::new(
            "email",
            "give at least one of email, phone, user_id or identities",
        ));
    }
    let mut traits = serde_json::Map::new();
    if let Some(name) = body
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty() && !n.contains('*'))
    {
        traits.insert("name".into(), Value::String(name.to_owned()));
    }
    Ok(OrderCustomer { identities, traits })
}

fn order_input(
    body: &OrderBody,
    source: guanxi_domain::SourceId,
    state: &AppState,
) -> Result<OrderInput, FieldError> {
    let currency = Currency::parse(&body.currency)?;
    let total =
        Money::parse(&body.total, currency).map_err(|e| FieldError::new("total", e.reason))?;
    let mut items = Vec::with_capacity(body.items.len());
    for (i, item) in body.items.iter().enumerate() {
        let price = Money::parse(&item.price, currency)
            .map_err(|e| FieldError::new("price", e.reason).within(&format!("items[{i}]")))?;
        items.push(OrderItemInput {
            sku: item.sku.trim().to_owned(),
            name: item.name.trim().to_owned(),
            category: item.category.clone().filter(|c| !c.trim().is_empty()),
            quantity: item.quantity,
            price,
        });
    }
    let refunds: Vec<RefundInput> = body
        .refunds
        .iter()
        .enumerate()
        .map(|(i, r)| refund_input(r, currency).map_err(|e| e.within(&format!("refunds[{i}]"))))
        .collect::<Result<_, _>>()?;
    let mut refunded: i64 = 0;
    for (i, refund) in refunds.iter().enumerate() {
        refunded = refunded.saturating_add(refund.amount.minor());
        if refunded > total.minor() {
            return Err(
                FieldError::new("amount", "brings the refunds to more than the total")
                    .within(&format!("refunds[{i}]")),
            );
        }
    }
    let order = OrderInput {
        source,
        external_id: body.external_id.trim().to_owned(),
        status: OrderStatus::parse(&body.status)?,
        total,
        created_at: instant(&body.created_at, "created_at")?,
        customer: customer(&body.customer, &body.source, state)
            .map_err(|e| e.within("customer"))?,
        items,
        refunds,
    };
    order.validate()?;
    Ok(order)
}

fn more_than_left() -> ApiError {
    FieldError::new(
        "amount",
        "is more than what is left to refund on this order",
    )
    .into()
}

fn result_name(status: OutcomeStatus) -> &'static str {
    match status {
        OutcomeStatus::Created => "created",
        OutcomeStatus::Updated => "updated",
        _ => "unchanged",
    }
}

/// Creates or updates an order by (source, external_id).
#[utoipa::path(post, path = "/api/v1/orders", request_body = OrderBody, tag = "orders",
    responses((status = 201, body = WriteResult, description = "created"), (status = 200, body = WriteResult, description = "updated or unchanged"), (status = 400, description = "invalid; error.field names the field")))]
pub async fn upsert(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<WriteResult>), ApiError> {
    auth::api_allowed(&state, &headers, Resource::Orders, Action::Create).await?;
    let bytes = body::read(&headers, body, MAX_ORDER_BYTES).await?;
    let parsed: OrderBody = body::json(&bytes)?;
    let source = match state.store.source_by_name(&parsed.source).await {
        Ok(s) => s,
        Err(StoreError::NotFound(_)) => {
            return Err(FieldError::new(
                "source",
                "no source has this name; create it with `guanxi source create`",
            )
            .into());
        }
        Err(e) => return Err(e.into()),
    };
    let order = order_input(&parsed, source.id, &state)?;
    let outcome = state
        .ingestor
        .write(vec![WriteItem {
            receipt: None,
            ops: vec![WriteOp::Order(OrderChange::Upsert(order))],
        }])
        .await?
        .remove(0);
    state.metrics.orders_written.fetch_add(1, Ordering::Relaxed);
    let id = outcome
        .order_id
        .ok_or_else(|| ApiError::Internal("order write returned no id".into()))?;
    let code = if outcome.status == OutcomeStatus::Created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let order = state.store.order(id).await?;
    Ok((
        code,
        Json(WriteResult {
            result: result_name(outcome.status).into(),
            order: order.into(),
        }),
    ))
}

#[utoipa::path(get, path = "/api/v1/orders/{id}", tag = "orders", params(("id" = i64, Path)),
    responses((status = 200, body = OrderView), (status = 404)))]
pub async fn get_order(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<OrderView>, ApiError> {
    auth::api_allowed(&state, &headers, Resource::Orders, Action::View).await?;
    Ok(Json(state.store.order(id).await?.into()))
}

/// Records a refund; the same `external_id` twice is recorded once.
#[utoipa::path(post, path = "/api/v1/orders/{id}/refunds", tag = "orders", params(("id" = i64, Path)), request_body = RefundBody,
    responses((status = 201, body = WriteResult), (status = 200, body = WriteResult, description = "already recorded"), (status = 404)))]
pub async fn refund_order(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    body: Body,
) -> Result<(StatusCode, Json<WriteResult>), ApiError> {
    auth::api_allowed(&state, &headers, Resource::Orders, Action::Edit).await?;
    let bytes = body::read(&headers, body, MAX_ORDER_BYTES).await?;
    let parsed: RefundBody = body::json(&bytes)?;
    let order = state.store.order(id).await?;
    let currency = Currency::parse(&order.currency)?;
    let refund = refund_input(&parsed, currency)?;
    let external_id = refund.external_id.clone();
    let change = OrderChange::Refund {
        source: order.source,
        order_external_id: order.external_id.clone(),
        refund,
    };
    let outcome = state
        .ingestor
        .write(vec![WriteItem {
            receipt: None,
            ops: vec![WriteOp::Order(change)],
        }])
        .await?
        .remove(0);
    let order = state.store.order(id).await?;
    let code = match outcome.status {
        OutcomeStatus::NotFound => return Err(ApiError::NotFound("order")),
        OutcomeStatus::Updated => StatusCode::CREATED,
        // The writer decides, inside its transaction: too little left to refund, unless this
        // very refund was recorded before (a retry).
        OutcomeStatus::Rejected if !order.refunds.iter().any(|r| r.external_id == external_id) => {
            return Err(more_than_left());
        }
        _ => StatusCode::OK,
    };
    Ok((
        code,
        Json(WriteResult {
            result: if code == StatusCode::CREATED {
                "created".into()
            } else {
                "unchanged".into()
            },
            order: order.into(),
        }),
    ))
}
