//! Fieldwork progress, the first screen: per settlement against its target, per enumerator
//! per day, per device, and the flags a supervisor acts on; the fieldwork's dates (set by an
//! admin) against which interviews held outside them are flagged.

use crate::i18n::{Words as _, flag_detail};
use leptos::prelude::*;

use baraza_schema::api::{Fieldwork, FlagKind, Progress as Figures, Role};
use serde_json::json;

use super::{Api, Status, load};

#[component]
pub fn Progress(api: Api, screen: impl Fn(String) + Copy + Send + Sync + 'static) -> impl IntoView {
    let l = api.lang;
    let figures = RwSignal::new(None::<Figures>);
    let error = RwSignal::new(None::<String>);
    let reload = move || load(api, "/progress".into(), figures, error);
    reload();
    let flag_kind = move |k: FlagKind| match k {
        FlagKind::ShortInterview => l.t("Very short interview"),
        FlagKind::DuplicateHousehold => l.t("Same household twice"),
        FlagKind::ManyDontKnow => l.t("Many “don't know” or refusals"),
        FlagKind::OutsideFieldwork => l.t("Outside the fieldwork dates"),
    };
    view! {
        <main>
            <h2>{l.t("Fieldwork progress")}</h2>
            <FieldworkDates api on_saved=reload/>
            <Status error/>
            {move || figures.get().map(|p| view! {
                <section>
                    <h3>{l.t("Settlements")}</h3>
                    <div class="scroll" tabindex="0"><table id="progress-settlements">
                        <thead><tr>
                            <th scope="col">{l.t("Settlement")}</th>
                            <th scope="col" class="num">{l.t("Target")}</th>
                            <th scope="col" class="num">{l.t("Received")}</th>
                            <th scope="col" class="num">{l.t("Approved")}</th>
                            <th scope="col" class="num">{l.t("Has issues")}</th>
                            <th scope="col" class="num">{l.t("Rejected")}</th>
                            <th scope="col" class="num">{l.t("Quarantined")}</th>
                        </tr></thead>
                        <tbody>
                            {p.settlements.into_iter().map(|s| {
                                let pct = s.target.filter(|t| *t > 0).map(|t| format!(" ({}%)", s.received * 100 / t));
                                view! { <tr>
                                    <th scope="row">{format!("{} · {}", s.code, s.name)}</th>
                                    <td class="num">{s.target.map(|t| t.to_string()).unwrap_or_else(|| "—".into())}</td>
                                    <td class="num">{s.received}{pct}</td>
                                    <td class="num">{s.approved}</td>
                                    <td class="num">{s.has_issues}</td>
                                    <td class="num">{s.rejected}</td>
                                    <td class="num">{s.quarantined}</td>
                                </tr> }
                            }).collect_view()}
                        </tbody>
                    </table></div>
                </section>
                <section>
                    <h3>{l.t("Flags")}</h3>
                    {p.flags.is_empty().then(|| view! { <p>{l.t("Nothing to look at.")}</p> })}
                    <ul class="flags">
                        {p.flags.into_iter().map(|f| {
                            let id = f.response_id.clone();
                            view! { <li>
                                <strong>{flag_kind(f.kind)}</strong>" · "
                                {f.enumerator.clone().map(|e| format!("{e} · "))}{flag_detail(l, &f)}" "
                                {id.map(|id| { let label = format!("{} {id}", l.t("Open")); view! {
                                    <button class="link" on:click=move |_| screen(id.clone())>{label}</button>
                                } })}
                            </li> }
                        }).collect_view()}
                    </ul>
                </section>
                <section>
                    <h3>{l.t("Enumerators per day")}</h3>
                    <div class="scroll" tabindex="0"><table id="progress-enumerators">
                        <thead><tr>
                            <th scope="col">{l.t("Enumerator")}</th>
                            <th scope="col">{l.t("Day")}</th>
                            <th scope="col" class="num">{l.t("Interviews")}</th>
                            <th scope="col" class="num">{l.t("Median length (minutes)")}</th>
                        </tr></thead>
                        <tbody>
                            {p.enumerators.into_iter().map(|e| view! { <tr>
                                <td>{e.enumerator}</td><td>{e.day}</td>
                                <td class="num">{e.interviews}</td>
                                <td class="num">{e.median_minutes.map(|m| format!("{m:.0}")).unwrap_or_else(|| "—".into())}</td>
                            </tr> }).collect_view()}
                        </tbody>
                    </table></div>
                </section>
                <section>
                    <h3>{l.t("Devices")}</h3>
                    <div class="scroll" tabindex="0"><table id="progress-devices">
                        <thead><tr>
                            <th scope="col">{l.t("Enumerator")}</th>
                            <th scope="col">{l.t("Last sent")}</th>
                            <th scope="col" class="num">{l.t("Acknowledged")}</th>
                            <th scope="col" class="num">{l.t("Backed up")}</th>
                            <th scope="col">{l.t("Device")}</th>
                        </tr></thead>
                        <tbody>
                            {p.devices.into_iter().map(|d| view! { <tr>
                                <td>{d.username}{d.revoked.then(|| format!(" ({})", l.t("revoked")))}</td>
                                <td>{d.last_upload.unwrap_or_else(|| l.t("never").into())}</td>
                                <td class="num">{d.acked_through_seq}</td>
                                <td class="num">{d.backed_up_through_seq}</td>
                                <td class="id">{d.device_id}</td>
                            </tr> }).collect_view()}
                        </tbody>
                    </table></div>
                </section>
            })}
        </main>
    }
}

/// The fieldwork's first and last day: shown to supervisors, set by admins (either may be
/// left empty); saving draws the flags again.
#[component]
fn FieldworkDates(api: Api, on_saved: impl Fn() + Copy + 'static) -> impl IntoView {
    let l = api.lang;
    let current = RwSignal::new(None::<Fieldwork>);
    let error = RwSignal::new(None::<String>);
    let done = RwSignal::new(None::<&'static str>);
    load(api, "/settings/fieldwork".into(), current, error);
    let (from, to) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let day = |s: RwSignal<String>| Some(s.get_untracked()).filter(|d| !d.is_empty());
        let body = json!({"from": day(from), "to": day(to)});
        leptos::task::spawn_local(async move {
            match api.call("PUT", "/settings/fieldwork", body).await {
                Ok(r) => {
                    error.set(None);
                    current.set(r.json::<Fieldwork>().ok());
                    done.set(Some(l.t("Fieldwork dates saved.")));
                    on_saved();
                }
                Err(e) => {
                    done.set(None);
                    error.set(Some(e));
                }
            }
        });
    };
    let shown = move || {
        current.get().map(|f| {
            let day = |d: Option<String>| d.unwrap_or_else(|| "—".into());
            format!(
                "{}: {} · {}: {}",
                l.t("First day"),
                day(f.from),
                l.t("Last day"),
                day(f.to)
            )
        })
    };
    view! {
        <section class="card">
            <h3>{l.t("Fieldwork dates")}</h3>
            <p id="fieldwork-dates">{shown}</p>
            {(api.role() == Some(Role::Admin)).then(|| view! {
                <form class="filters" on:submit=save>
                    <label>{l.t("First day")}<input id="fieldwork-from" type="date" on:input=move |ev| from.set(event_target_value(&ev))/></label>
                    <label>{l.t("Last day")}<input id="fieldwork-to" type="date" on:input=move |ev| to.set(event_target_value(&ev))/></label>
                    <button type="submit" class="primary">{l.t("Save the dates")}</button>
                </form>
            })}
            <Status error/>
            <p class="done" role="status">{move || done.get()}</p>
        </section>
    }
}
