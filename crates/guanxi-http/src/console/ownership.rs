//! A customer's owner on the 360 page, and handing the customer on. The rules (who may, whom
//! to, the audit entry) live in `guanxi_app::ownership`.

use super::page::{Page, invalid_text};
use super::session::{ClientIp, StaffForm};
use super::show::local_time;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use guanxi_app::ownership::{self, OwnershipError};
use guanxi_domain::access::{Action, Principal, Resource};
use guanxi_domain::{CustomerId, ShopTimeZone};
use guanxi_store::{Store, StoreError};

/// Who works the customer, and whom the viewer may hand them to.
pub struct OwnerCard {
    /// `Li Na (li.na@shop.cn)`; `None` while the customer is in the shared pool.
    pub owner: Option<String>,
    pub owner_id: Option<i64>,
    pub since: Option<String>,
    /// Active staff as (id, name) for the picker; empty if the viewer may not assign.
    pub candidates: Vec<(i64, String)>,
}

impl OwnerCard {
    pub fn may_assign(&self) -> bool {
        !self.candidates.is_empty()
    }

    /// Whether `user` owns the customer (for the picker; askama hands loop items by reference).
    pub fn is_owner(&self, user: &&i64) -> bool {
        self.owner_id == Some(**user)
    }
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
    let may_assign = viewer.require(Resource::Customers, Action::Edit).is_ok();
    let users = store.list_users().await?;
    let label_of = |id: i64| {
        users
            .iter()
            .find(|u| u.id == id)
            .map(|u| staff_label(&u.display_name, &u.email))
    };
    let owner_id = owner.and_then(|o| o.owner);
    let candidates = if may_assign {
        users
            .iter()
            .filter(|u| u.disabled_at.is_none())
            .map(|u| (u.id, staff_label(&u.display_name, &u.email)))
            .collect()
    } else {
        Vec::new()
    };
    Ok(OwnerCard {
        owner: owner_id.and_then(label_of),
        owner_id,
        since: owner.and_then(|o| o.since).map(|at| local_time(at, zone)),
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
        Err(OwnershipError::Denied(_)) => Page::forbidden(staff.tr).into_response(),
        Err(OwnershipError::Invalid(field, reason)) => {
            let text = invalid_text(staff.tr, field, &reason);
            Page::new(staff.tr, StatusCode::BAD_REQUEST, text).into_response()
        }
        Err(OwnershipError::Store(StoreError::NotFound(_))) => {
            Page::not_found(staff.tr).into_response()
        }
        Err(OwnershipError::Store(e)) => Page::internal(staff.tr, &e).into_response(),
    }
}
