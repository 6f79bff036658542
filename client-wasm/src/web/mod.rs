//! The browser side: IndexedDB store, fetch remote, the sync scheduler and the Leptos UI.
//! Only compiled for wasm32.

mod app;
mod files;
pub mod form_view;
pub mod remote;
pub mod store;

use std::cell::RefCell;
use std::sync::Arc;

use leptos::prelude::*;
use serde_json::Value as Json;
use wasm_bindgen::prelude::*;

use crate::i18n::Lang;
use crate::sync::{self, EntryState, Limits, OutboxEntry, RemoteError, SyncError};
use store::{Draft, Enrollment, FormRecord, Store};

thread_local! {
    /// The one open database of this page (IndexedDB handles are not `Send`, so they stay out
    /// of reactive state).
    static STORE: RefCell<Option<Store>> = const { RefCell::new(None) };
    /// Definitions already read on this page, by form id and version (a version never
    /// changes once published): reading F1 took a cheap phone about 30 ms, twice per "New".
    static PARSED: RefCell<Vec<(String, String, Arc<baraza_schema::Form>)>> = const { RefCell::new(Vec::new()) };
}

/// A form record's definition, read once per page.
pub fn form_of(r: &FormRecord) -> Option<Arc<baraza_schema::Form>> {
    PARSED.with(|p| {
        let mut p = p.borrow_mut();
        if let Some((.., f)) = p
            .iter()
            .find(|(id, v, _)| *id == r.form_id && *v == r.version)
        {
            return Some(f.clone());
        }
        let f = Arc::new(serde_json::from_str(&r.definition).ok()?);
        p.push((r.form_id.clone(), r.version.clone(), Arc::clone(&f)));
        Some(f)
    })
}

/// The page's store. Panics only if called before [`start`] opened it.
pub fn store() -> Store {
    STORE
        .with(|s| s.borrow().clone())
        .expect("the store is opened at start")
}

/// The entry point, called by `index.html` once the module is loaded.
#[cfg_attr(feature = "app", wasm_bindgen(start))]
pub fn start() {
    baraza_schema::expr::set_regex(js_regex);
    baraza_schema::expr::set_transcendental(js_math);
    // Leptos's executor starts with the mount; until then, wasm-bindgen's runs the future.
    wasm_bindgen_futures::spawn_local(async {
        match Store::open().await {
            Ok(s) => {
                STORE.with(|slot| *slot.borrow_mut() = Some(s));
                leptos::mount::mount_to_body(app::App);
            }
            Err(e) => {
                if let Some(body) = document().body() {
                    body.set_inner_text(&format!(
                        "Baraza cannot open this browser's storage ({e}). Private browsing \
                         blocks it; open Baraza in a normal window."
                    ));
                }
            }
        }
    });
}

/// `sin()`, `log()`, `pow()` and the rest (`schema::expr::TRANSCENDENTAL`) with the browser's
/// own `Math`: the client carries no libm (7 KB). (Bound one by one: an `inline_js` snippet
/// would be a file of its own, which the service worker would also have to keep.)
pub fn js_math(f: &str, x: f64, y: f64) -> f64 {
    use js_sys::Math as M;
    match f {
        "sin" => M::sin(x),
        "cos" => M::cos(x),
        "tan" => M::tan(x),
        "asin" => M::asin(x),
        "acos" => M::acos(x),
        "atan" => M::atan(x),
        "atan2" => M::atan2(x, y),
        "exp" => M::exp(x),
        "log" => M::log(x),
        "log10" => M::log10(x),
        "pow" => M::pow(x, y),
        _ => f64::NAN,
    }
}

/// `regex()` with the browser's own `RegExp` (as Enketo and ODK Web Forms match), so the
/// client carries no regular expression engine of its own. Published forms use only what
/// this and the server's regex-lite read alike (`schema::expr::set_regex`).
pub fn js_regex(pattern: &str, text: &str) -> Result<bool, String> {
    let class = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("RegExp"))
        .map_err(|_| "no RegExp".to_owned())?;
    let re = js_sys::Reflect::construct::<fn() -> JsValue>(
        class.unchecked_ref(),
        &js_sys::Array::of1(&JsValue::from_str(pattern)),
    )
    .map_err(|e| {
        e.as_string()
            .unwrap_or_else(|| "not a regular expression".into())
    })?;
    Ok(re.unchecked_into::<js_sys::RegExp>().test(text))
}

/// Where the sync engine stands, for the screens.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyncInfo {
    pub running: bool,
    pub last_ok: Option<String>,
    /// What went wrong, as the `i18n` key of a sentence for people (details go to the
    /// console, never to the screen).
    pub last_error: Option<&'static str>,
    /// Consecutive failures, for backoff.
    pub attempt: u32,
    /// Milliseconds since the epoch before which no automatic attempt is made.
    pub not_before: f64,
    pub revoked: bool,
    pub unauthorized: bool,
}

/// The app's reactive state; every field is a signal, so this is `Copy`.
#[derive(Clone, Copy)]
pub struct Ctx {
    pub lang: RwSignal<Lang>,
    pub enrollment: RwSignal<Option<Enrollment>>,
    pub forms: RwSignal<Vec<FormRecord>>,
    pub drafts: RwSignal<Vec<Draft>>,
    pub outbox: RwSignal<Vec<OutboxEntry>>,
    /// Supervisors' corrections (`wire::Correction` as JSON): the newest revision of
    /// responses this device sent.
    pub heads: RwSignal<Vec<Json>>,
    /// This phone's interviews a supervisor sent back or rejected, with the comment
    /// (`api::ReviewNote` as JSON), as the last pull listed them.
    pub reviews: RwSignal<Vec<Json>>,
    pub sync: RwSignal<SyncInfo>,
    pub online: RwSignal<bool>,
    pub persisted: RwSignal<Option<bool>>,
    /// (usage, quota) in bytes.
    pub estimate: RwSignal<Option<(f64, f64)>>,
}

impl Ctx {
    pub fn t(&self, key: &'static str) -> &'static str {
        self.lang.get().t(key)
    }

    /// A word that follows the interface language. Every use shares this one closure type, so
    /// its view code is generated once (this keeps the client small).
    pub fn tr(self, key: &'static str) -> impl Fn() -> &'static str + Send + Sync + Copy + 'static {
        move || self.lang.get().t(key)
    }

    /// Reloads drafts and outbox from the store into the signals.
    pub async fn refresh(&self) {
        let s = store();
        if let Ok(d) = s.drafts().await {
            self.drafts.set(d);
        }
        if let Ok(o) = s.outbox().await {
            self.outbox.set(o);
        }
        if let Ok(h) = s.heads().await {
            self.heads.set(h);
        }
        // Kept as JSON text: reading a `Json` out of IndexedDB costs the client 600 bytes more.
        if let Ok(Some(r)) = s.meta::<String>("reviews").await {
            let r: Json = serde_json::from_str(&r).unwrap_or_default();
            self.reviews.set(r.as_array().cloned().unwrap_or_default());
        }
    }

    /// Whether the interface language writes decimals with a comma (French and Swahili do).
    pub fn comma(&self) -> bool {
        self.lang.get_untracked() != Lang::En
    }

    pub fn pending(&self) -> usize {
        self.outbox
            .with(|o| o.iter().filter(|e| e.state == EntryState::Pending).count())
    }
}

/// Fills the metadata this device knows into a draft (`crate::draft::stamp`), `end` too when
/// `finishing`.
/// Fills the metadata this phone knows. Without an enrollment (the console's editor: a
/// supervisor's correction is no phone's interview) nothing is stamped.
pub fn stamp(ctx: Ctx, form: &baraza_schema::Form, answers: &mut Json, finishing: bool) {
    let Some(enrollment) = ctx.enrollment.get_untracked() else {
        return;
    };
    let now = now_iso();
    let device = crate::draft::Device {
        device_id: &enrollment.device_id,
        username: &enrollment.username,
        now: &now,
        uuid: &new_response_id,
    };
    crate::draft::stamp(form, answers, &device, today(), finishing);
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// The device's local date, `YYYY-MM-DD` (what `today()` means while filling a form).
pub fn today() -> baraza_schema::Date {
    let d = js_sys::Date::new_0();
    let s = format!(
        "{:04}-{:02}-{:02}",
        d.get_full_year(),
        d.get_month() + 1,
        d.get_date()
    );
    baraza_schema::Date::parse(&s)
        .unwrap_or_else(|_| baraza_schema::Date::parse("1970-01-01").expect("a valid literal date"))
}

pub fn now_iso() -> String {
    js_sys::Date::new_0()
        .to_iso_string()
        .as_string()
        .unwrap_or_default()
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    if let Ok(c) = window().crypto() {
        let _ = c.get_random_values_with_u8_array(&mut b);
    }
    b
}

/// A new response id (or `uuid()` value): a UUIDv7 (time-ordered, random).
pub fn new_response_id() -> String {
    uuid::Builder::from_unix_timestamp_millis(now_ms() as u64, &random_bytes::<10>())
        .into_uuid()
        .to_string()
}

/// What a failed exchange with the server means for the enumerator, as an `i18n` key.
pub fn remote_sentence(e: &RemoteError) -> &'static str {
    match e {
        RemoteError::Unreachable(_) if !window().navigator().on_line() => "err_offline",
        RemoteError::Unreachable(_) => "err_unreachable",
        RemoteError::Busy { .. } => "err_busy",
        RemoteError::Unauthorized => "reenroll",
        RemoteError::Revoked => "revoked",
        RemoteError::Refused { .. } => "err_refused",
        RemoteError::InvalidReply(_) => "err_invalid",
    }
}

/// A moment (ISO 8601) as people read it in the interface language, in the phone's time zone.
pub fn human_time(iso: &str, lang: Lang) -> String {
    if iso.is_empty() {
        return String::new();
    }
    let date = js_sys::Date::new(&JsValue::from_str(iso));
    date.to_locale_string(lang.code(), &JsValue::UNDEFINED)
        .into()
}

/// One sync pass, unless one is running. Errors back off; nothing pending is ever dropped.
pub async fn run_sync(ctx: Ctx) {
    let Some(enrollment) = ctx.enrollment.get_untracked() else {
        return;
    };
    if ctx.sync.with_untracked(|s| s.running) {
        return;
    }
    ctx.sync.update(|s| s.running = true);
    let mut local = store();
    let remote = remote::Http {
        token: enrollment.device_token.clone(),
    };
    let mut result = sync::sync_once(
        &mut local,
        &remote,
        &enrollment.device_id,
        Limits::default(),
    )
    .await;
    let pushed = result.is_ok();
    if pushed {
        match pull(&enrollment.device_token).await {
            Ok(true) => {
                if let Ok(forms) = local.forms().await {
                    ctx.forms.set(forms);
                }
            }
            Ok(false) => {}
            Err(e) => result = Err(SyncError::Remote(e)),
        }
    }
    // After the pull, so a form's pictures and sounds arrive in the sync that brought it;
    // whatever the pull's outcome, so that answers' files never wait on it.
    if pushed
        && files::asked_for(&ctx.forms.get_untracked())
        && let Err(e) = files::send(&enrollment.device_token).await
        && result.is_ok()
    {
        result = Err(SyncError::Remote(e));
    }
    ctx.refresh().await;
    ctx.sync.update(|s| {
        s.running = false;
        match &result {
            Ok(_) => {
                s.last_ok = Some(now_iso());
                let at = s.last_ok.clone();
                leptos::task::spawn_local(async move {
                    let _ = store().set_meta("last_sent", &at).await;
                });
                s.last_error = None;
                s.attempt = 0;
                s.not_before = 0.0;
                s.revoked = false;
                s.unauthorized = false;
            }
            Err(e) => {
                let retry_after = match e {
                    SyncError::Remote(RemoteError::Busy { retry_after_secs }) => *retry_after_secs,
                    _ => None,
                };
                s.revoked = matches!(e, SyncError::Remote(RemoteError::Revoked));
                s.unauthorized = matches!(e, SyncError::Remote(RemoteError::Unauthorized));
                s.last_error = Some(match e {
                    SyncError::Local(e) => {
                        leptos::logging::warn!("sync: {e}");
                        "err_storage"
                    }
                    SyncError::Remote(e) => {
                        leptos::logging::warn!("sync: {e:?}");
                        remote_sentence(e)
                    }
                });
                s.attempt += 1;
                let random = u64::from_le_bytes(random_bytes::<8>());
                let wait = sync::backoff_secs(s.attempt, retry_after, random);
                s.not_before = now_ms() + wait as f64 * 1000.0;
            }
        }
    });
}

/// Brings the device up to date: new form versions are downloaded (with the device's own
/// credential), form states follow the server, supervisors' corrections are kept as the
/// newest revision of their response, and their reviews (sent back, rejected) replace the
/// last list. The cursor advances only after all of it is stored.
/// Returns whether any form changed.
pub(crate) async fn pull(token: &str) -> Result<bool, RemoteError> {
    let s = store();
    let local = |e: store::StoreError| RemoteError::Unreachable(e.to_string());
    let cursor: i64 = s.meta("pull_cursor").await.map_err(local)?.unwrap_or(0);
    let reply = remote::send(
        "GET",
        &format!("/api/v1/sync/pull?cursor={cursor}"),
        Some(token),
        None,
    )
    .await?;
    if reply.status != 200 {
        return Err(remote::classify(&reply));
    }
    // `api::PullResponse`, read as plain JSON (see `app::enroll`); each correction is kept
    // as the server sent it, a `wire::Correction`.
    let update: Json = reply.json()?;
    let have = s.forms().await.map_err(local)?;
    let text = |v: &Json, k: &str| v[k].as_str().unwrap_or_default().to_owned();
    let mut changed = false;
    for f in update["forms"].as_array().into_iter().flatten() {
        let (form_id, version, state) = (text(f, "form_id"), text(f, "version"), text(f, "state"));
        let known = have
            .iter()
            .find(|h| h.form_id == form_id && h.version == version);
        let definition = match known {
            Some(k) if k.state == state => continue,
            Some(k) => k.definition.clone(),
            None if state == "closed" => continue,
            None => {
                let path = format!("/api/v1/forms/{form_id}/{version}");
                let r = remote::send("GET", &path, Some(token), None).await?;
                if r.status != 200 {
                    return Err(remote::classify(&r));
                }
                r.body
            }
        };
        s.put_form(&FormRecord {
            title: text(f, "title"),
            form_id,
            version,
            state,
            definition,
        })
        .await
        .map_err(local)?;
        changed = true;
    }
    for c in update["corrections"].as_array().into_iter().flatten() {
        s.put_head(&text(c, "response_id"), c)
            .await
            .map_err(local)?;
    }
    s.set_meta("reviews", &update["reviews"].to_string())
        .await
        .map_err(local)?;
    let next = update["cursor"].as_i64().unwrap_or(cursor);
    s.set_meta("pull_cursor", &next).await.map_err(local)?;
    Ok(changed)
}

/// Sends automatically: when the browser comes online, when the app gains focus, and every
/// few seconds while open (respecting backoff).
pub fn schedule_sync(ctx: Ctx) {
    let kick = move |reset: bool| {
        if reset {
            ctx.sync.update(|s| s.not_before = 0.0);
        }
        leptos::task::spawn_local(run_sync(ctx));
    };
    let on_online = window_event_listener(leptos::ev::online, move |_| {
        ctx.online.set(true);
        kick(true);
    });
    let on_offline = window_event_listener(leptos::ev::offline, move |_| ctx.online.set(false));
    let on_focus = window_event_listener(leptos::ev::focus, move |_| kick(false));
    let on_visible = window_event_listener(leptos::ev::visibilitychange, move |_| {
        if !document().hidden() {
            kick(false);
        }
    });
    // The listeners live as long as the page.
    std::mem::forget((on_online, on_offline, on_focus, on_visible));
    let tick = move || {
        let due = ctx.sync.with_untracked(|s| now_ms() >= s.not_before);
        if due && ctx.pending() > 0 {
            kick(false);
        }
    };
    let _ = set_interval_with_handle(tick, std::time::Duration::from_secs(5));
    kick(false);
}

/// Asks the browser to keep this site's storage, and reads how much is used.
pub async fn storage_status(ctx: Ctx) {
    let manager = window().navigator().storage();
    if let Ok(p) = manager.persist()
        && let Ok(v) = wasm_bindgen_futures::JsFuture::from(p).await
    {
        ctx.persisted.set(v.as_bool());
    }
    if let Ok(p) = manager.estimate()
        && let Ok(v) = wasm_bindgen_futures::JsFuture::from(p).await
    {
        let get = |k: &str| {
            js_sys::Reflect::get(&v, &JsValue::from_str(k))
                .ok()
                .and_then(|x| x.as_f64())
        };
        if let (Some(u), Some(q)) = (get("usage"), get("quota")) {
            ctx.estimate.set(Some((u, q)));
        }
    }
}
