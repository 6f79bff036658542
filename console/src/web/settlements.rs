//! Settlements: the sampling frame with each settlement's target; an admin edits a
//! settlement's name, type, household count and target.

use crate::i18n::Words as _;
use leptos::prelude::*;
use serde_json::json;
use wasm_bindgen::JsCast;

use baraza_browser::fetch::{self, Reply};

use baraza_schema::api::{Role, Settlement, Settlements as List};

use super::{Api, Status, load};

#[component]
pub fn Settlements(api: Api) -> impl IntoView {
    let l = api.lang;
    let list = RwSignal::new(None::<List>);
    let error = RwSignal::new(None::<String>);
    let done = RwSignal::new(None::<String>);
    let editing = RwSignal::new(None::<String>);
    let reload = move || load(api, "/settlements".into(), list, error);
    reload();
    let admin = api.role() == Some(Role::Admin);
    let file_input = NodeRef::<leptos::html::Input>::new();
    let import = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(file) = file_input
            .get_untracked()
            .and_then(|i| i.files())
            .and_then(|f| f.get(0))
        else {
            return error.set(Some(l.t("Choose the settlement frame (CSV) first.").into()));
        };
        let token = api.token();
        leptos::task::spawn_local(async move {
            let blob: &web_sys::Blob = file.unchecked_ref();
            let reply = match fetch::fetch_file(
                "POST",
                "/api/v1/settlements/import",
                token.as_deref(),
                blob,
                "text/csv",
                &[],
            )
            .await
            {
                Ok(r) => Reply::read(&r).await.ok(),
                Err(_) => None,
            };
            match reply {
                Some(r) if r.status == 200 => {
                    error.set(None);
                    let n = serde_json::from_str::<serde_json::Value>(&r.body)
                        .ok()
                        .and_then(|v| v["imported"].as_u64())
                        .unwrap_or(0);
                    done.set(Some(format!("{}: {n}", l.t("Settlements imported"))));
                    reload();
                }
                Some(r) => error.set(Some(format!(
                    "{} {}",
                    l.t("Nothing was imported:"),
                    r.message()
                ))),
                None => error.set(Some(
                    l.t("The server cannot be reached; check the connection and try again.")
                        .into(),
                )),
            }
        });
    };
    view! {
        <main>
            <h2>{l.t("Settlements")}</h2>
            {admin.then(|| view! {
                <form class="card filters" on:submit=import>
                    <h3 class="wide">{l.t("Import the settlement frame")}</h3>
                    <p class="wide hint">{l.t("A CSV file with the columns code,name,type,households and optionally target; listed settlements are added or updated.")}</p>
                    <label>{l.t("Settlement frame (CSV)")}<input id="frame-csv" type="file" accept=".csv,text/csv" node_ref=file_input/></label>
                    <button type="submit" class="primary">{l.t("Import")}</button>
                </form>
            })}
            <Status error/>
            <p class="done" role="status">{move || done.get()}</p>
            <div class="scroll" tabindex="0"><table id="settlements">
                <thead><tr>
                    <th scope="col">{l.t("Code")}</th><th scope="col">{l.t("Name")}</th>
                    <th scope="col">{l.t("Type")}</th><th scope="col" class="num">{l.t("Households")}</th>
                    <th scope="col" class="num">{l.t("Target")}</th>
                    {admin.then(|| view! { <th scope="col">{l.t("Action")}</th> })}
                </tr></thead>
                <tbody>
                    {move || list.get().map(|s| s.settlements.into_iter().map(|s| {
                        let code = s.code.clone();
                        let is_open = { let code = code.clone(); move || editing.get().as_deref() == Some(code.as_str()) };
                        let edit_label = format!("{} · {}", l.t("Edit"), s.name);
                        let s2 = s.clone();
                        view! {
                            <tr>
                                <td>{s.code.clone()}</td><td>{s.name.clone()}</td><td>{s.settlement_type.clone()}</td>
                                <td class="num">{s.households}</td>
                                <td class="num">{s.target.map(|t| t.to_string()).unwrap_or_else(|| "—".into())}</td>
                                {admin.then(|| view! { <td><button aria-label=edit_label on:click=move |_| editing.set(Some(code.clone()))>{l.t("Edit")}</button></td> })}
                            </tr>
                            {move || is_open().then(|| view! {
                                <tr class="panel"><td colspan="6"><Edit api s=s2.clone() on_done=move |msg: String| { editing.set(None); done.set(Some(msg)); reload(); }/></td></tr>
                            })}
                        }
                    }).collect_view())}
                </tbody>
            </table></div>
        </main>
    }
}

#[component]
fn Edit(
    api: Api,
    s: Settlement,
    on_done: impl Fn(String) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let l = api.lang;
    let name = RwSignal::new(s.name.clone());
    let kind = RwSignal::new(s.settlement_type.clone());
    let households = RwSignal::new(s.households.to_string());
    let target = RwSignal::new(s.target.map(|t| t.to_string()).unwrap_or_default());
    let error = RwSignal::new(None::<String>);
    let code = s.code.clone();
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(h) = households.get_untracked().trim().parse::<i64>() else {
            return error.set(Some(l.t("Households must be a whole number.").into()));
        };
        let t = target.get_untracked();
        let t = t.trim();
        let target = if t.is_empty() {
            None
        } else {
            match t.parse::<i64>() {
                Ok(n) => Some(n),
                Err(_) => {
                    return error.set(Some(
                        l.t("The target must be a whole number, or empty.").into(),
                    ));
                }
            }
        };
        let body = json!([{"code": code, "name": name.get_untracked().trim(), "type": kind.get_untracked().trim(), "households": h, "target": target}]);
        let code = code.clone();
        leptos::task::spawn_local(async move {
            match api.call("POST", "/settlements", body).await {
                Ok(_) => on_done(format!("{}: {code}", l.t("Saved"))),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <form class="filters" on:submit=save>
            <label>{l.t("Name")}<input id="settlement-name" prop:value=s.name.clone() on:input=move |ev| name.set(event_target_value(&ev))/></label>
            <label>{l.t("Type")}<input id="settlement-type" prop:value=s.settlement_type.clone() on:input=move |ev| kind.set(event_target_value(&ev))/></label>
            <label>{l.t("Households")}<input id="settlement-households" inputmode="numeric" prop:value=households.get_untracked() on:input=move |ev| households.set(event_target_value(&ev))/></label>
            <label>{l.t("Target")}<input id="settlement-target" inputmode="numeric" prop:value=target.get_untracked() on:input=move |ev| target.set(event_target_value(&ev))/></label>
            <button type="submit" class="primary">{l.t("Save")}</button>
        </form>
        <Status error/>
    }
}
