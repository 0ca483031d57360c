//! What every console page shares: the frame around it (navigation, the user, language and
//! sign-out), rendering, and the pages for errors.

use super::i18n::Tr;
use super::session::Staff;
use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use guanxi_app::staff::StaffError;
use guanxi_domain::access::{Action, Principal, Resource, Role};

/// One entry of the side navigation. Entries for what later issues build are shown, greyed,
/// so the place for them is obvious.
pub struct NavItem {
    pub href: &'static str,
    pub label_key: &'static str,
    pub active: bool,
    pub ready: bool,
}

/// The frame around a signed-in page.
pub struct Chrome {
    pub tr: Tr,
    /// The shop's name, empty until the owner names it.
    pub shop_name: String,
    pub user_name: String,
    pub role_label: String,
    pub csrf: String,
    pub nav: Vec<NavItem>,
}

impl Chrome {
    pub fn new(staff: &Staff, active: &'static str) -> Self {
        let user = &staff.signed_in.user;
        Self {
            tr: staff.tr,
            shop_name: staff.shop.shop_name.clone(),
            user_name: user.display_name.clone(),
            role_label: role_label(&staff.signed_in.role, staff.tr),
            csrf: staff.csrf().to_owned(),
            nav: nav(&staff.signed_in.principal, active),
        }
    }
}

/// A role's name: built-in roles in the page's language, custom ones as their owner named them.
pub fn role_label(role: &Role, tr: Tr) -> String {
    match &role.name {
        Some(name) if !role.builtin => name.clone(),
        _ => tr.get(&format!("role.{}", role.key)).to_owned(),
    }
}

/// How a refused or invalid action reads: the text for a form shown again, or the page that
/// answers instead (forbidden, not found, internal).
pub fn explain(e: guanxi_app::ActionError, tr: Tr) -> Result<String, Page> {
    use guanxi_app::ActionError;
    match e {
        ActionError::Denied(_) => Err(Page::forbidden(tr)),
        ActionError::Invalid(field, reason) => Ok(invalid_text(tr, field, &reason)),
        ActionError::Store(guanxi_store::StoreError::NotFound(_)) => Err(Page::not_found(tr)),
        ActionError::Store(other) => Err(Page::internal(tr, &other)),
    }
}

/// How a refused messaging action (campaigns, journeys, templates, consent) reads on a form
/// shown again, or the page that answers instead.
pub fn explain_messaging(e: guanxi_app::messaging::MessagingError, tr: Tr) -> Result<String, Page> {
    use guanxi_app::messaging::MessagingError;
    match e {
        MessagingError::Action(a) => explain(a, tr),
        MessagingError::Invalid(f) => Ok(invalid_text(tr, &f.field, &f.reason)),
    }
}

/// A refused messaging action with no form to show it on: a page of its own, answered with
/// `status` when the refusal is about what was asked (else forbidden, not found, internal).
pub fn refusal_page(
    e: guanxi_app::messaging::MessagingError,
    tr: Tr,
    status: StatusCode,
) -> Response {
    match explain_messaging(e, tr) {
        Ok(text) => Page::new(tr, status, text).into_response(),
        Err(page) => page.into_response(),
    }
}

/// "Please check your input: field: reason", for a form shown again with its error.
pub fn invalid_text(tr: Tr, field: &str, reason: &str) -> String {
    tr.fill(
        "error.invalid",
        &[("reason", &format!("{field}: {reason}"))],
    )
}

fn nav(principal: &Principal, active: &'static str) -> Vec<NavItem> {
    let may = |r: Resource| principal.may(guanxi_domain::access::Permission::new(r, Action::View));
    let entries: [(&str, &str, bool, bool); 11] = [
        ("/", "nav.dashboard", true, true),
        (
            "/customers",
            "nav.customers",
            may(Resource::Customers),
            true,
        ),
        (
            "/analytics",
            "nav.analytics",
            super::analytics::may_see(principal),
            true,
        ),
        ("/segments", "nav.segments", may(Resource::Segments), true),
        (
            "/campaigns",
            "nav.campaigns",
            may(Resource::Campaigns),
            true,
        ),
        ("/loyalty", "nav.loyalty", true, false),
        ("/service", "nav.service", true, false),
        ("/sources", "nav.sources", may(Resource::Sources), true),
        ("/imports", "nav.imports", may(Resource::Imports), true),
        (
            "/settings",
            "nav.settings",
            settings_tab(principal).is_some(),
            true,
        ),
        ("/audit", "nav.audit", may(Resource::Audit), true),
    ];
    entries
        .into_iter()
        .filter(|(_, _, allowed, _)| *allowed)
        .map(|(href, label_key, _, ready)| NavItem {
            href,
            label_key,
            active: href == active,
            ready,
        })
        .collect()
}

/// The first settings page the caller may open, if any.
pub fn settings_tab(principal: &Principal) -> Option<&'static str> {
    [
        (Resource::Settings, "/settings/shop"),
        (Resource::Users, "/settings/users"),
        (Resource::Roles, "/settings/roles"),
        (Resource::ApiKeys, "/settings/api-keys"),
    ]
    .into_iter()
    .find(|(r, _)| principal.require(*r, Action::View).is_ok())
    .map(|(_, href)| href)
}

/// Renders a template into a response; a template that fails to render is a bug, answered 500.
pub fn render(template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "a console template failed to render");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

/// Pages with personal data or a secret shown once are never stored by the browser or a proxy.
pub fn private(mut response: Response) -> Response {
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    response
}

/// Renders a template answered with `status` (a form shown again with its error, say).
pub fn render_status(template: &impl Template, status: StatusCode) -> Response {
    let mut response = render(template);
    *response.status_mut() = status;
    response
}

/// A page that only says something: errors, refusals.
#[derive(Template)]
#[template(path = "console/message.html")]
pub struct Page {
    pub tr: Tr,
    pub status: StatusCode,
    pub message: String,
}

impl Page {
    pub fn new(tr: Tr, status: StatusCode, message: String) -> Self {
        Self {
            tr,
            status,
            message,
        }
    }

    pub fn forbidden(tr: Tr) -> Self {
        Self::new(
            tr,
            StatusCode::FORBIDDEN,
            tr.get("error.forbidden").to_owned(),
        )
    }

    pub fn not_found(tr: Tr) -> Self {
        Self::new(
            tr,
            StatusCode::NOT_FOUND,
            tr.get("error.not_found").to_owned(),
        )
    }

    /// A form without this session's CSRF token: refused, nothing changed.
    pub fn forged(tr: Tr) -> Self {
        Self::new(tr, StatusCode::FORBIDDEN, tr.get("login.forged").to_owned())
    }

    pub fn internal(tr: Tr, cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "console request failed");
        Self::new(
            tr,
            StatusCode::INTERNAL_SERVER_ERROR,
            tr.get("error.internal").to_owned(),
        )
    }

    pub fn from_staff_error(e: StaffError, tr: Tr) -> Self {
        match e {
            StaffError::Invalid(field, reason) => Self::new(
                tr,
                StatusCode::BAD_REQUEST,
                invalid_text(tr, field, &reason),
            ),
            other => Self::internal(tr, &other),
        }
    }
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        render_status(&self, self.status)
    }
}
