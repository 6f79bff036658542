//! The client's sync engine (`baraza_client::sync`), run natively against a real server
//! process, with faults injected between the two.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::future::Future;

use baraza_client::sync::{
    EntryState, Limits, LocalStore, OutboxEntry, Outcome, Remote, RemoteError, ServerStatus,
    SyncError, sync_once,
};
use baraza_schema::wire::{self, PushItem, PushRequest, PushResponse};
use serde_json::Value;

use crate::support::Server;

/// The engine's futures never wait on anything here (both sides are synchronous), so a
/// single poll with a no-op waker drives them.
fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

#[derive(Default)]
struct MemStore {
    entries: BTreeMap<u64, OutboxEntry>,
    epoch: Option<String>,
    /// The last sequence number given out (entries may have been released since).
    last_seq: u64,
    /// After this many more writes succeed, the next one fails and changes nothing (a crash,
    /// a full disk).
    fail_after_writes: Option<u32>,
}

impl LocalStore for MemStore {
    type Error = String;
    async fn entries(&self) -> Result<Vec<OutboxEntry>, String> {
        Ok(self.entries.values().cloned().collect())
    }
    async fn update(
        &mut self,
        changes: Vec<(u64, EntryState)>,
        epoch: Option<&str>,
    ) -> Result<(), String> {
        self.write_fails()?;
        for (seq, _) in &changes {
            self.entries.get(seq).ok_or("unknown entry")?;
        }
        if let Some(epoch) = epoch {
            self.epoch = Some(epoch.to_owned());
        }
        for (seq, state) in changes {
            if let Some(e) = self.entries.get_mut(&seq) {
                e.state = state;
            }
        }
        Ok(())
    }
    async fn epoch(&self) -> Result<Option<String>, String> {
        Ok(self.epoch.clone())
    }
    async fn release(&mut self, seqs: Vec<u64>) -> Result<(), String> {
        for seq in seqs {
            self.entries.remove(&seq).ok_or("unknown entry")?;
        }
        Ok(())
    }
}

impl MemStore {
    /// Counts a write down to the injected failure.
    fn write_fails(&mut self) -> Result<(), String> {
        match self.fail_after_writes {
            Some(0) => {
                self.fail_after_writes = None;
                Err("the write failed".into())
            }
            Some(n) => {
                self.fail_after_writes = Some(n - 1);
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// Finalizes an interview: a new outbox entry with the next sequence number.
    fn finalize(&mut self, hh: u32) {
        self.last_seq += 1;
        let seq = self.last_seq;
        let payload = format!(
            r#"{{"settlement":"s02","hh_id":"S02-{hh:04}","interview_date":"2026-11-01","start":"2026-11-01T09:00:00Z","end":"2026-11-01T09:25:00Z","today":"2026-11-01","deviceid":"dev-1","enumerator_id":"E02","consent":"no"}}"#
        );
        let (form_id, form_version) = ("baraza_f1_household", "2026120301");
        let item = PushItem {
            device_seq: seq,
            response_id: format!("0193b7c2-0000-7000-8000-{hh:012}"),
            rev: wire::rev(None, form_id, form_version, payload.as_bytes()),
            parent_rev: None,
            form_id: form_id.into(),
            form_version: form_version.into(),
            content_hash: wire::content_hash(payload.as_bytes()),
            payload,
            saved_at: Some("2026-11-01T09:00:00Z".into()),
        };
        self.entries.insert(
            seq,
            OutboxEntry {
                item,
                state: EntryState::Pending,
            },
        );
    }

    fn pending(&self) -> usize {
        self.entries
            .values()
            .filter(|e| e.state == EntryState::Pending)
            .count()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Fault {
    None,
    /// The connection breaks before the request reaches the server.
    DropRequest,
    /// The server commits, then the reply is lost.
    LoseReply,
    /// A captive portal answers 200 with its own page.
    CaptivePortal,
}

struct HttpRemote<'a> {
    server: &'a Server,
    token: String,
    fault: Cell<Fault>,
}

impl HttpRemote<'_> {
    fn error_of(res: reqwest::blocking::Response) -> RemoteError {
        let status = res.status().as_u16();
        let retry_after = res
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        let code = res
            .json::<Value>()
            .ok()
            .and_then(|v| v["code"].as_str().map(str::to_owned))
            .unwrap_or_default();
        match (status, code.as_str()) {
            (401, _) => RemoteError::Unauthorized,
            (403, "device_revoked") => RemoteError::Revoked,
            (429 | 503, _) => RemoteError::Busy {
                retry_after_secs: retry_after,
            },
            _ => RemoteError::Refused { status, code },
        }
    }
}

impl Remote for HttpRemote<'_> {
    async fn push(&self, request: &PushRequest) -> Result<PushResponse, RemoteError> {
        let fault = self.fault.replace(Fault::None);
        match fault {
            Fault::DropRequest => return Err(RemoteError::Unreachable("connection reset".into())),
            Fault::CaptivePortal => {
                return Err(RemoteError::InvalidReply(
                    "<html>Log in to the Wi-Fi</html>".into(),
                ));
            }
            _ => {}
        }
        let res = self
            .server
            .http
            .post(self.server.url("/sync/push"))
            .bearer_auth(&self.token)
            .json(request)
            .send()
            .map_err(|e| RemoteError::Unreachable(e.to_string()))?;
        if !res.status().is_success() {
            return Err(Self::error_of(res));
        }
        let text = res
            .text()
            .map_err(|e| RemoteError::Unreachable(e.to_string()))?;
        if fault == Fault::LoseReply {
            return Err(RemoteError::Unreachable("the reply was lost".into()));
        }
        serde_json::from_str(&text).map_err(|e| RemoteError::InvalidReply(e.to_string()))
    }

    async fn status(&self) -> Result<ServerStatus, RemoteError> {
        let res = self
            .server
            .http
            .get(self.server.url("/sync/status"))
            .bearer_auth(&self.token)
            .send()
            .map_err(|e| RemoteError::Unreachable(e.to_string()))?;
        if !res.status().is_success() {
            return Err(Self::error_of(res));
        }
        let v: Value = res
            .json()
            .map_err(|e| RemoteError::InvalidReply(e.to_string()))?;
        Ok(ServerStatus {
            epoch: v["server_epoch"]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| RemoteError::InvalidReply("no server_epoch".into()))?,
            backed_up_through_seq: v["backed_up_through_seq"].as_u64().unwrap_or(0),
        })
    }
}

/// Runs `baraza <args> <folder> <flag> <file>` (a backup or a restore) and checks it worked.
fn baraza(args: &[&str], folder: &std::path::Path, flag: &str, file: &std::path::Path) {
    let folder_arg = folder.to_string_lossy();
    let out = crate::support::baraza_command(&[args, &[folder_arg.as_ref()]].concat())
        .arg(flag)
        .arg(file)
        .output()
        .expect("baraza runs");
    assert!(
        out.status.success(),
        "baraza {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn revisions_held(s: &Server, admin: &str) -> BTreeMap<String, usize> {
    let listed: Value = s
        .http
        .get(s.url("/responses?limit=1000"))
        .bearer_auth(admin)
        .send()
        .expect("list")
        .json()
        .expect("json");
    listed["responses"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["response_id"].as_str())
        .map(|id| {
            let d: Value = s
                .http
                .get(s.url(&format!("/responses/{id}")))
                .bearer_auth(admin)
                .send()
                .expect("get")
                .json()
                .expect("json");
            (id.to_owned(), d["revisions"].as_array().map_or(0, Vec::len))
        })
        .collect()
}

const SMALL: Limits = Limits {
    max_batch_bytes: 1 << 20,
    max_batch_items: 10,
};

#[test]
fn the_engine_sends_everything_in_bounded_batches_and_releases_only_what_is_acknowledged() {
    let s = Server::start();
    let admin = s.admin();
    let (device_id, token) = s.device(&admin, "ena");
    let remote = HttpRemote {
        server: &s,
        token,
        fault: Cell::new(Fault::None),
    };
    let mut store = MemStore::default();
    (1..=25).for_each(|hh| store.finalize(hh));
    let report = block_on(sync_once(&mut store, &remote, &device_id, SMALL)).expect("sync");
    assert_eq!((report.batches, report.acked, report.pending), (3, 25, 0));
    assert!(store.entries.values().all(|e| matches!(
        e.state,
        EntryState::Acked {
            outcome: Outcome::Sent,
            ..
        }
    )));
    let held = revisions_held(&s, &admin);
    assert_eq!(held.len(), 25);
    assert!(held.values().all(|n| *n == 1));
    // Nothing pending: a second sync sends nothing.
    assert_eq!(
        block_on(sync_once(&mut store, &remote, &device_id, SMALL))
            .expect("sync")
            .batches,
        0
    );
}

#[test]
fn a_reply_lost_after_the_server_committed_causes_no_duplicate() {
    let s = Server::start();
    let admin = s.admin();
    let (device_id, token) = s.device(&admin, "ena");
    let remote = HttpRemote {
        server: &s,
        token,
        fault: Cell::new(Fault::LoseReply),
    };
    let mut store = MemStore::default();
    (1..=5).for_each(|hh| store.finalize(hh));
    let err =
        block_on(sync_once(&mut store, &remote, &device_id, SMALL)).expect_err("the reply is lost");
    assert!(matches!(
        err,
        SyncError::Remote(RemoteError::Unreachable(_))
    ));
    assert_eq!(
        store.pending(),
        5,
        "nothing is released without an acknowledgement"
    );
    assert_eq!(revisions_held(&s, &admin).len(), 5, "the server did commit");
    let report = block_on(sync_once(&mut store, &remote, &device_id, SMALL)).expect("sync");
    assert_eq!((report.acked, report.pending), (5, 0));
    assert!(
        revisions_held(&s, &admin).values().all(|n| *n == 1),
        "the resend stored nothing twice"
    );
}

#[test]
fn interrupted_requests_and_captive_portal_pages_release_nothing() {
    let s = Server::start();
    let admin = s.admin();
    let (device_id, token) = s.device(&admin, "ena");
    let remote = HttpRemote {
        server: &s,
        token,
        fault: Cell::new(Fault::None),
    };
    let mut store = MemStore::default();
    (1..=3).for_each(|hh| store.finalize(hh));
    for fault in [Fault::DropRequest, Fault::CaptivePortal] {
        remote.fault.set(fault);
        assert!(block_on(sync_once(&mut store, &remote, &device_id, SMALL)).is_err());
        assert_eq!(store.pending(), 3);
    }
    assert_eq!(revisions_held(&s, &admin).len(), 0);
    assert_eq!(
        block_on(sync_once(&mut store, &remote, &device_id, SMALL))
            .expect("sync")
            .acked,
        3
    );
}

#[test]
fn copies_leave_the_device_only_once_a_backup_holds_them_and_a_restore_of_it_loses_nothing() {
    let s = Server::start();
    let admin = s.admin();
    let (device_id, token) = s.device(&admin, "ena");
    let mut store = MemStore::default();
    (1..=3).for_each(|hh| store.finalize(hh));
    {
        let remote = HttpRemote {
            server: &s,
            token: token.clone(),
            fault: Cell::new(Fault::None),
        };
        assert_eq!(
            block_on(sync_once(&mut store, &remote, &device_id, SMALL))
                .expect("sync")
                .acked,
            3
        );
    }
    // A backup taken while serving, then more work that the backup does not have.
    let backup_dir = crate::support::TempDir::new("backup");
    let backup = backup_dir.0.join("backup.sqlite3");
    baraza(&["backup", "--data"], &s.data.0, "--to", &backup);
    (4..=6).for_each(|hh| store.finalize(hh));
    {
        let remote = HttpRemote {
            server: &s,
            token: token.clone(),
            fault: Cell::new(Fault::None),
        };
        let report = block_on(sync_once(&mut store, &remote, &device_id, SMALL)).expect("sync");
        assert_eq!(report.acked, 3);
        assert_eq!(
            report.released, 3,
            "the first three leave the device: the backup holds them"
        );
    }
    assert_eq!(
        store.entries.keys().copied().collect::<Vec<_>>(),
        [4, 5, 6],
        "what no backup holds stays on the device, acknowledged or not"
    );
    let data = s.kill();
    baraza(&["restore", "--data"], &data.0, "--from", &backup);
    let s = Server::start_in(data, &[]);
    let admin = s.admin();
    assert_eq!(
        revisions_held(&s, &admin).len(),
        3,
        "the restored server lacks the last three"
    );
    let remote = HttpRemote {
        server: &s,
        token,
        fault: Cell::new(Fault::None),
    };
    let report =
        block_on(sync_once(&mut store, &remote, &device_id, SMALL)).expect("sync after restore");
    assert_eq!(
        report.repushed, 3,
        "everything still held is pushed again under the new epoch"
    );
    assert_eq!(report.pending, 0);
    let held = revisions_held(&s, &admin);
    assert_eq!(held.len(), 6, "nothing is lost");
    assert!(held.values().all(|n| *n == 1));
}

#[test]
fn a_device_that_fails_to_record_a_restored_servers_epoch_still_pushes_everything_again() {
    let s = Server::start();
    let admin = s.admin();
    let (device_id, token) = s.device(&admin, "ena");
    // A backup that holds the device but none of its interviews.
    let backup_dir = crate::support::TempDir::new("epoch-backup");
    let backup = backup_dir.0.join("backup.sqlite3");
    baraza(&["backup", "--data"], &s.data.0, "--to", &backup);
    let mut store = MemStore::default();
    (1..=3).for_each(|hh| store.finalize(hh));
    let sync = |store: &mut MemStore, s: &Server| {
        let remote = HttpRemote {
            server: s,
            token: token.clone(),
            fault: Cell::new(Fault::None),
        };
        block_on(sync_once(store, &remote, &device_id, SMALL))
    };
    let report = sync(&mut store, &s).expect("sync");
    assert_eq!(report.acked, 3);
    let data = s.kill();
    baraza(&["restore", "--data"], &data.0, "--from", &backup);
    let s = Server::start_in(data, &[]);
    // The device learns of the restore; a crash comes right after its first write (were
    // recording the epoch and marking the entries two writes, it would fall between them).
    store.fail_after_writes = Some(1);
    let failed = sync(&mut store, &s);
    assert!(matches!(failed, Err(SyncError::Local(_))), "{failed:?}");
    let report = sync(&mut store, &s).expect("sync again");
    assert_eq!(report.pending, 0, "{report:?}");
    let held = revisions_held(&s, &s.admin());
    assert_eq!(
        held.len(),
        3,
        "the new epoch was not half-recorded: nothing is stranded on the device"
    );
    assert!(held.values().all(|n| *n == 1));
}

#[test]
fn a_revoked_device_stops_uploading_and_keeps_its_data() {
    let s = Server::start();
    let admin = s.admin();
    let (device_id, token) = s.device(&admin, "ena");
    let remote = HttpRemote {
        server: &s,
        token,
        fault: Cell::new(Fault::None),
    };
    let mut store = MemStore::default();
    store.finalize(1);
    block_on(sync_once(&mut store, &remote, &device_id, SMALL)).expect("sync");
    assert_eq!(
        s.http
            .post(s.url(&format!("/devices/{device_id}/revoke")))
            .bearer_auth(&admin)
            .send()
            .expect("revoke")
            .status(),
        204
    );
    store.finalize(2);
    let err = block_on(sync_once(&mut store, &remote, &device_id, SMALL)).expect_err("revoked");
    assert_eq!(err, SyncError::Remote(RemoteError::Revoked));
    assert_eq!(
        store.entries.len(),
        2,
        "every interview is still on the device"
    );
    assert_eq!(store.pending(), 1);
}

/// What the client's "Sign in again" does: signs in as `username` and asks the server for the
/// phone `device_id` again (`api::Rejoin`). The status and the reply.
fn rejoin(s: &Server, username: &str, device_id: &str, first_seq: u64) -> (u16, Value) {
    let session = s.login(username, &format!("{username}-password"));
    let res = s
        .http
        .post(s.url("/devices"))
        .bearer_auth(&session)
        .json(&serde_json::json!({"device_id": device_id, "first_seq": first_seq}))
        .send()
        .expect("rejoin");
    (res.status().as_u16(), res.json().unwrap_or(Value::Null))
}

/// The audit log's entries for `action`, as the admin reads them.
fn audit(s: &Server, admin: &str, action: &str) -> Value {
    s.http
        .get(s.url(&format!("/audit?action={action}")))
        .bearer_auth(admin)
        .send()
        .expect("audit")
        .json()
        .expect("json")
}

/// Enrolls a phone for the existing enumerator `username`: (device id, credential).
fn enroll(s: &Server, username: &str) -> (String, String) {
    let session = s.login(username, &format!("{username}-password"));
    let v: Value = s
        .http
        .post(s.url("/devices"))
        .bearer_auth(&session)
        .send()
        .expect("enroll")
        .json()
        .expect("enrollment");
    let text = |k: &str| v[k].as_str().expect("enrollment field").to_owned();
    (text("device_id"), text("device_token"))
}

fn sync_with(
    s: &Server,
    token: &str,
    device_id: &str,
    store: &mut MemStore,
) -> Result<baraza_client::sync::SyncReport, SyncError<String>> {
    let remote = HttpRemote {
        server: s,
        token: token.to_owned(),
        fault: Cell::new(Fault::None),
    };
    block_on(sync_once(store, &remote, device_id, SMALL))
}

#[test]
fn a_phone_enrolled_after_the_backup_a_server_is_restored_from_signs_in_again_and_every_interview_arrives_once()
 {
    let s = Server::start();
    let admin = s.admin();
    s.user(&admin, "ena", "enumerator");
    s.user(&admin, "other", "enumerator");
    // The backup the server will be restored from: the enumerator, not yet the phone.
    let backup_dir = crate::support::TempDir::new("rejoin-backup");
    let backup = backup_dir.0.join("backup.sqlite3");
    baraza(&["backup", "--data"], &s.data.0, "--to", &backup);
    // The body is optional: a client that labels every request as JSON and sends none still
    // enrolls; a body that is not JSON is a clear error.
    let session = s.login("ena", "ena-password");
    let post = |body: &'static str| {
        let res = s
            .http
            .post(s.url("/devices"))
            .bearer_auth(&session)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .expect("enroll");
        (
            res.status().as_u16(),
            res.json::<Value>().unwrap_or(Value::Null),
        )
    };
    assert_eq!(post("").0, 201);
    assert_eq!(post(" { } ").0, 201);
    assert_eq!(post("[null, null]").0, 400, "a list is not a body");
    let (status, body) = post(r#"{"first_seq": 3}"#);
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("invalid")),
        "{body}"
    );
    assert!(
        body["message"].as_str().is_some_and(|m| m.contains("both")),
        "{body}"
    );
    let (status, body) = post("{not json");
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("malformed")),
        "{body}"
    );
    let (device_id, token) = enroll(&s, "ena");
    let mut store = MemStore::default();
    (1..=3).for_each(|hh| store.finalize(hh));
    assert_eq!(
        sync_with(&s, &token, &device_id, &mut store)
            .expect("sync")
            .acked,
        3
    );
    let data = s.kill();
    baraza(&["restore", "--data"], &data.0, "--from", &backup);
    let s = Server::start_in(data, &[]);
    let admin = s.admin();
    assert!(revisions_held(&s, &admin).is_empty());
    let unknown = sync_with(&s, &token, &device_id, &mut store);
    assert!(
        matches!(unknown, Err(SyncError::Remote(RemoteError::Unauthorized))),
        "the restored server does not know the phone: {unknown:?}"
    );
    assert_eq!(
        store.entries.len(),
        3,
        "the phone keeps everything meanwhile"
    );

    // Signing in again as its enumerator gives the phone its own id back.
    let (status, body) = rejoin(&s, "ena", "DROP TABLE devices", 1);
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("invalid")),
        "{body}"
    );
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("not a device id")),
        "{body}"
    );
    let (status, body) = rejoin(&s, "ena", &device_id, 1);
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        body["device_id"],
        device_id.as_str(),
        "the phone keeps its id"
    );
    let token = body["device_token"]
        .as_str()
        .expect("a new credential")
        .to_owned();
    let (status, body) = rejoin(&s, "other", &device_id, 1);
    assert_eq!(
        status, 409,
        "another enumerator cannot take the phone: {body}"
    );
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("another user")),
        "{body}"
    );
    let report =
        sync_with(&s, &token, &device_id, &mut store).expect("sync after signing in again");
    assert_eq!((report.repushed, report.pending), (3, 0), "{report:?}");
    let held = revisions_held(&s, &admin);
    assert_eq!(held.len(), 3, "every interview reached the restored server");
    assert!(held.values().all(|n| *n == 1), "each once: {held:?}");
    let audit = audit(&s, &admin, "device.rejoin");
    assert_eq!(
        audit["entries"].as_array().map(Vec::len),
        Some(1),
        "{audit}"
    );
    // A revoked phone does not come back by signing in.
    let revoked = s
        .http
        .post(s.url(&format!("/devices/{device_id}/revoke")))
        .bearer_auth(&admin)
        .send()
        .expect("revoke");
    assert_eq!(revoked.status().as_u16(), 204);
    let (status, body) = rejoin(&s, "ena", &device_id, 4);
    assert_eq!(status, 409, "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("revoked")),
        "{body}"
    );
}

#[test]
fn a_phone_that_released_interviews_under_a_later_backup_rejoins_from_the_first_it_still_holds() {
    let s = Server::start();
    let admin = s.admin();
    s.user(&admin, "ena", "enumerator");
    let backup_dir = crate::support::TempDir::new("rejoin-gap");
    let older = backup_dir.0.join("older.sqlite3");
    baraza(&["backup", "--data"], &s.data.0, "--to", &older);
    let (device_id, token) = enroll(&s, "ena");
    let mut store = MemStore::default();
    (1..=2).for_each(|hh| store.finalize(hh));
    sync_with(&s, &token, &device_id, &mut store).expect("sync");
    baraza(
        &["backup", "--data"],
        &s.data.0,
        "--to",
        &backup_dir.0.join("newer.sqlite3"),
    );
    (3..=5).for_each(|hh| store.finalize(hh));
    let report = sync_with(&s, &token, &device_id, &mut store).expect("sync");
    assert_eq!(report.released, 2, "the newer backup holds the first two");
    // The operator restores the older backup: the first two are gone with the newer one, and
    // the phone holds 3 to 5.
    let data = s.kill();
    baraza(&["restore", "--data"], &data.0, "--from", &older);
    let s = Server::start_in(data, &[]);
    let (status, body) = rejoin(&s, "ena", &device_id, 3);
    assert_eq!(status, 201, "{body}");
    let token = body["device_token"]
        .as_str()
        .expect("credential")
        .to_owned();
    let report = sync_with(&s, &token, &device_id, &mut store).expect("sync");
    assert_eq!(
        (report.pending, report.acked),
        (0, 3),
        "what it holds is acknowledged though the server never saw 1 and 2: {report:?}"
    );
    let held = revisions_held(&s, &s.admin());
    assert_eq!(held.len(), 3);
    assert!(held.values().all(|n| *n == 1));
}

#[test]
fn a_restored_server_imports_the_file_of_a_phone_it_no_longer_knows_and_the_phone_rejoins_after() {
    let s = Server::start();
    let admin = s.admin();
    s.user(&admin, "ena", "enumerator");
    let (sup_id, _) = s.user(&admin, "sup", "supervisor");
    let assigned = s
        .http
        .put(s.url(&format!("/users/{sup_id}/settlements")))
        .bearer_auth(&admin)
        .json(&serde_json::json!({"settlements": ["s02"]}))
        .send()
        .expect("assign");
    assert!(assigned.status().is_success());
    let backup_dir = crate::support::TempDir::new("import-unknown");
    let backup = backup_dir.0.join("backup.sqlite3");
    baraza(&["backup", "--data"], &s.data.0, "--to", &backup);
    let (device_id, token) = enroll(&s, "ena");
    let mut store = MemStore::default();
    (1..=2).for_each(|hh| store.finalize(hh));
    sync_with(&s, &token, &device_id, &mut store).expect("sync");
    store.finalize(3);
    let data = s.kill();
    baraza(&["restore", "--data"], &data.0, "--from", &backup);
    let s = Server::start_in(data, &[]);
    // What "Export the responses on this phone" saves: every item it holds, acknowledged or
    // not, and whose phone it is.
    let items: Vec<PushItem> = store.entries.values().map(|e| e.item.clone()).collect();
    let file = serde_json::json!({"device_id": device_id, "username": "ena", "items": items});
    let import = |body: &Value| {
        let supervisor = s.login("sup", "sup-password");
        let res = s
            .http
            .post(s.url("/sync/import"))
            .bearer_auth(&supervisor)
            .json(body)
            .send()
            .expect("import");
        (
            res.status().as_u16(),
            res.json::<Value>().unwrap_or(Value::Null),
        )
    };
    let mut nameless = file.clone();
    nameless["username"] = Value::Null;
    let (status, body) = import(&nameless);
    assert_eq!(status, 404, "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("must name its user")),
        "a file the server cannot place says why: {body}"
    );
    let (status, body) = import(&file);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["acked_through_seq"], 3, "{body}");
    let admin = s.admin();
    assert_eq!(revisions_held(&s, &admin).len(), 3);
    // The phone's old credential is still unknown; signing in again gives it one for the
    // device the import made, and what it sends again is answered as duplicates.
    assert!(matches!(
        sync_with(&s, &token, &device_id, &mut store),
        Err(SyncError::Remote(RemoteError::Unauthorized))
    ));
    let (status, body) = rejoin(&s, "ena", &device_id, 1);
    assert_eq!(status, 201, "{body}");
    let token = body["device_token"]
        .as_str()
        .expect("credential")
        .to_owned();
    let report = sync_with(&s, &token, &device_id, &mut store).expect("sync");
    assert_eq!(report.pending, 0, "{report:?}");
    let held = revisions_held(&s, &admin);
    assert_eq!(held.len(), 3);
    assert!(held.values().all(|n| *n == 1), "nothing twice: {held:?}");
}

#[test]
fn a_phone_a_restored_server_knows_but_that_released_items_under_a_newer_backup_is_acknowledged_again()
 {
    let s = Server::start();
    let admin = s.admin();
    let (device_id, token) = s.device(&admin, "ena");
    let mut store = MemStore::default();
    (1..=2).for_each(|hh| store.finalize(hh));
    sync_with(&s, &token, &device_id, &mut store).expect("sync");
    // The older backup knows the phone and its first two; the newer one also holds 3 and 4,
    // which the phone then releases; 5 and 6 are only on the phone and the live server.
    let backup_dir = crate::support::TempDir::new("known-gap");
    let older = backup_dir.0.join("older.sqlite3");
    baraza(&["backup", "--data"], &s.data.0, "--to", &older);
    (3..=4).for_each(|hh| store.finalize(hh));
    sync_with(&s, &token, &device_id, &mut store).expect("sync");
    baraza(
        &["backup", "--data"],
        &s.data.0,
        "--to",
        &backup_dir.0.join("newer.sqlite3"),
    );
    (5..=6).for_each(|hh| store.finalize(hh));
    sync_with(&s, &token, &device_id, &mut store).expect("sync");
    assert_eq!(
        store.entries.keys().copied().collect::<Vec<_>>(),
        [5, 6],
        "the backups hold 1 to 4"
    );
    // The older backup is restored: the server knows the phone, acknowledged through 2.
    let data = s.kill();
    baraza(&["restore", "--data"], &data.0, "--from", &older);
    let s = Server::start_in(data, &[]);
    let report = sync_with(&s, &token, &device_id, &mut store).expect("sync after restore");
    assert_eq!(
        (report.repushed, report.pending),
        (2, 0),
        "what the phone holds is acknowledged again, not pushed for ever: {report:?}"
    );
    let admin = s.admin();
    let held = revisions_held(&s, &admin);
    assert_eq!(held.len(), 4, "1, 2 from the backup, 5, 6 again: {held:?}");
    let audit = audit(&s, &admin, "sync.gap");
    let detail = audit["entries"][0]["detail"].as_str().unwrap_or_default();
    assert!(
        detail.starts_with("items 3 to 4 were released"),
        "the gap is told to a supervisor: {audit}"
    );
}

#[test]
fn a_phone_signing_in_again_several_times_at_once_is_made_again_once_and_no_request_fails() {
    let s = Server::start();
    let admin = s.admin();
    let (_, session) = s.user(&admin, "ena", "enumerator");
    for round in 0..6 {
        // A phone the server does not know (restored from an older backup), whose "Sign in
        // again" is sent several times at once (a double tap, a retry while the first is in
        // flight): the first makes the device, the others find it.
        let id = format!("0c6f5a3e-9d1b-4e7a-8c2f-5b4d3a2e1f{round:02}");
        let body = serde_json::json!({"device_id": id, "first_seq": 1}).to_string();
        let statuses: Vec<u16> = std::thread::scope(|scope| {
            let sent: Vec<_> = (0..4)
                .map(|_| {
                    scope.spawn(|| {
                        s.http
                            .post(s.url("/devices"))
                            .bearer_auth(&session)
                            .header("content-type", "application/json")
                            .body(body.clone())
                            .send()
                            .expect("rejoin")
                            .status()
                            .as_u16()
                    })
                })
                .collect();
            sent.into_iter()
                .map(|h| h.join().expect("a request thread"))
                .collect()
        });
        assert_eq!(statuses, [201; 4], "round {round}");
        let devices: Value = s
            .http
            .get(s.url("/devices"))
            .bearer_auth(&admin)
            .send()
            .expect("devices")
            .json()
            .expect("JSON");
        let made = devices["devices"]
            .as_array()
            .expect("devices")
            .iter()
            .filter(|d| d["id"] == id.as_str())
            .count();
        assert_eq!(made, 1, "round {round}: {devices}");
    }
}
