//! Tags by hand on the customer's page: add one, remove one. Segments tag whole groups
//! (`segment.rs`); the API edits tags with `PATCH /api/v1/customers/{id}`.

use super::page::{Page, explain};
use super::session::StaffForm;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use guanxi_app::customers::AccessError;
use guanxi_app::{WriteItem, WriteOp};
use guanxi_domain::CustomerId;
use guanxi_domain::access::{Action, Resource};

/// `POST /customers/{id}/tags` with `add` or `remove` (one tag): a manual tag edit
/// (`customers:edit`, within the role's scope), then back to the customer's page.
pub async fn edit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    StaffForm { staff, form }: StaffForm,
) -> Response {
    let principal = &staff.signed_in.principal;
    let store = state.store.as_ref();
    let checked = async {
        principal.require(Resource::Customers, Action::Edit)?;
        let customer = store.customer(CustomerId(id)).await?.id;
        guanxi_app::ownership::require_reach(store, principal, &[customer]).await?;
        Ok::<_, AccessError>(customer)
    }
    .await;
    let customer = match checked {
        Ok(c) => c,
        Err(e) => return super::customers::refused(&staff, e),
    };
    let (add, remove) = (form.listed("add"), form.listed("remove"));
    for tag in add.iter().chain(&remove) {
        if let Err(e) = guanxi_app::segments::check_tag("tag", tag) {
            return match explain(e, staff.tr) {
                Ok(text) => Page::new(staff.tr, StatusCode::BAD_REQUEST, text).into_response(),
                Err(page) => page.into_response(),
            };
        }
    }
    let op = WriteOp::EditCustomer {
        customer,
        traits: Default::default(),
        add_tags: add,
        remove_tags: remove,
    };
    let item = WriteItem {
        receipt: None,
        ops: vec![op],
    };
    match state.ingestor.write(vec![item]).await {
        Ok(_) => Redirect::to(&format!("/customers/{}", customer.0)).into_response(),
        Err(e) => Page::internal(staff.tr, &e).into_response(),
    }
}
