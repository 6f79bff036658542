//! Who is calling: a signed-in user (bearer session token) or an enrolled device (bearer
//! device credential). Both are extractors, so a handler that names one cannot run without it.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};

use super::error::ApiError;
use super::{AppState, blocking};
use crate::storage::{Caller, Device, Role};

fn bearer(parts: &Parts) -> Result<String, ApiError> {
    let value = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ApiError::unauthorized("an Authorization: Bearer header is required"))?;
    value
        .strip_prefix("Bearer ")
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty() && t.len() <= 256)
        .ok_or_else(|| ApiError::unauthorized("the Authorization header must be 'Bearer <token>'"))
}

/// A signed-in user, with the token they used (for logout).
pub struct Session {
    pub caller: Caller,
    pub token: String,
}

impl Session {
    /// Refuses callers whose role is not listed.
    pub fn require(&self, roles: &[Role]) -> Result<&Caller, ApiError> {
        if roles.contains(&self.caller.role) {
            Ok(&self.caller)
        } else {
            Err(ApiError::forbidden(format!(
                "a {} may not do this",
                self.caller.role.as_str()
            )))
        }
    }
}

impl FromRequestParts<Arc<AppState>> for Session {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, ApiError> {
        let token = bearer(parts)?;
        let t = token.clone();
        let caller = blocking(state, move |db| Ok(db.session(&t)?)).await?;
        // After an admin reset the password, the session may only choose a new one (or end).
        // (Inside the `/api/v1` nest the router sees the path without the prefix.)
        let path = parts.uri.path();
        let path = path.strip_prefix("/api/v1").unwrap_or(path);
        if caller.must_change_password && !["/auth/password", "/auth/logout"].contains(&path) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "password_change_required",
                "choose a new password first (PUT /api/v1/auth/password)",
            ));
        }
        Ok(Session { caller, token })
    }
}

/// An enrolled, not revoked device.
pub struct DeviceAuth(pub Device);

impl FromRequestParts<Arc<AppState>> for DeviceAuth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, ApiError> {
        let token = bearer(parts)?;
        let device = blocking(state, move |db| Ok(db.device_by_token(&token)?))
            .await?
            .ok_or_else(|| {
                ApiError::unauthorized("unknown device credential; enroll the device again")
            })?;
        active(device).map(DeviceAuth)
    }
}

/// A revoked device is refused (its data stays on the phone for export).
fn active(device: Device) -> Result<Device, ApiError> {
    if device.revoked_at.is_some() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "device_revoked",
            "this device has been revoked; keep its data and ask a supervisor",
        ));
    }
    Ok(device)
}

/// Who may read a form definition: a signed-in user (the handler checks the role), or an
/// enrolled device (which downloads new form versions with its own credential, long after the
/// enumerator's session ended).
pub enum FormReader {
    User(Session),
    Device,
}

impl FromRequestParts<Arc<AppState>> for FormReader {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, ApiError> {
        let token = bearer(parts)?;
        let t = token.clone();
        match blocking(state, move |db| Ok(db.device_by_token(&t)?)).await? {
            Some(device) => active(device).map(|_| FormReader::Device),
            None => Session::from_request_parts(parts, state)
                .await
                .map(FormReader::User),
        }
    }
}
