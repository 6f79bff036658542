//! Backups (admins): the last backup (by a person, the schedule or the command line) and a
//! failed scheduled one until a backup succeeds again, the files in the backup folder, each
//! phone's acknowledged and backed-up sequence numbers (a phone deletes its copies only up to
//! the second), and a backup taken now.

use crate::i18n::Words as _;
use crate::show;
use leptos::prelude::*;
use serde_json::json;

use baraza_schema::api::{Backups as List, Progress};

use super::{Api, Status, load};

#[component]
pub fn Backups(api: Api) -> impl IntoView {
    let l = api.lang;
    let list = RwSignal::new(None::<List>);
    let figures = RwSignal::new(None::<Progress>);
    let error = RwSignal::new(None::<String>);
    let done = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let reload = move || {
        load(api, "/backups".into(), list, error);
        load(api, "/progress".into(), figures, error);
    };
    reload();
    let take = move |_| {
        busy.set(true);
        leptos::task::spawn_local(async move {
            match api.call("POST", "/backups", json!({})).await {
                Ok(r) => {
                    let name = serde_json::from_str::<serde_json::Value>(&r.body)
                        .ok()
                        .and_then(|v| v["name"].as_str().map(str::to_owned))
                        .unwrap_or_default();
                    done.set(Some(format!(
                        "{}: {name}",
                        l.t("Backup written and checked")
                    )));
                    reload();
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    view! {
        <main>
            <h2>{l.t("Backups")}</h2>
            <p>{l.t("A phone deletes its copies of interviews only once a checked backup holds them.")}</p>
            <Status error/>
            <p class="done" role="status">{move || done.get()}</p>
            <div class="actions">
                <button class="primary" on:click=take disabled=move || busy.get()>{l.t("Take a backup now")}</button>
            </div>
            {move || list.get().map(|b| view! {
                <dl class="facts">
                    <dt>{l.t("Last backup")}</dt>
                    <dd id="last-backup">{b.last.map(|e| format!("{} · {}", e.at, e.actor.unwrap_or_else(|| l.t("the schedule or the command line").into())))
                        .unwrap_or_else(|| l.t("never").into())}</dd>
                    // Shown until a backup succeeds again; phones keep their copies meanwhile.
                    {b.last_failure.map(|f| view! {
                        <dt>{l.t("Last attempt failed")}</dt>
                        <dd id="backup-failure" class="warn">{format!("{} · {}", f.at, f.detail)}</dd>
                    })}
                    <dt>{l.t("Folder")}</dt><dd class="id">{b.folder.unwrap_or_else(|| "—".into())}</dd>
                </dl>
                <div class="scroll" tabindex="0"><table id="backup-files">
                    <thead><tr>
                        <th scope="col">{l.t("File")}</th><th scope="col">{l.t("Written")}</th>
                        <th scope="col" class="num">{l.t("Size (MB)")}</th>
                    </tr></thead>
                    <tbody>{b.files.into_iter().map(|f| view! { <tr>
                        <td class="id">{f.name}</td><td>{show::when(&f.modified)}</td>
                        <td class="num">{format!("{:.1}", f.bytes as f64 / 1e6)}</td>
                    </tr> }).collect_view()}</tbody>
                </table></div>
            })}
            <h3>{l.t("Phones")}</h3>
            <div class="scroll" tabindex="0"><table id="backup-devices">
                <thead><tr>
                    <th scope="col">{l.t("Enumerator")}</th>
                    <th scope="col" class="num">{l.t("Acknowledged")}</th>
                    <th scope="col" class="num">{l.t("Backed up")}</th>
                    <th scope="col">{l.t("Device")}</th>
                </tr></thead>
                <tbody>{move || figures.get().map(|p| p.devices.into_iter().map(|d| view! { <tr>
                    <td>{d.username}</td>
                    <td class="num">{d.acked_through_seq}</td>
                    <td class="num">{d.backed_up_through_seq}</td>
                    <td class="id">{d.device_id}</td>
                </tr> }).collect_view())}</tbody>
            </table></div>
        </main>
    }
}
