//! The JSON API under `/api/v1`, described by the OpenAPI document generated from these very
//! routes (`/api/v1/openapi.json`).

mod analytics;
mod campaigns;
mod consent;
mod coupons;
mod customers;
mod inbox;
mod journeys;
mod orders;
mod recommendations;
pub(crate) mod scores;
mod segment_members;
mod segments;
mod suppressions;
mod templates;

pub(crate) use analytics::period;
pub(crate) use segment_members::member_csv;
mod views;

use crate::AppState;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(title = "Guanxi API", description = "Customers, orders and events of a Guanxi shop. Authenticate with `Authorization: Bearer KEY`."),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(orders::upsert))
        .routes(routes!(orders::get_order))
        .routes(routes!(orders::refund_order))
        .routes(routes!(customers::list))
        .routes(routes!(customers::lookup))
        .routes(routes!(customers::get_customer, customers::edit))
        .routes(routes!(customers::events))
        .routes(routes!(customers::orders))
        .routes(routes!(recommendations::recommendations))
        .routes(routes!(analytics::rfm))
        .routes(routes!(analytics::customers))
        .routes(routes!(analytics::clv))
        .routes(routes!(segments::list, segments::create))
        .routes(routes!(segments::preview))
        .routes(routes!(
            segments::get_segment,
            segments::update,
            segments::delete
        ))
        .routes(routes!(segment_members::members))
        .routes(routes!(segment_members::tag))
        .routes(routes!(segment_members::export))
        .routes(routes!(templates::list, templates::create))
        .routes(routes!(
            templates::get_template,
            templates::update,
            templates::delete
        ))
        .routes(routes!(templates::preview))
        .routes(routes!(templates::test_send))
        .routes(routes!(campaigns::list, campaigns::create))
        .routes(routes!(campaigns::get_campaign, campaigns::update))
        .routes(routes!(campaigns::launch))
        .routes(routes!(campaigns::results))
        .routes(routes!(consent::get_consent, consent::set_consent))
        .routes(routes!(inbox::inbox))
        .routes(routes!(inbox::mark_read))
        .routes(routes!(inbox::replay))
        .routes(routes!(journeys::list, journeys::create))
        .routes(routes!(journeys::get_journey, journeys::publish))
        .routes(routes!(journeys::set_status))
        .routes(routes!(journeys::results))
        .routes(routes!(coupons::check))
        .routes(routes!(
            suppressions::list,
            suppressions::add,
            suppressions::remove
        ))
}

/// Cursors are opaque to clients; inside they are the last id of the previous page.
pub(crate) fn parse_cursor(cursor: Option<&str>) -> Result<Option<i64>, crate::ApiError> {
    cursor
        .filter(|c| !c.is_empty())
        .map(|c| {
            c.parse::<i64>().map_err(|_| {
                guanxi_domain::FieldError::new("cursor", "is not a cursor this API gave out").into()
            })
        })
        .transpose()
}

pub(crate) fn limit(raw: Option<u32>) -> Result<u32, crate::ApiError> {
    match raw.unwrap_or(50) {
        n @ 1..=500 => Ok(n),
        _ => Err(guanxi_domain::FieldError::new("limit", "must be between 1 and 500").into()),
    }
}
