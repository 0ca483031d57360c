//! A customer's owner on the 360 page, and handing the customer on. The rules (who may, whom
//! to, the audit entry) live in `guanxi_app::ownership`.

use super::customers::no_reveal;
use super::page::{Chrome, Page, explain, invalid_text, render};
use super::session::{ClientIp, Staff, StaffForm};
use super::show::local_time;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use guanxi_app::customers::{self, AccessError};
use guanxi_app::ownership;
use guanxi_domain::access::{Action, Principal, Resource};
use guanxi_domain::{CustomerId, ShopTimeZone};
use guanxi_store::{Store, StoreError};

/// Who works the customer, on the 360 page.
pub struct OwnerCard {
    /// `Li Na (li.na@shop.cn)`; `None` while the customer is in the shared pool.
    pub owner: Option<String>,
    pub since: Option<String>,
    /// Whether the viewer may hand the customer on (the picker is a page of its own, so the
    /// 360 page does not list the staff on every view).
    pub may_assign: bool,
}

fn staff_label(name: &str, email: &str) -> String {
    format!("{name} ({email})")
}

/// The owner card for `customer`, already known to be in the viewer's scope.
pub async fn owner_card(
    store: &dyn Store,
    viewer: &Principal,
    customer: CustomerId,
    zone: ShopTimeZone,
) -> Result<OwnerCard, StoreError> {
    let owner = store.customer_owners(&[customer]).await?.into_iter().next();
    let name = match owner.and_then(|o| o.owner) {
        Some(id) => Some(
            store
                .user(id)
                .await
                .map(|u| staff_label(&u.display_name, &u.email))?,
        ),
        None => None,
    };
    Ok(OwnerCard {
        owner: name,
        since: owner.and_then(|o| o.since).map(|at| local_time(at, zone)),
        may_assign: viewer.require(Resource::Customers, Action::Edit).is_ok(),
    })
}

#[derive(Template)]
#[template(path = "console/customer_owner.html")]
struct AssignPage {
    c: Chrome,
    id: i64,
    /// Active staff as (id, name, whether they own the customer now).
    candidates: Vec<(i64, String, bool)>,
}

/// The picker: every active member of staff, the current owner selected.
pub async fn picker(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> Response {
    let store = state.store.as_ref();
    let principal = &staff.signed_in.principal;
    let found = async {
        principal.require(Resource::Customers, Action::Edit)?;
        let id = store.customer(CustomerId(id)).await?.id;
        customers::visibility(store, principal, &[id], no_reveal()).await?;
        let owner = store
            .customer_owners(&[id])
            .await?
            .first()
            .and_then(|o| o.owner);
        let users = store.list_users().await?;
        Ok::<_, AccessError>((id, owner, users))
    }
    .await;
    let (id, owner, users) = match found {
        Ok(found) => found,
        Err(e) => return super::customers::refused(&staff, e),
    };
    let candidates = users
        .iter()
        .filter(|u| u.disabled_at.is_none())
        .map(|u| {
            let label = staff_label(&u.display_name, &u.email);
            (u.id, label, owner == Some(u.id))
        })
        .collect();
    render(&AssignPage {
        c: Chrome::new(&staff, "/customers"),
        id: id.0,
        candidates,
    })
}

/// `owner=<user id>` hands the customer on; `owner=` (empty) returns them to the shared pool.
pub async fn assign(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(id): Path<i64>,
    StaffForm { staff, form }: StaffForm,
) -> Response {
    let owner = match form.get("owner") {
        "" => None,
        raw => match raw.parse::<i64>() {
            Ok(user) => Some(user),
            Err(_) => {
                let text = invalid_text(staff.tr, "owner", "is no member of staff");
                return Page::new(staff.tr, StatusCode::BAD_REQUEST, text).into_response();
            }
        },
    };
    let principal = &staff.signed_in.principal;
    match ownership::assign(state.store.as_ref(), principal, CustomerId(id), owner, ip).await {
        Ok(()) => Redirect::to(&format!("/customers/{id}")).into_response(),
        Err(e) => match explain(e, staff.tr) {
            Ok(text) => Page::new(staff.tr, StatusCode::BAD_REQUEST, text).into_response(),
            Err(page) => page.into_response(),
        },
    }
}
