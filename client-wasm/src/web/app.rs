//! Screens: home, records, and the form screen (in `form_view`). Enrolling is a page of its
//! own (`/enroll.html`, the account module): a phone enrolls once, online, so the app sends a
//! phone that is not enrolled there, and comes back enrolled.

use baraza_schema::wire;
use leptos::prelude::*;
use serde_json::{Value as Json, json};

use super::store::{Draft, FormRecord};
use super::{Ctx, SyncInfo, now_iso, run_sync, schedule_sync, storage_status, store};
use crate::i18n::Lang;
use crate::sync::{EntryState, OutboxEntry, Outcome};

#[derive(Debug, Clone, PartialEq)]
pub enum Screen {
    Loading,
    Home,
    Records,
    Fill(String),
}

#[component]
pub fn App() -> impl IntoView {
    let ctx = Ctx {
        lang: RwSignal::new(Lang::En),
        enrollment: RwSignal::new(None),
        forms: RwSignal::new(Vec::new()),
        drafts: RwSignal::new(Vec::new()),
        outbox: RwSignal::new(Vec::new()),
        heads: RwSignal::new(Vec::new()),
        reviews: RwSignal::new(Vec::new()),
        sync: RwSignal::new(SyncInfo::default()),
        online: RwSignal::new(window().navigator().on_line()),
        persisted: RwSignal::new(None),
        estimate: RwSignal::new(None),
    };
    provide_context(ctx);
    let screen = RwSignal::new(Screen::Loading);
    provide_context(screen);
    leptos::task::spawn_local(async move {
        let s = store();
        let enrolled = s.enrollment().await.ok().flatten();
        if enrolled.is_none() {
            // A supervisor's QR code opens the app at `/#enroll=CODE`: the code goes along.
            let hash = window().location().hash().unwrap_or_default();
            let _ = window().location().replace(&format!("/enroll.html{hash}"));
            return;
        }
        if let Ok(Some(code)) = s.meta::<String>("ui_lang").await
            && let Some(l) = Lang::from_code(&code)
        {
            ctx.lang.set(l);
        }
        ctx.forms.set(s.forms().await.unwrap_or_default());
        if let Ok(Some(at)) = s.meta::<String>("last_sent").await {
            ctx.sync.update(|i| i.last_ok = Some(at));
        }
        ctx.refresh().await;
        ctx.enrollment.set(enrolled);
        screen.set(Screen::Home);
        schedule_sync(ctx);
        storage_status(ctx).await;
    });
    Effect::new(move |_| {
        let code = ctx.lang.get().code();
        if let Some(html) = document().document_element() {
            let _ = html.set_attribute("lang", code);
        }
    });
    view! {
        <header class="bar">
            <strong>"Baraza"</strong>
            <span id="net" class=move || if ctx.online.get() { "net on" } else { "net off" }>
                {move || ctx.t(if ctx.online.get() { "online" } else { "offline" })}
            </span>
            <LangPicker />
        </header>
        <main>
            {move || match screen.get() {
                Screen::Loading => view! { <p class="muted">"…"</p> }.into_any(),
                Screen::Home => view! { <Home /> }.into_any(),
                Screen::Records => view! { <Records /> }.into_any(),
                Screen::Fill(id) => view! { <super::form_view::FillScreen response_id=id /> }.into_any(),
            }}
        </main>
        <nav class="tabs">
            <button on:click=move |_| screen.set(Screen::Home)>{ctx.tr("home")}</button>
            <button id="tab-records" on:click=move |_| screen.set(Screen::Records)>
                {ctx.tr("records")}
                " ("
                {move || ctx.pending() + ctx.drafts.with(Vec::len)}
                ")"
            </button>
        </nav>
    }
}

#[component]
fn LangPicker() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    view! {
        <select
            id="ui-lang"
            aria-label="Language"
            on:change=move |ev| {
                if let Some(l) = Lang::from_code(&event_target_value(&ev)) {
                    ctx.lang.set(l);
                    leptos::task::spawn_local(async move {
                        let _ = store().set_meta("ui_lang", &l.code()).await;
                    });
                }
            }
        >
            {Lang::ALL
                .into_iter()
                .map(|l| {
                    view! {
                        <option value=l.code() selected=move || ctx.lang.get() == l>
                            {l.name()}
                        </option>
                    }
                })
                .collect_view()}
        </select>
    }
}

/// For a phone enrolled before that the server no longer knows (restored from an older
/// backup): signing in again on the enrollment page with the `api::Rejoin` that gives it its
/// own id back, keeping its outbox and its sequence numbers.
async fn sign_in_again(ctx: Ctx) {
    let Some(e) = ctx.enrollment.get_untracked() else {
        return;
    };
    let first = match ctx
        .outbox
        .with_untracked(|o| o.first().map(|e| e.item.device_seq))
    {
        Some(seq) => seq,
        None => store()
            .meta::<i64>("next_seq")
            .await
            .ok()
            .flatten()
            .unwrap_or(1) as u64,
    };
    // The id is the server's UUID: nothing in it needs escaping.
    let _ = window()
        .location()
        .set_href(&format!("/enroll.html#rejoin={}:{first}", e.device_id));
}

/// Where each response stands, for the records screen: its newest revision on the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Waiting,
    Sent,
    Attention,
}

fn standing(e: &OutboxEntry) -> Standing {
    match &e.state {
        EntryState::Pending => Standing::Waiting,
        EntryState::Acked {
            outcome: Outcome::Sent,
            ..
        } => Standing::Sent,
        EntryState::Acked { .. } => Standing::Attention,
    }
}

/// The newest revision of each response in the outbox.
fn latest(outbox: &[OutboxEntry]) -> Vec<OutboxEntry> {
    // The outbox is in `device_seq` order: the last entry of a response is its newest.
    let mut v: Vec<OutboxEntry> = Vec::new();
    for e in outbox.iter().rev() {
        if !v.iter().any(|x| x.item.response_id == e.item.response_id) {
            v.push(e.clone());
        }
    }
    v
}

/// The forms on the device, read once for a screen that names responses.
type Forms = std::sync::Arc<Vec<(FormRecord, Option<std::sync::Arc<baraza_schema::Form>>)>>;

fn parsed_forms(ctx: Ctx) -> Forms {
    let forms = ctx.forms.get_untracked().into_iter();
    std::sync::Arc::new(
        forms
            .map(|f| {
                let form = super::form_of(&f);
                (f, form)
            })
            .collect(),
    )
}

/// How a response is listed: its form's `instance_name` ("S03-0042 · s03"), else the
/// form's title; and the form's title when the name is there instead.
fn record_title(forms: &Forms, form_id: &str, version: &str, answers: &Json) -> (String, String) {
    let Some((record, form)) = forms
        .iter()
        .find(|(f, _)| f.form_id == form_id && f.version == version)
    else {
        return (form_id.to_owned(), String::new());
    };
    let name = form
        .as_ref()
        .and_then(|f| baraza_schema::instance_name(f, answers, super::today()));
    match name {
        Some(n) => (n, record.title.clone()),
        None => (record.title.clone(), String::new()),
    }
}

fn mb(bytes: f64) -> String {
    let tenths = (bytes / 104_857.6).round() as u64;
    format!("{}.{} MB", tenths / 10, tenths % 10)
}

#[component]
fn Home() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let screen = expect_context::<RwSignal<Screen>>();
    let start = move |f: FormRecord| {
        let id = super::new_response_id();
        // The interview starts now: metadata and defaults are filled at once.
        let mut answers = json!({});
        if let Some(form) = super::form_of(&f) {
            super::stamp(ctx, &form, &mut answers, false);
        }
        let draft = Draft {
            response_id: id.clone(),
            form_id: f.form_id,
            form_version: f.version,
            answers,
            parent_rev: None,
            updated_at: now_iso(),
        };
        leptos::task::spawn_local(async move {
            if store().save_draft(&draft).await.is_ok() {
                // Only the drafts changed: reading the whole outbox again would make "New"
                // slower with every interview kept on the phone.
                ctx.drafts.update(|d| d.push(draft));
                screen.set(Screen::Fill(id));
            }
        });
    };
    let counts = Memo::new(move |_| {
        let l = latest(&ctx.outbox.get());
        let n = |s: Standing| l.iter().filter(|e| standing(e) == s).count();
        (
            ctx.drafts.with(Vec::len),
            n(Standing::Waiting),
            n(Standing::Sent),
            n(Standing::Attention),
        )
    });
    view! {
        <section class="card">
            <p class="muted">
                {ctx.tr("enrolled_as")} " "
                <strong>{move || ctx.enrollment.get().map(|e| e.username).unwrap_or_default()}</strong>
            </p>
            <h1>{ctx.tr("forms")}</h1>
            <ul class="list">
                {move || {
                    ctx.forms
                        .get()
                        .into_iter()
                        .filter(|f| f.state == "open")
                        .map(|f| {
                            let title = f.title.clone();
                            let id = format!("new-{}", f.form_id);
                            view! {
                                <li>
                                    <span>{title}</span>
                                    <button class="primary" id=id on:click=move |_| start(f.clone())>
                                        {ctx.tr("new_response")}
                                    </button>
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
        </section>
        <section class="card">
            <h2>{ctx.tr("records")}</h2>
            <dl class="counts">
                <dt>{ctx.tr("drafts")}</dt><dd id="count-drafts">{move || counts.get().0}</dd>
                <dt>{ctx.tr("waiting")}</dt><dd id="count-waiting">{move || counts.get().1}</dd>
                <dt>{ctx.tr("sent")}</dt><dd id="count-sent">{move || counts.get().2}</dd>
                <dt>{ctx.tr("attention")}</dt><dd id="count-attention">{move || counts.get().3}</dd>
            </dl>
            <SyncPanel />
        </section>
        <section class="card">
            <h2>{ctx.tr("storage")}</h2>
            <p id="persisted">
                {move || match ctx.persisted.get() {
                    Some(true) => ctx.t("persisted"),
                    _ => ctx.t("not_persisted"),
                }}
            </p>
            <p>
                {move || ctx.estimate.get().map(|(u, q)| format!("{} {} {} {}", mb(u), ctx.t("used"), ctx.t("of"), mb(q)))}
            </p>
            <p class="warn" role="alert">
                {move || {
                    ctx.estimate
                        .get()
                        .filter(|(u, q)| q - u < 50.0 * 1_048_576.0 || u / q > 0.9)
                        .map(|_| ctx.t("low_space"))
                }}
            </p>
            <button on:click=move |_| export_unsent(ctx)>{ctx.tr("export")}</button>
            // The figures page is a module of its own, fetched only when opened.
            <p><a href="/community.html">{ctx.tr("figures")}</a></p>
            // So is the password page (it needs the server anyway).
            <p><a href="/account.html">{ctx.tr("change_password")}</a></p>
            // The build this phone runs (`baraza --version` prints the same hash).
            <p class="muted" id="build">
                {ctx.tr("build")} " "
                {document().document_element().and_then(|h| h.get_attribute("data-build"))}
            </p>
        </section>
    }
}

#[component]
fn SyncPanel() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    view! {
        <p id="sync-status" class="muted">
            {ctx.tr("last_sync")} ": "
            {move || {
                ctx.sync
                    .get()
                    .last_ok
                    .map_or_else(|| ctx.t("never").to_owned(), |at| super::human_time(&at, ctx.lang.get()))
            }}
        </p>
        <p class="error" id="sync-error" role="status">{move || ctx.sync.get().last_error.map(|k| ctx.t(k))}</p>
        <p class="warn">{move || ctx.sync.get().revoked.then(|| ctx.t("revoked"))}</p>
        // The server no longer knows this phone (restored from an older backup; the line
        // above says so): signing in again gives it its own id back, and everything it holds
        // is sent again.
        <button hidden=move || !ctx.sync.get().unauthorized on:click=move |_| leptos::task::spawn_local(sign_in_again(ctx))>
            {ctx.tr("sign_in_again")}
        </button>
        <button
            id="sync-now"
            disabled=move || ctx.sync.get().running
            on:click=move |_| {
                ctx.sync.update(|s| s.not_before = 0.0);
                leptos::task::spawn_local(run_sync(ctx));
            }
        >
            {move || ctx.t(if ctx.sync.get().running { "syncing" } else { "sync_now" })}
        </button>
    }
}

/// Saves every revision on the device — all that no backup of the server holds yet — as a
/// file the server imports (a push request naming the phone's user, so that a server
/// restored from a backup older than this phone can still take it): a zip with the files its
/// answers name where the files module can be had, else JSON (`boot.js`'s `barazaExport`).
fn export_unsent(ctx: Ctx) {
    let items: Vec<_> = ctx
        .outbox
        .with(|o| o.iter().map(|e| e.item.clone()).collect());
    let e = ctx.enrollment.get_untracked().unwrap_or_default();
    let file =
        json!({"device_id": e.device_id, "username": e.username, "items": items}).to_string();
    let name = format!("baraza-unsent-{}", now_iso().replace(':', "-"));
    super::files::export(&file, &name);
}

#[component]
fn Records() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let screen = expect_context::<RwSignal<Screen>>();
    let forms = parsed_forms(ctx);
    let draft_forms = forms.clone();
    // A supervisor's correction replaces the device's revision when it is newer (the rule
    // the server and this phone's figures use), or when it releases that revision from
    // quarantine (whichever of the two sorts newer).
    let correction_of = move |e: &OutboxEntry| {
        ctx.heads.with(|h| {
            h.iter()
                .find(|c| {
                    c["response_id"] == e.item.response_id.as_str()
                        && (c["releases"] == e.item.rev.as_str()
                            || wire::is_newer(c["rev"].as_str().unwrap_or_default(), &e.item.rev))
                })
                .cloned()
        })
    };
    // A supervisor's review that asks something of the enumerator, in words with its comment.
    let review_of = move |e: &OutboxEntry| {
        ctx.reviews.with(|r| {
            let n = r
                .iter()
                .find(|n| n["response_id"] == e.item.response_id.as_str())?;
            let state = if n["state"] == "rejected" {
                "rejected"
            } else {
                "sent_back"
            };
            Some(format!(
                "{}: {}",
                ctx.t(state),
                n["comment"].as_str().unwrap_or_default()
            ))
        })
    };
    let reopen = move |e: OutboxEntry| {
        let text = |c: &Json, k: &str| c[k].as_str().unwrap_or_default().to_owned();
        let (payload, rev) = match correction_of(&e) {
            Some(c) => (text(&c, "payload"), text(&c, "rev")),
            None => (e.item.payload.clone(), e.item.rev.clone()),
        };
        let answers = serde_json::from_str(&payload).unwrap_or_else(|_| json!({}));
        let draft = Draft {
            response_id: e.item.response_id.clone(),
            form_id: e.item.form_id.clone(),
            form_version: e.item.form_version.clone(),
            answers,
            parent_rev: Some(rev),
            updated_at: now_iso(),
        };
        leptos::task::spawn_local(async move {
            if store().save_draft(&draft).await.is_ok() {
                ctx.refresh().await;
                screen.set(Screen::Fill(draft.response_id));
            }
        });
    };
    let section = move |which: Standing, key: &'static str| {
        let forms = forms.clone();
        let rows = move || {
            latest(&ctx.outbox.get())
                .into_iter()
                // An interview a supervisor sent back or rejected needs the enumerator too.
                .filter(|e| {
                    which
                        == match standing(e) {
                            Standing::Sent if review_of(e).is_some() => Standing::Attention,
                            // Quarantined or in conflict, then released or resolved.
                            Standing::Attention
                                if review_of(e).is_none() && correction_of(e).is_some() =>
                            {
                                Standing::Sent
                            }
                            s => s,
                        }
                })
                .collect::<Vec<_>>()
        };
        view! {
            <h2>{move || ctx.t(key)} " (" <span class=format!("n-{key}")>{move || rows().len()}</span> ")"</h2>
            <ul class="list" id=format!("records-{key}")>
                {move || {
                    rows()
                        .into_iter()
                        .map(|e| {
                            let answers = serde_json::from_str(&e.item.payload).unwrap_or_default();
                            let (title, form) = record_title(&forms, &e.item.form_id, &e.item.form_version, &answers);
                            let note = review_of(&e)
                                .or_else(|| correction_of(&e).map(|_| ctx.t("corrected").to_owned()))
                                .or_else(|| match &e.state {
                                    EntryState::Acked { outcome: Outcome::Conflict, .. } => Some(ctx.t("conflict").to_owned()),
                                    // The reason is for the supervisor, who reads it in words.
                                    EntryState::Acked { outcome: Outcome::Quarantined(_), .. } => {
                                        Some(ctx.t("quarantined").to_owned())
                                    }
                                    _ => None,
                                });
                            let can_correct = which != Standing::Waiting;
                            let entry = e.clone();
                            view! {
                                <li class="record" data-response=e.item.response_id.clone()>
                                    <span>
                                        <strong>{title}</strong> <br />
                                        <small class="muted">{form} " " {super::human_time(e.item.saved_at.as_deref().unwrap_or_default(), ctx.lang.get())}</small>
                                        <small class="warn">{note}</small>
                                    </span>
                                    {can_correct.then(|| view! {
                                        <button on:click=move |_| reopen(entry.clone())>{ctx.tr("correct")}</button>
                                    })}
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
        }
    };
    view! {
        <section class="card">
            <h2>{ctx.tr("drafts")} " (" {move || ctx.drafts.with(Vec::len)} ")"</h2>
            <ul class="list" id="records-drafts">
                {move || {
                    ctx.drafts
                        .get()
                        .into_iter()
                        .map(|d| {
                            let (title, form) = record_title(&draft_forms, &d.form_id, &d.form_version, &d.answers);
                            let id = d.response_id.clone();
                            let gone = d.response_id.clone();
                            let delete = move |_| {
                                if !window().confirm_with_message(ctx.t("confirm_delete_draft")).unwrap_or(false) {
                                    return;
                                }
                                let gone = gone.clone();
                                leptos::task::spawn_local(async move {
                                    let _ = store().delete_draft(&gone).await;
                                    ctx.refresh().await;
                                });
                            };
                            view! {
                                <li class="record">
                                    <span><strong>{title}</strong> <br /> <small class="muted">{form} " " {super::human_time(&d.updated_at, ctx.lang.get())}</small></span>
                                    <button on:click=delete>{ctx.tr("delete")}</button>
                                    <button on:click=move |_| screen.set(Screen::Fill(id.clone()))>{ctx.tr("open")}</button>
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
            {section(Standing::Waiting, "waiting")}
            {section(Standing::Attention, "attention")}
            {section(Standing::Sent, "sent")}
            <SyncPanel />
        </section>
    }
}
