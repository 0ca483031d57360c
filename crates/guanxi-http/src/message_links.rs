//! The links inside messages, reached by customers without signing in: the open pixel, the
//! click redirect and the unsubscribe page (both languages at once; RFC 8058 one-click
//! unsubscribe POSTs to it). Tokens are signed; a forged one changes nothing.

use crate::AppState;
use crate::console::i18n::{Lang, Tr};
use crate::console::page::render_status;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use guanxi_app::messaging::tracking::{self, Tracked};

/// A transparent 1×1 GIF.
const PIXEL: &[u8] = &[
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
];

/// A line for the customer in both languages, Chinese first.
fn both(key: &str) -> String {
    format!(
        "{} · {}",
        Tr::new(Lang::ZhCn).get(key),
        Tr::new(Lang::En).get(key)
    )
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/m/o/{token}", get(open))
        .route("/m/c/{token}", get(click))
        .route("/m/u/{token}", get(unsubscribe_page).post(unsubscribe))
}

#[derive(Template)]
#[template(path = "public/unsubscribe.html")]
struct UnsubscribePage {
    zh: Tr,
    en: Tr,
    /// Both, Chinese first: the page speaks both languages at once.
    languages: [Tr; 2],
    /// `confirm`, `done` or `invalid`.
    state: &'static str,
    token: String,
}

fn page(state: &'static str, token: String, status: StatusCode) -> Response {
    let page = UnsubscribePage {
        zh: Tr::new(Lang::ZhCn),
        en: Tr::new(Lang::En),
        languages: [Tr::new(Lang::ZhCn), Tr::new(Lang::En)],
        state,
        token,
    };
    let mut response = render_status(&page, status);
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        "no-store".parse().expect("static header"),
    );
    response
}

async fn open(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    if let Err(e) = tracking::follow(&state.messaging, &token, false).await {
        tracing::warn!(error = %e, "an open could not be recorded");
    }
    (
        [
            (header::CONTENT_TYPE, "image/gif"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        PIXEL,
    )
        .into_response()
}

async fn click(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    match tracking::follow(&state.messaging, &token, false).await {
        Ok(Some(Tracked::Clicked(url))) => Redirect::to(&url).into_response(),
        Ok(_) => (StatusCode::NOT_FOUND, both("links.invalid")).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "a click could not be recorded");
            (StatusCode::SERVICE_UNAVAILABLE, both("links.unavailable")).into_response()
        }
    }
}

async fn unsubscribe_page(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    match tracking::follow(&state.messaging, &token, false).await {
        Ok(Some(Tracked::Unsubscribed)) => page("confirm", token, StatusCode::OK),
        Ok(_) => page("invalid", String::new(), StatusCode::NOT_FOUND),
        Err(e) => {
            tracing::error!(error = %e, "an unsubscribe page could not be shown");
            page("invalid", String::new(), StatusCode::SERVICE_UNAVAILABLE)
        }
    }
}

/// The form's button and mail clients' one-click POST (`List-Unsubscribe=One-Click`) alike.
async fn unsubscribe(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    match tracking::follow(&state.messaging, &token, true).await {
        Ok(Some(Tracked::Unsubscribed)) => page("done", String::new(), StatusCode::OK),
        Ok(_) => page("invalid", String::new(), StatusCode::NOT_FOUND),
        Err(e) => {
            tracing::error!(error = %e, "an unsubscribe could not be recorded");
            page("invalid", String::new(), StatusCode::SERVICE_UNAVAILABLE)
        }
    }
}
