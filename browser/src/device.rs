//! The device's durable state in IndexedDB, as the enumerator client writes it and this
//! phone's figures read it: the database and store names and the record types. Values are
//! stored as JSON text of these types, so what is on disk is exactly what is defined here.

use baraza_schema::wire::PushItem;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

/// The database.
pub const DB_NAME: &str = "baraza";
/// Its version; raise it when a store is added (the client creates missing stores).
pub const DB_VERSION: u32 = 3;
/// Key–value settings: `enrollment`, `epoch`, `next_seq`, `pull_cursor`, ….
pub const META: &str = "meta";
/// [`FormRecord`]s keyed by `form_id \u{1} version`.
pub const FORMS: &str = "forms";
/// [`Draft`]s keyed by response id.
pub const DRAFTS: &str = "drafts";
/// [`OutboxRecord`]s keyed by `device_seq`.
pub const OUTBOX: &str = "outbox";
/// Supervisors' corrections pulled from the server (`wire::Correction`), keyed by response
/// id: the newest known server revision of each response.
pub const HEADS: &str = "heads";
/// The files answers name (photos, recordings, videos, files): each a `Blob` keyed by its
/// sha256, kept from the moment it is chosen until the server says a backup holds it
/// (written by the `files` module).
pub const FILES: &str = "files";
/// Every store, in creation order.
pub const STORES: [&str; 6] = [META, FORMS, DRAFTS, OUTBOX, HEADS, FILES];

/// What enrollment leaves on the device (`meta` key `enrollment`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Enrollment {
    pub device_id: String,
    pub device_token: String,
    pub username: String,
}

/// A downloaded form version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormRecord {
    pub form_id: String,
    pub version: String,
    pub title: String,
    /// `open`, `closing` or `closed`, as last heard from the server.
    pub state: String,
    /// The definition as the server sent it (a `schema::Form`).
    pub definition: String,
}

impl FormRecord {
    /// Its key in [`FORMS`].
    pub fn key(&self) -> String {
        format!("{}\u{1}{}", self.form_id, self.version)
    }
}

/// A response being edited. `parent_rev` is set when a finalized response is reopened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    pub response_id: String,
    pub form_id: String,
    pub form_version: String,
    pub answers: Json,
    #[serde(default)]
    pub parent_rev: Option<String>,
    pub updated_at: String,
}

/// An outbox record: a finalized revision and what the server made of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxRecord {
    pub item: PushItem,
    /// The server epoch of the acknowledgement; `None` while pending.
    #[serde(default)]
    pub acked_epoch: Option<String>,
    /// `sent`, `conflict` or `quarantined:<code>` once the server answered.
    #[serde(default)]
    pub outcome: Option<String>,
}

impl OutboxRecord {
    /// Whether the server kept it in quarantine (reports leave it out).
    pub fn quarantined(&self) -> bool {
        self.outcome
            .as_deref()
            .is_some_and(|o| o.starts_with("quarantined"))
    }
}

/// Opens the device database `name` (the app's is [`DB_NAME`]; tests use their own),
/// creating it, or the stores an older version lacks, as every page that writes it must.
#[cfg(target_arch = "wasm32")]
pub async fn open(name: &str) -> Result<idb::Database, idb::Error> {
    use idb::DatabaseEvent;
    let mut request = idb::Factory::new()?.open(name, Some(DB_VERSION))?;
    request.on_upgrade_needed(|event| {
        let Ok(db) = event.database() else { return };
        let names = db.store_names();
        for store in STORES {
            if !names.iter().any(|n| n == store) {
                let _ = db.create_object_store(store, idb::ObjectStoreParams::new());
            }
        }
    });
    request.await
}

/// A read-write transaction on `stores` that the browser reports complete only once it is on
/// disk (`durability: "strict"`; idb has no option for it, so it is opened through the raw
/// `IDBDatabase` and handed to idb).
#[cfg(target_arch = "wasm32")]
pub fn strict_transaction(
    db: &web_sys::IdbDatabase,
    stores: &[&str],
) -> Result<idb::Transaction, wasm_bindgen::JsValue> {
    use wasm_bindgen::{JsCast, JsValue};
    let names: js_sys::Array = stores.iter().map(|s| JsValue::from_str(s)).collect();
    let options = js_sys::Object::new();
    js_sys::Reflect::set(&options, &"durability".into(), &"strict".into())?;
    let open: js_sys::Function = js_sys::Reflect::get(db, &"transaction".into())?.dyn_into()?;
    let tx = open.call3(db, &names, &"readwrite".into(), &options)?;
    Ok(idb::Transaction::from(
        tx.dyn_into::<web_sys::IdbTransaction>()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outbox_record_written_before_it_was_acknowledged_reads_back_as_pending() {
        let text = r#"{"item": {"device_seq": 3, "response_id": "r", "rev": "1-x", "form_id": "f",
            "form_version": "1", "content_hash": "sha256:x", "payload": "{}"}}"#;
        let record: OutboxRecord = serde_json::from_str(text).expect("an old record reads");
        assert_eq!((record.acked_epoch, record.outcome), (None, None));
        let quarantined = OutboxRecord {
            outcome: Some("quarantined:invalid_answers".into()),
            ..serde_json::from_str(text).expect("reads")
        };
        assert!(quarantined.quarantined());
    }
}
