//! The customer list and the 360 page. Personal data goes through the same visibility rules as
//! the API (`guanxi_app::customers::visibility`); revealing takes a reason and is audited.

use super::insights::{self, Insights};
use super::ownership::{OwnerCard, owner_card};
use super::page::{Chrome, Page, private, render};
use super::session::{ClientIp, Staff, StaffForm};
use super::show::{Cell, local_time, money};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use guanxi_app::customers::{self, AccessError, Profile, Reveal, Shown, Visibility};
use guanxi_domain::CustomerId;
use guanxi_domain::access::{Action, Denied, PersonalField, Resource};
use guanxi_store::{EventRecord, OrderRecord, StoreError};
use serde::Deserialize;

const PAGE_SIZE: u32 = 50;
const TIMELINE: u32 = 20;

/// One row of the customer list.
struct Row {
    id: i64,
    name: Cell,
    email: Cell,
    phone: Cell,
    orders: i64,
    spent: String,
    last_order: String,
    tags: Vec<String>,
}

#[derive(Template)]
#[template(path = "console/customers.html")]
struct ListPage {
    c: Chrome,
    q: String,
    rows: Vec<Row>,
    next_cursor: Option<i64>,
    paged: bool,
}

#[derive(Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    cursor: Option<i64>,
}

/// How a personal field of a profile shows: its value (masked or plain), or "hidden".
fn cell(profile: &Profile, visibility: Visibility, field: PersonalField) -> Cell {
    if visibility.of(field) == Shown::Hidden {
        return Cell::Hidden;
    }
    let value = match field {
        PersonalField::Name => profile
            .traits
            .get("name")
            .and_then(|v| v.as_str())
            .map(str::to_owned),
        PersonalField::Email | PersonalField::Phone => {
            let kind = field.as_str();
            profile
                .identities
                .iter()
                .find(|i| i.kind == kind)
                .map(|i| i.value.clone())
        }
        PersonalField::Address => None,
    };
    value.map_or(Cell::Empty, Cell::Value)
}

pub(super) fn refused(staff: &Staff, e: AccessError) -> Response {
    match e {
        AccessError::Denied(Denied::Scope) => {
            let text = staff.tr.get("error.out_of_scope").to_owned();
            Page::new(staff.tr, StatusCode::FORBIDDEN, text).into_response()
        }
        AccessError::Denied(_) => Page::forbidden(staff.tr).into_response(),
        AccessError::Store(StoreError::NotFound(_)) => Page::not_found(staff.tr).into_response(),
        AccessError::Store(e) => Page::internal(staff.tr, &e).into_response(),
    }
}

pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> Response {
    let principal = &staff.signed_in.principal;
    let store = state.store.as_ref();
    let text = q.q.unwrap_or_default();
    let settings = state.settings.current();
    let mut query = customers::query_for(&text, &settings, principal);
    query.limit = PAGE_SIZE;
    query.before = q.cursor.map(CustomerId);
    let result = async {
        principal.require(Resource::Customers, Action::View)?;
        let ids = store.search_customers(&query).await?;
        let visibility = customers::visibility(store, principal, &ids, no_reveal()).await?;
        let profiles = customers::profiles(store, &settings, &ids, visibility).await?;
        let mut rows = Vec::with_capacity(ids.len());
        for p in profiles {
            rows.push(Row {
                id: p.id.0,
                name: cell(&p, visibility, PersonalField::Name),
                email: cell(&p, visibility, PersonalField::Email),
                phone: cell(&p, visibility, PersonalField::Phone),
                orders: p.stats.orders_count,
                spent: money(p.stats.total_spent, &p.currency),
                last_order: p
                    .stats
                    .last_order_at
                    .map(|at| local_time(at, settings.time_zone))
                    .unwrap_or_default(),
                tags: p.tags,
            });
        }
        Ok::<_, AccessError>((ids, rows))
    }
    .await;
    let (ids, rows) = match result {
        Ok(found) => found,
        Err(e) => return refused(&staff, e),
    };
    let next_cursor = (ids.len() == PAGE_SIZE as usize)
        .then(|| ids.last().map(|c| c.0))
        .flatten();
    private(render(&ListPage {
        c: Chrome::new(&staff, "/customers"),
        q: text,
        rows,
        next_cursor,
        paged: q.cursor.is_some(),
    }))
}

pub(super) fn no_reveal() -> Reveal<'static> {
    Reveal {
        fields: &[],
        reason: None,
        via: "console",
        ip: None,
    }
}

/// A personal field the viewer may reveal, for the reveal form.
struct RevealOption {
    field: &'static str,
    label_key: String,
}

#[derive(Template)]
#[template(path = "console/customer.html")]
struct CustomerPage {
    c: Chrome,
    id: i64,
    title: String,
    name: Cell,
    email: Cell,
    phone: Cell,
    profile: Profile,
    traits: Vec<(String, String)>,
    orders_count: i64,
    total_spent: String,
    first_order: String,
    last_order: String,
    orders: Vec<OrderLine>,
    events: Vec<EventLine>,
    /// (who was merged in, why, when), the first already worded.
    merges: Vec<(String, String, String)>,
    owner: OwnerCard,
    /// The insights card, or the catalogue key saying why there is none.
    insights: Result<Insights, &'static str>,
    /// `None` for roles that may not see segments.
    segments: Option<SegmentCard>,
    consent: Option<super::consent::ConsentCard>,
    /// Whether the role may add and remove tags.
    may_tag: bool,
    /// What to offer next: (product, why), or `None` until the model has learnt.
    recommendations: Option<Vec<(String, String)>>,
    reveal_options: Vec<RevealOption>,
    revealed: bool,
}

/// The segments a customer is in now, and every spell, newest first.
struct SegmentCard {
    /// (segment id, name)
    current: Vec<(i64, String)>,
    /// (segment id, name, entered, left)
    history: Vec<(i64, String, String, Option<String>)>,
}

fn segment_card(
    spells: Vec<guanxi_store::SegmentSpell>,
    zone: guanxi_domain::ShopTimeZone,
    tr: super::i18n::Tr,
) -> SegmentCard {
    let name = |s: &guanxi_store::SegmentSpell| super::segments::shown_name(&s.key, &s.name, tr);
    SegmentCard {
        current: spells
            .iter()
            .filter(|s| s.left_at.is_none())
            .map(|s| (s.segment, name(s)))
            .collect(),
        history: spells
            .into_iter()
            .take(TIMELINE as usize)
            .map(|s| {
                let left = s.left_at.map(|at| local_time(at, zone));
                (s.segment, name(&s), local_time(s.entered_at, zone), left)
            })
            .collect(),
    }
}

/// Products recommended on the page.
const RECOMMENDED: usize = 5;

struct OrderLine {
    external_id: String,
    status_key: String,
    total: String,
    at: String,
    items: usize,
}

struct EventLine {
    kind: String,
    name: String,
    at: String,
}

async fn customer_page(
    state: &AppState,
    staff: &Staff,
    id: CustomerId,
    reveal: Reveal<'_>,
) -> Response {
    let principal = &staff.signed_in.principal;
    let store = state.store.as_ref();
    let settings = &state.settings.current();
    let revealed = !reveal.fields.is_empty();
    let result = async {
        principal.require(Resource::Customers, Action::View)?;
        let id = store.customer(id).await?.id;
        let visibility = customers::visibility(store, principal, &[id], reveal).await?;
        // The page's reads are independent: one round of waiting, not four.
        let orders = async {
            match principal.may(perm(Resource::Orders)) {
                true => store.customer_orders(id, None, TIMELINE).await,
                false => Ok(Vec::<OrderRecord>::new()),
            }
        };
        let events = async {
            match principal.may(perm(Resource::Events)) {
                true => store.customer_events(id, None, TIMELINE).await,
                false => Ok(Vec::<EventRecord>::new()),
            }
        };
        let spells = async {
            match principal.may(perm(Resource::Segments)) {
                true => store.customer_segment_history(id).await.map(Some),
                false => Ok(None),
            }
        };
        let offer = state.intelligence.recommendations(store, id, RECOMMENDED);
        let (profile, orders, events, owner, spells, offer) = tokio::try_join!(
            customers::profile(store, settings, id, visibility),
            orders,
            events,
            owner_card(store, principal, id, settings.time_zone),
            spells,
            offer,
        )?;
        Ok::<_, AccessError>((visibility, profile, orders, events, owner, spells, offer))
    }
    .await;
    let (visibility, profile, orders, events, owner, spells, offer) = match result {
        Ok(found) => found,
        Err(e) => return refused(staff, e),
    };
    let consent = super::consent::card(state, staff, profile.id, settings.time_zone).await;
    let reveal_options = principal
        .revealable_fields()
        .into_iter()
        .map(|f| RevealOption {
            field: f.as_str(),
            label_key: format!("field.{}", f.as_str()),
        })
        .collect();
    // Phone and email have their own rows above (from the identities); the rest are listed.
    let traits = profile
        .traits
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "phone" | "email"))
        .map(|(k, v)| {
            let shown = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
            (k.clone(), shown)
        })
        .collect();
    let page = CustomerPage {
        c: Chrome::new(staff, "/customers"),
        id: profile.id.0,
        title: staff
            .tr
            .fill("customer.title", &[("id", &profile.id.0.to_string())]),
        name: cell(&profile, visibility, PersonalField::Name),
        email: cell(&profile, visibility, PersonalField::Email),
        phone: cell(&profile, visibility, PersonalField::Phone),
        traits,
        orders_count: profile.stats.orders_count,
        total_spent: money(profile.stats.total_spent, &profile.currency),
        first_order: profile
            .stats
            .first_order_at
            .map(|at| local_time(at, settings.time_zone))
            .unwrap_or_else(|| "—".to_owned()),
        last_order: profile
            .stats
            .last_order_at
            .map(|at| local_time(at, settings.time_zone))
            .unwrap_or_else(|| "—".to_owned()),
        orders: orders
            .iter()
            .map(|o| OrderLine {
                external_id: o.external_id.clone(),
                status_key: format!("status.{}", o.status.as_str()),
                total: money(o.total, &o.currency),
                at: local_time(o.created_at, settings.time_zone),
                items: o.items.len(),
            })
            .collect(),
        events: events
            .iter()
            .map(|e| EventLine {
                kind: e.kind.as_str().to_owned(),
                name: e.name.clone().unwrap_or_default(),
                at: local_time(e.timestamp, settings.time_zone),
            })
            .collect(),
        merges: profile
            .merges
            .iter()
            .map(|m| {
                let from = m.from.0.to_string();
                let who = staff.tr.fill("customer.merged_from", &[("id", &from)]);
                (who, m.reason.clone(), local_time(m.at, settings.time_zone))
            })
            .collect(),
        insights: insights::card(state, profile.id, staff.tr, settings),
        segments: spells.map(|s| segment_card(s, settings.time_zone, staff.tr)),
        consent,
        may_tag: principal.require(Resource::Customers, Action::Edit).is_ok(),
        recommendations: offer.map(|o| super::insights::offer_lines(&o, staff.tr)),
        profile,
        owner,
        reveal_options,
        revealed,
    };
    private(render(&page))
}

fn perm(resource: Resource) -> guanxi_domain::access::Permission {
    guanxi_domain::access::Permission::new(resource, Action::View)
}

pub async fn show(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> Response {
    customer_page(&state, &staff, CustomerId(id), no_reveal()).await
}

/// Reveals the ticked fields (`field_phone=1`, …; none ticked means all the role may) to a
/// role that may, after recording why. Answered with the page itself, not a redirect, so the
/// plain values never sit in a URL or the history.
pub async fn reveal(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(id): Path<i64>,
    StaffForm { staff, form }: StaffForm,
) -> Response {
    let value = |key: &str| form.get(key);
    let reason = value("reason");
    if reason.is_empty() {
        let text = staff.tr.fill(
            "error.invalid",
            &[("reason", staff.tr.get("customer.reveal_reason"))],
        );
        return Page::new(staff.tr, axum::http::StatusCode::BAD_REQUEST, text).into_response();
    }
    let mut fields: Vec<PersonalField> = PersonalField::ALL
        .into_iter()
        .filter(|f| !value(&format!("field_{}", f.as_str())).is_empty())
        .collect();
    if fields.is_empty() {
        fields = staff.signed_in.principal.revealable_fields();
        // Asking to reveal with nothing the role may reveal is a refusal, not a plain page.
        if fields.is_empty() {
            return Page::forbidden(staff.tr).into_response();
        }
    }
    let reveal = Reveal {
        fields: &fields,
        reason: Some(reason),
        via: "console",
        ip,
    };
    customer_page(&state, &staff, CustomerId(id), reveal).await
}
