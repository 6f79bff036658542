//! The audit log (admins): every mutation, searchable by actor, action, object and day, newest
//! first, paged back. An action reads in words (its code only when this console does not
//! know it), and the search chooses among the actions' areas in words.

use crate::i18n::Words as _;
use crate::show;
use leptos::prelude::*;

use baraza_schema::api::{Audit as Log, AuditEntry};

use super::{Api, Status, enc};

const PAGE: u32 = 100;

#[component]
pub fn Audit(api: Api) -> impl IntoView {
    let l = api.lang;
    let actor = RwSignal::new(String::new());
    let action = RwSignal::new(String::new());
    let object = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let entries = RwSignal::new(Vec::<AuditEntry>::new());
    // Whether a first answer came: "nothing matches" is said only then.
    let loaded = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    // Whether the last page was full, so older entries may exist.
    let more = RwSignal::new(false);
    let fetch_page = move |before: Option<i64>| {
        let mut q = format!("?limit={PAGE}");
        for (k, v) in [
            ("actor", actor),
            ("action", action),
            ("object", object),
            ("from", from),
            ("to", to),
        ] {
            let v = v.get_untracked();
            if !v.trim().is_empty() {
                q.push_str(&format!("&{k}={}", enc(v.trim())));
            }
        }
        if let Some(b) = before {
            q.push_str(&format!("&before={b}"));
        }
        leptos::task::spawn_local(async move {
            match api.get::<Log>(&format!("/audit{q}")).await {
                Ok(log) => {
                    error.set(None);
                    more.set(log.entries.len() as u32 == PAGE);
                    if before.is_some() {
                        entries.update(|e| e.extend(log.entries));
                    } else {
                        entries.set(log.entries);
                        loaded.set(true);
                    }
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    fetch_page(None);
    let search = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        fetch_page(None);
    };
    let field = move |label: &'static str,
                      id: &'static str,
                      kind: &'static str,
                      sig: RwSignal<String>| {
        view! { <label>{label}<input id=id type=kind on:input=move |ev| sig.set(event_target_value(&ev))/></label> }
    };
    view! {
        <main>
            <h2>{l.t("Audit log")}</h2>
            <form class="filters" on:submit=search>
                {field(l.t("Who (username)"), "audit-actor", "text", actor)}
                <div class="field"><label for="audit-action">{l.t("Action")}</label>
                    <select id="audit-action" on:change=move |ev| action.set(event_target_value(&ev))>
                        <option value="">{l.t("Any action")}</option>
                        {crate::i18n::action_areas(l).map(|(words, prefix)| view! { <option value=prefix>{words}</option> }).collect_view()}
                    </select>
                </div>
                {field(l.t("Object contains"), "audit-object", "text", object)}
                {field(l.t("From"), "audit-from", "date", from)}
                {field(l.t("To"), "audit-to", "date", to)}
                <button type="submit" class="primary">{l.t("Search")}</button>
            </form>
            <Status error/>
            <div class="scroll" tabindex="0"><table id="audit">
                <thead><tr>
                    <th scope="col">{l.t("When")}</th><th scope="col">{l.t("Who")}</th>
                    <th scope="col">{l.t("Action")}</th><th scope="col">{l.t("Object")}</th>
                    <th scope="col">{l.t("Detail")}</th>
                </tr></thead>
                <tbody>{move || entries.get().into_iter().map(|e| view! { <tr>
                    <td>{show::when(&e.at)}</td>
                    <td>{e.actor.or(e.device_id.map(|d| format!("{} {d}", l.t("phone")))).unwrap_or_else(|| l.t("the server").into())}</td>
                    <td>{crate::i18n::action_words(l, &e.action).map_or(e.action.clone(), str::to_owned)}</td>
                    <td class="id">{e.target}</td><td>{e.detail}</td>
                </tr> }).collect_view()}</tbody>
            </table></div>
            {move || (loaded.get() && entries.with(Vec::is_empty)).then(|| view! { <p>{l.t("No entry matches.")}</p> })}
            <button on:click=move |_| fetch_page(entries.with_untracked(|e| e.last().map(|e| e.id)))
                disabled=move || !more.get()>{l.t("Older entries")}</button>
        </main>
    }
}
