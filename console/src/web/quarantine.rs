//! The quarantine inbox: what the server kept but could not accept, each with its reason in
//! words and the raw item; a supervisor dismisses one with a reason (it is kept all the same).

use crate::i18n::Words as _;
use crate::show;
use leptos::prelude::*;
use serde_json::json;

use std::sync::Arc;

use baraza_schema::Form;
use baraza_schema::api::{Quarantine as Items, QuarantinedItem};

use super::{Api, Status, editor, enc, load};
use crate::i18n::Lang;

/// A reason code (`wire::QuarantineCode`) in words.
fn reason(l: Lang, code: &str) -> &'static str {
    match code {
        "hash_mismatch" => {
            l.t("The item was damaged on the way: its content does not match its checksum.")
        }
        "rev_mismatch" => l.t("The item's revision number does not match its content."),
        "rev_collision" => {
            l.t("The same revision arrived before with other content; the first one is kept.")
        }
        "unknown_form" => l.t("The form or form version is not published on this server."),
        "form_closed" => l.t("The form version was closed before this interview arrived."),
        "invalid_json" => l.t("The answers are not readable (not a JSON object)."),
        "invalid_answers" => l.t("The answers break the form's rules."),
        "seq_reused" => l.t("The phone reused a sequence number for a different interview."),
        _ => l.t("The item is malformed."),
    }
}

#[component]
pub fn Quarantine(api: Api) -> impl IntoView {
    let l = api.lang;
    let items = RwSignal::new(None::<Items>);
    let error = RwSignal::new(None::<String>);
    let show_dismissed = RwSignal::new(false);
    let reload = move || load(api, "/quarantine?limit=1000".into(), items, error);
    reload();
    let shown = move || {
        let all = show_dismissed.get();
        items
            .get()
            .map(|q| {
                q.items
                    .into_iter()
                    .filter(|i| all || (i.dismissed.is_none() && i.released_rev.is_none()))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    view! {
        <main>
            <h2>{l.t("Quarantine")}</h2>
            <p>{l.t("Items the server kept but could not accept. Nothing here is ever deleted.")}</p>
            <label class="check"><input type="checkbox" id="show-dismissed"
                on:change=move |ev| show_dismissed.set(event_target_checked(&ev))/>{l.t("Show resolved items too")}</label>
            <Status error/>
            {move || (items.with(Option::is_some) && shown().is_empty()).then(|| view! { <p>{l.t("Nothing waits in the quarantine.")}</p> })}
            <ul class="items">
                {move || shown().into_iter().map(|i| view! { <Item api item=i on_done=reload/> }).collect_view()}
            </ul>
        </main>
    }
}

#[component]
fn Item(
    api: Api,
    item: QuarantinedItem,
    on_done: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let l = api.lang;
    let why = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let id = item.id;
    let dismiss = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = json!({"reason": why.get_untracked()});
        leptos::task::spawn_local(async move {
            match api
                .call("POST", &format!("/quarantine/{id}/dismiss"), body)
                .await
            {
                Ok(_) => on_done(),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    // Fixing: the item's answers in the form screen, released as a valid revision.
    let fixing = RwSignal::new(None::<Arc<Form>>);
    let held: serde_json::Value = serde_json::from_str(&item.item).unwrap_or_default();
    let answers: serde_json::Value = held["payload"]
        .as_str()
        .and_then(|p| serde_json::from_str(p).ok())
        .filter(serde_json::Value::is_object)
        .unwrap_or_else(|| json!({}));
    let form_path = held["form_id"]
        .as_str()
        .zip(held["form_version"].as_str())
        .map(|(f, v)| format!("/forms/{}/{}", enc(f), enc(v)));
    let fix = move |_| {
        let Some(path) = form_path.clone() else {
            return error.set(Some(
                l.t("This item names no form: it can only be dismissed.")
                    .into(),
            ));
        };
        leptos::task::spawn_local(async move {
            match api.get::<Form>(&path).await {
                Ok(f) => fixing.set(Some(Arc::new(f))),
                Err(_) => error.set(Some(
                    l.t(
                        "This item's form version is not on this server: it can only be dismissed.",
                    )
                    .into(),
                )),
            }
        });
    };
    let release = move |a: serde_json::Value| {
        leptos::task::spawn_local(async move {
            match api
                .call(
                    "POST",
                    &format!("/quarantine/{id}/release"),
                    json!({"answers": a}),
                )
                .await
            {
                Ok(_) => on_done(),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let pretty = serde_json::from_str::<serde_json::Value>(&item.item)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| item.item.clone());
    view! {
        <li class="card">
            <h3>{format!("{} {id} · {}", l.t("Item"), reason(l, &item.code))}</h3>
            <p class="detail">{item.detail.clone()}</p>
            <dl class="facts">
                <dt>{l.t("Settlement")}</dt><dd>{item.settlement.clone().unwrap_or_else(|| "—".into())}</dd>
                <dt>{l.t("Received")}</dt><dd>{show::when(&item.received_at)}</dd>
                <dt>{l.t("Device")}</dt><dd class="id">{format!("{} #{}", item.device_id, item.device_seq)}</dd>
                <dt>{l.t("Submission")}</dt><dd class="id">{item.response_id.clone().unwrap_or_else(|| "—".into())}</dd>
            </dl>
            <details><summary>{l.t("The item as received")}</summary><pre>{pretty}</pre></details>
            {match (item.dismissed.clone(), item.released_rev.clone()) {
                (Some(r), _) => view! { <p class="done">{format!("{}: {r}", l.t("Dismissed"))}</p> }.into_any(),
                (_, Some(rev)) => view! { <p class="done">{format!("{}: {rev}", l.t("Released as revision"))}</p> }.into_any(),
                (None, None) => view! {
                    <div class="actions">
                        <button on:click=fix>{l.t("Fix and release")}</button>
                    </div>
                    {move || fixing.get().map(|f| {
                        let answers = answers.clone();
                        let rid = held["response_id"].as_str().unwrap_or("quarantined").to_owned();
                        view! {
                            <p>{l.t("Fix the answers, then save on the summary page: they are stored as a valid revision and the item is kept.")}</p>
                            <editor::Editor api form=f answers response_id=rid on_save=release/>
                        }
                    })}
                    <form class="filters" on:submit=dismiss>
                        <label>{l.t("Why dismiss it?")}<input on:input=move |ev| why.set(event_target_value(&ev))/></label>
                        <button type="submit">{l.t("Dismiss")}</button>
                    </form>
                    <Status error/>
                }.into_any(),
            }}
        </li>
    }
}
