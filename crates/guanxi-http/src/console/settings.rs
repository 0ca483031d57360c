//! Settings: staff accounts and roles. The rules (who may, the last owner, key formats) live in
//! `guanxi_app::staff`; these pages only show and submit.

use super::page::{Chrome, Page, invalid_text, render_status, role_label};
use super::session::{ClientIp, Staff, StaffForm};
use super::show::local_time;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use guanxi_app::staff::{self, AdminError, StaffError};
use guanxi_domain::access::{
    Action, DataScope, FieldAccess, FieldPolicy, Permission, PersonalField, Resource, Role,
};
use std::collections::BTreeSet;

/// A user as the staff table lists them.
struct UserLine {
    id: i64,
    email: String,
    role: String,
    team: Option<i64>,
    disabled: bool,
    since: String,
    is_me: bool,
}

impl UserLine {
    /// For the team picker (askama hands loop items by reference).
    fn in_team(&self, team: &&i64) -> bool {
        self.team == Some(**team)
    }
}

/// A role as the pickers and the roles table show it.
struct RoleLine {
    key: String,
    label: String,
    builtin: bool,
    scope_key: String,
    /// (field catalogue key, access catalogue key)
    fields: Vec<(String, String)>,
    permissions: Vec<String>,
}

#[derive(Template)]
#[template(path = "console/settings_users.html")]
struct UsersPage {
    c: Chrome,
    users: Vec<UserLine>,
    roles: Vec<RoleLine>,
    /// (id, name), by name.
    teams: Vec<(i64, String)>,
    /// After an invitation: whom, and the password to hand over (shown once).
    created: Option<(String, String)>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "console/settings_roles.html")]
struct RolesPage {
    c: Chrome,
    roles: Vec<RoleLine>,
    resources: Vec<(&'static str, String)>,
    actions: Vec<(&'static str, String)>,
    scopes: Vec<(&'static str, String)>,
    accesses: Vec<(&'static str, String)>,
    personal_fields: Vec<(&'static str, String)>,
    saved: bool,
    error: Option<String>,
}

fn role_line(role: &Role, c: &Chrome) -> RoleLine {
    RoleLine {
        key: role.key.clone(),
        label: role_label(role, c.tr),
        builtin: role.builtin,
        scope_key: format!("scope.{}", role.scope.as_str()),
        fields: PersonalField::ALL
            .iter()
            .map(|f| {
                (
                    format!("field.{}", f.as_str()),
                    format!("access.{}", role.fields.get(*f).as_str()),
                )
            })
            .collect(),
        permissions: role.permissions.iter().map(ToString::to_string).collect(),
    }
}

/// How a refused or invalid change reads on the page.
fn explain(e: AdminError, staff: &Staff) -> Result<String, Page> {
    match e {
        AdminError::Denied(_) => Err(Page::forbidden(staff.tr)),
        AdminError::Staff(StaffError::Invalid(field, reason)) => {
            Ok(invalid_text(staff.tr, field, &reason))
        }
        AdminError::Staff(StaffError::Store(guanxi_store::StoreError::NotFound(_))) => {
            Err(Page::not_found(staff.tr))
        }
        AdminError::Staff(other) => Err(Page::internal(staff.tr, &other)),
    }
}

pub(super) async fn users_page(
    state: &AppState,
    staff: &Staff,
    created: Option<(String, String)>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let principal = &staff.signed_in.principal;
    if principal.require(Resource::Users, Action::View).is_err() {
        return Page::forbidden(staff.tr).into_response();
    }
    let store = state.store.as_ref();
    let (users, roles, teams) = match (
        store.list_users().await,
        staff::all_roles(store).await,
        store.teams().await,
    ) {
        (Ok(users), Ok(roles), Ok(teams)) => (users, roles, teams),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
            return Page::internal(staff.tr, &e).into_response();
        }
    };
    let zone = staff.shop.time_zone;
    let c = Chrome::new(staff, "/settings");
    let roles: Vec<RoleLine> = roles.iter().map(|r| role_line(r, &c)).collect();
    let users = users
        .into_iter()
        .map(|u| UserLine {
            id: u.id,
            email: u.email,
            role: u.role,
            team: u.team_id,
            disabled: u.disabled_at.is_some(),
            since: local_time(u.created_at, zone),
            is_me: u.id == staff.signed_in.user.id,
        })
        .collect();
    let page = UsersPage {
        c,
        users,
        roles,
        teams: teams.into_iter().map(|t| (t.id, t.name)).collect(),
        created,
        error,
    };
    render_status(&page, status)
}

pub async fn users(State(state): State<AppState>, staff: Staff) -> Response {
    users_page(&state, &staff, None, None, StatusCode::OK).await
}

pub async fn invite(
    State(state): State<AppState>,
    StaffForm { staff, form }: StaffForm,
) -> Response {
    let value = |k: &str| form.get(k);
    let store = state.store.as_ref();
    let principal = &staff.signed_in.principal;
    match staff::invite(store, principal, value("email"), value("role")).await {
        Ok(created) => {
            let shown = (
                created.user.email,
                created.generated_password.unwrap_or_default(),
            );
            users_page(&state, &staff, Some(shown), None, StatusCode::OK).await
        }
        Err(e) => match explain(e, &staff) {
            Ok(text) => users_page(&state, &staff, None, Some(text), StatusCode::BAD_REQUEST).await,
            Err(refused) => refused.into_response(),
        },
    }
}

/// Changes one user: `role=KEY`, `enabled=0|1`, or `team=ID` (empty: no team).
pub async fn change_user(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(id): Path<i64>,
    StaffForm { staff, form }: StaffForm,
) -> Response {
    let value = |k: &str| form.get(k);
    let store = state.store.as_ref();
    let principal = &staff.signed_in.principal;
    let outcome = if form.has("role") {
        staff::change_role(store, principal, id, value("role")).await
    } else if form.has("enabled") {
        staff::set_enabled(store, principal, id, value("enabled") == "1").await
    } else if form.has("team") {
        return super::teams::change_team(&state, &staff, id, value("team"), ip).await;
    } else {
        Ok(())
    };
    match outcome {
        Ok(()) => Redirect::to("/settings/users").into_response(),
        Err(e) => match explain(e, &staff) {
            Ok(text) => users_page(&state, &staff, None, Some(text), StatusCode::BAD_REQUEST).await,
            Err(refused) => refused.into_response(),
        },
    }
}

fn labelled<T: Copy>(
    items: impl IntoIterator<Item = T>,
    name: impl Fn(T) -> &'static str,
    prefix: &str,
) -> Vec<(&'static str, String)> {
    items
        .into_iter()
        .map(|i| (name(i), format!("{prefix}.{}", name(i))))
        .collect()
}

async fn roles_page(
    state: &AppState,
    staff: &Staff,
    saved: bool,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    if staff
        .signed_in
        .principal
        .require(Resource::Roles, Action::View)
        .is_err()
    {
        return Page::forbidden(staff.tr).into_response();
    }
    let roles = match staff::all_roles(state.store.as_ref()).await {
        Ok(roles) => roles,
        Err(e) => return Page::internal(staff.tr, &e).into_response(),
    };
    let c = Chrome::new(staff, "/settings");
    let roles = roles.iter().map(|r| role_line(r, &c)).collect();
    let page = RolesPage {
        c,
        roles,
        resources: labelled(Resource::ALL, Resource::as_str, "resource"),
        actions: labelled(Action::ALL, Action::as_str, "action"),
        scopes: labelled(
            [DataScope::Own, DataScope::Team, DataScope::All],
            DataScope::as_str,
            "scope",
        ),
        accesses: labelled(
            [
                FieldAccess::Hidden,
                FieldAccess::Masked,
                FieldAccess::Revealable,
            ],
            FieldAccess::as_str,
            "access",
        ),
        personal_fields: labelled(PersonalField::ALL, PersonalField::as_str, "field"),
        saved,
        error,
    };
    render_status(&page, status)
}

pub async fn roles(State(state): State<AppState>, staff: Staff) -> Response {
    roles_page(&state, &staff, false, None, StatusCode::OK).await
}

/// Saves a custom role from the form: `key`, `name`, `scope`, `field_<name>=<access>` and one
/// `perm_<resource>_<action>` checkbox per permission granted.
pub async fn save_role(
    State(state): State<AppState>,
    StaffForm { staff, form }: StaffForm,
) -> Response {
    let value = |k: &str| form.get(k);
    let mut fields = FieldPolicy::uniform(FieldAccess::Masked);
    for f in PersonalField::ALL {
        if let Some(access) = FieldAccess::parse(value(&format!("field_{}", f.as_str()))) {
            fields.set(f, access);
        }
    }
    let permissions: BTreeSet<Permission> = Permission::all()
        .filter(|p| {
            !value(&format!(
                "perm_{}_{}",
                p.resource.as_str(),
                p.action.as_str()
            ))
            .is_empty()
        })
        .collect();
    let role = Role {
        key: value("key").to_owned(),
        name: Some(value("name").to_owned()),
        builtin: false,
        permissions,
        scope: DataScope::parse(value("scope")).unwrap_or(DataScope::Own),
        fields,
    };
    match staff::save_role(state.store.as_ref(), &staff.signed_in.principal, role).await {
        Ok(()) => roles_page(&state, &staff, true, None, StatusCode::OK).await,
        Err(e) => match explain(e, &staff) {
            Ok(text) => {
                roles_page(&state, &staff, false, Some(text), StatusCode::BAD_REQUEST).await
            }
            Err(refused) => refused.into_response(),
        },
    }
}
