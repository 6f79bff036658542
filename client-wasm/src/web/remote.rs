//! The server over `fetch`, same origin as the app.

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

pub use baraza_browser::fetch::Reply;

/// Sends one request. Network failures (offline, reset, server down) are `Unreachable`.
pub async fn send(
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<String>,
) -> Result<Reply, RemoteError> {
    baraza_browser::fetch::send(method, path, token, body.as_deref())
        .await
        .map_err(|e| RemoteError::Unreachable(e.0))
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
        Ok(reply.json::<Ack>().map(PushResponse::from)?)
    }

    async fn status(&self) -> Result<ServerStatus, RemoteError> {
        let reply = send("GET", "/api/v1/sync/status", Some(&self.token), None).await?;
        if !(200..300).contains(&reply.status) {
            return Err(classify(&reply));
        }
        // `api::SyncStatus`, read as plain JSON (see `app::enroll`).
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
