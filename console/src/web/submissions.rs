//! Submissions: the table (filtered, sortable, paged) and one submission opened as its form,
//! with review actions, its revision history and differences, and a conflict resolved
//! answer by answer.

use crate::i18n::Words as _;
use std::collections::BTreeSet;
use std::sync::Arc;

use leptos::prelude::*;
use serde_json::{Value, json};

use baraza_browser::fetch;
use baraza_schema::api::{
    AttachmentView, Forms, ResponseDetail, ResponseSummary, Responses, ReviewState, RevisionView,
    Settlements,
};
use baraza_schema::{Form, Kind};

use super::{Api, Status, editor, enc, load};
use crate::i18n::Lang;
use crate::show::{self, Shown};

const PAGE: u32 = 50;

/// The submissions table's optional columns (key, heading); the id is always shown.
const COLUMNS: [(&str, &str); 5] = [
    ("form", "Form"),
    ("settlement", "Settlement"),
    ("enumerator", "Enumerator"),
    ("state", "Review state"),
    ("updated", "Last changed"),
];
const COLUMNS_KEY: &str = "baraza-console-columns";
/// The questions shown as columns, per form (`…-<form id>`).
const ANSWERS_KEY: &str = "baraza-console-answers-";

/// The questions this browser last showed as columns for form `id`.
fn stored_questions(id: &str) -> Vec<String> {
    window()
        .local_storage()
        .ok()
        .flatten()
        .and_then(|st| st.get_item(&format!("{ANSWERS_KEY}{id}")).ok().flatten())
        .map(|v| {
            v.split(',')
                .filter(|n| !n.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

pub fn state_name(l: Lang, s: ReviewState) -> &'static str {
    match s {
        ReviewState::Received => l.t("Received"),
        ReviewState::HasIssues => l.t("Sent back for correction"),
        ReviewState::Approved => l.t("Approved"),
        ReviewState::Rejected => l.t("Rejected"),
    }
}

/// A metadata question's meaning, named in the interface's language.
fn metadata_name(l: Lang, k: Kind) -> &'static str {
    match k {
        Kind::Start => l.t("Interview opened"),
        Kind::End => l.t("Interview finalized"),
        Kind::Today => l.t("Day"),
        Kind::DeviceId => l.t("Device"),
        Kind::Username => l.t("Account on the phone"),
        Kind::PhoneNumber => l.t("Phone number"),
        Kind::Email => l.t("Email"),
        Kind::SimSerial => l.t("SIM serial"),
        Kind::StartGeopoint => l.t("Where it was opened"),
        _ => l.t("Subscriber id"),
    }
}

/// The columns the table sorts by: the server orders the whole list (`?sort=&desc=`), and
/// pages through it in that order.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Sort {
    Id,
    Settlement,
    Enumerator,
    State,
    Updated,
}

impl Sort {
    fn param(self) -> &'static str {
        match self {
            Sort::Id => "response_id",
            Sort::Settlement => "settlement",
            Sort::Enumerator => "enumerator",
            Sort::State => "review_state",
            Sort::Updated => "updated_at",
        }
    }
}

#[component]
pub fn Submissions(api: Api, open: RwSignal<Option<String>>) -> impl IntoView {
    let l = api.lang;
    let form_id = RwSignal::new(String::new());
    let settlement = RwSignal::new(String::new());
    let enumerator = RwSignal::new(String::new());
    let state = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let conflicts = RwSignal::new(false);
    // Where the page shown starts in the sorted list.
    let offset = RwSignal::new(0u32);
    let rows = RwSignal::new(Vec::<ResponseSummary>::new());
    // Whether a first answer came: "nothing matches" is said only then.
    let loaded = RwSignal::new(false);
    // The column and whether largest first.
    let sort = RwSignal::new((Sort::Id, false));
    let error = RwSignal::new(None::<String>);
    let forms = RwSignal::new(None::<Forms>);
    let places = RwSignal::new(None::<Settlements>);
    // The chosen form's definition (newest version), whose questions can be columns, and the
    // questions chosen, remembered in this browser per form.
    let shown_form = RwSignal::new(None::<Arc<Form>>);
    let questions = RwSignal::new(Vec::<String>::new());
    load(api, "/forms".into(), forms, error);
    load(api, "/settlements".into(), places, error);
    // A form as people know it: its title (the newest version's), its id until the list comes.
    let form_title = move |id: &str| {
        forms
            .with(|f| {
                let f = f.as_ref()?;
                f.forms
                    .iter()
                    .rev()
                    .find(|v| v.form_id == id)
                    .map(|v| v.title.clone())
            })
            .unwrap_or_else(|| id.to_owned())
    };

    let fetch_page = move || {
        let mut q = format!("?limit={PAGE}");
        for (k, v) in [
            ("form_id", form_id.get_untracked()),
            ("settlement", settlement.get_untracked()),
            ("enumerator", enumerator.get_untracked().trim().to_owned()),
            ("review_state", state.get_untracked()),
            ("from", from.get_untracked()),
            ("to", to.get_untracked()),
        ] {
            if !v.is_empty() {
                q.push_str(&format!("&{k}={}", enc(&v)));
            }
        }
        if conflicts.get_untracked() {
            q.push_str("&conflict=true");
        }
        let asked = questions.get_untracked();
        if !asked.is_empty() {
            q.push_str(&format!("&answers={}", enc(&asked.join(","))));
        }
        let (by, desc) = sort.get_untracked();
        q.push_str(&format!(
            "&sort={}&desc={desc}&offset={}",
            by.param(),
            offset.get_untracked()
        ));
        leptos::task::spawn_local(async move {
            match api.get::<Responses>(&format!("/responses{q}")).await {
                Ok(list) => {
                    error.set(None);
                    rows.set(list.responses);
                    loaded.set(true);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let search = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        offset.set(0);
        fetch_page();
    };
    let next = move |_| {
        offset.update(|o| *o += PAGE);
        fetch_page();
    };
    let previous = move |_| {
        offset.update(|o| *o = o.saturating_sub(PAGE));
        fetch_page();
    };
    fetch_page();

    // Choosing a form offers its questions (outside repeats) as columns.
    let pick_form = move |id: String| {
        form_id.set(id.clone());
        shown_form.set(None);
        questions.set(stored_questions(&id));
        let newest = forms.with_untracked(|f| {
            f.as_ref().and_then(|f| {
                f.forms
                    .iter()
                    .rev()
                    .find(|v| v.form_id == id)
                    .map(|v| v.version.clone())
            })
        });
        if let Some(version) = newest {
            leptos::task::spawn_local(async move {
                match api
                    .get::<Form>(&format!("/forms/{}/{}", enc(&id), enc(&version)))
                    .await
                {
                    // The keyboard passes other forms on its way: only the one still
                    // chosen is shown, whichever answer comes back last.
                    Ok(f) if form_id.get_untracked() == id => shown_form.set(Some(Arc::new(f))),
                    Ok(_) => {}
                    Err(e) => error.set(Some(e)),
                }
            });
        }
    };
    let choose_question = move |name: String, on: bool| {
        questions.update(|q| {
            q.retain(|n| *n != name);
            if on {
                q.push(name);
            }
        });
        let id = form_id.get_untracked();
        if let Some(st) = window().local_storage().ok().flatten() {
            let _ = st.set_item(
                &format!("{ANSWERS_KEY}{id}"),
                &questions.get_untracked().join(","),
            );
        }
        fetch_page();
    };
    // The chosen questions of the shown form, as (name, heading, field).
    let question_columns = move || {
        let form = shown_form.get()?;
        let lang = form.language_for(l.code());
        Some(
            questions
                .get()
                .into_iter()
                .filter_map(|n| {
                    form.field(&n)
                        .map(|f| (n.clone(), show::label(&form, f, &lang)))
                })
                .collect::<Vec<_>>(),
        )
    };

    // A column's heading sorts by it; again, the other way round. Back to the first page.
    let header = move |s: Sort, label: &'static str| {
        view! {
            <th scope="col" aria-sort=move || match sort.get() {
                (by, false) if by == s => Some("ascending"),
                (by, true) if by == s => Some("descending"),
                _ => None,
            }>
                <button class="link" on:click=move |_| {
                    sort.update(|(by, desc)| {
                        *desc = *by == s && !*desc;
                        *by = s;
                    });
                    offset.set(0);
                    fetch_page();
                }>{label}</button>
            </th>
        }
    };
    // The columns shown, remembered in this browser.
    let hidden = RwSignal::new(
        window()
            .local_storage()
            .ok()
            .flatten()
            .and_then(|st| st.get_item(COLUMNS_KEY).ok().flatten())
            .map(|v| {
                v.split(',')
                    .map(str::to_owned)
                    .collect::<BTreeSet<String>>()
            })
            .unwrap_or_default(),
    );
    let shows = move |key: &str| hidden.with(|h| !h.contains(key));
    let choose = move |key: &str, on: bool| {
        hidden.update(|h| {
            if on {
                h.remove(key);
            } else {
                h.insert(key.to_owned());
            }
        });
        if let Some(st) = window().local_storage().ok().flatten() {
            let _ = st.set_item(
                COLUMNS_KEY,
                &hidden.with_untracked(|h| h.iter().cloned().collect::<Vec<_>>().join(",")),
            );
        }
    };
    let text_filter = move |label: &'static str,
                            id: &'static str,
                            kind: &'static str,
                            sig: RwSignal<String>| {
        view! {
            <label>{label}<input id=id type=kind on:input=move |ev| sig.set(event_target_value(&ev))/></label>
        }
    };

    view! {
        {move || match open.get() {
            Some(id) => view! { <Submission api id on_close=move || { open.set(None); fetch_page(); }/> }.into_any(),
            None => view! {
                <main>
                    <h2>{l.t("Submissions")}</h2>
                    <form class="filters" on:submit=search>
                        <div class="field"><label for="filter-form">{l.t("Form")}</label>
                            <select id="filter-form" on:change=move |ev| pick_form(event_target_value(&ev))>
                                <option value="">{l.t("All")}</option>
                                {move || {
                                    let mut ids: Vec<(String, String)> = forms.get().map(|f| f.forms.into_iter().map(|f| (f.form_id, f.title)).collect()).unwrap_or_default();
                                    ids.sort();
                                    ids.dedup_by(|a, b| a.0 == b.0);
                                    ids.into_iter().map(|(id, title)| view! { <option value=id.clone()>{title}</option> }).collect_view()
                                }}
                            </select>
                        </div>
                        <div class="field"><label for="filter-settlement">{l.t("Settlement")}</label>
                            <select id="filter-settlement" on:change=move |ev| settlement.set(event_target_value(&ev))>
                                <option value="">{l.t("All")}</option>
                                {move || places.get().map(|p| p.settlements.into_iter().map(|s| view! {
                                    <option value=s.code.clone()>{format!("{} · {}", s.code, s.name)}</option>
                                }).collect_view())}
                            </select>
                        </div>
                        <div class="field"><label for="filter-state">{l.t("Review state")}</label>
                            <select id="filter-state" on:change=move |ev| state.set(event_target_value(&ev))>
                                <option value="">{l.t("All")}</option>
                                {ReviewState::ALL.iter().copied().map(|s| view! { <option value=s.as_str()>{state_name(l, s)}</option> }).collect_view()}
                            </select>
                        </div>
                        {text_filter(l.t("Enumerator"), "filter-enumerator", "text", enumerator)}
                        {text_filter(l.t("From"), "filter-from", "date", from)}
                        {text_filter(l.t("To"), "filter-to", "date", to)}
                        <label class="check"><input type="checkbox" id="filter-conflicts"
                            on:change=move |ev| conflicts.set(event_target_checked(&ev))/>{l.t("Conflicts only")}</label>
                        <button type="submit" class="primary">{l.t("Search")}</button>
                    </form>
                    <Status error/>
                    <details class="columns">
                        <summary>{l.t("Columns")}</summary>
                        {COLUMNS.iter().map(|&(key, label)| view! {
                            <label class="check"><input type="checkbox" aria-label=format!("{} · {}", l.t("Columns"), l.t(label)) prop:checked=move || shows(key)
                                on:change=move |ev| choose(key, event_target_checked(&ev))/>{l.t(label)}</label>
                        }).collect_view()}
                        {move || match shown_form.get() {
                            None => view! { <p>{l.t("Choose a form to show answers as columns.")}</p> }.into_any(),
                            Some(form) => {
                                let lang = form.language_for(l.code());
                                let offered: Vec<(String, String)> = form
                                    .outside_repeats()
                                    .into_iter()
                                    .filter(|f| !f.kind.is_metadata() && !matches!(f.kind, Kind::Note | Kind::Calculate))
                                    .map(|f| (f.name.clone(), show::label(&form, f, &lang)))
                                    .collect();
                                view! { <fieldset class="questions"><legend>{l.t("Answers as columns")}</legend>
                                    {offered.into_iter().map(|(name, label)| {
                                        let (n1, n2) = (name.clone(), name.clone());
                                        view! { <label class="check"><input type="checkbox"
                                            prop:checked=move || questions.with(|q| q.contains(&n1))
                                            on:change=move |ev| choose_question(n2.clone(), event_target_checked(&ev))/>{label}</label> }
                                    }).collect_view()}
                                </fieldset> }.into_any()
                            }
                        }}
                    </details>
                    <div class="scroll" tabindex="0"><table id="submissions">
                        <thead><tr>
                            {header(Sort::Id, l.t("Submission"))}
                            {move || shows("form").then(|| view! { <th scope="col">{l.t("Form")}</th> })}
                            {move || shows("settlement").then(|| header(Sort::Settlement, l.t("Settlement")))}
                            {move || shows("enumerator").then(|| header(Sort::Enumerator, l.t("Enumerator")))}
                            {move || shows("state").then(|| header(Sort::State, l.t("Review state")))}
                            {move || shows("updated").then(|| header(Sort::Updated, l.t("Last changed")))}
                            {move || question_columns().unwrap_or_default().into_iter().map(|(_, heading)| view! {
                                <th scope="col">{heading}</th>
                            }).collect_view()}
                        </tr></thead>
                        <tbody>
                            {move || rows.get().into_iter().map(|r| {
                                let id = r.response_id.clone();
                                view! { <tr>
                                    <td><button class="link" on:click=move |_| open.set(Some(id.clone()))>{r.response_id.clone()}</button></td>
                                    {shows("form").then(|| view! { <td>{form_title(&r.form_id)}</td> })}
                                    {shows("settlement").then(|| view! { <td>{r.settlement.unwrap_or_default()}</td> })}
                                    {shows("enumerator").then(|| view! { <td>{r.enumerator.unwrap_or_default()}</td> })}
                                    {shows("state").then(|| view! { <td>{state_name(l, r.review_state)}{r.conflict.then(|| format!(" · {}", l.t("conflict")))}</td> })}
                                    {shows("updated").then(|| view! { <td>{show::when(&r.updated_at)}</td> })}
                                    {shown_form.get().map(|form| {
                                        let lang = form.language_for(l.code());
                                        questions.get().into_iter().filter_map(|n| {
                                            let f = form.field(&n)?;
                                            Some(view! { <td>{show::answer(&form, f, r.answers.get(&n), &lang)}</td> })
                                        }).collect_view()
                                    })}
                                </tr> }
                            }).collect_view()}
                        </tbody>
                    </table></div>
                    {move || (loaded.get() && rows.with(Vec::is_empty)).then(|| view! { <p>{l.t("No submission matches.")}</p> })}
                    <div class="pager">
                        <button on:click=previous disabled=move || offset.get() == 0>{l.t("Previous page")}</button>
                        <button on:click=next disabled=move || rows.with(|r| (r.len() as u32) < PAGE)>{l.t("Next page")}</button>
                    </div>
                </main>
            }.into_any(),
        }}
    }
}

/// One submission: the head as its form, review, history and differences, conflicts.
#[component]
fn Submission(
    api: Api,
    id: String,
    on_close: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let l = api.lang;
    let detail = RwSignal::new(None::<ResponseDetail>);
    let form = RwSignal::new(None::<Arc<Form>>);
    let error = RwSignal::new(None::<String>);
    let done = RwSignal::new(None::<String>);
    let comment = RwSignal::new(String::new());
    let editing = RwSignal::new(false);
    let id = StoredValue::new(id);
    let reload = move || {
        let path = format!("/responses/{}", enc(&id.get_value()));
        leptos::task::spawn_local(async move {
            match api.get::<ResponseDetail>(&path).await {
                Ok(d) => {
                    if form.with_untracked(Option::is_none) {
                        let path = format!(
                            "/forms/{}/{}",
                            enc(&d.summary.form_id),
                            enc(&d.summary.form_version)
                        );
                        match api.get::<Form>(&path).await {
                            Ok(f) => form.set(Some(Arc::new(f))),
                            Err(e) => error.set(Some(e)),
                        }
                    }
                    detail.set(Some(d));
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    reload();
    let review = move |s: ReviewState| {
        let text = comment.get_untracked();
        if s != ReviewState::Approved && text.trim().is_empty() {
            return error.set(Some(
                l.t("Say why in the comment: the enumerator reads it.")
                    .into(),
            ));
        }
        let path = format!("/responses/{}/review", enc(&id.get_value()));
        leptos::task::spawn_local(async move {
            match api
                .call("POST", &path, json!({"state": s.as_str(), "comment": text}))
                .await
            {
                Ok(_) => {
                    error.set(None);
                    done.set(Some(format!("{}: {}", l.t("Saved"), state_name(l, s))));
                    reload();
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let lang = move || {
        form.with(|f| {
            f.as_ref()
                .map(|f| f.language_for(l.code()))
                .unwrap_or_default()
        })
    };
    // A correction: a new revision on top of the head the supervisor edited.
    let save = move |base_rev: String, answers: Value| {
        let path = format!("/responses/{}/corrections", enc(&id.get_value()));
        leptos::task::spawn_local(async move {
            match api
                .call(
                    "POST",
                    &path,
                    json!({"base_rev": base_rev, "answers": answers}),
                )
                .await
            {
                Ok(_) => {
                    error.set(None);
                    editing.set(false);
                    done.set(Some(
                        l.t("Saved as a new revision; the phone receives it at its next sync.")
                            .into(),
                    ));
                    reload();
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };

    view! {
        <main>
            <button class="link" on:click=move |_| on_close()>{format!("← {}", l.t("Back to the submissions"))}</button>
            <h2>{move || format!("{} {}", l.t("Submission"), id.get_value())}</h2>
            <Status error/>
            <p class="done" role="status">{move || done.get()}</p>
            {move || detail.get().zip(form.get()).map(|(d, f)| {
                let lang = lang();
                let head = d.revisions.iter().find(|r| r.rev == d.summary.head_rev).cloned();
                let payload: Value = head.as_ref().and_then(|h| serde_json::from_str(&h.payload).ok()).unwrap_or(Value::Null);
                let shown = show::show(&f, &payload, &lang);
                let s = d.summary.clone();
                view! {
                    <dl class="facts">
                        <dt>{l.t("Form")}</dt><dd>{format!("{} · {}", f.settings.title, s.form_version)}</dd>
                        <dt>{l.t("Settlement")}</dt><dd>{s.settlement.clone().unwrap_or_default()}</dd>
                        <dt>{l.t("Enumerator")}</dt><dd>{s.enumerator.clone().unwrap_or_default()}</dd>
                        <dt>{l.t("Review state")}</dt><dd id="review-state">{state_name(l, s.review_state)}</dd>
                        {show::metadata(&f, &payload).into_iter().map(|(kind, v)| view! {
                            <dt>{metadata_name(l, kind)}</dt><dd>{v}</dd>
                        }).collect_view()}
                    </dl>
                    {s.conflict.then(|| view! { <Conflict api detail=d.clone() form=f.clone() lang=lang.clone() on_done=reload/> })}
                    <section class="card">
                        <h3>{l.t("Review")}</h3>
                        <label>{l.t("Comment (the enumerator's phone shows it with a correction request)")}
                            <textarea id="review-comment" rows="3" on:input=move |ev| comment.set(event_target_value(&ev))></textarea>
                        </label>
                        <div class="actions">
                            <button class="primary" on:click=move |_| review(ReviewState::Approved)>{l.t("Approve")}</button>
                            <button on:click=move |_| review(ReviewState::HasIssues)>{l.t("Send back for correction")}</button>
                            <button class="danger" on:click=move |_| review(ReviewState::Rejected)>{l.t("Reject")}</button>
                        </div>
                        <ul class="events">
                            {d.events.iter().map(|e| view! {
                                <li>{format!("{} · {}", e.at, state_name(l, e.state))}{(!e.comment.is_empty()).then(|| format!(" — “{}”", e.comment))}</li>
                            }).collect_view()}
                        </ul>
                    </section>
                    <section>
                        <h3>{l.t("The interview")}</h3>
                        {if editing.get() {
                            let head_rev = s.head_rev.clone();
                            view! {
                                <p>{l.t("Change the answers, then save on the summary page: the same checks as on the phone apply.")}</p>
                                <button on:click=move |_| editing.set(false)>{l.t("Cancel the edit")}</button>
                                <editor::Editor api form=f.clone() answers=payload.clone() response_id=s.response_id.clone()
                                    on_save=move |a| save(head_rev.clone(), a)/>
                            }.into_any()
                        } else {
                            view! {
                                <button id="edit-answers" on:click=move |_| editing.set(true)>{l.t("Edit the answers")}</button>
                                <Interview shown/>
                            }.into_any()
                        }}
                    </section>
                    {head.map(|h| view! { <Files api response_id=s.response_id.clone() files=h.attachments/> })}
                    <History revisions=d.revisions.clone() form=f lang l/>
                }
            })}
        </main>
    }
}

/// The files the interview's answers name: each received one can be downloaded (the server
/// sends it as a download that cannot run in the page); the others are said to be on their way.
#[component]
fn Files(api: Api, response_id: String, files: Vec<AttachmentView>) -> impl IntoView {
    let l = api.lang;
    let error = RwSignal::new(None::<String>);
    let response_id = StoredValue::new(response_id);
    let download = move |name: String| {
        let token = api.token();
        let path = format!(
            "/api/v1/responses/{}/attachments/{}",
            enc(&response_id.get_value()),
            enc(&name)
        );
        leptos::task::spawn_local(async move {
            match fetch::fetch("GET", &path, token.as_deref(), None).await {
                Ok(r) if r.status() == 200 => {
                    if let Err(e) = fetch::save(&r, &name).await {
                        error.set(Some(e));
                    }
                }
                _ => error.set(Some(l.t("The file could not be downloaded.").into())),
            }
        });
    };
    (!files.is_empty()).then(|| view! {
        <section class="card" id="files">
            <h3>{l.t("Files")}</h3>
            <Status error/>
            <ul>
                {files.into_iter().map(|f| {
                    let size = f.size.map(|n| format!(" · {} KB", n.div_ceil(1000))).unwrap_or_default();
                    let kind = f.content_type.clone().map(|t| format!(" · {t}")).unwrap_or_default();
                    let name = f.name.clone();
                    view! {
                        <li>
                            {format!("{}{size}{kind} ", f.name)}
                            {match f.received {
                                true => view! {
                                    <button on:click=move |_| download(name.clone())>
                                        {format!("{} {}", l.t("Download"), f.name)}
                                    </button>
                                }.into_any(),
                                false => view! { <em>{l.t("Not received yet: the phone sends it after the interview.")}</em> }.into_any(),
                            }}
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    })
}

/// An interview drawn from `show::show`.
#[component]
fn Interview(shown: Vec<Shown>) -> impl IntoView {
    view! {
        <div class="interview">
            {shown.into_iter().map(|b| match b {
                Shown::Section(t) => view! { <h4>{t}</h4> }.into_any(),
                Shown::Answer { label, value } => view! {
                    <div class="qa"><span class="qa-label">{label}</span><span class="qa-value">{value}</span></div>
                }.into_any(),
                Shown::Table { label, columns, rows } => view! {
                    <div class="scroll" tabindex="0"><table>
                        <caption>{label}</caption>
                        <thead><tr><th scope="col">"#"</th>{columns.into_iter().map(|c| view! { <th scope="col">{c}</th> }).collect_view()}</tr></thead>
                        <tbody>{rows.into_iter().enumerate().map(|(i, r)| view! {
                            <tr><th scope="row">{i + 1}</th>{r.into_iter().map(|v| view! { <td>{v}</td> }).collect_view()}</tr>
                        }).collect_view()}</tbody>
                    </table></div>
                }.into_any(),
            }).collect_view()}
        </div>
    }
}

fn revision_name(l: Lang, i: usize, r: &RevisionView) -> String {
    let by = match (&r.device_id, r.author_id) {
        (Some(_), _) => l.t("from a phone"),
        (None, Some(_)) => l.t("by a supervisor"),
        _ => "",
    };
    format!(
        "{} {} · {} · {by}",
        l.t("Revision"),
        i + 1,
        show::when(&r.received_at)
    )
}

/// The revisions, and the field-by-field difference between any two.
#[component]
fn History(revisions: Vec<RevisionView>, form: Arc<Form>, lang: String, l: Lang) -> impl IntoView {
    let n = revisions.len();
    let a = RwSignal::new(n.saturating_sub(2));
    let b = RwSignal::new(n.saturating_sub(1));
    let revisions = StoredValue::new(revisions);
    let changes = Memo::new(move |_| {
        revisions.with_value(|rs| {
            let parse = |i: usize| {
                rs.get(i)
                    .and_then(|r| serde_json::from_str::<Value>(&r.payload).ok())
                    .unwrap_or(Value::Null)
            };
            show::diff(&form, &parse(a.get()), &parse(b.get()), &lang)
        })
    });
    let options = move |sel: RwSignal<usize>| {
        revisions.with_value(|rs| {
            rs.iter().enumerate().map(|(i, r)| view! {
                <option value=i.to_string() selected=move || sel.get() == i>{revision_name(l, i, r)}</option>
            }).collect_view()
        })
    };
    view! {
        <section>
            <h3>{l.t("History")}</h3>
            {(n < 2).then(|| view! { <p>{l.t("One revision: nothing to compare.")}</p> })}
            {(n >= 2).then(|| view! {
                <div class="filters">
                    <div class="field"><label for="diff-from">{l.t("Compare")}</label><select id="diff-from" on:change=move |ev| a.set(event_target_value(&ev).parse().unwrap_or(0))>{options(a)}</select></div>
                    <div class="field"><label for="diff-to">{l.t("with")}</label><select id="diff-to" on:change=move |ev| b.set(event_target_value(&ev).parse().unwrap_or(0))>{options(b)}</select></div>
                </div>
                <div class="scroll" tabindex="0"><table id="diff">
                    <thead><tr><th scope="col">{l.t("Question")}</th><th scope="col">{l.t("Before")}</th><th scope="col">{l.t("After")}</th></tr></thead>
                    <tbody>{move || changes.get().into_iter().map(|c| view! {
                        <tr><td>{c.label}</td><td>{c.before}</td><td>{c.after}</td></tr>
                    }).collect_view()}</tbody>
                </table></div>
                {move || changes.with(Vec::is_empty).then(|| view! { <p>{l.t("The two revisions have the same answers.")}</p> })}
            })}
        </section>
    }
}

/// A conflict: the winning head and another leaf side by side, answer by answer; the
/// supervisor keeps each answer or takes the other side's, and the result is a new revision.
#[component]
fn Conflict(
    api: Api,
    detail: ResponseDetail,
    form: Arc<Form>,
    lang: String,
    on_done: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let l = api.lang;
    let revs = &detail.revisions;
    let parents: BTreeSet<&str> = revs
        .iter()
        .filter_map(|r| r.parent_rev.as_deref())
        .collect();
    let head = revs
        .iter()
        .find(|r| r.rev == detail.summary.head_rev)
        .cloned();
    let other = revs
        .iter()
        .rev()
        .find(|r| r.rev != detail.summary.head_rev && !parents.contains(r.rev.as_str()))
        .cloned();
    let (Some(head), Some(other)) = (head, other) else {
        return view! { <p>{l.t("The conflicting revision is not in the history.")}</p> }
            .into_any();
    };
    let parse = |r: &RevisionView| serde_json::from_str::<Value>(&r.payload).unwrap_or(Value::Null);
    let (a, b) = (parse(&head), parse(&other));
    let changes = show::diff(&form, &a, &b, &lang);
    let take = RwSignal::new(BTreeSet::<String>::new());
    let error = RwSignal::new(None::<String>);
    let id = detail.summary.response_id.clone();
    let other_rev = other.rev.clone();
    let resolve = move |_| {
        let merged = show::merge(&a, &b, &take.get_untracked());
        let path = format!("/responses/{}/resolve", enc(&id));
        let rev = other_rev.clone();
        leptos::task::spawn_local(async move {
            match api
                .call("POST", &path, json!({"rev": rev, "answers": merged}))
                .await
            {
                Ok(_) => on_done(),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    // One choice per top-level answer (a whole repeat is one): its first line carries it.
    let mut seen = BTreeSet::new();
    view! {
        <section class="card conflict">
            <h3>{l.t("Conflict: two phones changed this interview")}</h3>
            <p>{l.t("For each answer, keep this side's or take the other phone's. The result is saved as a new revision that both phones receive.")}</p>
            <div class="scroll" tabindex="0"><table id="conflict">
                <thead><tr>
                    <th scope="col">{l.t("Question")}</th>
                    <th scope="col">{l.t("Kept now")}</th>
                    <th scope="col">{l.t("Other phone")}</th>
                    <th scope="col">{l.t("Take the other phone's")}</th>
                </tr></thead>
                <tbody>{changes.into_iter().map(|c| {
                    let key = c.key.clone();
                    let first = seen.insert(key.clone());
                    let label = c.label.clone();
                    view! { <tr>
                        <td>{c.label}</td><td>{c.before}</td><td>{c.after}</td>
                        <td>{first.then(|| view! {
                            <input type="checkbox" aria-label=format!("{} · {label}", l.t("Take the other phone's"))
                                on:change=move |ev| { let on = event_target_checked(&ev); let k = key.clone(); take.update(|t| { if on { t.insert(k); } else { t.remove(&k); } }) }/>
                        })}</td>
                    </tr> }
                }).collect_view()}</tbody>
            </table></div>
            <button class="primary" on:click=resolve>{l.t("Resolve with these choices")}</button>
            <Status error/>
        </section>
    }
    .into_any()
}
