//! The HTTP API under `/api/v1`. Handlers are thin: extract (auth is an extractor), call
//! storage or the engine on a blocking thread, map the result. Every route is listed in
//! `router`.

mod auth;
mod error;
mod handlers;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};
use tokio::net::TcpListener;

pub use error::ApiError;

use crate::storage::Db;

/// Largest request body accepted, checked before any parsing.
pub const MAX_BODY_BYTES: usize = 8 << 20;

pub struct AppState {
    pub db: Arc<Db>,
}

/// Runs blocking storage work off the async threads.
async fn blocking<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&Db) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let db = state.db.clone();
    tokio::task::spawn_blocking(move || f(&db)).await?
}

pub fn router(state: Arc<AppState>) -> Router {
    use handlers::*;
    let api = Router::new()
        .route("/auth/login", post(login))
        .route("/auth/logout", post(logout))
        .route("/users", get(list_users).post(create_user))
        .route("/users/{id}/settlements", put(assign_settlements))
        .route(
            "/settlements",
            get(list_settlements).post(import_settlements),
        )
        .route("/forms", get(list_forms).post(publish_form))
        .route("/forms/{form_id}/{version}", get(form_definition))
        .route("/forms/{form_id}/{version}/state", post(set_form_state))
        .route("/devices", get(list_devices).post(enroll_device))
        .route("/devices/{id}/revoke", post(revoke_device))
        .route("/sync/push", post(push))
        .route("/sync/status", get(sync_status))
        .route("/sync/pull", get(pull))
        .route("/responses", get(list_responses))
        .route("/responses/{id}", get(get_response))
        .route("/responses/{id}/review", post(review_response))
        .route("/responses/{id}/corrections", post(correct_response))
        .route("/responses/{id}/resolve", post(resolve_conflict))
        .route("/audit", get(audit_log))
        .fallback(not_found);
    Router::new()
        .route("/healthz", get(healthz))
        .nest("/api/v1", api)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(refuse_oversized))
        .with_state(state)
}

/// Answers 413 from the declared `Content-Length` before reading any of the body. Bodies
/// without a length (chunked) are cut off at the same limit by `DefaultBodyLimit` as they are
/// read; both answers use the JSON error shape.
async fn refuse_oversized(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let declared = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return ApiError::new(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the request body is larger than {MAX_BODY_BYTES} bytes"),
        )
        .into_response();
    }
    next.run(req).await
}

/// Serves until `shutdown` completes, then finishes the requests in flight.
pub async fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}
