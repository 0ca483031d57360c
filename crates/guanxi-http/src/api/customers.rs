//! Customers: search, the 360 profile, look-up by identifier, their events and orders, and
//! edits of traits and tags. Personal data is masked unless the key may reveal it and asks
//! `reveal=true`; every reveal is audited.

use super::views::{CustomerPage, CustomerView, EventPage, OrderPage};
use super::{limit, parse_cursor};
use crate::extract::{ApiPath, ApiQuery};
use crate::{ApiError, AppState, auth, body};
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use guanxi_app::Settings;
use guanxi_app::customers::{self, LookupError, Profile, Reveal, Visibility};
use guanxi_app::{WriteItem, WriteOp};
use guanxi_domain::access::{Action, Denied, PersonalField, Principal, Resource};
use guanxi_domain::{CustomerId, FieldError, IdentityKey, IdentityKind};
use guanxi_store::StoreError;
use serde::Deserialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
pub struct ListParams {
    /// A whole name (any case and spacing; names are sealed, so a part finds nothing), an
    /// e-mail, a phone, or any identifier (`TYPE:VALUE` or a bare value).
    q: Option<String>,
    /// Only customers with this tag.
    tag: Option<String>,
    /// Only members of the segment with this key.
    segment: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
    reveal: Option<bool>,
}

#[derive(Deserialize, IntoParams)]
pub struct RevealParams {
    /// Show personal data unmasked (admin keys only).
    reveal: Option<bool>,
}

#[derive(Deserialize, IntoParams)]
pub struct LookupParams {
    email: Option<String>,
    phone: Option<String>,
    /// `TYPE:VALUE`, e.g. `taobao_buyer:tb123` or `user_id:web:42`.
    identity: Option<String>,
    reveal: Option<bool>,
}

#[derive(Deserialize, IntoParams)]
pub struct PageParams {
    limit: Option<u32>,
    cursor: Option<String>,
    reveal: Option<bool>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditBody {
    /// Traits to set; `null` removes one.
    #[serde(default)]
    #[schema(value_type = Object)]
    traits: serde_json::Map<String, Value>,
    #[serde(default)]
    add_tags: Vec<String>,
    #[serde(default)]
    remove_tags: Vec<String>,
}

/// A caller allowed to read customers, with the fields they asked to see in plain.
struct Reader {
    principal: Principal,
    reveal: Vec<PersonalField>,
}

/// Reads need `customers:view`; `reveal=true` asks for every field the key may reveal, and is
/// refused when it may reveal none. Checked before anything is looked up.
async fn reader(
    state: &AppState,
    headers: &HeaderMap,
    reveal: Option<bool>,
) -> Result<Reader, ApiError> {
    let principal = auth::api_allowed(state, headers, Resource::Customers, Action::View).await?;
    let mut fields = Vec::new();
    if reveal.unwrap_or(false) {
        fields = principal.revealable_fields();
        if fields.is_empty() {
            return Err(Denied::Reveal(PersonalField::Phone).into());
        }
    }
    Ok(Reader {
        principal,
        reveal: fields,
    })
}

impl Reader {
    /// How these customers are shown; a reveal is audited here, before anything is shown.
    async fn visibility(
        &self,
        state: &AppState,
        customers: &[CustomerId],
    ) -> Result<Visibility, ApiError> {
        let reveal = Reveal {
            fields: &self.reveal,
            reason: None,
            via: "api",
            ip: None,
        };
        let store = state.store.as_ref();
        Ok(customers::visibility(store, &self.principal, customers, reveal).await?)
    }
}

/// The 360 document of a profile, with the customer's scores from the engine.
fn view_of(
    state: &AppState,
    shop: &Settings,
    profile: Profile,
    visibility: Visibility,
) -> CustomerView {
    let id = profile.id;
    let mut view = CustomerView::new(profile, visibility.protects_anything());
    view.segments = state.intelligence.segments_of(id);
    view.scores = super::scores::scores_view(
        state.intelligence.scores(id, shop.time_zone),
        &state.intelligence.readiness(),
        shop.currency.code(),
    );
    view
}

async fn view(
    state: &AppState,
    id: CustomerId,
    visibility: Visibility,
) -> Result<CustomerView, ApiError> {
    let shop = state.settings.current();
    let profile = customers::profile(state.store.as_ref(), &shop, id, visibility).await?;
    Ok(view_of(state, &shop, profile, visibility))
}

#[utoipa::path(get, path = "/api/v1/customers", tag = "customers", params(ListParams), responses((status = 200, body = CustomerPage)))]
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<Json<CustomerPage>, ApiError> {
    let reader = reader(&state, &headers, p.reveal).await?;
    let segment = match p.segment.as_deref().filter(|s| !s.is_empty()) {
        Some(key) => {
            reader.principal.require(Resource::Segments, Action::View)?;
            Some(state.store.segment_id(key).await?)
        }
        None => None,
    };
    let mut query = customers::query_for(
        p.q.as_deref().unwrap_or_default(),
        &state.settings.current(),
        &reader.principal,
    );
    query.tag = p.tag.filter(|t| !t.is_empty());
    query.segment = segment;
    query.limit = limit(p.limit)?;
    query.before = parse_cursor(p.cursor.as_deref())?.map(CustomerId);
    let ids = state.store.search_customers(&query).await?;
    let next_cursor = (ids.len() == query.limit as usize)
        .then(|| ids.last().map(|c| c.0.to_string()))
        .flatten();
    let visibility = reader.visibility(&state, &ids).await?;
    let shop = state.settings.current();
    let profiles = customers::profiles(state.store.as_ref(), &shop, &ids, visibility).await?;
    let data = profiles
        .into_iter()
        .map(|p| view_of(&state, &shop, p, visibility))
        .collect();
    Ok(Json(CustomerPage { data, next_cursor }))
}

#[utoipa::path(get, path = "/api/v1/customers/lookup", tag = "customers", params(LookupParams), responses((status = 200, body = CustomerView), (status = 404)))]
pub async fn lookup(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(p): ApiQuery<LookupParams>,
) -> Result<Json<CustomerView>, ApiError> {
    let reader = reader(&state, &headers, p.reveal).await?;
    let id = customers::lookup(
        state.store.as_ref(),
        &state.settings.current(),
        p.email.as_deref(),
        p.phone.as_deref(),
        p.identity.as_deref(),
    )
    .await
    .map_err(|e| match e {
        LookupError::Invalid(f) => ApiError::Invalid(f),
        LookupError::Store(StoreError::NotFound(_)) => ApiError::NotFound("customer"),
        LookupError::Store(s) => s.into(),
    })?;
    let visibility = reader.visibility(&state, &[id]).await?;
    Ok(Json(view(&state, id, visibility).await?))
}

#[utoipa::path(get, path = "/api/v1/customers/{id}", tag = "customers", params(("id" = i64, Path), RevealParams),
    responses((status = 200, body = CustomerView, description = "the 360 profile; a merged-away id answers with its survivor"), (status = 404)))]
pub async fn get_customer(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(p): ApiQuery<RevealParams>,
) -> Result<Json<CustomerView>, ApiError> {
    let reader = reader(&state, &headers, p.reveal).await?;
    let id = state.store.customer(CustomerId(id)).await?.id;
    let visibility = reader.visibility(&state, &[id]).await?;
    Ok(Json(view(&state, id, visibility).await?))
}

/// Sets or removes traits and adds or removes tags.
#[utoipa::path(patch, path = "/api/v1/customers/{id}", tag = "customers", params(("id" = i64, Path)), request_body = EditBody,
    responses((status = 200, body = CustomerView), (status = 400), (status = 404)))]
pub async fn edit(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    body: Body,
) -> Result<Json<CustomerView>, ApiError> {
    auth::api_allowed(&state, &headers, Resource::Customers, Action::Edit).await?;
    let bytes = body::read(&headers, body, 64 * 1024).await?;
    let mut edit: EditBody = body::json(&bytes)?;
    for (name, kind) in [
        ("email", IdentityKind::Email),
        ("phone", IdentityKind::Phone),
    ] {
        if let Some(Value::String(raw)) = edit.traits.get(name) {
            let key = IdentityKey::new(kind, raw, state.settings.current().region)
                .map_err(|e| FieldError::new(format!("traits.{name}"), e.reason))?;
            edit.traits
                .insert(name.to_owned(), Value::String(key.value().to_owned()));
        }
    }
    for (field, tags) in [
        ("add_tags", &edit.add_tags),
        ("remove_tags", &edit.remove_tags),
    ] {
        if let Some(i) = tags
            .iter()
            .position(|t| t.trim().is_empty() || t.len() > 64)
        {
            return Err(FieldError::new(format!("{field}[{i}]"), "must be 1–64 characters").into());
        }
    }
    let customer = state.store.customer(CustomerId(id)).await?.id;
    let op = WriteOp::EditCustomer {
        customer,
        traits: edit.traits,
        add_tags: edit.add_tags,
        remove_tags: edit.remove_tags,
    };
    state
        .ingestor
        .write(vec![WriteItem {
            receipt: None,
            ops: vec![op],
        }])
        .await?;
    Ok(Json(view(&state, customer, Visibility::MASKED).await?))
}

#[utoipa::path(get, path = "/api/v1/customers/{id}/events", tag = "customers", params(("id" = i64, Path), PageParams), responses((status = 200, body = EventPage), (status = 404)))]
pub async fn events(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(p): ApiQuery<PageParams>,
) -> Result<Json<EventPage>, ApiError> {
    let reader = reader(&state, &headers, p.reveal).await?;
    reader.principal.require(Resource::Events, Action::View)?;
    let customer = state.store.customer(CustomerId(id)).await?.id;
    let visibility = reader.visibility(&state, &[customer]).await?;
    let limit = limit(p.limit)?;
    let records = state
        .store
        .customer_events(customer, parse_cursor(p.cursor.as_deref())?, limit)
        .await?;
    let next_cursor = (records.len() == limit as usize)
        .then(|| records.last().map(|e| e.id.to_string()))
        .flatten();
    let data = records
        .into_iter()
        .map(|e| customers::show_event(e, visibility).into())
        .collect();
    Ok(Json(EventPage { data, next_cursor }))
}

#[utoipa::path(get, path = "/api/v1/customers/{id}/orders", tag = "customers", params(("id" = i64, Path), PageParams), responses((status = 200, body = OrderPage), (status = 404)))]
pub async fn orders(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(p): ApiQuery<PageParams>,
) -> Result<Json<OrderPage>, ApiError> {
    let reader = reader(&state, &headers, p.reveal).await?;
    reader.principal.require(Resource::Orders, Action::View)?;
    let customer = state.store.customer(CustomerId(id)).await?.id;
    let limit = limit(p.limit)?;
    let records = state
        .store
        .customer_orders(customer, parse_cursor(p.cursor.as_deref())?, limit)
        .await?;
    let next_cursor = (records.len() == limit as usize)
        .then(|| records.last().map(|o| o.id.to_string()))
        .flatten();
    Ok(Json(OrderPage {
        data: records.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}
