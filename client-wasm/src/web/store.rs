//! The device's durable state in IndexedDB: enrollment, downloaded forms, drafts and the
//! outbox of finalized revisions.
//!
//! Values are stored as JSON text so that what is on disk is exactly the serde types of this
//! crate and `schema`. Finalizing writes the revision, its outbox entry and the next sequence
//! number and deletes the draft in one transaction opened with `durability: "strict"`: the
//! browser reports it complete only once it is on disk.

use idb::{Database, Transaction, TransactionMode};
use serde::{Serialize, de::DeserializeOwned};
use wasm_bindgen::JsValue;

use crate::sync::{EntryState, LocalStore, OutboxEntry, Outcome};
use baraza_schema::wire::{PushItem, QuarantineCode};
use serde_json::Value as Json;

use baraza_browser::device::{DB_NAME, DRAFTS, FORMS, HEADS, META, OUTBOX, OutboxRecord};
pub use baraza_browser::device::{Draft, Enrollment, FormRecord};

#[derive(Debug, Clone)]
pub struct StoreError(pub String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "device storage: {}", self.0)
    }
}

impl From<idb::Error> for StoreError {
    fn from(_: idb::Error) -> StoreError {
        // The browser's own error reaches the console; formatting idb's error type here would
        // cost more client size than the message is worth.
        StoreError("an IndexedDB request failed".into())
    }
}

impl From<JsValue> for StoreError {
    fn from(e: JsValue) -> StoreError {
        StoreError(format!("{e:?}"))
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> StoreError {
        StoreError(e.to_string())
    }
}

type Result<T> = std::result::Result<T, StoreError>;

/// The outbox entry of the sync engine as stored, and back.
trait Stored {
    fn from_entry(e: &OutboxEntry) -> Self;
    fn into_entry(self) -> OutboxEntry;
}

impl Stored for OutboxRecord {
    fn from_entry(e: &OutboxEntry) -> OutboxRecord {
        let (acked_epoch, outcome) = match &e.state {
            EntryState::Pending => (None, None),
            EntryState::Acked { epoch, outcome } => {
                let o = match outcome {
                    Outcome::Sent => "sent".to_owned(),
                    Outcome::Conflict => "conflict".to_owned(),
                    Outcome::Quarantined(c) => format!("quarantined:{}", c.as_str()),
                };
                (Some(epoch.clone()), Some(o))
            }
        };
        OutboxRecord {
            item: e.item.clone(),
            acked_epoch,
            outcome,
        }
    }

    fn into_entry(self) -> OutboxEntry {
        let state = match (self.acked_epoch, self.outcome.as_deref()) {
            (Some(epoch), outcome) => {
                let outcome = match outcome.unwrap_or("sent") {
                    "conflict" => Outcome::Conflict,
                    o => match o.strip_prefix("quarantined:") {
                        Some(code) => Outcome::Quarantined(
                            QuarantineCode::parse(code).unwrap_or(QuarantineCode::Malformed),
                        ),
                        None => Outcome::Sent,
                    },
                };
                EntryState::Acked { epoch, outcome }
            }
            (None, _) => EntryState::Pending,
        };
        OutboxEntry {
            item: self.item,
            state,
        }
    }
}

fn to_js<T: Serialize>(v: &T) -> Result<JsValue> {
    Ok(JsValue::from_str(&serde_json::to_string(v)?))
}

fn from_js<T: DeserializeOwned>(v: JsValue) -> Result<T> {
    let text = v
        .as_string()
        .ok_or_else(|| StoreError("a stored value is not text".into()))?;
    Ok(serde_json::from_str(&text)?)
}

/// A handle on the device database. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    db: web_sys::IdbDatabase,
}

impl Store {
    pub async fn open() -> Result<Store> {
        Store::open_named(DB_NAME).await
    }

    /// Opens (creating or upgrading) the database of this name; tests use their own names.
    pub async fn open_named(name: &str) -> Result<Store> {
        let db = baraza_browser::device::open(name).await?;
        Ok(Store { db: db.into() })
    }

    /// Closes the connection (tests reopen to prove what reached the disk).
    pub fn close(&self) {
        self.db.close();
    }

    fn tx(&self, stores: &[&str], mode: TransactionMode) -> Result<Transaction> {
        Ok(Database::from(self.db.clone()).transaction(stores, mode)?)
    }

    /// A read-write transaction the browser reports complete only once it is on disk.
    fn strict_tx(&self, stores: &[&str]) -> Result<Transaction> {
        Ok(baraza_browser::device::strict_transaction(
            &self.db, stores,
        )?)
    }

    // The generic reads and writes convert around one async body each (`raw_get`, `raw_all`,
    // `raw_put`), so that each stored type does not copy the transaction's state machine.
    async fn get<T: DeserializeOwned>(&self, store: &str, key: JsValue) -> Result<Option<T>> {
        self.raw_get(store, key).await?.map(from_js).transpose()
    }

    async fn raw_get(&self, store: &str, key: JsValue) -> Result<Option<JsValue>> {
        let tx = self.tx(&[store], TransactionMode::ReadOnly)?;
        Ok(tx.object_store(store)?.get(key)?.await?)
    }

    async fn all<T: DeserializeOwned>(&self, store: &str) -> Result<Vec<T>> {
        self.raw_all(store)
            .await?
            .into_iter()
            .map(from_js)
            .collect()
    }

    async fn raw_all(&self, store: &str) -> Result<Vec<JsValue>> {
        let tx = self.tx(&[store], TransactionMode::ReadOnly)?;
        Ok(tx.object_store(store)?.get_all(None, None)?.await?)
    }

    async fn put<T: Serialize>(&self, store: &str, key: JsValue, value: &T) -> Result<()> {
        self.raw_put(store, key, to_js(value)?).await
    }

    async fn raw_put(&self, store: &str, key: JsValue, value: JsValue) -> Result<()> {
        let tx = self.strict_tx(&[store])?;
        tx.object_store(store)?.put(&value, Some(&key))?.await?;
        commit(tx).await
    }

    pub async fn meta<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        self.get(META, key.into()).await
    }

    pub async fn set_meta<T: Serialize>(&self, key: &str, value: &T) -> Result<()> {
        self.put(META, key.into(), value).await
    }

    pub async fn enrollment(&self) -> Result<Option<Enrollment>> {
        self.meta("enrollment").await
    }

    pub async fn forms(&self) -> Result<Vec<FormRecord>> {
        self.all(FORMS).await
    }

    pub async fn put_form(&self, form: &FormRecord) -> Result<()> {
        self.put(FORMS, form.key().into(), form).await
    }

    pub async fn drafts(&self) -> Result<Vec<Draft>> {
        self.all(DRAFTS).await
    }

    pub async fn draft(&self, response_id: &str) -> Result<Option<Draft>> {
        self.get(DRAFTS, response_id.into()).await
    }

    /// Autosave: every change to a draft is written before the next one.
    pub async fn save_draft(&self, draft: &Draft) -> Result<()> {
        self.put(DRAFTS, draft.response_id.as_str().into(), draft)
            .await
    }

    pub async fn delete_draft(&self, response_id: &str) -> Result<()> {
        let tx = self.strict_tx(&[DRAFTS])?;
        tx.object_store(DRAFTS)?
            .delete(JsValue::from(response_id))?
            .await?;
        commit(tx).await
    }

    /// Finalizes a draft: the revision built by `make` (given the next `device_seq`) enters
    /// the outbox and the draft is deleted, atomically and durably. Returns the revision.
    pub async fn finalize(
        &self,
        response_id: &str,
        make: impl FnOnce(u64) -> PushItem,
    ) -> Result<PushItem> {
        let tx = self.strict_tx(&[META, DRAFTS, OUTBOX])?;
        let meta = tx.object_store(META)?;
        let next: u64 = match meta.get(JsValue::from("next_seq"))?.await? {
            Some(v) => from_js(v)?,
            None => 1,
        };
        let item = make(next);
        let entry = OutboxRecord {
            item: item.clone(),
            acked_epoch: None,
            outcome: None,
        };
        tx.object_store(OUTBOX)?
            .add(&to_js(&entry)?, Some(&JsValue::from_f64(next as f64)))?
            .await?;
        meta.put(&to_js(&(next + 1))?, Some(&JsValue::from("next_seq")))?
            .await?;
        tx.object_store(DRAFTS)?
            .delete(JsValue::from(response_id))?
            .await?;
        commit(tx).await?;
        Ok(item)
    }

    /// Keeps a supervisor's correction (a `wire::Correction` as the server sent it, read as
    /// plain JSON: a typed decoder costs the client kilobytes) as the newest revision of its
    /// response.
    pub async fn put_head(&self, response_id: &str, correction: &Json) -> Result<()> {
        self.put(HEADS, response_id.into(), correction).await
    }

    pub async fn heads(&self) -> Result<Vec<Json>> {
        self.all(HEADS).await
    }

    /// Every outbox entry (pending and acknowledged), in `device_seq` order.
    pub async fn outbox(&self) -> Result<Vec<OutboxEntry>> {
        let stored: Vec<OutboxRecord> = self.all(OUTBOX).await?;
        Ok(stored.into_iter().map(OutboxRecord::into_entry).collect())
    }
}

async fn commit(tx: Transaction) -> Result<()> {
    let result = tx.commit()?.await?;
    if result.is_committed() {
        Ok(())
    } else {
        Err(StoreError("the transaction was aborted".into()))
    }
}

impl LocalStore for Store {
    type Error = StoreError;

    async fn entries(&self) -> Result<Vec<OutboxEntry>> {
        self.outbox().await
    }

    async fn update(&mut self, changes: Vec<(u64, EntryState)>, epoch: Option<&str>) -> Result<()> {
        // One transaction over both stores.
        let tx = self.strict_tx(&[OUTBOX, META])?;
        if let Some(epoch) = epoch {
            // The commit waits for the requests. A restored server numbers its changes
            // afresh, so the pull starts again from the beginning.
            let meta = tx.object_store(META)?;
            meta.put(&to_js(&epoch)?, Some(&"epoch".into()))?;
            meta.delete(JsValue::from("pull_cursor"))?;
        }
        let store = tx.object_store(OUTBOX)?;
        for (seq, state) in changes {
            let key = JsValue::from_f64(seq as f64);
            let Some(v) = store.get(key.clone())?.await? else {
                continue;
            };
            let mut entry = from_js::<OutboxRecord>(v)?.into_entry();
            entry.state = state;
            store
                .put(&to_js(&OutboxRecord::from_entry(&entry))?, Some(&key))?
                .await?;
        }
        commit(tx).await
    }

    async fn epoch(&self) -> Result<Option<String>> {
        self.meta("epoch").await
    }

    async fn release(&mut self, seqs: Vec<u64>) -> Result<()> {
        let tx = self.strict_tx(&[OUTBOX])?;
        let store = tx.object_store(OUTBOX)?;
        // The deletes run in order within the transaction; the commit waits for them all.
        for seq in seqs {
            store.delete(JsValue::from_f64(seq as f64))?;
        }
        commit(tx).await
    }
}
