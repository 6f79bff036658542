//! Forms (admins): the published versions with their state (open, closing, closed), the
//! definition to download, and an XLSForm upload whose every diagnostic is shown located by
//! sheet, row and column, as `baraza form check` prints them.

use crate::i18n::Words as _;
use crate::show;
use std::collections::HashMap;
use std::sync::Arc;

use leptos::prelude::*;
use serde_json::{Value, json};
use wasm_bindgen::JsCast;

use baraza_browser::fetch::{self, Reply};
use baraza_schema::Form;
use baraza_schema::api::{FormState, Forms as List, PublishedForm};

use super::{Api, Status, editor, enc, load};
use crate::i18n::Lang;

fn state_name(l: Lang, s: FormState) -> &'static str {
    match s {
        FormState::Open => l.t("Open: offered for new interviews"),
        FormState::Closing => l.t("Closing: accepted, not offered"),
        FormState::Closed => l.t("Closed: new interviews are quarantined"),
    }
}

#[component]
pub fn Forms(api: Api) -> impl IntoView {
    let l = api.lang;
    let list = RwSignal::new(None::<List>);
    let error = RwSignal::new(None::<String>);
    let done = RwSignal::new(None::<String>);
    let diagnostics = RwSignal::new(Vec::<Value>::new());
    let reload = move || load(api, "/forms".into(), list, error);
    reload();
    let file_input = NodeRef::<leptos::html::Input>::new();
    // A checked, unpublished form to try in the form screen.
    let preview = RwSignal::new(None::<Arc<Form>>);
    // Sends the chosen workbook to `path`: the reply, or `None` once the error is shown.
    let send_workbook = move |path: &'static str| async move {
        let files = file_input.get_untracked().and_then(|i| i.files());
        let Some(files) = files.filter(|f| f.length() > 0) else {
            error.set(Some(
                l.t("Choose an XLSForm workbook (.xlsx) first.").into(),
            ));
            return None;
        };
        diagnostics.set(vec![]);
        done.set(None);
        preview.set(None);
        let token = api.token();
        // One file (a workbook, or a .zip of it and its files) as it is; a workbook and its
        // files chosen together as one multipart upload.
        let sent = match files.get(0) {
            Some(file) if files.length() == 1 => {
                let blob: &web_sys::Blob = file.unchecked_ref();
                fetch::fetch_file(
                    "POST",
                    path,
                    token.as_deref(),
                    blob,
                    "application/octet-stream",
                    &[],
                )
                .await
            }
            _ => fetch::fetch_files(path, token.as_deref(), &files).await,
        };
        let reply = match sent {
            Ok(r) => Reply::read(&r).await.ok(),
            Err(_) => None,
        };
        match reply {
            None => {
                error.set(Some(
                    l.t("The server cannot be reached; check the connection and try again.")
                        .into(),
                ));
                None
            }
            Some(r) if (200..300).contains(&r.status) => {
                error.set(None);
                Some(r)
            }
            Some(r) => {
                error.set(Some(r.message()));
                let body: Value = serde_json::from_str(&r.body).unwrap_or(Value::Null);
                diagnostics.set(
                    body["details"]["diagnostics"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default(),
                );
                None
            }
        }
    };
    let check = move |_| {
        leptos::task::spawn_local(async move {
            let Some(r) = send_workbook("/api/v1/forms/check").await else {
                return;
            };
            let body: Value = serde_json::from_str(&r.body).unwrap_or(Value::Null);
            diagnostics.set(body["diagnostics"].as_array().cloned().unwrap_or_default());
            match serde_json::from_value::<Form>(body["form"].clone()) {
                Ok(f) => preview.set(Some(Arc::new(f))),
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    let upload = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        leptos::task::spawn_local(async move {
            let Some(r) = send_workbook("/api/v1/forms").await else {
                return;
            };
            let f = r.json::<PublishedForm>().ok();
            done.set(Some(match f {
                Some(f) if r.status == 201 => {
                    format!("{}: {} {}", l.t("Published"), f.title, f.version)
                }
                Some(f) => format!("{}: {} {}", l.t("Already published"), f.title, f.version),
                None => l.t("Published").into(),
            }));
            reload();
        });
    };
    // The keyboard walks a list through the states between (Closed, Closing, Open: two
    // changes): each form's choices go to the server one after another, the latest last, so
    // the server ends in the state the screen shows. A version's path is here while a choice
    // for it is on its way, with the choice made since, if any.
    let sending = StoredValue::new(HashMap::<String, Option<String>>::new());
    let set_state = move |f: PublishedForm, s: String| {
        let path = format!("/forms/{}/{}/state", enc(&f.form_id), enc(&f.version));
        let busy = sending
            .try_update_value(|q| match q.get_mut(&path) {
                Some(next) => {
                    *next = Some(s.clone());
                    true
                }
                None => {
                    q.insert(path.clone(), None);
                    false
                }
            })
            .unwrap_or(true);
        if busy {
            return;
        }
        leptos::task::spawn_local(async move {
            let mut state = s;
            loop {
                if let Err(e) = api.call("POST", &path, json!({"state": state})).await {
                    error.set(Some(e));
                }
                let next = sending.try_update_value(|q| {
                    let next = q.get_mut(&path).and_then(Option::take);
                    if next.is_none() {
                        q.remove(&path);
                    }
                    next
                });
                match next.flatten() {
                    Some(n) => state = n,
                    None => break,
                }
            }
            reload();
        });
    };
    let download = move |f: PublishedForm| {
        let token = api.token();
        leptos::task::spawn_local(async move {
            let path = format!("/api/v1/forms/{}/{}", enc(&f.form_id), enc(&f.version));
            match fetch::fetch("GET", &path, token.as_deref(), None).await {
                Ok(r) if r.status() == 200 => {
                    if let Err(e) =
                        fetch::save(&r, &format!("{}-{}.json", f.form_id, f.version)).await
                    {
                        error.set(Some(e));
                    }
                }
                _ => error.set(Some(l.t("The definition could not be downloaded.").into())),
            }
        });
    };
    view! {
        <main>
            <h2>{l.t("Forms")}</h2>
            <form class="card filters" on:submit=upload>
                <h3 class="wide">{l.t("Publish an XLSForm")}</h3>
                <label>{l.t("XLSForm workbook (.xlsx)")}<input id="xlsform" type="file" multiple accept=".xlsx,.xls,.ods,.zip,.csv,.xml,image/*,audio/*,video/*" aria-describedby="xlsform-files" node_ref=file_input/></label>
                <p class="wide hint" id="xlsform-files">{l.t("A form that uses files (choice lists from CSV or XML, pulldata, media): choose the workbook and its files together, or a .zip of them.")}</p>
                <button type="button" on:click=check>{l.t("Check and preview")}</button>
                <button type="submit" class="primary">{l.t("Check and publish")}</button>
            </form>
            <Status error/>
            <p class="done" role="status">{move || done.get()}</p>
            {move || (!diagnostics.with(Vec::is_empty)).then(|| view! {
                <div class="scroll" tabindex="0"><table id="diagnostics">
                    <caption>{l.t("What to fix in the workbook")}</caption>
                    <thead><tr>
                        <th scope="col">{l.t("Severity")}</th><th scope="col">{l.t("Sheet")}</th>
                        <th scope="col" class="num">{l.t("Row")}</th><th scope="col">{l.t("Column")}</th>
                        <th scope="col">{l.t("Problem")}</th>
                    </tr></thead>
                    <tbody>{diagnostics.get().into_iter().map(|d| view! { <tr>
                        <td>{if d["severity"] == "error" { l.t("error") } else { l.t("warning") }}</td>
                        <td>{d["sheet"].as_str().unwrap_or("").to_owned()}</td>
                        <td class="num">{d["row"].as_u64().filter(|r| *r > 0).map(|r| r.to_string())}</td>
                        <td>{d["column"].as_str().unwrap_or("").to_owned()}</td>
                        <td>{d["message"].as_str().unwrap_or("").to_owned()}</td>
                    </tr> }).collect_view()}</tbody>
                </table></div>
            })}
            {move || preview.get().map(|f| {
                let saved = RwSignal::new(false);
                view! {
                    <section class="card" id="preview">
                        <h3>{format!("{}: {}", l.t("Preview"), f.settings.title)}</h3>
                        <p>{l.t("Fill it as an enumerator would; nothing is saved.")}</p>
                        <p class="done" role="status">{move || saved.get().then(|| l.t("The answers pass the form's rules. Nothing was saved: this is a preview."))}</p>
                        <editor::Editor api form=f.clone() answers=Value::Object(Default::default()) response_id="preview".to_owned()
                            on_save=move |_| saved.set(true)/>
                    </section>
                }
            })}
            <div class="scroll" tabindex="0"><table id="forms">
                <thead><tr>
                    <th scope="col">{l.t("Form")}</th><th scope="col">{l.t("Version")}</th>
                    <th scope="col">{l.t("Published")}</th><th scope="col">{l.t("State")}</th>
                    <th scope="col">{l.t("Definition")}</th>
                </tr></thead>
                <tbody>
                    {move || list.get().map(|fs| fs.forms.into_iter().map(|f| {
                        let (f1, f2) = (f.clone(), f.clone());
                        let label = format!("{} · {} {}", l.t("State"), f.title, f.version);
                        view! { <tr>
                            <td>{format!("{} ({})", f.title, f.form_id)}</td>
                            <td>{f.version.clone()}</td>
                            <td>{show::when(&f.published_at)}</td>
                            <td><select aria-label=label on:change=move |ev| set_state(f1.clone(), event_target_value(&ev))>
                                {FormState::ALL.iter().copied().map(|s| view! { <option value=s.as_str() selected=s == f.state>{state_name(l, s)}</option> }).collect_view()}
                            </select></td>
                            <td><button on:click=move |_| download(f2.clone())>{l.t("Download")}</button></td>
                        </tr> }
                    }).collect_view())}
                </tbody>
            </table></div>
        </main>
    }
}
