//! The HTTP API under `/api/v1`. Handlers are thin: extract (auth is an extractor), call
//! storage or the engine on a blocking thread, map the result. Every route is listed in
//! `router`.

mod attachments;
mod auth;
mod error;
mod handlers;
mod openapi;
mod openrosa;
pub(crate) mod throttle;
pub mod tls;
pub mod web;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use tokio::net::TcpListener;

pub use attachments::AttachmentLimits;
pub use error::ApiError;

use crate::storage::Store;

/// Largest request body accepted, checked before any parsing.
pub const MAX_BODY_BYTES: usize = 8 << 20;

pub struct AppState {
    pub db: Arc<dyn Store>,
    /// The built web client (`index.html`, `pkg/`, `sw.js`…), served at `/`; `None` serves
    /// the API alone.
    pub client_dir: Option<std::path::PathBuf>,
    /// The web apps compiled into the binary, served when `client_dir` is not set.
    pub embedded: Option<web::Embedded>,
    /// Push batches being validated or stored at once: one per core. A batch's validation is
    /// CPU work and its write is serialized anyway, so more at once only hold more memory;
    /// the others wait with their bodies read.
    push_slots: tokio::sync::Semaphore,
    /// How long a request may take to arrive and be answered; a slower one gets 408, so a
    /// client trickling its body cannot hold a connection and a task forever.
    pub request_timeout: std::time::Duration,
    /// Where `POST /backups` writes (`<data>/backups`); `None`: no backups over the API.
    pub backup_dir: Option<std::path::PathBuf>,
    /// HTTPS: connections are TLS, and every answer carries `Strict-Transport-Security`.
    pub tls: Option<tokio_rustls::TlsAcceptor>,
    /// Password checks at once: one per core. Each holds Argon2's 7 MiB, so a flood of sign-ins
    /// waits here instead of growing memory.
    pub(crate) login_slots: tokio::sync::Semaphore,
    /// Failed sign-ins per client address (progressive delay).
    pub(crate) login_throttle: throttle::AddressThrottle,
    /// Behind a reverse proxy on this machine: the client's address is the last one in
    /// `X-Forwarded-For` when the connection comes from loopback.
    pub trust_forwarded_for: bool,
    /// The largest answer attachment, and the most bytes of them in one interview.
    pub attachment_limits: AttachmentLimits,
    /// ODK Collect's Digest sign-in (`--odk-digest`): the nonces; `None`, not offered.
    pub odk_digest: Option<openrosa::DigestNonces>,
}

impl AppState {
    pub fn new(db: Arc<dyn Store>, client_dir: Option<std::path::PathBuf>) -> AppState {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        AppState {
            db,
            client_dir,
            embedded: None,
            push_slots: tokio::sync::Semaphore::new(cores),
            request_timeout: std::time::Duration::from_secs(60),
            backup_dir: None,
            tls: None,
            login_slots: tokio::sync::Semaphore::new(cores),
            login_throttle: throttle::AddressThrottle::default(),
            trust_forwarded_for: false,
            attachment_limits: AttachmentLimits::default(),
            odk_digest: None,
        }
    }
}

/// Fault injection for the crash harness (`tests/crash.rs`): with `BARAZA_CRASH_AFTER_COMMIT=n`
/// in the environment the process aborts right after the n-th push batch committed, before
/// its reply is sent: the moment a random kill seldom hits. Only in a build with the
/// `fault-injection` feature (`./dev test` builds the test binary so); a release build has
/// neither the code nor the variable's name.
#[cfg(not(feature = "fault-injection"))]
fn crash_point_after_commit() {}

#[cfg(feature = "fault-injection")]
fn crash_point_after_commit() {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};
    static AFTER: OnceLock<Option<u64>> = OnceLock::new();
    static COMMITTED: AtomicU64 = AtomicU64::new(0);
    let after = AFTER.get_or_init(|| {
        std::env::var("BARAZA_CRASH_AFTER_COMMIT")
            .ok()
            .and_then(|v| v.parse().ok())
    });
    if let Some(n) = after
        && COMMITTED.fetch_add(1, Ordering::SeqCst) + 1 == *n
    {
        eprintln!("BARAZA_CRASH_AFTER_COMMIT: aborting after batch {n} committed");
        std::process::abort();
    }
}

/// Runs blocking storage work off the async threads.
async fn blocking<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&dyn Store) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let db = state.db.clone();
    tokio::task::spawn_blocking(move || f(db.as_ref())).await?
}

/// The API and its OpenAPI document, built from the same annotated handlers.
fn api() -> (Router<Arc<AppState>>, utoipa::openapi::OpenApi) {
    use handlers::*;
    use utoipa::OpenApi;
    use utoipa_axum::router::OpenApiRouter;
    use utoipa_axum::routes;
    let v1 = OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(change_password))
        .routes(routes!(reset_password))
        .routes(routes!(disable_user))
        .routes(routes!(enable_user))
        .routes(routes!(set_role))
        .routes(routes!(end_sessions))
        .routes(routes!(list_users, create_user))
        .routes(routes!(assign_settlements))
        .routes(routes!(list_settlements, import_settlements))
        .routes(routes!(import_settlements_csv))
        .routes(routes!(list_backups, take_backup))
        .routes(routes!(list_forms, publish_form))
        .routes(routes!(check_form))
        .routes(routes!(form_definition))
        .routes(routes!(form_file))
        .routes(routes!(set_form_state))
        .routes(routes!(list_devices, enroll_device))
        .routes(routes!(revoke_device))
        .routes(routes!(create_enrollment_code))
        .routes(routes!(enroll_with_code))
        .routes(routes!(openrosa::create_odk_key))
        .routes(routes!(push))
        .routes(routes!(
            attachments::upload_state,
            attachments::upload_bytes
        ))
        .routes(routes!(import_export))
        .routes(routes!(sync_status))
        .routes(routes!(pull))
        .routes(routes!(progress))
        .routes(routes!(list_responses))
        .routes(routes!(get_response))
        .routes(routes!(attachments::download))
        .routes(routes!(review_response))
        .routes(routes!(correct_response))
        .routes(routes!(resolve_conflict))
        .routes(routes!(list_quarantine))
        .routes(routes!(dismiss_quarantined))
        .routes(routes!(release_quarantined))
        .routes(routes!(list_reports))
        .routes(routes!(get_report))
        .routes(routes!(report_sheet))
        .routes(routes!(export_raw))
        .routes(routes!(get_report_settings, set_report_settings))
        .routes(routes!(get_fieldwork, set_fieldwork))
        .routes(routes!(refresh_reference_values))
        .routes(routes!(audit_log));
    let (router, mut doc) = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(healthz))
        .nest("/api/v1", v1)
        .split_for_parts();
    utoipa::Modify::modify(&openapi::CommonResponses, &mut doc);
    (router, doc)
}

/// The OpenAPI document served at `/api/v1/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api().1
}

/// The pages' Content-Security-Policy: scripts only from this server's own files (no inline
/// script; `wasm-unsafe-eval` lets them compile WebAssembly), no framing, no plugins. Inline
/// styles stay allowed: the dashboard's charting library sets them.
const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; \
    worker-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; \
    form-action 'self'";

pub fn router(state: Arc<AppState>) -> Router {
    let (routes, doc) = api();
    let doc = Arc::new(doc);
    let routes = routes.route(
        "/api/v1/openapi.json",
        get(move || async move { axum::Json(doc.as_ref().clone()) }),
    );
    // Everything that is not an API route is the web apps' files (a folder `./dev` built, or
    // the copy inside the binary); what is neither is the API's JSON 404.
    let routes = match (state.client_dir.as_deref(), state.embedded) {
        (Some(dir), _) if dir.join("index.html").is_file() => {
            // `./dev` writes a `.gz` beside each file: phones download the gzipped size.
            routes.fallback_service(
                tower_http::services::ServeDir::new(dir)
                    .precompressed_gzip()
                    .not_found_service(axum::handler::HandlerWithoutStateExt::into_service(
                        handlers::not_found,
                    )),
            )
        }
        (None, Some(get)) if get("index.html").is_some() => {
            routes.fallback_service(axum::Router::new().fallback(web::serve).with_state(get))
        }
        _ => routes.fallback(handlers::client_missing),
    };
    let header = |name, value| {
        tower_http::set_header::SetResponseHeaderLayer::if_not_present(
            name,
            axum::http::HeaderValue::from_static(value),
        )
    };
    use axum::http::header::{
        CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
    };
    let timeout = axum::middleware::from_fn_with_state(state.clone(), time_limit);
    // On HTTPS, browsers are told to use nothing else for a year (a phone's service worker
    // needs it anyway); over plain HTTP the header would mean nothing.
    let routes = match state.tls {
        Some(_) => routes.layer(header(
            axum::http::header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000",
        )),
        None => routes,
    };
    // The OpenRosa routes come in with their own timeouts (a submission's post may be long).
    routes
        .layer(timeout)
        .merge(openrosa::routes(&state))
        .layer(header(CONTENT_SECURITY_POLICY, CSP))
        .layer(header(X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header(X_FRAME_OPTIONS, "DENY"))
        .layer(header(REFERRER_POLICY, "no-referrer"))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            refuse_oversized,
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// Answers 408 to a request not answered within the request timeout, but for a phone's export
/// with its files (`POST /sync/import` as a zip, up to 4 GiB, which no timeout would fit on a
/// slow line): its handler cuts it off instead when its body stops arriving for as long
/// (`attachments::spool_body`).
async fn time_limit(
    axum::extract::State(state): axum::extract::State<Arc<AppState>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if attachments::is_export_upload(&req) {
        return next.run(req).await;
    }
    let limit = state.request_timeout;
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(res) => res,
        Err(_) => ApiError::new(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            format!("the request took longer than {} s", limit.as_secs()),
        )
        .into_response(),
    }
}

/// Answers 413 from the declared `Content-Length` before reading any of the body. Bodies
/// without a length (chunked) are cut off at the same limit by `DefaultBodyLimit` as they are
/// read; both answers use the JSON error shape. A submission's post may carry an interview's
/// files (`AttachmentLimits::post_bytes`), and a phone's export with its files is a zip of up
/// to 4 GiB (`attachments::EXPORT_BYTES`); their handlers count a chunked body's bytes
/// themselves.
async fn refuse_oversized(
    axum::extract::State(state): axum::extract::State<Arc<AppState>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let declared = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let path = req.uri().path();
    let post_bytes = state.attachment_limits.post_bytes();
    let limit = if openrosa::is_submission(path) {
        post_bytes
    } else if attachments::is_export_upload(&req) {
        attachments::EXPORT_BYTES
    } else {
        MAX_BODY_BYTES as u64
    };
    if declared.is_some_and(|n| n > limit) {
        let text = format!("the request body is larger than {limit} bytes");
        if openrosa::is_openrosa_path(path) {
            let mut res =
                openrosa::OpenRosaError::new(axum::http::StatusCode::PAYLOAD_TOO_LARGE, text)
                    .into_response();
            openrosa::with_headers(&mut res, post_bytes);
            return res;
        }
        return ApiError::new(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            text,
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
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use hyper_util::server::conn::auto::Builder;
    use hyper_util::service::TowerToHyperService;
    // `axum::serve` without its one gap: a client that trickles its request *head* is cut off
    // after the same timeout that bounds a whole request once its head has arrived.
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(state.request_timeout);
    let tls = state.tls.clone();
    let handshake_timeout = state.request_timeout;
    let app = router(state);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Handlers that need the client's address (sign-in throttling) read it from here.
        let service = TowerToHyperService::new(tower_http::add_extension::AddExtension::new(
            app.clone(),
            axum::extract::ConnectInfo(peer),
        ));
        let builder = builder.clone();
        let watcher = graceful.watcher();
        let tls = tls.clone();
        tokio::spawn(async move {
            // The TLS handshake runs here, off the accept loop, and within the same deadline
            // as a request head: a client that stalls it holds only its own task.
            let served = match tls {
                None => {
                    let conn =
                        builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
                    watcher.watch(conn.into_owned()).await
                }
                Some(acceptor) => {
                    match tokio::time::timeout(handshake_timeout, acceptor.accept(stream)).await {
                        Ok(Ok(stream)) => {
                            let conn = builder
                                .serve_connection_with_upgrades(TokioIo::new(stream), service);
                            watcher.watch(conn.into_owned()).await
                        }
                        Ok(Err(e)) => Err(e.into()),
                        Err(_) => Err("the TLS handshake timed out".into()),
                    }
                }
            };
            if let Err(e) = served {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    // Stop accepting; let the requests in flight finish (their replies may be acks).
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}
