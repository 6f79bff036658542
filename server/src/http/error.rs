//! One error type for every route, rendered as `{code, message, details}` with a stable
//! `code`. Internal errors are logged and never described to the caller.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, OptionalFromRequest, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use baraza_schema::api::ErrorBody;
use serde_json::Value;

use crate::storage::{LoginError, PasswordError, SessionError, StoreError};

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Value,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            details: Value::Null,
            retry_after: None,
        }
    }

    pub fn with_details(mut self, details: Value) -> ApiError {
        self.details = details;
        self
    }

    pub fn malformed(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "malformed", message)
    }

    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn internal(e: impl std::fmt::Display) -> ApiError {
        tracing::error!(error = %e, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; see the server log",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            code: self.code.to_owned(),
            message: self.message,
            details: self.details,
        };
        let mut res = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        res
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::NotFound(what) => ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("{what} not found"),
            ),
            StoreError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, "conflict", m),
            StoreError::Invalid(m) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", m),
            // PostgreSQL down, going down, starting up or unreachable: nothing was stored, and
            // the pool connects afresh on the next request.
            StoreError::Postgres(e) if unreachable(&e) => {
                tracing::warn!(error = %e, "the database cannot be reached");
                let mut err = ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "the database cannot be reached; nothing was stored, try again shortly",
                );
                err.retry_after = Some(5);
                err
            }
            other => ApiError::internal(other),
        }
    }
}

/// Whether a PostgreSQL error says the database is not there to answer, rather than that it
/// refused the statement: the connection closed or failed, or SQLSTATE class 08 (connection
/// exception) or 57P (the server shutting down, crashed, or not accepting connections yet —
/// what a transaction in flight gets from `pg_ctl stop -m immediate`).
fn unreachable(e: &postgres::Error) -> bool {
    e.is_closed()
        || std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>())
        || e.code()
            .is_some_and(|c| c.code().starts_with("08") || c.code().starts_with("57P"))
}

impl From<LoginError> for ApiError {
    fn from(e: LoginError) -> ApiError {
        match e {
            LoginError::BadCredentials => ApiError::unauthorized("wrong username or password"),
            LoginError::Throttled { retry_after_secs } => {
                let mut err = ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "throttled",
                    format!("too many failed logins; try again in {retry_after_secs} s"),
                );
                err.retry_after = Some(retry_after_secs);
                err
            }
            LoginError::Store(s) => s.into(),
        }
    }
}

impl From<PasswordError> for ApiError {
    fn from(e: PasswordError) -> ApiError {
        match e {
            PasswordError::WrongCurrent => ApiError::forbidden("the current password is wrong"),
            PasswordError::Store(s) => s.into(),
        }
    }
}

impl From<SessionError> for ApiError {
    fn from(e: SessionError) -> ApiError {
        match e {
            SessionError::Invalid => {
                ApiError::unauthorized("the session token is not valid; log in")
            }
            SessionError::Expired => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "token_expired",
                "the session has expired; log in again",
            ),
            SessionError::Store(s) => s.into(),
        }
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(e: tokio::task::JoinError) -> ApiError {
        ApiError::internal(e)
    }
}

/// `axum::Json`, but a body that is too large, not JSON, or not the expected shape gets the
/// same error shape as everything else (413 or 400), never axum's plain-text rejection.
pub struct Json<T>(pub T);

impl<S, T> FromRequest<S> for Json<T>
where
    axum::Json<T>: FromRequest<S, Rejection = JsonRejection>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Json(v)),
            Err(rejection) => Err(json_rejection(&rejection)),
        }
    }
}

/// An optional body: none when the request has none (whatever its `Content-Type`: clients
/// send `application/json` on every request), else a JSON object read as [`Json`] (serde
/// would also read a struct whose fields may all be absent from a list such as `[null]`).
impl<S, T> OptionalFromRequest<S> for Json<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Option<Self>, ApiError> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| too_large_or_malformed(e.status(), e.body_text()))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        match axum::Json::<serde_json::Value>::from_bytes(&bytes) {
            Ok(axum::Json(v)) if v.is_object() => serde_json::from_value(v)
                .map(|v| Some(Json(v)))
                .map_err(|e| ApiError::malformed(e.to_string())),
            Ok(_) => Err(ApiError::malformed("the body must be a JSON object")),
            Err(rejection) => Err(json_rejection(&rejection)),
        }
    }
}

fn json_rejection(rejection: &JsonRejection) -> ApiError {
    too_large_or_malformed(rejection.status(), rejection.body_text())
}

fn too_large_or_malformed(status: StatusCode, why: String) -> ApiError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "the request body is larger than the server accepts",
        );
    }
    ApiError::malformed(why)
}

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// `axum::extract::Query`, but a query string that does not parse gets the JSON error shape.
pub struct Query<T>(pub T);

impl<S, T> FromRequestParts<S> for Query<T>
where
    axum::extract::Query<T>: FromRequestParts<S, Rejection = QueryRejection>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Query(q.0))
            .map_err(|r| ApiError::malformed(r.body_text()))
    }
}

/// `axum::extract::Path`, but a path parameter that does not parse gets the JSON error shape.
pub struct Path<T>(pub T);

impl<S, T> FromRequestParts<S> for Path<T>
where
    axum::extract::Path<T>: FromRequestParts<S, Rejection = PathRejection>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Path(p.0))
            .map_err(|r| ApiError::malformed(r.body_text()))
    }
}
