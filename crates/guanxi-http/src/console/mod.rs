//! The operator console: server-rendered pages (askama templates compiled into the binary),
//! in Chinese and English, that work without JavaScript. Every page checks the signed-in
//! user's permissions with the same `Principal` the JSON API uses.

mod account;
mod analytics;
mod analytics_period;
mod api_keys;
mod audit;
mod consent;
mod customers;
mod dashboard;
mod engage;
pub mod i18n;
mod imports;
mod insights;
mod login;
mod ownership;
pub(crate) mod page;
mod segment;
mod segments;
mod session;
mod settings;
mod shop;
mod show;
mod sources;
mod tags;
mod teams;

use crate::AppState;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};

/// The console's pages; an import's upload may be up to `max_upload_bytes`.
pub fn router(max_upload_bytes: usize) -> Router<AppState> {
    Router::new()
        .route("/", get(dashboard::show))
        .route("/login", get(login::show).post(login::submit))
        .route("/logout", post(login::log_out))
        .route("/account", get(account::show))
        .route("/account/password", post(account::change_password))
        .route("/account/totp", post(account::second_factor))
        .route("/account/language", post(login::switch_language))
        .route("/customers", get(customers::list))
        .route("/analytics", get(analytics::show))
        .route("/customers/{id}", get(customers::show))
        .route("/customers/{id}/reveal", post(customers::reveal))
        .route("/customers/{id}/tags", post(tags::edit))
        .route("/customers/{id}/consent", post(consent::change))
        .route(
            "/customers/{id}/owner",
            get(ownership::picker).post(ownership::assign),
        )
        .route("/segments", get(segments::list).post(segments::submit))
        .route("/segments/{id}", get(segment::show).post(segment::edit))
        .route("/segments/{id}/delete", post(segment::delete))
        .route("/segments/{id}/tags", post(segment::tag))
        .route("/segments/{id}/members.csv", get(segment::export))
        .route("/audit", get(audit::show))
        .route(
            "/imports",
            get(imports::list)
                .post(imports::upload)
                .layer(DefaultBodyLimit::max(max_upload_bytes)),
        )
        .route("/imports/{id}", get(imports::show))
        .route("/sources", get(sources::list).post(sources::register))
        .route(
            "/settings/api-keys",
            get(api_keys::list).post(api_keys::issue),
        )
        .route("/settings/api-keys/{id}/revoke", post(api_keys::revoke))
        .route("/settings", get(shop::first_tab))
        .route("/settings/shop", get(shop::show).post(shop::save))
        .route(
            "/settings/users",
            get(settings::users).post(settings::invite),
        )
        .route("/settings/users/{id}", post(settings::change_user))
        .route("/settings/teams", post(teams::create))
        .route(
            "/settings/roles",
            get(settings::roles).post(settings::save_role),
        )
        .route("/assets/console.css", get(stylesheet))
        .route("/assets/live.js", get(live_script))
        .merge(engage::router())
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../assets/console.css"),
    )
}

/// The script that keeps `data-live` regions current; the pages work without it.
async fn live_script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../assets/live.js"),
    )
}

#[cfg(test)]
mod tests {
    use super::i18n::{Lang, Tr};
    use guanxi_domain::OrderStatus;
    use guanxi_domain::access::{PersonalField, Role};
    use guanxi_store::ImportStatus;

    /// Keys the pages build from values (`role.<key>`, `status.<status>`, …) exist in both
    /// languages for every value there is.
    #[test]
    fn every_built_key_is_translated() {
        let mut keys: Vec<String> = Role::builtins()
            .iter()
            .map(|r| format!("role.{}", r.key))
            .collect();
        keys.extend(OrderStatus::all().map(|s| format!("status.{}", s.as_str())));
        keys.extend(
            PersonalField::ALL
                .iter()
                .map(|f| format!("field.{}", f.as_str())),
        );
        keys.extend(
            guanxi_channels::import::ImportFormat::all()
                .map(|f| format!("import_format.{}", f.as_str())),
        );
        keys.extend(
            [
                ImportStatus::Running,
                ImportStatus::Done,
                ImportStatus::Failed,
                ImportStatus::Interrupted,
            ]
            .map(|s| format!("import_status.{}", s.as_str())),
        );
        keys.extend(
            guanxi_app::keys::SOURCE_KINDS
                .iter()
                .map(|k| format!("source_kind.{k}")),
        );
        keys.extend(
            guanxi_app::keys::SCOPES
                .iter()
                .map(|s| format!("api_scope.{s}")),
        );
        keys.extend(
            super::audit::ACTIONS
                .iter()
                .map(|a| format!("audit_action.{a}")),
        );
        keys.extend(
            guanxi_engine::rfm::RfmClass::ALL
                .iter()
                .map(|c| format!("rfm_class.{}", c.key())),
        );
        keys.extend(
            guanxi_engine::lifecycle::Stage::ALL
                .iter()
                .map(|s| format!("lifecycle.{}", s.key())),
        );
        keys.extend(
            guanxi_engine::rfm::RfmGroup::ALL
                .iter()
                .map(|g| format!("rfm_group.{}", g.key())),
        );
        keys.extend(
            guanxi_app::analytics::FUNNEL_EVENTS
                .iter()
                .chain(&["ordered"])
                .map(|step| super::analytics_period::funnel_key(step)),
        );
        keys.extend(
            guanxi_domain::messaging::Channel::ALL.map(|c| format!("channel.{}", c.as_str())),
        );
        keys.extend(
            guanxi_domain::messaging::DeliveryStatus::ALL
                .map(|s| format!("delivery_status.{}", s.as_str())),
        );
        keys.extend(
            ["draft", "scheduled", "queuing", "sending"].map(|s| format!("campaign_status.{s}")),
        );
        keys.extend(["draft", "active", "paused"].map(|s| format!("journey_status.{s}")));
        keys.extend(["opened", "clicked", "converted"].map(|m| format!("campaigns.metric_{m}")));
        keys.extend(
            guanxi_app::messaging::template::LANGUAGES
                .map(|l| format!("templates.language_{}", l.to_lowercase().replace('-', "_"))),
        );
        keys.extend(guanxi_domain::journey::StepKind::KEYS.map(|k| format!("journey_step.{k}")));
        keys.extend(
            ["subscribed", "unsubscribed", "unknown"].map(|s| format!("consent_status.{s}")),
        );
        keys.extend(
            [
                "campaigns.launched",
                "suppressions.added",
                "suppressions.removed",
            ]
            .map(String::from),
        );
        for lang in [Lang::ZhCn, Lang::En] {
            for key in &keys {
                assert!(Tr::new(lang).has(key), "{} lacks {key}", lang.code());
            }
        }
    }
}
