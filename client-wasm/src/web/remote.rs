//! The server over `fetch`, same origin as the app.

use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestInit, Response};

use crate::sync::{Remote, RemoteError, ServerStatus};
use baraza_schema::wire::{ItemResult, ItemStatus, PushRequest, PushResponse, QuarantineCode};

/// The acknowledgement as the device reads it: the per-item `issues` a quarantine carries are
/// for supervisors and are skipped (decoding them would double the code that parses replies).
#[derive(serde::Deserialize)]
struct Ack {
    server_epoch: String,
    acked_through_seq: u64,
    results: Vec<AckItem>,
}

#[derive(serde::Deserialize)]
struct AckItem {
    device_seq: u64,
    status: ItemStatus,
    #[serde(default)]
    server_seq: Option<i64>,
    #[serde(default)]
    code: Option<QuarantineCode>,
}

impl From<Ack> for PushResponse {
    fn from(a: Ack) -> PushResponse {
        PushResponse {
            server_epoch: a.server_epoch,
            acked_through_seq: a.acked_through_seq,
            results: a
                .results
                .into_iter()
                .map(|r| ItemResult {
                    device_seq: r.device_seq,
                    status: r.status,
                    server_seq: r.server_seq,
                    code: r.code,
                    issues: Vec::new(),
                })
                .collect(),
        }
    }
}

/// A reply: status, `Retry-After` seconds, body text.
pub struct Reply {
    pub status: u16,
    pub retry_after: Option<u64>,
    pub body: String,
}

impl Reply {
    /// The stable error code of a JSON error body, or the status.
    pub fn code(&self) -> String {
        serde_json::from_str::<serde_json::Value>(&self.body)
            .ok()
            .and_then(|v| v.get("code").and_then(|c| c.as_str()).map(str::to_owned))
            .unwrap_or_else(|| format!("http_{}", self.status))
    }

    /// The human message of a JSON error body.
    pub fn message(&self) -> String {
        serde_json::from_str::<serde_json::Value>(&self.body)
            .ok()
            .and_then(|v| v.get("message").and_then(|c| c.as_str()).map(str::to_owned))
            .unwrap_or_else(|| format!("the server answered {}", self.status))
    }

    pub fn json<T: DeserializeOwned>(&self) -> Result<T, RemoteError> {
        serde_json::from_str(&self.body).map_err(|e| RemoteError::InvalidReply(e.to_string()))
    }
}

/// Sends one request. Network failures (offline, reset, server down) are `Unreachable`.
pub async fn send(
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<String>,
) -> Result<Reply, RemoteError> {
    let unreachable = |e: JsValue| RemoteError::Unreachable(format!("{e:?}"));
    let init = RequestInit::new();
    init.set_method(method);
    if let Some(b) = &body {
        init.set_body(&JsValue::from_str(b));
    }
    let request = Request::new_with_str_and_init(path, &init).map_err(unreachable)?;
    let headers = request.headers();
    if body.is_some() {
        headers
            .set("Content-Type", "application/json")
            .map_err(unreachable)?;
    }
    if let Some(t) = token {
        headers
            .set("Authorization", &format!("Bearer {t}"))
            .map_err(unreachable)?;
    }
    let window = web_sys::window().ok_or_else(|| RemoteError::Unreachable("no window".into()))?;
    let response: Response = JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(unreachable)?
        .dyn_into()
        .map_err(unreachable)?;
    let retry_after = response
        .headers()
        .get("Retry-After")
        .ok()
        .flatten()
        .and_then(|s| s.trim().parse().ok());
    let text = JsFuture::from(response.text().map_err(unreachable)?)
        .await
        .map_err(unreachable)?
        .as_string()
        .unwrap_or_default();
    Ok(Reply {
        status: response.status(),
        retry_after,
        body: text,
    })
}

/// Maps a non-2xx reply to what the sync engine should do about it.
pub fn classify(reply: &Reply) -> RemoteError {
    match reply.status {
        401 => RemoteError::Unauthorized,
        403 if reply.code() == "device_revoked" => RemoteError::Revoked,
        429 | 502 | 503 | 504 => RemoteError::Busy {
            retry_after_secs: reply.retry_after,
        },
        s if s >= 500 => RemoteError::Unreachable(reply.message()),
        s => RemoteError::Refused {
            status: s,
            code: reply.code(),
        },
    }
}

/// The sync endpoints with the device credential.
pub struct Http {
    pub token: String,
}

impl Remote for Http {
    async fn push(&self, request: &PushRequest) -> Result<PushResponse, RemoteError> {
        let body =
            serde_json::to_string(request).map_err(|e| RemoteError::Unreachable(e.to_string()))?;
        let reply = send("POST", "/api/v1/sync/push", Some(&self.token), Some(body)).await?;
        if !(200..300).contains(&reply.status) {
            return Err(classify(&reply));
        }
        reply.json::<Ack>().map(PushResponse::from)
    }

    async fn status(&self) -> Result<ServerStatus, RemoteError> {
        let reply = send("GET", "/api/v1/sync/status", Some(&self.token), None).await?;
        if !(200..300).contains(&reply.status) {
            return Err(classify(&reply));
        }
        let status: serde_json::Value = reply.json()?;
        let epoch = status
            .get("server_epoch")
            .and_then(|e| e.as_str())
            .filter(|e| !e.is_empty())
            .ok_or_else(|| RemoteError::InvalidReply("no server_epoch in the status".into()))?;
        Ok(ServerStatus {
            epoch: epoch.to_owned(),
            backed_up_through_seq: status
                .get("backed_up_through_seq")
                .and_then(|s| s.as_u64())
                .unwrap_or(0),
        })
    }
}
